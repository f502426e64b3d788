"""Computing tables in the database: one grouped pass per query, behind the table cache.

- `compute_table(code, period, cutoff)`: one jurisdiction's table (its whole subtree)
- `compute_all(root, period, cutoff)`: every node of a subtree from one pass
- `breakdown(code, period, cutoff)`: one column per direct child plus the total
- `coverage(code, period, cutoff)`: units in scope and inspected, per kind
- `compute_subtree(root, period, cutoff)`: `compute_all` with each node's children, for snapshots
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from flask import current_app
from sqlalchemy import Select, select, text

from foodsafety.extensions import db
from foodsafety.periods import Period, trend_halves
from foodsafety.registry.models import Jurisdiction, JurisdictionClosure
from foodsafety.statistics import queries, summaries, versions
from foodsafety.statistics.cache import table_cache
from foodsafety.statistics.definition import CONTEXT_UNIT_KINDS, TABLE
from foodsafety.statistics.results import (
    TABLE_ROWS,
    BreakdownColumn,
    CoverageCount,
    TableResult,
    UninspectedUnit,
    coverage_counts,
)
from foodsafety.timeutil import utcnow

T = TypeVar("T")
SQLITE_CACHE_KIB = 32 * 1024
UNINSPECTED_LIMIT = 10_000  # units listed in a snapshot or a workbook; the counts always cover all


@dataclass(frozen=True)
class Breakdown:
    """A jurisdiction's table with one column per direct child (`total` is the table itself)."""

    columns: list[tuple[str, str, TableResult]]  # (child code, child name, its table)
    total: TableResult

    def column_list(self) -> list[BreakdownColumn]:
        return [BreakdownColumn(code, name, result.values) for code, name, result in self.columns]


def _tune_connection() -> None:
    """On SQLite, let this connection cache the index pages a province's table reads (tens of
    MB, against SQLite's default of 2 MB): twice as fast at province scale (bench/)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}"))


def _kind(value) -> str:
    return value.value if hasattr(value, "value") else value


def scan_figures(scope: queries.Scope, period: Period,
                 cutoff: date) -> dict[str, dict[str, int]]:
    """{node: {measure: value}} computed from the records (`queries.py`), measures named as the
    summaries name them (`contributions.py`)."""
    out: dict[str, dict[str, int]] = {}

    def put(row, measure: str, value) -> None:
        node = out.setdefault(row["ancestor_code"], {})
        node[measure] = node.get(measure, 0) + int(value or 0)

    for row in db.session.execute(queries.stock_query(scope, cutoff)).mappings():
        for key, value in row.items():
            if key in TABLE_ROWS:
                put(row, key, value)
    for row in db.session.execute(queries.problems_query(scope, period, cutoff)).mappings():
        put(row, f"prob:{_kind(row['unit_kind'])}:{_kind(row['category'])}", row["units"])
    for row in db.session.execute(queries.visits_query(scope, period, cutoff)).mappings():
        put(row, f"visits:{_kind(row['unit_kind'])}", row["visits"])
        put(row, f"visited:{_kind(row['unit_kind'])}", row["units"])
    for query in (queries.orders_query(scope, period, cutoff),
                  queries.cases_query(scope, period, cutoff)):
        for row in db.session.execute(query).mappings():
            for key, value in row.items():
                if key != "ancestor_code":
                    put(row, key, value)
    for row in db.session.execute(queries.coverage_query(scope, period, cutoff)).mappings():
        put(row, f"cov_units:{_kind(row['kind'])}", row["units"])
        put(row, f"cov_insp:{_kind(row['kind'])}", row["inspected"])
    return out


def _figures(scope: queries.Scope, period: Period, cutoff: date) -> dict[str, dict[str, int]]:
    """From the summaries when they may be read (`summaries.usable`), else from the records."""
    if summaries.usable(db.session):
        return summaries.node_figures(db.session, scope, period, cutoff)
    return scan_figures(scope, period, cutoff)


def _aggregate(scope: queries.Scope, codes: list[str], period: Period, cutoff: date,
               figures: Callable = _figures) -> dict[str, TableResult]:
    """The tables of `codes` from one pass of `figures` (and of B2's distinct count)."""
    _tune_connection()
    results = {code: TableResult(code, period.key, cutoff) for code in codes}
    found = figures(scope, period, cutoff)
    for table_row in TABLE.rows:
        if table_row.kind == "stock" and table_row.measure:
            query = queries.STOCK_MEASURES[table_row.measure](scope, cutoff)
            for row in db.session.execute(query).mappings():
                if row["ancestor_code"] in results:
                    found.setdefault(row["ancestor_code"], {})[table_row.code] = int(row["n"])
    for code, result in results.items():
        _fill(result, found.get(code, {}))
    return {code: result.finish() for code, result in results.items()}


def aggregate_both(scope: queries.Scope, codes: list[str], period: Period,
                   cutoff: date) -> dict[str, dict[str, TableResult]]:
    """The tables of `codes` from the summaries and from the records (for checking)."""
    return {"summaries": _aggregate(scope, codes, period, cutoff, figures=lambda *args:
                                    summaries.node_figures(db.session, *args)),
            "records": _aggregate(scope, codes, period, cutoff, figures=scan_figures)}


def _fill(result: TableResult, measures: dict[str, int]) -> None:
    """One node's table from its measures."""
    for table_row in TABLE.rows:
        if table_row.kind == "stock":
            result.values[table_row.code] = measures.get(table_row.code, 0)
        elif table_row.kind == "problem":
            result.values[table_row.code] = measures.get(
                f"prob:{table_row.unit_kind}:{table_row.category}", 0)
        elif table_row.measure == "inspections":
            result.values[table_row.code] = sum(
                value for key, value in measures.items() if key.startswith("visits:"))
        elif table_row.is_money:
            cents = measures.get(f"{table_row.measure}_cents", 0)
            result.values[table_row.code] = Decimal(cents).scaleb(-2)
        else:
            result.values[table_row.code] = measures.get(table_row.measure, 0)
    for key, kind in CONTEXT_UNIT_KINDS.items():
        result.context[key] = measures.get(f"visited:{kind}", 0)
    for kind, counts in result.coverage.items():
        counts["units"] = measures.get(f"cov_units:{kind}", 0)
        counts["inspected"] = measures.get(f"cov_insp:{kind}", 0)


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
    scope = queries.Scope.node(jurisdiction_code)
    return _cached("table", jurisdiction_code, period, cutoff, lambda: _aggregate(
        scope, [jurisdiction_code], period, cutoff)[jurisdiction_code])


def compute_all(root_code: str, period: Period, cutoff: date) -> dict[str, TableResult]:
    """The tables of every node of `root_code`'s subtree, from one grouped pass per query."""
    codes = _subtree_codes(root_code)
    subtree = select(JurisdictionClosure.descendant_code).where(
        JurisdictionClosure.ancestor_code == root_code)
    return _aggregate(queries.Scope(root_code, lambda ancestor: ancestor.in_(subtree)), codes,
                      period, cutoff)


def breakdown(jurisdiction_code: str, period: Period, cutoff: date) -> Breakdown:
    """One column per direct child plus the total (whose B2 is a distinct count, not a sum)."""
    def compute() -> Breakdown:
        children = _children(jurisdiction_code)
        codes = [jurisdiction_code, *(child.code for child in children)]
        tables = _aggregate(queries.Scope(jurisdiction_code, lambda ancestor: ancestor.in_(codes)),
                            codes, period, cutoff)
        return Breakdown([(child.code, child.name, tables[child.code]) for child in children],
                         tables[jurisdiction_code])

    return _cached("breakdown", jurisdiction_code, period, cutoff, compute)


def coverage(code: str, period: Period, cutoff: date) -> list[CoverageCount]:
    """Units in scope, inspected and not inspected in the period, per kind (one query)."""
    def compute() -> list[CoverageCount]:
        result = TableResult(code, period.key, cutoff)
        scope = queries.Scope.node(code)
        for row in db.session.execute(queries.coverage_query(scope, period, cutoff)).mappings():
            result.coverage[_kind(row["kind"])] = {
                "units": int(row["units"]), "inspected": int(row["inspected"]), "uninspected": 0}
        return coverage_counts(result.finish().coverage)

    return _cached("coverage", code, period, cutoff, compute)


@dataclass(frozen=True)
class Subtree:
    """Every node's table of one subtree, computed together: a scheduled run stores many
    snapshots from it (one per node, each in its own transaction) without recomputing."""

    period: Period
    cutoff: date
    data_as_of: datetime
    tables: dict[str, TableResult]
    children: dict[str, list[tuple[str, str, TableResult]]]

    def breakdown(self, code: str) -> Breakdown:
        return Breakdown(self.children.get(code, []), self.tables[code])


def compute_subtree(root_code: str, period: Period, cutoff: date) -> Subtree:
    """`compute_all` of a subtree, with each node's direct children for its breakdown."""
    data_as_of = utcnow()
    tables = compute_all(root_code, period, cutoff)
    nodes = db.session.execute(
        select(Jurisdiction.code, Jurisdiction.name, Jurisdiction.parent_code)
        .where(Jurisdiction.code.in_(list(tables))).order_by(Jurisdiction.code)).all()
    children: dict[str, list[tuple[str, str, TableResult]]] = {}
    for code, name, parent in nodes:
        children.setdefault(parent, []).append((code, name, tables[code]))
    return Subtree(period, cutoff, data_as_of, tables, children)


def uninspected_units(code: str, period: Period, cutoff: date, kind: str | None = None) -> Select:
    """The units of the subtree not inspected in the period (a query, for pagination)."""
    return queries.uninspected_units_query(code, period, cutoff, kind,
                                           whole_tree=_whole_tree(code))


def _whole_tree(code: str) -> bool:
    return bool(db.session.scalar(queries.is_whole_tree(code)))


def with_last_inspection(units: list, cutoff: date) -> list[UninspectedUnit]:
    """A page of uninspected units, each with the date of its last inspection (one query)."""
    last = dict(db.session.execute(
        queries.last_inspected_query([u.id for u in units], cutoff)).all()) if units else {}
    return [UninspectedUnit(unit.id, unit.name, unit.kind.value, unit.jurisdiction_code,
                            unit.jurisdiction.name, unit.licence_no, last.get(unit.id))
            for unit in units]


def trend(code: str, period: Period, today: date) -> list[tuple[Period, TableResult]]:
    """The tables of the half-years up to `period` (`periods.trend_halves`), oldest first."""
    return [(half, compute_table(code, half, half.cutoff(today)))
            for half in trend_halves(period, today)]


def uninspected_list(code: str, period: Period, cutoff: date) -> list[UninspectedUnit]:
    """The units not inspected in the period, as a snapshot or a workbook lists them (one query,
    at most UNINSPECTED_LIMIT)."""
    units = queries.uninspected_units_query(code, period, cutoff, whole_tree=_whole_tree(code)
                                            ).order_by(None).subquery()
    query = (select(units.c.id, units.c.name, units.c.kind, units.c.jurisdiction_code,
                    Jurisdiction.name.label("jurisdiction_name"), units.c.licence_no)
             .join(Jurisdiction, Jurisdiction.code == units.c.jurisdiction_code)
             .order_by(*(units.c[column.key] for column in queries.UNINSPECTED_ORDER))
             .limit(UNINSPECTED_LIMIT))
    return [UninspectedUnit(row.id, row.name, _kind(row.kind), row.jurisdiction_code,
                            row.jurisdiction_name, row.licence_no)
            for row in db.session.execute(query)]
