"""Statistics schemas: query arguments, snapshot requests, and the documented output shapes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from foodsafety.pagination import PageArgsSchema, page_schema
from foodsafety.vocabulary import SnapshotKind, UnitKind

PERIOD = validate.Regexp(r"^20\d\d(-H[12])?$", error="统计期间格式应为 YYYY（全年）或 YYYY-H1（上半年）。")


class CutoffArgsSchema(Schema):
    cutoff = fields.Date(load_default=None)


class CoverageArgsSchema(PageArgsSchema):
    cutoff = fields.Date(load_default=None)
    kind = fields.String(validate=validate.OneOf(UnitKind.codes()))


class SnapshotQueryArgsSchema(PageArgsSchema):
    jurisdiction = fields.String(validate=validate.Regexp(r"^\d{6}$"))
    period = fields.String(validate=PERIOD)
    kind = fields.String(validate=validate.OneOf(SnapshotKind.codes()))


class SnapshotCreateSchema(Schema):
    kind = fields.String(load_default="draft", validate=validate.OneOf(SnapshotKind.codes()))
    cutoff = fields.Date(load_default=None, allow_none=True)


class TableRowSchema(Schema):
    code = fields.String()
    label = fields.String()
    unit = fields.String()
    section = fields.String()
    section_label = fields.String()
    group = fields.String(allow_none=True)
    value = fields.Raw(metadata={"description": "显示值：计数为整数，万元为两位小数的字符串"})
    exact = fields.Raw(metadata={"description": "精确值：计数为整数，金额为元（字符串）"})


class IssueSchema(Schema):
    rule = fields.String()
    severity = fields.String()
    severity_label = fields.String()
    message = fields.String()
    left = fields.Integer()
    right = fields.Integer()


class ContextSchema(Schema):
    key = fields.String()
    label = fields.String()
    value = fields.Integer()


class CoverageSchema(Schema):
    kind = fields.String()
    kind_label = fields.String()
    units = fields.Integer()
    inspected = fields.Integer()
    uninspected = fields.Integer()


class TableOutSchema(Schema):
    jurisdiction = fields.Dict()
    period = fields.Dict()
    cutoff = fields.String()
    title = fields.String()
    definition_version = fields.String()
    rows = fields.List(fields.Nested(TableRowSchema))
    validation = fields.List(fields.Nested(IssueSchema))
    valid = fields.Boolean()
    context = fields.List(fields.Nested(ContextSchema))
    coverage = fields.List(fields.Nested(CoverageSchema))


class BreakdownColumnSchema(Schema):
    code = fields.String()
    name = fields.String()
    figures = fields.Dict()
    display = fields.Dict()


class BreakdownOutSchema(Schema):
    jurisdiction = fields.Dict()
    period = fields.Dict()
    cutoff = fields.String()
    rows = fields.List(fields.Dict(), metadata={"description": "行：code、label、unit、section、group"})
    columns = fields.List(fields.Nested(BreakdownColumnSchema))
    total = fields.Nested(BreakdownColumnSchema)


class UncoveredUnitSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    jurisdiction_code = fields.String()
    jurisdiction_name = fields.String()
    licence_no = fields.String(allow_none=True)
    last_inspected_on = fields.String(allow_none=True)


class CoveragePageSchema(page_schema(UncoveredUnitSchema, "UncoveredUnitPage")):
    summary = fields.List(fields.Nested(CoverageSchema))
    period = fields.Dict()
    cutoff = fields.String()


class SnapshotSummarySchema(Schema):
    id = fields.Integer()
    jurisdiction = fields.Dict()
    period = fields.Dict()
    cutoff = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    version = fields.Integer()
    definition_version = fields.String()
    data_as_of = fields.String()
    built_at = fields.String()
    built_by = fields.Dict(allow_none=True)
    valid = fields.Boolean()


class SnapshotOutSchema(SnapshotSummarySchema):
    title = fields.String()
    rows = fields.List(fields.Nested(TableRowSchema))
    figures = fields.Dict()
    context = fields.List(fields.Nested(ContextSchema))
    validation = fields.List(fields.Nested(IssueSchema))
    coverage = fields.List(fields.Nested(CoverageSchema))
    uninspected = fields.List(fields.Dict(), metadata={"description": "期内未检查的单位"})
    breakdown = fields.List(fields.Nested(BreakdownColumnSchema),
                            metadata={"description": "每个直接下级区划一列；合计见 figures"})
    filename = fields.String()


SnapshotPageSchema = page_schema(SnapshotSummarySchema, "StatsSnapshotPage")
