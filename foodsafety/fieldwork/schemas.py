"""Fieldwork schemas: the task list and the unit dossier (out only)."""

from __future__ import annotations

from marshmallow import Schema, fields

from foodsafety.enforcement.schemas import CaseOutSchema
from foodsafety.inspections.schemas import FindingOutSchema, InspectionSummarySchema
from foodsafety.rectification.rules import days_overdue
from foodsafety.rectification.schemas import OrderOutSchema, OrderSummarySchema
from foodsafety.registry.schemas import UnitOutSchema, UnitRefSchema


class TaskOrderSchema(OrderOutSchema):
    """An order on the task list, with what its 复查 needs offline (findings, reports), and how late."""

    days_overdue = fields.Function(days_overdue, metadata={
        "type": "integer", "description": "今天已逾期的天数（未逾期为 0）"})


class TaskUnitSchema(UnitRefSchema):
    """A unit not yet inspected this half-year."""

    address = fields.String(allow_none=True)
    licence_no = fields.String(allow_none=True)
    last_inspected_on = fields.Date(allow_none=True, metadata={"description": "上次检查日期；从未检查为 null"})


class TaskCountsSchema(Schema):
    reported = fields.Integer(metadata={"description": "学校（经营者）已报告整改、待复查的通知书数"})
    overdue = fields.Integer(metadata={"description": "已逾期的通知书数"})
    uncovered = fields.Integer(metadata={"description": "本半年尚未检查的单位数"})


class TaskListSchema(Schema):
    as_of = fields.Date(metadata={"description": "计算日期（北京时间）"})
    period = fields.String(attribute="period.key", metadata={"description": "全覆盖所看的半年，如 2026-H2"})
    period_label = fields.String(attribute="period.label")
    counts = fields.Nested(TaskCountsSchema)
    reported = fields.List(fields.Nested(TaskOrderSchema),
                           metadata={"description": "待复查，期限最早的在前（至多 100 条）"})
    overdue = fields.List(fields.Nested(TaskOrderSchema),
                          metadata={"description": "逾期，逾期最久的在前（至多 100 条）"})
    uncovered = fields.List(fields.Nested(TaskUnitSchema),
                            metadata={"description": "本半年未检查，从未检查的在前、其次上次检查最早的（至多 100 条）"})


class SchoolRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class HistoryInspectionSchema(InspectionSummarySchema):
    """A past inspection on the unit page: result, problems found, photos, revisions."""

    findings = fields.List(fields.Nested(FindingOutSchema))
    photo_ids = fields.Method("_photo_ids", metadata={
        "type": "array", "items": {"type": "string"}, "description": "已到达的照片编号"})
    rectification_order = fields.Nested(OrderSummarySchema, allow_none=True)

    def _photo_ids(self, inspection) -> list[str]:
        return [photo.client_id for photo in inspection.photos]


class DossierSchema(Schema):
    unit = fields.Nested(UnitOutSchema)
    school = fields.Nested(SchoolRefSchema, allow_none=True, metadata={"description": "学校食堂所属学校"})
    serves = fields.List(fields.Nested(SchoolRefSchema), metadata={"description": "供餐单位目前供餐的学校"})
    served_by = fields.List(fields.Nested(UnitRefSchema), metadata={"description": "目前为该校供餐的单位"})
    open_orders = fields.List(fields.Nested(OrderOutSchema), metadata={"description": "未销号的责令改正通知书"})
    inspections = fields.List(fields.Nested(HistoryInspectionSchema),
                              metadata={"description": "最近的检查（至多 20 次），新的在前"})
    inspections_total = fields.Integer(metadata={"description": "检查总次数（未删除的）"})
    cases = fields.List(fields.Nested(CaseOutSchema))

