"""Import schemas: the registry's API schemas, adapted to rows that name what they reference.

A row refers to its school or supplier by natural key (name, code, USCC, licence number)
instead of an id; everything else is the registry's own schema, so the same rules apply.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from foodsafety.fields import Name, Text
from foodsafety.registry.schemas import CODE, SchoolInSchema, SupplyLinkInSchema, UnitInSchema


class SchoolRowSchema(SchoolInSchema):
    """A 学校 row: exactly the API's school."""


class UnitRowSchema(UnitInSchema):
    """A 单位 row: the API's unit, its school named instead of given by id."""

    class Meta:
        exclude = ("school_id",)

    school_name = Name(max_length=128, load_default=None, allow_none=True)  # compared as stored
    school_uscc = Text(max_length=18, load_default=None, allow_none=True)


class LinkRowSchema(SupplyLinkInSchema):
    """A 供餐关系 row: the API's supply link, supplier and school named by natural key."""

    class Meta:
        exclude = ("supplier_id", "school_id")

    supplier_licence_no = Text(required=True, max_length=16)
    school_name = Name(required=True, max_length=128)  # compared as stored
    school_jurisdiction_code = fields.String(required=True, validate=CODE)


class ImportArgsSchema(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "只校验，不写入。"})
    annotated = fields.Boolean(load_default=False, metadata={
        "description": "有错误时返回标注了错误的工作簿（.xlsx），而不是 JSON 错误列表。"})


class ImportFileSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ProblemOutSchema(Schema):
    sheet = fields.String()
    row = fields.Integer(allow_none=True)
    column = fields.String(allow_none=True)
    message = fields.String()


class SheetCountsOutSchema(Schema):
    sheet = fields.String()
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()


class ImportResultOutSchema(Schema):
    dry_run = fields.Boolean()
    sheets = fields.List(fields.Nested(SheetCountsOutSchema))
    warnings = fields.List(fields.Nested(ProblemOutSchema))
