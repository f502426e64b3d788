"""Hostile input, by class: each case gets a clean 4xx in the one error shape and stores nothing;
payloads that are merely odd text are stored as text and come out as text."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from foodsafety.enforcement.models import EnforcementCase
from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.registry.models import School, Unit
from foodsafety.timeutil import today_cst

CONTROL_PAYLOADS = ["\x00", "a\x1b[2Jb", "\u202egnp.exe", "\x7f", "\x85"]
LINE_BREAKS = ["a\r\nb", "a\nb", "\tlead"]
INJECTIONS = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1", "-2", "@SUM(A1:A9)",
              "'; DROP TABLE units; --", "<script>alert(1)</script>", "../../etc/passwd"]


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def admin(login_as):
    return login_as("admin", "510100")


@pytest.fixture
def inspector(login_as):
    return login_as("inspector", "510104")


# Every text field of the main write endpoints refuses control characters (and line breaks where
# a single line is expected), naming the field; nothing is stored.
TEXT_FIELDS = {
    "school": ("/api/v1/schools", School,
               lambda ctx: {"name": "学校", "stage": "primary", "jurisdiction_code": "510104",
                            "address": "地址"},
               ["name", "address"]),
    "unit": ("/api/v1/units", Unit,
             lambda ctx: {"kind": "unlicensed", "name": "摊贩", "jurisdiction_code": "510104",
                          "address": "地址"},
             ["name", "address"]),
    "case": ("/api/v1/cases", EnforcementCase,
             lambda ctx: {"case_no": "C-1", "unit_id": ctx["unit"].id,
                          "filed_on": (today_cst() - timedelta(days=1)).isoformat(),
                          "summary": "摘要"},
             ["case_no"]),
}


@pytest.mark.parametrize("payload", CONTROL_PAYLOADS + LINE_BREAKS)
@pytest.mark.parametrize("endpoint", TEXT_FIELDS)
def test_control_characters_in_text_fields_are_refused(admin, inspector, make_unit, endpoint,
                                                        payload):
    url, model, body, fields = TEXT_FIELDS[endpoint]
    ctx = {"unit": make_unit("canteen", "510104")}
    client = inspector if endpoint == "case" else admin
    before = rows(model)
    for field in fields:
        r = client.post(url, json={**body(ctx), field: f"正常{payload}文本"})
        assert r.status_code == 422, (field, r.get_json())
        assert field in r.get_json()["errors"]
    assert rows(model) == before


@pytest.mark.parametrize("payload", CONTROL_PAYLOADS)
def test_control_characters_anywhere_in_an_inspection_are_refused(inspector, make_unit,
                                                                   new_inspection, payload):
    unit = make_unit("canteen", "510104")
    for mutate in (
        lambda d: d["inspectors"][0].update(name=f"张{payload}三"),
        lambda d: d["answers"][0].update(note=f"说明{payload}"),
        lambda d: d.update(remarks=f"备注{payload}"),
        lambda d: d.update(extra_findings=[{"category": "other", "description": f"问题{payload}"}]),
    ):
        doc = new_inspection(unit)
        mutate(doc)
        assert inspector.post("/api/v1/inspections", json=doc).status_code == 422
    assert rows(Inspection) == 0


@pytest.mark.parametrize("payload", INJECTIONS)
def test_sql_and_formula_payloads_are_stored_and_searched_as_plain_text(admin, payload):
    r = admin.post("/api/v1/units", json={"kind": "unlicensed", "name": payload,
                                          "jurisdiction_code": "510104"})
    assert r.status_code == 201
    assert r.get_json()["name"] == payload
    found = admin.get("/api/v1/units", query_string={"q": payload}).get_json()["items"]
    assert [u["name"] for u in found] == [payload]
    assert rows(Unit) == 1


def test_formula_payloads_come_out_as_text_in_the_statistics_workbook(login_as, make_unit):
    """A unit named like a formula shows up in the workbook's coverage list as inert text."""
    for payload in INJECTIONS[:4] + ["\tTAB", "\rCR"]:
        make_unit("periphery", "510104", name=payload)
    inspector = login_as("inspector", "510104")
    year = today_cst().year
    snapshot = inspector.post(f"/api/v1/statistics/510104/{year}/snapshots",
                              json={"kind": "draft"}).get_json()
    r = inspector.get(f"/api/v1/statistics/snapshots/{snapshot['id']}/workbook.xlsx")
    assert r.status_code == 200
    workbook = load_workbook(io.BytesIO(r.data))
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and any(p.strip() in c.value for p in INJECTIONS[:4])]
    assert len(cells) >= 4
    assert all(c.data_type == "s" for c in cells)
    assert not any(c.data_type == "f" for ws in workbook.worksheets for row in ws.iter_rows()
                   for c in row)


def test_an_internal_error_shows_no_trace_sql_path_or_version_but_a_logged_request_id(
        inspector, monkeypatch, caplog):
    from foodsafety.inspections import queries

    def explode(*_args, **_kwargs):
        raise RuntimeError("SELECT secret FROM users -- /work/main/foodsafety/x.py")

    monkeypatch.setattr(queries, "list_inspections", explode)
    with caplog.at_level(logging.ERROR, logger="foodsafety"):
        r = inspector.get("/api/v1/inspections")
    assert r.status_code == 500
    body = r.get_data(as_text=True)
    for leak in ("SELECT", "Traceback", "/work/", ".py", "RuntimeError", "Werkzeug", "Python"):
        assert leak not in body
    request_id = r.get_json()["request_id"]
    assert any(request_id in record.getMessage() for record in caplog.records)


def test_cors_never_reflects_an_arbitrary_origin(inspector):
    r = inspector.get("/api/v1/auth/me", headers={"Origin": "https://evil.example"})
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers
    assert "Access-Control-Allow-Credentials" not in r.headers
    preflight = inspector.client.options("/api/v1/inspections", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_a_json_body_sent_as_a_form_is_not_half_parsed(inspector, make_unit, new_inspection):
    unit = make_unit("canteen", "510104")
    doc = new_inspection(unit)
    r = inspector.client.post("/api/v1/inspections", data={"id": doc["id"]},
                              headers={"Authorization": f"Bearer {inspector.token}"})
    assert r.status_code == 415
    assert rows(Inspection) == 0
