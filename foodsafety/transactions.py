"""The one transaction boundary, and the tools services use inside it.

A request runs in one database transaction. It ends in exactly one place, `finish_request`
(called by `TransactionalFlask.dispatch_request` when the view returned): a write request
(POST, PUT, PATCH, DELETE) that answered below 400 is committed there; anything else is rolled
back, and an exception (the view's, or the commit's own, e.g. a unique key lost to a concurrent
request) reaches the error handlers, which roll back through `rollback()`. Views and services never
commit; a service that must recover from a conflict uses `savepoint()`, never a rollback of the
caller's transaction. CLI commands and scheduled jobs are their own boundaries (one commit at the
end, or one per step of a job).

Two kinds of bookkeeping outlive the request's outcome and so commit apart: the session's
"last seen" touch (in a short transaction of its own during a read, with the writes of a write)
and the login throttle (`accounts/throttle.py`: an attempt must count even when the login fails).
A read's own transaction ends with the request (Flask-SQLAlchemy removes the session), after a
streamed answer has been read to the end.

pysqlite opens a transaction only before a write, so on SQLite a SAVEPOINT or a "locking" read
would run outside one: there `begin_write()` opens it first (IMMEDIATE: the write lock is taken
now, so whatever the service reads next is current and no other writer can interleave).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import TypeVar

from flask import Flask, g, has_app_context, request
from sqlalchemy import select

from foodsafety.extensions import db

Model = TypeVar("Model")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class TransactionalFlask(Flask):
    """Flask whose every view ends in `finish_request`: the request's single commit point."""

    def dispatch_request(self):
        response = self.make_response(super().dispatch_request())
        finish_request(response.status_code)
        return response


def finish_request(status: int) -> None:
    """Commit a write request that succeeded, roll back a write that did not; a read's transaction
    is left to the end of the request (a streamed answer may still be reading from it)."""
    touch = g.pop("session_touch", None)
    if request.method not in WRITE_METHODS:
        if touch is not None:  # its own short transaction: the read goes on undisturbed
            with db.engine.begin() as connection:
                touch(connection)
        return
    if status < 400 and not g.get("rollback_only"):
        if touch is not None:
            touch(db.session)
        try:
            db.session.commit()
        except BaseException:
            rollback()
            raise
        return
    rollback()


def rollback() -> None:
    """Undo the request's transaction and what it did outside the database (`on_rollback`)."""
    db.session.rollback()
    for undo in reversed(g.pop("on_rollback", []) if has_app_context() else []):
        undo()


def rollback_only() -> None:
    """This request's writes are to be discarded even if it succeeds (a dry run)."""
    g.rollback_only = True


def on_rollback(undo: Callable[[], None]) -> None:
    """Run `undo` if the request's transaction is rolled back (e.g. remove files it wrote)."""
    g.setdefault("on_rollback", []).append(undo)


def hold(resource: AbstractContextManager) -> None:
    """Enter `resource` (a lock) and keep it until the request ends, after its commit."""
    stack = g.get("held")
    if stack is None:
        stack = g.held = ExitStack()
    stack.enter_context(resource)


def release_held(_error: BaseException | None = None) -> None:
    """Leave what `hold` entered (teardown: the transaction has been committed or rolled back)."""
    stack = g.pop("held", None)
    if stack is not None:
        stack.close()


def install(app: Flask) -> None:
    app.teardown_request(release_held)


# --- tools for services ------------------------------------------------------------------------

def begin_write() -> None:
    """Serialise with other writers from here on: SQLite's write lock (a no-op elsewhere)."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.driver_connection
        if not raw.in_transaction:
            raw.execute("BEGIN IMMEDIATE")


@contextmanager
def savepoint() -> Iterator[None]:
    """`with savepoint(): ...` — an error inside undoes only what the block wrote, never the
    caller's transaction (SQLite: inside a real transaction, so releasing it commits nothing)."""
    begin_write()
    with db.session.begin_nested():
        yield


def lock_row(model: type[Model], row_id: int) -> Model | None:
    """Re-read one row and hold it until the transaction ends (SELECT … FOR UPDATE; SQLite: the
    database's write lock), so a check made on it stays true until the write."""
    begin_write()
    return db.session.scalar(select(model).where(model.id == row_id).with_for_update()
                             .execution_options(populate_existing=True))
