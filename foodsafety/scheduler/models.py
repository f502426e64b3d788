"""Job runs: one row per (job, period), the claim that makes a scheduled job run exactly once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from foodsafety.extensions import db, term_column
from foodsafety.vocabulary import RunStatus


class JobRun(db.Model):
    """A (job, period) occurrence: inserting the row claims it; retries reuse the same row.

    `token` identifies the current attempt: only the attempt holding it may record a step or mark
    the run done, so a run taken over after it went silent is never worked on twice. `result`
    holds `{"progress": {item: outcome}}` while the run goes on, then the task's summary.
    """

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job", "period_key"),
        Index("ix_job_runs_job_started_at", "job", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(32))
    period_key: Mapped[str] = mapped_column(String(10))  # 2026-H1, 2026, or the day 2026-07-03
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[RunStatus] = mapped_column(term_column(RunStatus, "job_run_status"))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    token: Mapped[str] = mapped_column(String(32))
    worker: Mapped[str] = mapped_column(String(64))  # host:pid of the attempt
    started_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime)  # the attempt's last committed step
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<JobRun {self.job} {self.period_key} {self.status}>"
