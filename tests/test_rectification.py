"""Rectification orders: issued at an inspection, overdue lists, school reports, re-inspection."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import uuid4

import pytest

from foodsafety.timeutil import today_cst

ORDERS = "/api/v1/rectification-orders"


@pytest.fixture
def canteen(make_unit, make_school):
    return make_unit("canteen", "510104", school=make_school(name="锦江区实验小学"))


@pytest.fixture
def inspector(login_as):
    return login_as("inspector", "510104")


def issue(inspector, unit, new_inspection, *, number="锦市监责改〔2026〕7号", days_ago=10,
          deadline_in=5):
    when = datetime.now().astimezone() - timedelta(days=days_ago)
    deadline = (today_cst() - timedelta(days=days_ago) + timedelta(days=deadline_in)).isoformat()
    doc = new_inspection(unit, when=when, answers={"6.1": "no", "9.2": "no"}, handling="rectify",
                         rectification_order={"number": number, "deadline": deadline})
    r = inspector.post("/api/v1/inspections", json=doc)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_an_inspection_ordering_rectification_creates_the_order(inspector, canteen,
                                                                new_inspection):
    body = issue(inspector, canteen, new_inspection)
    order = body["rectification_order"]
    assert order["number"] == "锦市监责改〔2026〕7号" and order["status"] == "open"
    assert order["issued_on"] == body["inspected_on"]


def test_order_numbers_are_unique_within_a_county(inspector, canteen, new_inspection):
    issue(inspector, canteen, new_inspection)
    doc = new_inspection(canteen, handling="rectify",
                         rectification_order={"number": "锦市监责改〔2026〕7号",
                                              "deadline": today_cst().isoformat()})
    r = inspector.post("/api/v1/inspections", json=doc)
    assert r.status_code == 422
    assert "number" in r.get_json()["errors"]["rectification_order"]


def test_overdue_orders_are_listed_per_jurisdiction(inspector, login_as, canteen, make_unit,
                                                    new_inspection):
    issue(inspector, canteen, new_inspection, number="A-1", days_ago=10, deadline_in=5)  # overdue
    issue(inspector, canteen, new_inspection, number="A-2", days_ago=2, deadline_in=10)  # not yet
    other = login_as("inspector", "510105")
    issue(other, make_unit("canteen", "510105"), new_inspection, number="Q-1", days_ago=10,
          deadline_in=5)
    city = login_as("bureau", "510100")
    overdue = city.get(f"{ORDERS}?overdue=true").get_json()["items"]
    assert sorted(o["number"] for o in overdue) == ["A-1", "Q-1"]
    county = inspector.get(f"{ORDERS}?overdue=true").get_json()["items"]
    assert [o["number"] for o in county] == ["A-1"]
    assert city.get(f"{ORDERS}?overdue=true&jurisdiction=510105").get_json()["total"] == 1


def test_school_reports_and_the_recheck_closes_the_order(inspector, login_as, canteen,
                                                          new_inspection):
    body = issue(inspector, canteen, new_inspection)
    order_id = body["rectification_order"]["id"]
    school = login_as("school", school=canteen.school)
    r = school.post(f"{ORDERS}/{order_id}/reports", json={"id": str(uuid4()),
                                                          "text": "已更换消毒柜，补齐进货查验记录。"})
    assert r.status_code == 201 and r.get_json()["status"] == "reported"
    findings = inspector.get(f"{ORDERS}/{order_id}").get_json()["findings"]
    assert inspector.get(f"{ORDERS}/{order_id}").get_json()["reports"][0]["text"].startswith("已更换")
    partial = inspector.post(f"{ORDERS}/{order_id}/rechecks", json={
        "checked_on": today_cst().isoformat(), "inspectors": [{"name": "张三"}, {"name": "李四"}],
        "results": [{"finding_id": findings[0]["id"], "rectified": True},
                    {"finding_id": findings[1]["id"], "rectified": False}]})
    assert partial.status_code == 201 and partial.get_json()["status"] == "open"
    done = inspector.post(f"{ORDERS}/{order_id}/rechecks", json={
        "checked_on": today_cst().isoformat(), "inspectors": [{"name": "张三"}, {"name": "李四"}],
        "results": [{"finding_id": f["id"], "rectified": True} for f in findings]})
    assert done.get_json()["status"] == "closed"
    assert done.get_json()["closed_on"] == today_cst().isoformat()
    detail = inspector.get(f"/api/v1/inspections/{body['id']}").get_json()
    assert all(f["rectified"] for f in detail["findings"])


def test_a_recheck_must_judge_every_finding(inspector, canteen, new_inspection):
    body = issue(inspector, canteen, new_inspection)
    order_id = body["rectification_order"]["id"]
    finding = body["findings"][0]
    r = inspector.post(f"{ORDERS}/{order_id}/rechecks", json={
        "checked_on": today_cst().isoformat(), "inspectors": [{"name": "张三"}],
        "results": [{"finding_id": finding["id"], "rectified": True}]})
    assert r.status_code == 422 and "results" in r.get_json()["errors"]


def test_another_school_cannot_see_or_answer_the_order(inspector, login_as, canteen, make_school,
                                                        new_inspection):
    order_id = issue(inspector, canteen, new_inspection)["rectification_order"]["id"]
    stranger = login_as("school", school=make_school(name="别的学校"))
    assert stranger.get(f"{ORDERS}/{order_id}").status_code == 404
    assert stranger.post(f"{ORDERS}/{order_id}/reports", json={"id": str(uuid4()), "text": "x"}).status_code == 404
    assert stranger.get(ORDERS).get_json()["total"] == 0


def test_an_inspector_of_another_county_cannot_recheck(inspector, login_as, canteen,
                                                        new_inspection):
    order_id = issue(inspector, canteen, new_inspection)["rectification_order"]["id"]
    other = login_as("inspector", "510105")
    r = other.post(f"{ORDERS}/{order_id}/rechecks", json={
        "checked_on": date.today().isoformat(), "inspectors": [{"name": "x"}],
        "results": [{"finding_id": 1, "rectified": True}]})
    assert r.status_code == 404


def test_a_report_sent_again_with_its_id_is_stored_once(inspector, login_as, canteen,
                                                         new_inspection):
    order_id = issue(inspector, canteen, new_inspection)["rectification_order"]["id"]
    school = login_as("school", school=canteen.school)
    report = {"id": str(uuid4()), "text": "已更换消毒柜。"}
    first = school.post(f"{ORDERS}/{order_id}/reports", json=report)
    again = school.post(f"{ORDERS}/{order_id}/reports", json=report)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json() == again.get_json()
    assert len(again.get_json()["reports"]) == 1
    changed = school.post(f"{ORDERS}/{order_id}/reports", json={**report, "text": "另一份报告"})
    assert changed.status_code == 409 and changed.get_json()["reason"] == "report_id_conflict"
    missing_id = school.post(f"{ORDERS}/{order_id}/reports", json={"text": "已整改"})
    assert missing_id.status_code == 422 and "id" in missing_id.get_json()["errors"]


def test_an_order_without_open_findings_is_closed_by_a_recheck_with_no_results(
        inspector, canteen, new_inspection):
    deadline = today_cst().isoformat()
    doc = new_inspection(canteen, when=datetime.now().astimezone() - timedelta(days=3),
                         handling="rectify", rectification_order={"number": "无问题1",
                                                                  "deadline": deadline})
    body = inspector.post("/api/v1/inspections", json=doc).get_json()
    assert body["findings"] == []
    order_id = body["rectification_order"]["id"]
    r = inspector.post(f"{ORDERS}/{order_id}/rechecks", json={
        "checked_on": today_cst().isoformat(), "inspectors": [{"name": "张三"}], "results": []})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["status"] == "closed"


def test_a_recheck_judges_the_findings_still_open(inspector, canteen, new_inspection):
    body = issue(inspector, canteen, new_inspection)
    order_id = body["rectification_order"]["id"]
    first, second = (f["id"] for f in body["findings"])
    recheck = {"checked_on": today_cst().isoformat(), "inspectors": [{"name": "张三"}]}
    partial = inspector.post(f"{ORDERS}/{order_id}/rechecks", json={**recheck, "results": [
        {"finding_id": first, "rectified": True}, {"finding_id": second, "rectified": False}]})
    assert partial.get_json()["status"] == "open"
    done = inspector.post(f"{ORDERS}/{order_id}/rechecks", json={
        **recheck, "results": [{"finding_id": second, "rectified": True}]})
    assert done.status_code == 201 and done.get_json()["status"] == "closed"


def test_a_correction_cannot_carry_an_order_with_a_report_to_another_schools_canteen(
        inspector, login_as, canteen, make_unit, make_school, new_inspection):
    body = issue(inspector, canteen, new_inspection)
    order_id = body["rectification_order"]["id"]
    school = login_as("school", school=canteen.school)
    assert school.post(f"{ORDERS}/{order_id}/reports",
                       json={"id": str(uuid4()), "text": "已整改完毕。"}).status_code == 201
    other_canteen = make_unit("canteen", "510104", school=make_school(name="另一所小学"))
    other_school = login_as("school", school=other_canteen.school)
    doc = {**new_inspection(canteen, answers={"6.1": "no", "9.2": "no"}, handling="rectify",
                            rectification_order={"number": "锦市监责改〔2026〕7号",
                                                 "deadline": body["rectification_order"]["deadline"]}),
           "id": body["id"], "started_at": body["started_at"], "unit_id": other_canteen.id,
           "reason": "录错单位", "base_revision": 1}
    r = inspector.put(f"/api/v1/inspections/{body['id']}", json=doc)
    assert r.status_code == 409 and "unit_id" in r.get_json()["errors"], r.get_json()
    assert other_school.get(f"{ORDERS}/{order_id}").status_code == 404
    assert school.get(f"{ORDERS}/{order_id}").get_json()["reports"][0]["text"] == "已整改完毕。"


def test_a_correction_may_move_an_order_without_reports_or_rechecks_to_the_right_unit(
        inspector, canteen, make_unit, new_inspection):
    body = issue(inspector, canteen, new_inspection)
    right = make_unit("canteen", "510104")
    doc = {**new_inspection(canteen, answers={"6.1": "no", "9.2": "no"}, handling="rectify",
                            rectification_order={"number": "锦市监责改〔2026〕7号",
                                                 "deadline": body["rectification_order"]["deadline"]}),
           "id": body["id"], "started_at": body["started_at"], "unit_id": right.id,
           "reason": "录错单位", "base_revision": 1}
    r = inspector.put(f"/api/v1/inspections/{body['id']}", json=doc)
    assert r.status_code == 200, r.get_json()
    order = inspector.get(f"{ORDERS}/{body['rectification_order']['id']}").get_json()
    assert order["unit"]["id"] == right.id


def test_a_correction_to_on_site_rectification_withdraws_the_order_and_a_later_one_issues_it_again(
        inspector, canteen, new_inspection):
    body = issue(inspector, canteen, new_inspection)
    order = body["rectification_order"]
    doc = {**new_inspection(canteen, answers={"6.1": "no", "9.2": "no"}, handling="on_site"),
           "id": body["id"], "started_at": body["started_at"], "reason": "现场已整改", "base_revision": 1}
    r = inspector.put(f"/api/v1/inspections/{body['id']}", json=doc)
    assert r.status_code == 200 and r.get_json()["rectification_order"] is None, r.get_json()
    assert inspector.get(f"{ORDERS}/{order['id']}").status_code == 404
    assert inspector.get(f"/api/v1/inspections/{body['id']}").get_json()["rectification_order"] is None

    again = {**doc, "handling": "rectify", "base_revision": 2, "reason": "仍需整改",
             "rectification_order": {"number": order["number"], "deadline": order["deadline"]}}
    r = inspector.put(f"/api/v1/inspections/{body['id']}", json=again)
    assert r.status_code == 200 and r.get_json()["rectification_order"]["number"] == order["number"]
