"""Fixtures: an app on a throwaway database (SQLite file or a fresh PostgreSQL database),
a small real jurisdiction tree, factories for schools, units and users, and API clients per role.

Run against PostgreSQL with TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test: the
suite creates its own database next to that one and drops it at the end, so parallel runs and
a developer's data never collide.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid as uuidlib
from datetime import date, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import create_engine, delete, select, text
from sqlalchemy.engine import make_url

from config import TestConfig
from foodsafety import create_app
from foodsafety.accounts.auth import hash_password, open_session
from foodsafety.accounts.models import Role, User
from foodsafety.audit.models import SQLITE_GUARDS
from foodsafety.extensions import db
from foodsafety.registry.divisions import load_divisions
from foodsafety.registry.identifiers import iso7064_mod11_10
from foodsafety.registry.models import (
    HaccpStatus,
    Jurisdiction,
    JurisdictionClosure,
    OperationMode,
    School,
    SchoolStage,
    SupplyLink,
    Unit,
    UnitKind,
)
from forms import forms

# A real GB/T 2260 slice: Sichuan, two prefectures, three counties (and Chongqing's quirk).
DIVISIONS = [
    ("510000", "四川省"), ("510100", "成都市"), ("510104", "锦江区"), ("510105", "青羊区"),
    ("510300", "自贡市"), ("510302", "自流井区"),
]
PASSWORD = "Campus#Food2026"


def _database_url(tmp_root: Path) -> tuple[str, callable]:
    """A database of our own for this run and a function that removes it."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        path = tmp_root / "test.sqlite3"
        return f"sqlite:///{path}", lambda: None
    url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"fs_test_{os.getpid()}_{uuidlib.uuid4().hex[:6]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("instance")
    url, drop = _database_url(root)
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=root,
                     PHOTO_DIR=root / "photos")
    with app.app_context():
        db.create_all()
        load_divisions(DIVISIONS)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


KEEP = {Jurisdiction.__tablename__, JurisdictionClosure.__tablename__}


def clear_tables() -> None:
    """Empty every table but the jurisdiction tree (the audit log's delete guard is lifted here)."""
    db.session.remove()
    with db.engine.begin() as conn:
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP]
        if conn.dialect.name == "postgresql":
            # DELETE beats TRUNCATE by 10x on tiny tables; `replica` skips the audit guard trigger.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                conn.execute(delete(table))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_early_delete"))
            for table in tables:
                conn.execute(delete(table))
            conn.execute(text(SQLITE_GUARDS[1]))


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Every test starts from the jurisdiction tree alone (unless it reads a shared world)."""
    if "app" not in request.fixturenames or request.node.get_closest_marker("shared_data"):
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        yield
        clear_tables()


@pytest.fixture
def client(app):
    return app.test_client()


# --- factories ------------------------------------------------------------------------------

_seq = itertools.count(1)
_PASSWORD_HASH: dict[str, str] = {}


def licence_for(kind: str, county: str, seq: int) -> str:
    """A well-formed licence number with a valid check digit for a unit of `kind` in `county`."""
    business = {"canteen": "3", "supplier": "2", "periphery": "2"}[kind]
    body = f"{business}{county}{seq % 1_000_000:06d}"
    return f"JY{body}{iso7064_mod11_10(body)}"


def create_school(name: str | None = None, jurisdiction: str = "510104", stage: str = "primary",
                  **extra) -> School:
    school = School(name=name or f"测试小学{next(_seq)}", stage=SchoolStage(stage),
                    jurisdiction_code=jurisdiction, **extra)
    db.session.add(school)
    db.session.commit()
    return school


def create_unit(kind: str = "canteen", jurisdiction: str = "510104", school: School | None = None,
                licensed: bool = True, issued: date = date(2024, 1, 1),
                expires: date = date(2029, 12, 31), **extra) -> Unit:
    n = next(_seq)
    if kind == "canteen" and school is None:
        school = create_school(jurisdiction=jurisdiction)
    unit = Unit(
        kind=UnitKind(kind), name=extra.pop("name", f"测试单位{n}"),
        jurisdiction_code=jurisdiction, school_id=school.id if school else None,
        operation_mode=OperationMode.SELF_RUN if kind == "canteen" else None,
        licence_no=licence_for(kind, jurisdiction, n) if licensed and kind != "unlicensed"
        else None,
        licence_issued_on=issued if licensed else None,
        licence_expires_on=expires if licensed else None,
        haccp=HaccpStatus(extra.pop("haccp", "none")), **extra)
    db.session.add(unit)
    db.session.commit()
    return unit


def create_link(supplier: Unit, school: School, starts_on: date = date(2024, 1, 1),
                ends_on: date | None = None) -> SupplyLink:
    link = SupplyLink(supplier_id=supplier.id, school_id=school.id, starts_on=starts_on,
                      ends_on=ends_on)
    db.session.add(link)
    db.session.commit()
    return link


def create_user(role: str = "inspector", jurisdiction: str = "510104", school: School | None = None,
                username: str | None = None, password: str = PASSWORD) -> User:
    if password not in _PASSWORD_HASH:
        _PASSWORD_HASH[password] = hash_password(password)
    user = User(username=username or f"{role}{next(_seq)}", display_name=f"{role}用户",
                password_hash=_PASSWORD_HASH[password], role=Role(role),
                jurisdiction_code=school.jurisdiction_code if school else jurisdiction,
                school_id=school.id if school else None)
    db.session.add(user)
    db.session.commit()
    return user


def enrol_totp(user: User) -> str:
    """Give `user` an authenticator (as if enrolled); returns its TOTP secret."""
    secret = pyotp.random_base32()
    user.totp_secret, user.totp_enabled_at = secret, datetime.now()
    db.session.commit()
    return secret


def totp_code(user_id: int, secret: str) -> str:
    """The next code the server has not seen yet: the current step, or the one after the last used."""
    db.session.expire_all()
    last = db.session.scalar(select(User.totp_last_step).where(User.id == user_id))
    step = int(time.time()) // 30
    if last is not None and last >= step:
        step = last + 1  # still within the accepted drift of one step
    return pyotp.TOTP(secret).generate_otp(step)


def full_login(client, username: str, password: str = PASSWORD):
    """Log in through every step a user meets (password, enrolment, code): (answer, secret)."""
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    body = answer.get_json() or {}
    if answer.status_code != 200 or not body.get("challenge"):
        return answer, None
    user = db.session.scalar(select(User).where(User.username == username.lower()))
    secret = user.totp_secret
    if body["two_factor"] == "enrol":
        secret = client.post("/api/v1/auth/login/enrolment",
                             json={"challenge": body["challenge"]}).get_json()["secret"]
    answer = client.post("/api/v1/auth/login/two-factor",
                         json={"challenge": body["challenge"], "code": totp_code(user.id, secret)})
    return answer, secret


@pytest.fixture
def make_school(app):
    return create_school


@pytest.fixture
def make_unit(app):
    return create_unit


@pytest.fixture
def make_link(app):
    return create_link


@pytest.fixture
def make_user(app):
    return create_user


class ApiClient:
    """A test client that sends a user's bearer token and JSON bodies."""

    def __init__(self, client, token: str | None, user: User | None) -> None:
        self.client, self.token, self.user = client, token, user

    def _headers(self, headers: dict | None) -> dict:
        base = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**base, **(headers or {})}

    def get(self, url, **kw):
        return self.client.get(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, url, json=None, **kw):
        return self.client.post(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, url, json=None, **kw):
        return self.client.put(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, url, json=None, **kw):
        return self.client.patch(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, url, json=None, **kw):
        return self.client.delete(url, json=json, headers=self._headers(kw.pop("headers", None)),
                                  **kw)


def session_client(app, role: str = "inspector", jurisdiction: str = "510104",
                   school: School | None = None, user: User | None = None) -> ApiClient:
    """An ApiClient holding a fresh session of `user` (created from role/jurisdiction if absent)."""
    user = user or create_user(role, jurisdiction, school)
    token, _ = open_session(user)
    db.session.commit()
    return ApiClient(app.test_client(), token, user)


@pytest.fixture
def login_as(app):
    """`login_as("inspector", "510104")` → an ApiClient holding that user's session."""

    def login(role: str = "inspector", jurisdiction: str = "510104", school: School | None = None,
              user: User | None = None) -> ApiClient:
        return session_client(app, role, jurisdiction, school, user)

    return login


@pytest.fixture
def anonymous(app):
    return ApiClient(app.test_client(), None, None)


def inspection_doc(unit: Unit, *, when: datetime | str | None = None, answers: dict | None = None,
                   **overrides) -> dict:
    """A complete, valid submission for `unit`: every item 是 unless `answers` says otherwise."""
    definition = forms.latest(unit.kind.value)
    chosen = {code: "yes" for code in definition.items}
    chosen.update(answers or {})
    if when is None:
        when = datetime.now().astimezone() - timedelta(days=1)
    doc = {
        "id": str(uuidlib.uuid4()),
        "unit_id": unit.id,
        "form_id": definition.id,
        "form_version": definition.version,
        "started_at": when if isinstance(when, str) else when.isoformat(),
        "inspectors": [{"name": "张三", "badge_no": "51010400001"},
                       {"name": "李四", "badge_no": "51010400002"}],
        "answers": [{"item": code, "answer": value} for code, value in chosen.items()],
        "observed": {"wuchang_6t": True, "haccp": "none", "mingchu": ["transparent"],
                     "licence_displayed": True},
        "extra_findings": [],
        "handling": "pass",
    }
    doc.update(overrides)
    return doc


@pytest.fixture
def new_inspection():
    return inspection_doc
