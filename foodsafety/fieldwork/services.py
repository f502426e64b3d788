"""The phone's task list and unit dossier, computed in the database and bounded.

The rules come from where they are stated once: overdue (rectification/rules.py), inspected in
a period and the latest inspection (inspections/rules.py), a supplier in force (registry/rules.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from foodsafety.access import Actor
from foodsafety.enforcement.models import EnforcementCase
from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.inspections.rules import LATEST_FIRST, inspected_between, live
from foodsafety.periods import Period, half_year_of
from foodsafety.rectification.models import RectificationOrder
from foodsafety.rectification.rules import is_open, overdue_on
from foodsafety.registry.models import School, SupplyLink, Unit
from foodsafety.registry.rules import supplies_on
from foodsafety.registry.scope import unit_read_clause, unit_within
from foodsafety.registry.services import get_unit, show_units
from foodsafety.timeutil import today_cst
from foodsafety.vocabulary import OrderStatus, UnitKind

TASKS_PER_LIST = 100  # the phone shows the most urgent; the counts say how many there are
HISTORY_SIZE = 20  # inspections on the unit page; the full list is GET /inspections?unit_id=


@dataclass
class TaskList:
    """What is due in an inspector's jurisdiction on `as_of` (each list most urgent first)."""

    as_of: date
    period: Period
    reported: list[RectificationOrder] = field(default_factory=list)
    overdue: list[RectificationOrder] = field(default_factory=list)
    uncovered: list[Unit] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _count(query: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def _orders(user: Actor) -> Select:
    """Orders of live inspections of units now in the inspector's jurisdiction."""
    return (select(RectificationOrder)
            .join(Inspection, Inspection.id == RectificationOrder.inspection_id)
            .where(live(), unit_within(user.jurisdiction_code, RectificationOrder.unit_id))
            .options(selectinload(RectificationOrder.unit),
                     selectinload(RectificationOrder.inspection).selectinload(Inspection.findings),
                     selectinload(RectificationOrder.reports), selectinload(RectificationOrder.rechecks)))


def task_list(user: Actor) -> TaskList:
    """待复查 (reported, waiting for the re-inspection), 逾期 (past their deadline) and 全覆盖
    (units not inspected yet this half-year): counted in full, listed up to TASKS_PER_LIST."""
    today = today_cst()
    tasks = TaskList(as_of=today, period=half_year_of(today))
    reported = (_orders(user).where(RectificationOrder.status == OrderStatus.REPORTED)
                .order_by(RectificationOrder.deadline, RectificationOrder.id))
    overdue = (_orders(user).where(overdue_on(today))
               .order_by(RectificationOrder.deadline, RectificationOrder.id))
    last = (select(Inspection.unit_id, func.max(Inspection.inspected_on).label("last"))
            .where(live()).group_by(Inspection.unit_id).subquery())
    uncovered = (select(Unit, last.c.last)
                 .outerjoin(last, last.c.unit_id == Unit.id)
                 .where(unit_read_clause(user),
                        ~inspected_between(tasks.period.start, today, Unit.id))
                 # never inspected first, then the longest since the last inspection
                 .order_by(last.c.last.is_not(None), last.c.last, Unit.name, Unit.id))
    tasks.reported = list(db.session.scalars(reported.limit(TASKS_PER_LIST)))
    tasks.overdue = list(db.session.scalars(overdue.limit(TASKS_PER_LIST)))
    for unit, last_on in db.session.execute(uncovered.limit(TASKS_PER_LIST)):
        unit.last_inspected_on = last_on
        tasks.uncovered.append(unit)
    tasks.counts = {"reported": _count(reported), "overdue": _count(overdue),
                    "uncovered": _count(uncovered.with_only_columns(Unit.id))}
    return tasks


@dataclass
class Dossier:
    """Everything the phone shows of one unit."""

    unit: Unit
    school: School | None
    serves: list[School]
    served_by: list[Unit]
    open_orders: list[RectificationOrder]
    inspections: list[Inspection]
    inspections_total: int
    cases: list[EnforcementCase]


def dossier(user: Actor, unit_id: int) -> Dossier:
    """A unit with its licence, the schools it serves (or its school's suppliers), its open
    orders with the schools' reports, its latest inspections with their findings and photos,
    and its cases — a fixed number of queries, whatever the unit's history."""
    unit = show_units(user, [get_unit(user, unit_id)])[0]
    today = today_cst()
    serves: list[School] = []
    served_by: list[Unit] = []
    if unit.kind == UnitKind.SUPPLIER:
        serves = list(db.session.scalars(
            select(School).join(SupplyLink, SupplyLink.school_id == School.id)
            .where(SupplyLink.supplier_id == unit.id, supplies_on(today))
            .distinct().order_by(School.name)))
    elif unit.school_id is not None:
        served_by = list(db.session.scalars(
            select(Unit).join(SupplyLink, SupplyLink.supplier_id == Unit.id)
            .where(SupplyLink.school_id == unit.school_id, supplies_on(today), unit_read_clause(user))
            .distinct().order_by(Unit.name)))
    orders = list(db.session.scalars(
        select(RectificationOrder)
        .join(Inspection, Inspection.id == RectificationOrder.inspection_id)
        .where(RectificationOrder.unit_id == unit.id, live(), is_open())
        .options(selectinload(RectificationOrder.inspection).selectinload(Inspection.findings),
                 selectinload(RectificationOrder.reports), selectinload(RectificationOrder.rechecks))
        .order_by(RectificationOrder.deadline, RectificationOrder.id)))
    history = (select(Inspection).where(Inspection.unit_id == unit.id, live())
               .options(selectinload(Inspection.findings), selectinload(Inspection.photos),
                        selectinload(Inspection.rectification_order))
               .order_by(*LATEST_FIRST))
    inspections = list(db.session.scalars(history.limit(HISTORY_SIZE)))
    cases = list(db.session.scalars(
        select(EnforcementCase).where(EnforcementCase.unit_id == unit.id)
        .order_by(EnforcementCase.filed_on.desc(), EnforcementCase.id.desc())
        .options(selectinload(EnforcementCase.inspection))))
    return Dossier(unit=unit, school=unit.school, serves=serves, served_by=served_by,
                   open_orders=orders, inspections=inspections,
                   inspections_total=_count(history), cases=cases)
