"""Writes racing each other (real threads, one connection each): whatever a unique key or a
rule guards lands once; the others hear 409/422 naming the field — never a 500, never twice.

A busy SQLite may also answer 503 (retry); such a request wrote nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from foodsafety.enforcement.models import EnforcementCase
from foodsafety.extensions import db
from foodsafety.inspections.models import Finding
from foodsafety.rectification import services as rectification
from foodsafety.rectification.models import (
    OrderStatus,
    Recheck,
    RectificationOrder,
    RectificationReport,
)
from foodsafety.registry import services as registry
from foodsafety.registry.models import School, SupplyLink, Unit
from foodsafety.timeutil import today_cst
from tests.factories import ApiClient, licence_for

THREADS = 6
ORDERS = "/api/v1/rectification-orders"


def race(app, api: ApiClient, calls: list[Callable]) -> list:
    """Run each call(client) in its own thread, all released at once; the responses in order."""
    start = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def run(index: int, call: Callable) -> None:
        client = ApiClient(app.test_client(), api.token, api.user)
        start.wait(timeout=60)
        answers[index] = call(client)

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    db.session.remove()
    return answers


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def one_winner(answers, field_path: tuple[str, ...]) -> None:
    statuses = [r.status_code for r in answers]
    assert statuses.count(201) == 1, statuses
    for r in answers:
        if r.status_code in (409, 422):
            errors = r.get_json()["errors"]
            for key in field_path:
                errors = errors[key]
            assert errors, r.get_json()
        else:
            assert r.status_code in (201, 503), (r.status_code, r.get_json())


def test_one_school_name_registered_at_once_by_many_admins_is_stored_once(app, login_as,
                                                                         monkeypatch):
    """All of them pass the duplicate check before any inserts (a barrier right after it)."""
    checked_together = threading.Barrier(THREADS)
    original = registry._unique_school

    def check_then_wait(*args, **kwargs):
        original(*args, **kwargs)
        checked_together.wait(timeout=60)

    monkeypatch.setattr(registry, "_unique_school", check_then_wait)
    admin = login_as("admin", "510104")
    body = {"name": "锦江区同名小学", "stage": "primary", "jurisdiction_code": "510104"}
    answers = race(app, admin, [lambda c: c.post("/api/v1/schools", json=body)] * THREADS)
    one_winner(answers, ("name",))
    assert count(School, School.name == "锦江区同名小学") == 1


def test_one_licence_number_registered_at_once_is_stored_once(app, login_as):
    admin = login_as("admin", "510104")
    licence = licence_for("periphery", "510104", 424242)

    def register(n: int):
        return lambda c: c.post("/api/v1/units", json={
            "kind": "periphery", "name": f"小吃店{n}", "jurisdiction_code": "510104",
            "licence_no": licence, "licence_issued_on": "2025-01-01",
            "licence_expires_on": "2030-01-01"})

    answers = race(app, admin, [register(n) for n in range(THREADS)])
    one_winner(answers, ("licence_no",))
    assert count(Unit, Unit.licence_no == licence) == 1


def test_one_case_number_filed_at_once_is_stored_once(app, login_as, make_unit):
    unit_id = make_unit("periphery", "510104").id
    inspector = login_as("inspector", "510104")
    body = {"case_no": "锦市监罚〔2026〕1号", "unit_id": unit_id, "filed_on": "2026-03-01"}
    answers = race(app, inspector, [lambda c: c.post("/api/v1/cases", json=body)] * THREADS)
    one_winner(answers, ("case_no",))
    assert count(EnforcementCase) == 1


def test_overlapping_supply_links_recorded_at_once_keep_one(app, login_as, make_unit,
                                                            make_school):
    supplier, school = make_unit("supplier", "510104").id, make_school(jurisdiction="510104").id
    admin = login_as("admin", "510104")

    def link(day: int):
        return lambda c: c.post("/api/v1/supply-links", json={
            "supplier_id": supplier, "school_id": school, "starts_on": f"2026-09-{day:02d}"})

    # Same start (the unique key) and different starts (the no-overlap rule) alike.
    answers = race(app, admin, [link(1), link(1), link(2), link(3), link(4), link(1)])
    one_winner(answers, ("starts_on",))
    assert count(SupplyLink) == 1


def test_one_order_number_issued_at_once_by_two_inspections_is_stored_once(
        app, login_as, make_unit, new_inspection):
    canteens = [make_unit("canteen", "510104") for _ in range(THREADS)]
    inspector = login_as("inspector", "510104")
    order = {"number": "锦市监责改〔2026〕99号", "deadline": today_cst().isoformat()}
    docs = [new_inspection(u, answers={"6.1": "no"}, handling="rectify", rectification_order=order)
            for u in canteens]
    answers = race(app, inspector,
                   [lambda c, d=d: c.post("/api/v1/inspections", json=d) for d in docs])
    one_winner(answers, ("rectification_order", "number"))
    assert count(RectificationOrder) == 1


@pytest.fixture
def order(login_as, make_unit, new_inspection):
    canteen = make_unit("canteen", "510104")
    inspector = login_as("inspector", "510104")
    doc = new_inspection(canteen, answers={"6.1": "no", "9.2": "no"}, handling="rectify",
                         rectification_order={"number": "锦责改7", "deadline": "2026-12-31"})
    body = inspector.post("/api/v1/inspections", json=doc).get_json()
    return {"id": body["rectification_order"]["id"], "canteen": canteen, "inspector": inspector,
            "findings": [f["id"] for f in body["findings"]]}


def test_a_double_tapped_report_is_stored_once_and_every_tap_gets_the_same_answer(
        app, login_as, order):
    school = login_as("school", school=order["canteen"].school)
    body = {"id": str(uuid4()), "text": "已更换消毒柜。"}
    answers = race(app, school, [lambda c: c.post(f"{ORDERS}/{order['id']}/reports", json=body)]
                   * THREADS)
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(201) == 1 and set(statuses) <= {200, 201}, statuses
    assert {tuple(r["id"] for r in a.get_json()["reports"]) for a in answers} == {(body["id"],)}
    assert count(RectificationReport) == 1


def test_of_concurrent_rechecks_of_one_order_only_one_counts(app, order, monkeypatch):
    """All of them read the order before any writes (the barrier in get_order makes sure)."""
    read_together = threading.Barrier(THREADS)
    original = rectification.get_order

    def get_order_then_wait(user, order_id):
        found = original(user, order_id)
        read_together.wait(timeout=60)
        return found

    monkeypatch.setattr(rectification, "get_order", get_order_then_wait)

    def recheck(rectified: bool):
        return lambda c: c.post(f"{ORDERS}/{order['id']}/rechecks", json={
            "checked_on": today_cst().isoformat(), "inspectors": [{"name": "张三"}],
            "results": [{"finding_id": f, "rectified": rectified} for f in order["findings"]]})

    answers = race(app, order["inspector"],
                   [recheck(n % 2 == 0) for n in range(THREADS)])
    statuses = [r.status_code for r in answers]
    assert statuses.count(201) == 1 and set(statuses) <= {201, 409}, statuses
    assert all(r.get_json()["reason"] == "order_changed" for r in answers if r.status_code == 409)
    (stored,) = db.session.scalars(select(Recheck)).all()
    row = db.session.get(RectificationOrder, order["id"])
    assert row.status == (OrderStatus.CLOSED if stored.all_rectified else OrderStatus.OPEN)
    assert {f.rectified for f in db.session.scalars(select(Finding))} == {stored.all_rectified}
