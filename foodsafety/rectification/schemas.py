"""Rectification schemas: the queries, re-inspections and reports (in), the orders (out)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from foodsafety.fields import Bool, Id, StoredInstant, Text, code, label
from foodsafety.inspections.schemas import FindingOutSchema, InspectorSchema
from foodsafety.pagination import PageArgsSchema, page_schema, sort_field
from foodsafety.periods import PERIOD_PATTERN
from foodsafety.rectification.rules import days_overdue, is_overdue
from foodsafety.registry.schemas import UnitRefSchema
from foodsafety.vocabulary import OrderStatus, UnitKind

# The list's orders (keys of `services.SORTS`).
ORDER_SORTS = {"deadline": "整改期限", "issued": "下达日期"}


class OrderFilterSchema(Schema):
    """What narrows the list (and its Excel export)."""

    jurisdiction = fields.String(validate=validate.Regexp(r"^[0-9]{6}$"), metadata={
        "description": "行政区划代码：该区划及其下级（单位现在所在地）"})
    status = fields.String(validate=validate.OneOf(OrderStatus.codes()))
    unit_id = Id(strict=False)
    school_id = Id(strict=False, metadata={"description": "该学校的食堂"})
    overdue = fields.Boolean(metadata={"description": "true：今天已逾期（期限已过且未销号）；false：未逾期"})
    kind = fields.String(validate=validate.OneOf(UnitKind.codes()), metadata={"description": "单位类型"})
    period = fields.String(validate=validate.Regexp(PERIOD_PATTERN), metadata={
        "description": "下达日期所在期间"})
    q = Text(max_length=64, metadata={"description": "搜索通知书编号、单位名称、许可证编号、地址"})
    sort = sort_field(ORDER_SORTS, "deadline")


class OrderQueryArgsSchema(PageArgsSchema, OrderFilterSchema):
    pass


class RecheckResultSchema(Schema):
    finding_id = Id(required=True)
    rectified = Bool(required=True)
    note = Text(max_length=1000, multiline=True, load_default=None, allow_none=True)
    photo_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=20),
                            metadata={"description": "复查照片：先上传（target 为 recheck:<整改通知编号>）"})


class RecheckSchema(Schema):
    id = fields.UUID(load_default=None, metadata={
        "description": "客户端生成的复查编号：重复提交（如离线重发）只记录一次，并得到同样的答复"})
    known_rechecks = fields.Integer(load_default=None, validate=validate.Range(min=0, max=1000),
                                    metadata={"description": "填写复查时看到的复查次数；此后已有他人复查则拒绝（409）"})
    new_deadline = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "仍有问题未整改时，限期再整改的新期限（责令限期整改的后续通知）"})
    checked_on = fields.Date(required=True)
    inspectors = fields.List(fields.Nested(InspectorSchema), required=True,
                             validate=validate.Length(min=1, max=10))
    results = fields.List(fields.Nested(RecheckResultSchema), required=True,
                          validate=validate.Length(max=200))
    note = Text(max_length=2000, multiline=True, load_default=None, allow_none=True)


class ReportSchema(Schema):
    id = fields.UUID(required=True, metadata={
        "description": "客户端生成的报告编号：重复提交（如连点、重试）只保存一次，并得到同样的答复"})
    text = Text(required=True, max_length=4000, multiline=True)
    photo_ids = fields.List(fields.UUID(), load_default=list,  # uploaded first: POST /photos
                            validate=validate.Length(max=20))


class OrderSummarySchema(Schema):
    """An order as an inspection shows it."""

    id = fields.Integer()
    number = fields.String()
    issued_on = fields.Date()
    deadline = fields.Date()
    status = code(OrderStatus)
    status_label = label("status")
    overdue = fields.Function(is_overdue, metadata={"type": "boolean", "description": "今天是否已逾期"})
    days_overdue = fields.Function(days_overdue, metadata={
        "type": "integer", "description": "今天逾期的天数；未逾期为 0"})
    closed_on = fields.Date(allow_none=True)


class ReportOutSchema(Schema):
    id = fields.String(attribute="client_id")
    text = fields.String()
    photo_ids = fields.List(fields.String())
    submitted_at = StoredInstant()


class RecheckResultOutSchema(Schema):
    finding_id = fields.Integer()
    rectified = fields.Boolean()
    note = fields.String(allow_none=True, dump_default=None)
    photo_ids = fields.List(fields.String(), dump_default=list)


class RecheckOutSchema(Schema):
    id = fields.Integer()
    checked_on = fields.Date()
    all_rectified = fields.Boolean()
    results = fields.List(fields.Nested(RecheckResultOutSchema))
    note = fields.String(allow_none=True)
    previous_deadline = fields.Date(allow_none=True, metadata={"description": "限期再整改前的期限"})
    new_deadline = fields.Date(allow_none=True, metadata={"description": "本次复查给出的新期限；无则为 null"})


class OrderOutSchema(OrderSummarySchema):
    """An order with the inspection's findings, the school's reports and the re-inspections."""

    inspection_id = fields.String(attribute="inspection.uuid")
    version = fields.Integer(metadata={"description": "每次复查、报告、更正后加 1"})
    unit = fields.Nested(UnitRefSchema)
    jurisdiction_code = fields.String()
    findings = fields.List(fields.Nested(FindingOutSchema), attribute="inspection.findings")
    reports = fields.List(fields.Nested(ReportOutSchema))
    rechecks = fields.List(fields.Nested(RecheckOutSchema))


OrderPageSchema = page_schema(OrderOutSchema, "RectificationOrderPage")


class NumberBlockArgsSchema(Schema):
    device_id = fields.UUID(required=True, metadata={"description": "手机生成并保存的设备编号"})
    size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=1000),
                          metadata={"description": "预留的编号个数（超过上限时按上限）"})


class NumberBlockOutSchema(Schema):
    id = fields.Integer()
    jurisdiction_code = fields.String()
    year = fields.Integer()
    prefix = fields.String()
    first = fields.Integer()
    last = fields.Integer()
    numbers = fields.List(fields.String(), metadata={"description": "本段的通知书编号，按顺序使用"})
    default_deadline_days = fields.Integer(metadata={"description": "整改期限默认天数"})
    max_deadline_days = fields.Integer(metadata={"description": "整改期限最长天数（自检查日期起）"})
