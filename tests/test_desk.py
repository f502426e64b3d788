"""The desk: what a county, city or province office finds in its lists, exports and pages — and
never another jurisdiction's records."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from foodsafety.timeutil import today_cst
from tests.factories import (
    create_link,
    create_school,
    create_unit,
    full_login,
    inspection_doc,
    session_client,
)

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JINJIANG, QINGYANG, ZILIUJING = "510104", "510105", "510302"  # two counties of 成都, one of 自贡


def _ago(days: int) -> datetime:
    return datetime.now().astimezone() - timedelta(days=days)


def _order(app, unit, number: str, *, inspected_days_ago: int, deadline_days_ago: int) -> dict:
    """An inspection with a failed item and a rectification order, as the county's inspector files it."""
    inspector = session_client(app, "inspector", unit.jurisdiction_code)
    deadline = (today_cst() - timedelta(days=deadline_days_ago)).isoformat()
    answer = inspector.post("/api/v1/inspections", json=inspection_doc(
        unit, when=_ago(inspected_days_ago), answers={"6.1": "no"}, handling="rectify",
        rectification_order={"number": number, "deadline": deadline}))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


@pytest.fixture
def offices(app):
    """Overdue and timely orders in two counties of 成都, one overdue order in 自贡."""
    jinjiang_canteen = create_unit("canteen", JINJIANG, name="锦江实验小学食堂")
    qingyang_canteen = create_unit("canteen", QINGYANG, name="青羊实验小学食堂")
    zigong_canteen = create_unit("canteen", ZILIUJING, name="自流井小学食堂")
    late = _order(app, jinjiang_canteen, "锦江-逾期-1", inspected_days_ago=20, deadline_days_ago=10)
    timely = _order(app, jinjiang_canteen, "锦江-在期-2", inspected_days_ago=2, deadline_days_ago=-5)
    other_county = _order(app, qingyang_canteen, "青羊-逾期-1", inspected_days_ago=20, deadline_days_ago=3)
    other_city = _order(app, zigong_canteen, "自贡-逾期-1", inspected_days_ago=20, deadline_days_ago=8)
    return {"late": late, "timely": timely, "other_county": other_county, "other_city": other_city,
            "units": (jinjiang_canteen, qingyang_canteen, zigong_canteen)}


def _numbers(page: dict) -> list[str]:
    return [order["number"] for order in page["items"]]


# --- lists ----------------------------------------------------------------------------------

def test_a_city_bureau_finds_the_overdue_orders_of_one_county_with_days_overdue(app, offices):
    bureau = session_client(app, "bureau", "510100")
    page = bureau.get(f"/api/v1/rectification-orders?overdue=true&jurisdiction={JINJIANG}").get_json()
    assert _numbers(page) == ["锦江-逾期-1"]
    assert page["items"][0]["days_overdue"] == 10 and page["items"][0]["overdue"] is True
    everything = bureau.get("/api/v1/rectification-orders?overdue=true").get_json()
    assert set(_numbers(everything)) == {"锦江-逾期-1", "青羊-逾期-1"}  # never 自贡's


def test_orders_not_overdue_and_the_search_by_number(app, offices):
    bureau = session_client(app, "bureau", "510100")
    timely = bureau.get("/api/v1/rectification-orders?overdue=false").get_json()
    assert _numbers(timely) == ["锦江-在期-2"] and timely["items"][0]["days_overdue"] == 0
    found = bureau.get("/api/v1/rectification-orders?q=在期").get_json()
    assert _numbers(found) == ["锦江-在期-2"]
    assert _numbers(bureau.get("/api/v1/rectification-orders?q=自贡").get_json()) == []


def test_orders_sort_by_deadline_either_way(app, offices):
    bureau = session_client(app, "bureau", "510100")
    ascending = _numbers(bureau.get("/api/v1/rectification-orders?sort=deadline").get_json())
    descending = _numbers(bureau.get("/api/v1/rectification-orders?sort=-deadline").get_json())
    assert ascending == ["锦江-逾期-1", "青羊-逾期-1", "锦江-在期-2"] and descending == ascending[::-1]


def test_an_unknown_sort_is_refused_with_the_field_named(app, offices):
    bureau = session_client(app, "bureau", "510100")
    answer = bureau.get("/api/v1/inspections?sort=price")
    assert answer.status_code == 422 and "sort" in answer.get_json()["errors"]


def test_inspections_search_by_licence_number_and_filter_by_kind(app, offices):
    bureau = session_client(app, "bureau", "510100")
    canteen = offices["units"][0]
    found = bureau.get(f"/api/v1/inspections?q={canteen.licence_no}").get_json()["items"]
    assert {i["unit"]["id"] for i in found} == {canteen.id} and len(found) == 2
    assert found[0]["unit"]["jurisdiction_name"] == "锦江区"
    assert bureau.get("/api/v1/inspections?kind=supplier").get_json()["items"] == []
    by_problems = bureau.get("/api/v1/inspections?sort=-problems&per_page=1").get_json()
    assert by_problems["next_cursor"]  # a sort by a column keeps the keyset cursors
    assert bureau.get(f"/api/v1/inspections?q={offices['units'][2].licence_no}").get_json()["items"] == []


def test_cases_search_by_case_number_and_decided_filter(app, offices):
    canteen = offices["units"][0]
    inspector = session_client(app, "inspector", JINJIANG)
    for number, decided in (("锦江案-1", None), ("锦江案-2", (today_cst() - timedelta(days=1)).isoformat())):
        answer = inspector.post("/api/v1/cases", json={
            "case_no": number, "unit_id": canteen.id, "filed_on": (today_cst() - timedelta(days=5)).isoformat(),
            "decided_on": decided, "fine_yuan": "2000.00" if decided else None})
        assert answer.status_code == 201, answer.get_json()
    bureau = session_client(app, "bureau", "510100")
    assert [c["case_no"] for c in bureau.get("/api/v1/cases?q=案-2").get_json()["items"]] == ["锦江案-2"]
    assert [c["case_no"] for c in bureau.get("/api/v1/cases?decided=false").get_json()["items"]] == ["锦江案-1"]
    assert [c["case_no"] for c in bureau.get("/api/v1/cases?sort=-fine").get_json()["items"]][0] == "锦江案-2"


def test_units_by_licence_status(app):
    create_unit("canteen", JINJIANG, name="过期食堂", issued=date(2020, 1, 1), expires=date(2024, 12, 31))
    create_unit("canteen", JINJIANG, name="有效食堂")
    create_unit("unlicensed", JINJIANG, name="无证摊贩", licensed=False)
    bureau = session_client(app, "bureau", JINJIANG)

    def names(status):
        items = bureau.get(f"/api/v1/units?licence_status={status}").get_json()["items"]
        return {u["name"] for u in items}

    assert names("expired") == {"过期食堂"}
    assert names("valid") == {"有效食堂"}
    assert names("none") == {"无证摊贩"}
    assert names("revoked") == set()


def test_schools_list_their_canteens_and_todays_suppliers(app):
    school = create_school("锦江一小", JINJIANG)
    canteen = create_unit("canteen", JINJIANG, school=school, name="锦江一小食堂")
    serving = create_unit("supplier", JINJIANG, name="今日配送公司")
    former = create_unit("supplier", JINJIANG, name="往年配送公司")
    create_link(serving, school)
    create_link(former, school, date(2020, 1, 1), date(2020, 12, 31))
    create_school("自贡一小", ZILIUJING)
    bureau = session_client(app, "bureau", "510100")
    items = bureau.get("/api/v1/schools").get_json()["items"]
    assert [s["name"] for s in items] == ["锦江一小"]
    assert [u["id"] for u in items[0]["canteens"]] == [canteen.id]
    assert [u["name"] for u in items[0]["suppliers"]] == ["今日配送公司"]


def test_supply_links_current_and_by_jurisdiction(app):
    school = create_school("青羊一小", QINGYANG)
    supplier = create_unit("supplier", JINJIANG, name="锦江配送")
    create_link(supplier, school)
    create_link(supplier, school, date(2020, 1, 1), date(2020, 12, 31))
    bureau = session_client(app, "bureau", "510100")
    current = bureau.get("/api/v1/supply-links?current=true").get_json()["items"]
    assert len(current) == 1 and current[0]["current"] is True
    assert current[0]["school_jurisdiction_name"] == "青羊区"
    assert len(bureau.get(f"/api/v1/supply-links?jurisdiction={QINGYANG}").get_json()["items"]) == 2
    assert bureau.get("/api/v1/supply-links?q=锦江配送&current=false").get_json()["total"] == 1
    county = session_client(app, "bureau", ZILIUJING)
    assert county.get("/api/v1/supply-links").get_json()["items"] == []


def test_the_jurisdiction_search_stays_in_the_subtree(app):
    city = session_client(app, "bureau", "510100")
    found = city.get("/api/v1/jurisdictions?q=锦江").get_json()
    assert [(j["code"], j["parent_name"]) for j in found] == [(JINJIANG, "成都市")]
    county = session_client(app, "bureau", ZILIUJING)
    assert county.get("/api/v1/jurisdictions?q=锦江").get_json() == []
    assert county.get(f"/api/v1/jurisdictions?q={ZILIUJING}").get_json()[0]["name"] == "自流井区"


# --- exports --------------------------------------------------------------------------------

def _sheet(answer) -> list[tuple]:
    assert answer.status_code == 200, answer.get_json()
    book = load_workbook(io.BytesIO(answer.data), read_only=True)
    return [row for row in book.worksheets[0].iter_rows(values_only=True)]


def test_the_orders_export_holds_what_the_list_shows(app, offices):
    bureau = session_client(app, "bureau", "510100")
    answer = bureau.get(f"/api/v1/rectification-orders/export.xlsx?overdue=true&jurisdiction={JINJIANG}")
    assert answer.headers["X-Export-Rows"] == "1"
    assert "filename*=UTF-8''" in answer.headers["Content-Disposition"]
    rows = _sheet(answer)
    assert rows[0][0] == "整改通知" and "锦江区（含下级）" in rows[1][0] and "逾期：是" in rows[1][0]
    header = rows[2]
    record = dict(zip(header, rows[3], strict=False))
    assert record["通知书编号"] == "锦江-逾期-1" and record["逾期天数"] == 10 and record["状态"] == "待整改"
    assert record["整改期限"] == datetime.combine(today_cst() - timedelta(days=10), datetime.min.time())
    assert len(rows) == 4


@pytest.mark.parametrize("path", ["/api/v1/inspections/export.xlsx", "/api/v1/rectification-orders/export.xlsx",
                                  "/api/v1/cases/export.xlsx", "/api/v1/units/export.xlsx",
                                  "/api/v1/schools/export.xlsx", "/api/v1/supply-links/export.xlsx"])
def test_no_export_ever_holds_another_jurisdictions_records(app, offices, path):
    zigong_school = create_school("自贡二小", ZILIUJING)
    create_link(create_unit("supplier", ZILIUJING, name="自贡配送"), zigong_school)
    session_client(app, "inspector", ZILIUJING).post("/api/v1/cases", json={
        "case_no": "自贡案-1", "unit_id": offices["units"][2].id, "filed_on": today_cst().isoformat()})
    bureau = session_client(app, "bureau", "510100")
    text = " ".join(str(cell) for row in _sheet(bureau.get(path)) for cell in row if cell is not None)
    assert "自贡" not in text and "自流井" not in text


def test_exports_one_after_another_each_give_their_slot_back(app, offices):
    bureau = session_client(app, "bureau", "510100")
    limit = app.config["EXPENSIVE_REQUESTS_PER_ACCOUNT"]
    for _ in range(limit + 2):  # more than the account's concurrent slots, each read to the end
        answer = bureau.get("/api/v1/rectification-orders/export.xlsx")
        assert answer.status_code == 200, answer.get_json()
        answer.get_data()
        answer.close()


def test_an_export_over_the_cap_asks_to_narrow_the_filters(app, offices):
    bureau = session_client(app, "bureau", "510100")
    app.config["EXPORT_MAX_ROWS"] = 2
    try:
        answer = bureau.get("/api/v1/inspections/export.xlsx")
    finally:
        app.config["EXPORT_MAX_ROWS"] = 200_000
    assert answer.status_code == 422 and "缩小筛选范围" in answer.get_json()["errors"]["_schema"][0]


def test_exported_text_is_never_a_formula(app):
    create_unit("periphery", JINJIANG, name="=HYPERLINK(\"http://x\",\"点我\")")
    rows = _sheet(session_client(app, "bureau", JINJIANG).get("/api/v1/units/export.xlsx"))
    assert rows[3][0] == "=HYPERLINK(\"http://x\",\"点我\")"  # read back as text, not a formula
    book = load_workbook(io.BytesIO(session_client(app, "bureau", JINJIANG)
                                    .get("/api/v1/units/export.xlsx").data))
    assert book.worksheets[0]["A4"].data_type == "s"


# --- pages ----------------------------------------------------------------------------------

def _browser(client, user):
    answer, _ = full_login(client, user.username)
    assert answer.status_code == 200
    return client


def test_a_bureau_opens_the_desk_with_its_account_jurisdiction_and_navigation(client, make_user):
    _browser(client, make_user("bureau", "510100"))
    page = client.get("/desk/orders", headers=BROWSER)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-screen="orders"' in html
    assert "成都市" in html and "退出" in html and 'href="/desk/units"' in html and 'href="/stats/"' in html
    assert "/audit/" not in html


def test_only_an_admin_is_shown_the_users_and_import_screens(client, make_user):
    _browser(client, make_user("admin", "510100"))
    html = client.get("/desk/units", headers=BROWSER).get_data(as_text=True)
    nav = html.split('<nav class="desk-nav"')[1].split("</nav>")[0]
    assert nav.count("<a ") == 9 and 'href="/desk/users"' in nav and 'href="/desk/imports"' in nav
    _browser(client, make_user("bureau", "510100"))
    html = client.get("/desk/units", headers=BROWSER).get_data(as_text=True)
    nav = html.split('<nav class="desk-nav"')[1].split("</nav>")[0]
    assert nav.count("<a ") == 7 and "用户" not in nav and "导入" not in nav
    assert client.get("/desk/users", headers=BROWSER).status_code == 403


def test_the_auditor_reads_the_log_in_the_desk_layout_and_no_lists(client, make_user):
    _browser(client, make_user("auditor", "510100"))
    html = client.get("/audit/", headers=BROWSER).get_data(as_text=True)
    assert 'class="desk"' in html and "audit.js" in html and 'href="/audit/"' in html
    assert "/desk/orders" not in html
    refused = client.get("/desk/orders", headers=BROWSER)
    assert refused.status_code == 403 and "没有权限访问此页面" in refused.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    assert client.get("/desk/orders").headers["Location"] == "/"
    assert client.get("/desk/units/1").headers["Location"] == "/"


def test_another_jurisdictions_unit_page_is_the_html_404(client, make_user):
    theirs = create_unit("canteen", ZILIUJING)
    mine = create_unit("canteen", JINJIANG)
    _browser(client, make_user("bureau", "510100"))
    assert client.get(f"/desk/units/{mine.id}", headers=BROWSER).status_code == 200
    assert client.get(f"/desk/schools/{mine.school_id}", headers=BROWSER).status_code == 200
    for path in (f"/desk/units/{theirs.id}", f"/desk/schools/{theirs.school_id}", "/desk/nowhere"):
        page = client.get(path, headers=BROWSER)
        assert page.status_code == 404 and page.mimetype == "text/html"
        assert "页面不存在" in page.get_data(as_text=True)


def test_the_api_answers_json_even_to_a_browser(client):
    answer = client.get("/api/v1/nowhere", headers=BROWSER)
    assert answer.status_code == 404 and answer.get_json()["message"] == "记录不存在。"
    assert client.get("/desk/nowhere", headers={"Accept": "application/json"}).get_json()["code"] == 404


def test_an_unexpected_error_is_a_chinese_page_for_a_browser(app, client, monkeypatch):
    from foodsafety.web import routes

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(routes, "render_template", broken)
    page = client.get("/", headers=BROWSER)
    assert page.status_code == 500 and "服务器出错了" in page.get_data(as_text=True)
    assert "boom" not in page.get_data(as_text=True)


def test_the_favicon_is_served_locally(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"
