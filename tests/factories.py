"""Factories for the records tests need: schools, units, supply links, users (with their
sessions and authenticators) and complete inspection submissions."""

from __future__ import annotations

import itertools
import time
import uuid as uuidlib
from datetime import date, datetime, timedelta

import pyotp
from sqlalchemy import select

from foodsafety.accounts.auth import hash_password, open_session
from foodsafety.accounts.models import Role, User
from foodsafety.extensions import db
from foodsafety.registry.identifiers import iso7064_mod11_10
from foodsafety.registry.models import (
    HaccpStatus,
    OperationMode,
    School,
    SchoolStage,
    SupplyLink,
    Unit,
    UnitKind,
)
from forms import forms

PASSWORD = "Campus#Food2026"

_seq = itertools.count(1)
_PASSWORD_HASH: dict[str, str] = {}


def licence_for(kind: str, county: str, seq: int, business: str | None = None) -> str:
    """A well-formed licence number with a valid check digit for a unit of `kind` in `county`;
    `business` is its type digit (1 食品销售, 2 餐饮服务, 3 单位食堂), by default the kind's usual one."""
    business = business or {"canteen": "3", "supplier": "2", "periphery": "2"}[kind]
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
                expires: date = date(2029, 12, 31), business: str | None = None, **extra) -> Unit:
    n = next(_seq)
    if kind == "canteen" and school is None:
        school = create_school(jurisdiction=jurisdiction)
    unit = Unit(
        kind=UnitKind(kind), name=extra.pop("name", f"测试单位{n}"),
        jurisdiction_code=jurisdiction, school_id=school.id if school else None,
        operation_mode=OperationMode.SELF_RUN if kind == "canteen" else None,
        licence_no=licence_for(kind, jurisdiction, n, business) if licensed and kind != "unlicensed"
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
                username: str | None = None, password: str = PASSWORD,
                display_name: str | None = None) -> User:
    if password not in _PASSWORD_HASH:
        _PASSWORD_HASH[password] = hash_password(password)
    user = User(username=username or f"{role}{next(_seq)}", display_name=display_name or f"{role}用户",
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


def inspection_doc(unit: Unit, *, when: datetime | str | None = None, answers: dict | None = None,
                   form: tuple[str, int] | None = None, **overrides) -> dict:
    """A complete, valid submission for `unit` on the checklist in force for it (or on `form`,
    e.g. `("canteen", 1)`): every item 是 unless `answers` says otherwise; handled 通过 when
    nothing failed, else 当场整改 (unless `handling` says otherwise)."""
    definition = (forms.get(*form) if form else
                  forms.for_unit(unit.kind.value, getattr(unit, "licence_no", None)))
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
    if "handling" not in overrides and ("no" in chosen.values() or doc["extra_findings"]):
        doc["handling"] = "on_site"
    return doc
