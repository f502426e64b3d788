"""The statistics' data version: a stamp that changes with every committed write the tables read.

A transaction that changes units, supply links, jurisdictions, inspections, findings,
rectification orders or enforcement cases adds one, just before it commits and in the same
transaction, to a counter row of `stats_data_versions` for each bucket it touched: the half-year
of the record's date (old and new, `2026-H1`), or `registry` for what has no date. The row is
one of `SHARDS` per bucket, picked at random, so concurrent submissions seldom wait on the same
row, and the row lock is held only for the commit itself.

A table as of cutoff C reads the registry and what is dated up to C: its stamp is the sum of the
counters of `registry` and of every half-year that starts on or before C (and the largest row
id: ids are never reused). A write dated today leaves the stamps of past periods alone, so their
cached tables stay valid; a back-dated write or a registry change moves them too.

Reading the stamp before computing keeps a cached table never older than its stamp: a write
committed after the read moves the stamp, and the next request computes afresh. Writes that go
around the ORM session (raw SQL, another program) are not seen: restart the web workers after one.
"""

from __future__ import annotations

import itertools
import random
from datetime import date

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, func, inspect, or_, select, text
from sqlalchemy.orm import Session, attributes

from foodsafety.enforcement.models import EnforcementCase
from foodsafety.inspections.models import Finding, Inspection
from foodsafety.rectification.models import RectificationOrder
from foodsafety.registry.models import Jurisdiction, JurisdictionClosure, SupplyLink, Unit
from foodsafety.statistics.models import StatsDataVersion

REGISTRY = "registry"
SHARDS = 16
PENDING = "stats_data_buckets"  # Session.info key: the buckets this transaction touched
CASE_DATES = ("filed_on", "decided_on", "licence_revoked_on", "banned_on", "transferred_on",
              "criminal_filed_on")
ORDER_COLUMNS = ("issued_on", "jurisdiction_code", "inspection_id", "unit_id")
Version = tuple[int, int]


def bucket_of(day: date) -> str:
    """The half-year a date falls in, as a bucket name that sorts by time (`2026-H1`)."""
    return f"{day.year:04d}-H{1 if day.month <= 6 else 2}"


def _dates(obj, *names: str) -> set[date]:
    """Every value the date attributes held in this transaction, old and new (an attribute not
    loaded gives none: the caller then falls back to the registry bucket, which moves all)."""
    found = set()
    for name in names:
        history = attributes.get_history(obj, name, passive=attributes.PASSIVE_NO_INITIALIZE)
        found.update(v for v in itertools.chain(history.added, history.unchanged, history.deleted)
                     if v is not None)
    return found


def _buckets(days: set[date]) -> set[str]:
    return {bucket_of(day) for day in days} or {REGISTRY}


def _inspection(session: Session, obj: Inspection) -> set[str]:
    return _buckets(_dates(obj, "inspected_on"))


def _finding(session: Session, obj: Finding) -> set[str]:
    """A finding counts in its inspection's half-year (the registry bucket if it is not at hand)."""
    state = inspect(obj)
    parent = state.attrs.inspection.loaded_value
    if parent is attributes.NO_VALUE or parent is None:
        key = session.identity_key(Inspection, (obj.inspection_id,))
        parent = session.identity_map.get(key) if obj.inspection_id is not None else None
    return _inspection(session, parent) if parent is not None else {REGISTRY}


def _order(session: Session, obj: RectificationOrder) -> set[str]:
    """Orders count by the day they were issued; closing one changes no figure."""
    state = inspect(obj)
    if state.persistent and not state.deleted and not any(
            state.attrs[name].history.has_changes() for name in ORDER_COLUMNS):
        return set()
    return _buckets(_dates(obj, "issued_on"))


def _case(session: Session, obj: EnforcementCase) -> set[str]:
    return _buckets(_dates(obj, *CASE_DATES))


def _registry(session: Session, obj) -> set[str]:
    return {REGISTRY}


RULES = {Inspection: _inspection, Finding: _finding, RectificationOrder: _order,
         EnforcementCase: _case, Unit: _registry, SupplyLink: _registry, Jurisdiction: _registry,
         JurisdictionClosure: _registry}
TRACKED_TABLES = {model.__tablename__ for model in RULES}


def init_app(app: Flask) -> None:
    """Count writes in this application's sessions (its schema has `stats_data_versions`)."""
    app.extensions["stats_data_versions"] = True


def enabled() -> bool:
    """Whether this session belongs to an application that counts writes (a bare app, a script
    or a database without the table does not, and then nothing is cached either)."""
    return has_app_context() and current_app.extensions.get("stats_data_versions", False)


def _pending(session: Session) -> set[str]:
    return session.info.setdefault(PENDING, set())


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context) -> None:
    """Note the buckets of what this flush wrote (`new`/`dirty`/`deleted` still show it here)."""
    if not enabled():
        return
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        rule = RULES.get(type(obj))
        if rule is None or (obj in session.dirty and not session.is_modified(obj)):
            continue
        _pending(session).update(rule(session, obj))


@event.listens_for(Session, "do_orm_execute")
def _collect_bulk(state) -> None:
    """A bulk INSERT/UPDATE/DELETE statement on a tracked table: count it as a registry change."""
    if (state.is_insert or state.is_update or state.is_delete) and enabled():
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in TRACKED_TABLES:
            _pending(state.session).add(REGISTRY)


@event.listens_for(Session, "before_commit")
def _bump_on_commit(session: Session) -> None:
    """Count this transaction's writes in the same transaction, right before it commits."""
    if not enabled():
        return
    if session.new or session.dirty or session.deleted:
        session.flush()
    buckets = session.info.pop(PENDING, None)
    if buckets:
        bump(session, buckets)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    """A transaction rolled back (or closed) writes nothing: forget what it would have counted."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)


# Written out once so that SQLAlchemy compiles it once (a dialect's upsert construct is never
# cached); the same on both databases, run on the session's connection.
BUMP = text("INSERT INTO stats_data_versions (bucket, shard, changes) VALUES (:bucket, :shard, 1) "
            "ON CONFLICT (bucket, shard) DO UPDATE SET changes = stats_data_versions.changes + 1")


def bump(session: Session, buckets: set[str]) -> None:
    """Add one to a random shard of each bucket (in name order: two writers never deadlock), in
    one upsert statement."""
    shard = random.randrange(SHARDS)
    session.connection().execute(BUMP, [{"bucket": bucket, "shard": shard}
                                        for bucket in sorted(buckets)])


def has_pending_writes(session: Session) -> bool:
    """This transaction changed tracked data not yet committed (its stamp does not show it)."""
    if session.info.get(PENDING):
        return True
    return any(type(obj) in RULES for obj in itertools.chain(
        session.new, session.dirty, session.deleted))


def stamp(session: Session, cutoff: date) -> Version:
    """The data version of every table as of `cutoff` (see the module docstring)."""
    table = StatsDataVersion.__table__
    total, newest = session.execute(
        select(func.coalesce(func.sum(table.c.changes), 0), func.coalesce(func.max(table.c.id), 0))
        .where(or_(table.c.bucket == REGISTRY, table.c.bucket <= bucket_of(cutoff)))).one()
    return int(total), int(newest)
