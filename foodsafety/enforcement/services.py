"""Enforcement services: file a case and record what became of it, within the inspector's scope."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from foodsafety.accounts.models import Role, User
from foodsafety.enforcement.models import EnforcementCase
from foodsafety.errors import ApiError, invalid, not_found
from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.inspections.rules import live
from foodsafety.pagination import sorted_by
from foodsafety.periods import parse_period
from foodsafety.registry.models import Unit, UnitKind
from foodsafety.registry.scope import record_read_clause, unit_within, unit_write_clause
from foodsafety.registry.services import units_matching
from foodsafety.timeutil import today_cst, utcnow

STAGE_FIELDS = ("summary", "decided_on", "fine_yuan", "confiscated_yuan", "licence_revoked_on",
                "banned_on", "transferred_on", "criminal_filed_on")
DATE_FIELDS = ("filed_on", "decided_on", "licence_revoked_on", "banned_on", "transferred_on",
               "criminal_filed_on")


def _validate(case: EnforcementCase, unit: Unit) -> None:
    """Check the case as a whole (dates in order, not in the future, stages fit the unit)."""
    errors: dict[str, list[str]] = {}
    today = today_cst()
    for name in DATE_FIELDS:
        value = getattr(case, name)
        if value and value > today:
            errors.setdefault(name, []).append("日期不能晚于今天。")
        if value and name != "filed_on" and value < case.filed_on:
            errors.setdefault(name, []).append("日期不能早于立案日期。")
    if (case.fine_yuan or case.confiscated_yuan) and not case.decided_on:
        errors.setdefault("decided_on", []).append("有罚没金额时必须填写处罚决定日期。")
    if case.criminal_filed_on and not case.transferred_on:
        errors.setdefault("criminal_filed_on", []).append("刑事立案前应先移送公安机关。")
    elif case.criminal_filed_on and case.criminal_filed_on < case.transferred_on:
        errors.setdefault("criminal_filed_on", []).append("刑事立案日期不能早于移送日期。")
    if case.licence_revoked_on and not unit.licence_no:
        errors.setdefault("licence_revoked_on", []).append("该单位没有登记许可证，无法吊销。")
    if case.banned_on and unit.kind != UnitKind.UNLICENSED:
        errors.setdefault("banned_on", []).append("取缔仅适用于无证经营者。")
    if errors:
        raise invalid(errors)


def create_case(user: User, data: dict) -> EnforcementCase:
    """File a case (立案) on a unit in the inspector's jurisdiction.

    Case numbers are unique within the issuing jurisdiction (the unit's county when filed), as
    each county's bureau numbers its own cases; two counties may both have 案 2026-001.
    """
    unit = db.session.scalar(select(Unit).where(Unit.id == data["unit_id"],
                                                unit_write_clause(user)))
    if unit is None:
        raise invalid({"unit_id": ["单位不存在或不在您的辖区内。"]})
    inspection_id = None
    if data.get("inspection_id"):
        inspection_id = db.session.scalar(select(Inspection.id).where(
            Inspection.uuid == str(data["inspection_id"]), Inspection.unit_id == unit.id,
            live()))
        if inspection_id is None:
            raise invalid({"inspection_id": ["该单位没有这次检查记录。"]})
    if db.session.scalar(select(EnforcementCase.id).where(
            EnforcementCase.jurisdiction_code == unit.jurisdiction_code,
            EnforcementCase.case_no == data["case_no"])):
        raise invalid({"case_no": ["案件编号已存在。"]})
    case = EnforcementCase(
        case_no=data["case_no"], unit_id=unit.id, jurisdiction_code=unit.jurisdiction_code,
        inspection_id=inspection_id, filed_on=data["filed_on"], created_by_id=user.id,
        fine_yuan=Decimal("0.00"), confiscated_yuan=Decimal("0.00"),
    )
    for name in STAGE_FIELDS:
        if name in data and data[name] is not None:
            setattr(case, name, data[name])
    _validate(case, unit)
    db.session.add(case)
    db.session.flush()
    record_revocation(unit)
    return case


def update_case(user: User, case_id: int, data: dict) -> EnforcementCase:
    """Record later stages (decision, revocation, transfer, criminal filing); null clears one."""
    case = get_case(user, case_id, for_write=True)
    for name in ("filed_on", *STAGE_FIELDS):
        if name in data:
            value = data[name]
            if name in ("fine_yuan", "confiscated_yuan") and value is None:
                value = Decimal("0.00")
            setattr(case, name, value)
    _validate(case, case.unit)
    case.updated_at = utcnow()
    db.session.flush()
    record_revocation(case.unit)
    return case


def record_revocation(unit: Unit) -> None:
    """Keep the unit's `licence_revoked_on` (what every licence check reads) equal to the
    earliest revocation its cases record (none when the last one is cleared)."""
    unit.licence_revoked_on = db.session.scalar(
        select(func.min(EnforcementCase.licence_revoked_on))
        .where(EnforcementCase.unit_id == unit.id))


def get_case(user: User, case_id: int, *, for_write: bool = False) -> EnforcementCase:
    """A case the user may see (or change), else 404 — whether absent or out of scope."""
    clause = (unit_within(user.jurisdiction_code, EnforcementCase.unit_id)
              if for_write and user.role == Role.INSPECTOR else
              record_read_clause(user, EnforcementCase.unit_id))
    case = db.session.scalar(select(EnforcementCase).where(EnforcementCase.id == case_id, clause))
    if case is None:
        raise not_found()
    if for_write and user.role != Role.INSPECTOR:
        raise ApiError(403)
    return case


# The list's orders: each ends with the primary key (keyset cursors).
SORTS = {"filed": (EnforcementCase.filed_on, EnforcementCase.id),
         "fine": (EnforcementCase.fine_yuan, EnforcementCase.id)}


def list_cases(user: User, args: dict) -> Select:
    """Cases in the user's scope, newest filing first, filtered by jurisdiction, unit or period."""
    query = sorted_by(select(EnforcementCase)
                      .where(record_read_clause(user, EnforcementCase.unit_id))
                      .options(selectinload(EnforcementCase.unit).selectinload(Unit.jurisdiction),
                               selectinload(EnforcementCase.inspection)),
                      SORTS, args.get("sort") or "-filed")
    if code := args.get("jurisdiction"):
        query = query.where(unit_within(code, EnforcementCase.unit_id))
    if unit_id := args.get("unit_id"):
        query = query.where(EnforcementCase.unit_id == unit_id)
    if period := args.get("period"):
        span = parse_period(period)
        query = query.where(EnforcementCase.filed_on.between(span.start, span.end))
    if school_id := args.get("school_id"):
        query = query.where(EnforcementCase.unit_id.in_(
            select(Unit.id).where(Unit.school_id == school_id)))
    if kind := args.get("kind"):
        query = query.where(EnforcementCase.unit_id.in_(select(Unit.id).where(Unit.kind == kind)))
    if args.get("decided") is not None:
        decided = EnforcementCase.decided_on.is_not(None)
        query = query.where(decided if args["decided"] else ~decided)
    if q := args.get("q"):
        query = query.where(or_(EnforcementCase.case_no.contains(q, autoescape=True),
                                EnforcementCase.unit_id.in_(units_matching(q))))
    return query
