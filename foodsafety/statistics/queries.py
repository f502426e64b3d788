"""The SQL behind the table: a handful of grouped queries, each over the whole subtree at once.

Every query joins the rows' jurisdiction (`descendant_code`) to `jurisdiction_closure` and groups by
`ancestor_code`, so one pass yields the figures of every node asked for (`nodes`, a clause on the
ancestor column). Nothing is loaded row by row: each query returns one row per node.

How each row is counted is read from `definition.TABLE`; the SQL for a row's `where` conditions
and `measure` names lives in the mappings below.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import aliased

from foodsafety.enforcement.models import EnforcementCase
from foodsafety.inspections.models import Finding, Inspection
from foodsafety.periods import Period
from foodsafety.rectification.models import RectificationOrder
from foodsafety.registry.models import (
    HaccpStatus,
    JurisdictionClosure,
    SupplyLink,
    Unit,
    UnitKind,
)
from foodsafety.statistics.definition import TABLE

Closure = JurisdictionClosure
NodeClause = Callable[[ColumnElement], ColumnElement[bool]]


def _count_if(condition: ColumnElement[bool]) -> ColumnElement:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _count_distinct_if(condition: ColumnElement[bool], value: ColumnElement) -> ColumnElement:
    return func.count(distinct(case((condition, value))))


def _between(column: ColumnElement, start: date, end: date) -> ColumnElement[bool]:
    return and_(column >= start, column <= end)


def _live_inspection() -> ColumnElement[bool]:
    return Inspection.deleted_at.is_(None)


# --- stock (基本情况) -------------------------------------------------------------------------

def licensed_on(cutoff: date, unit=Unit) -> ColumnElement[bool]:
    """A food business licence valid on `cutoff`: issued, not expired, not revoked by then."""
    revoked = exists().where(EnforcementCase.unit_id == unit.id,
                             EnforcementCase.licence_revoked_on <= cutoff)
    return and_(unit.licence_no.is_not(None), unit.licence_issued_on <= cutoff,
                unit.licence_expires_on >= cutoff, ~revoked)


def latest_inspection_id(cutoff: date, unit=Unit) -> ColumnElement:
    """The unit's latest live inspection on or before `cutoff` (its newest observed status)."""
    return (select(Inspection.id)
            .where(Inspection.unit_id == unit.id, _live_inspection(),
                   Inspection.inspected_on <= cutoff)
            .order_by(Inspection.inspected_on.desc(), Inspection.started_at.desc(),
                      Inspection.id.desc())
            .limit(1)
            .correlate(unit)
            .scalar_subquery())


def status_on(cutoff: date):
    """Licensed canteens and suppliers with their status on `cutoff` (latest inspection, else
    registration), as a subquery: id, kind, jurisdiction_code and one column per attribute."""
    obs = aliased(Inspection, name="obs")
    observed = obs.id.is_not(None)

    def pick(observed_col, registered_col):
        return case((observed, observed_col), else_=registered_col)

    return (
        select(
            Unit.id, Unit.kind, Unit.jurisdiction_code,
            pick(obs.obs_wuchang_6t, Unit.wuchang_6t).label("wuchang_6t"),
            pick(obs.obs_haccp, Unit.haccp).label("haccp"),
            pick(obs.obs_haccp_cert_expires_on, Unit.haccp_cert_expires_on)
            .label("haccp_cert_expires_on"),
            pick(obs.obs_mc_transparent, Unit.mc_transparent).label("mc_transparent"),
            pick(obs.obs_mc_video, Unit.mc_video).label("mc_video"),
            pick(obs.obs_mc_internet, Unit.mc_internet).label("mc_internet"),
        )
        .select_from(Unit)
        .outerjoin(obs, obs.id == latest_inspection_id(cutoff))
        .where(Unit.kind.in_((UnitKind.CANTEEN, UnitKind.SUPPLIER)), licensed_on(cutoff))
        .subquery("status")
    )


# The `where` conditions of stock rows, on the status subquery.
CONDITIONS: dict[str, Callable] = {
    "wuchang_6t": lambda s, cutoff: s.c.wuchang_6t == true(),
    "haccp_established": lambda s, cutoff: s.c.haccp.in_(
        (HaccpStatus.ESTABLISHED, HaccpStatus.CERTIFIED)),
    "haccp_certified_valid": lambda s, cutoff: and_(
        s.c.haccp == HaccpStatus.CERTIFIED, s.c.haccp_cert_expires_on >= cutoff),
    "mingchu_any": lambda s, cutoff: or_(
        s.c.mc_transparent == true(), s.c.mc_video == true(), s.c.mc_internet == true()),
    "mingchu_video": lambda s, cutoff: s.c.mc_video == true(),
    "mingchu_internet": lambda s, cutoff: s.c.mc_internet == true(),
}


def stock_query(nodes: NodeClause, cutoff: date):
    """Stock rows counting licensed units by status, per node."""
    status = status_on(cutoff)
    columns = []
    for row in TABLE.rows:
        if row.kind != "stock" or row.measure:
            continue
        condition = status.c.kind == UnitKind(row.unit_kind)
        for name in row.where:
            condition = and_(condition, CONDITIONS[name](status, cutoff))
        columns.append(_count_if(condition).label(row.code))
    return (select(Closure.ancestor_code, *columns)
            .select_from(status)
            .join(Closure, Closure.descendant_code == status.c.jurisdiction_code)
            .where(nodes(Closure.ancestor_code))
            .group_by(Closure.ancestor_code))


def schools_supplied_query(nodes: NodeClause, cutoff: date):
    """B2: distinct schools supplied on `cutoff` by licensed suppliers of each node (not additive)."""
    return (select(Closure.ancestor_code, func.count(distinct(SupplyLink.school_id)).label("n"))
            .select_from(SupplyLink)
            .join(Unit, Unit.id == SupplyLink.supplier_id)
            .join(Closure, Closure.descendant_code == Unit.jurisdiction_code)
            .where(nodes(Closure.ancestor_code), Unit.kind == UnitKind.SUPPLIER,
                   licensed_on(cutoff), SupplyLink.starts_on <= cutoff,
                   or_(SupplyLink.ends_on.is_(None), SupplyLink.ends_on >= cutoff))
            .group_by(Closure.ancestor_code))


STOCK_MEASURES = {"distinct_schools_supplied": schools_supplied_query}


# --- problems (督促整改情况) -----------------------------------------------------------------

def problems_query(nodes: NodeClause, period: Period, cutoff: date):
    """Problem rows: distinct units of a kind with a finding of a category in the period."""
    rows = [row for row in TABLE.rows if row.kind == "problem"]
    kinds = sorted({row.unit_kind for row in rows})
    # One row per (unit, category) first: the distinct count then runs over few rows.
    pairs = (select(Inspection.unit_id, Inspection.unit_kind, Inspection.jurisdiction_code,
                    Finding.category)
             .select_from(Finding)
             .join(Inspection, Inspection.id == Finding.inspection_id)
             .where(_live_inspection(), _between(Inspection.inspected_on, period.start, cutoff),
                    Inspection.unit_kind.in_(kinds))
             .distinct()
             .subquery("pairs"))
    columns = [
        _count_distinct_if(and_(pairs.c.unit_kind == row.unit_kind,
                                pairs.c.category == row.category), pairs.c.unit_id).label(row.code)
        for row in rows
    ]
    return (select(Closure.ancestor_code, *columns)
            .select_from(pairs)
            .join(Closure, Closure.descendant_code == pairs.c.jurisdiction_code)
            .where(nodes(Closure.ancestor_code))
            .group_by(Closure.ancestor_code))


# --- flows (监督检查和案件查处情况) ------------------------------------------------------------

def inspections_query(nodes: NodeClause, period: Period, cutoff: date):
    """D1 (visits) and the context figures: canteens and suppliers inspected in the period."""
    return (select(
                Closure.ancestor_code,
                func.count().label("inspections"),
                _count_distinct_if(Inspection.unit_kind == UnitKind.CANTEEN.value,
                                   Inspection.unit_id).label("canteens_inspected"),
                _count_distinct_if(Inspection.unit_kind == UnitKind.SUPPLIER.value,
                                   Inspection.unit_id).label("suppliers_inspected"),
            )
            .select_from(Inspection)
            .join(Closure, Closure.descendant_code == Inspection.jurisdiction_code)
            .where(nodes(Closure.ancestor_code), _live_inspection(),
                   _between(Inspection.inspected_on, period.start, cutoff))
            .group_by(Closure.ancestor_code))


def orders_query(nodes: NodeClause, period: Period, cutoff: date):
    """D2: rectification orders issued in the period at live inspections."""
    return (select(Closure.ancestor_code, func.count().label("rectification_orders"))
            .select_from(RectificationOrder)
            .join(Inspection, Inspection.id == RectificationOrder.inspection_id)
            .join(Closure, Closure.descendant_code == RectificationOrder.jurisdiction_code)
            .where(nodes(Closure.ancestor_code), _live_inspection(),
                   _between(RectificationOrder.issued_on, period.start, cutoff))
            .group_by(Closure.ancestor_code))


def _yuan_cents(case_: type[EnforcementCase] = EnforcementCase) -> ColumnElement:
    """Fines plus confiscations in whole fen: summed as integers, exact on every database."""
    return cast(func.round((case_.fine_yuan + case_.confiscated_yuan) * 100), BigInteger)


def cases_query(nodes: NodeClause, period: Period, cutoff: date):
    """D3–D8 from the enforcement cases, each stage counted by the date it happened."""
    e = EnforcementCase

    def during(column):
        return _between(column, period.start, cutoff)

    columns = {
        "cases_filed": _count_if(during(e.filed_on)),
        "fines_and_confiscations_cents": func.coalesce(
            func.sum(case((during(e.decided_on), _yuan_cents()), else_=0)), 0),
        "licences_revoked": _count_distinct_if(during(e.licence_revoked_on), e.unit_id),
        "unlicensed_banned": _count_distinct_if(
            and_(during(e.banned_on), Unit.kind == UnitKind.UNLICENSED), e.unit_id),
        "cases_transferred": _count_if(during(e.transferred_on)),
        "criminal_cases_filed": _count_if(during(e.criminal_filed_on)),
    }
    any_stage = or_(*(during(c) for c in (e.filed_on, e.decided_on, e.licence_revoked_on,
                                          e.banned_on, e.transferred_on, e.criminal_filed_on)))
    return (select(Closure.ancestor_code, *(col.label(name) for name, col in columns.items()))
            .select_from(e)
            .join(Unit, Unit.id == e.unit_id)
            .join(Closure, Closure.descendant_code == e.jurisdiction_code)
            .where(nodes(Closure.ancestor_code), any_stage)
            .group_by(Closure.ancestor_code))


# --- coverage ---------------------------------------------------------------------------------

def inspected_in(period: Period, cutoff: date, unit=Unit) -> ColumnElement[bool]:
    """The unit had at least one live inspection dated in the period (up to the cutoff)."""
    return exists().where(Inspection.unit_id == unit.id, _live_inspection(),
                          _between(Inspection.inspected_on, period.start, cutoff))


def coverage_query(nodes: NodeClause, period: Period, cutoff: date):
    """Units in scope and those inspected in the period, per node and unit kind."""
    units = (select(Unit.id, Unit.kind, Unit.jurisdiction_code,
                    case((inspected_in(period, cutoff), 1), else_=0).label("inspected"))
             .subquery("covered"))
    return (select(Closure.ancestor_code, units.c.kind, func.count().label("units"),
                   func.coalesce(func.sum(units.c.inspected), 0).label("inspected"))
            .select_from(units)
            .join(Closure, Closure.descendant_code == units.c.jurisdiction_code)
            .where(nodes(Closure.ancestor_code))
            .group_by(Closure.ancestor_code, units.c.kind))


def uninspected_units_query(code: str, period: Period, cutoff: date, kind: str | None = None):
    """The units of `code`'s subtree not inspected in the period."""
    query = (select(Unit)
             .join(Closure, Closure.descendant_code == Unit.jurisdiction_code)
             .where(Closure.ancestor_code == code, ~inspected_in(period, cutoff))
             .order_by(Unit.kind, Unit.jurisdiction_code, Unit.name, Unit.id))
    if kind:
        query = query.where(Unit.kind == UnitKind(kind))
    return query


def last_inspected_query(unit_ids: list[int], cutoff: date):
    """The date of each unit's latest live inspection on or before the cutoff."""
    return (select(Inspection.unit_id, func.max(Inspection.inspected_on).label("last"))
            .where(Inspection.unit_id.in_(unit_ids), _live_inspection(),
                   Inspection.inspected_on <= cutoff)
            .group_by(Inspection.unit_id))
