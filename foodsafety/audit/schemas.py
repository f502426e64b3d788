"""Audit schemas: the search filters and an entry of the log."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from foodsafety.fields import StoredInstant, Text
from foodsafety.pagination import PageArgsSchema, page_schema
from foodsafety.vocabulary import Outcome, Role


class AuditFilterSchema(Schema):
    event = Text(max_length=64)
    username = Text(max_length=64)
    outcome = fields.String(validate=validate.OneOf(Outcome.codes()))
    object_id = Text(max_length=64)
    date_from = fields.Date()
    date_to = fields.Date()


class AuditQueryArgsSchema(PageArgsSchema, AuditFilterSchema):
    pass


class AuditDetailSchema(Schema):
    method = fields.String(metadata={"description": "HTTP 方法"})
    path = fields.String(metadata={"description": "请求路径"})


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = StoredInstant()
    user_id = fields.Integer(allow_none=True)
    username = fields.String(allow_none=True)
    role = fields.String(allow_none=True, metadata={"enum": list(Role.codes())})
    jurisdiction_code = fields.String(allow_none=True)
    event = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    outcome = fields.String(metadata={"enum": list(Outcome.codes())})
    status = fields.Integer(allow_none=True)
    client_ip = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    detail = fields.Nested(AuditDetailSchema, allow_none=True)


AuditPageSchema = page_schema(AuditEntrySchema, "AuditPage")
