"""The audit log for auditors (审计员), within their jurisdiction: search and export, read-only.

Administrators manage users and the registry and cannot read the log (separation of duties);
deleting old entries is a command-line task for the operator (`flask audit purge`).
"""

from __future__ import annotations

from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from foodsafety.access import current_user, login_required
from foodsafety.accounts.models import Role
from foodsafety.audit import services
from foodsafety.audit.export import csv_lines
from foodsafety.extensions import db
from foodsafety.fields import Text
from foodsafety.pagination import PageArgsSchema, page_schema, paginate
from foodsafety.timeutil import today_cst
from foodsafety.vocabulary import Outcome

blp = Blueprint("audit", __name__, url_prefix="/audit", description="审计日志（审计员查询与导出）")
EXPORT_BATCH = 500


class AuditFilterSchema(Schema):
    event = Text(max_length=64)
    username = Text(max_length=64)
    outcome = fields.String(validate=validate.OneOf(Outcome.codes()))
    object_id = Text(max_length=64)
    date_from = fields.Date()
    date_to = fields.Date()


class AuditQueryArgsSchema(PageArgsSchema, AuditFilterSchema):
    pass


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
    @login_required(Role.AUDITOR)
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, page_schema(AuditEntrySchema, "AuditPage"))
    def get(self, args):
        """Search the audit log of accounts within your jurisdiction (read-only)."""
        return paginate(services.search(current_user(), args), args,
                        lambda rows: [services.entry_dict(e) for e in rows])


@blp.route("/export.csv")
class AuditExport(MethodView):
    @login_required(Role.AUDITOR)
    @blp.arguments(AuditFilterSchema, location="query")
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="text/csv")
    def get(self, args):
        """The entries matching the filters as CSV (UTF-8 with BOM), streamed in batches."""
        query = services.search(current_user(), args).execution_options(yield_per=EXPORT_BATCH)
        entries = db.session.scalars(query)
        filename = f"audit-{today_cst().isoformat()}.csv"
        return Response(stream_with_context(csv_lines(entries)), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
