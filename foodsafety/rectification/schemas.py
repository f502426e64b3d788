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


class RecheckSchema(Schema):
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


class RecheckOutSchema(Schema):
    id = fields.Integer()
    checked_on = fields.Date()
    all_rectified = fields.Boolean()
    results = fields.List(fields.Nested(RecheckResultSchema))
    note = fields.String(allow_none=True)


class OrderOutSchema(OrderSummarySchema):
    """An order with the inspection's findings, the school's reports and the re-inspections."""

    inspection_id = fields.String(attribute="inspection.uuid")
    unit = fields.Nested(UnitRefSchema)
    jurisdiction_code = fields.String()
    findings = fields.List(fields.Nested(FindingOutSchema), attribute="inspection.findings")
    reports = fields.List(fields.Nested(ReportOutSchema))
    rechecks = fields.List(fields.Nested(RecheckOutSchema))


OrderPageSchema = page_schema(OrderOutSchema, "RectificationOrderPage")
