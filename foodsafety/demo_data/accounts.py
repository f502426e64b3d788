"""The demo's accounts: one login per role to print, plus the colleagues the data needs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from foodsafety.accounts.auth import hash_password
from foodsafety.accounts.models import User
from foodsafety.accounts.passwords import password_problems
from foodsafety.demo_data.context import Demo, SchoolPlan
from foodsafety.demo_data.names import COUNTIES, GIVEN, SURNAMES
from foodsafety.extensions import db
from foodsafety.vocabulary import Role


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    username: str
    password: str
    jurisdiction_code: str | None  # None: the demo school's own


DEMO_LOGINS = (
    DemoLogin(Role.ADMIN, "demo_admin", "Sichuan#2026", "510000"),
    DemoLogin(Role.INSPECTOR, "demo_inspector", "Jinjiang#2026", "510104"),
    DemoLogin(Role.BUREAU, "demo_bureau", "Chengdu#2026", "510100"),
    DemoLogin(Role.SCHOOL, "demo_school", "Xuexiao#2026", None),
    DemoLogin(Role.AUDITOR, "demo_auditor", "Shenji#2026", "510000"),
)
LOGINS = {login.role: login for login in DEMO_LOGINS}
MARKER_USERNAME = LOGINS[Role.ADMIN].username  # its presence means the demo is loaded


def _hash(demo: Demo, login: DemoLogin) -> str:
    """Each distinct password is checked against the policy and hashed once (scrypt is slow)."""
    if login.password not in demo.hashes:
        problems = password_problems(login.password, login.username)
        if problems:  # a developer changed a demo password: say so before anything is written
            raise ValueError(f"演示密码 {login.password} 不符合密码策略：{''.join(problems)}")
        demo.hashes[login.password] = hash_password(login.password)
    return demo.hashes[login.password]


def _user(demo: Demo, login: DemoLogin, username: str, display_name: str, code: str,
          school_id: int | None = None) -> User:
    user = User(username=username, display_name=display_name, password_hash=_hash(demo, login),
                role=login.role, jurisdiction_code=code, school_id=school_id, active=True)
    db.session.add(user)
    return user


def person(demo: Demo) -> str:
    """A plausible Chinese personal name."""
    return demo.rng.choice(SURNAMES) + demo.rng.choice(GIVEN)


def create_staff(demo: Demo) -> None:
    """The province admin and auditor, the bureaus and one inspector account per demo county."""
    admin, inspector, bureau = LOGINS[Role.ADMIN], LOGINS[Role.INSPECTOR], LOGINS[Role.BUREAU]
    auditor = LOGINS[Role.AUDITOR]
    demo.admin = _user(demo, admin, admin.username, "四川省市场监管局管理员", admin.jurisdiction_code)
    _user(demo, auditor, auditor.username, "四川省市场监管局审计员", auditor.jurisdiction_code)
    _user(demo, bureau, bureau.username, "成都市教育局", bureau.jurisdiction_code)
    _user(demo, bureau, "bureau_510300", "自贡市教育局", "510300")
    _user(demo, bureau, "bureau_510700", "绵阳市教育局", "510700")
    for county in COUNTIES:
        username = inspector.username if county == inspector.jurisdiction_code else \
            f"inspector_{county}"
        name = f"{demo.names[county]}市场监管局 {person(demo)}"
        demo.inspectors[county] = _user(demo, inspector, username, name, county)
    db.session.flush()
    demo.counts["users"] += 5 + len(COUNTIES)


def school_account(demo: Demo, school: SchoolPlan) -> User:
    """The account of a school (created when it first needs one, e.g. to report a rectification)."""
    if school.id not in demo.school_users:
        login = LOGINS[Role.SCHOOL]
        username = login.username if school.id == demo.demo_school_id else f"school_{school.id:04d}"
        demo.school_users[school.id] = _user(demo, login, username, school.name, school.county,
                                             school.id)
        db.session.flush()
        demo.counts["users"] += 1
    return demo.school_users[school.id]


def demo_logins() -> list[dict]:
    """The printed logins: role label, username, password and where the account belongs."""
    users = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_([login.username for login in DEMO_LOGINS])))}
    rows = []
    for login in DEMO_LOGINS:
        user = users.get(login.username)
        where = ""
        if user is not None:
            where = user.school.name if user.school else user.jurisdiction.name
        rows.append({"role": Role(login.role).label, "username": login.username,
                     "password": login.password, "where": where})
    return rows
