"""The audit log for auditors (审计员), within their jurisdiction: search and export, read-only.

Administrators manage users and the registry and cannot read the log (separation of duties);
deleting old entries is a command-line task for the operator (`flask audit purge`).
"""

from __future__ import annotations

from flask import stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from foodsafety.access import current_user, login_required
from foodsafety.audit import services
from foodsafety.audit.export import csv_lines
from foodsafety.downloads import CSV, send_stream
from foodsafety.fields import StoredInstant, Text
from foodsafety.pagination import PageArgsSchema, page_schema, paginate
from foodsafety.timeutil import today_cst
from foodsafety.vocabulary import Outcome, Role

blp = Blueprint("audit", __name__, url_prefix="/audit", description="审计日志（审计员查询与导出）")


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


@blp.route("")
class AuditLog(MethodView):
    @login_required(Role.AUDITOR)
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, page_schema(AuditEntrySchema, "AuditPage"))
    def get(self, args):
        """Search the audit log of accounts within your jurisdiction (read-only)."""
        return paginate(services.search(current_user(), args), args, list)


@blp.route("/export.csv")
class AuditExport(MethodView):
    @login_required(Role.AUDITOR)
    @blp.arguments(AuditFilterSchema, location="query")
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="text/csv")
    def get(self, args):
        """The entries matching the filters as CSV (UTF-8 with BOM), streamed in batches."""
        entries = services.export_rows(current_user(), args)
        return send_stream(stream_with_context(csv_lines(entries)), f"audit-{today_cst().isoformat()}.csv",
                           CSV)
