"""Rectification schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from foodsafety.fields import Bool, Id, Text
from foodsafety.inspections.schemas import InspectorSchema
from foodsafety.pagination import PageArgsSchema, page_schema
from foodsafety.vocabulary import OrderStatus


class OrderQueryArgsSchema(PageArgsSchema):
    jurisdiction = fields.String(validate=validate.Regexp(r"^[0-9]{6}$"))
    status = fields.String(validate=validate.OneOf(OrderStatus.codes()))
    unit_id = Id(strict=False)
    overdue = fields.Boolean()


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


class OrderOutSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    issued_on = fields.String()
    deadline = fields.String()
    status = fields.String()
    status_label = fields.String()
    overdue = fields.Boolean()
    closed_on = fields.String(allow_none=True)
    inspection_id = fields.String()
    unit = fields.Dict()
    jurisdiction_code = fields.String()
    findings = fields.List(fields.Dict())
    reports = fields.List(fields.Dict())
    rechecks = fields.List(fields.Dict())


OrderPageSchema = page_schema(OrderOutSchema, "RectificationOrderPage")
