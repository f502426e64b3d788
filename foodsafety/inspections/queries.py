"""Reading inspections within the user's scope: one record, a filtered list, its revisions."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from foodsafety.accounts.models import Role, User
from foodsafety.errors import ApiError, not_found
from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection, InspectionRevision, Result
from foodsafety.inspections.rules import live
from foodsafety.pagination import sorted_by
from foodsafety.periods import parse_period
from foodsafety.registry.models import Unit
from foodsafety.registry.scope import record_read_clause, unit_within
from foodsafety.registry.services import units_matching
from foodsafety.vocabulary import Handling

# The list's orders: each ends with the primary key (keyset cursors), `date` on the list's index.
SORTS = {"date": (Inspection.started_at, Inspection.id),
         "problems": (Inspection.problems_found, Inspection.id)}


def get_inspection(user: User, uuid: str, *, for_write: bool = False) -> Inspection:
    """A live inspection the user may see (or change), else 404 — whether absent or out of scope."""
    try:
        uuid = str(UUID(uuid))
    except ValueError:
        raise not_found() from None
    clause = (unit_within(user.jurisdiction_code, Inspection.unit_id) if for_write else
              record_read_clause(user, Inspection.unit_id))
    inspection = db.session.scalar(select(Inspection).where(Inspection.uuid == uuid, live(), clause))
    if inspection is None:
        raise not_found()
    if for_write and user.role != Role.INSPECTOR:
        raise ApiError(403)
    return inspection


def list_inspections(user: User, args: dict) -> Select:
    """A filtered, scoped query of live inspections, newest first."""
    query = sorted_by(
        select(Inspection)
        .where(live(), record_read_clause(user, Inspection.unit_id))
        .options(selectinload(Inspection.unit).selectinload(Unit.jurisdiction)),
        SORTS, args.get("sort") or "-date")
    if code := args.get("jurisdiction"):
        query = query.where(unit_within(code, Inspection.unit_id))
    if unit_id := args.get("unit_id"):
        query = query.where(Inspection.unit_id == unit_id)
    if result := args.get("result"):
        query = query.where(Inspection.result == Result(result))
    if period := args.get("period"):
        span = parse_period(period)
        query = query.where(Inspection.inspected_on.between(span.start, span.end))
    if args.get("date_from"):
        query = query.where(Inspection.inspected_on >= args["date_from"])
    if args.get("date_to"):
        query = query.where(Inspection.inspected_on <= args["date_to"])
    if handling := args.get("handling"):
        query = query.where(Inspection.handling == Handling(handling))
    if kind := args.get("kind"):
        query = query.where(Inspection.unit_kind == kind)
    if school_id := args.get("school_id"):
        query = query.where(Inspection.unit_id.in_(select(Unit.id).where(Unit.school_id == school_id)))
    if q := args.get("q"):
        query = query.where(Inspection.unit_id.in_(units_matching(q)))
    return query


def inspection_history(user: User, uuid: str) -> Inspection:
    """An inspection the user may see, voided ones included, with every revision and who made
    it: the phone's history screen shows corrections and the void together."""
    try:
        uuid = str(UUID(uuid))
    except ValueError:
        raise not_found() from None
    inspection = db.session.scalar(
        select(Inspection).where(Inspection.uuid == uuid, record_read_clause(user, Inspection.unit_id))
        .options(selectinload(Inspection.revisions).selectinload(InspectionRevision.created_by),
                 selectinload(Inspection.deleted_by), selectinload(Inspection.unit)))
    if inspection is None:
        raise not_found()
    return inspection


def revision_history(user: User, uuid: str) -> list[InspectionRevision]:
    """Every revision of an inspection the user may see, oldest first, with who made it."""
    inspection = get_inspection(user, uuid)
    return list(db.session.scalars(
        select(InspectionRevision).where(InspectionRevision.inspection_id == inspection.id)
        .options(selectinload(InspectionRevision.created_by))
        .order_by(InspectionRevision.revision)))
