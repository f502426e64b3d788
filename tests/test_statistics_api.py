"""The statistics API: live tables, breakdown, coverage, snapshots and workbooks — within scope."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from foodsafety.statistics.definition import TABLE

LIVE = "/api/v1/statistics/{code}/2026-H1"


@pytest.fixture
def data(login_as, make_school, make_unit, make_link, new_inspection):
    """锦江区 and 青羊区 each: a canteen inspected with a raw-material problem and a 1,234.50
    yuan fine; both counties' suppliers supply the 锦江区 school. 自流井区: one canteen."""
    jinjiang = make_school("锦江实验小学", "510104")
    units = {}
    for county, school in (("510104", jinjiang), ("510105", None), ("510302", None)):
        canteen = make_unit("canteen", county, school=school)
        supplier = make_unit("supplier", county)
        make_link(supplier, jinjiang if county != "510302" else canteen.school)
        inspector = login_as("inspector", county)
        r = inspector.post("/api/v1/inspections", json=new_inspection(
            canteen, when="2026-03-02T09:00:00+08:00", answers={"6.1": "no"}))
        assert r.status_code == 201, r.get_json()
        if county != "510302":
            r = inspector.post("/api/v1/cases", json={
                "case_no": f"{county}-1", "unit_id": canteen.id, "filed_on": "2026-03-03",
                "decided_on": "2026-03-10", "fine_yuan": "1234.50"})
            assert r.status_code == 201, r.get_json()
        units[county] = (canteen, supplier)
    make_unit("periphery", "510104", name="未检查的小吃店")
    return units


def test_a_city_bureau_reads_its_live_table_row_by_row(data, login_as):
    r = login_as("bureau", "510100").get(LIVE.format(code="510100"))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["jurisdiction"] == {"code": "510100", "name": "成都市", "level": 2}
    assert body["period"]["label"] == "2026年上半年" and body["cutoff"] == "2026-06-30"
    assert body["title"] == TABLE.title
    assert [(row["code"], row["label"], row["unit"]) for row in body["rows"]] == [
        (row.code, row.label, row.unit) for row in TABLE.rows]
    rows = {row["code"]: row for row in body["rows"]}
    assert (rows["A1"]["value"], rows["B1"]["value"], rows["C1"]["value"]) == (2, 2, 2)
    assert rows["B2"]["value"] == 1  # one school, supplied by both counties' suppliers
    assert (rows["D4"]["value"], rows["D4"]["exact"]) == ("0.25", "2469.00")
    assert rows["C1"]["section_label"] == "督促整改情况"
    assert rows["C1"]["group"] == "学校食堂整改问题数量"
    assert body["valid"] is True and body["validation"] == []
    assert {c["key"]: c["value"] for c in body["context"]} == {"canteens_inspected": 2,
                                                              "suppliers_inspected": 0}
    coverage = {c["kind"]: c for c in body["coverage"]}
    assert coverage["supplier"]["uninspected"] == 2 and coverage["periphery"]["uninspected"] == 1


def test_an_earlier_cutoff_leaves_out_what_came_after(data, login_as):
    r = login_as("bureau", "510100").get(LIVE.format(code="510100") + "?cutoff=2026-03-05")
    body = r.get_json()
    assert body["cutoff"] == "2026-03-05"
    rows = {row["code"]: row for row in body["rows"]}
    assert (rows["D1"]["value"], rows["D3"]["value"], rows["D4"]["value"]) == (2, 2, "0.00")


@pytest.mark.parametrize("url, field", [
    ("/api/v1/statistics/510100/2026-H1?cutoff=2026-07-01", "cutoff"),
    ("/api/v1/statistics/510100/2026-H1?cutoff=yesterday", "cutoff"),
    ("/api/v1/statistics/510100/2026-H3", "period"),
    ("/api/v1/statistics/510100/first-half", "period"),
])
def test_a_bad_period_or_cutoff_is_a_422_naming_the_field(login_as, url, field):
    r = login_as("bureau", "510100").get(url)
    assert r.status_code == 422
    assert field in r.get_json()["errors"]


ENDPOINTS = ["", "/breakdown", "/coverage"]


@pytest.mark.parametrize("suffix", ENDPOINTS, ids=["table", "breakdown", "coverage"])
@pytest.mark.parametrize("role, jurisdiction, code, status", [
    ("bureau", "510100", "510104", 200),  # a county of the city
    ("inspector", "510104", "510104", 200),  # the inspector's own county
    ("admin", "510000", "510302", 200),
    ("bureau", "510300", "510100", 404),  # another city's bureau
    ("inspector", "510104", "510100", 404),  # a county inspector asking for the city
    ("inspector", "510302", "510104", 404),  # another county's inspector
    ("bureau", "510000", "999999", 404),  # no such jurisdiction
    ("bureau", "510000", "51", 404),
])
def test_figures_are_read_only_within_the_callers_subtree(login_as, suffix, role, jurisdiction,
                                                          code, status):
    r = login_as(role, jurisdiction).get(LIVE.format(code=code) + suffix)
    assert r.status_code == status, r.get_json()


@pytest.mark.parametrize("url", [
    "/api/v1/statistics/510104/2026-H1", "/api/v1/statistics/510104/2026-H1/breakdown",
    "/api/v1/statistics/510104/2026-H1/coverage", "/api/v1/statistics/snapshots",
])
def test_schools_have_no_access_to_statistics_and_anonymous_users_must_log_in(
        login_as, make_school, anonymous, url):
    school = make_school(jurisdiction="510104")
    assert login_as("school", school=school).get(url).status_code == 403
    assert anonymous.get(url).status_code == 401


def test_the_breakdown_has_a_column_per_county_and_a_distinct_total(data, login_as):
    body = login_as("bureau", "510100").get(LIVE.format(code="510100") + "/breakdown").get_json()
    assert [(c["code"], c["name"]) for c in body["columns"]] == [("510104", "锦江区"),
                                                                 ("510105", "青羊区")]
    assert [c["figures"]["B2"] for c in body["columns"]] == [1, 1]
    assert body["total"]["code"] == "510100" and body["total"]["figures"]["B2"] == 1
    assert [c["display"]["D4"] for c in body["columns"]] == ["0.12", "0.12"]
    assert body["total"]["display"]["D4"] == "0.25"
    assert [row["code"] for row in body["rows"]] == [row.code for row in TABLE.rows]


def test_the_coverage_lists_the_units_not_inspected_page_by_page(data, login_as):
    bureau = login_as("bureau", "510100")
    body = bureau.get(LIVE.format(code="510100") + "/coverage?per_page=2").get_json()
    assert body["total"] == 3 and len(body["items"]) == 2
    assert {c["kind"]: c["uninspected"] for c in body["summary"]}["supplier"] == 2
    second = bureau.get(LIVE.format(code="510100") + "/coverage?per_page=2&page=2").get_json()
    names = {item["name"] for item in body["items"] + second["items"]}
    assert "未检查的小吃店" in names and len(names) == 3
    suppliers = bureau.get(LIVE.format(code="510100") + "/coverage?kind=supplier").get_json()
    assert {item["jurisdiction_code"] for item in suppliers["items"]} == {"510104", "510105"}
    assert all(item["kind_label"] == "学生集体用餐配送单位" for item in suppliers["items"])


def test_the_uninspected_units_export_to_excel_as_the_list_shows_them(data, login_as):
    bureau = login_as("bureau", "510100")
    r = bureau.get(LIVE.format(code="510100") + "/coverage/export.xlsx?kind=supplier")
    assert r.status_code == 200
    assert r.headers["X-Export-Rows"] == "2"
    sheet = load_workbook(BytesIO(r.data)).active
    rows = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert "单位类型：学生集体用餐配送单位" in rows[1][0] and "2026年上半年" in rows[1][0]
    header = rows.index(next(row for row in rows if row[0] == "单位名称"))
    listed = rows[header + 1:]
    assert len(listed) == 2
    assert {row[1] for row in listed} == {"学生集体用餐配送单位"}
    assert {row[2] for row in listed} == {"锦江区", "青羊区"}
    bad = bureau.get(LIVE.format(code="510100") + "/coverage/export.xlsx?kind=school")
    assert bad.status_code == 422 and "kind" in bad.get_json()["errors"]


def test_an_inspector_builds_snapshots_that_number_themselves(data, login_as):
    inspector = login_as("inspector", "510104")
    url = LIVE.format(code="510104") + "/snapshots"
    first = inspector.post(url, json={"kind": "draft"})
    assert first.status_code == 201, first.get_json()
    second = inspector.post(url, json={"kind": "final", "cutoff": "2026-06-30"})
    assert second.status_code == 201, second.get_json()
    assert (first.get_json()["version"], second.get_json()["version"]) == (1, 2)
    body = second.get_json()
    assert body["kind"] == "final" and body["cutoff"] == "2026-06-30"
    assert body["definition_version"] == TABLE.version
    assert body["figures"]["D4"] == "1234.50"
    assert body["filename"] == "510104_锦江区_2026年上半年_校园食品安全守护行动工作情况统计表.xlsx"


def test_a_city_snapshot_keeps_a_column_per_county(data, login_as):
    admin = login_as("admin", "510100")
    r = admin.post(LIVE.format(code="510100") + "/snapshots", json={"kind": "draft"})
    assert r.status_code == 201, r.get_json()
    body = admin.get(f"/api/v1/statistics/snapshots/{r.get_json()['id']}").get_json()
    assert [(c["code"], c["figures"]["B2"]) for c in body["breakdown"]] == [("510104", 1),
                                                                            ("510105", 1)]
    assert body["figures"]["B2"] == 1 and body["figures"]["D4"] == "2469.00"
    assert {u["kind"] for u in body["uninspected"]} == {"supplier", "periphery"}


@pytest.mark.parametrize("role, jurisdiction, status", [
    ("bureau", "510104", 403),  # bureaus read, they do not file reports
    ("inspector", "510302", 404),  # another county's inspector
    ("admin", "510300", 404),  # another city's administrator
])
def test_only_inspectors_and_admins_of_the_subtree_build_snapshots(data, login_as, role,
                                                                   jurisdiction, status):
    r = login_as(role, jurisdiction).post(LIVE.format(code="510104") + "/snapshots",
                                          json={"kind": "draft"})
    assert r.status_code == status


def test_snapshots_are_listed_and_read_only_within_the_subtree(data, login_as, make_school):
    built = login_as("inspector", "510104").post(LIVE.format(code="510104") + "/snapshots",
                                                 json={}).get_json()
    login_as("inspector", "510302").post(LIVE.format(code="510302") + "/snapshots", json={})
    city = login_as("bureau", "510100")
    listed = city.get("/api/v1/statistics/snapshots?period=2026-H1").get_json()
    assert [s["id"] for s in listed["items"]] == [built["id"]]
    assert city.get(f"/api/v1/statistics/snapshots/{built['id']}").status_code == 200
    other = login_as("bureau", "510300")
    assert other.get("/api/v1/statistics/snapshots").get_json()["total"] == 1  # its own only
    assert other.get(f"/api/v1/statistics/snapshots/{built['id']}").status_code == 404
    assert other.get(f"/api/v1/statistics/snapshots/{built['id']}/workbook.xlsx"
                     ).status_code == 404
    school = login_as("school", school=make_school(jurisdiction="510104"))
    assert school.get(f"/api/v1/statistics/snapshots/{built['id']}").status_code == 403


def test_a_snapshot_downloads_as_a_workbook_with_a_chinese_file_name(data, login_as):
    built = login_as("inspector", "510104").post(LIVE.format(code="510104") + "/snapshots",
                                                 json={"kind": "final"}).get_json()
    r = login_as("bureau", "510100").get(f"/api/v1/statistics/snapshots/{built['id']}/workbook.xlsx")
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert r.data[:2] == b"PK"
    disposition = r.headers["Content-Disposition"]
    assert 'filename="510104_2026-H1.xlsx"' in disposition
    name = "510104_锦江区_2026年上半年_校园食品安全守护行动工作情况统计表.xlsx"
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition


def test_money_in_the_table_is_exact_yuan_shown_in_wan_yuan(data, login_as):
    body = login_as("bureau", "510000").get(LIVE.format(code="510000")).get_json()
    d4 = next(row for row in body["rows"] if row["code"] == "D4")
    assert Decimal(d4["exact"]) == Decimal("2469.00") and d4["value"] == "0.25"
