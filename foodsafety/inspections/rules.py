"""The inspections' rules, each stated once: which inspections count (the live ones) and which is
a unit's latest.

The latest inspection is the latest instant, not the latest date string or id; on an equal instant
it is the one the server received first (the statistics spec, "Corrections, voids and dates").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import ColumnElement, and_, exists, func, select

from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection

# Newest first (`inspected_on` leads so that the per-unit index serves the order).
LATEST_FIRST = (Inspection.inspected_on.desc(), Inspection.started_at.desc(), Inspection.id.asc())


def live(inspection=Inspection) -> ColumnElement[bool]:
    """SQL: the inspection counts (it has not been voided)."""
    return inspection.deleted_at.is_(None)


def of_live_inspection(inspection_id: ColumnElement) -> ColumnElement[bool]:
    """SQL: the record (an order) belongs to a live inspection — `live()` stated as "its inspection
    is not among the voided ones", which the database answers from the few voided inspections
    (a small hash from ix_inspections_deleted) instead of joining every live one: the orders list's
    capped count reads 10,000 orders rather than hashing all of them (PostgreSQL, 112,380 orders:
    about 30 ms against 130 ms)."""
    return ~exists().where(Inspection.id == inspection_id, Inspection.deleted_at.is_not(None))


def inspected_between(start: date, end: date, unit_id: ColumnElement) -> ColumnElement[bool]:
    """SQL: the unit had at least one live inspection dated from `start` through `end` (the
    coverage rule: 全覆盖 counts a unit as inspected in a period by this)."""
    return exists().where(Inspection.unit_id == unit_id, live(),
                          and_(Inspection.inspected_on >= start, Inspection.inspected_on <= end))


def latest_live(unit_ids: Iterable[int], where: ColumnElement[bool] | None = None
                ) -> dict[int, Inspection]:
    """The latest live inspection of each unit, in one query (`where`: e.g. the reader's scope)."""
    unit_ids = list(unit_ids)
    if not unit_ids:
        return {}
    ranked = (select(Inspection.id, func.row_number().over(
                  partition_by=Inspection.unit_id, order_by=LATEST_FIRST).label("rank"))
              .where(Inspection.unit_id.in_(unit_ids), live(),
                     *([where] if where is not None else []))
              .subquery())
    rows = db.session.scalars(
        select(Inspection).join(ranked, ranked.c.id == Inspection.id).where(ranked.c.rank == 1))
    return {row.unit_id: row for row in rows}
