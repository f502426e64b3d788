"""Drill-down: the records behind one cell of the table.

A cell's records are selected by the same conditions `queries.py` counts them with (the stock
conditions and status bits, the problem findings, the visits, orders and case stages), so the
number listed is the cell's figure (and for D4 the amounts add up to it). Each cell is a query,
paginated like every list; `dump(rows)` turns a page of models into records, loading what a
record shows beside its model (a unit's inspections, a page's jurisdictions) in one query.

Records are dicts with whichever of `unit`, `school`, `inspection`, `inspections`, `order`,
`case` the row's records have (`RecordSchema` serialises them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from foodsafety.enforcement.models import EnforcementCase
from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.inspections.models import Finding, Inspection
from foodsafety.periods import Period
from foodsafety.rectification.models import RectificationOrder
from foodsafety.registry.models import School, Unit, UnitKind
from foodsafety.statistics import queries
from foodsafety.statistics.definition import TABLE, Row

# What each row's records are, in Chinese (the page's heading of the list).
RECORDS = {"units": "单位", "schools": "学校", "inspections": "检查记录", "orders": "责令改正通知书",
           "cases": "案件"}


@dataclass(frozen=True)
class Cell:
    """The records of one cell: a paginated query and how a page of it becomes records."""

    row: Row
    records: str  # a key of RECORDS
    query: Select
    dump: Callable[[list], list[dict]]


def _unit_ref(unit: Unit) -> dict:
    return {"id": unit.id, "name": unit.name, "kind": unit.kind.value, "kind_label": unit.kind.label,
            "jurisdiction_code": unit.jurisdiction_code,
            "jurisdiction_name": unit.jurisdiction.name, "licence_no": unit.licence_no}


def _inspection_ref(inspection: Inspection) -> dict:
    return {"id": inspection.uuid, "inspected_on": inspection.inspected_on,
            "result": inspection.result.value, "result_label": inspection.result.label,
            "problems_found": inspection.problems_found}


def _units(query: Select) -> Select:
    return (query.options(selectinload(Unit.jurisdiction))
            .order_by(Unit.jurisdiction_code, Unit.name, Unit.id))


def _unit_records(units: list[Unit]) -> list[dict]:
    return [{"unit": _unit_ref(unit)} for unit in units]


def _stock(scope: queries.Scope, row: Row, cutoff: date) -> Cell:
    if row.measure == "distinct_schools_supplied":
        pairs = queries.supplied_pairs(scope, cutoff).subquery("supplied")
        query = (select(School).options(selectinload(School.jurisdiction))
                 .where(School.id.in_(select(pairs.c.school_id)))
                 .order_by(School.jurisdiction_code, School.name, School.id))
        return Cell(row, "schools", query, lambda schools: [
            {"school": {"id": s.id, "name": s.name, "jurisdiction_code": s.jurisdiction_code,
                        "jurisdiction_name": s.jurisdiction.name}} for s in schools])
    conditions = [*queries.licensed_units(scope, cutoff), Unit.kind == UnitKind(row.unit_kind)]
    extra = queries.stock_condition(row, queries.status_on(cutoff))
    if extra is not None:
        conditions.append(extra)
    return Cell(row, "units", _units(select(Unit).where(*conditions)), _unit_records)


def _problem(scope: queries.Scope, row: Row, period: Period, cutoff: date) -> Cell:
    findings = queries.problem_findings(scope, period, cutoff, row)
    recorded = (select(Inspection.unit_id).join(Finding, Finding.inspection_id == Inspection.id)
                .where(*findings))

    def dump(units: list[Unit]) -> list[dict]:
        """Each unit with the inspection(s) of the period that recorded a problem of the row's
        category, and those problems (one query for the page)."""
        by_unit: dict[int, dict[int, dict]] = {unit.id: {} for unit in units}
        rows = db.session.execute(
            select(Inspection, Finding.item_code, Finding.description)
            .join(Finding, Finding.inspection_id == Inspection.id)
            .where(*findings, Inspection.unit_id.in_(list(by_unit)))
            .order_by(Inspection.inspected_on, Inspection.started_at, Inspection.id, Finding.id))
        for inspection, item_code, description in rows:
            entry = by_unit[inspection.unit_id].setdefault(
                inspection.id, {**_inspection_ref(inspection), "problems": []})
            entry["problems"].append({"item_code": item_code, "description": description})
        return [{"unit": _unit_ref(unit), "inspections": list(by_unit[unit.id].values())}
                for unit in units]

    return Cell(row, "units", _units(select(Unit).where(Unit.id.in_(recorded))), dump)


def _inspections(scope: queries.Scope, row: Row, period: Period, cutoff: date) -> Cell:
    query = (select(Inspection)
             .options(selectinload(Inspection.unit).selectinload(Unit.jurisdiction))
             .where(*queries.inspections_in(scope, period, cutoff))
             .order_by(Inspection.inspected_on.desc(), Inspection.id.desc()))
    return Cell(row, "inspections", query, lambda inspections: [
        {"unit": _unit_ref(i.unit), "inspection": _inspection_ref(i)} for i in inspections])


def _orders(scope: queries.Scope, row: Row, period: Period, cutoff: date) -> Cell:
    order = RectificationOrder
    query = (select(order)
             .options(selectinload(order.unit).selectinload(Unit.jurisdiction),
                      selectinload(order.inspection))
             .where(*queries.orders_issued_in(scope, period, cutoff), ~queries.order_withdrawn())
             .order_by(order.issued_on.desc(), order.id.desc()))
    return Cell(row, "orders", query, lambda orders: [
        {"unit": _unit_ref(o.unit), "inspection": _inspection_ref(o.inspection),
         "order": {"id": o.id, "number": o.number, "issued_on": o.issued_on,
                   "deadline": o.deadline, "status": o.status.value,
                   "status_label": o.status.label}} for o in orders])


def _case_ref(case: EnforcementCase, stage_on: date | None) -> dict:
    return {"id": case.id, "case_no": case.case_no, "filed_on": case.filed_on,
            "decided_on": case.decided_on, "fine_yuan": str(case.fine_yuan),
            "confiscated_yuan": str(case.confiscated_yuan),
            "amount_yuan": str(case.fine_yuan + case.confiscated_yuan),
            "stage_on": stage_on, "summary": case.summary}


def _cases(scope: queries.Scope, row: Row, period: Period, cutoff: date) -> Cell:
    e = EnforcementCase
    stage = queries.CASE_STAGES[row.measure]
    in_stage = [queries.scope_cases(scope), queries.case_in_stage(row.measure, period, cutoff)]
    if row.measure in queries.CASE_UNITS:  # units (家), each once: with their cases of the stage
        units = select(e.unit_id).join(Unit, Unit.id == e.unit_id).where(*in_stage)

        def dump(found: list[Unit]) -> list[dict]:
            cases: dict[int, list[dict]] = {unit.id: [] for unit in found}
            for case_ in db.session.scalars(
                    select(e).join(Unit, Unit.id == e.unit_id)
                    .where(*in_stage, e.unit_id.in_(list(cases))).order_by(stage, e.id)):
                cases[case_.unit_id].append(_case_ref(case_, getattr(case_, stage.key)))
            return [{"unit": _unit_ref(unit), "cases": cases[unit.id]} for unit in found]

        return Cell(row, "units", _units(select(Unit).where(Unit.id.in_(units))), dump)
    query = (select(e).join(Unit, Unit.id == e.unit_id)
             .options(selectinload(e.unit).selectinload(Unit.jurisdiction))
             .where(*in_stage)
             .order_by(stage.desc(), e.id.desc()))
    return Cell(row, "cases", query, lambda cases: [
        {"unit": _unit_ref(c.unit), "case": _case_ref(c, getattr(c, stage.key))} for c in cases])


def cell(code: str, row_code: str, period: Period, cutoff: date) -> Cell:
    """The records behind row `row_code` of `code`'s table (404 for a row the table lacks)."""
    row = next((r for r in TABLE.rows if r.code == row_code), None)
    if row is None:
        raise ApiError(404, "统计表中没有该行。")
    scope = queries.Scope.node(code)
    if row.kind == "stock":
        return _stock(scope, row, cutoff)
    if row.kind == "problem":
        return _problem(scope, row, period, cutoff)
    if row.measure == "inspections":
        return _inspections(scope, row, period, cutoff)
    if row.measure == "rectification_orders":
        return _orders(scope, row, period, cutoff)
    return _cases(scope, row, period, cutoff)
