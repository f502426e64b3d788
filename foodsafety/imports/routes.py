"""Import endpoints: download the blank template, upload a filled one (all or nothing)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from foodsafety import transactions
from foodsafety.access import current_user, login_required
from foodsafety.downloads import XLSX, send_bytes
from foodsafety.imports import services
from foodsafety.imports.report import annotate
from foodsafety.imports.schemas import ImportArgsSchema, ImportFileSchema, ImportResultOutSchema
from foodsafety.imports.template import TEMPLATE_FILENAME, build_template
from foodsafety.vocabulary import Role

blp = Blueprint("imports", __name__, url_prefix="", description="登记数据批量导入（.xlsx 模板）")
STAFF = (Role.INSPECTOR, Role.BUREAU, Role.ADMIN)
REPORT_FILENAME = "导入错误报告.xlsx"


@blp.route("/imports/template.xlsx")
class ImportTemplate(MethodView):
    @login_required(*STAFF)
    @blp.response(200, description="空白导入模板（含示例行）", content_type=XLSX)
    def get(self):
        """The blank import workbook: Chinese headers with notes, one example row, dropdowns."""
        data = build_template(current_user().jurisdiction_code)
        return send_bytes(data, TEMPLATE_FILENAME, XLSX, fallback="import-template.xlsx")


@blp.route("/imports")
class Imports(MethodView):
    multipart = True  # the upload is multipart/form-data, not JSON

    @login_required(Role.ADMIN)
    @blp.arguments(ImportArgsSchema, location="query")
    @blp.arguments(ImportFileSchema, location="files")
    @blp.response(200, ImportResultOutSchema)
    @blp.alt_response(422, description="有错误时不导入任何数据，errors 列出每个错误的工作表、行、列和原因；"
                                        "annotated=true 时返回标注了错误的工作簿")
    def post(self, args, files):
        """Import a filled template within your jurisdiction: every row lands, or none does."""
        data = files["file"].read()
        try:
            result = services.import_workbook(data, current_user().jurisdiction_code,
                                              dry_run=args["dry_run"], keep_values=args["annotated"])
        except services.ImportRejected as rejected:
            if not args["annotated"]:
                raise
            return send_bytes(annotate(data, rejected.problems, rejected.parsed), REPORT_FILENAME, XLSX,
                              status=422, fallback="import-errors.xlsx")
        if args["dry_run"]:
            transactions.rollback_only()  # judged and planned, nothing kept
        return result
