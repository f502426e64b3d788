"""What the school's view needs beyond the general API: its current suppliers' latest results."""

from __future__ import annotations

from sqlalchemy import select

from foodsafety.access import Actor
from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.inspections.rules import latest_live
from foodsafety.registry.models import SupplyLink
from foodsafety.registry.rules import supplies_on
from foodsafety.timeutil import today_cst
from foodsafety.vocabulary import Role


def school_suppliers(user: Actor) -> list[SupplyLink]:
    """The supply links of the user's school in force today, each with its supplier's latest live
    inspection riding on it (`link.latest_inspection`, None before the first)."""
    if user.role != Role.SCHOOL or user.school_id is None:
        raise ApiError(403)
    links = db.session.scalars(
        select(SupplyLink)
        .where(SupplyLink.school_id == user.school_id, supplies_on(today_cst()))
        .order_by(SupplyLink.starts_on, SupplyLink.id)
    ).all()
    latest = latest_live([link.supplier_id for link in links])
    for link in links:
        link.latest_inspection = latest.get(link.supplier_id)
    return list(links)
