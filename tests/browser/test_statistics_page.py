"""The statistics page at a desk (1366×768): a bureau reads its city's table in the official
layout, downloads the live workbook and switches to a county; an inspector builds a draft
snapshot and gets its workbook."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SCREENSHOTS, TIMEOUT_MS
from tests.factories import PASSWORD

DESK = {"width": 1366, "height": 768}


@pytest.fixture
def desk(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport=DESK, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    yield page
    context.close()
    assert not errors, errors


def log_in(page, user, landing: str) -> None:
    page.goto("/")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{landing}")


@pytest.fixture
def county(make_unit, login_as, new_inspection):
    """锦江区: a canteen inspected on 2 March 2026 with a cleaning problem."""
    unit = make_unit("canteen", "510104", name="锦江实验小学食堂")
    r = login_as("inspector", "510104").post("/api/v1/inspections", json=new_inspection(
        unit, when="2026-03-02T09:00:00+08:00", answers={"9.1": "no"}))
    assert r.status_code == 201
    return unit


def figure(page, code: str) -> str:
    return page.inner_text(f'tr[data-code="{code}"] td.num')


def test_a_bureau_reads_its_citys_table_and_switches_to_a_county(desk, county, make_user):
    log_in(desk, make_user("bureau", "510100"), "/stats/")
    desk.goto("/stats/?period=2026-H1")
    desk.wait_for_selector('tr[data-code="A1"]')
    assert desk.inner_text("h1") == "成都市 2026年上半年校园食品安全守护行动工作情况统计表"
    assert (figure(desk, "A1"), figure(desk, "C3"), figure(desk, "D1")) == ("1", "1", "1")
    assert desk.locator("th.section").all_inner_texts() == ["基本情况", "督促整改情况",
                                                             "监督检查和案件查处情况"]
    assert desk.get_attribute('tr[data-code="C1"] th.group', "rowspan") == "5"
    assert desk.locator("th.part").all_inner_texts() == ["其中：视频式展示（家）", "互联网式展示（家）"]
    options = desk.locator("#jurisdiction option").evaluate_all("(os) => os.map((o) => o.value)")
    assert "510104" in options and "510302" not in options  # its subtree only
    assert desk.locator("[data-build]").count() == 0  # bureaus read; inspectors build
    desk.wait_for_selector("#snapshots >> text=尚未生成快照")
    desk.wait_for_function("() => document.querySelector('img.trend').complete")
    width = desk.evaluate("() => document.documentElement.scrollWidth")
    assert width <= DESK["width"], f"page is {width}px wide"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    desk.screenshot(path=str(SCREENSHOTS / "stats-page.png"))

    with desk.expect_download() as download:
        desk.click("#live-workbook")
    assert "_成都市_2026年上半年_校园食品安全守护行动工作情况统计表_非定稿_" in download.value.suggested_filename

    desk.select_option("#jurisdiction", "510104")
    desk.wait_for_function("() => document.querySelector('h1').textContent.startsWith('锦江区')")
    assert "jurisdiction=510104" in desk.url and "period=2026-H1" in desk.url
    assert figure(desk, "C3") == "1"


def test_an_inspector_builds_a_draft_and_downloads_its_workbook(desk, county, make_user):
    log_in(desk, make_user("inspector", "510104"), "/m/")
    desk.goto("/stats/?jurisdiction=510104&period=2026-H1")
    desk.click("button[data-build=draft]")
    desk.wait_for_selector("#stats-message >> text=已生成第 1 版草稿")
    link = desk.locator("#snapshots a", has_text="下载 Excel")
    with desk.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith("_锦江区_2026年上半年_校园食品安全守护行动工作情况统计表.xlsx")
