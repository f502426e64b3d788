"""Account schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from foodsafety.fields import Bool, Text
from foodsafety.pagination import PageArgsSchema, page_schema

ROLES = ("inspector", "bureau", "school", "admin")


class LoginSchema(Schema):
    username = Text(required=True, max_length=64)
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=128))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=128))


class UserCreateSchema(Schema):
    username = Text(required=True, max_length=64,
                    validate=validate.Regexp(r"^[A-Za-z0-9_.\-]{3,64}$",
                                             error="用户名只能包含字母、数字、下划线、点和连字符（3–64 位）。"))
    display_name = Text(required=True, max_length=64)
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    jurisdiction_code = fields.String(validate=validate.Regexp(r"^\d{6}$"))
    school_id = fields.Integer(strict=True, allow_none=True)
    phone = Text(max_length=20, allow_none=True,
                 validate=validate.Regexp(r"^[0-9+\-]{5,20}$", error="电话号码格式不正确。"))


class UserUpdateSchema(Schema):
    display_name = Text(max_length=64)
    active = Bool()
    phone = Text(max_length=20, allow_none=True,
                 validate=validate.Regexp(r"^[0-9+\-]{5,20}$", error="电话号码格式不正确。"))
    password = fields.String(validate=validate.Length(min=1, max=128))


class UserQueryArgsSchema(PageArgsSchema):
    role = fields.String(validate=validate.OneOf(ROLES))
    jurisdiction = fields.String(validate=validate.Regexp(r"^\d{6}$"))


class UserOutSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    role_label = fields.String()
    jurisdiction_code = fields.String()
    jurisdiction_name = fields.String()
    school_id = fields.Integer(allow_none=True)
    school_name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    active = fields.Boolean()


class SessionOutSchema(Schema):
    token = fields.String()
    csrf_token = fields.String()
    expires_at = fields.String()
    user = fields.Nested(UserOutSchema)


UserPageSchema = page_schema(UserOutSchema, "UserPage")
