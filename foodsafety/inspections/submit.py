"""Submitting an inspection from the phone: stored once per client UUID, a retry answered
idempotently."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from foodsafety.accounts.models import User
from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.inspections import document, signals
from foodsafety.inspections.models import Inspection, InspectionRevision
from foodsafety.registry.scope import record_read_clause
from foodsafety.timeutil import iso_cst
from foodsafety.transactions import savepoint


def _find(uuid: str) -> Inspection | None:
    return db.session.scalar(select(Inspection).where(Inspection.uuid == uuid))


def _visible(user: User, existing: Inspection) -> Inspection:
    """A known id of a record the user may not see is a conflict, and shows nothing of it."""
    readable = db.session.scalar(select(Inspection.id).where(
        Inspection.id == existing.id,
        record_read_clause(user, Inspection.unit_id)))
    if readable is None:
        raise ApiError(409, "该检查编号（id）已被使用，请重新生成。", reason="inspection_id_conflict")
    return existing


def _replay(existing: Inspection, digest: str) -> Inspection:
    """Answer a second submission of a known UUID: same body → the stored record, else an error."""
    if existing.deleted_at is not None:
        raise ApiError(410, f"该检查记录已于 {iso_cst(existing.deleted_at)[:10]} 删除，不能再次提交；"
                            "如需重新记录，请新建一次检查。", reason="inspection_deleted")
    if existing.body_hash != digest:
        raise ApiError(409, "该检查编号（id）已提交过不同的内容；如需修改，请提交更正。",
                       reason="inspection_id_conflict")
    existing.warnings = []
    return existing


def submit_inspection(user: User, data: dict) -> tuple[Inspection, bool]:
    """Store a new inspection (and, through `signals.saved`, the order it states), or answer a
    retry of one idempotently. Returns (inspection, created); the warnings of a new one are in
    `inspection.warnings`.

    Concurrent duplicates of one UUID store exactly one: the unique index decides, and the loser
    re-reads the winner.
    """
    doc = document.canonical(data)
    digest = document.body_hash(doc)
    uuid = doc["id"]
    existing = _find(uuid)
    if existing is not None:
        return _replay(_visible(user, existing), digest), False

    unit = document.writable_unit(user, data["unit_id"])
    definition, answers, inspected_on = document.check_document(unit, data)
    # A new record has no order yet: said here, the order's receiver does not look it up.
    inspection = Inspection(uuid=uuid, body_hash=digest, revision=1, created_by_id=user.id,
                            findings=[], answers=[], rectification_order=None)
    document.apply(inspection, unit, definition, data, answers, inspected_on)
    inspection.revisions.append(InspectionRevision(
        revision=1, body=doc, body_hash=digest, created_by_id=user.id, changes=None))
    try:
        with savepoint():  # a lost race undoes this insert only, never the caller's work
            db.session.add(inspection)
            db.session.flush()
            signals.saved.send(inspection, order=data.get("rectification_order"),
                               signature=data.get("operator_signature"))
            db.session.flush()
    except IntegrityError:
        existing = _find(uuid)
        if existing is None:
            raise  # lost a race on something else (an order number): 409 naming the field
        return _replay(_visible(user, existing), digest), False
    inspection.warnings = (document.warnings_for(data, inspected_on)
                           + document.form_warnings(unit, definition))
    return inspection, True
