"""Import endpoints: download the blank template, check a filled one with its progress, upload it
(all or nothing)."""

from __future__ import annotations

import json
import logging
from collections.abc import Generator, Iterator

from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint

from foodsafety import transactions
from foodsafety.access import current_user, login_required
from foodsafety.downloads import XLSX, send_bytes
from foodsafety.errors import MESSAGES, ApiError, error_body
from foodsafety.imports import services
from foodsafety.imports.reader import check_archive
from foodsafety.imports.report import annotate
from foodsafety.imports.schemas import ImportArgsSchema, ImportFileSchema, ImportResultOutSchema
from foodsafety.imports.template import TEMPLATE_FILENAME, build_template
from foodsafety.vocabulary import Role

blp = Blueprint("imports", __name__, url_prefix="", description="登记数据批量导入（.xlsx 模板）")
STAFF = (Role.INSPECTOR, Role.BUREAU, Role.ADMIN)
REPORT_FILENAME = "导入错误报告.xlsx"
NDJSON = "application/x-ndjson"
log = logging.getLogger(__name__)
PROGRESS_LINES = {
    "type": "string", "description": (
        "每行一个 JSON 对象（application/x-ndjson），随校验进行逐行发送："
        "{\"stage\": \"received\", \"bytes\"}；读取中 {\"stage\": \"reading\", \"sheet\", \"rows\"}"
        "（该工作表已读数据行数）；校验中 {\"stage\": \"checking\", \"done\", \"total\"}；"
        "最后一行为 {\"stage\": \"checked\", \"result\": 与 dry_run=true 的回答相同} 或 "
        "{\"stage\": \"refused\", \"error\": 统一的错误格式（有错误时 status 为 422，errors 列出每个错误）}。")}


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


@blp.route("/imports/check")
class ImportCheck(MethodView):
    multipart = True

    @login_required(Role.ADMIN)
    @blp.arguments(ImportFileSchema, location="files")
    @blp.response(200, PROGRESS_LINES, content_type=NDJSON,
                  description="校验进度与结果，逐行发送（不写入任何数据）")
    def post(self, files):
        """Check a filled template without importing anything, answering its progress as it goes
        (a line per 500 rows read or judged), then what the import would do or every error. A
        file that is not a workbook, or too big, is refused before the answer starts (415, 413)."""
        data = files["file"].read()
        check_archive(data)
        transactions.rollback_only()  # judged and planned, nothing kept
        steps = services.check_steps(data, current_user().jurisdiction_code)
        response = Response(stream_with_context(_lines(steps, len(data))), mimetype=NDJSON)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Accel-Buffering"] = "no"  # a proxy passes each line on at once
        return response


def _lines(steps: Generator, size: int) -> Iterator[str]:
    """The check's steps as JSON lines; the last says what the import would do, or why not."""
    yield _line({"stage": "received", "bytes": size})
    try:
        while True:
            try:
                step = next(steps)
            except StopIteration as stop:
                yield _line({"stage": "checked", "result": ImportResultOutSchema().dump(stop.value)})
                return
            if isinstance(step, services.Reading):
                yield _line({"stage": "reading", "sheet": step.sheet, "rows": step.rows})
            else:
                yield _line({"stage": "checking", "done": step.done, "total": step.total})
    except ApiError as error:  # every error of the file (422), or a file that cannot be read
        yield _line({"stage": "refused", "error": error_body(
            error.status, error.message, error.errors, error.reason, error.extra)})
    except Exception:  # the answer has begun: it ends in the error shape, never in a cut stream
        log.exception("import check failed")
        yield _line({"stage": "refused", "error": error_body(500, MESSAGES[500])})
    finally:
        transactions.rollback()


def _line(event: dict) -> str:
    return json.dumps(event, ensure_ascii=False) + "\n"
