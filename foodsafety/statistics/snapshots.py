"""Snapshots: a computed table stored once, never changed; built on request (within a daily
quota) or by the scheduled job, listed and read within the user's subtree."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from foodsafety import transactions
from foodsafety.accounts.models import User
from foodsafety.errors import ApiError, invalid, not_found
from foodsafety.extensions import db
from foodsafety.periods import Period
from foodsafety.registry.models import Jurisdiction
from foodsafety.statistics import compute
from foodsafety.statistics.access import resolve_period, snapshot_scope
from foodsafety.statistics.definition import TABLE
from foodsafety.statistics.models import StatsSnapshot
from foodsafety.statistics.results import TableResult
from foodsafety.statistics.schemas import BreakdownColumnSchema
from foodsafety.timeutil import CST, utcnow
from foodsafety.vocabulary import SnapshotKind


def _refusal(total: TableResult) -> ApiError:
    return ApiError(422, "统计表未通过错误级校验规则，不能生成定稿。",
                    errors={"validation": [issue["message"] for issue in total.errors]},
                    reason="validation_failed")


def _check_kind(kind: str) -> None:
    if kind not in SnapshotKind.codes():
        raise invalid({"kind": ["快照类型应为 draft（草稿）或 final（定稿）。"]})


def _next_version(code: str, period: Period) -> int:
    latest = db.session.scalar(select(func.max(StatsSnapshot.version)).where(
        StatsSnapshot.jurisdiction_code == code, StatsSnapshot.period_key == period.key))
    return (latest or 0) + 1


def _store(result: compute.Breakdown, period: Period, kind: str, data_as_of: datetime,
           built_by: User | None) -> StatsSnapshot:
    """Store one snapshot of an already computed table (flushes; 409 on a concurrent build)."""
    total = result.total
    code = total.jurisdiction_code
    snapshot = StatsSnapshot(
        jurisdiction_code=code, period_key=period.key, cutoff=total.cutoff,
        data_as_of=data_as_of, definition_version=TABLE.version, kind=SnapshotKind(kind),
        version=_next_version(code, period), figures=total.figures_json(),
        context=dict(total.context),
        breakdown=BreakdownColumnSchema(many=True).dump(result.column_list()),
        validation=total.issues, coverage=total.coverage,
        uninspected=[unit.stored() for unit in compute.uninspected_list(code, period, total.cutoff)],
        built_by_id=built_by.id if built_by else None, built_at=utcnow())
    try:
        with transactions.savepoint():  # a concurrent build of the same version undoes only this
            db.session.add(snapshot)
            db.session.flush()
    except IntegrityError:
        raise ApiError(409, "同时有其他人在生成该报表的快照，请重试。",
                       reason="concurrent_snapshot") from None
    return snapshot


def check_build_quota(code: str, period_key: str, kind: str) -> None:
    """429 once a jurisdiction and period has had its day's share of snapshots built on request.

    Every snapshot is an immutable full copy (figures, breakdown, up to 10,000 uninspected
    units) that may be cited by its id, so none is ever deleted; what is bounded instead is how
    many users may build per jurisdiction, period and China day (`SNAPSHOT_DRAFTS_PER_DAY`,
    `SNAPSHOT_FINALS_PER_DAY`). Scheduled builds (no `built_by`) are not counted."""
    _check_kind(kind)
    limit = current_app.config["SNAPSHOT_FINALS_PER_DAY" if kind == "final" else
                               "SNAPSHOT_DRAFTS_PER_DAY"]
    now = datetime.now(UTC)
    midnight = datetime.combine(now.astimezone(CST).date(), time(), CST)
    built = db.session.scalar(select(func.count()).select_from(StatsSnapshot).where(
        StatsSnapshot.jurisdiction_code == code, StatsSnapshot.period_key == period_key,
        StatsSnapshot.kind == SnapshotKind(kind), StatsSnapshot.built_by_id.is_not(None),
        StatsSnapshot.built_at >= midnight.astimezone(UTC).replace(tzinfo=None)))
    if built >= limit:
        wait = midnight + timedelta(days=1) - now
        raise ApiError(429, f"该区划本期统计表今天已生成 {built} 份{SnapshotKind(kind).label}快照，已达每日上限"
                            f"（{limit} 份）。请使用已生成的快照，或明天再生成。",
                       reason="snapshot_quota",
                       headers={"Retry-After": str(int(wait.total_seconds()) + 1)})


def subtree(root_code: str, period_key: str, cutoff: date | None = None) -> compute.Subtree:
    """Every node's table of a subtree, for a scheduled run that snapshots each node."""
    if db.session.get(Jurisdiction, root_code) is None:
        raise not_found()
    period, cutoff = resolve_period(period_key, cutoff)
    return compute.compute_subtree(root_code, period, cutoff)


def build_snapshot(jurisdiction_code: str, period_key: str, cutoff: date | None = None, *,
                   kind: str = "draft", built_by: User | None = None,
                   subtree: compute.Subtree | None = None) -> StatsSnapshot:
    """Compute and store an immutable snapshot; a `final` one must pass every error rule.

    With `subtree` (from `subtree()` over an ancestor, same period and cutoff) the figures come
    from there instead of being computed again."""
    if db.session.get(Jurisdiction, jurisdiction_code) is None:
        raise not_found()
    _check_kind(kind)
    if subtree is not None and jurisdiction_code in subtree.tables:
        period, data_as_of = subtree.period, subtree.data_as_of
        result = subtree.breakdown(jurisdiction_code)
    else:
        period, cutoff = resolve_period(period_key, cutoff)
        data_as_of = utcnow()
        result = compute.breakdown(jurisdiction_code, period, cutoff)
    if kind == "final" and result.total.has_errors:
        raise _refusal(result.total)
    return _store(result, period, kind, data_as_of, built_by)


def get_snapshot(user: User, snapshot_id: int) -> StatsSnapshot:
    """A snapshot of the user's subtree, else 404."""
    snapshot = db.session.scalar(select(StatsSnapshot).where(
        StatsSnapshot.id == snapshot_id, snapshot_scope(user)))
    if snapshot is None:
        raise not_found()
    return snapshot


def list_snapshots(user: User, args: dict) -> Select:
    """Snapshots of the user's subtree, newest first (filters: jurisdiction, period, kind)."""
    query = (select(StatsSnapshot).where(snapshot_scope(user))
             .order_by(StatsSnapshot.built_at.desc(), StatsSnapshot.id.desc()))
    if code := args.get("jurisdiction"):
        query = query.where(StatsSnapshot.jurisdiction_code == code)
    if period := args.get("period"):
        query = query.where(StatsSnapshot.period_key == period)
    if kind := args.get("kind"):
        query = query.where(StatsSnapshot.kind == SnapshotKind(kind))
    return query
