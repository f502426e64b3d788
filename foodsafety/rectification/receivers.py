"""Rectification follows the inspections (their signals): the order an inspection states is
created, updated or withdrawn with it, and keeps its unit once it has a history."""

from __future__ import annotations

from sqlalchemy import select

from foodsafety.errors import ApiError, invalid
from foodsafety.extensions import db
from foodsafety.inspections import signals
from foodsafety.inspections.models import Inspection
from foodsafety.rectification.models import OrderStatus, RectificationOrder
from foodsafety.rectification.numbers import next_number
from foodsafety.rectification.services import claim
from foodsafety.registry.models import Unit


@signals.correcting.connect
def keep_history_with_its_unit(inspection: Inspection, *, unit: Unit, **_) -> None:
    """A correction may not carry an inspection (and its order's history) to another unit once
    the order has a report or a re-inspection: that history belongs to the first unit."""
    order = inspection.rectification_order
    if unit.id != inspection.unit_id and order is not None and (order.reports or order.rechecks):
        raise ApiError(409, "该检查的责令改正通知书已有整改报告或复查记录，不能更正到其他单位；"
                            "如确属录错单位，请删除本记录后为正确的单位重新记录。",
                       errors={"unit_id": ["已有整改报告或复查记录，不能更换单位。"]},
                       reason="order_has_history")


@signals.saved.connect
def sync_order(inspection: Inspection, *, order: dict | None, **_) -> None:
    """Create, update or withdraw the order that an inspection (or its correction) states; an
    order with a report or a re-inspection is never withdrawn."""
    current = inspection.rectification_order
    if order is None:
        if current is not None and not current.rechecks and not current.reports:
            db.session.delete(current)
            db.session.flush()
            db.session.expire(inspection, ["rectification_order"])
        return
    current_number = current.number if current is not None else None
    number = order.get("number") or current_number or next_number(inspection.created_by_id)
    clash = db.session.scalar(select(RectificationOrder.id).where(
        RectificationOrder.jurisdiction_code == inspection.jurisdiction_code,
        RectificationOrder.number == number,
        RectificationOrder.inspection_id != inspection.id,
    ))
    if clash:
        raise invalid({"rectification_order": {"number": ["该责令改正通知书编号已被使用。"]}})
    if current is None:
        current = RectificationOrder(inspection=inspection, status=OrderStatus.OPEN)
        db.session.add(current)
    else:
        claim(current)  # a re-inspection based on the order as it was must not land after this
    current.number = number
    current.deadline = order["deadline"]
    current.unit_id = inspection.unit_id
    current.jurisdiction_code = inspection.jurisdiction_code
    current.issued_on = inspection.inspected_on
