"""Rebuilding the statistics' summaries from the records (migrations, disaster recovery).

Every unit's figures are computed afresh (`contributions.py`), county by county, so that the
changes of a county's units add up in memory into one row per day and measure before they are
written; the summaries and the units' stored figures are then written in bulk (PostgreSQL: COPY
into a temporary table, summed into `stats_summaries` by one INSERT … SELECT in key order). Memory stays
bounded: at most `KEYS` summary rows and `CHUNK` units' records at a time.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import delete, insert, select, text, tuple_
from sqlalchemy.orm import Session

from foodsafety.registry.models import Unit
from foodsafety.statistics import contributions, summaries
from foodsafety.statistics.models import StatsSummary, StatsUnitFigures

CHUNK = 500  # units loaded together
KEYS = 200_000  # summary rows added up in memory before they are written
SUMMARY_COLUMNS = ("level", "day", "jurisdiction_code", "measure", "value")


def rebuild(session: Session, say=lambda text: None) -> int:
    """Recompute every unit's figures and the summaries from the records, in this transaction
    (PostgreSQL: writers wait for it at their commit). Returns the number of units."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        session.execute(text("LOCK TABLE stats_unit_figures, stats_summaries IN EXCLUSIVE MODE"))
        session.execute(text("CREATE TEMPORARY TABLE stats_rebuild (level varchar(1), day date, "
                             "jurisdiction_code varchar(12), measure varchar(40), value bigint) "
                             "ON COMMIT DROP"))
    session.execute(delete(StatsSummary.__table__))
    session.execute(delete(StatsUnitFigures.__table__))
    write = _copy_summaries if postgresql else _upsert_summaries
    done, after = 0, ("", 0)
    rows: Counter = Counter()
    while True:
        page = session.execute(
            select(Unit.jurisdiction_code, Unit.id)
            .where(tuple_(Unit.jurisdiction_code, Unit.id) > tuple_(*after))
            .order_by(Unit.jurisdiction_code, Unit.id).limit(CHUNK)).all()
        if not page:
            break
        after = tuple(page[-1])
        part = [unit_id for _county, unit_id in page]
        records = contributions.load(part)
        stored = []
        for unit_id in part:
            figures = contributions.figures_of(records[unit_id])
            summaries.summary_rows(figures, into=rows)
            stored.append((unit_id, summaries.entries(figures)))
        _store_figures(session, stored, postgresql)
        if len(rows) > KEYS:
            write(session, rows)
            rows = Counter()
        done += len(part)
        if done % (CHUNK * 20) == 0:
            say(f"已汇总 {done} 个单位")
    write(session, rows)
    if postgresql:
        session.execute(text(
            "INSERT INTO stats_summaries (level, day, jurisdiction_code, measure, shard, value) "
            "SELECT level, day, jurisdiction_code, measure, 0, sum(value) FROM stats_rebuild "
            "GROUP BY level, day, jurisdiction_code, measure HAVING sum(value) <> 0 "
            # Written in key order, a subtree's rows lie together on disk: the scale-4 national
            # table read 108,000 rows in 730 ms from rows in arbitrary order, 130-190 ms so.
            "ORDER BY level, jurisdiction_code, day, measure"))
    summaries.set_state(session, True, f"已重建（{done} 个单位）")
    return done


def _copy(session: Session, statement: str, rows: Iterable[tuple]) -> None:
    """COPY `rows` on this transaction's own connection."""
    with session.connection().connection.driver_connection.cursor() as cursor:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)


def _store_figures(session: Session, stored: list[tuple[int, list]], postgresql: bool) -> None:
    if postgresql:
        _copy(session, "COPY stats_unit_figures (unit_id, entries) FROM STDIN",
              ((unit_id, json.dumps(entries)) for unit_id, entries in stored))
    else:
        session.execute(insert(StatsUnitFigures.__table__),
                        [{"unit_id": unit_id, "entries": entries} for unit_id, entries in stored])


def _copy_summaries(session: Session, rows: Counter) -> None:
    _copy(session, f"COPY stats_rebuild ({', '.join(SUMMARY_COLUMNS)}) FROM STDIN",
          ((level, day, county, measure, value)
           for (level, day, county, measure), value in rows.items() if value))


def _upsert_summaries(session: Session, rows: Counter) -> None:
    summaries.add_rows(session, rows, 0)
