"""Transaction tools for services: savepoints they can roll back to, rows they lock.

pysqlite opens a transaction only before a write, so on SQLite a SAVEPOINT or a "locking" read
would run outside one: there `begin_write()` opens it first (IMMEDIATE: the write lock is taken
now, so whatever the service reads next is current and no other writer can interleave).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import select

from foodsafety.extensions import db

Model = TypeVar("Model")


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
