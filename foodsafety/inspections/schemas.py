"""Inspection schemas: the phone's submission document (in) and the stored record (out)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from foodsafety.fields import Bool, Id, Inline, Instant, StoredInstant, Text, code, label
from foodsafety.pagination import PageArgsSchema, page_schema, sort_field
from foodsafety.periods import PERIOD_PATTERN
from foodsafety.registry.schemas import UnitRefSchema, WarningOutSchema
from foodsafety.vocabulary import Answer, Category, HaccpStatus, Handling, Mingchu, Result, UnitKind


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
