"""gunicorn config for the load test's SQLite experiment: `BEGIN IMMEDIATE` for write requests.

    .venv/bin/python bench/loadtest.py --db sqlite --phones 200 --seconds 30 --sqlite-begin immediate

The SQLAlchemy pysqlite recipe: the driver's own transaction handling is switched off and
SQLAlchemy emits BEGIN itself when a transaction starts: `BEGIN IMMEDIATE` (take the write lock
now) for the first transaction of a POST/PUT/PATCH/DELETE request, a deferred `BEGIN` otherwise.
Making every transaction of a write request IMMEDIATE deadlocks: after the commit the response
is built in a new transaction that would hold the lock, and the audit entry, written on another
connection in an after-request hook, then waits for it until busy_timeout.

The default it is compared with: Python's sqlite3 module begins a deferred transaction just
before the first INSERT/UPDATE/DELETE, so a request's reads run outside it and its transaction
starts with a write, which SQLite retries through busy_timeout; there is no read-then-upgrade
for SQLITE_BUSY to hit.

Measured (200 phones x 30 s, gunicorn -w 4 --threads 4, a shared 2-core machine): the default
answered 0 x 503 in two runs (9.9 and 16.1 submissions/s); BEGIN IMMEDIATE answered 176 and 91
x 503 (9.8 and 9.9 submissions/s): whole requests queue on the write lock and some wait past
busy_timeout. No 500 either way. So the application keeps the default.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _driver_autocommit(dbapi_connection, _record) -> None:
    if _is_sqlite(dbapi_connection):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN below


@event.listens_for(Engine, "begin")
def _begin(conn) -> None:
    if conn.dialect.name != "sqlite":
        return
    from flask import g, has_request_context, request

    immediate = (has_request_context() and request.method in WRITE_METHODS
                 and not g.get("_began_immediate"))
    if immediate:
        g._began_immediate = True
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
