"""Units as the registry shows them carry their last inspection and their open orders (the
registry's `units_shown` signal): two grouped queries per page, within what the reader may read."""

from __future__ import annotations

from sqlalchemy import func, select

from foodsafety.access import Actor
from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.inspections.rules import latest_live, live
from foodsafety.rectification.models import RectificationOrder
from foodsafety.rectification.rules import is_open
from foodsafety.registry import signals
from foodsafety.registry.models import Unit
from foodsafety.registry.scope import record_read_clause


def open_orders_of(user: Actor, unit_ids: list[int]) -> dict[int, int]:
    """How many open orders (of live inspections, readable by `user`) each unit has."""
    query = (select(RectificationOrder.unit_id, func.count(RectificationOrder.id))
             .join(Inspection, Inspection.id == RectificationOrder.inspection_id)
             .where(RectificationOrder.unit_id.in_(unit_ids), live(), is_open(),
                    record_read_clause(user, RectificationOrder.unit_id))
             .group_by(RectificationOrder.unit_id))
    return {unit_id: int(count) for unit_id, count in db.session.execute(query)}


@signals.units_shown.connect
def add_history(user: Actor, *, units: list[Unit], **_) -> None:
    """Each unit's latest live inspection (or None) and its number of open orders."""
    ids = [unit.id for unit in units]
    latest = latest_live(ids, where=record_read_clause(user, Inspection.unit_id))
    orders = open_orders_of(user, ids)
    for unit in units:
        unit.last_inspection = latest.get(unit.id)
        unit.open_orders = orders.get(unit.id, 0)
