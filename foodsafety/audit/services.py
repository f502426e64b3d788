"""Writing and searching the audit log. Nothing secret goes in; nothing in it can forge a line."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import Select, delete, insert, select

from foodsafety.access import Actor
from foodsafety.audit.models import RETENTION_DAYS, AuditEntry
from foodsafety.extensions import db
from foodsafety.registry.scope import in_subtree
from foodsafety.timeutil import iso_cst, utcnow
from foodsafety.vocabulary import Role

log = logging.getLogger("foodsafety.audit")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
SECRET_KEYS = {"password", "current_password", "new_password", "token", "csrf_token"}


def clean(value: Any, limit: int = 200) -> Any:
    """Make a value safe to keep: control characters escaped, phone numbers masked, bounded."""
    if isinstance(value, str):
        text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
        return _PHONE.sub(r"\1****\2", text)[:limit]
    if isinstance(value, dict):
        return {clean(k, 64): ("***" if k in SECRET_KEYS else clean(v, limit))
                for k, v in list(value.items())[:30]}
    if isinstance(value, list | tuple):
        return [clean(v, limit) for v in list(value)[:30]]
    return value if isinstance(value, int | float | bool | type(None)) else clean(str(value))


@dataclass(frozen=True)
class Account:
    """An `Actor` as plain values, so recording an entry needs no database access."""

    id: int | None
    username: str
    role: Role
    jurisdiction_code: str
    school_id: int | None = None


def account(user: Actor) -> Account:
    return Account(user.id, user.username, user.role, user.jurisdiction_code, user.school_id)


def note_subject(user: Actor | None) -> None:
    """Name the account a not-yet-authenticated request is about (a login of a known user), so
    its entry belongs to that account's jurisdiction instead of to nobody's."""
    if has_request_context():
        g.audit_subject = account(user) if user is not None else None


def record(event: str, *, outcome: str = "success", user: Actor | None = None,
           object_type: str | None = None, object_id: Any = None, status: int | None = None,
           detail: dict | None = None, username: str | None = None) -> None:
    """Append an entry in its own transaction (it must survive the request's rollback)."""
    subject = None
    if user is None and has_request_context():
        user = getattr(g, "user", None)
        subject = None if user else getattr(g, "audit_subject", None)
    account = user or subject  # a subject is named, not authenticated: no user_id
    row = {
        "at": utcnow(),
        "user_id": user.id if user else None,
        "username": clean(account.username if account else username, 64),
        "role": account.role.value if account else None,
        "jurisdiction_code": account.jurisdiction_code if account else None,
        "event": event[:64],
        "object_type": clean(object_type, 64),
        "object_id": clean(None if object_id is None else str(object_id), 64),
        "outcome": outcome,
        "status": status,
        "client_ip": request.remote_addr if has_request_context() else None,
        "request_id": getattr(g, "request_id", None) if has_request_context() else None,
        "detail": clean(detail) if detail else None,
    }
    with db.engine.begin() as conn:
        conn.execute(insert(AuditEntry), row)
    log.info(json.dumps({**row, "at": iso_cst(row["at"])}, ensure_ascii=False, default=str))


def search(auditor: Actor, args: dict) -> Select:
    """Entries about accounts within the auditor's subtree, newest first.

    Entries that belong to no jurisdiction (failed logins of user names that do not exist) are
    shown to no one here: they could be anyone's typo, from any province. The operator reads them
    in the server's log, where every entry is also written.
    """
    clause = in_subtree(auditor.jurisdiction_code, AuditEntry.jurisdiction_code)
    query = select(AuditEntry).where(clause).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if args.get("event"):
        query = query.where(AuditEntry.event.startswith(args["event"], autoescape=True))
    if args.get("username"):
        query = query.where(AuditEntry.username == args["username"].strip().lower())
    if args.get("outcome"):
        query = query.where(AuditEntry.outcome == args["outcome"])
    if args.get("object_id"):
        query = query.where(AuditEntry.object_id == args["object_id"])
    if args.get("date_from"):
        query = query.where(AuditEntry.at >= _utc_start(args["date_from"]))
    if args.get("date_to"):
        query = query.where(AuditEntry.at < _utc_start(args["date_to"] + timedelta(days=1)))
    return query


def _utc_start(day: date) -> datetime:
    """The naive-UTC instant at which a CST calendar day starts."""
    return datetime.combine(day, time()) - timedelta(hours=8)


EXPORT_BATCH = 500


def export_rows(auditor: Actor, args: dict) -> Iterator[AuditEntry]:
    """The entries `search` finds, read in batches as the CSV streams (memory stays flat).

    The query runs when the stream starts, not in the view: on PostgreSQL a server-side cursor
    declared in the view was gone by the time the response was read ("cursor … does not exist").
    """
    query = search(auditor, args).execution_options(yield_per=EXPORT_BATCH)
    yield from db.session.scalars(query)


def purge(older_than_days: int = RETENTION_DAYS) -> int:
    """Delete entries older than the retention period (never younger than 180 days)."""
    days = max(older_than_days, RETENTION_DAYS)
    result = db.session.execute(
        delete(AuditEntry).where(AuditEntry.at < utcnow() - timedelta(days=days)))
    return result.rowcount or 0
