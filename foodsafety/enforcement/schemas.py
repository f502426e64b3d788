"""Enforcement schemas: filing and updating a case (in), the case (out)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from foodsafety.fields import Id, Money, StoredInstant, Text
from foodsafety.pagination import PageArgsSchema, page_schema, sort_field
from foodsafety.periods import PERIOD_PATTERN
from foodsafety.registry.schemas import UnitRefSchema
from foodsafety.vocabulary import UnitKind

# The list's orders (keys of `services.SORTS`).
CASE_SORTS = {"filed": "立案日期", "fine": "罚款金额"}


class CaseCreateSchema(Schema):
    case_no = Text(required=True, max_length=64)
    unit_id = Id(required=True)
    inspection_id = fields.UUID(load_default=None, allow_none=True)
    filed_on = fields.Date(required=True)
    summary = Text(max_length=4000, multiline=True, load_default=None, allow_none=True)
    decided_on = fields.Date(allow_none=True)
    fine_yuan = Money(allow_none=True, metadata={"type": "string", "example": "5000.00"})
    confiscated_yuan = Money(allow_none=True, metadata={"type": "string", "example": "0.00"})
    licence_revoked_on = fields.Date(allow_none=True)
    banned_on = fields.Date(allow_none=True)
    transferred_on = fields.Date(allow_none=True)
    criminal_filed_on = fields.Date(allow_none=True)


class CaseUpdateSchema(Schema):
    filed_on = fields.Date()
    summary = Text(max_length=4000, multiline=True, allow_none=True)
    decided_on = fields.Date(allow_none=True)
    fine_yuan = Money(allow_none=True, metadata={"type": "string"})
    confiscated_yuan = Money(allow_none=True, metadata={"type": "string"})
    licence_revoked_on = fields.Date(allow_none=True)
    banned_on = fields.Date(allow_none=True)
    transferred_on = fields.Date(allow_none=True)
    criminal_filed_on = fields.Date(allow_none=True)


class CaseFilterSchema(Schema):
    """What narrows the list (and its Excel export)."""

    jurisdiction = fields.String(validate=validate.Regexp(r"^[0-9]{6}$"), metadata={
        "description": "行政区划代码：该区划及其下级（单位现在所在地）"})
    unit_id = Id(strict=False)
    school_id = Id(strict=False, metadata={"description": "该学校的食堂"})
    period = fields.String(validate=validate.Regexp(PERIOD_PATTERN), metadata={
        "description": "立案日期所在期间"})
    kind = fields.String(validate=validate.OneOf(UnitKind.codes()), metadata={"description": "单位类型"})
    decided = fields.Boolean(metadata={"description": "true：已作出处罚决定；false：尚未决定"})
    q = Text(max_length=64, metadata={"description": "搜索案件编号、单位名称、许可证编号、地址"})
    sort = sort_field(CASE_SORTS, "-filed")


class CaseQueryArgsSchema(PageArgsSchema, CaseFilterSchema):
    pass


class CaseOutSchema(Schema):
    id = fields.Integer()
    case_no = fields.String()
    unit = fields.Nested(UnitRefSchema)
    jurisdiction_code = fields.String()
    inspection_id = fields.String(attribute="inspection.uuid", allow_none=True, dump_default=None)
    filed_on = fields.Date()
    summary = fields.String(allow_none=True)
    decided_on = fields.Date(allow_none=True)
    fine_yuan = Money(dump_only=True)
    confiscated_yuan = Money(dump_only=True)
    licence_revoked_on = fields.Date(allow_none=True)
    banned_on = fields.Date(allow_none=True)
    transferred_on = fields.Date(allow_none=True)
    criminal_filed_on = fields.Date(allow_none=True)
    created_at = StoredInstant()
    updated_at = StoredInstant()


CasePageSchema = page_schema(CaseOutSchema, "EnforcementCasePage")
