"""Registering schools, units and supply links: checks, warnings and scope."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from foodsafety.extensions import db
from foodsafety.registry.models import School, SupplyLink, Unit
from tests.factories import licence_for


@pytest.fixture
def admin(login_as):
    return login_as("admin", "510100")


def test_school_with_a_valid_uscc_registers_cleanly(admin):
    r = admin.post("/api/v1/schools", json={"name": "锦江区第一小学", "stage": "primary",
                                            "jurisdiction_code": "510104",
                                            "uscc": "12100000400010398P"})
    assert r.status_code == 201
    body = r.get_json()
    assert body["warnings"] == [] and body["stage_label"] == "小学"
    assert body["jurisdiction_name"] == "锦江区"


def test_uscc_check_digit_failure_is_stored_with_a_warning(admin):
    r = admin.post("/api/v1/schools", json={"name": "锦江区第二小学", "stage": "primary",
                                            "jurisdiction_code": "510104",
                                            "uscc": "12100000400010398Q"})
    assert r.status_code == 201
    assert [w["field"] for w in r.get_json()["warnings"]] == ["uscc"]


def test_duplicate_school_name_in_a_county_is_refused(admin):
    body = {"name": "同名学校", "stage": "primary", "jurisdiction_code": "510104"}
    assert admin.post("/api/v1/schools", json=body).status_code == 201
    assert admin.post("/api/v1/schools", json=body).status_code == 422
    assert admin.post("/api/v1/schools", json={**body, "jurisdiction_code": "510105"}
                      ).status_code == 201


def canteen_body(school_id: int, **extra) -> dict:
    return {"kind": "canteen", "name": "学校食堂", "jurisdiction_code": "510104",
            "school_id": school_id, "operation_mode": "self_run",
            "licence_no": licence_for("canteen", "510104", 77),
            "licence_issued_on": "2024-01-01", "licence_expires_on": "2029-01-01", **extra}


def test_canteen_registers_with_its_school_and_licence(admin, make_school):
    school = make_school(jurisdiction="510104")
    r = admin.post("/api/v1/units", json=canteen_body(school.id, haccp="certified",
                                                      haccp_cert_expires_on="2027-01-01",
                                                      mingchu=["video", "internet"]))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["warnings"] == [] and body["mingchu"] == ["video", "internet"]


def test_licence_check_digit_failure_warns_and_wrong_format_rejects(admin, make_school):
    school = make_school(jurisdiction="510104")
    good = licence_for("canteen", "510104", 78)
    typo = good[:-1] + str((int(good[-1]) + 1) % 10)
    r = admin.post("/api/v1/units", json=canteen_body(school.id, licence_no=typo))
    assert r.status_code == 201
    assert any("校验位" in w["message"] for w in r.get_json()["warnings"])
    bad = admin.post("/api/v1/units", json=canteen_body(school.id, licence_no="JY12345"))
    assert bad.status_code == 422 and "licence_no" in bad.get_json()["errors"]


@pytest.mark.parametrize("change, field", [
    ({"school_id": None}, "school_id"),
    ({"operation_mode": None}, "operation_mode"),
    ({"licence_expires_on": "2023-01-01"}, "licence_expires_on"),
    ({"haccp": "certified"}, "haccp_cert_expires_on"),
    ({"mingchu": ["video", "video"]}, "mingchu"),
    ({"jurisdiction_code": "510302"}, "jurisdiction_code"),
])
def test_inconsistent_units_are_refused(admin, make_school, change, field):
    school = make_school(jurisdiction="510104")
    r = admin.post("/api/v1/units", json={**canteen_body(school.id), **change})
    assert r.status_code == 422 and field in r.get_json()["errors"], r.get_json()
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 0


def test_unit_kind_cannot_change(admin, make_unit):
    unit = make_unit("periphery", "510104")
    r = admin.patch(f"/api/v1/units/{unit.id}", json={"kind": "supplier"})
    assert r.status_code == 422 and "kind" in r.get_json()["errors"]


def test_unit_search_finds_by_name_licence_and_school(login_as, make_school, make_unit):
    school = make_school(name="草堂小学", jurisdiction="510105")
    canteen = make_unit("canteen", "510105", school=school, name="草堂小学食堂")
    other = make_unit("periphery", "510105", name="老王小吃")
    api = login_as("inspector", "510105")
    assert [u["id"] for u in api.get("/api/v1/units?q=老王").get_json()["items"]] == [other.id]
    assert [u["id"] for u in api.get("/api/v1/units?q=草堂").get_json()["items"]] == [canteen.id]
    by_licence = api.get(f"/api/v1/units?q={canteen.licence_no[-8:]}").get_json()["items"]
    assert [u["id"] for u in by_licence] == [canteen.id]
    assert api.get("/api/v1/units?q=%25").get_json()["total"] == 0  # % is literal


def test_supply_links_cannot_overlap(admin, make_unit, make_school):
    supplier = make_unit("supplier", "510104")
    school = make_school(jurisdiction="510105")
    first = admin.post("/api/v1/supply-links", json={"supplier_id": supplier.id,
                                                     "school_id": school.id,
                                                     "starts_on": "2026-01-01",
                                                     "ends_on": "2026-06-30"})
    assert first.status_code == 201
    overlap = admin.post("/api/v1/supply-links", json={"supplier_id": supplier.id,
                                                       "school_id": school.id,
                                                       "starts_on": "2026-06-01"})
    assert overlap.status_code == 422
    after = admin.post("/api/v1/supply-links", json={"supplier_id": supplier.id,
                                                     "school_id": school.id,
                                                     "starts_on": "2026-07-01"})
    assert after.status_code == 201


def test_school_account_sees_only_itself_and_its_suppliers(login_as, make_school, make_unit,
                                                           make_link):
    mine, other = make_school(), make_school()
    canteen = make_unit("canteen", school=mine)
    supplier = make_unit("supplier")
    make_link(supplier, mine)
    make_unit("canteen", school=other)
    api = login_as("school", school=mine)
    assert [s["id"] for s in api.get("/api/v1/schools").get_json()["items"]] == [mine.id]
    units = {u["id"] for u in api.get("/api/v1/units").get_json()["items"]}
    assert units == {canteen.id, supplier.id}
    assert db.session.scalar(select(func.count()).select_from(School)) == 2


def test_a_school_outside_the_admins_subtree_is_answered_like_a_missing_one_when_linking(
        login_as, make_unit, make_school):
    """Else the answer (201 with the school's name) would reveal every school by id, link a
    supplier to another county's school it cannot see, and count it in that county's B2."""
    county_admin = login_as("admin", "510104")
    supplier = make_unit("supplier", "510104")
    elsewhere = make_school("自流井区某小学", "510302")
    assert county_admin.get(f"/api/v1/schools/{elsewhere.id}").status_code == 404
    answers = [county_admin.post("/api/v1/supply-links", json={
        "supplier_id": supplier.id, "school_id": school_id, "starts_on": "2026-09-01"})
        for school_id in (elsewhere.id, elsewhere.id + 1000)]
    assert [r.status_code for r in answers] == [422, 422]
    assert answers[0].get_json()["errors"] == answers[1].get_json()["errors"] == {
        "school_id": ["学校不存在或不在您的管辖范围内。"]}
    assert "自流井区某小学" not in answers[0].get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SupplyLink)) == 0
    # The city's administrator, above both sides, may link them.
    r = login_as("admin", "510000").post("/api/v1/supply-links", json={
        "supplier_id": supplier.id, "school_id": elsewhere.id, "starts_on": "2026-09-01"})
    assert r.status_code == 201


def test_reopening_a_supply_link_cannot_make_it_overlap_a_later_one(admin, make_unit,
                                                                    make_school):
    supplier, school = make_unit("supplier", "510104"), make_school(jurisdiction="510104")
    link = {"supplier_id": supplier.id, "school_id": school.id}
    first = admin.post("/api/v1/supply-links", json={**link, "starts_on": "2026-01-01",
                                                     "ends_on": "2026-06-30"}).get_json()
    assert admin.post("/api/v1/supply-links", json={**link, "starts_on": "2026-09-01"}
                      ).status_code == 201
    for ends_on in (None, "2026-09-01", "2027-01-01"):
        r = admin.patch(f"/api/v1/supply-links/{first['id']}", json={"ends_on": ends_on})
        assert r.status_code == 422, (ends_on, r.get_json())
        assert "ends_on" in r.get_json()["errors"]
    r = admin.patch(f"/api/v1/supply-links/{first['id']}", json={"ends_on": "2026-08-31"})
    assert r.status_code == 200 and r.get_json()["ends_on"] == "2026-08-31"


def test_an_admin_reads_one_supply_link_and_ends_it_as_the_desk_screen_does(admin, login_as, make_unit,
                                                                          make_school):
    supplier, school = make_unit("supplier", "510104", name="锦江配送"), make_school(jurisdiction="510104")
    link = admin.post("/api/v1/supply-links", json={"supplier_id": supplier.id, "school_id": school.id,
                                                    "starts_on": "2026-03-01"}).get_json()
    shown = admin.get(f"/api/v1/supply-links/{link['id']}").get_json()
    assert (shown["supplier_name"], shown["ends_on"], shown["starts_on"]) == ("锦江配送", None, "2026-03-01")
    early = admin.patch(f"/api/v1/supply-links/{link['id']}", json={"ends_on": "2026-02-28"})
    assert early.status_code == 422 and early.get_json()["errors"] == {"ends_on": ["结束日期不能早于开始日期。"]}
    ended = admin.patch(f"/api/v1/supply-links/{link['id']}", json={"ends_on": "2026-07-15"})
    assert ended.status_code == 200
    assert admin.get(f"/api/v1/supply-links/{link['id']}").get_json()["ends_on"] == "2026-07-15"
    # Another city's staff: the same 404 as a link that does not exist.
    outsider = login_as("bureau", "510302")
    assert outsider.get(f"/api/v1/supply-links/{link['id']}").status_code == 404
    assert outsider.get(f"/api/v1/supply-links/{link['id'] + 999}").status_code == 404


INVISIBLE = ["\u200b", "\u200d", "\u2060", "\u00ad", "\u034f", "\u200e", "\u061c", "\u3164",
             "\ufeff"]


@pytest.mark.parametrize("mark", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_a_school_name_with_invisible_characters_is_the_same_school(admin, mark):
    body = {"name": "锦江区实验小学", "stage": "primary", "jurisdiction_code": "510104"}
    assert admin.post("/api/v1/schools", json=body).status_code == 201
    look_alike = admin.post("/api/v1/schools", json={**body, "name": f"锦江区{mark}实验小学"})
    assert look_alike.status_code == 422 and "name" in look_alike.get_json()["errors"]
    assert db.session.scalar(select(func.count()).select_from(School)) == 1


def test_names_are_stored_normalised(admin, make_school):
    r = admin.post("/api/v1/schools", json={
        "name": "锦江区\u200b第三\u00ad小学\u3000（东区）", "stage": "primary",
        "jurisdiction_code": "510104"})
    assert r.status_code == 201 and r.get_json()["name"] == "锦江区第三小学 (东区)"
    school_id = r.get_json()["id"]
    unit = admin.post("/api/v1/units", json=canteen_body(
        school_id, name="锦江区第三小学\u2060食堂\u200d", licence_no=None))
    assert unit.status_code == 201 and unit.get_json()["name"] == "锦江区第三小学食堂"
    renamed = admin.patch(f"/api/v1/units/{unit.get_json()['id']}",
                          json={"name": "\u034f\u200e"})
    assert renamed.status_code == 422 and "name" in renamed.get_json()["errors"]
