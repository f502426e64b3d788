"""Statistics endpoints: live tables, breakdown, coverage, snapshots and their workbooks."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from foodsafety.access import current_user, login_required
from foodsafety.accounts.models import Role
from foodsafety.errors import ApiError
from foodsafety.limits.leases import expensive
from foodsafety.pagination import paginate
from foodsafety.statistics import services
from foodsafety.statistics.schemas import (
    BreakdownOutSchema,
    CoverageArgsSchema,
    CoveragePageSchema,
    CutoffArgsSchema,
    SnapshotCreateSchema,
    SnapshotOutSchema,
    SnapshotPageSchema,
    SnapshotQueryArgsSchema,
    TableOutSchema,
)

blp = Blueprint("statistics", __name__, url_prefix="/statistics",
                description="校园食品安全守护行动工作情况统计表（实时统计、分地区、覆盖情况、快照、导出）")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.route("/snapshots")
class Snapshots(MethodView):
    @login_required()
    @blp.arguments(SnapshotQueryArgsSchema, location="query")
    @blp.response(200, SnapshotPageSchema)
    def get(self, args):
        """Snapshots of your subtree, newest first (filters: jurisdiction, period, kind)."""
        return paginate(services.list_snapshots(current_user(), args), args,
                        lambda rows: [services.snapshot_summary(s) for s in rows])


@blp.route("/snapshots/<int:snapshot_id>")
class SnapshotById(MethodView):
    @login_required()
    @blp.response(200, SnapshotOutSchema)
    def get(self, snapshot_id):
        """One stored snapshot: figures, breakdown, validation and coverage as built."""
        return services.snapshot_dict(services.get_snapshot(current_user(), snapshot_id))


@blp.route("/snapshots/<int:snapshot_id>/workbook.xlsx")
class SnapshotWorkbook(MethodView):
    @login_required()
    @expensive
    @blp.doc(responses={"200": {"description": "Excel 工作簿",
                                "content": {XLSX: {"schema": {"type": "string",
                                                              "format": "binary"}}}}})
    def get(self, snapshot_id):
        """The snapshot as the official Excel workbook."""
        snapshot = services.get_snapshot(current_user(), snapshot_id)
        data = services.workbook_bytes(snapshot)
        fallback = f"{snapshot.jurisdiction_code}_{snapshot.period_key}.xlsx"
        disposition = (f"attachment; filename=\"{fallback}\"; "
                       f"filename*=UTF-8''{quote(services.workbook_filename(snapshot), safe='')}")
        return Response(data, mimetype=XLSX, headers={"Content-Disposition": disposition})


@blp.route("/<string:code>/<string:period>")
class LiveTable(MethodView):
    @login_required()
    @expensive
    @blp.arguments(CutoffArgsSchema, location="query")
    @blp.response(200, TableOutSchema)
    def get(self, args, code, period):
        """The live table of a jurisdiction in your subtree (`cutoff` defaults to the last day
        of the period, or today while it runs)."""
        jurisdiction = services.readable_jurisdiction(current_user(), code)
        span, cutoff = services.resolve_period(period, args["cutoff"])
        return services.table_json(jurisdiction, span,
                                   services.compute_table(code, span, cutoff))


@blp.route("/<string:code>/<string:period>/breakdown")
class Breakdown(MethodView):
    @login_required()
    @expensive
    @blp.arguments(CutoffArgsSchema, location="query")
    @blp.response(200, BreakdownOutSchema)
    def get(self, args, code, period):
        """One column per direct child plus the total (供应的学校数 of the total is distinct)."""
        jurisdiction = services.readable_jurisdiction(current_user(), code)
        span, cutoff = services.resolve_period(period, args["cutoff"])
        columns, total = services.breakdown(code, span, cutoff)
        return services.breakdown_page(jurisdiction, span, columns, total)


@blp.route("/<string:code>/<string:period>/coverage")
class Coverage(MethodView):
    @login_required()
    @expensive
    @blp.arguments(CoverageArgsSchema, location="query")
    @blp.response(200, CoveragePageSchema)
    def get(self, args, code, period):
        """Units of the subtree not inspected in the period (filter: kind), with the counts."""
        services.readable_jurisdiction(current_user(), code)
        span, cutoff = services.resolve_period(period, args["cutoff"])
        page = paginate(services.uninspected_units(code, span, cutoff, args.get("kind")), args,
                        lambda rows: services.uncovered_json(rows, cutoff))
        summary = services.coverage_counts(code, span, cutoff)
        return {**page, "summary": summary, "period": services.period_json(span),
                "cutoff": cutoff.isoformat()}


@blp.route("/<string:code>/<string:period>/snapshots")
class BuildSnapshot(MethodView):
    @login_required()
    @expensive
    @blp.arguments(SnapshotCreateSchema)
    @blp.response(201, SnapshotOutSchema)
    def post(self, data, code, period):
        """Build and store a snapshot (inspectors and administrators of that subtree); a final
        one is refused while the table breaks an error rule."""
        user = current_user()
        services.readable_jurisdiction(user, code)
        if user.role not in (Role.INSPECTOR, Role.ADMIN):
            raise ApiError(403, "只有市场监管执法人员或管理员可以生成统计快照。")
        services.check_build_quota(code, period, data["kind"])
        snapshot = services.build_snapshot(code, period, data["cutoff"], kind=data["kind"],
                                           built_by=user)
        result = services.snapshot_dict(snapshot)
        return result
