"""One error shape for every failure: {"code", "status", "message", "errors", "request_id"}."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, g, jsonify, request
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

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
    ) -> None:
        super().__init__(message or MESSAGES.get(status, ""))
        self.status = status
        self.message = message or MESSAGES.get(status, "")
        self.errors = errors
        self.reason = reason
        self.headers = headers or {}


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


def error_response(status: int, message: str, errors: Any = None, reason: str | None = None,
                   headers: dict | None = None):
    """Render the one error shape."""
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
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # pragma: no cover - the connection itself may be gone
        log.exception("rollback failed")


def register_error_handlers(app: Flask) -> None:
    """Turn every exception into the one error shape; never leak a trace, SQL or a path."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        _rollback()
        return error_response(error.status, error.message, error.errors, error.reason,
                              error.headers)

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
