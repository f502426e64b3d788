"""Inspection schemas: the phone's submission document and the stored record."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from foodsafety.fields import Bool, Id, Instant, Text
from foodsafety.pagination import PageArgsSchema, page_schema
from foodsafety.periods import PERIOD_PATTERN
from foodsafety.vocabulary import Answer, Category, HaccpStatus, Handling, Mingchu, Result


class InspectorSchema(Schema):
    name = Text(required=True, max_length=32)
    badge_no = Text(max_length=32, load_default=None, allow_none=True)


class AnswerSchema(Schema):
    item = Text(required=True, max_length=16)
    answer = fields.String(required=True, validate=validate.OneOf(Answer.codes()))
    note = Text(max_length=2000, multiline=True, load_default=None, allow_none=True)
    # Ids of the photos the phone uploads (or will upload) for this item (POST /photos).
    photo_ids = fields.List(fields.UUID(), validate=validate.Length(max=20))


class ObservedSchema(Schema):
    wuchang_6t = Bool(required=True)
    haccp = fields.String(required=True, validate=validate.OneOf(HaccpStatus.codes()))
    haccp_cert_expires_on = fields.Date(load_default=None, allow_none=True)
    mingchu = fields.List(fields.String(validate=validate.OneOf(Mingchu.codes())), required=True,
                          validate=validate.Length(max=3))
    licence_displayed = Bool(load_default=None, allow_none=True)

    @validates_schema
    def _consistent(self, data, **_):
        if len(set(data["mingchu"])) != len(data["mingchu"]):
            raise ValidationError("明厨亮灶方式不能重复。", "mingchu")
        if data.get("haccp_cert_expires_on") and data["haccp"] != "certified":
            raise ValidationError("只有已通过认证时才填写证书有效期。", "haccp_cert_expires_on")


class ExtraFindingSchema(Schema):
    category = fields.String(required=True, validate=validate.OneOf(Category.codes()))
    description = Text(required=True, max_length=2000, multiline=True)
    photo_ids = fields.List(fields.UUID(), validate=validate.Length(max=20))


class OrderInputSchema(Schema):
    number = Text(required=True, max_length=64)
    deadline = fields.Date(required=True)


class InspectionSubmissionSchema(Schema):
    """What the phone sends: one document, identified by a client-generated UUID."""

    id = fields.UUID(required=True)
    unit_id = Id(required=True)
    form_id = Text(required=True, max_length=32)
    form_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    started_at = Instant(required=True)
    inspectors = fields.List(fields.Nested(InspectorSchema), required=True,
                             validate=validate.Length(min=1, max=10))
    answers = fields.List(fields.Nested(AnswerSchema), required=True,
                          validate=validate.Length(min=1, max=300))
    observed = fields.Nested(ObservedSchema, required=True)
    extra_findings = fields.List(fields.Nested(ExtraFindingSchema), load_default=list,
                                 validate=validate.Length(max=50))
    handling = fields.String(required=True, validate=validate.OneOf(Handling.codes()))
    rectification_order = fields.Nested(OrderInputSchema, load_default=None, allow_none=True)
    remarks = Text(max_length=4000, multiline=True, load_default=None, allow_none=True)

    @validates_schema
    def _order_matches_handling(self, data, **_):
        if data.get("handling") == "rectify" and not data.get("rectification_order"):
            raise ValidationError("处理结果为书面限期整改时必须填写责令改正通知书。",
                                  "rectification_order")
        if data.get("handling") == "pass" and data.get("rectification_order"):
            raise ValidationError("处理结果为通过时不应下达责令改正通知书。", "rectification_order")


class InspectionCorrectionSchema(InspectionSubmissionSchema):
    """A correction: the whole document again, why it changed, and the revision it corrects.

    `base_revision` is the revision the inspector read before editing (ODK Central's
    `deprecatedID` rule): if someone corrected the record since, the correction is refused (409)
    instead of silently undoing theirs.
    """

    reason = Text(required=True, max_length=500, multiline=True)
    base_revision = fields.Integer(required=True, strict=True,
                                   validate=validate.Range(min=1, max=2**31 - 1),
                                   metadata={"description": "所更正的版本号（读取记录时的 revision）"})


class DeletionSchema(Schema):
    reason = Text(required=True, max_length=500, multiline=True)


class InspectionQueryArgsSchema(PageArgsSchema):
    jurisdiction = fields.String(validate=validate.Regexp(r"^[0-9]{6}$"))
    unit_id = Id(strict=False)
    period = fields.String(validate=validate.Regexp(PERIOD_PATTERN))
    result = fields.String(validate=validate.OneOf(Result.codes()))
    date_from = fields.Date()
    date_to = fields.Date()


# --- output (documentation of what the services' dict builders return) ---------------------

class FindingOutSchema(Schema):
    id = fields.Integer()
    item = fields.String(allow_none=True)
    category = fields.String()
    category_label = fields.String()
    description = fields.String()
    is_key = fields.Boolean()
    rectified = fields.Boolean(allow_none=True)


class WarningSchema(Schema):
    field = fields.String()
    message = fields.String()


class InspectionOutSchema(Schema):
    id = fields.String()
    unit = fields.Dict()
    form_id = fields.String()
    form_version = fields.Integer()
    started_at = fields.String()
    inspected_on = fields.String()
    inspectors = fields.List(fields.Dict())
    result = fields.String()
    result_label = fields.String()
    handling = fields.String()
    handling_label = fields.String()
    items_checked = fields.Integer()
    key_items_checked = fields.Integer()
    key_items_failed = fields.Integer()
    general_pass_rate = fields.Integer(allow_none=True)
    problems_found = fields.Integer()
    observed = fields.Dict()
    answers = fields.List(fields.Dict())
    findings = fields.List(fields.Nested(FindingOutSchema))
    rectification_order = fields.Dict(allow_none=True)
    remarks = fields.String(allow_none=True)
    revision = fields.Integer()
    created_by = fields.String()
    created_at = fields.String()
    updated_at = fields.String()
    warnings = fields.List(fields.Nested(WarningSchema))
    photos = fields.Dict()  # {expected, arrived, missing}: photo ids (foodsafety.photos)


InspectionPageSchema = page_schema(InspectionOutSchema, "InspectionPage")


class RevisionOutSchema(Schema):
    revision = fields.Integer()
    created_by = fields.String()
    created_at = fields.String()
    reason = fields.String(allow_none=True)
    changes = fields.List(fields.Dict())
