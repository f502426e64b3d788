"""An inspector submits inspections from the phone: derived results, idempotency, corrections."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from foodsafety.extensions import db
from foodsafety.inspections.models import Finding, Inspection, InspectionAnswer, InspectionRevision
from foodsafety.rectification.models import RectificationOrder

URL = "/api/v1/inspections"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def unit(make_unit):
    return make_unit("canteen", "510104")


@pytest.fixture
def inspector(login_as):
    return login_as("inspector", "510104")


# --- the server derives, never trusts -------------------------------------------------------

def test_all_items_passed_is_compliant(inspector, unit, new_inspection):
    r = inspector.post(URL, json=new_inspection(unit))
    assert r.status_code == 201
    body = r.get_json()
    assert (body["result"], body["result_label"]) == ("compliant", "符合")
    assert body["items_checked"] == 41 and body["key_items_checked"] == 9  # 学校食堂, version 2
    assert body["problems_found"] == 0 and body["findings"] == []


def test_exactly_seventy_percent_of_general_items_is_basically_compliant(inspector, unit,
                                                                        new_inspection):
    # 23 general items; 2 not applicable → 21 applicable; 6 failed → 15/21 = 71 %; 7 failed → 66 %.
    # Use 20 applicable instead: 3 N/A, 6 failed → 14/20 = exactly 70 %. (On the version 1
    # checklist, whose 23 general items these counts are made from.)
    v1 = ("canteen", 1)
    general_fail = {c: "no" for c in ("1.1", "2.1", "2.2", "2.3", "4.3", "4.4")}
    na = {c: "na" for c in ("5.1", "5.2", "5.3")}
    r = inspector.post(URL, json=new_inspection(unit, form=v1, answers={**general_fail, **na}))
    body = r.get_json()
    assert body["general_pass_rate"] == 70
    assert body["result"] == "basic"
    one_more = {**general_fail, **na, "5.4": "no"}
    r = inspector.post(URL, json=new_inspection(unit, form=v1, answers=one_more))
    assert r.get_json()["result"] == "noncompliant"


def test_one_key_item_failed_is_basic_two_are_noncompliant(inspector, unit, new_inspection):
    one = inspector.post(URL, json=new_inspection(unit, answers={"9.3": "no"})).get_json()
    assert one["result"] == "basic" and one["key_items_failed"] == 1
    assert one["findings"][0]["category"] == "cleaning" and one["findings"][0]["is_key"]
    two = inspector.post(URL, json=new_inspection(unit, answers={"9.3": "no", "6.1": "no"}))
    assert two.get_json()["result"] == "noncompliant"


def test_all_items_not_applicable_is_compliant_with_nothing_checked(inspector, unit,
                                                                    new_inspection):
    all_na = {a["item"]: "na" for a in new_inspection(unit)["answers"]}
    body = inspector.post(URL, json=new_inspection(unit, answers=all_na)).get_json()
    assert body["result"] == "compliant"
    assert body["items_checked"] == 0 and body["general_pass_rate"] is None


def test_failed_items_become_findings_with_the_forms_category(inspector, make_unit,
                                                             new_inspection):
    supplier = make_unit("supplier", "510104")
    # 10.2: time and temperature from cooking to eating.
    doc = new_inspection(supplier, answers={"10.2": "no", "6.2": "no", "4.4": "no"},
                         extra_findings=[{"category": "distribution", "description": "配送车辆未冷藏"}])
    body = inspector.post(URL, json=doc).get_json()
    categories = sorted(f["category"] for f in body["findings"])
    assert categories == ["distribution", "distribution", "processing", "raw_material"]
    assert body["problems_found"] == 4


def test_server_derived_fields_cannot_be_sent(inspector, unit, new_inspection):
    for field, value in [("result", "compliant"), ("inspector_id", 1), ("created_at", "2020-01-01"),
                         ("jurisdiction", "510105"), ("problems_found", 0)]:
        doc = new_inspection(unit, answers={"9.3": "no", "6.1": "no"}, **{field: value})
        r = inspector.post(URL, json=doc)
        assert r.status_code == 422, field
        assert field in r.get_json()["errors"]
    assert count(Inspection) == 0


def test_fewer_than_two_inspectors_is_a_warning_not_a_rejection(inspector, unit, new_inspection):
    doc = new_inspection(unit, inspectors=[{"name": "张三"}])
    r = inspector.post(URL, json=doc)
    assert r.status_code == 201
    assert [w["field"] for w in r.get_json()["warnings"]] == ["inspectors"]


# --- idempotency ----------------------------------------------------------------------------

def test_same_id_same_body_returns_the_stored_record_and_changes_nothing(inspector, unit,
                                                                        new_inspection):
    doc = new_inspection(unit, answers={"3.1": "no"})
    first = inspector.post(URL, json=doc)
    again = inspector.post(URL, json=doc)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"] == doc["id"]
    assert again.get_json()["findings"] == first.get_json()["findings"]
    assert count(Inspection) == 1 and count(Finding) == 1 and count(InspectionRevision) == 1


def test_equivalent_timestamp_and_answer_order_count_as_the_same_body(inspector, unit,
                                                                     new_inspection):
    doc = new_inspection(unit, when="2026-03-02T09:30:00+08:00")
    inspector.post(URL, json=doc)
    retry = {**doc, "started_at": "2026-03-02T01:30:00Z", "answers": list(reversed(doc["answers"]))}
    assert inspector.post(URL, json=retry).status_code == 200


def test_same_id_different_body_is_409_and_the_original_is_untouched(inspector, unit,
                                                                    new_inspection):
    doc = new_inspection(unit)
    inspector.post(URL, json=doc)
    changed = {**doc, "answers": [{**a, "answer": "no"} if a["item"] == "9.3" else a
                                  for a in doc["answers"]]}
    r = inspector.post(URL, json=changed)
    assert r.status_code == 409
    assert r.get_json()["reason"] == "inspection_id_conflict"
    stored = inspector.get(f"{URL}/{doc['id']}").get_json()
    assert stored["result"] == "compliant" and stored["revision"] == 1


def _submit_concurrently(app, token: str, doc: dict, n: int) -> list[int]:
    statuses: list[int] = []
    barrier = threading.Barrier(n)

    def worker() -> None:
        client = app.test_client()
        barrier.wait()
        r = client.post(URL, json=doc, headers={"Authorization": f"Bearer {token}"})
        statuses.append(r.status_code)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_concurrent_duplicates_store_exactly_one(app, inspector, unit, new_inspection):
    doc = new_inspection(unit, answers={"6.1": "no"}, handling="rectify",
                         rectification_order={"number": "锦市监责改〔2026〕1号",
                                              "deadline": date.today().isoformat()})
    statuses = _submit_concurrently(app, inspector.token, doc, 8)
    assert sorted(statuses).count(201) == 1, statuses
    assert set(statuses) <= {200, 201, 503}, statuses  # 503 = busy, the phone retries
    assert count(Inspection) == 1 and count(RectificationOrder) == 1
    assert count(InspectionAnswer) == len(doc["answers"]) and count(Finding) == 1


# --- China Standard Time --------------------------------------------------------------------

@pytest.mark.parametrize("started_at, expected", [
    ("2026-07-01T00:30:00+08:00", date(2026, 7, 1)),
    ("2026-06-30T16:30:00Z", date(2026, 7, 1)),
    ("2026-06-30T23:30:00+08:00", date(2026, 6, 30)),
    ("2026-06-30T15:30:00+00:00", date(2026, 6, 30)),
    ("2026-06-30T12:30:00-04:00", date(2026, 7, 1)),
])
def test_inspection_date_is_the_china_standard_time_calendar_date(inspector, unit, new_inspection,
                                                                  started_at, expected):
    original = os.environ.get("TZ")
    os.environ["TZ"] = "America/Los_Angeles"  # a server in another zone changes nothing
    time.tzset()
    try:
        body = inspector.post(URL, json=new_inspection(unit, when=started_at)).get_json()
    finally:
        if original is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = original
        time.tzset()
    assert body["inspected_on"] == expected.isoformat()
    assert db.session.scalar(select(Inspection.inspected_on)) == expected


def test_time_without_offset_is_rejected(inspector, unit, new_inspection):
    r = inspector.post(URL, json=new_inspection(unit, when="2026-03-02T09:30:00"))
    assert r.status_code == 422 and "started_at" in r.get_json()["errors"]


# --- corrections and deletion ---------------------------------------------------------------

def test_a_correction_is_a_new_revision_with_who_when_and_what(inspector, unit, new_inspection):
    doc = new_inspection(unit)
    inspector.post(URL, json=doc)
    fixed = {**doc, "reason": "漏记问题", "base_revision": 1, "handling": "on_site", "answers": [
        {**a, "answer": "no", "note": "留样不足"} if a["item"] == "7.4" else a
        for a in doc["answers"]]}
    r = inspector.put(f"{URL}/{doc['id']}", json=fixed)
    assert r.status_code == 200
    assert r.get_json()["revision"] == 2 and r.get_json()["result"] == "basic"
    history = inspector.get(f"{URL}/{doc['id']}/revisions").get_json()
    assert [h["revision"] for h in history] == [1, 2]
    assert history[1]["reason"] == "漏记问题" and history[1]["created_by"]
    changed = {c["field"] for c in history[1]["changes"]}
    assert changed == {"answers.7.4.answer", "answers.7.4.note", "handling"}
    # The original phone retry of revision 1 stays harmless.
    assert inspector.post(URL, json=doc).status_code == 200
    assert count(InspectionRevision) == 2



def _answer(doc: dict, item: str, answer: str, note: str | None = None) -> dict:
    """`doc` with one item answered anew (a failed item corrected on the spot: 当场整改)."""
    handling = "on_site" if answer == "no" else doc["handling"]
    return {**doc, "handling": handling, "answers": [
        {**a, "answer": answer, "note": note} if a["item"] == item else a for a in doc["answers"]]}


def test_a_correction_based_on_an_older_revision_is_refused_with_the_current_one(
        inspector, login_as, unit, new_inspection):
    """Two inspectors open revision 1; the second to save must not silently undo the first."""
    doc = new_inspection(unit)
    inspector.post(URL, json=doc)
    colleague = login_as("inspector", "510104")
    first = inspector.put(f"{URL}/{doc['id']}", json={
        **_answer(doc, "7.4", "no", "留样不足"), "reason": "漏记留样问题", "base_revision": 1})
    assert first.status_code == 200 and first.get_json()["revision"] == 2
    second = colleague.put(f"{URL}/{doc['id']}", json={
        **_answer(doc, "6.1", "no", "消毒柜损坏"), "reason": "漏记消毒问题", "base_revision": 1})
    assert second.status_code == 409, second.get_json()
    body = second.get_json()
    assert body["reason"] == "stale_revision" and body["current_revision"] == 2
    assert "base_revision" in body["errors"]
    record = inspector.get(f"{URL}/{doc['id']}").get_json()
    assert record["revision"] == 2
    assert {a["item"]: a["answer"] for a in record["answers"]}["7.4"] == "no"
    # Based on the current revision, the colleague's correction keeps the first one's change.
    merged = {**_answer(_answer(doc, "7.4", "no", "留样不足"), "6.1", "no", "消毒柜损坏"),
              "reason": "漏记消毒问题", "base_revision": 2}
    r = colleague.put(f"{URL}/{doc['id']}", json=merged)
    assert r.status_code == 200 and r.get_json()["revision"] == 3
    assert count(InspectionRevision) == 3


def test_a_correction_must_name_the_revision_it_corrects(inspector, unit, new_inspection):
    doc = new_inspection(unit)
    inspector.post(URL, json=doc)
    r = inspector.put(f"{URL}/{doc['id']}", json={**_answer(doc, "7.4", "no"), "reason": "更正"})
    assert r.status_code == 422 and "base_revision" in r.get_json()["errors"]


def test_a_retried_correction_is_answered_with_the_record_and_stored_once(inspector, unit,
                                                                        new_inspection):
    doc = new_inspection(unit)
    inspector.post(URL, json=doc)
    fixed = {**_answer(doc, "7.4", "no", "留样不足"), "reason": "漏记问题", "base_revision": 1}
    answers = [inspector.put(f"{URL}/{doc['id']}", json=fixed) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert {r.get_json()["revision"] for r in answers} == {2}
    assert count(InspectionRevision) == 2

def test_deletion_is_soft_and_a_deleted_id_cannot_be_resubmitted(inspector, unit, new_inspection):
    doc = new_inspection(unit)
    inspector.post(URL, json=doc)
    assert inspector.delete(f"{URL}/{doc['id']}", json={"reason": "重复录入"}).status_code == 204
    assert inspector.get(f"{URL}/{doc['id']}").status_code == 404
    assert inspector.get(URL).get_json()["total"] == 0
    r = inspector.post(URL, json=doc)
    assert r.status_code == 410 and r.get_json()["reason"] == "inspection_deleted"
    row = db.session.scalar(select(Inspection))
    assert row.delete_reason == "重复录入" and row.deleted_by_id == inspector.user.id


def test_deleting_needs_a_reason(inspector, unit, new_inspection):
    doc = new_inspection(unit)
    inspector.post(URL, json=doc)
    r = inspector.delete(f"{URL}/{doc['id']}", json={"reason": "  "})
    assert r.status_code == 422
    assert db.session.scalar(select(Inspection.deleted_at)) is None


def test_unknown_or_malformed_inspection_ids_are_404(inspector):
    assert inspector.get(f"{URL}/{uuid.uuid4()}").status_code == 404
    assert inspector.get(f"{URL}/not-a-uuid").status_code == 404


def test_an_id_used_in_another_county_is_a_conflict_that_reveals_nothing(inspector, login_as,
                                                                        make_unit, new_inspection):
    other_unit = make_unit("canteen", "510105")
    doc = new_inspection(other_unit, remarks="青羊区的检查")
    assert login_as("inspector", "510105").post(URL, json=doc).status_code == 201
    r = inspector.post(URL, json=doc)  # the very same document, replayed by another county
    assert r.status_code == 409
    assert "青羊区" not in r.get_data(as_text=True) and "findings" not in r.get_json()
