"""A unit moved to another county takes its history along for reading and correcting, while the
figures of past periods keep the county where each inspection, order and case was made."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection

WHEN = "2026-03-02T09:00:00+08:00"


@pytest.fixture
def moved(login_as, make_unit, new_inspection):
    """A supplier of 锦江区 inspected there (with an order and a case), then moved to 青羊区."""
    supplier = make_unit("supplier", "510104")
    jinjiang = login_as("inspector", "510104")
    doc = new_inspection(supplier, when=WHEN, answers={"6.1": "no"}, handling="rectify",
                         rectification_order={"number": "锦市监责改〔2026〕3号",
                                              "deadline": "2026-03-20"})
    inspection = jinjiang.post("/api/v1/inspections", json=doc).get_json()
    case = jinjiang.post("/api/v1/cases", json={
        "case_no": "锦市监立〔2026〕3号", "unit_id": supplier.id, "filed_on": "2026-03-05"})
    assert case.status_code == 201, case.get_json()
    r = login_as("admin", "510100").patch(f"/api/v1/units/{supplier.id}",
                                          json={"jurisdiction_code": "510105"})
    assert r.status_code == 200 and r.get_json()["jurisdiction_code"] == "510105"
    return {"doc": doc, "inspection": inspection, "order_id": inspection["rectification_order"]["id"],
            "case_id": case.get_json()["id"], "unit_id": supplier.id, "jinjiang": jinjiang,
            "qingyang": login_as("inspector", "510105")}


def _urls(m) -> list[str]:
    return [f"/api/v1/inspections/{m['inspection']['id']}",
            f"/api/v1/inspections/{m['inspection']['id']}/revisions",
            f"/api/v1/rectification-orders/{m['order_id']}", f"/api/v1/cases/{m['case_id']}"]


def test_the_new_countys_staff_read_and_correct_a_moved_units_history(moved):
    qingyang = moved["qingyang"]
    for url in _urls(moved):
        assert qingyang.get(url).status_code == 200, url
    for url in ("/api/v1/inspections", "/api/v1/rectification-orders", "/api/v1/cases",
                "/api/v1/inspections?jurisdiction=510105"):
        assert qingyang.get(url).get_json()["total"] == 1, url
    fixed = {**moved["doc"], "remarks": "补记备注", "reason": "补记", "base_revision": 1}
    r = qingyang.put(f"/api/v1/inspections/{moved['doc']['id']}", json=fixed)
    assert r.status_code == 200 and r.get_json()["revision"] == 2, r.get_json()
    assert qingyang.patch(f"/api/v1/cases/{moved['case_id']}",
                          json={"summary": "移交后补充"}).status_code == 200


def test_the_old_countys_staff_no_longer_read_or_correct_it(moved):
    jinjiang = moved["jinjiang"]
    for url in _urls(moved):
        assert jinjiang.get(url).status_code == 404, url
    for url in ("/api/v1/inspections", "/api/v1/rectification-orders", "/api/v1/cases"):
        assert jinjiang.get(url).get_json()["total"] == 0, url
    fixed = {**moved["doc"], "remarks": "x", "reason": "x", "base_revision": 1}
    assert jinjiang.put(f"/api/v1/inspections/{moved['doc']['id']}", json=fixed
                        ).status_code == 404
    assert jinjiang.patch(f"/api/v1/cases/{moved['case_id']}",
                          json={"summary": "x"}).status_code == 404


def test_past_figures_stay_with_the_county_where_the_work_was_done(moved, login_as):
    fixed = {**moved["doc"], "remarks": "移交后更正", "reason": "更正", "base_revision": 1}
    assert moved["qingyang"].put(f"/api/v1/inspections/{moved['doc']['id']}",
                                 json=fixed).status_code == 200
    db.session.remove()
    assert db.session.scalar(select(Inspection.jurisdiction_code)) == "510104"
    city = login_as("bureau", "510100")

    def rows(county: str) -> dict:
        body = city.get(f"/api/v1/statistics/{county}/2026-H1").get_json()
        return {row["code"]: row["value"] for row in body["rows"]}

    jinjiang, qingyang = rows("510104"), rows("510105")
    # The inspection, its order, its problem and the case were 锦江区's work in 2026-H1.
    assert (jinjiang["D1"], jinjiang["D2"], jinjiang["D3"], jinjiang["C6"]) == (1, 1, 1, 1)
    assert (qingyang["D1"], qingyang["D2"], qingyang["D3"], qingyang["C6"]) == (0, 0, 0, 0)
    # The registry (a stock figure) counts the unit where it is now.
    assert (jinjiang["B1"], qingyang["B1"]) == (0, 1)


def test_the_moved_units_records_show_the_county_where_the_work_was_done(moved):
    qingyang = moved["qingyang"]
    inspection = qingyang.get(f"/api/v1/inspections/{moved['inspection']['id']}").get_json()
    listed = qingyang.get("/api/v1/inspections").get_json()["items"][0]
    order = qingyang.get(f"/api/v1/rectification-orders/{moved['order_id']}").get_json()
    case = qingyang.get(f"/api/v1/cases/{moved['case_id']}").get_json()
    assert inspection["jurisdiction_code"] == listed["jurisdiction_code"] == "510104"
    assert order["jurisdiction_code"] == case["jurisdiction_code"] == "510104"
