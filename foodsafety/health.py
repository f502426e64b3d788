"""Liveness and readiness probes for load balancers, process managers and the load test.

`/healthz` answers as long as a worker can run Python (no database, no session lookup);
`/readyz` also asks the database for `SELECT 1` and answers 503 when it cannot.
"""

from __future__ import annotations

import logging

from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from foodsafety.errors import error_response
from foodsafety.extensions import db

log = logging.getLogger("foodsafety")
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up and serving requests."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """The process is up and its database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("readiness check failed: %s", error.__class__.__name__)
        return error_response(503, "数据库暂时不可用，请稍后重试。", reason="database_unavailable",
                              headers={"Retry-After": "5"})
    return {"status": "ok", "database": "ok"}
