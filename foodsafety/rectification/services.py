"""Rectification services: orders issued at inspections, re-inspections, reports, overdue lists."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from foodsafety.accounts.models import Role, User
from foodsafety.errors import ApiError, invalid, not_found
from foodsafety.extensions import db
from foodsafety.inspections.models import Finding, Inspection
from foodsafety.photos.services import check_report_photos
from foodsafety.rectification.models import (
    OrderStatus,
    Recheck,
    RectificationOrder,
    RectificationReport,
)
from foodsafety.scope import in_subtree, record_read_clause
from foodsafety.timeutil import iso_cst, today_cst

STATUS_LABELS = {"open": "待整改", "reported": "已报告整改，待复查", "closed": "复查合格，已销号"}


def sync_order_from_inspection(inspection: Inspection, order: dict | None) -> None:
    """Create, update or withdraw the order that an inspection (or its correction) states."""
    current = order_for_inspection(inspection.id)
    if order is None:
        if current is not None and not current.rechecks:
            db.session.delete(current)
        return
    clash = db.session.scalar(select(RectificationOrder.id).where(
        RectificationOrder.jurisdiction_code == inspection.jurisdiction_code,
        RectificationOrder.number == order["number"],
        RectificationOrder.inspection_id != inspection.id,
    ))
    if clash:
        raise invalid({"rectification_order": {"number": ["该责令改正通知书编号已被使用。"]}})
    if current is None:
        current = RectificationOrder(inspection_id=inspection.id, status=OrderStatus.OPEN)
        db.session.add(current)
    current.number = order["number"]
    current.deadline = order["deadline"]
    current.unit_id = inspection.unit_id
    current.jurisdiction_code = inspection.jurisdiction_code
    current.issued_on = inspection.inspected_on


def order_for_inspection(inspection_id: int) -> RectificationOrder | None:
    return db.session.scalar(
        select(RectificationOrder).where(RectificationOrder.inspection_id == inspection_id))


def is_overdue(order: RectificationOrder, today: date | None = None) -> bool:
    return order.status != OrderStatus.CLOSED and order.deadline < (today or today_cst())


def order_summary(order: RectificationOrder) -> dict:
    return {
        "id": order.id,
        "number": order.number,
        "issued_on": order.issued_on.isoformat(),
        "deadline": order.deadline.isoformat(),
        "status": order.status.value,
        "status_label": STATUS_LABELS[order.status.value],
        "overdue": is_overdue(order),
        "closed_on": order.closed_on.isoformat() if order.closed_on else None,
    }


def order_detail(order: RectificationOrder) -> dict:
    detail = order_summary(order)
    inspection = order.inspection
    detail.update({
        "inspection_id": inspection.uuid,
        "unit": {"id": order.unit.id, "name": order.unit.name, "kind": order.unit.kind.value},
        "jurisdiction_code": order.jurisdiction_code,
        "findings": [{"id": f.id, "item": f.item_code, "category": f.category.value,
                      "description": f.description, "rectified": f.rectified}
                     for f in inspection.findings],
        "reports": [{"id": r.id, "text": r.text, "photo_ids": r.photo_ids,
                     "submitted_at": iso_cst(r.submitted_at)} for r in order.reports],
        "rechecks": [{"id": c.id, "checked_on": c.checked_on.isoformat(),
                      "all_rectified": c.all_rectified, "results": c.results, "note": c.note}
                     for c in order.rechecks],
    })
    return detail


def _live_orders(user: User) -> Select:
    return (
        select(RectificationOrder)
        .join(Inspection, Inspection.id == RectificationOrder.inspection_id)
        .where(Inspection.deleted_at.is_(None),
               record_read_clause(user, RectificationOrder.jurisdiction_code,
                                  RectificationOrder.unit_id))
    )


def list_orders(user: User, args: dict) -> Select:
    """Orders in the user's scope, filtered by jurisdiction, status, unit or overdue."""
    query = (_live_orders(user)
             .options(selectinload(RectificationOrder.inspection).selectinload(Inspection.findings),
                      selectinload(RectificationOrder.unit), selectinload(RectificationOrder.reports),
                      selectinload(RectificationOrder.rechecks))  # a page in 5 queries, not 5 per order
             .order_by(RectificationOrder.deadline, RectificationOrder.id))
    if code := args.get("jurisdiction"):
        query = query.where(in_subtree(code, RectificationOrder.jurisdiction_code))
    if status := args.get("status"):
        query = query.where(RectificationOrder.status == OrderStatus(status))
    if unit_id := args.get("unit_id"):
        query = query.where(RectificationOrder.unit_id == unit_id)
    if args.get("overdue"):
        query = query.where(RectificationOrder.status != OrderStatus.CLOSED,
                            RectificationOrder.deadline < (args.get("as_of") or today_cst()))
    return query


def get_order(user: User, order_id: int) -> RectificationOrder:
    order = db.session.scalar(_live_orders(user).where(RectificationOrder.id == order_id))
    if order is None:
        raise not_found()
    return order


def record_recheck(user: User, order_id: int, data: dict) -> Recheck:
    """A re-inspection: every finding of the order marked rectified or not; all → order closed."""
    order = get_order(user, order_id)
    if user.role != Role.INSPECTOR:
        raise ApiError(403)
    if order.status == OrderStatus.CLOSED:
        raise ApiError(409, "该整改通知已复查合格并销号。", reason="order_closed")
    findings = {f.id: f for f in order.inspection.findings}
    errors: dict = {}
    if data["checked_on"] < order.issued_on:
        errors["checked_on"] = ["复查日期不能早于下达日期。"]
    if data["checked_on"] > today_cst():
        errors["checked_on"] = ["复查日期不能晚于今天。"]
    seen: set[int] = set()
    for index, result in enumerate(data["results"]):
        if result["finding_id"] not in findings:
            errors.setdefault("results", {})[index] = {"finding_id": ["不是该整改通知的问题。"]}
        elif result["finding_id"] in seen:
            errors.setdefault("results", {})[index] = {"finding_id": ["重复。"]}
        seen.add(result["finding_id"])
    missing = set(findings) - seen
    if missing and "results" not in errors:
        errors["results"] = [f"以下问题未给出复查结论：{', '.join(map(str, sorted(missing)))}。"]
    if errors:
        raise invalid(errors)
    for result in data["results"]:
        finding: Finding = findings[result["finding_id"]]
        finding.rectified = result["rectified"]
        finding.rectified_checked_on = data["checked_on"]
    all_done = all(r["rectified"] for r in data["results"])
    recheck = Recheck(order_id=order.id, checked_on=data["checked_on"],
                      inspectors=[dict(i) for i in data["inspectors"]],
                      results=[dict(r) for r in data["results"]], all_rectified=all_done,
                      note=data.get("note"), created_by_id=user.id)
    db.session.add(recheck)
    if all_done:
        order.status = OrderStatus.CLOSED
        order.closed_on = data["checked_on"]
    else:
        order.status = OrderStatus.OPEN
    db.session.flush()
    return recheck


def submit_report(user: User, order_id: int, data: dict) -> RectificationReport:
    """A school reports its rectification; the order then waits for the re-inspection."""
    order = get_order(user, order_id)
    if user.role != Role.SCHOOL:
        raise ApiError(403)
    if order.status == OrderStatus.CLOSED:
        raise ApiError(409, "该整改通知已复查合格并销号。", reason="order_closed")
    photo_ids = check_report_photos(user, order, data.get("photo_ids") or [])
    report = RectificationReport(order_id=order.id, text=data["text"], photo_ids=photo_ids,
                                 submitted_by_id=user.id)
    db.session.add(report)
    order.status = OrderStatus.REPORTED
    db.session.flush()
    return report
