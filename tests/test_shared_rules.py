"""Rules every reader shares answer the same everywhere: a supply link's dates, a revoked licence,
and what "overdue" means — in the school's unit list, the unit page, the order list and the daily
overdue job."""

from __future__ import annotations

from datetime import date, timedelta

from foodsafety.extensions import db
from foodsafety.rectification.models import RectificationOrder
from foodsafety.rectification.rules import is_overdue, overdue_on
from foodsafety.timeutil import today_cst
from tests.test_rectification import issue


def test_a_school_no_longer_sees_a_supplier_whose_link_has_ended(login_as, make_school, make_unit,
                                                                 make_link):
    school = make_school(jurisdiction="510104")
    make_unit("canteen", "510104", school=school)
    former = make_unit("supplier", "510104", name="旧配送公司")
    current = make_unit("supplier", "510104", name="新配送公司")
    make_link(former, school, starts_on=date(2020, 9, 1), ends_on=date(2021, 7, 15))
    make_link(current, school, starts_on=date(2021, 9, 1))
    account = login_as("school", school=school)
    listed = {u["name"] for u in account.get("/api/v1/units?kind=supplier").get_json()["items"]}
    assert listed == {"新配送公司"}
    assert account.get(f"/api/v1/units/{former.id}").status_code == 404
    suppliers = [s["supplier"]["name"] for s in account.get("/api/v1/school-view/suppliers").get_json()]
    assert suppliers == ["新配送公司"]


def test_a_licence_revoked_by_a_case_reads_revoked_until_the_revocation_is_withdrawn(
        login_as, make_unit):
    unit = make_unit("periphery", "510104")
    inspector = login_as("inspector", "510104")
    assert inspector.get(f"/api/v1/units/{unit.id}").get_json()["licence_status"] == "valid"
    day = (today_cst() - timedelta(days=2)).isoformat()
    case = inspector.post("/api/v1/cases", json={"case_no": "锦市监罚〔2026〕1号", "unit_id": unit.id,
                                                 "filed_on": day, "licence_revoked_on": day}).get_json()
    shown = inspector.get(f"/api/v1/units/{unit.id}").get_json()
    assert (shown["licence_status"], shown["licence_status_label"], shown["licence_revoked_on"]) == (
        "revoked", "已吊销", day)
    inspector.patch(f"/api/v1/cases/{case['id']}", json={"licence_revoked_on": None})
    assert inspector.get(f"/api/v1/units/{unit.id}").get_json()["licence_status"] == "valid"


def test_overdue_means_the_same_in_the_list_on_the_order_and_in_the_daily_job(
        login_as, make_school, make_unit, new_inspection):
    inspector = login_as("inspector", "510104")
    canteens = [make_unit("canteen", "510104", school=make_school()) for _ in range(3)]
    late = issue(inspector, canteens[0], new_inspection, number="A-1", days_ago=20, deadline_in=5)
    due_today = issue(inspector, canteens[1], new_inspection, number="A-2", days_ago=5, deadline_in=5)
    closed = issue(inspector, canteens[2], new_inspection, number="A-3", days_ago=20, deadline_in=5)
    order = db.session.get(RectificationOrder, closed["rectification_order"]["id"])
    order.status, order.closed_on = "closed", today_cst() - timedelta(days=3)  # closed late
    db.session.commit()

    listed = {o["number"] for o in inspector.get("/api/v1/rectification-orders?overdue=true")
              .get_json()["items"]}
    flagged = {o["number"] for o in inspector.get("/api/v1/rectification-orders").get_json()["items"]
               if o["overdue"]}
    assert listed == flagged == {"A-1"}
    assert due_today["rectification_order"]["overdue"] is False  # the deadline day is still in time
    # A day when the closed order was still open: it was overdue then, in SQL and in Python alike.
    then = today_cst() - timedelta(days=4)
    overdue_then = {o.number for o in db.session.query(RectificationOrder).filter(overdue_on(then))}
    assert overdue_then == {"A-1", "A-3"}
    assert {o.number for o in db.session.query(RectificationOrder) if is_overdue(o, then)} == overdue_then
    assert late["rectification_order"]["overdue"] is True
