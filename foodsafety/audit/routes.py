"""Audit search for admins, within their jurisdiction."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from foodsafety.accounts.auth import current_user, login_required
from foodsafety.accounts.models import Role
from foodsafety.audit import services
from foodsafety.fields import Text
from foodsafety.pagination import PageArgsSchema, page_schema, paginate

blp = Blueprint("audit", __name__, url_prefix="/audit", description="审计日志（管理员查询）")


class AuditQueryArgsSchema(PageArgsSchema):
    event = Text(max_length=64)
    username = Text(max_length=64)
    outcome = fields.String(validate=validate.OneOf(("success", "failure", "denied")))
    object_id = Text(max_length=64)
    date_from = fields.Date()
    date_to = fields.Date()


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.String()
    user_id = fields.Integer(allow_none=True)
    username = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    jurisdiction_code = fields.String(allow_none=True)
    event = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    outcome = fields.String()
    status = fields.Integer(allow_none=True)
    client_ip = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    detail = fields.Dict(allow_none=True)


@blp.route("")
class AuditLog(MethodView):
    @login_required(Role.ADMIN)
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, page_schema(AuditEntrySchema, "AuditPage"))
    def get(self, args):
        """Search the audit log of users within your jurisdiction (read-only)."""
        return paginate(services.search(current_user(), args), args,
                        lambda rows: [services.entry_dict(e) for e in rows])
