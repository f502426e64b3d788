"""What the school's view needs beyond the general API: its current suppliers' latest results."""

from __future__ import annotations

from sqlalchemy import select

from foodsafety.accounts.models import Role, User
from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.inspections.rules import latest_live
from foodsafety.registry.models import SupplyLink
from foodsafety.registry.rules import supplies_on
from foodsafety.timeutil import today_cst


def school_suppliers(user: User) -> list[dict]:
    """The catering suppliers serving the user's school today, each with its latest result."""
    if user.role != Role.SCHOOL or user.school_id is None:
        raise ApiError(403)
    links = db.session.scalars(
        select(SupplyLink)
        .where(SupplyLink.school_id == user.school_id, supplies_on(today_cst()))
        .order_by(SupplyLink.starts_on, SupplyLink.id)
    ).all()
    latest = latest_live([link.supplier_id for link in links])
    out = []
    for link in links:
        unit = link.supplier
        inspection = latest.get(unit.id)
        out.append({
            "supplier": {"id": unit.id, "name": unit.name, "licence_no": unit.licence_no,
                         "licence_expires_on": _day(unit.licence_expires_on)},
            "starts_on": link.starts_on.isoformat(),
            "ends_on": _day(link.ends_on),
            "haccp": unit.haccp.value,
            "haccp_label": unit.haccp.label,
            "haccp_cert_expires_on": _day(unit.haccp_cert_expires_on),
            "latest_inspection": None if inspection is None else {
                "inspected_on": inspection.inspected_on.isoformat(),
                "result": inspection.result.value,
                "result_label": inspection.result.label,
                "problems_found": inspection.problems_found,
                "haccp": inspection.obs_haccp.value,
                "haccp_label": inspection.obs_haccp.label,
                "haccp_cert_expires_on": _day(inspection.obs_haccp_cert_expires_on),
            },
        })
    return out


def _day(value) -> str | None:
    return value.isoformat() if value else None
