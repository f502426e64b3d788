"""Audit every API write, login, refusal and report download from one after-request hook."""

from __future__ import annotations

from flask import Flask, Response, g, request

from foodsafety.audit.services import Account, record
from foodsafety.vocabulary import Role

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# The login steps, each with its event; a step that opens a session names its user.
LOGIN_EVENTS = {
    "accounts.Login": "auth.login",
    "accounts.LoginEnrolment": "auth.login.enrol",
    "accounts.LoginTwoFactor": "auth.login.two_factor",
}
READ_EVENTS = {"audit.AuditExport": "audit.export"}


def _outcome(status: int) -> str:
    if status in (401, 403):
        return "denied"
    return "success" if status < 400 else "failure"


def _object_id(response: Response) -> str | None:
    """The record a request touched: its URL id, else the id of what it created."""
    args = request.view_args or {}
    for key in ("uuid", "order_id", "case_id", "unit_id", "school_id", "user_id", "link_id",
                "snapshot_id", "photo_id", "code"):
        if key in args:
            return str(args[key])
    if response.is_json and response.status_code < 300:
        body = response.get_json(silent=True)
        if isinstance(body, dict) and "id" in body:
            return str(body["id"])
    return None


def _event(response: Response) -> str | None:
    endpoint = request.endpoint or ""
    if endpoint in LOGIN_EVENTS:
        body = response.get_json(silent=True) if response.is_json else None
        if endpoint == "accounts.Login" and isinstance(body, dict) and body.get("challenge"):
            return "auth.login.password"  # password right, the second step still to come
        return LOGIN_EVENTS[endpoint]
    if request.method == "GET" and endpoint in READ_EVENTS:
        return READ_EVENTS[endpoint]
    if request.path.startswith("/api/") and request.method in WRITE_METHODS:
        return f"{endpoint}.{request.method.lower()}"[:64]
    if request.method == "GET" and endpoint.lower().endswith("workbook"):
        return "report.download"
    if response.status_code in (401, 403) and getattr(g, "user", None) is not None:
        return "access.denied"
    return None


def register(app: Flask) -> None:
    @app.after_request
    def _audit(response: Response) -> Response:
        event = _event(response)
        if event is None:
            return response
        username = None
        is_login = event.startswith("auth.login")
        if is_login:
            body = request.get_json(silent=True)
            username = body.get("username") if isinstance(body, dict) else None
            opened = (response.get_json(silent=True) or {}).get("user") \
                if response.status_code == 200 else None
            if opened:  # a session was opened: the entry is that user's (read from the answer)
                g.user = Account(opened["id"], opened["username"], Role(opened["role"]),
                                 opened["jurisdiction_code"], opened["school_id"])
        outcome = _outcome(response.status_code)
        if is_login and response.status_code >= 400:
            outcome = "failure"
        record(event, outcome=outcome, status=response.status_code,
               object_type=(request.blueprint or None), object_id=_object_id(response),
               username=username, detail={"method": request.method, "path": request.path})
        return response
