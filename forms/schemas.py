"""What the phone downloads and keeps offline: the checklist definitions and the vocabularies."""

from __future__ import annotations

from marshmallow import Schema, fields

from foodsafety.vocabulary import VOCABULARIES, BusinessType, Category, Term, UnitKind
from forms.definitions import FormDefinition, forms


class AppliesToSchema(Schema):
    unit_kinds = fields.List(fields.String(metadata={"enum": list(UnitKind.codes())}), required=True)
    business_types = fields.List(
        fields.String(metadata={"enum": list(BusinessType.codes())}), required=True,
        metadata={"description": "主体业态（许可证编号 JY 后第 1 位：1 食品销售、2 餐饮服务、3 单位食堂；"
                                 "无许可证为 none）"})


class ResultRuleSchema(Schema):
    max_key_failures_for_basic = fields.Integer(required=True)
    basic_min_general_pass_rate = fields.Integer(required=True, metadata={"description": "百分比"})


class FormItemSchema(Schema):
    code = fields.String(required=True)
    text = fields.String(required=True)
    key = fields.Boolean(required=True, metadata={"description": "重点项"})
    category = fields.String(required=True, metadata={"enum": list(Category.codes())})
    basis = fields.String(required=True, allow_none=True, dump_default=None,
                          metadata={"description": "该项目的依据；没有时为 null"})


class FormSectionSchema(Schema):
    code = fields.String(required=True)
    title = fields.String(required=True)
    items = fields.List(fields.Nested(FormItemSchema), required=True)


class FormOutSchema(Schema):
    id = fields.String(required=True)
    version = fields.Integer(required=True)
    applies_to = fields.Nested(AppliesToSchema, required=True)
    title = fields.String(required=True)
    basis = fields.String(required=True)
    effective_from = fields.String(required=True, metadata={"format": "date"})
    result_rule = fields.Nested(ResultRuleSchema, required=True)
    sections = fields.List(fields.Nested(FormSectionSchema), required=True)


class FormSummarySchema(Schema):
    id = fields.String(required=True)
    version = fields.Integer(required=True)
    applies_to = fields.Nested(AppliesToSchema, required=True, metadata={
        "description": "适用的单位类型和主体业态：新检查使用现行的、适用于该单位的那一份"})
    unit_kind = fields.Function(lambda definition: definition.applies_to.unit_kinds[0], required=True,
                                metadata={"deprecated": True, "description": (
                                    "已弃用，请用 applies_to：适用的第一种单位类型。留给尚未更新的手机应用"
                                    "（更新前按单位类型选检查表，所选版本与主体业态不符时提交仍被接受并提示）")})
    title = fields.String(required=True)
    latest = fields.Method("_in_force", required=True, metadata={
        "type": "boolean", "description": "现行版本（新检查使用）；旧版本仍可提交和查看"})
    items = fields.Function(lambda definition: len(definition.items), required=True,
                            metadata={"type": "integer", "description": "检查项目数"})

    definition = fields.Nested(FormOutSchema, required=True, metadata={
        "description": "完整定义（与 GET /forms/{id}/{version} 相同）：手机一次请求即可下载全部检查表"})

    def _in_force(self, definition: FormDefinition) -> bool:
        return forms.is_in_force(definition)

    def get_attribute(self, obj, attr, default):
        # The listed definition is itself the full definition.
        return obj if attr == "definition" else super().get_attribute(obj, attr, default)


def _term_schema(term: type[Term]) -> type[Schema]:
    """One member of `term`: its code (the OpenAPI document lists them) and its Chinese label."""
    return Schema.from_dict({
        "code": fields.String(attribute="value", required=True, metadata={"enum": list(term.codes())}),
        "label": fields.String(required=True),
    }, name=f"{term.__name__}TermSchema")


# Serialises `foodsafety.vocabulary.VOCABULARIES`: every vocabulary by name, members in display order.
VocabularySchema = Schema.from_dict(
    {name: fields.List(fields.Nested(_term_schema(term)), required=True) for name, term in VOCABULARIES.items()},
    name="VocabularySchema")
