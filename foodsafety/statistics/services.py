"""The statistics table: compute (one grouped pass per query), break down, snapshot, read.

Public interface (also used by the scheduler and the Excel export):
- `compute_table(code, period, cutoff) -> TableResult`
- `compute_all(root_code, period, cutoff) -> dict[code, TableResult]` (every node of the subtree)
- `breakdown(code, period, cutoff) -> (columns, total)`; columns = [(child_code, name, TableResult)]
- `build_snapshot(code, period_key, cutoff=None, kind="draft"|"final", built_by=None)`
- `snapshot_dict(snapshot)` — the stored snapshot as plain JSON (what the workbook builder takes)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import ColumnElement, Select, func, select, text
from sqlalchemy.exc import IntegrityError

from foodsafety import transactions
from foodsafety.accounts.models import Role, User
from foodsafety.errors import ApiError, invalid, not_found
from foodsafety.extensions import db
from foodsafety.periods import Period, parse_period
from foodsafety.registry.models import Jurisdiction, JurisdictionClosure
from foodsafety.registry.scope import code_within, in_subtree
from foodsafety.statistics import queries, versions
from foodsafety.statistics.cache import table_cache
from foodsafety.statistics.definition import CONTEXT_UNIT_KINDS, TABLE
from foodsafety.statistics.models import StatsSnapshot
from foodsafety.statistics.results import (
    TABLE_ROWS,
    TableResult,
    coverage_json,
    exact_from_json,
    rows_json,
)
from foodsafety.timeutil import CST, iso_cst, today_cst, utcnow
from foodsafety.vocabulary import SnapshotKind

Column = tuple[str, str, TableResult]
T = TypeVar("T")
CONTEXT_KINDS = {kind: key for key, kind in CONTEXT_UNIT_KINDS.items()}
UNINSPECTED_LIMIT = 10_000
SQLITE_CACHE_KIB = 32 * 1024  # units listed in a snapshot; the counts always cover all


# --- computing --------------------------------------------------------------------------------

def _tune_connection() -> None:
    """On SQLite, let this connection cache the index pages a province's table reads (tens of
    MB, against SQLite's default of 2 MB): twice as fast at province scale (bench/)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}"))


def _aggregate(scope: queries.Scope, codes: list[str], period: Period,
               cutoff: date) -> dict[str, TableResult]:
    """Run each grouped query once and assemble the tables of `codes`."""
    _tune_connection()
    results = {code: TableResult(code, period.key, cutoff) for code in codes}

    def rows(query: Select):
        for row in db.session.execute(query).mappings():
            if row["ancestor_code"] in results:
                yield results[row["ancestor_code"]], row

    for result, row in rows(queries.stock_query(scope, cutoff)):
        for key, value in row.items():
            if key in TABLE_ROWS:
                result.values[key] = int(value)
    for table_row in TABLE.rows:
        if table_row.kind == "stock" and table_row.measure:
            query = queries.STOCK_MEASURES[table_row.measure](scope, cutoff)
            for result, row in rows(query):
                result.values[table_row.code] = int(row["n"])

    problem_rows = {(row.unit_kind, row.category): row.code
                    for row in TABLE.rows if row.kind == "problem"}
    for result, row in rows(queries.problems_query(scope, period, cutoff)):
        code = problem_rows.get((row["unit_kind"], _kind(row["category"])))
        if code:
            result.values[code] = int(row["units"])

    flows: dict[str, dict[str, Any]] = {code: {"inspections": 0} for code in codes}
    for result, row in rows(queries.visits_query(scope, period, cutoff)):
        flows[result.jurisdiction_code]["inspections"] += int(row["visits"])
        key = CONTEXT_KINDS.get(row["unit_kind"])
        if key:
            result.context[key] = int(row["units"])
    for query in (queries.orders_query(scope, period, cutoff),
                  queries.cases_query(scope, period, cutoff)):
        for result, row in rows(query):
            flows[result.jurisdiction_code].update(row)
    for code, measures in flows.items():
        result = results[code]
        for table_row in TABLE.rows:
            if table_row.kind != "flow":
                continue
            if table_row.is_money:
                cents = int(measures.get(f"{table_row.measure}_cents") or 0)
                result.values[table_row.code] = Decimal(cents).scaleb(-2)
            else:
                result.values[table_row.code] = int(measures.get(table_row.measure) or 0)

    for result, row in rows(queries.coverage_query(scope, period, cutoff)):
        result.coverage[_kind(row["kind"])] = {
            "units": int(row["units"]), "inspected": int(row["inspected"]), "uninspected": 0}
    return {code: result.finish() for code, result in results.items()}


def _kind(value) -> str:
    return value.value if hasattr(value, "value") else value


def _subtree_codes(root_code: str) -> list[str]:
    return list(db.session.scalars(
        select(JurisdictionClosure.descendant_code)
        .where(JurisdictionClosure.ancestor_code == root_code)
        .order_by(JurisdictionClosure.depth, JurisdictionClosure.descendant_code)))


def _children(code: str) -> list[Jurisdiction]:
    return list(db.session.scalars(
        select(Jurisdiction).where(Jurisdiction.parent_code == code).order_by(Jurisdiction.code)))


def _cached(what: str, code: str, period: Period, cutoff: date, compute: Callable[[], T]) -> T:
    """`compute()`, or its result from the cache while no write has touched what it reads.

    Not cached inside a transaction that has itself changed tracked data: its own uncommitted
    writes are not in the stamp yet."""
    if (not current_app.config["STATS_CACHE_ENTRIES"] or not versions.enabled()
            or versions.has_pending_writes(db.session)):
        return compute()
    key = (what, code, period.key, cutoff, versions.stamp(db.session, cutoff))
    return table_cache().get_or_compute(key, compute)


def compute_table(jurisdiction_code: str, period: Period, cutoff: date) -> TableResult:
    """The table of one jurisdiction (its whole subtree) for `period` as of `cutoff`."""
    scope = queries.Scope(jurisdiction_code, lambda ancestor: ancestor == jurisdiction_code)
    return _cached("table", jurisdiction_code, period, cutoff, lambda: _aggregate(
        scope, [jurisdiction_code], period, cutoff)[jurisdiction_code])


def compute_all(root_code: str, period: Period, cutoff: date) -> dict[str, TableResult]:
    """The tables of every node of `root_code`'s subtree, from one grouped pass per query."""
    codes = _subtree_codes(root_code)
    subtree = select(JurisdictionClosure.descendant_code).where(
        JurisdictionClosure.ancestor_code == root_code)
    return _aggregate(queries.Scope(root_code, lambda ancestor: ancestor.in_(subtree)), codes,
                      period, cutoff)


def breakdown(jurisdiction_code: str, period: Period, cutoff: date
              ) -> tuple[list[Column], TableResult]:
    """One column per direct child plus the total (whose B2 is a distinct count, not a sum)."""
    def compute() -> tuple[list[Column], TableResult]:
        children = _children(jurisdiction_code)
        codes = [jurisdiction_code, *(child.code for child in children)]
        tables = _aggregate(queries.Scope(jurisdiction_code, lambda ancestor: ancestor.in_(codes)),
                            codes, period, cutoff)
        columns = [(child.code, child.name, tables[child.code]) for child in children]
        return columns, tables[jurisdiction_code]

    return _cached("breakdown", jurisdiction_code, period, cutoff, compute)


# --- access and arguments ---------------------------------------------------------------------

def readable_jurisdiction(user: User, code: str) -> Jurisdiction:
    """A jurisdiction in the user's subtree; schools have no access, others' codes are absent."""
    if user.role == Role.SCHOOL:
        raise ApiError(403, "学校账户不能查看统计报表。")
    if not (len(code) == 6 and code.isdigit()):
        raise not_found()
    jurisdiction = db.session.get(Jurisdiction, code)
    if jurisdiction is None or not code_within(user.jurisdiction_code, code):
        raise not_found()
    return jurisdiction


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


def table_json(jurisdiction: Jurisdiction, period: Period, result: TableResult) -> dict:
    """A live table as the API returns it."""
    return {
        "jurisdiction": {"code": jurisdiction.code, "name": jurisdiction.name,
                         "level": jurisdiction.level},
        "period": period_json(period),
        "cutoff": result.cutoff.isoformat(),
        "title": TABLE.title,
        "definition_version": TABLE.version,
        "rows": rows_json(result.values),
        "validation": result.issues,
        "valid": not result.has_errors,
        "context": context_json(result.context),
        "coverage": coverage_json(result.coverage),
    }


def period_json(period: Period) -> dict:
    return {"key": period.key, "label": period.label, "start": period.start.isoformat(),
            "end": period.end.isoformat()}


def context_json(context: dict[str, int]) -> list[dict]:
    return [{"key": key, "label": label, "value": context.get(key, 0)}
            for key, label in TABLE.context.items()]


def _column_json(code: str, name: str, result: TableResult) -> dict:
    """One breakdown column: exact figures and display figures keyed by row code."""
    return {"code": code, "name": name, "figures": result.figures_json(),
            "display": {row.code: str(result.display(row.code)) for row in TABLE.rows}}


def breakdown_json(columns: list[Column], total: TableResult) -> dict:
    """The breakdown as JSON: one column per child, then the total."""
    name = db.session.get(Jurisdiction, total.jurisdiction_code).name
    return {"columns": [_column_json(*column) for column in columns],
            "total": _column_json(total.jurisdiction_code, name, total)}


def breakdown_page(jurisdiction: Jurisdiction, period: Period, columns: list[Column],
                   total: TableResult) -> dict:
    """The breakdown as the API returns it, with the rows it is keyed by."""
    return {
        "jurisdiction": {"code": jurisdiction.code, "name": jurisdiction.name,
                         "level": jurisdiction.level},
        "period": period_json(period),
        "cutoff": total.cutoff.isoformat(),
        "rows": [{"code": row.code, "label": row.label, "unit": row.unit,
                  "section": row.section, "group": row.group} for row in TABLE.rows],
        **breakdown_json(columns, total),
    }


def coverage_counts(code: str, period: Period, cutoff: date) -> list[dict]:
    """Units in scope, inspected and not inspected in the period, per kind (one query)."""
    def compute() -> list[dict]:
        result = TableResult(code, period.key, cutoff)
        scope = queries.Scope(code, lambda ancestor: ancestor == code)
        for row in db.session.execute(queries.coverage_query(scope, period, cutoff)).mappings():
            result.coverage[_kind(row["kind"])] = {
                "units": int(row["units"]), "inspected": int(row["inspected"]), "uninspected": 0}
        return coverage_json(result.finish().coverage)

    return _cached("coverage", code, period, cutoff, compute)


def uninspected_units(code: str, period: Period, cutoff: date, kind: str | None = None) -> Select:
    """The units of the subtree not inspected in the period (a query, for pagination)."""
    return queries.uninspected_units_query(code, period, cutoff, kind)


def uncovered_json(units: list, cutoff: date) -> list[dict]:
    """A page of uninspected units, each with the date of its last inspection (one query)."""
    last = dict(db.session.execute(
        queries.last_inspected_query([u.id for u in units], cutoff)).all()) if units else {}
    return [{"id": unit.id, "name": unit.name, "kind": unit.kind.value,
             "kind_label": unit.kind.label,
             "jurisdiction_code": unit.jurisdiction_code,
             "jurisdiction_name": unit.jurisdiction.name, "licence_no": unit.licence_no,
             "last_inspected_on": last[unit.id].isoformat() if unit.id in last else None}
            for unit in units]


# --- snapshots --------------------------------------------------------------------------------

def _refusal(total: TableResult) -> ApiError:
    return ApiError(422, "统计表未通过错误级校验规则，不能生成定稿。",
                    errors={"validation": [issue["message"] for issue in total.errors]},
                    reason="validation_failed")


def _next_versions(codes: list[str], period: Period) -> dict[str, int]:
    """The next snapshot version of each jurisdiction for the period (one grouped query)."""
    latest = dict(db.session.execute(
        select(StatsSnapshot.jurisdiction_code, func.max(StatsSnapshot.version))
        .where(StatsSnapshot.jurisdiction_code.in_(codes), StatsSnapshot.period_key == period.key)
        .group_by(StatsSnapshot.jurisdiction_code)).all())
    return {code: (latest.get(code) or 0) + 1 for code in codes}


def _store(total: TableResult, columns: list[Column], period: Period, kind: str, version: int,
           data_as_of, built_by: User | None) -> StatsSnapshot:
    """Store one snapshot of an already computed table (flushes; 409 on a concurrent build)."""
    code = total.jurisdiction_code
    snapshot = StatsSnapshot(
        jurisdiction_code=code, period_key=period.key, cutoff=total.cutoff,
        data_as_of=data_as_of, definition_version=TABLE.version, kind=SnapshotKind(kind),
        version=version, figures=total.figures_json(), context=dict(total.context),
        breakdown=[_column_json(*column) for column in columns], validation=total.issues,
        coverage=total.coverage, uninspected=_uninspected_list(code, period, total.cutoff),
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


def _check_kind(kind: str) -> None:
    if kind not in SnapshotKind.codes():
        raise invalid({"kind": ["快照类型应为 draft（草稿）或 final（定稿）。"]})


@dataclass(frozen=True)
class Subtree:
    """Every node's table of one subtree, computed together: a scheduled run stores many
    snapshots from it (one per node, each in its own transaction) without recomputing."""

    period: Period
    cutoff: date
    data_as_of: datetime
    tables: dict[str, TableResult]
    children: dict[str, list[Column]]


def compute_subtree(root_code: str, period_key: str, cutoff: date | None = None) -> Subtree:
    """`compute_all` of a subtree, with each node's direct children for its breakdown."""
    if db.session.get(Jurisdiction, root_code) is None:
        raise not_found()
    period, cutoff = resolve_period(period_key, cutoff)
    data_as_of = utcnow()
    tables = compute_all(root_code, period, cutoff)
    nodes = db.session.execute(
        select(Jurisdiction.code, Jurisdiction.name, Jurisdiction.parent_code)
        .where(Jurisdiction.code.in_(list(tables))).order_by(Jurisdiction.code)).all()
    children: dict[str, list[Column]] = {}
    for code, name, parent in nodes:
        children.setdefault(parent, []).append((code, name, tables[code]))
    return Subtree(period, cutoff, data_as_of, tables, children)


def build_snapshot(jurisdiction_code: str, period_key: str, cutoff: date | None = None, *,
                   kind: str = "draft", built_by: User | None = None,
                   subtree: Subtree | None = None) -> StatsSnapshot:
    """Compute and store an immutable snapshot; a `final` one must pass every error rule.

    With `subtree` (from `compute_subtree` over an ancestor, same period and cutoff) the figures
    come from there instead of being computed again."""
    if db.session.get(Jurisdiction, jurisdiction_code) is None:
        raise not_found()
    _check_kind(kind)
    if subtree is not None and jurisdiction_code in subtree.tables:
        period, data_as_of = subtree.period, subtree.data_as_of
        total = subtree.tables[jurisdiction_code]
        columns = subtree.children.get(jurisdiction_code, [])
    else:
        period, cutoff = resolve_period(period_key, cutoff)
        data_as_of = utcnow()
        columns, total = breakdown(jurisdiction_code, period, cutoff)
    if kind == "final" and total.has_errors:
        raise _refusal(total)
    version = _next_versions([jurisdiction_code], period)[jurisdiction_code]
    return _store(total, columns, period, kind, version, data_as_of, built_by)


def build_snapshots(root_code: str, period_key: str, cutoff: date | None = None, *,
                    kind: str = "draft", built_by: User | None = None
                    ) -> tuple[list[StatsSnapshot], dict[str, list[str]]]:
    """A snapshot of every node of the subtree from one `compute_all`, in one transaction.

    Returns the stored snapshots (parents before children) and, for a `final`, the nodes refused
    with the messages of the error rules they break; those get no snapshot."""
    _check_kind(kind)
    subtree = compute_subtree(root_code, period_key, cutoff)
    versions = _next_versions(list(subtree.tables), subtree.period)
    stored, refused = [], {}
    for code, total in subtree.tables.items():  # compute_all's order: by depth, then code
        if kind == "final" and total.has_errors:
            refused[code] = _refusal(total).errors["validation"]
            continue
        stored.append(_store(total, subtree.children.get(code, []), subtree.period, kind,
                             versions[code], subtree.data_as_of, built_by))
    return stored, refused


def _uninspected_list(code: str, period: Period, cutoff: date) -> list[dict]:
    """The units not inspected in the period, as stored in a snapshot (one query, plain rows)."""
    units = queries.uninspected_units_query(code, period, cutoff).order_by(None).subquery()
    query = (select(units.c.id, units.c.name, units.c.kind, units.c.jurisdiction_code,
                    Jurisdiction.name.label("jurisdiction_name"), units.c.licence_no)
             .join(Jurisdiction, Jurisdiction.code == units.c.jurisdiction_code)
             .order_by(units.c.kind, units.c.jurisdiction_code, units.c.name, units.c.id)
             .limit(UNINSPECTED_LIMIT))
    return [{**row, "kind": _kind(row["kind"])} for row in db.session.execute(query).mappings()]


def snapshot_values(snapshot: StatsSnapshot) -> dict[str, Any]:
    """The stored exact figures, typed (Decimal yuan for money)."""
    return {code: exact_from_json(TABLE_ROWS[code], value)
            for code, value in snapshot.figures.items()}


def workbook_filename(snapshot: StatsSnapshot) -> str:
    """`510100_成都市_2026年上半年_校园食品安全守护行动工作情况统计表.xlsx`."""
    period = parse_period(snapshot.period_key)
    return (f"{snapshot.jurisdiction_code}_{snapshot.jurisdiction.name}_{period.label}_"
            f"{TABLE.title}.xlsx")


def workbook_bytes(snapshot: StatsSnapshot) -> bytes:
    """The snapshot as the official .xlsx workbook (built by the pure builder in `exports`)."""
    from exports.statistics_workbook import workbook_bytes as build

    return build(snapshot_dict(snapshot))


def snapshot_summary(snapshot: StatsSnapshot) -> dict:
    """A snapshot in lists."""
    period = parse_period(snapshot.period_key)
    return {
        "id": snapshot.id,
        "jurisdiction": {"code": snapshot.jurisdiction_code, "name": snapshot.jurisdiction.name,
                         "level": snapshot.jurisdiction.level},
        "period": period_json(period),
        "cutoff": snapshot.cutoff.isoformat(),
        "kind": snapshot.kind.value,
        "kind_label": snapshot.kind.label,
        "version": snapshot.version,
        "definition_version": snapshot.definition_version,
        "data_as_of": iso_cst(snapshot.data_as_of),
        "built_at": iso_cst(snapshot.built_at),
        "built_by": ({"id": snapshot.built_by.id, "name": snapshot.built_by.display_name}
                     if snapshot.built_by else None),
        "valid": not any(i["severity"] == "error" for i in snapshot.validation),
    }


def snapshot_dict(snapshot: StatsSnapshot) -> dict:
    """The whole snapshot as plain JSON: what the API returns and the workbook builder takes.

    Keys beyond `snapshot_summary`: `title`, `rows` (in table order: code, label, unit, section,
    section_label, group, value — the display figure, 万元 as a string like "0.37" —, exact),
    `figures` (code → exact: int, or yuan string for money), `context`, `validation`,
    `coverage` ([{kind, kind_label, units, inspected, uninspected}]), `uninspected` ([{id, name,
    kind, jurisdiction_code, jurisdiction_name, licence_no}]), `breakdown` (one column per direct
    child: [{code, name, figures, display}]; the total is `figures`), `filename`.
    """
    values = snapshot_values(snapshot)
    return {
        **snapshot_summary(snapshot),
        "title": TABLE.title,
        "rows": rows_json(values),
        "figures": dict(snapshot.figures),
        "context": context_json(snapshot.context),
        "validation": list(snapshot.validation),
        "coverage": coverage_json(snapshot.coverage),
        "uninspected": list(snapshot.uninspected or []),
        "breakdown": list(snapshot.breakdown),
        "filename": workbook_filename(snapshot),
    }


def snapshot_scope(user: User) -> ColumnElement[bool]:
    if user.role == Role.SCHOOL:
        raise ApiError(403, "学校账户不能查看统计报表。")
    return in_subtree(user.jurisdiction_code, StatsSnapshot.jurisdiction_code)


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

