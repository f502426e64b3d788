"""One error shape for every failure: {"code", "status", "message", "errors", "request_id"}."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, current_app, g, jsonify, request
from marshmallow import ValidationError
from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from foodsafety import transactions
from foodsafety.extensions import db

log = logging.getLogger("foodsafety")

# Chinese messages for the statuses users can meet.
MESSAGES = {
    400: "请求格式不正确。",
    401: "请先登录。",
    403: "没有权限执行此操作。",
    404: "记录不存在。",
    405: "不支持该请求方法。",
    409: "与已有记录冲突。",
    410: "记录已被删除。",
    413: "提交的内容过大。",
    415: "请求的内容类型不受支持，请使用 application/json。",
    422: "提交的数据有误，请检查标出的字段。",
    423: "账户已被暂时锁定，请稍后再试。",
    429: "请求过于频繁，请稍后再试。",
    500: "服务器内部错误，请稍后重试或联系管理员。",
    503: "服务暂时繁忙，请稍后重试。",
}


class ApiError(Exception):
    """An error a service raises for the client: an HTTP status, a Chinese message, field errors."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        errors: dict | None = None,
        reason: str | None = None,
        headers: dict | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(message or MESSAGES.get(status, ""))
        self.status = status
        self.message = message or MESSAGES.get(status, "")
        self.errors = errors
        self.reason = reason
        self.headers = headers or {}
        self.extra = extra or {}  # documented top-level members, e.g. current_revision


# What a unique constraint guards, as the field a user fixes and the message they read. A race
# that slips past a service's own check hits the constraint: the answer names the same field.
UNIQUE_FIELDS: dict[str, tuple[str, str]] = {
    "uq_schools_jurisdiction_code_name": ("name", "该行政区划内已有同名学校。"),
    "uq_schools_uscc": ("uscc", "该统一社会信用代码已被其他学校使用。"),
    "uq_units_licence_no": ("licence_no", "该许可证编号已登记在其他单位。"),
    "uq_users_username": ("username", "用户名已被使用。"),
    "uq_inspections_uuid": ("id", "该检查编号（id）已被使用，请重新生成。"),
    "uq_inspection_revisions_inspection_id_revision": (
        "base_revision", "该检查记录刚被他人更正，请刷新后在最新版本上重新更正。"),
    "uq_supply_links_supplier_id_school_id_starts_on": (
        "starts_on", "该供餐关系与已有记录的期间重叠。"),
    "uq_enforcement_cases_jurisdiction_code_case_no": ("case_no", "案件编号已存在。"),
    "uq_rectification_orders_jurisdiction_code_number": (
        "rectification_order.number", "该责令改正通知书编号已被使用。"),
    "uq_rectification_orders_inspection_id": ("id", "该检查已有责令改正通知书。"),
    "uq_rectification_reports_client_id": ("id", "该整改报告编号（id）已被使用，请重新生成。"),
    "uq_photos_client_id": ("id", "该照片编号（id）已被使用，请重新生成。"),
}


def _constraint_name(error: IntegrityError) -> str | None:
    """The violated unique constraint's name: PostgreSQL reports it; SQLite names the columns."""
    diag = getattr(error.orig, "diag", None)
    if diag is not None:
        return getattr(diag, "constraint_name", None)
    text = str(error.orig)
    if not text.startswith("UNIQUE constraint failed: "):
        return None
    columns = [c.strip() for c in text.removeprefix("UNIQUE constraint failed: ").split(",")]
    table = columns[0].split(".")[0]
    names = {c.split(".", 1)[-1] for c in columns}
    for constraint in db.metadata.tables[table].constraints if table in db.metadata.tables else ():
        if isinstance(constraint, UniqueConstraint) and {c.name for c in constraint.columns} == names:
            return constraint.name
    return None


def conflict(error: IntegrityError) -> ApiError:
    """A write that a constraint refused (most often a concurrent duplicate): 409, field named."""
    known = UNIQUE_FIELDS.get(_constraint_name(error) or "")
    if known is None:
        return ApiError(409, "数据同时被修改或与已有记录冲突，请刷新后重试。", reason="conflict")
    path, message = known
    errors: dict = {}
    node = errors
    *parents, leaf = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = [message]
    return ApiError(409, MESSAGES[409], errors=errors, reason="duplicate")


def not_found() -> ApiError:
    """The single answer for missing and out-of-scope objects alike."""
    return ApiError(404)


def invalid(errors: dict, message: str | None = None) -> ApiError:
    """A 422 with field paths, e.g. invalid({"answers": {"3.1": ["未知的检查项目。"]}})."""
    return ApiError(422, message, errors=errors)


def request_id() -> str:
    """The correlation id of the current request (also sent as X-Request-ID and logged)."""
    if "request_id" not in g:
        g.request_id = uuid.uuid4().hex[:16]
    return g.request_id


# A browser opening a page gets a page: the title of each status it can meet there.
PAGE_TITLES = {403: "没有权限访问此页面", 404: "页面不存在", 500: "服务器出错了"}


def wants_html() -> bool:
    """A browser navigating to a page (not the API, not a script asking for JSON): an HTML page."""
    if request.path.startswith("/api/"):
        return False
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def _error_page(status: int, message: str, headers: dict | None):
    from flask import render_template

    title = PAGE_TITLES.get(status, "请求未能完成")
    html = render_template("web/error.html", status=status, title=title, message=message,
                           request_id=request_id())
    response = current_app.response_class(html, status=status, mimetype="text/html")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def error_body(status: int, message: str, errors: Any = None, reason: str | None = None,
               extra: dict | None = None) -> dict[str, Any]:
    """The one error shape as a dict (also what a streamed answer ends with when it fails)."""
    from werkzeug.http import HTTP_STATUS_CODES

    body: dict[str, Any] = {
        "code": status,
        "status": HTTP_STATUS_CODES.get(status, "Error"),
        "message": message,
        "request_id": request_id(),
    }
    if errors:
        body["errors"] = errors
    if reason:
        body["reason"] = reason
    body.update(extra or {})
    return body


def error_response(status: int, message: str, errors: Any = None, reason: str | None = None,
                   headers: dict | None = None, extra: dict | None = None):
    """Render the one error shape (an HTML page for a browser opening a page, JSON otherwise)."""
    if wants_html():
        return _error_page(status, message, headers)
    response = jsonify(error_body(status, message, errors, reason, extra))
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _rollback() -> None:
    try:
        transactions.rollback()
    except Exception:  # pragma: no cover - the connection itself may be gone
        log.exception("rollback failed")


def register_error_handlers(app: Flask) -> None:
    """Turn every exception into the one error shape; never leak a trace, SQL or a path."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        _rollback()
        return error_response(error.status, error.message, error.errors, error.reason,
                              error.headers, error.extra)

    @app.errorhandler(ValidationError)
    def _validation_error(error: ValidationError):
        _rollback()
        return error_response(422, MESSAGES[422], error.normalized_messages())

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        original = getattr(error, "original_exception", None)
        if isinstance(original, OperationalError):
            # Raised outside the view (an after-request hook): Flask wraps it in a 500.
            return _database_busy(original)
        _rollback()
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        if status == 422 and isinstance(errors, dict) and len(errors) == 1:
            # webargs nests errors under the location ("json", "query"): drop that level.
            (location, inner), = errors.items()
            if location in {"json", "query", "form", "files", "headers", "view_args"}:
                errors = inner
        if status == 400 and "json" in str(getattr(error, "description", "")).lower():
            return error_response(400, "请求体不是有效的 JSON。")
        message = data.get("message") or MESSAGES.get(status, error.name)
        return error_response(status, message, errors, headers=data.get("headers"))

    @app.errorhandler(IntegrityError)
    def _integrity_error(error: IntegrityError):
        _rollback()
        log.warning("constraint refused a write [%s]: %s", request_id(), error.orig)
        answer = conflict(error)
        return error_response(answer.status, answer.message, answer.errors, answer.reason)

    @app.errorhandler(StaleDataError)
    def _stale_row(error: StaleDataError):
        _rollback()
        log.warning("row changed under a write [%s]: %s", request_id(), error)
        return error_response(409, "数据同时被修改，请刷新后重试。", reason="conflict")

    @app.errorhandler(OperationalError)
    def _database_busy(error: OperationalError):
        _rollback()
        if "locked" in str(error.orig).lower() or "could not serialize" in str(error.orig).lower():
            log.warning("database busy [%s]: %s", request_id(), error.orig)
            return error_response(503, MESSAGES[503], headers={"Retry-After": "2"})
        log.exception("database error [%s] on %s %s", request_id(), request.method, request.path)
        return error_response(500, MESSAGES[500])

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        _rollback()
        log.exception("unhandled error [%s] on %s %s", request_id(), request.method, request.path)
        return error_response(500, MESSAGES[500])
