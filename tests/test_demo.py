"""The demo province: `flask demo load` gives every role a login that works and a plausible year
of records, loads only once, and leaves nothing behind when it fails."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import selectinload

from foodsafety.accounts.models import Role, User
from foodsafety.demo_data import load as demo_load
from foodsafety.demo_data.accounts import DEMO_LOGINS
from foodsafety.enforcement.models import EnforcementCase
from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.rectification.models import OrderStatus, Recheck, RectificationOrder, RectificationReport
from foodsafety.registry.models import Jurisdiction, JurisdictionClosure, School, SupplyLink, Unit
from foodsafety.timeutil import today_cst
from forms import evaluate, forms
from tests.database import DIVISIONS, clear_tables
from tests.factories import full_login

SIZE = "0.1"  # a tenth of the full demo keeps the test quick; the shape is the same


@pytest.fixture
def demo(app):
    """Run `flask demo …`; afterwards put the jurisdiction tree back to the fixtures' slice."""
    runner = app.test_cli_runner()
    yield lambda *args: runner.invoke(args=["demo", *args])
    db.session.rollback()
    clear_tables()
    keep = [code for code, _ in DIVISIONS]
    db.session.execute(delete(JurisdictionClosure).where(or_(
        JurisdictionClosure.ancestor_code.notin_(keep),
        JurisdictionClosure.descendant_code.notin_(keep))))
    for level in (3, 2):
        db.session.execute(delete(Jurisdiction).where(Jurisdiction.code.notin_(keep),
                                                      Jurisdiction.level == level))
    db.session.commit()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def printed_logins(output: str) -> dict[str, str]:
    """username → password, read from the table the command prints."""
    found = {}
    for line in output.splitlines():
        cells = line.split()
        for login in DEMO_LOGINS:
            if login.username in cells and login.username not in found:
                found[login.username] = cells[cells.index(login.username) + 1]
    return found


def test_every_role_logs_in_with_the_printed_password(demo, client):
    result = demo("load", "--size", SIZE)
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5000/" in result.output
    logins = printed_logins(result.output)
    assert set(logins) == {login.username for login in DEMO_LOGINS}
    tokens = {}
    for username, password in logins.items():
        r, _ = full_login(client, username, password)  # admins and auditors enrol an authenticator
        assert r.status_code == 200, r.get_json()
        tokens[r.get_json()["user"]["role"]] = r.get_json()["token"]
    assert set(tokens) == {role.value for role in Role}

    # The school account belongs to a 锦江区 school with inspected canteens and an open order.
    headers = {"Authorization": f"Bearer {tokens['school']}"}
    page = client.get("/api/v1/inspections", headers=headers).get_json()
    assert page["total"] >= 3
    assert {item["unit"]["kind"] for item in page["items"]} == {"canteen"}
    school = db.session.scalar(select(User).where(User.role == Role.SCHOOL,
                                                  User.username.in_(logins))).school
    assert school.jurisdiction_code == "510104"
    orders = db.session.scalars(select(RectificationOrder).join(Unit).where(
        Unit.school_id == school.id)).all()
    assert any(o.status == OrderStatus.OPEN and o.deadline >= today_cst() for o in orders)


def test_the_demo_is_a_plausible_year_in_a_real_province(demo):
    demo("load", "--size", SIZE)
    today = today_cst()
    assert db.session.get(Jurisdiction, "510781").name == "江油市"  # the whole bundled province
    assert 25 <= count(School) <= 80
    kinds = Counter(db.session.scalars(select(Unit.kind)).all())
    assert set(kinds) == {"canteen", "supplier", "periphery", "unlicensed"}
    assert kinds["canteen"] >= count(School)
    assert count(SupplyLink) > 0

    # Each unit visited one to six times in the past year, never in the future.
    visits = db.session.execute(select(Inspection.unit_id, func.count()).group_by(
        Inspection.unit_id)).all()
    assert len(visits) == count(Unit)
    assert all(1 <= n <= 6 for _, n in visits)
    first, last = db.session.execute(select(func.min(Inspection.inspected_on),
                                            func.max(Inspection.inspected_on))).one()
    assert (today - first).days <= 366 and last <= today

    # Every stored result is what the form's rule says about the stored answers.
    results = Counter()
    for inspection in db.session.scalars(select(Inspection).options(
            selectinload(Inspection.answers), selectinload(Inspection.findings))):
        definition = forms.get(inspection.form_id, inspection.form_version)
        extra = sum(f.item_code is None for f in inspection.findings)  # each a failed general item
        graded = evaluate(definition, {a.item_code: a.answer.value for a in inspection.answers},
                          extra)
        assert inspection.result.value == graded.result
        assert inspection.items_checked == graded.items_checked
        results[graded.result] += 1
    assert set(results) == {"compliant", "basic", "noncompliant"}
    assert results["compliant"] > results["basic"] > results["noncompliant"]

    # Orders: numbered per county, some closed after a re-inspection, some overdue.
    orders = db.session.scalars(select(RectificationOrder)).all()
    numbers = Counter((o.jurisdiction_code, o.number) for o in orders)
    assert numbers and max(numbers.values()) == 1
    assert any(o.status == OrderStatus.CLOSED for o in orders)
    assert any(o.status != OrderStatus.CLOSED and o.deadline < today for o in orders)
    assert count(Recheck) > 0 and count(RectificationReport) > 0

    cases = db.session.scalars(select(EnforcementCase)).all()
    assert 4 <= len(cases) <= 60
    assert sum(c.licence_revoked_on is not None for c in cases) == 1
    assert any(c.banned_on for c in cases)
    assert any(c.transferred_on for c in cases) and any(c.criminal_filed_on for c in cases)
    fined = [c for c in cases if c.fine_yuan]
    assert fined and all(isinstance(c.fine_yuan, Decimal) for c in fined)
    total = db.session.scalar(select(func.sum(EnforcementCase.fine_yuan
                                              + EnforcementCase.confiscated_yuan)))
    assert Decimal(total) == sum(c.fine_yuan + c.confiscated_yuan for c in cases)


def test_a_second_load_adds_nothing_and_prints_the_logins_again(demo):
    demo("load", "--size", SIZE)
    before = {model: count(model) for model in (User, School, Unit, Inspection, EnforcementCase)}
    again = demo("load", "--size", SIZE)
    assert again.exit_code == 0, again.output
    assert "未重复载入" in again.output
    assert set(printed_logins(again.output)) == {login.username for login in DEMO_LOGINS}
    assert {model: count(model) for model in before} == before


def test_a_database_with_real_data_is_left_alone(demo, make_school):
    make_school(name="已有学校")
    result = demo("load", "--size", SIZE)
    assert "未载入演示数据" in result.output
    assert count(User) == 0 and count(School) == 1


def test_a_load_that_fails_halfway_leaves_nothing(demo, monkeypatch):
    def broken(_demo):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(demo_load, "create_inspections", broken)  # after the registry is written
    result = demo("load", "--size", SIZE)
    assert result.exit_code != 0
    assert "未写入任何数据" in result.output
    db.session.rollback()
    assert count(User) == count(School) == count(Inspection) == 0



def test_the_bureau_downloads_the_last_reported_half_year_right_after_loading(app, demo, client):
    """The demo holds what the scheduler would have reported over its year: the latest half-year
    final is there, built by the scheduler's own job, and the demo bureau downloads its workbook."""
    from foodsafety.scheduler.jobs import month_day
    from foodsafety.scheduler.models import JobRun

    result = demo("load", "--size", SIZE)
    assert result.exit_code == 0, result.output
    today = today_cst()
    due = {f"{year}-H1": month_day(app.config, "SCHEDULE_H1_FINAL", year) for year in (today.year - 1, today.year)}
    half = max(key for key, day in due.items() if today - timedelta(days=365) <= day <= today)
    run = db.session.scalar(select(JobRun).where(JobRun.job == "h1_final", JobRun.period_key == half))
    assert run is not None and run.status.value == "succeeded"

    bureau = next(login for login in DEMO_LOGINS if login.username == "demo_bureau")
    token = client.post("/api/v1/auth/login", json={"username": bureau.username,
                                                    "password": bureau.password}).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    listed = client.get(f"/api/v1/statistics/snapshots?jurisdiction=510100&period={half}&kind=final",
                        headers=auth).get_json()["items"]
    assert len(listed) == 1
    download = client.get(f"/api/v1/statistics/snapshots/{listed[0]['id']}/workbook.xlsx", headers=auth)
    assert download.status_code == 200
    assert download.data[:2] == b"PK"
