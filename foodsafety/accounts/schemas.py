"""Account schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from foodsafety.accounts import throttle
from foodsafety.accounts.auth import session_ends_at
from foodsafety.accounts.models import AuthSession
from foodsafety.fields import Bool, Id, Name, StoredInstant, Text, code, label
from foodsafety.pagination import PageArgsSchema, page_schema
from foodsafety.timeutil import iso_cst
from foodsafety.vocabulary import Role

ROLES = Role.codes()
POLICY_ROLES = (Role.INSPECTOR.value, Role.BUREAU.value, Role.SCHOOL.value)


class LoginSchema(Schema):
    username = Text(required=True, max_length=64)
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))


class EnrolmentArgsSchema(Schema):
    challenge = fields.String(required=True, validate=validate.Length(min=1, max=128))


class TwoFactorArgsSchema(Schema):
    challenge = fields.String(required=True, validate=validate.Length(min=1, max=128))
    code = fields.String(validate=validate.Length(max=16), metadata={"description": "验证器中的 6 位验证码"})
    recovery_code = fields.String(validate=validate.Length(max=32), metadata={"description": "一次性恢复码"})


class CodeSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=16))


class EnrolmentOutSchema(Schema):
    secret = fields.String(metadata={"description": "TOTP 密钥（Base32），无法扫码时手动输入"})
    otpauth_uri = fields.String()
    qr_svg = fields.String(metadata={"description": "二维码（SVG 的 data: URL）"})


class TwoFactorStatusSchema(Schema):
    enabled = fields.Boolean()
    required = fields.Boolean()
    recovery_codes_left = fields.Integer()


class RecoveryCodesSchema(Schema):
    recovery_codes = fields.List(fields.String())


class PolicySchema(Schema):
    jurisdiction_code = fields.String()
    jurisdiction_name = fields.String(attribute="jurisdiction.name")
    role = code(Role)
    role_label = label("role")
    editable = fields.Boolean(metadata={"description": "在您的辖区内（可关闭）；否则为上级设定"})
    created_at = StoredInstant()


class PolicyListSchema(Schema):
    items = fields.List(fields.Nested(PolicySchema))


class AuthSessionSchema(Schema):
    id = fields.Integer()
    created_at = StoredInstant()
    last_seen_at = StoredInstant()
    client_ip = fields.String(allow_none=True)
    expires_at = fields.Method("_ends_at", metadata={
        "type": "string", "format": "date-time", "description": "不再使用时的失效时间（闲置超时或到期，取较早者）"})

    def _ends_at(self, session: AuthSession) -> str:
        return iso_cst(session_ends_at(session))


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=128))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=128))


class UserCreateSchema(Schema):
    username = Text(required=True, max_length=64,
                    validate=validate.Regexp(r"^[A-Za-z0-9_.\-]{3,64}$",
                                             error="用户名只能包含字母、数字、下划线、点和连字符（3–64 位）。"))
    display_name = Name(required=True, max_length=64)
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    jurisdiction_code = fields.String(validate=validate.Regexp(r"^\d{6}$"))
    school_id = Id(allow_none=True)
    phone = Text(max_length=20, allow_none=True,
                 validate=validate.Regexp(r"^[0-9+\-]{5,20}$", error="电话号码格式不正确。"))


class UserUpdateSchema(Schema):
    display_name = Name(max_length=64)
    active = Bool()
    phone = Text(max_length=20, allow_none=True,
                 validate=validate.Regexp(r"^[0-9+\-]{5,20}$", error="电话号码格式不正确。"))
    password = fields.String(validate=validate.Length(min=1, max=128))
    reset_two_factor = Bool(metadata={"description": "解除验证器绑定（手机丢失时），下次登录重新绑定"})
    unlock = Bool(metadata={"description": "解除连续登录失败造成的锁定，立即可以再次登录"})


class ProfileSchema(Schema):
    """What a user changes of their own account: the name and 执法证号 printed on records."""

    display_name = Name(max_length=64)
    badge_no = Text(max_length=32, allow_none=True, metadata={"description": "执法证号"})


class UserQueryArgsSchema(PageArgsSchema):
    role = fields.String(validate=validate.OneOf(ROLES))
    jurisdiction = fields.String(validate=validate.Regexp(r"^\d{6}$"), metadata={
        "description": "行政区划代码：该区划及其下级的账户"})
    q = Text(max_length=64, metadata={"description": "按用户名（不区分大小写）或姓名搜索（包含即可）"})
    active = fields.Boolean(metadata={"description": "true：启用的账户；false：已停用的账户"})


class UserOutSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = code(Role)
    role_label = label("role")
    jurisdiction_code = fields.String()
    jurisdiction_name = fields.String(attribute="jurisdiction.name")
    school_id = fields.Integer(allow_none=True)
    school_name = fields.String(attribute="school.name", allow_none=True, dump_default=None)
    phone = fields.String(allow_none=True)
    badge_no = fields.String(allow_none=True, metadata={"description": "执法证号"})
    active = fields.Boolean()
    two_factor_enabled = fields.Boolean()


class SessionOutSchema(Schema):
    """A session just opened (`accounts.services.LoginStep`)."""

    token = fields.String(metadata={"description": "访问令牌（仅此一次返回），请求时放在 Authorization: Bearer 中"})
    csrf_token = fields.String(attribute="session.csrf_token")
    expires_at = StoredInstant(attribute="session.expires_at")
    user = fields.Nested(UserOutSchema, attribute="session.user")
    recovery_codes = fields.List(fields.String(), allow_none=True,
                                 metadata={"description": "刚完成绑定时返回一次；其他时候为 null"})


class LoginOutSchema(SessionOutSchema):
    """Either a session, or (when a second factor is due) the pending step's token: the fields of
    the other kind are null."""

    token = fields.String(allow_none=True, metadata={"description": "访问令牌；需要第二步验证时为 null"})
    csrf_token = fields.String(attribute="session.csrf_token", allow_none=True, dump_default=None)
    expires_at = StoredInstant(attribute="session.expires_at", allow_none=True, dump_default=None)
    user = fields.Nested(UserOutSchema, attribute="session.user", allow_none=True, dump_default=None)
    two_factor = fields.String(allow_none=True, validate=validate.OneOf(("totp", "enrol")),
                               metadata={"description": "totp：输入验证码；enrol：先绑定验证器；已登录时为 null"})
    challenge = fields.String(allow_none=True, metadata={"description": "第二步使用的临时令牌（几分钟内有效）"})
    challenge_expires_at = StoredInstant(allow_none=True)


class ManagedUserOutSchema(UserOutSchema):
    """A user as the administrator sees it: also whether failed logins have locked it out."""

    locked_until = fields.Method("_locked_until", allow_none=True, metadata={
        "type": "string", "format": "date-time", "nullable": True,
        "description": "连续登录失败被锁定时，锁定结束的时间；未锁定时为 null"})

    def _locked_until(self, user) -> str | None:
        ends = throttle.locked_until(user)
        return iso_cst(ends) if ends else None


UserPageSchema = page_schema(ManagedUserOutSchema, "UserPage")
