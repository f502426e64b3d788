"""Inspection services: submit (idempotent), correct (new revision), delete (soft), read, list."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from foodsafety.accounts.models import User
from foodsafety.errors import ApiError, invalid, not_found
from foodsafety.extensions import db
from foodsafety.inspections.models import (
    Answer,
    Category,
    Finding,
    HaccpStatus,
    Handling,
    Inspection,
    InspectionAnswer,
    InspectionRevision,
    Result,
)
from foodsafety.periods import parse_period
from foodsafety.registry.models import Unit
from foodsafety.registry.scope import record_read_clause, unit_within, unit_write_clause
from foodsafety.timeutil import cst_date, iso_cst, to_utc_naive, utcnow
from foodsafety.transactions import lock_row, savepoint
from forms import FormDefinition, evaluate, forms

EARLIEST = date(2020, 1, 1)
CLOCK_SKEW = timedelta(minutes=10)
TWO_INSPECTORS = "根据《食品生产经营监督检查管理办法》第二十三条，监督检查应由 2 名以上检查人员实施。"


# --- canonical form and hashing -------------------------------------------------------------

def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_utc_naive(value).isoformat() + "Z" if value.tzinfo else value.isoformat()
    if isinstance(value, date | UUID):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value)!r}")


def canonical(data: dict) -> dict:
    """The loaded document as plain JSON, answers in item order, instants in UTC."""
    doc = json.loads(json.dumps(data, default=_jsonable))
    doc["answers"] = sorted(doc["answers"], key=lambda a: a["item"])
    doc.pop("reason", None)
    doc.pop("base_revision", None)
    return doc


def body_hash(doc: dict) -> str:
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# --- validation against the database and the form -------------------------------------------

def _writable_unit(user: User, unit_id: int) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.id == unit_id, unit_write_clause(user)))
    if unit is None:
        raise invalid({"unit_id": ["单位不存在或不在您的辖区内。"]})
    return unit


def _check_document(unit: Unit, data: dict) -> tuple[FormDefinition, dict[str, str], date]:
    """Semantic checks the schema cannot make; every problem is reported at once."""
    errors: dict[str, Any] = {}
    definition = forms.get(data["form_id"], data["form_version"])
    if definition is None:
        errors["form_id"] = [f"检查表 {data['form_id']} 第 {data['form_version']} 版不存在。"]
    elif definition.unit_kind != unit.kind.value:
        errors["form_id"] = [f"该检查表不适用于{unit.kind.label}。"]

    started = data["started_at"]
    inspected_on = cst_date(started)
    if to_utc_naive(started) > utcnow() + CLOCK_SKEW:
        errors["started_at"] = ["检查时间不能晚于当前时间。"]
    elif inspected_on < EARLIEST:
        errors["started_at"] = ["检查时间不能早于 2020 年 1 月 1 日。"]

    answers: dict[str, str] = {}
    if definition is not None and "form_id" not in errors:
        item_errors: dict[int, Any] = {}
        for index, answer in enumerate(data["answers"]):
            code = answer["item"]
            if code not in definition.items:
                item_errors[index] = {"item": [f"未知的检查项目：{code}。"]}
            elif code in answers:
                item_errors[index] = {"item": [f"检查项目 {code} 重复填写。"]}
            else:
                answers[code] = answer["answer"]
        if item_errors:
            errors["answers"] = item_errors
        else:
            missing = [code for code in definition.items if code not in answers]
            if missing:
                errors["answers"] = [f"以下检查项目未填写结果：{'、'.join(missing)}。"]

    for index, finding in enumerate(data["extra_findings"]):
        if finding["category"] == "distribution" and unit.kind.value != "supplier":
            errors.setdefault("extra_findings", {})[index] = {
                "category": ["食品分餐配送过程不合规仅适用于学生集体用餐配送单位。"]
            }
    order = data.get("rectification_order")
    if order and "started_at" not in errors:
        if order["deadline"] < inspected_on:
            errors["rectification_order"] = {"deadline": ["整改期限不能早于检查日期。"]}
        elif order["deadline"] > inspected_on + timedelta(days=366):
            errors["rectification_order"] = {"deadline": ["整改期限不能超过一年。"]}
    if errors:
        raise invalid(errors)
    return definition, answers, inspected_on


def _warnings(data: dict, inspected_on: date) -> list[dict]:
    warnings = []
    if len(data["inspectors"]) < 2:
        warnings.append({"field": "inspectors", "message": TWO_INSPECTORS})
    expires = data["observed"].get("haccp_cert_expires_on")
    if expires and expires < inspected_on:
        warnings.append({"field": "observed.haccp_cert_expires_on",
                         "message": "HACCP/ISO 22000 认证证书已过期。"})
    return warnings


# --- applying a document to the row ---------------------------------------------------------

def _apply(inspection: Inspection, unit: Unit, definition: FormDefinition, data: dict,
           answers: dict[str, str], inspected_on: date) -> None:
    """Set the derived state of `inspection` from a validated document (answers, findings, counts).

    `jurisdiction_code` is the county where the inspection was made: set when it is recorded
    (or corrected onto another unit), kept when the unit later moves and is corrected there.
    """
    evaluation = evaluate(definition, answers)
    observed = data["observed"]
    if inspection.unit_id != unit.id:
        inspection.jurisdiction_code = unit.jurisdiction_code
    inspection.unit_id = unit.id
    inspection.unit_kind = unit.kind.value
    inspection.form_id = definition.id
    inspection.form_version = definition.version
    inspection.started_at = to_utc_naive(data["started_at"])
    inspection.inspected_on = inspected_on
    inspection.inspectors = [dict(i) for i in data["inspectors"]]
    inspection.result = Result(evaluation.result)
    inspection.handling = Handling(data["handling"])
    inspection.items_checked = evaluation.items_checked
    inspection.key_items_checked = evaluation.key_items_checked
    inspection.key_items_failed = evaluation.key_items_failed
    inspection.general_pass_rate = evaluation.general_pass_rate
    inspection.obs_wuchang_6t = observed["wuchang_6t"]
    inspection.obs_haccp = HaccpStatus(observed["haccp"])
    inspection.obs_haccp_cert_expires_on = observed.get("haccp_cert_expires_on")
    inspection.obs_mc_transparent = "transparent" in observed["mingchu"]
    inspection.obs_mc_video = "video" in observed["mingchu"]
    inspection.obs_mc_internet = "internet" in observed["mingchu"]
    inspection.obs_licence_displayed = observed.get("licence_displayed")
    inspection.remarks = data.get("remarks")

    notes = {a["item"]: a.get("note") for a in data["answers"]}
    # Update answers in place: (inspection, item) is unique, and a flush inserts before it deletes.
    existing = {a.item_code: a for a in inspection.answers}
    for code in definition.items:
        row = existing.pop(code, None)
        if row is None:
            row = InspectionAnswer(item_code=code)
            inspection.answers.append(row)
        row.answer, row.note = Answer(answers[code]), notes.get(code)
    for row in existing.values():  # items of an older form version
        inspection.answers.remove(row)
    # Keep re-inspection outcomes of findings that survive a correction.
    previous = {f.item_code: f for f in inspection.findings if f.item_code}
    findings = []
    for code in evaluation.failed_items:
        item = definition.items[code]
        old = previous.get(code)
        findings.append(Finding(
            item_code=code, category=Category(item.category), is_key=item.key,
            description=notes.get(code) or item.text,
            rectified=old.rectified if old else None,
            rectified_checked_on=old.rectified_checked_on if old else None,
        ))
    findings += [
        Finding(item_code=None, category=Category(f["category"]), description=f["description"])
        for f in data["extra_findings"]
    ]
    inspection.findings = findings
    inspection.problems_found = len(findings)


def _sync_order(inspection: Inspection, data: dict) -> None:
    from foodsafety.rectification.services import sync_order_from_inspection

    sync_order_from_inspection(inspection, data.get("rectification_order"))


# --- the operations -------------------------------------------------------------------------

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
    return existing


def submit_inspection(user: User, data: dict) -> tuple[Inspection, bool, list[dict]]:
    """Store a new inspection, or answer a retry of one idempotently.

    Returns (inspection, created, warnings). Concurrent duplicates of one UUID store exactly one:
    the unique index decides, and the loser re-reads the winner.
    """
    doc = canonical(data)
    digest = body_hash(doc)
    uuid = doc["id"]
    existing = _find(uuid)
    if existing is not None:
        return _replay(_visible(user, existing), digest), False, []

    unit = _writable_unit(user, data["unit_id"])
    definition, answers, inspected_on = _check_document(unit, data)
    warnings = _warnings(data, inspected_on)
    inspection = Inspection(uuid=uuid, body_hash=digest, revision=1, created_by_id=user.id,
                            findings=[], answers=[])
    _apply(inspection, unit, definition, data, answers, inspected_on)
    inspection.revisions.append(InspectionRevision(
        revision=1, body=doc, body_hash=digest, created_by_id=user.id, changes=None))
    try:
        with savepoint():  # a lost race undoes this insert only, never the caller's work
            db.session.add(inspection)
            db.session.flush()
            _sync_order(inspection, data)
            db.session.flush()
    except IntegrityError:
        existing = _find(uuid)
        if existing is None:
            raise  # lost a race on something else (an order number): 409 naming the field
        return _replay(_visible(user, existing), digest), False, []
    return inspection, True, warnings


def _diff(old: Any, new: Any, path: str = "") -> list[dict]:
    """What changed between two revision bodies, as a list of {field, from, to}."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in sorted(set(old) | set(new)):
            changes += _diff(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return changes
    if path == "answers" and isinstance(old, list) and isinstance(new, list):
        before = {a["item"]: a for a in old}
        after = {a["item"]: a for a in new}
        changes = []
        for code in sorted(set(before) | set(after)):
            changes += _diff(before.get(code), after.get(code), f"answers.{code}")
        return changes
    return [] if old == new else [{"field": path, "from": old, "to": new}]


def _stale(inspection: Inspection) -> ApiError:
    current = inspection.revision
    return ApiError(409, f"该检查记录已被更正为第 {current} 版，您的更正基于旧版本；请刷新后在最新版本上重新更正。",
                    errors={"base_revision": [f"当前版本为第 {current} 版。"]}, reason="stale_revision",
                    extra={"current_revision": current})


def _check_unit_change(inspection: Inspection, unit: Unit) -> None:
    """A correction may not carry an inspection (and its order's history) to another unit once
    the order has a report or a re-inspection: that history belongs to the first unit."""
    from foodsafety.rectification.services import order_for_inspection

    if unit.id == inspection.unit_id:
        return
    order = order_for_inspection(inspection.id)
    if order is not None and (order.reports or order.rechecks):
        raise ApiError(409, "该检查的责令改正通知书已有整改报告或复查记录，不能更正到其他单位；"
                            "如确属录错单位，请删除本记录后为正确的单位重新记录。",
                       errors={"unit_id": ["已有整改报告或复查记录，不能更换单位。"]},
                       reason="order_has_history")


def correct_inspection(user: User, uuid: str, data: dict) -> tuple[Inspection, list[dict]]:
    """Record a correction as a new revision; the earlier revisions stay readable.

    The correction names the revision it was based on: if another correction landed since, it
    is refused (409 with the current revision) rather than silently undoing that one; a retry of
    the correction that is already the latest revision is answered with the record.
    """
    inspection = get_inspection(user, uuid, for_write=True)
    if data["id"] and str(data["id"]) != uuid:
        raise invalid({"id": ["与地址中的检查编号不一致。"]})
    # Held until commit: concurrent corrections of one inspection are decided one at a time.
    inspection = lock_row(Inspection, inspection.id)
    doc = canonical(data)
    digest = body_hash(doc)
    latest = inspection.revisions[-1]
    if digest == latest.body_hash and data["base_revision"] in (latest.revision,
                                                                latest.revision - 1):
        return inspection, []  # nothing changed: a retried correction
    if data["base_revision"] != inspection.revision:
        raise _stale(inspection)
    unit = _writable_unit(user, data["unit_id"])
    _check_unit_change(inspection, unit)
    definition, answers, inspected_on = _check_document(unit, data)
    warnings = _warnings(data, inspected_on)
    _apply(inspection, unit, definition, data, answers, inspected_on)
    inspection.revision += 1
    inspection.updated_at = utcnow()
    inspection.revisions.append(InspectionRevision(
        revision=inspection.revision, body=doc, body_hash=digest, created_by_id=user.id,
        reason=data["reason"], changes=_diff(latest.body, doc)))
    db.session.flush()
    _sync_order(inspection, data)
    db.session.flush()
    return inspection, warnings


def delete_inspection(user: User, uuid: str, reason: str) -> Inspection:
    """Soft-delete: the record leaves lists and statistics but stays, with who, when and why."""
    inspection = get_inspection(user, uuid, for_write=True)
    inspection.deleted_at = utcnow()
    inspection.deleted_by_id = user.id
    inspection.delete_reason = reason
    db.session.flush()
    return inspection


def get_inspection(user: User, uuid: str, *, for_write: bool = False) -> Inspection:
    """An inspection the user may see (or change), else 404 — whether absent or out of scope."""
    try:
        uuid = str(UUID(uuid))
    except ValueError:
        raise not_found() from None
    clause = (unit_within(user.jurisdiction_code, Inspection.unit_id) if for_write else
              record_read_clause(user, Inspection.unit_id))
    inspection = db.session.scalar(
        select(Inspection).where(Inspection.uuid == uuid, Inspection.deleted_at.is_(None), clause)
    )
    if inspection is None:
        raise not_found()
    if for_write and user.role.value != "inspector":
        raise ApiError(403)
    return inspection


def list_inspections(user: User, args: dict) -> Select:
    """A filtered, scoped query of live inspections, newest first."""
    query = (
        select(Inspection)
        .where(Inspection.deleted_at.is_(None),
               record_read_clause(user, Inspection.unit_id))
        .options(selectinload(Inspection.unit), selectinload(Inspection.findings))
        .order_by(Inspection.started_at.desc(), Inspection.id.desc())
    )
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
    return query


# --- presentation ---------------------------------------------------------------------------

def inspection_summary(inspection: Inspection) -> dict:
    """The list view of an inspection."""
    unit = inspection.unit
    return {
        "id": inspection.uuid,
        "unit": {"id": unit.id, "name": unit.name, "kind": unit.kind.value,
                 "kind_label": unit.kind.label},
        "jurisdiction_code": inspection.jurisdiction_code,
        "started_at": iso_cst(inspection.started_at),
        "inspected_on": inspection.inspected_on.isoformat(),
        "result": inspection.result.value,
        "result_label": inspection.result.label,
        "handling": inspection.handling.value,
        "handling_label": inspection.handling.label,
        "problems_found": inspection.problems_found,
        "revision": inspection.revision,
    }


def inspection_detail(inspection: Inspection, warnings: list[dict] | None = None) -> dict:
    """The full record as the API returns it."""
    from foodsafety.photos.services import photo_status
    from foodsafety.rectification.services import order_for_inspection, order_summary

    detail = inspection_summary(inspection)
    order = order_for_inspection(inspection.id)
    mingchu = [mode for mode, on in (("transparent", inspection.obs_mc_transparent),
                                     ("video", inspection.obs_mc_video),
                                     ("internet", inspection.obs_mc_internet)) if on]
    detail.update({
        "form_id": inspection.form_id,
        "form_version": inspection.form_version,
        "inspectors": inspection.inspectors,
        "items_checked": inspection.items_checked,
        "key_items_checked": inspection.key_items_checked,
        "key_items_failed": inspection.key_items_failed,
        "general_pass_rate": inspection.general_pass_rate,
        "observed": {
            "wuchang_6t": inspection.obs_wuchang_6t,
            "haccp": inspection.obs_haccp.value,
            "haccp_cert_expires_on": inspection.obs_haccp_cert_expires_on.isoformat()
            if inspection.obs_haccp_cert_expires_on else None,
            "mingchu": mingchu,
            "licence_displayed": inspection.obs_licence_displayed,
        },
        "answers": [{"item": a.item_code, "answer": a.answer.value, "note": a.note}
                    for a in inspection.answers],
        "findings": [{
            "id": f.id, "item": f.item_code, "category": f.category.value,
            "category_label": f.category.label, "description": f.description,
            "is_key": f.is_key, "rectified": f.rectified,
        } for f in inspection.findings],
        "rectification_order": order_summary(order) if order else None,
        "remarks": inspection.remarks,
        "created_at": iso_cst(inspection.created_at),
        "updated_at": iso_cst(inspection.updated_at),
        "warnings": warnings or [],
        "photos": photo_status(inspection),
    })
    return detail


def revision_history(inspection: Inspection) -> list[dict]:
    """Who changed what and when, oldest first."""
    from foodsafety.accounts.models import User as UserModel

    names = dict(db.session.execute(
        select(UserModel.id, UserModel.display_name).where(
            UserModel.id.in_({r.created_by_id for r in inspection.revisions}))
    ).all())
    return [{
        "revision": r.revision,
        "created_by": names.get(r.created_by_id),
        "created_at": iso_cst(r.created_at),
        "reason": r.reason,
        "changes": r.changes or [],
    } for r in inspection.revisions]
