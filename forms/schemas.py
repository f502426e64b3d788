"""What the phone downloads and keeps offline: the checklist definitions and the vocabularies."""

from __future__ import annotations

from marshmallow import Schema, fields

from foodsafety.vocabulary import VOCABULARIES, Category, Term, UnitKind
from forms.definitions import FormDefinition, forms


class FormSummarySchema(Schema):
    id = fields.String(required=True)
    version = fields.Integer(required=True)
    unit_kind = fields.String(required=True, metadata={"enum": list(UnitKind.codes())})
    title = fields.String(required=True)
    latest = fields.Method("_is_latest", required=True,
                           metadata={"type": "boolean", "description": "新检查使用的版本"})
    items = fields.Function(lambda definition: len(definition.items), required=True,
                            metadata={"type": "integer", "description": "检查项目数"})

    def _is_latest(self, definition: FormDefinition) -> bool:
        return forms.latest(definition.unit_kind) is definition


class ResultRuleSchema(Schema):
    max_key_failures_for_basic = fields.Integer(required=True)
    basic_min_general_pass_rate = fields.Integer(required=True, metadata={"description": "百分比"})


class FormItemSchema(Schema):
    code = fields.String(required=True)
    text = fields.String(required=True)
    key = fields.Boolean(required=True, metadata={"description": "重点项"})
    category = fields.String(required=True, metadata={"enum": list(Category.codes())})


class FormSectionSchema(Schema):
    code = fields.String(required=True)
    title = fields.String(required=True)
    items = fields.List(fields.Nested(FormItemSchema), required=True)


class FormOutSchema(Schema):
    id = fields.String(required=True)
    version = fields.Integer(required=True)
    unit_kind = fields.String(required=True, metadata={"enum": list(UnitKind.codes())})
    title = fields.String(required=True)
    basis = fields.String(required=True)
    effective_from = fields.String(required=True, metadata={"format": "date"})
    result_rule = fields.Nested(ResultRuleSchema, required=True)
    sections = fields.List(fields.Nested(FormSectionSchema), required=True)


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
