"""Enforcement cases: filing, exact money, revocation, bans, transfers — all within scope."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from foodsafety.enforcement.models import EnforcementCase
from foodsafety.extensions import db
from foodsafety.timeutil import today_cst

CASES = "/api/v1/cases"


@pytest.fixture
def inspector(login_as):
    return login_as("inspector", "510104")


def days_ago(n: int) -> str:
    return (today_cst() - timedelta(days=n)).isoformat()


def test_a_case_records_its_stages_with_exact_money(inspector, make_unit):
    unit = make_unit("canteen", "510104")
    r = inspector.post(CASES, json={"case_no": "锦市监立〔2026〕12号", "unit_id": unit.id,
                                    "filed_on": days_ago(30)})
    assert r.status_code == 201
    case_id = r.get_json()["id"]
    r = inspector.patch(f"{CASES}/{case_id}", json={
        "decided_on": days_ago(10), "fine_yuan": "12345.67", "confiscated_yuan": 0.1,
        "licence_revoked_on": days_ago(10), "transferred_on": days_ago(5),
        "criminal_filed_on": days_ago(1)})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["fine_yuan"], body["confiscated_yuan"]) == ("12345.67", "0.10")
    stored = db.session.scalar(select(EnforcementCase))
    assert stored.fine_yuan == Decimal("12345.67") and stored.confiscated_yuan == Decimal("0.10")


@pytest.mark.parametrize("amount", ["12.345", "-1", "abc", "NaN", "Infinity", True, [1], "1e400"])
def test_money_must_be_a_non_negative_amount_with_at_most_two_decimals(inspector, make_unit,
                                                                       amount):
    unit = make_unit("canteen", "510104")
    r = inspector.post(CASES, json={"case_no": "X1", "unit_id": unit.id, "filed_on": days_ago(3),
                                    "decided_on": days_ago(1), "fine_yuan": amount})
    assert r.status_code == 422 and "fine_yuan" in r.get_json()["errors"]
    assert db.session.scalar(select(EnforcementCase)) is None


@pytest.mark.parametrize("stage, value, field", [
    ({"decided_on": "future"}, None, "decided_on"),
    ({"decided_on": "before"}, None, "decided_on"),
    ({"criminal_filed_on": "today"}, None, "criminal_filed_on"),
    ({"fine_yuan": "100"}, None, "decided_on"),
    ({"banned_on": "today"}, None, "banned_on"),
])
def test_inconsistent_stages_are_refused(inspector, make_unit, stage, value, field):
    unit = make_unit("canteen", "510104")
    resolve = {"future": (today_cst() + timedelta(days=1)).isoformat(), "before": days_ago(40),
               "today": days_ago(0)}
    payload = {k: resolve.get(v, v) for k, v in stage.items()}
    r = inspector.post(CASES, json={"case_no": "X2", "unit_id": unit.id, "filed_on": days_ago(30),
                                    **payload})
    assert r.status_code == 422 and field in r.get_json()["errors"], r.get_json()


def test_bans_apply_to_unlicensed_operators(inspector, make_unit):
    operator = make_unit("unlicensed", "510104", licensed=False)
    r = inspector.post(CASES, json={"case_no": "X3", "unit_id": operator.id,
                                    "filed_on": days_ago(3), "banned_on": days_ago(1)})
    assert r.status_code == 201


def test_cases_stay_within_the_inspectors_county(inspector, login_as, make_unit):
    other_unit = make_unit("canteen", "510105")
    r = inspector.post(CASES, json={"case_no": "X4", "unit_id": other_unit.id,
                                    "filed_on": days_ago(3)})
    assert r.status_code == 422 and "unit_id" in r.get_json()["errors"]
    qingyang = login_as("inspector", "510105")
    case_id = qingyang.post(CASES, json={"case_no": "Q1", "unit_id": other_unit.id,
                                         "filed_on": days_ago(3)}).get_json()["id"]
    assert inspector.get(f"{CASES}/{case_id}").status_code == 404
    assert inspector.patch(f"{CASES}/{case_id}", json={"summary": "x"}).status_code == 404
    assert login_as("bureau", "510100").get(f"{CASES}/{case_id}").status_code == 200
    assert login_as("bureau", "510300").get(f"{CASES}/{case_id}").status_code == 404


def test_case_numbers_are_unique_within_a_county(inspector, make_unit):
    unit = make_unit("canteen", "510104")
    body = {"case_no": "DUP", "unit_id": unit.id, "filed_on": days_ago(3)}
    assert inspector.post(CASES, json=body).status_code == 201
    r = inspector.post(CASES, json={**body, "unit_id": make_unit("periphery", "510104").id})
    assert r.status_code == 422 and "case_no" in r.get_json()["errors"]


def test_two_counties_may_use_the_same_case_number(inspector, login_as, make_unit):
    """Each county's bureau numbers its own cases, as it numbers its rectification orders."""
    body = {"case_no": "案〔2026〕1号", "filed_on": days_ago(3)}
    assert inspector.post(CASES, json={**body, "unit_id": make_unit("canteen", "510104").id}
                          ).status_code == 201
    qingyang = login_as("inspector", "510105")
    r = qingyang.post(CASES, json={**body, "unit_id": make_unit("canteen", "510105").id})
    assert r.status_code == 201, r.get_json()
    city = login_as("bureau", "510100").get(CASES).get_json()
    assert sorted(c["jurisdiction_code"] for c in city["items"]) == ["510104", "510105"]


def test_a_revoked_licence_is_invalid_from_the_revocation_day(inspector, make_unit):
    unit = make_unit("canteen", "510104")
    assert inspector.get(f"/api/v1/units/{unit.id}").get_json()["licence_status"] == "valid"
    case_id = inspector.post(CASES, json={"case_no": "R1", "unit_id": unit.id,
                                          "filed_on": days_ago(20)}).get_json()["id"]
    inspector.patch(f"{CASES}/{case_id}", json={"decided_on": days_ago(2),
                                                "licence_revoked_on": days_ago(2)})
    body = inspector.get(f"/api/v1/units/{unit.id}").get_json()
    assert (body["licence_status"], body["licence_revoked_on"]) == ("revoked", days_ago(2))
    listed = inspector.get("/api/v1/units").get_json()["items"]
    assert [u["licence_status_label"] for u in listed] == ["已吊销"]
