"""Rectification's scheduled job: the day's count of overdue orders, per county and rolled up."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.inspections.rules import live
from foodsafety.rectification.models import RectificationOrder
from foodsafety.rectification.rules import overdue_on
from foodsafety.registry.models import Jurisdiction, JurisdictionClosure
from foodsafety.tasks import Occurrence, Task


def _overdue(as_of: date):
    """Orders of live inspections overdue on `as_of` (the rectification rule)."""
    return overdue_on(as_of), live()


def overdue_by_county(as_of: date) -> list[dict]:
    """Overdue rectification orders grouped by county, in SQL: count and oldest deadline."""
    query = (select(RectificationOrder.jurisdiction_code, Jurisdiction.name,
                    func.count(RectificationOrder.id), func.min(RectificationOrder.deadline))
             .join(Inspection, Inspection.id == RectificationOrder.inspection_id)
             .join(Jurisdiction, Jurisdiction.code == RectificationOrder.jurisdiction_code)
             .where(*_overdue(as_of))
             .group_by(RectificationOrder.jurisdiction_code, Jurisdiction.name)
             .order_by(RectificationOrder.jurisdiction_code))
    return [{"code": code, "name": name, "count": int(count), "oldest_deadline": oldest.isoformat()}
            for code, name, count, oldest in db.session.execute(query)]


def overdue_by_jurisdiction(as_of: date) -> dict[str, int]:
    """Overdue orders rolled up to every ancestor (county, city, province), in one grouped query."""
    query = (select(JurisdictionClosure.ancestor_code, func.count(RectificationOrder.id))
             .join(RectificationOrder,
                   RectificationOrder.jurisdiction_code == JurisdictionClosure.descendant_code)
             .join(Inspection, Inspection.id == RectificationOrder.inspection_id)
             .where(*_overdue(as_of))
             .group_by(JurisdictionClosure.ancestor_code))
    return {code: int(count) for code, count in db.session.execute(query)}


def count_overdue_orders(occ: Occurrence, _item: str) -> dict:
    """The day's overdue list: per county, and rolled up per jurisdiction."""
    by_county = overdue_by_county(occ.cutoff)
    return {"as_of": occ.cutoff.isoformat(), "total": sum(c["count"] for c in by_county),
            "by_county": by_county, "by_jurisdiction": overdue_by_jurisdiction(occ.cutoff)}


OVERDUE_ORDERS = Task(lambda occ: ["all"], count_overdue_orders, lambda occ, done: done["all"])
