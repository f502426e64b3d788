"""The desk at 1366×768: a city bureau finds a county's overdue orders, opens a unit from the
units list, downloads an export — and never sees another jurisdiction's records; a page that does
not exist is a Chinese HTML page. Screenshots: instance/screenshots/desk-<role>-<screen>.png."""

from __future__ import annotations

import io
import uuid as uuidlib
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image

from foodsafety.timeutil import today_cst
from tests.browser.conftest import SCREENSHOTS, TIMEOUT_MS
from tests.factories import PASSWORD, enrol_totp, totp_code

DESK = {"width": 1366, "height": 768}
OUTSIDE = ("自贡", "自流井")


class Desk:
    """A page in a fresh 1366×768 desktop browser context."""

    def __init__(self, context) -> None:
        self.page = context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def log_in(self, user, landing: str) -> None:
        """Password, and for admins and auditors (always two-factor) the authenticator's code."""
        secret = enrol_totp(user) if user.role.value in ("admin", "auditor") else None
        self.page.goto("/")
        self.page.fill("#username", user.username)
        self.page.fill("#password", PASSWORD)
        self.page.click("button[type=submit]")
        if secret:
            self.page.fill("#code", totp_code(user.id, secret))
            self.page.click("button[type=submit]")
        self.page.wait_for_url(f"**{landing}")

    def open_list(self, path: str) -> None:
        self.page.goto(path)
        self.page.wait_for_selector("#summary")

    def screenshot(self, name: str, *, full_page: bool = False) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    def fits(self) -> None:
        width = self.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= DESK["width"], f"page is {width}px wide at {self.page.url}"


@pytest.fixture
def desk(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport=DESK, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", accept_downloads=True)
    desk = Desk(context)
    yield desk
    context.close()
    assert not desk.errors, desk.errors


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def offices(make_school, make_unit, make_link, login_as, new_inspection):
    """Schools, canteens and suppliers in 锦江区 and 青羊区 (成都) and 自流井区 (自贡), with
    inspections, overdue and timely orders and a case."""

    def order(unit, number, inspected_days_ago, deadline_days_ago, answers=None, photo=False):
        inspector = login_as("inspector", unit.jurisdiction_code)
        doc = new_inspection(unit, when=datetime.now().astimezone() - timedelta(days=inspected_days_ago),
                             answers=answers or {"6.1": "no"}, handling="rectify",
                             rectification_order={"number": number, "deadline": (
                                 today_cst() - timedelta(days=deadline_days_ago)).isoformat()})
        if photo:
            photo_id = str(uuidlib.uuid4())
            answer = inspector.post("/api/v1/photos", content_type="multipart/form-data", data={
                "file": (io.BytesIO(_jpeg()), "photo.jpg"), "id": photo_id, "inspection_id": doc["id"],
                "unit_id": str(unit.id), "target": "item:6.1"})
            assert answer.status_code == 201, answer.get_json()
            for item in doc["answers"]:
                if item["item"] == "6.1":
                    item.update(note="消毒柜未通电，餐具未消毒", photo_ids=[photo_id])
        answer = inspector.post("/api/v1/inspections", json=doc)
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()

    built = {}
    for county, place in (("510104", "锦江"), ("510105", "青羊"), ("510302", "自流井")):
        for n in range(1, 4):
            school = make_school(name=f"{place}区第{n}小学", jurisdiction=county)
            canteen = make_unit(school=school, jurisdiction=county, name=f"{place}区第{n}小学食堂",
                                address=f"{place}区学府路{n}号")
            built[(county, n)] = canteen
        supplier = make_unit("supplier", county, name=f"{place}学生餐配送有限公司")
        make_link(supplier, school)
    late = order(built[("510104", 1)], "锦市监责改〔2026〕11号", 25, 12, photo=True)
    order(built[("510104", 2)], "锦市监责改〔2026〕12号", 3, -10)
    order(built[("510105", 1)], "青市监责改〔2026〕3号", 25, 5)
    order(built[("510302", 1)], "自市监责改〔2026〕9号", 25, 12)
    assert login_as("inspector", "510104").post("/api/v1/cases", json={
        "case_no": "锦市监立〔2026〕2号", "unit_id": built[("510104", 1)].id,
        "filed_on": (today_cst() - timedelta(days=4)).isoformat()}).status_code == 201
    return {"late": late, "units": built}


def test_a_city_bureau_finds_a_countys_overdue_orders_and_exports_them(desk, offices, make_user, tmp_path):
    bureau = make_user("bureau", "510100")
    page = desk.page
    desk.log_in(bureau, "/stats/")
    desk.open_list("/desk/orders")
    assert "成都市" in page.inner_text(".desk-account") and page.is_visible("text=退出")
    assert page.locator("#list tbody tr:not(.detail)").count() == 3  # 锦江 2 + 青羊 1, never 自贡's

    page.click("#f-jurisdiction")  # the picker: search the subtree by name
    page.fill(".picker-search", "锦江")
    page.click(".picker-option[data-code='510104']")
    page.wait_for_function("() => document.querySelector('#summary').textContent.includes('共 2 条')")
    page.select_option("#f-state", "overdue")
    page.wait_for_function("() => document.querySelector('#summary').textContent.includes('共 1 条')")
    row = page.locator("#list tbody tr").first
    assert "锦市监责改〔2026〕11号" in row.inner_text() and "逾期 12 天" in row.inner_text()
    assert "jurisdiction=510104" in page.url and "overdue=true" in page.url
    row.locator("text=详情").click()
    page.wait_for_selector("tr.detail:not([hidden]) >> text=学校整改报告")
    desk.fits()
    desk.screenshot("desk-bureau-orders")

    with page.expect_download() as download:
        page.click("#export")
    saved = tmp_path / "orders.xlsx"
    download.value.save_as(saved)
    assert download.value.suggested_filename.endswith(".xlsx")
    page.wait_for_function("() => document.querySelector('.export-progress').textContent.includes('已导出 1 行')")
    rows = list(load_workbook(saved, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[3][0] == "锦市监责改〔2026〕11号" and len(rows) == 4


def test_a_bureau_opens_a_unit_from_the_units_list_and_sees_its_history(desk, offices, make_user):
    bureau = make_user("bureau", "510100")
    page = desk.page
    desk.log_in(bureau, "/stats/")
    desk.open_list("/desk/units")
    listed = page.inner_text("#list")
    assert "锦江区第1小学食堂" in listed and not any(name in listed for name in OUTSIDE)
    desk.fits()
    desk.screenshot("desk-bureau-units")

    page.fill("#f-q", "第1小学")
    page.click("form[role=search] button")
    page.wait_for_function("() => document.querySelector('#summary').textContent.includes('共 2 条')")
    page.click("#list >> text=锦江区第1小学食堂")
    page.wait_for_url("**/desk/units/*")
    for loaded in ("检查记录（1）", "整改通知（1）", "立案查处（1）"):  # each section loads on its own
        page.wait_for_selector(f"text={loaded}")
    main = page.inner_text("main")
    assert "登记信息" in main and "许可证状态" in main and "锦市监责改〔2026〕11号" in main
    assert "锦市监立〔2026〕2号" in main and "本校供餐关系" in main
    page.click("text=问题与照片")
    thumb = page.locator("tr.detail:not([hidden]) img").first
    thumb.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert "餐具" in page.inner_text("tr.detail:not([hidden])")
    desk.fits()
    desk.screenshot("desk-bureau-unit", full_page=True)

    page.click("dd >> text=锦江区第1小学")  # its school: canteens, suppliers, their history
    page.wait_for_url("**/desk/schools/*")
    for loaded in ("食堂（1）", "食堂检查记录（1）", "整改通知（1）", "立案查处（1）"):
        page.wait_for_selector(f"text={loaded}")
    school = page.inner_text("main")
    assert "锦江区第1小学食堂" in school and "锦市监责改〔2026〕11号" in school and "锦市监立〔2026〕2号" in school
    desk.fits()
    desk.screenshot("desk-bureau-school", full_page=True)

    page.click(".crumbs >> text=学校")
    page.wait_for_url("**/desk/schools")


def test_another_jurisdictions_records_are_never_listed(desk, offices, make_user):
    bureau = make_user("bureau", "510100")
    page = desk.page
    desk.log_in(bureau, "/stats/")
    for path in ("/desk/inspections", "/desk/orders", "/desk/cases", "/desk/units", "/desk/schools",
                 "/desk/supply-links"):
        desk.open_list(path)
        text = page.inner_text("main")
        assert not any(name in text for name in OUTSIDE), (path, text)
    desk.open_list("/desk/schools")
    desk.screenshot("desk-bureau-schools")
    desk.open_list("/desk/inspections")
    desk.screenshot("desk-bureau-inspections")
    page.click("#f-jurisdiction")
    page.fill(".picker-search", "自流井")
    page.wait_for_selector("text=没有匹配的行政区划。")

    outside = offices["units"][("510302", 1)]
    answer = page.goto(f"/desk/units/{outside.id}")
    assert answer.status == 404 and "页面不存在" in page.inner_text("main")
    assert "自流井" not in page.content()
    desk.screenshot("desk-bureau-404")


def test_the_auditor_searches_the_log_by_user_event_object_and_date(desk, make_user, login_as, anonymous):
    suspect = make_user("bureau", "510104", username="jj.suspect")
    for _ in range(2):  # two wrong passwords for an account of 锦江区
        anonymous.post("/api/v1/auth/login", json={"username": "jj.suspect", "password": "wrong-password-1"})
    admin = login_as("admin", "510100")
    assert admin.patch(f"/api/v1/users/{suspect.id}", json={"active": False}).status_code == 200
    make_user("bureau", "510302", username="zg.other")
    anonymous.post("/api/v1/auth/login", json={"username": "zg.other", "password": "wrong-password-1"})  # 自贡

    auditor = make_user("auditor", "510100")
    page = desk.page
    desk.log_in(auditor, "/audit/")
    page.wait_for_selector("#entries")
    assert page.locator(".desk-nav a").all_inner_texts() == ["审计日志"]
    assert "zg.other" not in page.inner_text("#results")  # another city's log is never listed
    desk.fits()
    desk.screenshot("desk-auditor-audit")

    page.fill("#f-username", "jj.suspect")
    page.fill("#f-event", "auth.login")
    page.select_option("#f-outcome", "failure")
    page.click("form button[type=submit]")
    page.wait_for_function("() => document.querySelectorAll('#entries > li').length === 2")
    assert all("jj.suspect" in text for text in page.locator("#entries > li").all_inner_texts())
    assert "export.csv?username=jj.suspect&event=auth.login&outcome=failure" in page.get_attribute("#export", "href")
    desk.screenshot("desk-auditor-audit-search")

    for name in ("#f-username", "#f-event"):
        page.fill(name, "")
    page.select_option("#f-outcome", "")
    page.fill("#f-object_id", str(suspect.id))  # what was done to this account, and by whom
    today = today_cst().isoformat()
    page.fill("#f-date_from", today)
    page.fill("#f-date_to", today)
    page.click("form button[type=submit]")
    page.wait_for_selector("#entries >> text=修改用户（停用、重置密码或验证器）")
    entry = page.locator("#entries > li").first.inner_text()
    assert f"users {suspect.id}" in entry or str(suspect.id) in entry
    assert "zg.other" not in page.inner_text("#results")


def test_an_admin_sees_the_lists_and_its_own_screens_in_the_navigation(desk, offices, make_user):
    admin = make_user("admin", "510100")
    page = desk.page
    desk.log_in(admin, "/stats/")
    desk.open_list("/desk/supply-links")
    nav = page.locator(".desk-nav a").all_inner_texts()
    assert nav == ["统计", "检查记录", "整改通知", "立案", "单位", "学校", "供餐关系", "用户", "导入"]
    desk.screenshot("desk-admin-supply-links")
