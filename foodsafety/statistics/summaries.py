"""The statistics' summaries, kept current by the write path in the transaction of the record.

A transaction that changes what a unit's figures read (the unit, its inspections and their
findings, its rectification orders, its enforcement cases) notes the unit as it flushes. Right
before it commits, for each noted unit: lock the unit's row of `stats_unit_figures`, compute its
figures afresh from its records (`contributions.py`), and add the difference to `stats_summaries`
(on one of `SHARDS` rows per key, picked at random per transaction, so concurrent submissions of a
county seldom wait on each other). A submission, which only adds an inspection and its findings,
keeps the unit's stored order and case figures and reads neither: four statements in all (lock,
load, add, store). A correction, a void, a back-dated record, a unit moving county
or an import so updates what it touches and nothing else; the summaries are exact at every commit.

A bulk statement that changes such data without saying which units it touched (`touch`) cannot
be followed: it marks the summaries not built, and the tables are computed from the records
(`queries.py`) until `flask stats rebuild-summaries` has run (`summary_rebuild.py`). `check` compares a sample of nodes
with the scan; a daily job runs it (`tasks.py`).
"""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

from flask import Flask, current_app, has_app_context
from sqlalchemy import (
    JSON,
    Date,
    Integer,
    String,
    any_,
    bindparam,
    cast,
    event,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, attributes
from sqlalchemy.orm.util import identity_key

from foodsafety.enforcement.models import EnforcementCase
from foodsafety.inspections.models import Finding, Inspection
from foodsafety.periods import Period
from foodsafety.rectification.models import RectificationOrder
from foodsafety.registry.models import Unit
from foodsafety.statistics import contributions
from foodsafety.statistics.models import StatsSummary, StatsSummaryState
from foodsafety.statistics.queries import Closure, Scope, _roll_up
from foodsafety.statistics.versions import has_pending_writes
from foodsafety.timeutil import utcnow

SHARDS = 16
CHUNK = 500  # units loaded together
# Session.info keys: {unit or inspection id: whether more than inspections were added to it}
UNITS = "stats_summary_units"
INSPECTIONS = "stats_summary_inspections"
STALE = "stats_summary_stale"

# The columns each model's figures read; a change to any other column touches no figure.
RELEVANT = {
    Inspection: {"unit_id", "jurisdiction_code", "unit_kind", "inspected_on", "started_at",
                 "deleted_at", "obs_wuchang_6t", "obs_haccp", "obs_haccp_cert_expires_on",
                 "obs_mc_transparent", "obs_mc_video", "obs_mc_internet"},
    Finding: {"inspection_id", "category"},
    RectificationOrder: {"issued_on", "jurisdiction_code", "inspection_id", "unit_id"},
    EnforcementCase: {"unit_id", "jurisdiction_code", "filed_on", "decided_on", "fine_yuan",
                      "confiscated_yuan", "licence_revoked_on", "banned_on", "transferred_on",
                      "criminal_filed_on"},
    Unit: {"kind", "jurisdiction_code", "licence_no", "licence_issued_on", "licence_expires_on",
           "licence_revoked_on", "wuchang_6t", "haccp", "haccp_cert_expires_on", "mc_transparent",
           "mc_video", "mc_internet"},
}
TABLES = {model.__tablename__: columns for model, columns in RELEVANT.items()}


def init_app(app: Flask) -> None:
    """Keep the summaries in this application's sessions."""
    app.extensions["stats_summaries"] = True


def enabled() -> bool:
    return has_app_context() and current_app.extensions.get("stats_summaries", False)


# --- noting what a transaction touched ---------------------------------------------------------

def _values(obj, name: str) -> set:
    history = attributes.get_history(obj, name, passive=attributes.PASSIVE_NO_INITIALIZE)
    return {v for v in itertools.chain(history.added, history.unchanged, history.deleted)
            if v is not None}


def _changed(obj, columns: set[str]) -> bool:
    state = attributes.instance_state(obj)
    return any(state.attrs[name].history.has_changes() for name in columns)


def _mark(session: Session, key: str, ids: Iterable[int], changed: bool = True) -> None:
    """Note `ids` (units or inspections): `changed` when more than new inspections touch them."""
    marks = session.info.setdefault(key, {})
    for id_ in ids:
        marks[id_] = marks.get(id_, False) or changed


def touch(session: Session, unit_ids: Iterable[int]) -> None:
    """Recompute these units' figures when this transaction commits (a bulk write says so)."""
    _mark(session, UNITS, unit_ids)


@event.listens_for(Session, "after_flush")
def _note(session: Session, _context) -> None:
    if not enabled():
        return
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        columns = RELEVANT.get(type(obj))
        if columns is None or (obj in session.dirty and not _changed(obj, columns)):
            continue
        changed = obj not in session.new  # a new inspection or finding leaves orders and cases be
        if isinstance(obj, Unit):
            _mark(session, UNITS, [obj.id])
        elif isinstance(obj, Finding):
            _note_finding(session, obj, changed)
        else:
            _mark(session, UNITS, _values(obj, "unit_id"),
                  changed or not isinstance(obj, Inspection))


def _note_finding(session: Session, finding: Finding, changed: bool) -> None:
    """The finding's unit, from its inspection in the session when it is there (a submission)
    or, at commit, from the database."""
    for inspection_id in _values(finding, "inspection_id"):
        inspection = session.identity_map.get(identity_key(Inspection, inspection_id))
        if inspection is None:
            _mark(session, INSPECTIONS, [inspection_id], changed)
        else:
            _mark(session, UNITS, _values(inspection, "unit_id"), changed)


def _set_columns(state) -> set[str] | None:
    """The columns a bulk UPDATE sets (None when it cannot be told)."""
    statement = state.statement
    names = {getattr(key, "key", key) for key in (getattr(statement, "_values", None) or {})}
    parameters = state.parameters
    for row in parameters if isinstance(parameters, list) else [parameters or {}]:
        names.update(key for key in row if key != "id")
    return {str(name) for name in names} or None


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(state) -> None:
    """A bulk statement on a table the figures read: fine when it says which units it touched
    (`execution_options(stats_summaries="touched")` beside `touch`) or sets only other columns;
    otherwise the summaries can no longer be trusted."""
    if not (state.is_insert or state.is_update or state.is_delete) or not enabled():
        return
    columns = TABLES.get(getattr(getattr(state.statement, "table", None), "name", None))
    if columns is None or state.execution_options.get("stats_summaries") == "touched":
        return
    if state.is_update:
        names = _set_columns(state)
        if names is not None and not names & columns:
            return
    state.session.info[STALE] = True


@event.listens_for(Session, "before_commit", insert=True)
def _apply_on_commit(session: Session) -> None:
    """First among the commit hooks: the data version's shared row (`versions.py`) is then
    locked only after this work, for the commit alone."""
    if not enabled():
        return
    if session.new or session.dirty or session.deleted:
        session.flush()
    units = session.info.pop(UNITS, {})
    inspections = session.info.pop(INSPECTIONS, {})
    stale = session.info.pop(STALE, False)
    if inspections:
        for inspection_id, unit_id in session.execute(select(Inspection.id, Inspection.unit_id)
                                                      .where(Inspection.id.in_(sorted(inspections)))):
            units[unit_id] = units.get(unit_id, False) or inspections[inspection_id]
    if units:
        apply(session, units)
    if stale:
        set_state(session, False, "批量写入未说明涉及的单位，统计表改由原始记录计算，请重建汇总。")


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        for key in (UNITS, INSPECTIONS, STALE):
            session.info.pop(key, None)


# --- applying a unit's new figures -------------------------------------------------------------

# The write path's statements, written out once so that SQLAlchemy compiles each once: its
# dialects' upsert constructs are never cached (~0.3 ms to compile on every call). They run on the
# session's connection, past the ORM's per-statement hooks, and are the same on both databases
# but for how the lock reads its list of units (a JSON array).
_UNITS = {"postgresql": "SELECT CAST(value AS integer), '[]' "
                        "FROM json_array_elements_text(CAST(:unit_ids AS json))",
          "sqlite": "SELECT value, '[]' FROM json_each(:unit_ids) WHERE true"}  # (SQLite's grammar)
LOCK = {dialect: text(
    "INSERT INTO stats_unit_figures (unit_id, entries) " + units + " ORDER BY 1 "
    "ON CONFLICT (unit_id) DO UPDATE SET entries = stats_unit_figures.entries "
    "RETURNING unit_id, entries").columns(unit_id=Integer, entries=JSON)
    for dialect, units in _UNITS.items()}
STORE = text("UPDATE stats_unit_figures SET entries = :entries WHERE unit_id = :unit_id"
             ).bindparams(bindparam("entries", type_=JSON))
ADD = text(
    "INSERT INTO stats_summaries (level, day, jurisdiction_code, measure, shard, value) "
    "VALUES (:level, :day, :jurisdiction_code, :measure, :shard, :value) "
    "ON CONFLICT (level, day, jurisdiction_code, measure, shard) "
    "DO UPDATE SET value = stats_summaries.value + excluded.value"
).bindparams(bindparam("day", type_=Date))


def _lock(session: Session, unit_ids: list[int]) -> dict[int, list]:
    """The stored figures of `unit_ids` (sorted), their rows locked until commit and created
    empty where missing: one upsert that writes nothing new and returns what is there."""
    statement = LOCK[session.get_bind().dialect.name]
    return dict(session.connection().execute(statement, {"unit_ids": json.dumps(unit_ids)}).all())


def entries(figures: Counter) -> list:
    """A unit's figures as stored in `stats_unit_figures`."""
    return sorted([county, measure, day.isoformat(), value]
                  for (county, measure, day), value in figures.items())


def _counter(entries: list) -> Counter:
    return Counter({(county, measure, date.fromisoformat(day)): value
                    for county, measure, day, value in entries})


def apply(session: Session, units: dict[int, bool]) -> None:
    """Recompute the figures of `units` and add what changed to the summaries. {unit id:
    changed}: false when only inspections were added to the unit (its order and case figures
    stand, when it has stored figures)."""
    unit_ids = sorted(units)
    for start in range(0, len(unit_ids), CHUNK):
        chunk = unit_ids[start:start + CHUNK]
        stored = _lock(session, chunk)
        added_to = {unit_id for unit_id in chunk if not units[unit_id] and stored.get(unit_id)}
        records = contributions.load(chunk, [u for u in chunk if u not in added_to])
        change: Counter = Counter()
        rewritten = []
        for unit_id in chunk:
            old = _counter(stored.get(unit_id) or [])
            new = contributions.figures_of(records[unit_id],
                                           carried=old if unit_id in added_to else None)
            if new != old:
                change.update(new)
                change.subtract(old)
                rewritten.append({"unit_id": unit_id, "entries": entries(new)})
        if rewritten:
            session.connection().execute(STORE, rewritten)
        # Last: the summary rows are shared with the county's other writers, locked until commit.
        add(session, change, random.randrange(SHARDS))


def summary_rows(change: Counter, into: Counter | None = None) -> Counter:
    """{(level, bucket, county, measure): value} of `change` ({(county, measure, day): value}),
    added to `into` when given (the rebuild sums a county's units so)."""
    rows: Counter = Counter() if into is None else into
    for (county, measure, day), value in change.items():
        if value:
            for level, bucket in levels(measure, day):
                rows[(level, bucket, county, measure)] += value
    return rows


@lru_cache(maxsize=100_000)  # bounded: (measure, day) pairs grow with the years of data
def levels(measure: str, day: date) -> tuple[tuple[str, date], ...]:
    """The summary rows a change of `measure` on `day` goes to (see `StatsSummary`)."""
    month = day.replace(day=1)
    if contributions.cumulative(measure):
        return (("D", day), ("M", month), ("Y", date(day.year, 1, 1)))
    return (("d", day), ("m", month))


def add(session: Session, change: Counter, shard: int) -> None:
    """Add `change` ({(county, measure, day): value}) to the summaries, on `shard`."""
    add_rows(session, summary_rows(change), shard)


def add_rows(session: Session, rows: Counter, shard: int) -> None:
    """Add `rows` ({(level, bucket, county, measure): value}) to the summaries, on `shard`."""
    items = sorted((key, value) for key, value in rows.items() if value)
    if items:
        session.connection().execute(ADD, [
            {"level": level, "day": day, "jurisdiction_code": county, "measure": measure,
             "shard": shard, "value": value} for (level, day, county, measure), value in items])


# --- state ------------------------------------------------------------------

def set_state(session: Session, built: bool, note: str) -> None:
    table = StatsSummaryState.__table__
    values = {"built": built, "changed_at": utcnow(), "note": note}
    if not session.execute(update(table).where(table.c.id == 1).values(**values)).rowcount:
        session.execute(insert(table).values(id=1, **values))


def is_built(session: Session) -> bool:
    return bool(session.scalar(select(StatsSummaryState.built).where(StatsSummaryState.id == 1)))


def usable(session: Session) -> bool:
    """Whether a table may be read from the summaries now: they are built, and this transaction
    has no uncommitted writes of its own (the summaries show them only once it commits)."""
    return (enabled() and current_app.config["STATS_SUMMARIES"]
            and not has_pending_writes(session) and not session.info.get(UNITS)
            and is_built(session))


# --- reading ----------------------------------------------------------------------------------

def figures_query(scope: Scope, period: Period, cutoff: date, dialect: str):
    """Per node (`ancestor_code`) and measure, the sum of the changes the table as of `cutoff`
    counts: the stock's since the beginning, the period's since its first day.

    One branch per level, each a range of the key per county of the subtree (PostgreSQL: the
    counties as one array, `= ANY`, which the index walks county by county; SQLite: `IN`)."""
    s = StatsSummary.__table__
    end = cutoff + timedelta(days=1)
    # The complete years and months are read from their own rows: a cutoff on a month's (or a
    # year's) last day, as a report's usually is, reads no day rows (or no month rows) at all.
    month = end if end.day == 1 else cutoff.replace(day=1)
    year = date(month.year, 1, 1)
    windows = [(level, start, stop) for level, start, stop in
               [("Y", None, year), ("M", year, month), ("D", month, end),
                ("m", period.start, month), ("d", month, end)]
               if start is None or start < stop]
    counties = select(Closure.descendant_code).where(Closure.ancestor_code == scope.root)
    if dialect == "postgresql":
        array = select(func.array_agg(Closure.descendant_code)).where(
            Closure.ancestor_code == scope.root).scalar_subquery()
        # = ANY(CAST((SELECT array_agg …) AS VARCHAR[])): one array (bare, a subquery's rows)
        in_scope = s.c.jurisdiction_code == any_(cast(array, postgresql.ARRAY(String)))
    else:
        in_scope = s.c.jurisdiction_code.in_(counties)
    other = ":Y" if "-H" in period.key else ":H"
    branches = [select(s.c.jurisdiction_code, s.c.measure, s.c.value)
                .where(s.c.level == level, in_scope, *([s.c.day >= start] if start else []),
                       s.c.day < end, ~s.c.measure.endswith(other))
                for level, start, end in windows]
    rows = union_all(*branches).subquery("rows")
    if scope.only_root:  # the rows are the subtree's: summed per measure, no county in between
        return (select(literal(scope.root).label("ancestor_code"), rows.c.measure,
                       func.sum(rows.c.value).label("value"))
                .group_by(rows.c.measure))
    per_county = (select(rows.c.jurisdiction_code, rows.c.measure,
                         func.sum(rows.c.value).label("value"))
                  .group_by(rows.c.jurisdiction_code, rows.c.measure)
                  .subquery("summed"))
    return _roll_up(per_county, scope, "value", by=("measure",))


def node_figures(session: Session, scope: Scope, period: Period,
                 cutoff: date) -> dict[str, dict[str, int]]:
    """{node: {measure: value}} from the summaries (scope suffixes `:H`/`:Y` removed)."""
    out: dict[str, dict[str, int]] = {}
    dialect = session.get_bind().dialect.name
    for row in session.execute(figures_query(scope, period, cutoff, dialect)):
        measure = row.measure
        if measure.endswith((":H", ":Y")):
            measure = measure[:-2]
        out.setdefault(row.ancestor_code, {})[measure] = int(row.value)
    return out
