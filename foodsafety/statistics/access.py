"""Who reads which tables: the readable jurisdiction, the snapshots in scope, the period asked
for, and what the statistics page offers a user to pick."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, select

from foodsafety.accounts.models import Role, User
from foodsafety.errors import ApiError, invalid, not_found
from foodsafety.extensions import db
from foodsafety.periods import Period, parse_period, selectable_periods
from foodsafety.registry.models import Jurisdiction, JurisdictionClosure
from foodsafety.registry.scope import code_within, in_subtree
from foodsafety.statistics.models import StatsSnapshot
from foodsafety.timeutil import today_cst


def _refuse_schools(user: User) -> None:
    if user.role == Role.SCHOOL:
        raise ApiError(403, "学校账户不能查看统计报表。")


def readable_jurisdiction(user: User, code: str) -> Jurisdiction:
    """A jurisdiction in the user's subtree; schools have no access, others' codes are absent."""
    _refuse_schools(user)
    if not (len(code) == 6 and code.isdigit()):
        raise not_found()
    jurisdiction = db.session.get(Jurisdiction, code)
    if jurisdiction is None or not code_within(user.jurisdiction_code, code):
        raise not_found()
    return jurisdiction


def snapshot_scope(user: User) -> ColumnElement[bool]:
    """The snapshots of the user's subtree."""
    _refuse_schools(user)
    return in_subtree(user.jurisdiction_code, StatsSnapshot.jurisdiction_code)


def resolve_period(period_key: str, cutoff: date | None = None) -> tuple[Period, date]:
    """Parse a period key and settle the cutoff: the given day, else the last day reached."""
    try:
        period = parse_period(period_key)
    except ValueError as error:
        raise invalid({"period": [str(error)]}) from None
    if cutoff is None:
        return period, period.cutoff(today_cst())
    if not period.start <= cutoff <= period.end:
        raise invalid({"cutoff": [f"截止日期应在统计期间内（{period.start.isoformat()} 至 "
                                  f"{period.end.isoformat()}）。"]})
    return period, cutoff


@dataclass(frozen=True)
class JurisdictionChoice:
    code: str
    name: str
    level: int
    depth: int  # below the user's own jurisdiction


@dataclass(frozen=True)
class Options:
    """What the statistics page offers a user: the jurisdictions and periods to pick from."""

    jurisdictions: list[JurisdictionChoice]
    periods: list[Period]
    can_build_snapshots: bool

    @property
    def default_period(self) -> str:
        return self.periods[0].key


def may_build_snapshots(user: User) -> bool:
    """Inspectors and administrators build snapshots on request; bureaus read them."""
    return user.role in (Role.INSPECTOR, Role.ADMIN)


def options(user: User) -> Options:
    """The user's subtree in code order (with each node's depth) and the periods begun."""
    _refuse_schools(user)
    rows = db.session.execute(
        select(Jurisdiction.code, Jurisdiction.name, Jurisdiction.level, JurisdictionClosure.depth)
        .join(JurisdictionClosure, JurisdictionClosure.descendant_code == Jurisdiction.code)
        .where(JurisdictionClosure.ancestor_code == user.jurisdiction_code)
        .order_by(Jurisdiction.code)).all()
    return Options([JurisdictionChoice(*row) for row in rows], selectable_periods(today_cst()),
                   may_build_snapshots(user))
