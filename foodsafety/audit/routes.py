"""The audit log for auditors (审计员), within their jurisdiction: search and export, read-only.

Administrators manage users and the registry and cannot read the log (separation of duties);
deleting old entries is a command-line task for the operator (`flask audit purge`).
"""

from __future__ import annotations

from flask import stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint

from foodsafety.access import current_user, login_required
from foodsafety.audit import services
from foodsafety.audit.export import csv_lines
from foodsafety.audit.schemas import AuditFilterSchema, AuditPageSchema, AuditQueryArgsSchema
from foodsafety.downloads import CSV, send_stream
from foodsafety.pagination import paginate
from foodsafety.timeutil import today_cst
from foodsafety.vocabulary import Role

blp = Blueprint("audit", __name__, url_prefix="/audit", description="审计日志（审计员查询与导出）")


@blp.route("")
class AuditLog(MethodView):
    @login_required(Role.AUDITOR)
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, AuditPageSchema)
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
