"""Changing a stored inspection: a correction (a new revision, the earlier ones kept, with what
changed) or a void (soft delete with a reason)."""

from __future__ import annotations

from typing import Any

from foodsafety.accounts.models import User
from foodsafety.errors import ApiError, invalid
from foodsafety.extensions import db
from foodsafety.inspections import document, signals
from foodsafety.inspections.models import Inspection, InspectionRevision
from foodsafety.inspections.queries import get_inspection
from foodsafety.timeutil import utcnow
from foodsafety.transactions import lock_row


def diff(old: Any, new: Any, path: str = "") -> list[dict]:
    """What changed between two revision bodies, as a list of {field, from, to}."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in sorted(set(old) | set(new)):
            changes += diff(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return changes
    if path == "answers" and isinstance(old, list) and isinstance(new, list):
        before = {a["item"]: a for a in old}
        after = {a["item"]: a for a in new}
        changes = []
        for code in sorted(set(before) | set(after)):
            changes += diff(before.get(code), after.get(code), f"answers.{code}")
        return changes
    return [] if old == new else [{"field": path, "from": old, "to": new}]


def _stale(inspection: Inspection) -> ApiError:
    current = inspection.revision
    return ApiError(409, f"该检查记录已被更正为第 {current} 版，您的更正基于旧版本；请刷新后在最新版本上重新更正。",
                    errors={"base_revision": [f"当前版本为第 {current} 版。"]}, reason="stale_revision",
                    extra={"current_revision": current})


def correct_inspection(user: User, uuid: str, data: dict) -> Inspection:
    """Record a correction as a new revision; the earlier revisions stay readable. The
    warnings of the corrected document are in `inspection.warnings`.

    The correction names the revision it was based on: if another correction landed since, it
    is refused (409 with the current revision) rather than silently undoing that one; a retry of
    the correction that is already the latest revision is answered with the record. Receivers
    of `signals.correcting` may refuse it (rectification: an order with history keeps its unit);
    those of `signals.saved` follow it (the order it states).
    """
    inspection = get_inspection(user, uuid, for_write=True)
    if data["id"] and str(data["id"]) != uuid:
        raise invalid({"id": ["与地址中的检查编号不一致。"]})
    # Held until commit: concurrent corrections of one inspection are decided one at a time.
    inspection = lock_row(Inspection, inspection.id)
    doc = document.canonical(data)
    digest = document.body_hash(doc)
    latest = inspection.revisions[-1]
    if digest == latest.body_hash and data["base_revision"] in (latest.revision,
                                                                latest.revision - 1):
        inspection.warnings = []
        return inspection  # nothing changed: a retried correction
    if data["base_revision"] != inspection.revision:
        raise _stale(inspection)
    unit = document.writable_unit(user, data["unit_id"])
    signals.correcting.send(inspection, unit=unit)
    definition, answers, inspected_on = document.check_document(unit, data)
    document.apply(inspection, unit, definition, data, answers, inspected_on)
    inspection.revision += 1
    inspection.updated_at = utcnow()
    inspection.revisions.append(InspectionRevision(
        revision=inspection.revision, body=doc, body_hash=digest, created_by_id=user.id,
        reason=data["reason"], changes=diff(latest.body, doc)))
    db.session.flush()
    signals.saved.send(inspection, order=data.get("rectification_order"),
                       signature=data.get("operator_signature"))
    db.session.flush()
    inspection.warnings = document.warnings_for(data, inspected_on)
    return inspection


def void_inspection(user: User, uuid: str, reason: str) -> Inspection:
    """Soft-delete: the record leaves lists and statistics but stays, with who, when and why."""
    inspection = get_inspection(user, uuid, for_write=True)
    inspection.deleted_at = utcnow()
    inspection.deleted_by_id = user.id
    inspection.delete_reason = reason
    db.session.flush()
    return inspection
