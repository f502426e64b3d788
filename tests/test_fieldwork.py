"""The inspector's day on the phone, through the API: what is due (tasks), a unit's dossier, the
unit search with each unit's last inspection and open orders, and 复查 from the outbox (sent
twice, counted once; a follow-up deadline; photos)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from uuid import uuid4

import pytest
from PIL import Image
from sqlalchemy import event

from foodsafety.extensions import db
from foodsafety.timeutil import today_cst

ORDERS = "/api/v1/rectification-orders"


@pytest.fixture
def canteen(make_unit, make_school):
    return make_unit("canteen", "510104", school=make_school(name="锦江区实验小学"),
                     name="锦江区实验小学食堂", short_name="实小食堂", address="锦江区红星路二段 8 号")


@pytest.fixture
def inspector(login_as):
    return login_as("inspector", "510104")


def inspect(api, unit, new_inspection, *, days_ago=1, failed=(), order=None, number=None,
            deadline_in=5):
    when = datetime.now().astimezone() - timedelta(days=days_ago)
    extra = {}
    if order or number:
        deadline = today_cst() - timedelta(days=days_ago) + timedelta(days=deadline_in)
        extra = {"handling": "rectify", "rectification_order": {
            "number": number or f"锦市监责改〔2026〕{uuid4().hex[:6]}号", "deadline": deadline.isoformat()}}
    doc = new_inspection(unit, when=when, answers={code: "no" for code in failed}, **extra)
    r = api.post("/api/v1/inspections", json=doc)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def recheck(order, *, rectified=True, **extra):
    return {"id": str(uuid4()), "checked_on": today_cst().isoformat(),
            "inspectors": [{"name": "张三", "badge_no": "51010400001"}],
            "results": [{"finding_id": f["id"], "rectified": rectified, "note": "已更换"}
                        for f in order["findings"]], **extra}


# --- the task list --------------------------------------------------------------------------

def test_the_task_list_shows_reported_overdue_and_uninspected_units_with_counts(
        inspector, login_as, canteen, make_unit, new_inspection):
    reported = inspect(inspector, canteen, new_inspection, days_ago=3, failed=["6.1"], number="R-1",
                       deadline_in=20)["rectification_order"]
    late_unit = make_unit("supplier", "510104", name="蓉城配餐")
    late = inspect(inspector, late_unit, new_inspection, days_ago=30, failed=["6.1"], number="L-1",
                   deadline_in=10)["rectification_order"]
    never = make_unit("supplier", "510104", name="从未检查的配餐公司")
    make_unit("supplier", "510105", name="青羊配餐")  # another county: never on this list
    school = login_as("school", school=canteen.school)
    assert school.post(f"{ORDERS}/{reported['id']}/reports",
                       json={"id": str(uuid4()), "text": "已整改"}).status_code == 201

    r = inspector.get("/api/v1/tasks")
    assert r.status_code == 200
    tasks = r.get_json()
    assert [o["id"] for o in tasks["reported"]] == [reported["id"]]
    assert tasks["reported"][0]["unit"]["name"] == "锦江区实验小学食堂"
    assert [o["id"] for o in tasks["overdue"]] == [late["id"]]
    assert tasks["overdue"][0]["days_overdue"] == 20
    uncovered = [u["name"] for u in tasks["uncovered"]]
    assert uncovered[0] == never.name  # never inspected comes first
    assert "青羊配餐" not in uncovered and canteen.name not in uncovered
    assert tasks["counts"] == {"reported": 1, "overdue": 1, "uncovered": len(uncovered)}
    assert tasks["period"].endswith(("H1", "H2")) and tasks["period_label"].endswith("半年")


def test_an_inspection_last_half_year_does_not_cover_this_one(inspector, canteen, new_inspection):
    start = today_cst().replace(month=1 if today_cst().month <= 6 else 7, day=1)
    inspect(inspector, canteen, new_inspection, days_ago=(today_cst() - start).days + 2)
    tasks = inspector.get("/api/v1/tasks").get_json()
    row = next(u for u in tasks["uncovered"] if u["id"] == canteen.id)
    assert row["last_inspected_on"] == (start - timedelta(days=2)).isoformat()


@pytest.mark.parametrize("role", ["bureau", "school", "admin"])
def test_only_inspectors_have_a_task_list(login_as, canteen, role):
    api = login_as(role, "510104", school=canteen.school if role == "school" else None)
    assert api.get("/api/v1/tasks").status_code == 403


# --- the unit search --------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["实小", "红星路", "实验小学食堂"])
def test_units_are_found_by_short_name_address_or_name(inspector, canteen, make_unit, query):
    make_unit("supplier", "510104", name="蓉城配餐", address="锦江区东大街 1 号")
    names = [u["name"] for u in inspector.get("/api/v1/units", query_string={"q": query}).get_json()["items"]]
    assert names == ["锦江区实验小学食堂"]


def test_units_show_their_last_inspection_and_open_orders(inspector, canteen, make_unit,
                                                          new_inspection):
    inspect(inspector, canteen, new_inspection, days_ago=20)
    latest = inspect(inspector, canteen, new_inspection, days_ago=5, failed=["6.1"], number="O-1")
    fresh = make_unit("supplier", "510104", name="蓉城配餐")
    items = {u["id"]: u for u in inspector.get("/api/v1/units").get_json()["items"]}
    last = items[canteen.id]["last_inspection"]
    assert last == {"id": latest["id"], "date": latest["inspected_on"], "result": latest["result"],
                    "result_label": latest["result_label"]}
    assert items[canteen.id]["open_orders"] == 1
    assert items[fresh.id]["last_inspection"] is None and items[fresh.id]["open_orders"] == 0
    assert inspector.get(f"/api/v1/units/{canteen.id}").get_json()["open_orders"] == 1


def statements_into(statements: list):
    return lambda *args, **_: statements.append(args[2])


def test_the_unit_list_costs_the_same_few_queries_for_any_page(inspector, make_unit, new_inspection,
                                                               app):
    units = [make_unit("canteen", "510104") for _ in range(6)]  # each of its own school
    for unit in units:
        inspect(inspector, unit, new_inspection, failed=["6.1"], number=f"Q-{unit.id}")
    inspector.get("/api/v1/units?per_page=1")  # warm up: the session's first request loads more
    counts = []
    for per_page in (2, 6):
        statements = []
        with app.app_context():
            engine = db.engine
        listener = statements_into(statements)
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert len(inspector.get(f"/api/v1/units?per_page={per_page}").get_json()["items"]) == per_page
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        counts.append(len(statements))
    assert counts[0] == counts[1]


# --- the dossier ----------------------------------------------------------------------------

def test_the_dossier_shows_licence_suppliers_orders_reports_and_history(
        inspector, login_as, canteen, make_unit, make_link, new_inspection):
    supplier = make_unit("supplier", "510104", name="蓉城配餐")
    make_link(supplier, canteen.school)
    inspect(inspector, canteen, new_inspection, days_ago=30)
    body = inspect(inspector, canteen, new_inspection, days_ago=3, failed=["6.1"], number="D-1")
    order_id = body["rectification_order"]["id"]
    school = login_as("school", school=canteen.school)
    school.post(f"{ORDERS}/{order_id}/reports", json={"id": str(uuid4()), "text": "已更换消毒柜"})

    r = inspector.get(f"/api/v1/units/{canteen.id}/dossier")
    assert r.status_code == 200
    dossier = r.get_json()
    assert dossier["unit"]["licence_status"] == "valid" and dossier["unit"]["open_orders"] == 1
    assert dossier["school"]["name"] == "锦江区实验小学"
    assert [s["name"] for s in dossier["served_by"]] == ["蓉城配餐"]
    assert dossier["open_orders"][0]["reports"][0]["text"] == "已更换消毒柜"
    assert dossier["inspections_total"] == 2
    assert dossier["inspections"][0]["id"] == body["id"]
    assert dossier["inspections"][0]["findings"][0]["item"] == "6.1"
    assert dossier["inspections"][0]["revision"] == 1
    supplier_page = inspector.get(f"/api/v1/units/{supplier.id}/dossier").get_json()
    assert [s["name"] for s in supplier_page["serves"]] == ["锦江区实验小学"]


def test_the_dossier_of_a_unit_out_of_scope_is_missing(login_as, canteen):
    assert login_as("inspector", "510105").get(f"/api/v1/units/{canteen.id}/dossier").status_code == 404
    assert login_as("school", school=canteen.school).get(
        f"/api/v1/units/{canteen.id}/dossier").status_code == 403


# --- 复查 ---------------------------------------------------------------------------------------

def test_a_recheck_sent_twice_counts_once(inspector, canteen, new_inspection):
    body = inspect(inspector, canteen, new_inspection, days_ago=3, failed=["6.1"], number="T-1")
    order = inspector.get(f"{ORDERS}/{body['rectification_order']['id']}").get_json()
    sent = recheck(order, rectified=False, new_deadline=(today_cst() + timedelta(days=10)).isoformat())
    first = inspector.post(f"{ORDERS}/{order['id']}/rechecks", json=sent)
    again = inspector.post(f"{ORDERS}/{order['id']}/rechecks", json=sent)
    assert (first.status_code, again.status_code) == (201, 200)
    assert len(again.get_json()["rechecks"]) == 1
    changed = inspector.post(f"{ORDERS}/{order['id']}/rechecks", json={**sent, "note": "另一份"})
    assert changed.status_code == 409


def test_a_recheck_with_findings_left_sets_a_follow_up_deadline(inspector, canteen, new_inspection):
    body = inspect(inspector, canteen, new_inspection, days_ago=3, failed=["6.1"], number="F-1")
    order = inspector.get(f"{ORDERS}/{body['rectification_order']['id']}").get_json()
    new_deadline = (today_cst() + timedelta(days=10)).isoformat()
    r = inspector.post(f"{ORDERS}/{order['id']}/rechecks",
                       json=recheck(order, rectified=False, new_deadline=new_deadline, known_rechecks=0))
    assert r.status_code == 201, r.get_json()
    after = r.get_json()
    assert after["status"] == "open" and after["deadline"] == new_deadline
    assert after["rechecks"][0]["previous_deadline"] == order["deadline"]
    assert after["rechecks"][0]["new_deadline"] == new_deadline


@pytest.mark.parametrize(("days", "rectified", "message"), [
    (0, False, "应晚于复查日期"), (200, False, "不能超过"), (10, True, "无需再限期")])
def test_a_follow_up_deadline_must_make_sense(inspector, canteen, new_inspection, days, rectified,
                                              message):
    body = inspect(inspector, canteen, new_inspection, days_ago=3, failed=["6.1"], number="F-2")
    order = inspector.get(f"{ORDERS}/{body['rectification_order']['id']}").get_json()
    r = inspector.post(f"{ORDERS}/{order['id']}/rechecks", json=recheck(
        order, rectified=rectified, new_deadline=(today_cst() + timedelta(days=days)).isoformat()))
    assert r.status_code == 422
    assert message in r.get_json()["errors"]["new_deadline"][0]
    assert inspector.get(f"{ORDERS}/{order['id']}").get_json()["rechecks"] == []


def test_a_recheck_based_on_a_stale_view_is_refused(inspector, login_as, canteen, new_inspection):
    body = inspect(inspector, canteen, new_inspection, days_ago=3, failed=["6.1"], number="S-1")
    order = inspector.get(f"{ORDERS}/{body['rectification_order']['id']}").get_json()
    colleague = login_as("inspector", "510104")
    assert colleague.post(f"{ORDERS}/{order['id']}/rechecks",
                          json=recheck(order, rectified=False, known_rechecks=0)).status_code == 201
    r = inspector.post(f"{ORDERS}/{order['id']}/rechecks", json=recheck(order, known_rechecks=0))
    assert r.status_code == 409 and r.get_json()["reason"] == "order_changed"
    assert len(inspector.get(f"{ORDERS}/{order['id']}").get_json()["rechecks"]) == 1


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_recheck_carries_photos_uploaded_for_its_order(inspector, login_as, canteen, new_inspection):
    body = inspect(inspector, canteen, new_inspection, days_ago=3, failed=["6.1"], number="P-1")
    order = inspector.get(f"{ORDERS}/{body['rectification_order']['id']}").get_json()

    def upload(target, api=inspector):
        photo_id = str(uuid4())
        r = api.post("/api/v1/photos", content_type="multipart/form-data", data={
            "id": photo_id, "inspection_id": body["id"], "unit_id": str(canteen.id), "target": target,
            "file": (io.BytesIO(_jpeg()), "recheck.jpg", "image/jpeg")})
        return photo_id, r

    good, r = upload(f"recheck:{order['id']}")
    assert r.status_code == 201, r.get_json()
    _, wrong_order = upload("recheck:999999")
    assert wrong_order.status_code == 422
    other, _ = upload("item:6.1")
    sent = recheck(order)
    sent["results"][0]["photo_ids"] = [other]
    refused = inspector.post(f"{ORDERS}/{order['id']}/rechecks", json=sent)
    assert refused.status_code == 422
    assert "results" in refused.get_json()["errors"]
    sent = recheck(order)
    sent["results"][0]["photo_ids"] = [good]
    r = inspector.post(f"{ORDERS}/{order['id']}/rechecks", json=sent)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["status"] == "closed"
    assert r.get_json()["rechecks"][0]["results"][0]["photo_ids"] == [good]
