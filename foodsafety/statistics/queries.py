"""The SQL behind the table: a handful of grouped queries, each over the whole subtree at once.

Each query works in two steps. First the rows of the subtree of `scope.root` are reduced per
county (`jurisdiction_code`): sums for additive figures, or distinct (county, unit) pairs where a
unit must count once however many rows it has. Then those few rows are joined to
`jurisdiction_closure` (descendant → ancestor) and grouped by `ancestor_code`, so one pass yields
the figures of every node asked for (`scope.nodes`). Nothing is loaded row by row and there is
no query per node: each query returns one row per node (and kind).

How each row is counted is read from `definition.TABLE`; the SQL of a row's `where` conditions and
`measure` names lives in the mappings below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)

from foodsafety.enforcement.models import EnforcementCase
from foodsafety.inspections.models import Finding, Inspection
from foodsafety.inspections.rules import LATEST_FIRST, inspected_between, live
from foodsafety.periods import Period
from foodsafety.rectification.models import RectificationOrder
from foodsafety.registry.models import (
    HaccpStatus,
    Jurisdiction,
    JurisdictionClosure,
    SupplyLink,
    Unit,
    UnitKind,
)
from foodsafety.registry.rules import licence_valid_on, supplies_on
from foodsafety.statistics.definition import TABLE
from foodsafety.vocabulary import Category

Closure = JurisdictionClosure


@dataclass(frozen=True)
class Scope:
    """Whose figures: the data of `root`'s subtree, reported for the ancestors `nodes` selects."""

    root: str
    nodes: Callable[[ColumnElement], ColumnElement[bool]]
    only_root: bool = False  # reported for the root alone

    @classmethod
    def node(cls, code: str) -> Scope:
        """One jurisdiction's figures (its whole subtree)."""
        return cls(code, lambda ancestor: ancestor == code, only_root=True)

    def covers(self, column: ColumnElement) -> ColumnElement[bool]:
        """`column` (a county code on a data row) lies in the root's subtree."""
        return column.in_(select(Closure.descendant_code).where(Closure.ancestor_code == self.root))


def _count_if(condition: ColumnElement[bool]) -> ColumnElement:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _count_distinct_if(condition: ColumnElement[bool], value: ColumnElement) -> ColumnElement:
    return func.count(distinct(case((condition, value))))


def _between(column: ColumnElement, start: date, end: date) -> ColumnElement[bool]:
    return and_(column >= start, column <= end)


def _roll_up(per_county, scope: Scope, *columns: str, by: tuple[str, ...] = ()) -> Select:
    """Step two: join per-county rows to the closure and sum `columns` per ancestor (and `by`).

    Unit counts may be summed: every unit belongs to one county, so (as the spec says) they add
    up the tree. The one that does not, B2, counts distinct schools instead (see below)."""
    keys = [per_county.c[name] for name in by]
    figures = [func.coalesce(func.sum(per_county.c[name]), 0).label(name) for name in columns]
    return (select(Closure.ancestor_code, *keys, *figures)
            .select_from(per_county)
            .join(Closure, Closure.descendant_code == per_county.c.jurisdiction_code)
            .where(scope.nodes(Closure.ancestor_code))
            .group_by(Closure.ancestor_code, *keys))


# --- stock (基本情况) -------------------------------------------------------------------------

# A unit's status attributes, as recorded by an inspection (observed) or at registration.
OBSERVED = {"wuchang_6t": Inspection.obs_wuchang_6t, "haccp": Inspection.obs_haccp,
            "haccp_cert_expires_on": Inspection.obs_haccp_cert_expires_on,
            "mc_transparent": Inspection.obs_mc_transparent, "mc_video": Inspection.obs_mc_video,
            "mc_internet": Inspection.obs_mc_internet}
REGISTERED = {"wuchang_6t": Unit.wuchang_6t, "haccp": Unit.haccp,
              "haccp_cert_expires_on": Unit.haccp_cert_expires_on,
              "mc_transparent": Unit.mc_transparent, "mc_video": Unit.mc_video,
              "mc_internet": Unit.mc_internet}

# The `where` conditions of stock rows, on a set of status columns.
CONDITIONS: dict[str, Callable] = {
    "wuchang_6t": lambda s, cutoff: s["wuchang_6t"] == true(),
    "haccp_established": lambda s, cutoff: s["haccp"].in_(
        (HaccpStatus.ESTABLISHED, HaccpStatus.CERTIFIED)),
    "haccp_certified_valid": lambda s, cutoff: and_(
        s["haccp"] == HaccpStatus.CERTIFIED, s["haccp_cert_expires_on"] >= cutoff),
    "mingchu_any": lambda s, cutoff: or_(
        s["mc_transparent"] == true(), s["mc_video"] == true(), s["mc_internet"] == true()),
    "mingchu_video": lambda s, cutoff: s["mc_video"] == true(),
    "mingchu_internet": lambda s, cutoff: s["mc_internet"] == true(),
}
BITS = {name: 1 << i for i, name in enumerate(CONDITIONS)}


def _packed(columns: dict, cutoff: date) -> ColumnElement:
    """Every condition of `CONDITIONS` on `columns` as one integer, a bit per condition."""
    return sum((case((condition(columns, cutoff), BITS[name]), else_=0)
                for name, condition in CONDITIONS.items()), start=literal(0))


def status_on(cutoff: date, unit=Unit) -> ColumnElement:
    """The unit's status on `cutoff` as condition bits: from its latest live inspection on or
    before the cutoff, else from its registration. One probe of the covering
    `ix_inspections_unit_latest` per unit; no inspection row is read."""
    observed = (select(_packed(OBSERVED, cutoff))
                .where(Inspection.unit_id == unit.id, live(),
                       Inspection.inspected_on <= cutoff)
                .order_by(*LATEST_FIRST)
                .limit(1)
                .correlate(unit)
                .scalar_subquery())
    return func.coalesce(observed, _packed(REGISTERED, cutoff))


def licensed_units(scope: Scope, cutoff: date) -> list[ColumnElement[bool]]:
    """The units the stock rows look at: canteens and suppliers of the subtree licensed on
    `cutoff` (a stock row then narrows by kind and `stock_condition`)."""
    return [Unit.kind.in_((UnitKind.CANTEEN, UnitKind.SUPPLIER)),
            scope.covers(Unit.jurisdiction_code), licence_valid_on(cutoff)]


def stock_condition(row, status: ColumnElement) -> ColumnElement[bool] | None:
    """Whether a unit whose packed status (`status_on`) is `status` meets the `where` of stock
    row `row` (None: the row has no condition beyond the unit's kind)."""
    mask = sum(BITS[name] for name in row.where)
    return status.op("&")(mask) == mask if mask else None


def stock_query(scope: Scope, cutoff: date) -> Select:
    """Stock rows: licensed units counted by their status on `cutoff`, per node."""
    # Materialised, so the per-unit probe runs once per unit, not once per figure.
    status = (select(Unit.jurisdiction_code, Unit.kind, status_on(cutoff).label("status"))
              .where(*licensed_units(scope, cutoff))
              .cte("status")
              .prefix_with("MATERIALIZED"))
    columns = []
    for row in TABLE.rows:
        if row.kind != "stock" or row.measure:
            continue
        condition = status.c.kind == UnitKind(row.unit_kind)
        extra = stock_condition(row, status.c.status)
        if extra is not None:
            condition = and_(condition, extra)
        columns.append(_count_if(condition).label(row.code))
    per_county = (select(status.c.jurisdiction_code, *columns)
                  .group_by(status.c.jurisdiction_code)
                  .subquery("stock"))
    return _roll_up(per_county, scope, *(c.name for c in columns))


def supplied_pairs(scope: Scope, cutoff: date) -> Select:
    """Distinct (supplier's county, school) pairs supplied on `cutoff` by licensed suppliers of
    the subtree."""
    return (select(Unit.jurisdiction_code, SupplyLink.school_id)
            .select_from(SupplyLink)
            .join(Unit, Unit.id == SupplyLink.supplier_id)
            .where(Unit.kind == UnitKind.SUPPLIER, scope.covers(Unit.jurisdiction_code),
                   licence_valid_on(cutoff), supplies_on(cutoff))
            .distinct())


def schools_supplied_query(scope: Scope, cutoff: date) -> Select:
    """B2: distinct schools supplied on `cutoff` by licensed suppliers of each node (not additive:
    a school supplied from two counties is one school for their city)."""
    links = (select(func.count(distinct(SupplyLink.school_id)).label("n"))
             .join(Unit, Unit.id == SupplyLink.supplier_id)
             .where(Unit.kind == UnitKind.SUPPLIER, scope.covers(Unit.jurisdiction_code),
                    licence_valid_on(cutoff), supplies_on(cutoff)))
    if scope.only_root:  # one distinct count over the subtree
        return links.add_columns(literal(scope.root).label("ancestor_code"))
    # Each link joined to its supplier's ancestors straight away: distinct (county, school) pairs
    # first would remove few rows (a school's suppliers rarely share a county) at the cost of
    # sorting them all once more (scale 33, the country's breakdown: ~850 -> ~400 ms).
    return (links.add_columns(Closure.ancestor_code)
            .join(Closure, Closure.descendant_code == Unit.jurisdiction_code)
            .where(scope.nodes(Closure.ancestor_code))
            .group_by(Closure.ancestor_code))


STOCK_MEASURES = {"distinct_schools_supplied": schools_supplied_query}


# --- problems (督促整改情况) -----------------------------------------------------------------

def problem_findings(scope: Scope, period: Period, cutoff: date, row) -> list[ColumnElement[bool]]:
    """Findings (joined to their Inspection) that put a unit in problem row `row`: a finding
    of the row's category in a live inspection of a unit of the row's kind dated in the period."""
    return [*inspections_in(scope, period, cutoff), Inspection.unit_kind == row.unit_kind,
            Finding.category == Category(row.category)]


def problems_query(scope: Scope, period: Period, cutoff: date) -> Select:
    """Units of a kind with a finding of a category in the period, per node, kind and category
    (one row each; the definition says which row a kind and category feed)."""
    kinds = sorted({row.unit_kind for row in TABLE.rows if row.kind == "problem"})
    # One row per (county, kind, category, unit) — a hashable GROUP BY, no COUNT(DISTINCT) sort.
    pairs = (select(Inspection.jurisdiction_code, Inspection.unit_kind, Finding.category,
                    Inspection.unit_id)
             .select_from(Inspection)
             .join(Finding, Finding.inspection_id == Inspection.id)
             .where(*inspections_in(scope, period, cutoff), Inspection.unit_kind.in_(kinds))
             .group_by(Inspection.jurisdiction_code, Inspection.unit_kind, Finding.category,
                       Inspection.unit_id)
             .subquery("pairs"))
    per_county = (select(pairs.c.jurisdiction_code, pairs.c.unit_kind, pairs.c.category,
                         func.count().label("units"))
                  .group_by(pairs.c.jurisdiction_code, pairs.c.unit_kind, pairs.c.category)
                  .subquery("problems"))
    return _roll_up(per_county, scope, "units", by=("unit_kind", "category"))


# --- flows (监督检查和案件查处情况) ------------------------------------------------------------

def inspections_in(scope: Scope, period: Period, cutoff: date) -> list[ColumnElement[bool]]:
    """Live inspections of the subtree dated in the period (`ix_inspections_live_county`)."""
    return [scope.covers(Inspection.jurisdiction_code), live(),
            _between(Inspection.inspected_on, period.start, cutoff)]


def visits_query(scope: Scope, period: Period, cutoff: date) -> Select:
    """Per node and unit kind: visits in the period (D1 sums them) and distinct units visited
    (the rules' context), from one row per (county, kind, unit)."""
    per_unit = (select(Inspection.jurisdiction_code, Inspection.unit_kind,
                       func.count().label("visits"))
                .where(*inspections_in(scope, period, cutoff))
                .group_by(Inspection.jurisdiction_code, Inspection.unit_kind, Inspection.unit_id)
                .subquery("visited"))
    per_county = (select(per_unit.c.jurisdiction_code, per_unit.c.unit_kind,
                         func.sum(per_unit.c.visits).label("visits"), func.count().label("units"))
                  .group_by(per_unit.c.jurisdiction_code, per_unit.c.unit_kind)
                  .subquery("visits"))
    return _roll_up(per_county, scope, "visits", "units", by=("unit_kind",))


def orders_issued_in(scope: Scope, period: Period, cutoff: date) -> list[ColumnElement[bool]]:
    """Rectification orders of the subtree issued in the period (voided ones not yet excluded:
    see `order_withdrawn`)."""
    return [scope.covers(RectificationOrder.jurisdiction_code),
            _between(RectificationOrder.issued_on, period.start, cutoff)]


def order_withdrawn() -> ColumnElement[bool]:
    """The order's inspection has been voided: the order leaves every figure."""
    return RectificationOrder.inspection_id.in_(
        select(Inspection.id).where(Inspection.deleted_at.is_not(None)))


def orders_query(scope: Scope, period: Period, cutoff: date) -> Select:
    """D2: rectification orders issued in the period, less those whose inspection was deleted.

    Both counts read only the covering `ix_orders_county_issued`, checked against the few ids of
    `ix_inspections_deleted`: no inspection row is read per order."""
    order = RectificationOrder
    in_period = orders_issued_in(scope, period, cutoff)
    issued = (select(order.jurisdiction_code, func.count().label("rectification_orders"))
              .where(*in_period)
              .group_by(order.jurisdiction_code))
    withdrawn = (select(order.jurisdiction_code, (-func.count()).label("rectification_orders"))
                 .where(order_withdrawn(), *in_period)
                 .group_by(order.jurisdiction_code))
    per_county = union_all(issued, withdrawn).subquery("orders")
    return _roll_up(per_county, scope, "rectification_orders")


def _yuan_cents(case_: type[EnforcementCase] = EnforcementCase) -> ColumnElement:
    """Fines plus confiscations in whole fen: summed as integers, exact on every database."""
    return cast(func.round((case_.fine_yuan + case_.confiscated_yuan) * 100), BigInteger)


# The date each case figure counts by (spec: each stage counts its own event's date).
CASE_STAGES = {
    "cases_filed": EnforcementCase.filed_on,
    "fines_and_confiscations": EnforcementCase.decided_on,
    "licences_revoked": EnforcementCase.licence_revoked_on,
    "unlicensed_banned": EnforcementCase.banned_on,
    "cases_transferred": EnforcementCase.transferred_on,
    "criminal_cases_filed": EnforcementCase.criminal_filed_on,
}
# Stages that count distinct units (家), not cases; banning counts unlicensed operators only.
CASE_UNITS = {"licences_revoked": None, "unlicensed_banned": UnitKind.UNLICENSED}


def scope_cases(scope: Scope) -> ColumnElement[bool]:
    """The case belongs to the subtree."""
    return scope.covers(EnforcementCase.jurisdiction_code)


def case_in_stage(measure: str, period: Period, cutoff: date) -> ColumnElement[bool]:
    """The case reached the stage `measure` counts in the period (joined to its Unit)."""
    condition = _between(CASE_STAGES[measure], period.start, cutoff)
    kind = CASE_UNITS.get(measure)
    return and_(condition, Unit.kind == kind) if kind is not None else condition


def cases_query(scope: Scope, period: Period, cutoff: date) -> Select:
    """D3–D8 from the enforcement cases, each stage counted by the date it happened; revoked
    licences and banned operators count distinct units."""
    e = EnforcementCase

    def figure(measure: str) -> ColumnElement:
        during = case_in_stage(measure, period, cutoff)
        if measure == "fines_and_confiscations":
            return func.coalesce(func.sum(case((during, _yuan_cents()), else_=0)), 0)
        if measure in CASE_UNITS:
            return _count_distinct_if(during, e.unit_id)
        return _count_if(during)

    names = {measure: f"{measure}_cents" if measure == "fines_and_confiscations" else measure
             for measure in CASE_STAGES}
    any_stage = or_(*(_between(c, period.start, cutoff) for c in CASE_STAGES.values()))
    per_county = (select(e.jurisdiction_code,
                         *(figure(measure).label(name) for measure, name in names.items()))
                  .select_from(e)
                  .join(Unit, Unit.id == e.unit_id)
                  .where(scope_cases(scope), any_stage)
                  .group_by(e.jurisdiction_code)
                  .subquery("cases"))
    return _roll_up(per_county, scope, *names.values())


# --- coverage ---------------------------------------------------------------------------------

def inspected_in(period: Period, cutoff: date, unit=Unit) -> ColumnElement[bool]:
    """The unit had at least one live inspection dated in the period (up to the cutoff)."""
    return inspected_between(period.start, cutoff, unit.id)


def coverage_query(scope: Scope, period: Period, cutoff: date) -> Select:
    """Units in scope and those inspected in the period, per node and unit kind."""
    per_county = (select(Unit.jurisdiction_code, Unit.kind, func.count().label("units"),
                         _count_if(inspected_in(period, cutoff)).label("inspected"))
                  .where(scope.covers(Unit.jurisdiction_code))
                  .group_by(Unit.jurisdiction_code, Unit.kind)
                  .subquery("covered"))
    return _roll_up(per_county, scope, "units", "inspected", by=("kind",))


UNINSPECTED_ORDER = (Unit.jurisdiction_code, Unit.kind, Unit.name, Unit.id)


def uninspected_units_query(code: str, period: Period, cutoff: date, kind: str | None = None,
                            *, whole_tree: bool = False):
    """The units of `code`'s subtree not inspected in the period, county by county (each
    county's office follows its own up), each county's by kind and name.

    `whole_tree`: the subtree is every jurisdiction (the country's root), so no county filter:
    the database then walks the units in the list's order and stops at a page's end or a list's
    limit, where a filter it cannot size would have it sort every uninspected unit of the country
    first. County first, the walk meets uninspected units at the country's rate (about one in
    six), not at the canteens' (one in thirty), which a kind-first order would list first."""
    query = (select(Unit).where(~inspected_in(period, cutoff))
             .order_by(*UNINSPECTED_ORDER))
    if not whole_tree:
        query = query.join(Closure, Closure.descendant_code == Unit.jurisdiction_code).where(
            Closure.ancestor_code == code)
    if kind:
        query = query.where(Unit.kind == UnitKind(kind))
    return query


def is_whole_tree(code: str) -> Select:
    """Whether `code`'s subtree holds every jurisdiction (a scalar query)."""
    everything = select(func.count()).select_from(Jurisdiction).scalar_subquery()
    under = select(func.count()).select_from(Closure).where(Closure.ancestor_code == code)
    return select(under.scalar_subquery() == everything)


def last_inspected_query(unit_ids: list[int], cutoff: date):
    """The date of each unit's latest live inspection on or before the cutoff."""
    return (select(Inspection.unit_id, func.max(Inspection.inspected_on).label("last"))
            .where(Inspection.unit_id.in_(unit_ids), live(),
                   Inspection.inspected_on <= cutoff)
            .group_by(Inspection.unit_id))
