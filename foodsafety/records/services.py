"""What a printed record says, read from the stored inspection (the revision in force), never from
what a client sends; and the public verification of a record by its token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload, undefer

from exports.inspection_record import NoticeData, RecordData, RecordItem, SignatureData, find_font
from foodsafety.accounts.models import User
from foodsafety.errors import ApiError, not_found
from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection, InspectionRevision
from foodsafety.records.models import RecordSignature
from foodsafety.rectification.models import RectificationOrder
from foodsafety.registry.models import Jurisdiction
from foodsafety.registry.scope import record_read_clause
from foodsafety.timeutil import CST
from foodsafety.vocabulary import Answer, SignatureState
from forms import forms

PUBLICATION = ("根据《食品生产经营监督检查管理办法》第三十五条、第三十九条，本记录表当场交被检查单位，"
               "由其张贴于醒目位置至下次检查；检查结果将于 20 个工作日内由{authority}向社会公开。")
NOTICE_BASIS = "根据《中华人民共和国食品安全法》第一百二十六条及《食品生产经营监督检查管理办法》第三十二条，"


def _cst(moment: datetime | None, fmt: str = "%Y年%m月%d日 %H:%M") -> str:
    if moment is None:
        return ""
    return moment.replace(tzinfo=UTC).astimezone(CST).strftime(fmt)


def authority(code: str) -> str:
    """The issuing bureau of a county: 成都市锦江区市场监督管理局 (the prefecture's name first,
    unless the county is directly under the province)."""
    county = db.session.get(Jurisdiction, code)
    if county is None:
        return "市场监督管理局"
    parent = county.parent
    prefix = parent.name if parent is not None and parent.level == 2 and parent.name not in (
        "市辖区", "县", "省直辖县级行政区划") else ""
    return f"{prefix}{county.name}市场监督管理局"


def font() -> Path:
    """The CJK font the PDFs embed; 503 when the server has none (an operator must install one)."""
    path = find_font(current_app.config.get("RECORD_FONT", ""))
    if path is None:
        raise ApiError(503, "服务器缺少中文字体，暂时无法生成 PDF，请联系管理员安装 fonts-wqy-microhei。")
    return path


def verify_url(inspection: Inspection) -> str:
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/verify/{inspection.verify_token}"


def readable_inspection(user: User, uuid: str) -> Inspection:
    """An inspection the user may read, voided ones included (their record says so); else 404."""
    try:
        uuid = str(UUID(uuid))
    except ValueError:
        raise not_found() from None
    inspection = db.session.scalar(
        select(Inspection).where(Inspection.uuid == uuid, record_read_clause(user, Inspection.unit_id))
        .options(selectinload(Inspection.answers), selectinload(Inspection.findings),
                 selectinload(Inspection.revisions).selectinload(InspectionRevision.signature),
                 selectinload(Inspection.unit)))
    if inspection is None:
        raise not_found()
    return inspection


def signature_image(user: User, uuid: str, revision: int) -> RecordSignature:
    """The signature image given for one revision of a record the user may read; else 404
    (also for a refusal or an unsigned revision)."""
    try:
        uuid = str(UUID(uuid))
    except ValueError:
        raise not_found() from None
    signature = db.session.scalar(
        select(RecordSignature)
        .join(InspectionRevision, InspectionRevision.id == RecordSignature.revision_id)
        .join(Inspection, Inspection.id == InspectionRevision.inspection_id)
        .where(Inspection.uuid == uuid, InspectionRevision.revision == revision,
               RecordSignature.image.is_not(None), record_read_clause(user, Inspection.unit_id))
        .options(undefer(RecordSignature.image)))
    if signature is None:
        raise not_found()
    return signature


def readable_order(user: User, order_id: int) -> RectificationOrder:
    """An order the user may read, its inspection voided or not; else 404."""
    order = db.session.scalar(select(RectificationOrder).where(
        RectificationOrder.id == order_id, record_read_clause(user, RectificationOrder.unit_id)))
    if order is None:
        raise not_found()
    return order


def status_lines(inspection: Inspection, *, reasons: bool = True) -> list[str]:
    """What a reader of the paper must know: it replaces an earlier revision; it was voided.
    The public page leaves out the reasons (free text that may name people)."""
    lines = []
    if inspection.revision > 1:
        latest = inspection.revisions[-1]
        why = f"（原因：{latest.reason or '未注明'}）" if reasons else ""
        lines.append(f"本记录为第 {inspection.revision} 版，于 {_cst(latest.created_at)} 更正{why}，"
                     f"取代第 {inspection.revision - 1} 版及以前的记录。")
    if inspection.deleted_at is not None:
        why = f"（原因：{inspection.delete_reason or '未注明'}）" if reasons else ""
        lines.append(f"本检查记录已于 {_cst(inspection.deleted_at)} 作废{why}，不再有效。")
    return lines


def problems(inspection: Inspection) -> list[str]:
    return [(f"{f.item_code} " if f.item_code else "") + f"{f.description}（{f.category.label}）"
            for f in inspection.findings]


def signature_data(inspection: Inspection) -> tuple[SignatureData | None, str | None]:
    """The operator's signature or refusal of the revision in force, and, when that revision is
    unsigned, a line saying which earlier revision was signed (the signature stays with it)."""
    current = inspection.revisions[-1] if inspection.revisions else None
    signature = current.signature if current is not None else None
    if signature is not None:
        return SignatureData(state=signature.state.value, label=signature.state.label,
                             image=signature.image, note=signature.refusal_note,
                             received_at=_cst(signature.created_at), width=signature.width or 0,
                             height=signature.height or 0), None
    earlier = [r for r in inspection.revisions[:-1] if r.signature is not None]
    if not earlier:
        return None, None
    last = earlier[-1]
    what = "签名" if last.signature.state == SignatureState.SIGNED else "拒签"
    return None, (f"被检查单位已对第 {last.revision} 版记录{what}；本版（第 {inspection.revision} 版）"
                  "为更正后的记录，未在手机上重新签名。")


def record_data(inspection: Inspection) -> RecordData:
    """The record of the stored inspection, in words."""
    definition = forms.get(inspection.form_id, inspection.form_version)
    answers = {a.item_code: a for a in inspection.answers}
    items = []
    for code, item in (definition.items.items() if definition else []):
        answer = answers.get(code)
        if answer is not None:
            items.append(RecordItem(code, item.text, item.key, Answer(answer.answer).label, answer.note))
    unit = inspection.unit
    issuer = authority(inspection.jurisdiction_code)
    order = getattr(inspection, "rectification_order", None)
    signature, signature_line = signature_data(inspection)
    return RecordData(
        authority=issuer, title=definition.title if definition else inspection.form_id,
        number=inspection.uuid, unit_name=unit.name, unit_address=unit.address or "",
        licence_no=unit.licence_no or "无", unit_kind=unit.kind.label,
        started_at=_cst(inspection.started_at),
        inspectors=[(i.get("name", ""), i.get("badge_no") or "") for i in inspection.inspectors],
        items=items, problems=problems(inspection), result=inspection.result.label,
        items_checked=inspection.items_checked, key_items_checked=inspection.key_items_checked,
        key_items_failed=inspection.key_items_failed, problems_found=inspection.problems_found,
        handling=inspection.handling.label,
        order_number=order.number if order else None,
        order_deadline=order.deadline.strftime("%Y年%m月%d日") if order else None,
        publication=PUBLICATION.format(authority=issuer), revision=inspection.revision,
        status_lines=status_lines(inspection), remarks=inspection.remarks,
        verify_url=verify_url(inspection), signature=signature, signature_line=signature_line,
    )


def notice_data(order: RectificationOrder) -> NoticeData:
    inspection = order.inspection
    unit = inspection.unit
    return NoticeData(
        authority=authority(order.jurisdiction_code), number=order.number, unit_name=unit.name,
        unit_address=unit.address or "", licence_no=unit.licence_no or "",
        inspected_on=inspection.inspected_on.strftime("%Y年%m月%d日"),
        problems=problems(inspection), deadline=order.deadline.strftime("%Y年%m月%d日"),
        legal_basis=NOTICE_BASIS, status_lines=status_lines(inspection),
        verify_url=verify_url(inspection))


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳小明 → 欧***: the family name's first character stays."""
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else "*"


@dataclass(frozen=True)
class Verification:
    """What the public may see of a record: no personal data beyond masked names."""

    authority: str
    unit_name: str
    unit_kind: str
    licence_no: str
    date: str
    result: str
    handling: str
    problems_found: int
    order_number: str | None
    order_deadline: str | None
    inspectors: list[str]
    revision: int
    status_lines: list[str]
    voided: bool
    signature: str  # whether the operator signed the revision in force; never the image


def verify(token: str) -> Verification:
    """The essential facts of the record with this token (one unique-index lookup); else 404."""
    if not token or len(token) > 32:
        raise not_found()
    inspection = db.session.scalar(select(Inspection).where(Inspection.verify_token == token))
    if inspection is None:
        raise not_found()
    order = getattr(inspection, "rectification_order", None)
    return Verification(
        authority=authority(inspection.jurisdiction_code), unit_name=inspection.unit.name,
        unit_kind=inspection.unit.kind.label, licence_no=inspection.unit.licence_no or "无",
        date=_cst(inspection.started_at, "%Y年%m月%d日"), result=inspection.result.label,
        handling=inspection.handling.label, problems_found=inspection.problems_found,
        order_number=order.number if order else None,
        order_deadline=order.deadline.strftime("%Y年%m月%d日") if order else None,
        inspectors=[mask_name(i.get("name", "")) for i in inspection.inspectors],
        revision=inspection.revision, status_lines=status_lines(inspection, reasons=False),
        voided=inspection.deleted_at is not None, signature=signature_state(inspection))


def signature_state(inspection: Inspection) -> str:
    """The public page's one line on the signature: signed, refused or not signed on the phone."""
    state = db.session.scalar(
        select(RecordSignature.state)
        .join(InspectionRevision, InspectionRevision.id == RecordSignature.revision_id)
        .where(InspectionRevision.inspection_id == inspection.id,
               InspectionRevision.revision == inspection.revision))
    if state is None:
        return "未在手机上签名（以纸质记录表为准）"
    return "被检查单位已签名" if state == SignatureState.SIGNED else f"{state.label}（检查人员已记录情况）"
