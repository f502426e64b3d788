"""Rectification services: reading orders (lists, overdue), re-inspections, schools' reports."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, func, not_, select, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from foodsafety.accounts.models import Role, User
from foodsafety.errors import ApiError, invalid, not_found
from foodsafety.extensions import db
from foodsafety.inspections.models import Finding, Inspection
from foodsafety.inspections.rules import of_live_inspection
from foodsafety.pagination import sorted_by
from foodsafety.periods import parse_period
from foodsafety.rectification import signals
from foodsafety.rectification.models import (
    OrderStatus,
    Recheck,
    RectificationOrder,
    RectificationReport,
)
from foodsafety.rectification.rules import FOLLOW_UP_MAX_DAYS, overdue_on
from foodsafety.registry.models import JurisdictionClosure, Unit
from foodsafety.registry.scope import record_read_clause, unit_within
from foodsafety.registry.services import units_matching
from foodsafety.timeutil import today_cst
from foodsafety.transactions import savepoint


def claim(order: RectificationOrder, **values) -> None:
    """Compare-and-set the order's version (and set `values`): the write of whoever read it
    first lands, a concurrent one based on the same version gets 409 (both databases: the second
    UPDATE waits for the first to commit, then matches no row)."""
    changed = db.session.execute(
        update(RectificationOrder)
        .where(RectificationOrder.id == order.id, RectificationOrder.version == order.version)
        .values(version=RectificationOrder.version + 1, **values)
        .execution_options(synchronize_session=False)).rowcount
    db.session.expire(order, ["version", *values])
    if changed != 1:
        raise ApiError(409, "该整改通知刚被他人复查或更新，请刷新后再试。", reason="order_changed")


# The list's orders: each ends with the primary key (keyset cursors).
SORTS = {"deadline": (RectificationOrder.deadline, RectificationOrder.id),
         "issued": (RectificationOrder.issued_on, RectificationOrder.id)}


def _live_orders(user: User) -> Select:
    return select(RectificationOrder).where(of_live_inspection(RectificationOrder.inspection_id),
                                            record_read_clause(user, RectificationOrder.unit_id))


def list_orders(user: User, args: dict) -> Select:
    """Orders in the user's scope, filtered by jurisdiction, status, unit or overdue."""
    query = sorted_by(
        _live_orders(user)
        .options(selectinload(RectificationOrder.inspection).selectinload(Inspection.findings),
                 selectinload(RectificationOrder.unit).selectinload(Unit.jurisdiction),
                 selectinload(RectificationOrder.reports),
                 selectinload(RectificationOrder.rechecks)),  # a page in 5 queries, not 5 per order
        SORTS, args.get("sort") or "deadline")
    if code := args.get("jurisdiction"):
        query = query.where(unit_within(code, RectificationOrder.unit_id))
    if status := args.get("status"):
        query = query.where(RectificationOrder.status == OrderStatus(status))
    if unit_id := args.get("unit_id"):
        query = query.where(RectificationOrder.unit_id == unit_id)
    if args.get("overdue") is not None:
        overdue = overdue_on(args.get("as_of") or today_cst())
        query = query.where(overdue if args["overdue"] else not_(overdue))
    if school_id := args.get("school_id"):
        query = query.where(RectificationOrder.unit_id.in_(
            select(Unit.id).where(Unit.school_id == school_id)))
    if kind := args.get("kind"):
        query = query.where(RectificationOrder.unit_id.in_(select(Unit.id).where(Unit.kind == kind)))
    if period := args.get("period"):
        span = parse_period(period)
        query = query.where(RectificationOrder.issued_on.between(span.start, span.end))
    if q := args.get("q"):
        by_number = select(RectificationOrder.id).where(
            RectificationOrder.number.contains(q, autoescape=True))
        by_unit = select(RectificationOrder.id).where(RectificationOrder.unit_id.in_(units_matching(q)))
        # IN over a UNION, not an OR: PostgreSQL then expects a search's few rows (0.25 s for the
        # province against 0.6 s, where the OR's guess of half the orders scanned every inspection).
        query = query.where(RectificationOrder.id.in_(union(by_number, by_unit)))
    return query


def get_order(user: User, order_id: int) -> RectificationOrder:
    order = db.session.scalar(_live_orders(user).where(RectificationOrder.id == order_id))
    if order is None:
        raise not_found()
    return order


def _find_recheck(client_id: str) -> Recheck | None:
    return db.session.scalar(select(Recheck).where(Recheck.client_id == client_id))


def _recheck_body(data: dict) -> dict:
    """What a re-inspection said, comparable between a stored one and a repeat."""
    return {"checked_on": data["checked_on"], "note": data.get("note"),
            "new_deadline": data.get("new_deadline"),
            "results": [{"finding_id": r["finding_id"], "rectified": r["rectified"],
                         "note": r.get("note"),
                         "photo_ids": [str(p) for p in r.get("photo_ids") or []]}
                        for r in data["results"]]}


def _replay_recheck(user: User, recheck: Recheck, order_id: int, data: dict) -> Recheck:
    """A re-inspection id sent again (a retry from the outbox) → the stored one, if the same."""
    if recheck.order_id != order_id or recheck.created_by_id != user.id:
        raise ApiError(409, "该复查编号（id）已被使用，请重新生成。", reason="recheck_id_conflict")
    stored = _recheck_body({"checked_on": recheck.checked_on, "note": recheck.note,
                            "new_deadline": recheck.new_deadline, "results": recheck.results})
    if stored != _recheck_body(data):
        raise ApiError(409, "该复查编号（id）已提交过不同的内容。", reason="recheck_id_conflict")
    return recheck


def _check_recheck(order: RectificationOrder, data: dict, findings: dict[int, Finding]) -> None:
    """422 with every problem of a re-inspection, by field."""
    errors: dict = {}
    day = data["checked_on"]
    if day < order.issued_on:
        errors["checked_on"] = ["复查日期不能早于下达日期。"]
    if day > today_cst():
        errors["checked_on"] = ["复查日期不能晚于今天。"]
    seen: set[int] = set()
    for index, result in enumerate(data["results"]):
        if result["finding_id"] not in findings:
            errors.setdefault("results", {})[index] = {"finding_id": ["不是该整改通知的问题。"]}
        elif result["finding_id"] in seen:
            errors.setdefault("results", {})[index] = {"finding_id": ["重复。"]}
        seen.add(result["finding_id"])
    missing = {fid for fid, f in findings.items() if f.rectified is not True} - seen
    if missing and "results" not in errors:
        errors["results"] = [f"以下问题未给出复查结论：{', '.join(map(str, sorted(missing)))}。"]
    outcome = {fid: f.rectified is True for fid, f in findings.items()}
    outcome.update({r["finding_id"]: r["rectified"] for r in data["results"]
                    if r["finding_id"] in findings})
    if (new_deadline := data.get("new_deadline")) is not None:
        if all(outcome.values()):
            errors["new_deadline"] = ["问题已全部整改，无需再限期整改。"]
        elif new_deadline <= day:
            errors["new_deadline"] = ["新的整改期限应晚于复查日期。"]
        elif new_deadline > day + timedelta(days=FOLLOW_UP_MAX_DAYS):
            errors["new_deadline"] = [f"新的整改期限不能超过复查日期后 {FOLLOW_UP_MAX_DAYS} 天。"]
    if errors:
        raise invalid(errors)


def record_recheck(user: User, order_id: int, data: dict) -> tuple[Recheck, bool]:
    """A re-inspection: every open finding marked rectified or not; all rectified → closed;
    otherwise, with `new_deadline`, a follow-up (限期再整改): the order stays open until then.

    An order with no open findings (none at all, or all rectified already) is closed by a
    re-inspection with no results. Of concurrent re-inspections of one order only the first
    counts; the others get 409 and see its outcome when they reload. With an `id`, a repeat
    (the outbox retrying) is answered with the stored re-inspection. Returns (recheck, created).
    """
    client_id = str(data["id"]) if data.get("id") else None
    if client_id and (existing := _find_recheck(client_id)) is not None:
        return _replay_recheck(user, existing, order_id, data), False
    order = get_order(user, order_id)
    if user.role != Role.INSPECTOR:
        raise ApiError(403)
    if order.status == OrderStatus.CLOSED:
        raise ApiError(409, "该整改通知已复查合格并销号。", reason="order_closed")
    known = data.get("known_rechecks")
    if known is not None and known != len(order.rechecks):
        raise ApiError(409, "在您填写复查期间，该整改通知已被他人复查，请查看最新情况后再复查。",
                       reason="order_changed")
    findings = {f.id: f for f in order.inspection.findings}
    _check_recheck(order, data, findings)
    photo_ids = {index: [str(p) for p in r.get("photo_ids") or []]
                 for index, r in enumerate(data["results"]) if r.get("photo_ids")}
    if photo_ids:
        signals.recheck_recording.send(order, user=user, photo_ids=photo_ids)
    outcome = {fid: f.rectified is True for fid, f in findings.items()}
    outcome.update({r["finding_id"]: r["rectified"] for r in data["results"]})
    all_done = all(outcome.values())
    previous_deadline = order.deadline
    new_deadline = data.get("new_deadline")
    values = {"status": OrderStatus.CLOSED if all_done else OrderStatus.OPEN,
              "closed_on": data["checked_on"] if all_done else None}
    if new_deadline:
        values["deadline"] = new_deadline
    claim(order, **values)
    for result in data["results"]:
        finding: Finding = findings[result["finding_id"]]
        finding.rectified = result["rectified"]
        finding.rectified_checked_on = data["checked_on"]
    body = _recheck_body(data)
    recheck = Recheck(client_id=client_id, order_id=order.id, checked_on=data["checked_on"],
                      inspectors=[dict(i) for i in data["inspectors"]],
                      results=body["results"], all_rectified=all_done, note=data.get("note"),
                      previous_deadline=previous_deadline if new_deadline else None,
                      new_deadline=new_deadline, created_by_id=user.id)
    try:
        with savepoint():  # a concurrent twin of the same id undoes this insert only
            db.session.add(recheck)
            db.session.flush()
    except IntegrityError:
        existing = _find_recheck(client_id) if client_id else None
        if existing is None:
            raise
        return _replay_recheck(user, existing, order_id, data), False
    return recheck, True


def _find_report(client_id: str) -> RectificationReport | None:
    return db.session.scalar(
        select(RectificationReport).where(RectificationReport.client_id == client_id))


def _replay_report(user: User, report: RectificationReport, order_id: int, text: str,
                   photo_ids: list[str]) -> RectificationReport:
    """A report id sent again: the same report (a double tap, a retry) → the stored one."""
    if report.order_id != order_id or report.submitted_by_id != user.id:
        raise ApiError(409, "该整改报告编号（id）已被使用，请重新生成。", reason="report_id_conflict")
    if report.text != text or list(report.photo_ids or []) != photo_ids:
        raise ApiError(409, "该整改报告编号（id）已提交过不同的内容。", reason="report_id_conflict")
    return report


def submit_report(user: User, order_id: int, data: dict) -> tuple[RectificationReport, bool]:
    """A school reports its rectification; the order then waits for the re-inspection.

    Idempotent by the report's client-generated id: a repeat (double tap, retry, even a
    concurrent one) stores nothing more and is answered with the stored report.
    Returns (report, created).
    """
    client_id = str(data["id"])
    existing = _find_report(client_id)
    if existing is not None:
        ids = [str(i) for i in data.get("photo_ids") or []]
        return _replay_report(user, existing, order_id, data["text"], ids), False
    order = get_order(user, order_id)
    if user.role != Role.SCHOOL:
        raise ApiError(403)
    if order.status == OrderStatus.CLOSED:
        raise ApiError(409, "该整改通知已复查合格并销号。", reason="order_closed")
    photo_ids = [str(photo_id) for photo_id in data.get("photo_ids") or []]
    signals.report_submitting.send(order, user=user, photo_ids=photo_ids)  # photos checks them
    try:
        with savepoint():  # a concurrent twin undoes this insert only
            report = RectificationReport(client_id=client_id, order_id=order.id, text=data["text"],
                                         photo_ids=photo_ids, submitted_by_id=user.id)
            db.session.add(report)
            db.session.flush()
    except IntegrityError:
        existing = _find_report(client_id)
        if existing is None:
            raise
        return _replay_report(user, existing, order_id, data["text"], photo_ids), False
    claim(order, status=OrderStatus.REPORTED)
    db.session.flush()
    return report, True


def overdue_counts(codes: list[str], day) -> dict[str, int]:
    """Orders overdue on `day` issued within each of `codes` (its whole subtree), one query."""
    rows = db.session.execute(
        select(JurisdictionClosure.ancestor_code, func.count(RectificationOrder.id))
        .join(RectificationOrder,
              RectificationOrder.jurisdiction_code == JurisdictionClosure.descendant_code)
        .where(JurisdictionClosure.ancestor_code.in_(codes), overdue_on(day))
        .group_by(JurisdictionClosure.ancestor_code))
    counts = dict.fromkeys(codes, 0)
    counts.update({code: int(n) for code, n in rows})
    return counts
