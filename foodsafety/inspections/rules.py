"""The inspections' rules, each stated once: which inspections count (the live ones) and which is
a unit's latest.

The latest inspection is the latest instant, not the latest date string or id; on an equal instant
it is the one the server received first (the statistics spec, "Corrections, voids and dates").
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, func, select

from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection

# Newest first (`inspected_on` leads so that the per-unit index serves the order).
LATEST_FIRST = (Inspection.inspected_on.desc(), Inspection.started_at.desc(), Inspection.id.asc())


def live(inspection=Inspection) -> ColumnElement[bool]:
    """SQL: the inspection counts (it has not been voided)."""
    return inspection.deleted_at.is_(None)


def latest_live(unit_ids: Iterable[int]) -> dict[int, Inspection]:
    """The latest live inspection of each unit, in one query."""
    unit_ids = list(unit_ids)
    if not unit_ids:
        return {}
    ranked = (select(Inspection.id, func.row_number().over(
                  partition_by=Inspection.unit_id, order_by=LATEST_FIRST).label("rank"))
              .where(Inspection.unit_id.in_(unit_ids), live())
              .subquery())
    rows = db.session.scalars(
        select(Inspection).join(ranked, ranked.c.id == Inspection.id).where(ranked.c.rank == 1))
    return {row.unit_id: row for row in rows}
