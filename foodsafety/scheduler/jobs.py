"""The scheduled jobs, defined once, as data; and when each (job, period) occurrence falls due.

Dates come from settings (`SCHEDULE_H1_DRAFT = "07-01"` …, see config.py) so that a province can
move them without touching code. An occurrence is due from `SCHEDULER_RUN_AT` (Beijing time) on its
due date until `SCHEDULER_CATCHUP_DAYS` later, so a scheduler that was down across a due date
catches up when it comes back; a draft whose final is already due is skipped (superseded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from foodsafety.periods import parse_period
from foodsafety.photos.tasks import PHOTO_SWEEP
from foodsafety.rectification.tasks import OVERDUE_ORDERS
from foodsafety.statistics.summary_checks import SUMMARIES_CHECK
from foodsafety.statistics.tasks import SNAPSHOTS
from foodsafety.tasks import Task
from foodsafety.timeutil import CST


@dataclass(frozen=True)
class Job:
    name: str
    label: str  # shown in the API and the CLI
    task: Task  # what it does, defined by the feature that owns it
    every: str  # "year" (on the date in `date_setting`) or "day"
    date_setting: str | None = None  # config key holding the due date as MM-DD
    period: str | None = None  # snapshot jobs: "H1" (half-year) or "year"
    kind: str | None = None  # snapshot jobs: "draft" or "final"
    superseded_by: str | None = None  # a job whose occurrence for the same period makes this moot


JOBS: tuple[Job, ...] = (
    Job("h1_draft", "上半年统计表草稿", SNAPSHOTS, "year", "SCHEDULE_H1_DRAFT", "H1", "draft",
        superseded_by="h1_final"),
    Job("h1_final", "上半年统计表定稿", SNAPSHOTS, "year", "SCHEDULE_H1_FINAL", "H1", "final"),
    Job("year_draft", "全年统计表草稿", SNAPSHOTS, "year", "SCHEDULE_YEAR_DRAFT", "year", "draft",
        superseded_by="year_final"),
    Job("year_final", "全年统计表定稿", SNAPSHOTS, "year", "SCHEDULE_YEAR_FINAL", "year", "final"),
    Job("overdue_orders", "逾期未整改通知书日统计", OVERDUE_ORDERS, "day"),
    Job("photo_sweep", "清理检查记录未到达的照片和无记录引用的照片文件", PHOTO_SWEEP, "day"),
    Job("summaries_check", "统计汇总抽样核对（与原始记录比对，未建成时重建）", SUMMARIES_CHECK, "day"),
)
JOBS_BY_NAME = {job.name: job for job in JOBS}


@dataclass(frozen=True)
class Occurrence:
    """One (job, period) to run: the period key (or the day, for daily jobs) and its dates."""

    job: Job
    key: str
    due_on: date
    cutoff: date  # snapshot jobs: the table's cutoff; daily jobs: the day itself

    @property
    def kind(self) -> str | None:
        """Snapshot jobs: draft or final."""
        return self.job.kind


def month_day(config: Mapping, setting: str, year: int) -> date:
    """The date a `MM-DD` setting names in `year`; a Chinese ValueError when malformed."""
    text = str(config[setting])
    try:
        month, day = (int(part) for part in text.split("-"))
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"配置项 {setting} 应为 MM-DD 格式的日期（如 07-01），当前为“{text}”。") from None


def run_at(config: Mapping) -> time:
    """The time of day (Beijing time) from which a day's occurrences are due."""
    text = str(config["SCHEDULER_RUN_AT"])
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"配置项 SCHEDULER_RUN_AT 应为 HH:MM 格式的时间，当前为“{text}”。") from None


def period_key(job: Job, year: int) -> str:
    return f"{year}-H1" if job.period == "H1" else str(year)


def occurrence(job: Job, year_or_day: int | date, config: Mapping) -> Occurrence:
    """The occurrence of `job` for a year (yearly jobs) or a day (daily jobs)."""
    if job.every == "day":
        return Occurrence(job, year_or_day.isoformat(), year_or_day, year_or_day)
    key = period_key(job, int(year_or_day))
    due = month_day(config, job.date_setting, int(year_or_day))
    return Occurrence(job, key, due, parse_period(key).cutoff(due))


def _candidates(job: Job, today: date, config: Mapping) -> list[Occurrence]:
    if job.every == "day":
        return [occurrence(job, today, config)]
    return [occurrence(job, year, config) for year in (today.year - 1, today.year)]


def due_occurrences(now: datetime, config: Mapping, jobs: tuple[Job, ...] = JOBS) -> list[Occurrence]:
    """Every occurrence due at `now` (an aware datetime), whether or not it has run yet."""
    if now.tzinfo is None:
        raise ValueError("now must carry a UTC offset")
    local = now.astimezone(CST)
    today = local.date()
    window = timedelta(days=int(config["SCHEDULER_CATCHUP_DAYS"]))
    starts = run_at(config)

    def due(occ: Occurrence) -> bool:
        return (datetime.combine(occ.due_on, starts, CST) <= local
                and today - occ.due_on <= window)

    found = [occ for job in jobs for occ in _candidates(job, today, config) if due(occ)]
    superseding = {(occ.job.name, occ.key) for occ in found}
    return [occ for occ in found
            if (occ.job.superseded_by, occ.key) not in superseding]


def schedule_text(job: Job, config: Mapping) -> str:
    """When a job runs, in words: 每年7月1日 02:00 / 每日 02:00."""
    at = run_at(config).strftime("%H:%M")
    if job.every == "day":
        return f"每日 {at}"
    due = month_day(config, job.date_setting, 2000)  # a leap year, so 02-29 is accepted
    return f"每年{due.month}月{due.day}日 {at}"


def check_config(config: Mapping) -> None:
    """Fail fast (ValueError, in Chinese) on a malformed schedule setting."""
    for job in JOBS:
        schedule_text(job, config)
    if int(config["SCHEDULER_MAX_ATTEMPTS"]) < 1:
        raise ValueError("配置项 SCHEDULER_MAX_ATTEMPTS 至少为 1。")
