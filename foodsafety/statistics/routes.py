"""Statistics endpoints: live tables, breakdown, coverage, snapshots and their workbooks."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from foodsafety.access import current_user, login_required
from foodsafety.downloads import XLSX, send_bytes
from foodsafety.errors import ApiError
from foodsafety.limits.leases import expensive
from foodsafety.list_exports import EXPORTED, ROWS, export_list
from foodsafety.pagination import paginate
from foodsafety.statistics import compute, drill, snapshots
from foodsafety.statistics.access import (
    may_build_snapshots,
    options,
    readable_jurisdiction,
    resolve_period,
)
from foodsafety.statistics.results import (
    BreakdownColumn,
    LiveBreakdown,
    LiveTable,
    display_text,
    exact_json,
)
from foodsafety.statistics.schemas import (
    BreakdownOutSchema,
    CoverageArgsSchema,
    CoverageExportArgsSchema,
    CoveragePageSchema,
    CutoffArgsSchema,
    DrillArgsSchema,
    DrillPageSchema,
    SnapshotCreateSchema,
    SnapshotOutSchema,
    SnapshotPageSchema,
    SnapshotQueryArgsSchema,
    StatisticsOptionsSchema,
    TableOutSchema,
    UncoveredUnitSchema,
)
from foodsafety.statistics.workbook import live_workbook, snapshot_workbook

blp = Blueprint("statistics", __name__, url_prefix="/statistics",
                description="校园食品安全守护行动工作情况统计表（实时统计、分地区、覆盖情况、快照、导出）")


@blp.route("/options")
class Options(MethodView):
    @login_required()
    @blp.response(200, StatisticsOptionsSchema)
    def get(self):
        """What the statistics page offers you: your subtree's jurisdictions, the periods that
        have begun (newest first), and whether you may build snapshots."""
        return options(current_user())


@blp.route("/snapshots")
class Snapshots(MethodView):
    @login_required()
    @blp.arguments(SnapshotQueryArgsSchema, location="query")
    @blp.response(200, SnapshotPageSchema)
    def get(self, args):
        """Snapshots of your subtree, newest first (filters: jurisdiction, period, kind)."""
        return paginate(snapshots.list_snapshots(current_user(), args), args, list)


@blp.route("/snapshots/<int:snapshot_id>")
class SnapshotById(MethodView):
    @login_required()
    @blp.response(200, SnapshotOutSchema)
    def get(self, snapshot_id):
        """One stored snapshot: figures, breakdown, validation and coverage as built."""
        return snapshots.get_snapshot(current_user(), snapshot_id)


@blp.route("/snapshots/<int:snapshot_id>/workbook.xlsx")
class SnapshotWorkbook(MethodView):
    @login_required()
    @expensive
    @blp.doc(responses={"200": {"description": "Excel 工作簿",
                                "content": {XLSX: {"schema": {"type": "string",
                                                              "format": "binary"}}}}})
    def get(self, snapshot_id):
        """The snapshot as the official Excel workbook."""
        snapshot = snapshots.get_snapshot(current_user(), snapshot_id)
        return send_bytes(snapshot_workbook(snapshot), snapshot.filename, XLSX,
                          fallback=f"{snapshot.jurisdiction_code}_{snapshot.period_key}.xlsx")


@blp.route("/<string:code>/<string:period>")
class LiveTableView(MethodView):
    @login_required()
    @expensive
    @blp.arguments(CutoffArgsSchema, location="query")
    @blp.response(200, TableOutSchema)
    def get(self, args, code, period):
        """The live table of a jurisdiction in your subtree (`cutoff` defaults to the last day
        of the period, or today while it runs)."""
        jurisdiction = readable_jurisdiction(current_user(), code)
        span, cutoff = resolve_period(period, args["cutoff"])
        return LiveTable(jurisdiction, span, compute.compute_table(code, span, cutoff))


@blp.route("/<string:code>/<string:period>/workbook.xlsx")
class LiveWorkbook(MethodView):
    @login_required()
    @expensive
    @blp.arguments(CutoffArgsSchema, location="query")
    @blp.doc(responses={"200": {"description": "Excel 工作簿（实时数据，标注“非定稿”和数据提取时间）",
                                "content": {XLSX: {"schema": {"type": "string",
                                                              "format": "binary"}}}}})
    def get(self, args, code, period):
        """The live table of a jurisdiction in your subtree as the official workbook, at any
        time: marked 非定稿 with the time its data was read (a snapshot's workbook is the one to
        report)."""
        jurisdiction = readable_jurisdiction(current_user(), code)
        span, cutoff = resolve_period(period, args["cutoff"])
        data, filename = live_workbook(jurisdiction, span, cutoff)
        return send_bytes(data, filename, XLSX, fallback=f"{code}_{span.key}_live.xlsx")


@blp.route("/<string:code>/<string:period>/breakdown")
class Breakdown(MethodView):
    @login_required()
    @expensive
    @blp.arguments(CutoffArgsSchema, location="query")
    @blp.response(200, BreakdownOutSchema)
    def get(self, args, code, period):
        """One column per direct child plus the total (供应的学校数 of the total is distinct)."""
        jurisdiction = readable_jurisdiction(current_user(), code)
        span, cutoff = resolve_period(period, args["cutoff"])
        result = compute.breakdown(code, span, cutoff)
        total = result.total
        return LiveBreakdown(jurisdiction, span, cutoff, result.column_list(),
                             BreakdownColumn(code, jurisdiction.name, total.values))


@blp.route("/<string:code>/<string:period>/coverage")
class Coverage(MethodView):
    @login_required()
    @expensive
    @blp.arguments(CoverageArgsSchema, location="query")
    @blp.response(200, CoveragePageSchema)
    def get(self, args, code, period):
        """Units of the subtree not inspected in the period (filter: kind), with the counts."""
        readable_jurisdiction(current_user(), code)
        span, cutoff = resolve_period(period, args["cutoff"])
        page = paginate(compute.uninspected_units(code, span, cutoff, args.get("kind")), args,
                        lambda rows: compute.with_last_inspection(rows, cutoff))
        return {**page, "summary": compute.coverage(code, span, cutoff), "period": span,
                "cutoff": cutoff}


@blp.route("/<string:code>/<string:period>/coverage/export.xlsx")
class CoverageExport(MethodView):
    @login_required()
    @expensive
    @blp.arguments(CoverageExportArgsSchema, location="query")
    @blp.doc(responses={"200": {
        "description": "Excel 工作簿：期内未检查的单位（与页面列表相同的筛选和顺序）",
        "headers": ROWS, "content": {XLSX: {"schema": EXPORTED}}}})
    def get(self, args, code, period):
        """The units not inspected in the period (filter: kind) as Excel, streamed."""
        readable_jurisdiction(current_user(), code)
        span, cutoff = resolve_period(period, args["cutoff"])
        schema = UncoveredUnitSchema(many=True)
        return export_list("uninspected", compute.uninspected_units(code, span, cutoff,
                                                                    args.get("kind")),
                           lambda units: schema.dump(compute.with_last_inspection(units, cutoff)),
                           list(schema.fields),
                           {"jurisdiction": code, "period": f"{span.label}（截止 {cutoff}）",
                            "kind": args.get("kind")})


@blp.route("/<string:code>/<string:period>/cells/<string:row>")
class Cell(MethodView):
    @login_required()
    @expensive
    @blp.arguments(DrillArgsSchema, location="query")
    @blp.response(200, DrillPageSchema)
    def get(self, args, code, period, row):
        """The records behind one cell of the live table (drill-down), paged: the units counted
        on the cutoff (stock rows; B2 the schools), the units with a problem of the row's
        category with the inspections that recorded it (C rows), the visits (D1), orders (D2),
        cases (D3, D4 with their amounts, D7, D8) or units (D5, D6) of the period. Selected by
        the conditions the table counts with: as many records as the cell's figure."""
        jurisdiction = readable_jurisdiction(current_user(), code)
        span, cutoff = resolve_period(period, args["cutoff"])
        cell = drill.cell(code, row, span, cutoff)
        figure = compute.compute_table(code, span, cutoff).values.get(row, 0)
        return {**paginate(cell.query, args, cell.dump), "jurisdiction": jurisdiction,
                "period": span, "cutoff": cutoff, "row": cell.row, "records": cell.records,
                "records_label": drill.RECORDS[cell.records],
                "value": display_text(cell.row, figure), "exact": exact_json(cell.row, figure)}


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
        readable_jurisdiction(user, code)
        if not may_build_snapshots(user):
            raise ApiError(403, "只有市场监管执法人员或管理员可以生成统计快照。")
        snapshots.check_build_quota(code, period, data["kind"])
        return snapshots.build_snapshot(code, period, data["cutoff"], kind=data["kind"],
                                        built_by=user)
