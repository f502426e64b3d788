"""Who reads which tables: the readable jurisdiction, the snapshots in scope, the period asked for."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement

from foodsafety.accounts.models import Role, User
from foodsafety.errors import ApiError, invalid, not_found
from foodsafety.extensions import db
from foodsafety.periods import Period, parse_period
from foodsafety.registry.models import Jurisdiction
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
