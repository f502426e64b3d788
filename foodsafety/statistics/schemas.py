"""Statistics schemas: query arguments, snapshot requests, and the responses they serialise
(from the typed results of `results.py`, the snapshot model and the table definition)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from foodsafety.fields import StoredInstant, code, label
from foodsafety.pagination import PageArgsSchema, page_schema
from foodsafety.statistics.definition import TABLE
from foodsafety.statistics.results import display_text, exact_json
from foodsafety.vocabulary import SnapshotKind, UnitKind

PERIOD = validate.Regexp(r"^20\d\d(-H[12])?$", error="统计期间格式应为 YYYY（全年）或 YYYY-H1（上半年）。")


class CutoffArgsSchema(Schema):
    cutoff = fields.Date(load_default=None)


class CoverageArgsSchema(PageArgsSchema):
    cutoff = fields.Date(load_default=None)
    kind = fields.String(validate=validate.OneOf(UnitKind.codes()))


class CoverageExportArgsSchema(Schema):
    cutoff = fields.Date(load_default=None)
    kind = fields.String(validate=validate.OneOf(UnitKind.codes()))


class SnapshotQueryArgsSchema(PageArgsSchema):
    jurisdiction = fields.String(validate=validate.Regexp(r"^\d{6}$"))
    period = fields.String(validate=PERIOD)
    kind = fields.String(validate=validate.OneOf(SnapshotKind.codes()))


class SnapshotCreateSchema(Schema):
    kind = fields.String(load_default="draft", validate=validate.OneOf(SnapshotKind.codes()))
    cutoff = fields.Date(load_default=None, allow_none=True)


class JurisdictionRefSchema(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.Integer()


class PeriodOutSchema(Schema):
    key = fields.String()
    label = fields.String()
    start = fields.Date()
    end = fields.Date()


class RowSchema(Schema):
    """A row of the table's definition."""

    code = fields.String()
    label = fields.String()
    unit = fields.String()
    section = fields.String()
    group = fields.String(allow_none=True)


class TableRowSchema(Schema):
    """A row with its figure (a `RowFigure`)."""

    code = fields.String(attribute="row.code")
    label = fields.String(attribute="row.label")
    unit = fields.String(attribute="row.unit")
    section = fields.String(attribute="row.section")
    section_label = fields.String()
    group = fields.String(attribute="row.group", allow_none=True)
    part_of = fields.String(attribute="row.part_of", allow_none=True,
                            metadata={"description": "本行细分的行（A5、A6 为 A4 的组成部分，缩进显示）"})
    section_span = fields.Integer(metadata={"description": "本行开始的「部分」单元格向下合并的行数（否则为 0）"})
    group_span = fields.Integer(metadata={"description": "本行开始的分组单元格向下合并的行数（否则为 0）"})
    value = fields.Function(
        lambda figure: display_text(figure.row, figure.exact) if figure.row.is_money
        else figure.display,
        metadata={"description": "显示值：计数为整数，万元为两位小数的字符串",
                  "oneOf": [{"type": "integer"}, {"type": "string"}]})
    exact = fields.Function(lambda figure: exact_json(figure.row, figure.exact), metadata={
        "description": "精确值：计数为整数，金额为元（字符串）",
        "oneOf": [{"type": "integer"}, {"type": "string"}]})


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
    """A live table (a `LiveTable`)."""

    jurisdiction = fields.Nested(JurisdictionRefSchema)
    period = fields.Nested(PeriodOutSchema)
    cutoff = fields.Date()
    title = fields.Constant(TABLE.title)
    definition_version = fields.Constant(TABLE.version)
    rows = fields.List(fields.Nested(TableRowSchema))
    notes = fields.Constant(list(TABLE.notes), metadata={
        "type": "array", "items": {"type": "string"}, "description": "表下注释"})
    validation = fields.List(fields.Nested(IssueSchema), attribute="issues")
    valid = fields.Boolean()
    context = fields.List(fields.Nested(ContextSchema), attribute="context_figures")
    coverage = fields.List(fields.Nested(CoverageSchema), attribute="coverage_counts")


class BreakdownColumnSchema(Schema):
    """One column of a breakdown (a `BreakdownColumn`); also how a snapshot stores it."""

    code = fields.String()
    name = fields.String()
    figures = fields.Dict(keys=fields.String(), values=fields.Raw(),
                          metadata={"description": "行代码 → 精确值（金额为元，字符串）"})
    display = fields.Dict(keys=fields.String(), values=fields.String(),
                          metadata={"description": "行代码 → 显示值（万元保留两位小数）"})


class BreakdownOutSchema(Schema):
    """A live breakdown (a `LiveBreakdown`)."""

    jurisdiction = fields.Nested(JurisdictionRefSchema)
    period = fields.Nested(PeriodOutSchema)
    cutoff = fields.Date()
    rows = fields.List(fields.Nested(RowSchema), metadata={"description": "统计表的行"})
    columns = fields.List(fields.Nested(BreakdownColumnSchema))
    total = fields.Nested(BreakdownColumnSchema)


class UninspectedUnitSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    jurisdiction_code = fields.String()
    jurisdiction_name = fields.String()
    licence_no = fields.String(allow_none=True)


class UncoveredUnitSchema(UninspectedUnitSchema):
    last_inspected_on = fields.Date(allow_none=True)


class CoveragePageSchema(page_schema(UncoveredUnitSchema, "UncoveredUnitPage")):
    summary = fields.List(fields.Nested(CoverageSchema))
    period = fields.Nested(PeriodOutSchema)
    cutoff = fields.Date()


class UserRefSchema(Schema):
    id = fields.Integer()
    name = fields.String(attribute="display_name")


class SnapshotSummarySchema(Schema):
    """A stored snapshot in lists (a `StatsSnapshot`)."""

    id = fields.Integer()
    jurisdiction = fields.Nested(JurisdictionRefSchema)
    period = fields.Nested(PeriodOutSchema)
    cutoff = fields.Date()
    kind = code(SnapshotKind)
    kind_label = label("kind")
    version = fields.Integer()
    definition_version = fields.String()
    data_as_of = StoredInstant()
    built_at = StoredInstant()
    built_by = fields.Nested(UserRefSchema, allow_none=True)
    valid = fields.Boolean()


class SnapshotOutSchema(SnapshotSummarySchema):
    """A whole stored snapshot."""

    title = fields.Constant(TABLE.title)
    rows = fields.List(fields.Nested(TableRowSchema))
    figures = fields.Dict(keys=fields.String(), values=fields.Raw(),
                          metadata={"description": "行代码 → 精确值（金额为元，字符串）"})
    context = fields.List(fields.Nested(ContextSchema), attribute="context_figures")
    validation = fields.List(fields.Nested(IssueSchema), attribute="issues")
    coverage = fields.List(fields.Nested(CoverageSchema), attribute="coverage_counts")
    uninspected = fields.List(fields.Nested(UninspectedUnitSchema), attribute="uninspected_units",
                              metadata={"description": "期内未检查的单位"})
    breakdown = fields.List(fields.Nested(BreakdownColumnSchema), attribute="breakdown_columns",
                            metadata={"description": "每个直接下级区划一列；合计见 figures"})
    filename = fields.String()


class JurisdictionChoiceSchema(JurisdictionRefSchema):
    depth = fields.Integer(metadata={"description": "在您的行政区划之下的层级（本级为 0）"})


class StatisticsOptionsSchema(Schema):
    """What the statistics page offers the current user (an `access.Options`)."""

    jurisdictions = fields.List(fields.Nested(JurisdictionChoiceSchema),
                                metadata={"description": "您的辖区及其全部下级，按代码排序"})
    periods = fields.List(fields.Nested(PeriodOutSchema),
                          metadata={"description": "已开始的统计期间，最新的在前"})
    default_period = fields.String()
    can_build_snapshots = fields.Boolean()


SnapshotPageSchema = page_schema(SnapshotSummarySchema, "StatsSnapshotPage")


class DrillArgsSchema(PageArgsSchema):
    cutoff = fields.Date(load_default=None)


class DrillUnitSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    jurisdiction_code = fields.String()
    jurisdiction_name = fields.String()
    licence_no = fields.String(allow_none=True)


class DrillSchoolSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    jurisdiction_code = fields.String()
    jurisdiction_name = fields.String()


class DrillProblemSchema(Schema):
    item_code = fields.String(allow_none=True)
    description = fields.String()


class DrillInspectionSchema(Schema):
    id = fields.String(metadata={"description": "检查记录编号（UUID）"})
    inspected_on = fields.Date()
    result = fields.String()
    result_label = fields.String()
    problems_found = fields.Integer()
    problems = fields.List(fields.Nested(DrillProblemSchema),
                           metadata={"description": "C 行：该检查记录的本类问题"})


class DrillOrderSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    issued_on = fields.Date()
    deadline = fields.Date()
    status = fields.String()
    status_label = fields.String()


class DrillCaseSchema(Schema):
    id = fields.Integer()
    case_no = fields.String()
    filed_on = fields.Date()
    decided_on = fields.Date(allow_none=True)
    fine_yuan = fields.String()
    confiscated_yuan = fields.String()
    amount_yuan = fields.String(metadata={"description": "罚没金额（元）= 罚款 + 没收违法所得"})
    stage_on = fields.Date(allow_none=True, metadata={"description": "本行计数所依据的日期"})
    summary = fields.String(allow_none=True)


class DrillRecordSchema(Schema):
    """One record behind a cell: a unit (stock, C, D5, D6 rows), a school (B2), an inspection
    (D1), an order (D2) or a case (D3, D4, D7, D8), each with its unit."""

    unit = fields.Nested(DrillUnitSchema)
    school = fields.Nested(DrillSchoolSchema)
    inspection = fields.Nested(DrillInspectionSchema)
    inspections = fields.List(fields.Nested(DrillInspectionSchema),
                              metadata={"description": "C 行：期内记录该类问题的检查"})
    order = fields.Nested(DrillOrderSchema)
    case = fields.Nested(DrillCaseSchema)
    cases = fields.List(fields.Nested(DrillCaseSchema),
                        metadata={"description": "D5、D6 行：该单位期内的相关案件"})


class DrillPageSchema(page_schema(DrillRecordSchema, "DrillRecordPage")):
    jurisdiction = fields.Nested(JurisdictionRefSchema)
    period = fields.Nested(PeriodOutSchema)
    cutoff = fields.Date()
    row = fields.Nested(RowSchema)
    records = fields.String(metadata={"description": "记录类型：units / schools / inspections / orders / cases"})
    records_label = fields.String()
    value = fields.Raw(metadata={"description": "该格的显示值（与统计表一致）"})
    exact = fields.Raw(metadata={"description": "该格的精确值（金额为元）"})
