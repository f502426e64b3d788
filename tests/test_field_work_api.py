"""The API behind the inspector's field work on the phone: findings, results and handling that
agree; generated order numbers (reserved per phone for offline use); the inspector's own name and
执法证号; units registered on site exactly once; an inspection's history with its void."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from foodsafety.extensions import db
from foodsafety.periods import parse_period
from foodsafety.registry.models import Unit
from foodsafety.statistics import compute as statistics
from foodsafety.timeutil import today_cst

URL = "/api/v1/inspections"
BLOCKS = "/api/v1/rectification-orders/number-blocks"
YEAR = today_cst().year


@pytest.fixture
def unit(make_unit):
    return make_unit("canteen", "510104")


@pytest.fixture
def inspector(login_as):
    return login_as("inspector", "510104")


def _errors(r):
    assert r.status_code == 422, (r.status_code, r.get_json())
    return r.get_json()["errors"]


# --- findings, results and handling agree --------------------------------------------------

def test_a_problem_outside_the_checklist_needs_its_category_and_makes_the_record_not_compliant(
        inspector, unit, new_inspection):
    no_category = new_inspection(unit, extra_findings=[{"description": "冰箱生熟混放"}])
    assert "category" in _errors(inspector.post(URL, json=no_category))["extra_findings"]["0"]

    doc = new_inspection(unit, extra_findings=[{"category": "processing", "description": "冰箱生熟混放"}])
    body = inspector.post(URL, json=doc).get_json()
    assert body["result"] == "basic" and body["problems_found"] == 1
    assert body["handling"] == "on_site"
    assert [f["category_label"] for f in body["findings"]] == ["食品加工制作行为不规范"]


@pytest.mark.parametrize("answers, extra, handling, message", [
    ({"6.1": "no"}, [], "pass", "不能为“通过”"),
    ({}, [{"category": "other", "description": "地面积水"}], "pass", "不能为“通过”"),
    ({}, [], "stop", "检查结果为符合，不能责令立即停止"),
    ({}, [], "on_site", "未发现问题，不需要当场整改"),
])
def test_a_handling_that_contradicts_the_findings_is_refused_with_a_chinese_reason(
        inspector, unit, new_inspection, answers, extra, handling, message):
    doc = new_inspection(unit, answers=answers, extra_findings=extra, handling=handling)
    assert message in _errors(inspector.post(URL, json=doc))["handling"][0]


def test_problems_corrected_on_the_spot_need_no_order_and_are_marked_rectified(
        inspector, unit, new_inspection):
    with_order = new_inspection(unit, answers={"5.1": "no"}, handling="on_site",
                                rectification_order={"deadline": today_cst().isoformat()})
    assert "rectification_order" in _errors(inspector.post(URL, json=with_order))
    doc = new_inspection(unit, answers={"5.1": "no"}, handling="on_site")
    body = inspector.post(URL, json=doc).get_json()
    assert body["handling_label"] == "当场整改" and body["rectification_order"] is None
    assert [f["rectified"] for f in body["findings"]] == [True]


# --- order numbers -------------------------------------------------------------------------

def test_two_phones_of_one_county_reserve_distinct_blocks_of_numbers(inspector, login_as):
    colleague = login_as("inspector", "510104")
    first = inspector.post(BLOCKS, json={"device_id": str(uuid.uuid4()), "size": 3})
    second = colleague.post(BLOCKS, json={"device_id": str(uuid.uuid4()), "size": 3})
    assert first.status_code == second.status_code == 201
    a, b = first.get_json(), second.get_json()
    assert a["numbers"] == [f"锦市监责改〔{YEAR}〕000{n}号" for n in (1, 2, 3)]
    assert b["numbers"] == [f"锦市监责改〔{YEAR}〕000{n}号" for n in (4, 5, 6)]
    assert a["default_deadline_days"] == 15 and a["max_deadline_days"] >= 15


def test_the_prefix_is_configured_per_jurisdiction(app, inspector):
    app.config["ORDER_NUMBER_PREFIXES"] = {"510104": "锦江市监责改"}
    try:
        block = inspector.post(BLOCKS, json={"device_id": str(uuid.uuid4()), "size": 1}).get_json()
    finally:
        app.config["ORDER_NUMBER_PREFIXES"] = {}
    assert block["numbers"] == [f"锦江市监责改〔{YEAR}〕0001号"]


def test_an_order_without_a_number_gets_the_next_one_and_a_voided_one_is_never_reused(
        inspector, unit, new_inspection):
    reserved = inspector.post(BLOCKS, json={"device_id": str(uuid.uuid4()), "size": 2}).get_json()
    deadline = (today_cst() + timedelta(days=10)).isoformat()
    doc = new_inspection(unit, answers={"7.4": "no"}, handling="rectify",
                         rectification_order={"number": reserved["numbers"][0], "deadline": deadline})
    assert inspector.post(URL, json=doc).status_code == 201
    assert inspector.delete(f"{URL}/{doc['id']}", json={"reason": "误录"}).status_code == 204
    again = new_inspection(unit, answers={"7.4": "no"}, handling="rectify",
                           rectification_order={"deadline": deadline})
    order = inspector.post(URL, json=again).get_json()["rectification_order"]
    assert order["number"] == f"锦市监责改〔{YEAR}〕0003号"  # after the phone's block, not 0001
    reuse = new_inspection(unit, answers={"7.4": "no"}, handling="rectify",
                           rectification_order={"number": reserved["numbers"][0], "deadline": deadline})
    assert _errors(inspector.post(URL, json=reuse))["rectification_order"]["number"] == [
        "该责令改正通知书编号已被使用。"]


def test_a_deadline_beyond_the_configured_limit_is_refused_at_its_field(app, inspector, unit,
                                                                         new_inspection):
    app.config["ORDER_DEADLINE_MAX_DAYS"] = 60
    try:
        doc = new_inspection(unit, when="2026-03-02T09:30:00+08:00", answers={"7.4": "no"},
                             handling="rectify",
                             rectification_order={"deadline": (date(2026, 3, 2) + timedelta(days=61)).isoformat()})
        errors = _errors(inspector.post(URL, json=doc))
    finally:
        app.config["ORDER_DEADLINE_MAX_DAYS"] = 366
    assert errors["rectification_order"]["deadline"] == ["整改期限不能超过检查日期后 60 天。"]


# --- the inspector's account ---------------------------------------------------------------

def test_an_inspector_keeps_their_name_and_badge_number_on_the_account(inspector):
    r = inspector.patch("/api/v1/auth/me", json={"display_name": "王检查", "badge_no": "51010400077"})
    assert r.status_code == 200 and r.get_json()["badge_no"] == "51010400077"
    me = inspector.get("/api/v1/auth/me").get_json()
    assert (me["display_name"], me["badge_no"]) == ("王检查", "51010400077")
    assert "display_name" in _errors(inspector.patch("/api/v1/auth/me", json={"display_name": ""}))
    cleared = inspector.patch("/api/v1/auth/me", json={"badge_no": ""}).get_json()
    assert cleared["badge_no"] is None


# --- registering a unit found on site ------------------------------------------------------

def _stall(client_id: str, **extra) -> dict:
    return {"client_id": client_id, "kind": "unlicensed", "name": "校门口流动烧烤摊",
            "jurisdiction_code": "510104", "address": "锦江区某小学东门外", **extra}


def test_a_unit_registered_on_site_is_stored_once_however_often_the_phone_retries(
        inspector, login_as, new_inspection):
    client_id = str(uuid.uuid4())
    first = inspector.post("/api/v1/units", json=_stall(client_id))
    again = inspector.post("/api/v1/units", json=_stall(client_id))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert first.get_json()["client_id"] == client_id
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 1
    other = inspector.post("/api/v1/units", json=_stall(client_id, name="另一个摊位"))
    assert other.status_code == 409 and other.get_json()["reason"] == "unit_client_id_conflict"
    stranger = login_as("inspector", "510302")
    hidden = stranger.post("/api/v1/units", json=_stall(client_id, jurisdiction_code="510302"))
    assert hidden.status_code == 409
    unit = db.session.get(Unit, first.get_json()["id"])
    inspection = inspector.post(URL, json=new_inspection(unit, handling="pass"))
    assert inspection.status_code == 201 and inspection.get_json()["unit"]["id"] == unit.id


# --- history: corrections and the void ------------------------------------------------------

def test_the_history_shows_each_correction_and_the_void_with_who_when_and_why(
        inspector, unit, new_inspection):
    doc = new_inspection(unit)
    inspector.post(URL, json=doc)
    fixed = {**new_inspection(unit, answers={"7.4": "no"}), "id": doc["id"],
             "started_at": doc["started_at"], "reason": "漏记留样问题", "base_revision": 1}
    assert inspector.put(f"{URL}/{doc['id']}", json=fixed).status_code == 200
    assert inspector.delete(f"{URL}/{doc['id']}", json={"reason": "重复录入"}).status_code == 204
    history = inspector.get(f"{URL}/{doc['id']}/history").get_json()
    assert history["voided"] is True and history["delete_reason"] == "重复录入"
    assert history["deleted_by"] == inspector.user.display_name and history["deleted_at"]
    assert [r["revision"] for r in history["revisions"]] == [1, 2]
    assert history["revisions"][1]["reason"] == "漏记留样问题"
    assert "answers.7.4.answer" in {c["field"] for c in history["revisions"][1]["changes"]}
    assert inspector.get(f"{URL}/{doc['id']}").status_code == 404  # gone from the records


# --- statistics ----------------------------------------------------------------------------

def _table(code="510104"):
    return statistics.compute_table(code, parse_period(f"{YEAR}"), today_cst()).values


def test_problems_corrected_on_the_spot_count_in_the_c_rows_without_an_order(
        inspector, unit, new_inspection):
    doc = new_inspection(unit, answers={"6.1": "no"}, handling="on_site",
                         extra_findings=[{"category": "cleaning", "description": "抹布未消毒"}])
    assert inspector.post(URL, json=doc).status_code == 201
    values = _table()
    assert (values["C1"], values["C3"], values["D1"], values["D2"]) == (1, 1, 1, 0)


def test_a_corrected_record_counts_as_corrected_and_a_voided_one_not_at_all(
        inspector, unit, new_inspection):
    doc = new_inspection(unit, answers={"6.1": "no"})
    inspector.post(URL, json=doc)
    assert (_table()["C1"], _table()["C2"]) == (1, 0)
    fixed = {**new_inspection(unit, answers={"7.1": "no"}), "id": doc["id"],
             "started_at": doc["started_at"], "reason": "录错项目", "base_revision": 1}
    assert inspector.put(f"{URL}/{doc['id']}", json=fixed).status_code == 200
    values = _table()
    assert (values["C1"], values["C2"], values["D1"]) == (0, 1, 1)
    inspector.delete(f"{URL}/{doc['id']}", json={"reason": "误录"})
    values = _table()
    assert (values["C1"], values["C2"], values["D1"], values["D2"]) == (0, 0, 0, 0)


def test_a_correction_from_on_site_to_a_written_order_leaves_the_problems_open(
        inspector, unit, new_inspection):
    doc = new_inspection(unit, answers={"5.1": "no"}, handling="on_site")
    inspector.post(URL, json=doc)
    fixed = {**doc, "handling": "rectify", "reason": "现场未能整改",
             "rectification_order": {"deadline": (today_cst() + timedelta(days=15)).isoformat()},
             "base_revision": 1}
    body = inspector.put(f"{URL}/{doc['id']}", json=fixed).get_json()
    assert [f["rectified"] for f in body["findings"]] == [None]
    assert body["rectification_order"]["number"].startswith("锦市监责改〔")
