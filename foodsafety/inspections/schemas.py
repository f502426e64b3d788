"""Inspection schemas: the phone's submission document (in) and the stored record (out)."""

from __future__ import annotations

import base64
import binascii
import math

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from foodsafety.fields import Bool, Id, Inline, Instant, StoredInstant, Text, code, label
from foodsafety.pagination import PageArgsSchema, page_schema, sort_field
from foodsafety.periods import PERIOD_PATTERN
from foodsafety.registry.schemas import UnitRefSchema, WarningOutSchema
from foodsafety.vocabulary import (
    Answer,
    Category,
    HaccpStatus,
    Handling,
    Mingchu,
    Result,
    SignatureState,
    UnitKind,
)


class InspectorSchema(Schema):
    name = Text(required=True, max_length=32)
    badge_no = Text(max_length=32, load_default=None, allow_none=True)


class AnswerSchema(Schema):
    item = Text(required=True, max_length=16)
    answer = fields.String(required=True, validate=validate.OneOf(Answer.codes()))
    note = Text(max_length=2000, multiline=True, load_default=None, allow_none=True)
    # Ids of the photos the phone uploads (or will upload) for this item (POST /photos).
    photo_ids = fields.List(fields.UUID(), validate=validate.Length(max=20))


class ObservedSchema(Schema):
    wuchang_6t = Bool(required=True)
    haccp = fields.String(required=True, validate=validate.OneOf(HaccpStatus.codes()))
    haccp_cert_expires_on = fields.Date(load_default=None, allow_none=True)
    mingchu = fields.List(fields.String(validate=validate.OneOf(Mingchu.codes())), required=True,
                          validate=validate.Length(max=3))
    licence_displayed = Bool(load_default=None, allow_none=True)

    @validates_schema
    def _consistent(self, data, **_):
        if len(set(data["mingchu"])) != len(data["mingchu"]):
            raise ValidationError("明厨亮灶方式不能重复。", "mingchu")
        if data.get("haccp_cert_expires_on") and data["haccp"] != "certified":
            raise ValidationError("只有已通过认证时才填写证书有效期。", "haccp_cert_expires_on")


class ExtraFindingSchema(Schema):
    category = fields.String(required=True, validate=validate.OneOf(Category.codes()))
    description = Text(required=True, max_length=2000, multiline=True)
    photo_ids = fields.List(fields.UUID(), validate=validate.Length(max=20))


class OrderInputSchema(Schema):
    number = Text(max_length=64, load_default=None, allow_none=True, metadata={
        "description": "通知书编号：手机端从预留的编号段中取得；不填时由系统按本辖区本年度顺序生成"})
    deadline = fields.Date(required=True)


PNG_DATA_URL = "data:image/png;base64,"
SIGNATURE_MAX_BYTES = 200 * 1024  # a signature drawn on a phone's canvas is 10–60 KB


class PngDataUrl(fields.String):
    """A PNG image as a `data:image/png;base64,` URL (what a canvas gives), loaded as its bytes.

    Only the envelope is judged here (prefix, base64, size); whether the bytes are a PNG that
    decodes, of what dimensions, is judged by the feature that stores it (records).
    """

    def __init__(self, *, max_bytes: int = SIGNATURE_MAX_BYTES, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_bytes = max_bytes
        self.metadata = {"format": "data-url", "pattern": "^data:image/png;base64,[A-Za-z0-9+/=]+$",
                         "maxLength": len(PNG_DATA_URL) + 4 * math.ceil(max_bytes / 3),
                         **self.metadata}

    def _deserialize(self, value, attr, data, **kwargs) -> bytes:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.startswith(PNG_DATA_URL):
            raise ValidationError("签名图片应为 PNG 格式（data:image/png;base64,…）。")
        encoded = text[len(PNG_DATA_URL):]
        if len(encoded) > 4 * math.ceil(self.max_bytes / 3):
            raise ValidationError(f"签名图片不能超过 {self.max_bytes // 1024} KB，请清除后重新签名。")
        try:
            image = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("签名图片的编码不正确（应为 base64）。") from None
        if not image:
            raise ValidationError("签名图片为空，请被检查单位负责人签名。")
        if len(image) > self.max_bytes:
            raise ValidationError(f"签名图片不能超过 {self.max_bytes // 1024} KB，请清除后重新签名。")
        return image


class OperatorSignatureSchema(Schema):
    """The operator's answer to the record shown on the phone: signed (the drawn image) or
    refused (拒签, with the inspectors' note of how it happened)."""

    state = fields.String(required=True, validate=validate.OneOf(SignatureState.codes()),
                          metadata={"description": "signed：当事人已在手机上签名；refused：当事人拒签"})
    image = PngDataUrl(load_default=None, allow_none=True,
                       metadata={"description": "签名图片（PNG，不超过 200 KB），仅 signed 时填写"})
    note = Text(max_length=500, multiline=True, load_default=None, allow_none=True,
                metadata={"description": "拒签情况说明（检查人员填写），仅 refused 时填写且必填"})

    @validates_schema
    def _fits_state(self, data, **_):
        if data.get("state") == SignatureState.SIGNED:
            if not data.get("image"):
                raise ValidationError("当事人签名时必须附签名图片。", "image")
            if data.get("note"):
                raise ValidationError("已签名的记录不填写拒签情况说明。", "note")
        elif data.get("state") == SignatureState.REFUSED:
            if not data.get("note"):
                raise ValidationError("当事人拒签时，检查人员必须填写拒签情况说明。", "note")
            if data.get("image"):
                raise ValidationError("当事人拒签时不应附签名图片。", "image")


class InspectionSubmissionSchema(Schema):
    """What the phone sends: one document, identified by a client-generated UUID."""

    id = fields.UUID(required=True)
    unit_id = Id(required=True)
    form_id = Text(required=True, max_length=32)
    form_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    started_at = Instant(required=True)
    inspectors = fields.List(fields.Nested(InspectorSchema), required=True,
                             validate=validate.Length(min=1, max=10))
    answers = fields.List(fields.Nested(AnswerSchema), required=True,
                          validate=validate.Length(min=1, max=300))
    observed = fields.Nested(ObservedSchema, required=True)
    extra_findings = fields.List(fields.Nested(ExtraFindingSchema), load_default=list,
                                 validate=validate.Length(max=50))
    handling = fields.String(required=True, validate=validate.OneOf(Handling.codes()))
    rectification_order = fields.Nested(OrderInputSchema, load_default=None, allow_none=True)
    remarks = Text(max_length=4000, multiline=True, load_default=None, allow_none=True)
    # Part of the one idempotent submission: a retry carries the same signature and stores none
    # again. Absent: not signed on the phone (e.g. signed on the printed paper).
    operator_signature = fields.Nested(OperatorSignatureSchema, load_default=None, allow_none=True,
                                       metadata={"description": "被检查单位对本版记录表的签名或拒签"})

    @validates_schema
    def _order_matches_handling(self, data, **_):
        if data.get("handling") == "rectify" and not data.get("rectification_order"):
            raise ValidationError("处理结果为书面限期整改时必须填写责令改正通知书。",
                                  "rectification_order")
        if data.get("handling") == "pass" and data.get("rectification_order"):
            raise ValidationError("处理结果为通过时不应下达责令改正通知书。", "rectification_order")
        if data.get("handling") == "on_site" and data.get("rectification_order"):
            raise ValidationError("当场整改的问题不需要下达责令改正通知书。", "rectification_order")


class InspectionCorrectionSchema(InspectionSubmissionSchema):
    """A correction: the whole document again, why it changed, and the revision it corrects.

    `base_revision` is the revision the inspector read before editing (ODK Central's
    `deprecatedID` rule): if someone corrected the record since, the correction is refused (409)
    instead of silently undoing theirs.
    """

    reason = Text(required=True, max_length=500, multiline=True)
    base_revision = fields.Integer(required=True, strict=True,
                                   validate=validate.Range(min=1, max=2**31 - 1),
                                   metadata={"description": "所更正的版本号（读取记录时的 revision）"})


class DeletionSchema(Schema):
    reason = Text(required=True, max_length=500, multiline=True)


# The list's orders (keys of `queries.SORTS`).
INSPECTION_SORTS = {"date": "检查时间", "problems": "发现问题数"}


class InspectionFilterSchema(Schema):
    """What narrows the list (and its Excel export)."""

    jurisdiction = fields.String(validate=validate.Regexp(r"^[0-9]{6}$"), metadata={
        "description": "行政区划代码：该区划及其下级（单位现在所在地）"})
    unit_id = Id(strict=False)
    school_id = Id(strict=False, metadata={"description": "该学校的食堂"})
    period = fields.String(validate=validate.Regexp(PERIOD_PATTERN))
    result = fields.String(validate=validate.OneOf(Result.codes()))
    handling = fields.String(validate=validate.OneOf(Handling.codes()))
    kind = fields.String(validate=validate.OneOf(UnitKind.codes()), metadata={"description": "单位类型"})
    date_from = fields.Date()
    date_to = fields.Date()
    q = Text(max_length=64, metadata={"description": "搜索单位名称、许可证编号、地址"})
    sort = sort_field(INSPECTION_SORTS, "-date")


class InspectionQueryArgsSchema(PageArgsSchema, InspectionFilterSchema):
    pass


# --- output: the stored record --------------------------------------------------------------

class FindingOutSchema(Schema):
    id = fields.Integer()
    item = fields.String(attribute="item_code", allow_none=True,
                         metadata={"description": "未通过的检查项目编号；补充问题为 null"})
    category = code(Category)
    category_label = label("category")
    description = fields.String()
    is_key = fields.Boolean()
    rectified = fields.Boolean(allow_none=True, metadata={"description": "复查结论；尚未复查为 null"})


class AnswerOutSchema(Schema):
    item = fields.String(attribute="item_code")
    answer = code(Answer)
    note = fields.String(allow_none=True)


class ObservedOutSchema(Schema):
    """The status observed on site (the statistics' stock rows read the latest)."""

    wuchang_6t = fields.Boolean(attribute="obs_wuchang_6t")
    haccp = code(HaccpStatus, attribute="obs_haccp")
    haccp_cert_expires_on = fields.Date(attribute="obs_haccp_cert_expires_on", allow_none=True)
    mingchu = fields.List(code(Mingchu), attribute="obs_mingchu")
    licence_displayed = fields.Boolean(attribute="obs_licence_displayed", allow_none=True)


class InspectionSummarySchema(Schema):
    """An inspection in a list."""

    id = fields.String(attribute="uuid", metadata={"description": "检查编号（手机端生成的 UUID）"})
    unit = fields.Nested(UnitRefSchema)
    jurisdiction_code = fields.String(metadata={"description": "检查所在县级行政区划代码（记录时单位所在地）"})
    started_at = StoredInstant()
    inspected_on = fields.Date()
    result = code(Result)
    result_label = label("result")
    handling = code(Handling)
    handling_label = label("handling")
    problems_found = fields.Integer()
    revision = fields.Integer()


class InspectionOutSchema(InspectionSummarySchema):
    """One inspection with its answers, findings, rectification order and photos."""

    form_id = fields.String()
    form_version = fields.Integer()
    inspectors = fields.List(fields.Nested(InspectorSchema))
    items_checked = fields.Integer()
    key_items_checked = fields.Integer()
    key_items_failed = fields.Integer()
    general_pass_rate = fields.Integer(allow_none=True, metadata={"description": "一般项目合格率（%，向下取整）"})
    observed = Inline(ObservedOutSchema)
    answers = fields.List(fields.Nested(AnswerOutSchema))
    findings = fields.List(fields.Nested(FindingOutSchema))
    # The higher features' objects, by schema name (they add the attributes to Inspection).
    rectification_order = fields.Nested("OrderSummarySchema", allow_none=True)
    photos = fields.Nested("PhotoStatusSchema", attribute="photo_status")
    operator_signature = fields.Nested("SignatureOutSchema", allow_none=True, metadata={
        "description": "现行版本的当事人签名或拒签；未在手机上签名为 null"})
    remarks = fields.String(allow_none=True)
    created_at = StoredInstant()
    updated_at = StoredInstant()
    warnings = fields.List(fields.Nested(WarningOutSchema), dump_default=list,
                           metadata={"description": "提交或更正时的提示（不影响保存）；查询时为空"})


InspectionPageSchema = page_schema(InspectionSummarySchema, "InspectionPage")


class ChangeSchema(Schema):
    field = fields.String(metadata={"description": "字段路径，如 answers.3.1.answer"})
    from_ = fields.Raw(data_key="from", attribute="from", allow_none=True)
    to = fields.Raw(allow_none=True)


class RevisionOutSchema(Schema):
    revision = fields.Integer()
    created_by = fields.String(attribute="created_by.display_name",
                               metadata={"description": "提交该版本的账户名称"})
    created_at = StoredInstant()
    reason = fields.String(allow_none=True, metadata={"description": "更正原因；第 1 版为 null"})
    changes = fields.List(fields.Nested(ChangeSchema), attribute="change_list")
    operator_signature = fields.Nested("SignatureOutSchema", attribute="signature", allow_none=True,
                                       metadata={"description": "当事人对该版本的签名或拒签；未签名为 null"})


class InspectionHistorySchema(Schema):
    """An inspection's story: each revision (who, when, why, what changed) and its void."""

    id = fields.String(attribute="uuid")
    unit = fields.Nested(UnitRefSchema)
    inspected_on = fields.Date()
    result = code(Result)
    result_label = label("result")
    handling = code(Handling)
    handling_label = label("handling")
    revision = fields.Integer(metadata={"description": "当前版本号（更正时作为 base_revision）"})
    voided = fields.Function(lambda i: i.deleted_at is not None, metadata={"type": "boolean"})
    deleted_at = StoredInstant(allow_none=True)
    deleted_by = fields.String(attribute="deleted_by.display_name", allow_none=True, dump_default=None)
    delete_reason = fields.String(allow_none=True)
    revisions = fields.List(fields.Nested(RevisionOutSchema))
