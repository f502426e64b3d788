"""The phone's inspection document: its canonical form and hash, the checks against the unit and
the form that the schema cannot make, and applying it to the stored row."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from flask import current_app
from sqlalchemy import select

from foodsafety.accounts.models import User
from foodsafety.errors import invalid
from foodsafety.extensions import db
from foodsafety.inspections.models import (
    Answer,
    Category,
    Finding,
    HaccpStatus,
    Handling,
    Inspection,
    InspectionAnswer,
    Result,
)
from foodsafety.registry.models import Unit
from foodsafety.registry.scope import unit_write_clause
from foodsafety.timeutil import cst_date, to_utc_naive, utcnow
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
    """The loaded document as plain JSON, answers in item order, instants in UTC.

    A signature image is kept by its SHA-256 (the image itself is stored once, beside the
    revision it was given for): the hash still tells a retry from a different signature. A
    document without one hashes as it did before signatures existed.
    """
    data = dict(data)
    signature = data.pop("operator_signature", None)
    if signature is not None:
        signature = {key: value for key, value in signature.items() if value is not None}
        if "image" in signature:
            signature["image_sha256"] = signature_digest(signature.pop("image"))
        data["operator_signature"] = signature
    doc = json.loads(json.dumps(data, default=_jsonable))
    doc["answers"] = sorted(doc["answers"], key=lambda a: a["item"])
    doc.pop("reason", None)
    doc.pop("base_revision", None)
    return doc


def signature_digest(image: bytes) -> str:
    """The SHA-256 of a signature image, as its revision's body names it."""
    return hashlib.sha256(image).hexdigest()


def body_hash(doc: dict) -> str:
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# --- checks against the database and the form -----------------------------------------------

def writable_unit(user: User, unit_id: int) -> Unit:
    """The unit a document names, if the user may record inspections of it (else 422)."""
    unit = db.session.scalar(select(Unit).where(Unit.id == unit_id, unit_write_clause(user)))
    if unit is None:
        raise invalid({"unit_id": ["单位不存在或不在您的辖区内。"]})
    return unit


def check_document(unit: Unit, data: dict) -> tuple[FormDefinition, dict[str, str], date]:
    """Semantic checks the schema cannot make; every problem is reported at once.

    Returns the form, the answers by item code and the inspection's (CST) date.
    """
    errors: dict[str, Any] = {}
    definition = forms.get(data["form_id"], data["form_version"])
    if definition is None:
        errors["form_id"] = [f"检查表 {data['form_id']} 第 {data['form_version']} 版不存在。"]
    elif unit.kind.value not in definition.applies_to.unit_kinds:
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
        longest = current_app.config["ORDER_DEADLINE_MAX_DAYS"]
        if order["deadline"] < inspected_on:
            errors["rectification_order"] = {"deadline": ["整改期限不能早于检查日期。"]}
        elif order["deadline"] > inspected_on + timedelta(days=longest):
            errors["rectification_order"] = {"deadline": [f"整改期限不能超过检查日期后 {longest} 天。"]}
    if definition is not None and "form_id" not in errors and "answers" not in errors:
        problem = handling_problem(definition, answers, data)
        if problem:
            errors["handling"] = [problem]
    if errors:
        raise invalid(errors)
    return definition, answers, inspected_on


def handling_problem(definition: FormDefinition, answers: dict[str, str], data: dict) -> str | None:
    """Why the chosen handling does not fit the findings (None when it does).

    通过 means nothing is left to rectify; 当场整改 means there were problems, all corrected on
    the spot; 立即停止 is not for a record that is 符合.
    """
    evaluation = evaluate(definition, answers, len(data["extra_findings"]))
    problems = len(evaluation.failed_items) + len(data["extra_findings"])
    handling = data["handling"]
    if handling == Handling.PASS and problems:
        return (f"发现 {problems} 个问题，处理结果不能为“通过”：当场已改正的请选择“当场整改”，"
                "否则请选择“书面限期整改”。")
    if handling == Handling.ON_SITE and not problems:
        return "未发现问题，不需要当场整改，请选择“通过”。"
    if handling == Handling.STOP and evaluation.result == Result.COMPLIANT:
        return "检查结果为符合，不能责令立即停止食品生产经营活动。"
    return None


def warnings_for(data: dict, inspected_on: date) -> list[dict]:
    """What the inspector should know about an accepted document, as `{field, message}`."""
    found = []
    if len(data["inspectors"]) < 2:
        found.append({"field": "inspectors", "message": TWO_INSPECTORS})
    expires = data["observed"].get("haccp_cert_expires_on")
    if expires and expires < inspected_on:
        found.append({"field": "observed.haccp_cert_expires_on",
                      "message": "HACCP/ISO 22000 认证证书已过期。"})
    return found


def form_warnings(unit: Unit, definition: FormDefinition) -> list[dict]:
    """A new inspection made with another checklist than the one in force for its unit (an older
    version from a phone that was offline, or a licence changed since the phone's last sync) is
    stored against the checklist it was made with; the inspector is told."""
    current = forms.for_unit(unit.kind.value, unit.licence_no)
    if current is None or current is definition:
        return []
    return [{"field": "form_id", "message": f"本次检查使用《{definition.title}》第 {definition.version} 版，"
             f"该单位现行检查表为《{current.title}》第 {current.version} 版；记录按所用版本保存。"}]


# --- applying a document to the row ---------------------------------------------------------

def apply(inspection: Inspection, unit: Unit, definition: FormDefinition, data: dict,
          answers: dict[str, str], inspected_on: date) -> None:
    """Set the derived state of `inspection` from a checked document (answers, findings, counts).

    `jurisdiction_code` is the county where the inspection was made: set when it is recorded
    (or corrected onto another unit), kept when the unit later moves and is corrected there.
    """
    evaluation = evaluate(definition, answers, len(data["extra_findings"]))
    observed = data["observed"]
    was_on_site = inspection.handling == Handling.ON_SITE
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
    inspection.obs_mingchu = observed["mingchu"]
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
            # Kept from a re-inspection; not from an on-site rectification the correction undoes.
            rectified=old.rectified if old and not was_on_site else None,
            rectified_checked_on=old.rectified_checked_on if old and not was_on_site else None,
        ))
    findings += [
        Finding(item_code=None, category=Category(f["category"]), description=f["description"])
        for f in data["extra_findings"]
    ]
    if inspection.handling == Handling.ON_SITE:  # corrected on the spot, before the inspector left
        for finding in findings:
            finding.rectified, finding.rectified_checked_on = True, inspected_on
    inspection.findings = findings
    inspection.problems_found = len(findings)
