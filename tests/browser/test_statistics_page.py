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
    shot(desk, "stats")

    desk.click("#show-children-chart")  # the briefing chart by county, drawn when asked for
    chart = "() => { const img = document.getElementById('children-chart'); return img.complete && img.naturalWidth; }"
    assert desk.wait_for_function(chart).json_value() > 0

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


@pytest.fixture
def city(county, make_school, make_unit, make_link, login_as):
    """成都市: besides 锦江区's canteen, one school supplied by a supplier in each county (one
    school for the city: B2), a 1,234.50 yuan fine in each (0.12 + 0.12 ≠ 0.25 万元: D4), and
    two canteens nobody inspected."""
    school = make_school("锦江实验小学", "510104")
    for code in ("510104", "510105"):
        make_link(make_unit("supplier", code), school)
        canteen = make_unit("canteen", code, name=f"未检查的食堂{code}")
        r = login_as("inspector", code).post("/api/v1/cases", json={
            "case_no": f"{code}-1", "unit_id": canteen.id, "filed_on": "2026-03-03",
            "decided_on": "2026-03-10", "fine_yuan": "1234.50"})
        assert r.status_code == 201, r.get_json()
    return county


def shot(page, screen: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"desk-bureau-{screen}.png"))


def test_a_bureau_breaks_the_table_down_drills_from_c3_and_lists_the_uninspected(
        desk, city, make_user):
    log_in(desk, make_user("bureau", "510100"), "/stats/")
    desk.goto("/stats/?period=2026-H1")
    desk.wait_for_selector('tr[data-code="A1"]')

    # The breakdown: one column per county, the total first; B2 and D4 explained.
    desk.click("#show-breakdown")
    desk.wait_for_selector(".breakdown")
    heads = desk.locator(".breakdown thead th").all_inner_texts()
    assert heads[:3] == ["代码", "项目", "成都市合计"] and "锦江区" in heads and "青羊区" in heads
    notes = desk.locator(".breakdown-notes li")
    assert sorted(notes.evaluate_all("(ls) => ls.map((l) => l.dataset.code)")) == ["B2", "D4"]
    assert "只计一次" in notes.nth(0).inner_text() and "四舍五入一次" in notes.nth(1).inner_text()
    desk.locator("#breakdown").evaluate("(el) => el.closest('section').scrollIntoView()")
    width = desk.evaluate("() => document.documentElement.scrollWidth")
    assert width <= DESK["width"], f"page is {width}px wide"
    shot(desk, "breakdown")

    # Drill from C3 (the city's cell) to the canteen and the inspection that recorded it.
    desk.click('.stats-table tr[data-code="C3"] a.cell')
    desk.wait_for_selector("#drill table.grid")
    assert "C3「餐具用具清洗消毒不彻底（家）」" in desk.inner_text("#drill h2")
    assert "表中数字 1家，以下列出 1 条单位记录" in desk.inner_text("#drill")
    row = desk.locator("#drill tbody tr")
    assert row.count() == 1 and "锦江实验小学食堂" in row.inner_text()
    assert "2026-03-02 检查" in row.inner_text() and "9.1" in row.inner_text()
    assert "drill=510100%3AC3" in desk.url or "drill=510100:C3" in desk.url
    shot(desk, "drilldown")
    unit_href = row.locator("a", has_text="锦江实验小学食堂").get_attribute("href")
    assert unit_href == f"/desk/units/{city.id}"

    # The coverage list: the canteens nobody inspected, with their unit pages, and its Excel.
    desk.click("#show-coverage")
    desk.wait_for_selector("#uninspected table.grid")
    assert desk.locator(".tab.active").inner_text().startswith("学校食堂 未检查 2 / 3")
    names = desk.locator("#uninspected tbody tr td:first-child").all_inner_texts()
    assert sorted(names) == ["未检查的食堂510104", "未检查的食堂510105"]
    desk.locator("#uninspected").evaluate("(el) => el.closest('section').scrollIntoView()")
    shot(desk, "coverage")
    with desk.expect_download() as download:
        desk.click("#coverage-export")
    assert download.value.suggested_filename.startswith("期内未检查的单位")

    # One county's canteens that nobody inspected: 锦江区 (its other canteen was inspected).
    desk.select_option("#jurisdiction", "510104")
    desk.wait_for_function("() => document.querySelector('h1').textContent.startsWith('锦江区')")
    desk.click("#show-coverage")
    desk.wait_for_selector("#uninspected table.grid")
    assert desk.locator(".tab.active").inner_text().startswith("学校食堂 未检查 1 / 2")
    assert desk.locator("#uninspected tbody tr td:first-child").all_inner_texts() == ["未检查的食堂510104"]
    desk.locator("#uninspected").evaluate("(el) => el.closest('section').scrollIntoView()")
    shot(desk, "coverage-county")
