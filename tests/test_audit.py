"""The audit log: logins, refusals, writes and downloads are recorded; entries can't be changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError

from foodsafety.audit.models import AuditEntry
from foodsafety.audit.services import purge
from foodsafety.extensions import db
from foodsafety.timeutil import utcnow
from tests.factories import PASSWORD


def entries(event: str | None = None) -> list[AuditEntry]:
    db.session.expire_all()
    query = select(AuditEntry).order_by(AuditEntry.id)
    if event:
        query = query.where(AuditEntry.event == event)
    return list(db.session.scalars(query))


def test_logins_are_recorded_with_outcome_and_without_the_password(client, make_user):
    make_user(username="zhaoliu")
    client.post("/api/v1/auth/login", json={"username": "zhaoliu", "password": "Wrong#Pass1"})
    client.post("/api/v1/auth/login", json={"username": "zhaoliu", "password": PASSWORD})
    failed, ok = entries("auth.login")
    assert (failed.outcome, failed.username, failed.user_id) == ("failure", "zhaoliu", None)
    assert (ok.outcome, ok.username) == ("success", "zhaoliu") and ok.user_id
    dump = str([(e.detail, e.username) for e in entries()])
    assert PASSWORD not in dump and "Wrong#Pass1" not in dump


def test_crlf_in_a_username_cannot_forge_an_entry(client):
    forged = "mallory\r\n2026-11-27 admin auth.login success"
    client.post("/api/v1/auth/login", json={"username": forged, "password": "x"})
    [entry] = entries("auth.login")
    assert "\r" not in entry.username and "\n" not in entry.username


def test_writes_and_refusals_are_recorded(login_as, make_unit, new_inspection):
    unit = make_unit("canteen", "510104")
    inspector = login_as("inspector", "510104")
    doc = new_inspection(unit)
    inspector.post("/api/v1/inspections", json=doc)
    [write] = entries("inspections.Inspections.post")
    assert (write.outcome, write.object_id, write.user_id) == ("success", doc["id"],
                                                                inspector.user.id)
    assert write.client_ip == "127.0.0.1" and write.request_id
    inspector.get("/api/v1/users")  # inspectors may not manage users
    [denied] = entries("access.denied")
    assert denied.status == 403 and denied.user_id == inspector.user.id


def test_entries_cannot_be_changed_or_deleted_early(login_as):
    login_as("bureau", "510100").post("/api/v1/auth/logout")
    [entry] = entries()
    with pytest.raises(DatabaseError):
        db.session.execute(update(AuditEntry).values(outcome="success", username="someone"))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(text("DELETE FROM audit_log"))
        db.session.flush()
    db.session.rollback()
    assert purge(180) == 0
    db.session.commit()
    assert len(entries()) == 1


def test_purge_keeps_everything_younger_than_180_days(app):
    from sqlalchemy import insert

    with db.engine.begin() as conn:
        for days in (400, 181, 179, 1):
            conn.execute(insert(AuditEntry), {"at": utcnow() - timedelta(days=days),
                                              "event": f"test.{days}", "outcome": "success"})
    assert purge(180) == 2
    db.session.commit()
    assert sorted(e.event for e in entries()) == ["test.1", "test.179"]


def test_auditors_search_the_log_within_their_jurisdiction(login_as):
    city_auditor = login_as("auditor", "510100")
    login_as("inspector", "510104").post("/api/v1/auth/logout")
    login_as("inspector", "510302").post("/api/v1/auth/logout")
    found = city_auditor.get("/api/v1/audit?event=accounts.Logout").get_json()["items"]
    assert [e["jurisdiction_code"] for e in found] == ["510104"]
    assert login_as("inspector", "510104").get("/api/v1/audit").status_code == 403


def test_admins_manage_users_but_cannot_read_or_export_the_audit_log(login_as):
    admin = login_as("admin", "510000")
    for url in ("/api/v1/audit", "/api/v1/audit/export.csv"):
        r = admin.get(url)
        assert r.status_code == 403 and r.get_json()["message"] == "没有权限执行此操作。"


def test_auditors_change_nothing(login_as, make_user):
    auditor = login_as("auditor", "510000")
    user = make_user("inspector", "510104")
    assert auditor.get("/api/v1/users").status_code == 403
    assert auditor.patch(f"/api/v1/users/{user.id}", json={"active": False}).status_code == 403
    assert auditor.get("/api/v1/inspections").status_code == 403
    assert auditor.post("/api/v1/schools", json={"name": "x"}).status_code == 403


def test_failed_logins_belong_to_the_accounts_jurisdiction_and_unknown_names_to_no_one(
        client, login_as, make_user):
    make_user("inspector", "510302", username="zg.someone")
    client.post("/api/v1/auth/login", json={"username": "ZG.Someone", "password": "Wrong#Pass1"})
    client.post("/api/v1/auth/login", json={"username": "nobody.at.all", "password": "Wrong#Pass1"})
    [known, unknown] = entries("auth.login")
    assert (known.jurisdiction_code, known.username, known.user_id) == ("510302", "zg.someone", None)
    assert unknown.jurisdiction_code is None

    def seen(auditor):
        return [e["username"] for e in auditor.get("/api/v1/audit?event=auth.login").get_json()["items"]]

    assert seen(login_as("auditor", "510300")) == ["zg.someone"]
    assert seen(login_as("auditor", "510100")) == []  # another city's account
    assert seen(login_as("auditor", "510000")) == ["zg.someone"]  # never the unknown name


def test_auditors_export_their_jurisdictions_log_as_csv(login_as):
    auditor = login_as("auditor", "510100")
    login_as("inspector", "510104").post("/api/v1/auth/logout")
    login_as("inspector", "510302").post("/api/v1/auth/logout")
    r = auditor.get("/api/v1/audit/export.csv?event=accounts.Logout")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    lines = r.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("时间,用户名") and len(lines) == 2 and ",510104," in lines[1]
    assert entries("audit.export")[0].user_id == auditor.user.id  # the export is audited too


def test_a_formula_in_a_user_name_is_exported_as_text():
    from foodsafety.audit.export import csv_lines

    entry = AuditEntry(at=utcnow(), username="=cmd|' /C calc'!A0", event="auth.login", outcome="failure")
    line = list(csv_lines([entry]))[1].decode()
    assert ",'=cmd" in line
