"""Registry schemas: schools, units, supply links, jurisdictions."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from foodsafety.fields import Bool, Id, Name, Text, code, label
from foodsafety.pagination import PageArgsSchema, page_schema, sort_field
from foodsafety.registry.models import Unit
from foodsafety.registry.rules import licence_status, supplies
from foodsafety.timeutil import today_cst
from foodsafety.vocabulary import (
    HaccpStatus,
    LicenceStatus,
    Mingchu,
    OperationMode,
    Result,
    SchoolStage,
    UnitKind,
)

CODE = validate.Regexp(r"^[0-9]{6}$", error="行政区划代码应为 6 位数字。")


class SchoolInSchema(Schema):
    name = Name(required=True, max_length=128)
    stage = fields.String(required=True, validate=validate.OneOf(SchoolStage.codes()))
    jurisdiction_code = fields.String(required=True, validate=CODE)
    uscc = Text(max_length=18, load_default=None, allow_none=True)
    address = Text(max_length=256, load_default=None, allow_none=True)


class SchoolPatchSchema(Schema):
    name = Name(max_length=128)
    stage = fields.String(validate=validate.OneOf(SchoolStage.codes()))
    uscc = Text(max_length=18, allow_none=True)
    address = Text(max_length=256, allow_none=True)


class UnitInSchema(Schema):
    client_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "手机端生成的登记编号：同一编号重复提交时返回已登记的单位（不会重复登记）"})
    kind = fields.String(required=True, validate=validate.OneOf(UnitKind.codes()))
    name = Name(required=True, max_length=128)
    short_name = Text(max_length=64, load_default=None, allow_none=True,
                      metadata={"description": "简称（如“七中食堂”），可按简称搜索"})
    jurisdiction_code = fields.String(required=True, validate=CODE)
    school_id = Id(load_default=None, allow_none=True)
    operation_mode = fields.String(validate=validate.OneOf(OperationMode.codes()),
                                   load_default=None, allow_none=True)
    address = Text(max_length=256, load_default=None, allow_none=True)
    uscc = Text(max_length=18, load_default=None, allow_none=True)
    licence_no = Text(max_length=16, load_default=None, allow_none=True)
    licence_issued_on = fields.Date(load_default=None, allow_none=True)
    licence_expires_on = fields.Date(load_default=None, allow_none=True)
    wuchang_6t = Bool(load_default=False)
    haccp = fields.String(validate=validate.OneOf(HaccpStatus.codes()),
                          load_default="none")
    haccp_cert_expires_on = fields.Date(load_default=None, allow_none=True)
    mingchu = fields.List(fields.String(validate=validate.OneOf(Mingchu.codes())),
                          load_default=list, validate=validate.Length(max=3))

    @validates_schema
    def _dates(self, data, **_):
        issued, expires = data.get("licence_issued_on"), data.get("licence_expires_on")
        if issued and expires and expires <= issued:
            raise ValidationError("有效期至应晚于发证日期。", "licence_expires_on")


class UnitPatchSchema(UnitInSchema):
    """Any subset of a unit's fields; the kind is fixed once registered."""

    class Meta:
        exclude = ("client_id",)

    def __init__(self, **kwargs) -> None:
        super().__init__(partial=True, **kwargs)


class SupplyLinkInSchema(Schema):
    supplier_id = Id(required=True)
    school_id = Id(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _dates(self, data, **_):
        if data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError("结束日期不能早于开始日期。", "ends_on")


class SupplyLinkPatchSchema(Schema):
    ends_on = fields.Date(required=True, allow_none=True)


class RegistryQueryArgsSchema(PageArgsSchema):
    jurisdiction = fields.String(validate=CODE)
    q = Text(max_length=64, metadata={
        "description": "单位：按名称、简称、地址、许可证编号或学校名称搜索；学校：按名称搜索"})
    kind = fields.String(validate=validate.OneOf(UnitKind.codes()))
    school_id = Id(strict=False)


PAGE_FIELDS = ("page", "per_page", "cursor")  # what an export's arguments leave out
UNIT_SORTS = {"jurisdiction": "行政区划、名称", "name": "名称", "licence_expires": "许可证有效期至"}
SCHOOL_SORTS = {"jurisdiction": "行政区划、名称", "name": "名称"}
LINK_SORTS = {"id": "登记顺序", "starts": "开始日期"}


# The phone downloads its jurisdiction's whole unit list; on slow 3G every page is a round trip
# (~36 bytes per unit compressed, so a page of 1,000 stays well under what a later sync may cost).
UNIT_PAGE_MAX = 1000


class UnitQueryArgsSchema(RegistryQueryArgsSchema):
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=UNIT_PAGE_MAX))
    licence_status = fields.String(validate=validate.OneOf(LicenceStatus.codes()), metadata={
        "description": "今天（北京时间）的许可证状态"})
    sort = sort_field(UNIT_SORTS, "jurisdiction")


class SchoolQueryArgsSchema(PageArgsSchema):
    jurisdiction = fields.String(validate=CODE, metadata={"description": "行政区划代码：该区划及其下级"})
    q = Text(max_length=64, metadata={"description": "搜索学校名称、地址、统一社会信用代码"})
    stage = fields.String(validate=validate.OneOf(SchoolStage.codes()))
    school_id = Id(strict=False, metadata={"description": "只列出该学校"})
    sort = sort_field(SCHOOL_SORTS, "jurisdiction")


class SupplyLinkQueryArgsSchema(PageArgsSchema):
    jurisdiction = fields.String(validate=CODE, metadata={
        "description": "行政区划代码：学校或供餐单位在该区划及其下级"})
    school_id = Id(strict=False)
    supplier_id = Id(strict=False)
    current = fields.Boolean(metadata={"description": "true：今天（北京时间）有效的供餐关系；false：已结束或尚未开始"})
    q = Text(max_length=64, metadata={"description": "搜索学校名称、供餐单位名称或许可证编号"})
    sort = sort_field(LINK_SORTS, "id")


class WarningOutSchema(Schema):
    field = fields.String(metadata={"description": "有疑问的字段，如 uscc、licence_no"})
    message = fields.String()


class SchoolOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    stage = code(SchoolStage)
    stage_label = label("stage")
    jurisdiction_code = fields.String()
    jurisdiction_name = fields.String(attribute="jurisdiction.name")
    uscc = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    warnings = fields.List(fields.Nested(WarningOutSchema), dump_default=list,
                           metadata={"description": "新建、修改时的提示（如校验位不符，已保存）；读取时为空列表"})


class LastInspectionSchema(Schema):
    """A unit's latest live inspection, as its lists show it."""

    id = fields.String(attribute="uuid", metadata={"description": "检查编号（UUID）"})
    date = fields.Date(attribute="inspected_on")
    result = code(Result)
    result_label = label("result")


class UnitOutSchema(Schema):
    id = fields.Integer()
    client_id = fields.String(allow_none=True, metadata={"description": "现场登记时手机端生成的编号"})
    kind = code(UnitKind)
    kind_label = label("kind")
    name = fields.String()
    short_name = fields.String(allow_none=True)
    jurisdiction_code = fields.String()
    jurisdiction_name = fields.String(attribute="jurisdiction.name")
    school_id = fields.Integer(allow_none=True)
    school_name = fields.String(attribute="school.name", allow_none=True, dump_default=None)
    operation_mode = code(OperationMode, allow_none=True)
    address = fields.String(allow_none=True)
    uscc = fields.String(allow_none=True)
    licence_no = fields.String(allow_none=True)
    licence_issued_on = fields.Date(allow_none=True)
    licence_expires_on = fields.Date(allow_none=True)
    licence_revoked_on = fields.Date(allow_none=True)
    licence_status = fields.Method("_licence_status", metadata={
        "type": "string", "enum": list(LicenceStatus.codes()), "description": "今天（北京时间）的许可证状态"})
    licence_status_label = fields.Method("_licence_status_label", metadata={"type": "string"})
    wuchang_6t = fields.Boolean()
    haccp = code(HaccpStatus)
    haccp_cert_expires_on = fields.Date(allow_none=True)
    mingchu = fields.List(code(Mingchu))
    last_inspection = fields.Nested(LastInspectionSchema, allow_none=True, dump_default=None,
                                    metadata={"description": "最近一次（未删除的）检查；从未检查为 null"})
    open_orders = fields.Integer(dump_default=0, metadata={"description": "未销号的责令改正通知书数"})
    warnings = fields.List(fields.Nested(WarningOutSchema), dump_default=list,
                           metadata={"description": "新建、修改时的提示（如校验位不符，已保存）；读取时为空列表"})

    def _licence_status(self, unit: Unit) -> str:
        return licence_status(unit, today_cst()).value

    def _licence_status_label(self, unit: Unit) -> str:
        return licence_status(unit, today_cst()).label


class SupplyLinkOutSchema(Schema):
    id = fields.Integer()
    supplier_id = fields.Integer()
    supplier_name = fields.String(attribute="supplier.name")
    supplier_licence_no = fields.String(attribute="supplier.licence_no", allow_none=True)
    school_id = fields.Integer()
    school_name = fields.String(attribute="school.name")
    school_jurisdiction_name = fields.String(attribute="school.jurisdiction.name")
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    current = fields.Method("_current", metadata={"type": "boolean", "description": "今天（北京时间）是否有效"})

    def _current(self, link) -> bool:
        return supplies(link, today_cst())


class JurisdictionArgsSchema(Schema):
    parent = fields.String(metadata={"description": "列出该行政区划的下级；不给时为您自己的行政区划"})
    q = Text(max_length=32, metadata={
        "description": "在您的辖区（含下级）内按名称或代码搜索，最多 50 条；给出时不看 parent"})


class JurisdictionOutSchema(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.Integer()
    parent_code = fields.String(allow_none=True)
    parent_name = fields.String(attribute="parent.name", allow_none=True, dump_default=None)


class UnitRefSchema(Schema):
    """A unit named in another record (an inspection, an order, a case)."""

    id = fields.Integer()
    name = fields.String()
    kind = code(UnitKind)
    kind_label = label("kind")
    licence_no = fields.String(allow_none=True)
    jurisdiction_name = fields.String(attribute="jurisdiction.name", metadata={"description": "单位现在所在地"})


class SchoolListItemSchema(SchoolOutSchema):
    """A school in the list, with its canteens and the suppliers serving it today."""

    canteens = fields.List(fields.Nested(UnitRefSchema))
    suppliers = fields.List(fields.Nested(UnitRefSchema), metadata={
        "description": "今天（北京时间）为该校供餐的单位"})


SchoolPageSchema = page_schema(SchoolListItemSchema, "SchoolPage")
UnitPageSchema = page_schema(UnitOutSchema, "UnitPage")
SupplyLinkPageSchema = page_schema(SupplyLinkOutSchema, "SupplyLinkPage")
