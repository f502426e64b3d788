"""Whatever a phone sends, bad input gets a clear 4xx naming the field, and nothing is written."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from foodsafety.extensions import db
from foodsafety.inspections.models import Finding, Inspection, InspectionAnswer, InspectionRevision
from foodsafety.rectification.models import RectificationOrder

URL = "/api/v1/inspections"


@pytest.fixture
def unit(make_unit):
    return make_unit("canteen", "510104")


@pytest.fixture
def inspector(login_as):
    return login_as("inspector", "510104")


def assert_nothing_written() -> None:
    for model in (Inspection, InspectionAnswer, Finding, InspectionRevision, RectificationOrder):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model


def without(doc: dict, key: str) -> dict:
    return {k: v for k, v in doc.items() if k != key}


CASES = {
    "missing unit": (lambda d, u: without(d, "unit_id"), "unit_id"),
    "missing answers": (lambda d, u: without(d, "answers"), "answers"),
    "missing observed": (lambda d, u: without(d, "observed"), "observed"),
    "unit id as string": (lambda d, u: {**d, "unit_id": str(u.id)}, "unit_id"),
    "inspectors not a list": (lambda d, u: {**d, "inspectors": "张三"}, "inspectors"),
    "no inspectors": (lambda d, u: {**d, "inspectors": []}, "inspectors"),
    "bad uuid": (lambda d, u: {**d, "id": "1234"}, "id"),
    "unknown unit": (lambda d, u: {**d, "unit_id": 999999}, "unit_id"),
    "unknown form": (lambda d, u: {**d, "form_id": "canteen", "form_version": 99}, "form_id"),
    "form of another unit kind": (lambda d, u: {**d, "form_id": "supplier"}, "form_id"),
    "future start": (lambda d, u: {**d, "started_at": (datetime.now(UTC)
                                                       + timedelta(days=2)).isoformat()},
                     "started_at"),
    "before the action": (lambda d, u: {**d, "started_at": "2019-12-31T10:00:00+08:00"},
                          "started_at"),
    "unknown checklist item": (lambda d, u: {**d, "answers": d["answers"] + [
        {"item": "99.9", "answer": "yes"}]}, "answers"),
    "duplicated item": (lambda d, u: {**d, "answers": d["answers"] + [d["answers"][0]]},
                        "answers"),
    "missing item": (lambda d, u: {**d, "answers": d["answers"][1:]}, "answers"),
    "answer outside 是/否/合理缺项": (lambda d, u: {**d, "answers": [
        {**a, "answer": "maybe"} for a in d["answers"]]}, "answers"),
    "haccp value": (lambda d, u: {**d, "observed": {**d["observed"], "haccp": "yes"}}, "observed"),
    "mingchu mode": (lambda d, u: {**d, "observed": {**d["observed"], "mingchu": ["glass"]}},
                     "observed"),
    "boolean as string": (lambda d, u: {**d, "observed": {**d["observed"], "wuchang_6t": "true"}},
                          "observed"),
    "distribution at a canteen": (lambda d, u: {**d, "extra_findings": [
        {"category": "distribution", "description": "x"}]}, "extra_findings"),
    "rectify without order": (lambda d, u: {**d, "handling": "rectify"}, "rectification_order"),
    "deadline before inspection": (lambda d, u: {**d, "handling": "rectify", "rectification_order":
                                                 {"number": "A1", "deadline": "2020-01-01"}},
                                   "rectification_order"),
    "control characters in a note": (lambda d, u: {**d, "answers": [
        {**a, "note": "ok\x00\x1b[31m"} for a in d["answers"]]}, "answers"),
    "newline in an inspector's name": (lambda d, u: {**d, "inspectors": [
        {"name": "张三\r\n2026-01-01 admin login"}]}, "inspectors"),
    "overlong remarks": (lambda d, u: {**d, "remarks": "长" * 4001}, "remarks"),
    "null where an object is expected": (lambda d, u: {**d, "observed": None}, "observed"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_document_is_422_naming_the_field(inspector, unit, new_inspection, case):
    mutate, field = CASES[case]
    r = inspector.post(URL, json=mutate(new_inspection(unit), unit))
    assert r.status_code == 422, r.get_json()
    body = r.get_json()
    assert field in body["errors"], body
    assert body["code"] == 422 and body["message"]
    assert_nothing_written()


def test_unit_outside_the_inspectors_jurisdiction_is_refused_as_unknown(inspector, make_unit,
                                                                       new_inspection):
    other = make_unit("canteen", "510105")  # 青羊区, not 锦江区
    r = inspector.post(URL, json=new_inspection(other))
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"unit_id": ["单位不存在或不在您的辖区内。"]}
    assert_nothing_written()


def test_invalid_json_is_400(inspector, unit):
    r = inspector.post(URL, data='{"id": "x",', headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.get_json()["message"] == "请求体不是有效的 JSON。"
    assert_nothing_written()


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/xml"])
def test_wrong_content_type_is_415(inspector, unit, new_inspection, content_type):
    r = inspector.post(URL, data=json.dumps(new_inspection(unit)),
                       headers={"Content-Type": content_type})
    assert r.status_code == 415
    assert_nothing_written()


def test_huge_body_is_413(inspector, unit, new_inspection):
    doc = new_inspection(unit, remarks="x" * (2 * 1024 * 1024))
    r = inspector.post(URL, json=doc)
    assert r.status_code == 413
    assert_nothing_written()


def test_huge_chunked_body_is_413(inspector, unit, new_inspection):
    payload = json.dumps(new_inspection(unit, remarks="x" * (2 * 1024 * 1024))).encode()
    r = inspector.client.open(URL, method="POST", input_stream=io.BytesIO(payload), headers={
        "Authorization": f"Bearer {inspector.token}", "Content-Type": "application/json",
        "Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    assert r.status_code == 413
    assert_nothing_written()


def test_json_that_is_not_an_object_is_422(inspector):
    for body in ("[]", '"text"', "42", "null"):
        r = inspector.post(URL, data=body, headers={"Content-Type": "application/json"})
        assert r.status_code in (400, 422), body
    assert_nothing_written()


def test_deeply_nested_json_is_refused_cleanly(inspector, unit, new_inspection):
    nested = "[" * 100000 + "]" * 100000
    r = inspector.post(URL, data=f'{{"remarks": {nested}}}',
                       headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500
    assert_nothing_written()


def test_every_problem_is_reported_at_once(inspector, unit, new_inspection):
    doc = new_inspection(unit)
    doc["answers"] = doc["answers"][2:] + [{"item": "99.1", "answer": "yes"}]
    doc["started_at"] = "2030-01-01T10:00:00+08:00"
    r = inspector.post(URL, json=doc)
    assert r.status_code == 422
    assert {"answers", "started_at"} <= set(r.get_json()["errors"])
