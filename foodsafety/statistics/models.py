"""Statistics snapshots: a table as built at one moment, stored once and never changed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foodsafety.accounts.models import User
from foodsafety.extensions import db, term_column
from foodsafety.inspections.models import Inspection
from foodsafety.periods import Period, parse_period
from foodsafety.rectification.models import RectificationOrder
from foodsafety.registry.models import Jurisdiction
from foodsafety.statistics.definition import TABLE
from foodsafety.statistics.results import (
    BreakdownColumn,
    ContextFigure,
    CoverageCount,
    Issue,
    RowFigure,
    UninspectedUnit,
    Value,
    context_figures,
    coverage_counts,
    issues_of,
    row_figures,
    values_from_json,
)
from foodsafety.timeutil import utcnow
from foodsafety.vocabulary import SnapshotKind


class StatsSnapshot(db.Model):
    """One jurisdiction's table for one period as of a cutoff, with everything needed to
    reproduce what was reported: figures, breakdown by child, validation and coverage."""

    __tablename__ = "stats_snapshots"
    __table_args__ = (UniqueConstraint("jurisdiction_code", "period_key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    period_key: Mapped[str] = mapped_column(String(7))
    cutoff: Mapped[date] = mapped_column(Date)
    data_as_of: Mapped[datetime] = mapped_column(DateTime)  # naive UTC: when the data was read
    definition_version: Mapped[str] = mapped_column(String(16))
    kind: Mapped[SnapshotKind] = mapped_column(term_column(SnapshotKind, "snapshot_kind"))
    version: Mapped[int] = mapped_column(Integer)  # per jurisdiction and period, from 1
    figures: Mapped[dict] = mapped_column(JSON)  # row code → exact figure (money: yuan string)
    context: Mapped[dict] = mapped_column(JSON)
    breakdown: Mapped[list] = mapped_column(JSON)  # one column per direct child
    validation: Mapped[list] = mapped_column(JSON)
    coverage: Mapped[dict] = mapped_column(JSON)  # unit kind → units, inspected, uninspected
    # The units not inspected in the period (at most UNINSPECTED_LIMIT of them), as listed.
    uninspected: Mapped[list | None] = mapped_column(JSON)
    built_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    built_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    jurisdiction: Mapped[Jurisdiction] = relationship()
    built_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<StatsSnapshot {self.jurisdiction_code} {self.period_key} v{self.version}>"

    # Typed views of the stored JSON, for the API schemas and the workbook.
    @property
    def period(self) -> Period:
        return parse_period(self.period_key)

    @property
    def values(self) -> dict[str, Value]:
        """The stored exact figures, typed (Decimal yuan for money)."""
        return values_from_json(self.figures)

    @property
    def rows(self) -> list[RowFigure]:
        return row_figures(self.values)

    @property
    def context_figures(self) -> list[ContextFigure]:
        return context_figures(self.context)

    @property
    def issues(self) -> list[Issue]:
        return issues_of(self.validation)

    @property
    def valid(self) -> bool:
        return not any(issue.severity == "error" for issue in self.issues)

    @property
    def coverage_counts(self) -> list[CoverageCount]:
        return coverage_counts(self.coverage)

    @property
    def breakdown_columns(self) -> list[BreakdownColumn]:
        return [BreakdownColumn(column["code"], column["name"], values_from_json(column["figures"]))
                for column in self.breakdown]

    @property
    def uninspected_units(self) -> list[UninspectedUnit]:
        return [UninspectedUnit(**unit) for unit in self.uninspected or []]

    @property
    def filename(self) -> str:
        """`510100_成都市_2026年上半年_校园食品安全守护行动工作情况统计表.xlsx`."""
        return f"{self.jurisdiction_code}_{self.jurisdiction.name}_{self.period.label}_{TABLE.title}.xlsx"


class StatsDataVersion(db.Model):
    """Committed writes to what the tables read, counted per bucket and shard (see `versions`).

    A bucket is the half-year of a record's date (`2026-H1`) or `registry` for undated inputs;
    the shard, one of a few rows per bucket picked at random, keeps concurrent writers apart.
    Ids are never reused (AUTOINCREMENT on SQLite, a sequence on PostgreSQL): a table emptied
    and filled again never shows a stamp it showed before."""

    __tablename__ = "stats_data_versions"
    __table_args__ = (UniqueConstraint("bucket", "shard"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(8))
    shard: Mapped[int] = mapped_column(SmallInteger)
    changes: Mapped[int] = mapped_column(BigInteger)

    def __repr__(self) -> str:
        return f"<StatsDataVersion {self.bucket}#{self.shard} {self.changes}>"


@event.listens_for(StatsSnapshot, "before_update")
def _immutable(_mapper, _connection, target: StatsSnapshot) -> None:
    """A stored snapshot is what was reported: it is never changed."""
    raise RuntimeError(f"{target!r} is immutable")


# Indexes the statistics' plans need on the inspections table, over live rows only:
# - a unit's latest observation on or before a cutoff (the observed status is in the index), and
#   "inspected in the period", are one probe each of `ix_inspections_unit_latest`;
# - visits, units inspected and the problem rows scan `ix_inspections_live_county` by county and
#   date without reading the table (the id is there to join the findings).
# - the few deleted inspections are found through `ix_inspections_deleted` (D2 subtracts their
#   orders), and the orders of a period are counted per county from `ix_orders_county_issued`.
# `deleted_at` is a column too (always null in them): SQLite counts an index as covering only
# when it holds every column the query names, the partial index's own condition included.
_inspections = Inspection.__table__
_live = _inspections.c.deleted_at.is_(None)
Index("ix_inspections_unit_latest", _inspections.c.unit_id, _inspections.c.inspected_on,
      _inspections.c.started_at, _inspections.c.id, _inspections.c.deleted_at,
      *(_inspections.c[name] for name in ("obs_wuchang_6t", "obs_haccp",
                                         "obs_haccp_cert_expires_on", "obs_mc_transparent",
                                         "obs_mc_video", "obs_mc_internet")),
      sqlite_where=_live, postgresql_where=_live)
Index("ix_inspections_live_county", _inspections.c.jurisdiction_code, _inspections.c.inspected_on,
      _inspections.c.unit_kind, _inspections.c.unit_id, _inspections.c.id,
      _inspections.c.deleted_at, sqlite_where=_live, postgresql_where=_live)
Index("ix_inspections_deleted", _inspections.c.deleted_at,
      sqlite_where=_inspections.c.deleted_at.is_not(None),
      postgresql_where=_inspections.c.deleted_at.is_not(None))
_orders = RectificationOrder.__table__
Index("ix_orders_county_issued", _orders.c.jurisdiction_code, _orders.c.issued_on,
      _orders.c.inspection_id)


# --- summaries (`summaries.py`): what the tables read instead of the records ------------------

class StatsSummary(db.Model):
    """One figure's change per (level, day, county, measure), split over a few shards.

    `contributions.py` says what each unit adds on which day; the write path adds it here (the
    day's row, its month's and, for cumulative measures, its year's: levels `d`/`m`/`y` for
    figures of the period, `D`/`M`/`Y` for the stock, which counts from the beginning of time).
    A table as of cutoff C then sums a few years', months' and days' rows per county: one range
    of the key per (level, county) of the subtree."""

    __tablename__ = "stats_summaries"
    __table_args__ = (
        PrimaryKeyConstraint("level", "jurisdiction_code", "day", "measure", "shard",
                             name="pk_stats_summaries"),
        {"sqlite_with_rowid": False},
    )

    level: Mapped[str] = mapped_column(String(1))
    day: Mapped[date] = mapped_column(Date)
    jurisdiction_code: Mapped[str] = mapped_column(String(12))
    measure: Mapped[str] = mapped_column(String(40))
    shard: Mapped[int] = mapped_column(SmallInteger)
    value: Mapped[int] = mapped_column(BigInteger)


class StatsUnitFigures(db.Model):
    """What one unit adds to the summaries now, as [county, measure, day, value] entries: the
    write path subtracts it and adds the unit's new figures when one of its records changes.
    Its row is also the unit's lock: two transactions touching one unit apply one after the
    other."""

    __tablename__ = "stats_unit_figures"

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entries: Mapped[list] = mapped_column(JSON)


class StatsSummaryState(db.Model):
    """Whether the summaries hold every record (one row). Not built (a database migrated with
    data in it, a bulk write the summaries could not follow): the tables are computed from the
    records until `flask stats rebuild-summaries` has run."""

    __tablename__ = "stats_summary_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    built: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)


@event.listens_for(StatsSummaryState.__table__, "after_create")
def _empty_is_built(target, connection, **_kw) -> None:
    """A new, empty database: its empty summaries hold every record there is."""
    connection.execute(target.insert().values(id=1, built=True, changed_at=utcnow(),
                                              note="新建数据库"))
