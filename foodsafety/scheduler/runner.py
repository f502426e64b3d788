"""Run due jobs exactly once per (job, period), from any number of scheduler processes.

`tick(now)` is the whole scheduler: it takes the time as a parameter (tests drive it with a fixed
clock) and is called on start-up and every `SCHEDULER_TICK_SECONDS` by `flask scheduler run`.

The protocol, for each occurrence due at `now` that has not yet succeeded:
1. Claim, in its own committed transaction: INSERT the (job, period) row — the UNIQUE constraint
   makes a second scheduler's insert fail, and it skips — or, for a failed run whose back-off has
   passed or a run whose worker fell silent, a compare-and-set UPDATE only one process can win.
   Every claim gets a fresh `token`.
2. Work, one transaction per step of the task (one snapshot per jurisdiction): an UPDATE of the run
   row guarded by the token first (on SQLite it takes the write lock up front; on PostgreSQL it
   row-locks the run), a fresh read of the progress (a step already done is skipped), the step, the
   progress record guarded by the token, commit. A step's snapshot and the record that it is done
   land together or not at all, so a retry resumes where the failed attempt stopped and never
   builds a duplicate. The success mark is the last step's sibling: same guard, own commit.
   On PostgreSQL every transaction also holds an advisory lock on the (job, period): a claim only
   tries it (and skips while a worker is in a step, so a live worker is never taken over), a
   step waits for it (a claim holds it for a moment only).
3. On failure: roll back the step, then mark the run failed with the error and the time of the next
   attempt (exponential back-off, at most `SCHEDULER_MAX_ATTEMPTS` attempts).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.scheduler.jobs import JOBS, Job, Occurrence, due_occurrences
from foodsafety.scheduler.models import JobRun, RunStatus
from foodsafety.timeutil import to_utc_naive

log = logging.getLogger("foodsafety.scheduler")
WORKER = f"{socket.gethostname()}:{os.getpid()}"[:64]
ERROR_LIMIT = 500


@dataclass(frozen=True)
class Outcome:
    """What one tick did with one due occurrence."""

    job: str
    key: str
    # succeeded / failed / skipped (done, or another process has it) / waiting (back-off, or no
    # attempts left) / busy (the claim itself could not be made: database locked or unreachable)
    status: str
    error: str | None = None


def tick(now: datetime, jobs: tuple[Job, ...] = JOBS) -> list[Outcome]:
    """Run every occurrence due at `now` (aware) that has not yet succeeded; returns what happened."""
    return [run_occurrence(occ, now) for occ in due_occurrences(now, current_app.config, jobs)]


def run_occurrence(occ: Occurrence, now: datetime) -> Outcome:
    """Claim `occ` and, if this process won the claim, run it."""
    try:
        claim = _claim(occ, now)
    except SQLAlchemyError as error:  # e.g. the database is locked or gone: try on the next tick
        log.warning("无法领取 %s（%s）：%s", occ.job.label, occ.key, _error_text(error))
        return Outcome(occ.job.name, occ.key, "busy", _error_text(error))
    if isinstance(claim, str):
        return Outcome(occ.job.name, occ.key, claim)
    occ.job.task.begin()
    return _Attempt(occ, *claim, now).run()


# --- claiming ---------------------------------------------------------------------------------

def _lock_key(occ: Occurrence) -> int:
    digest = hashlib.sha256(f"job:{occ.job.name}:{occ.key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _try_lock(occ: Occurrence) -> bool:
    """On PostgreSQL, try a transaction-scoped advisory lock on the (job, period); elsewhere true."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    return bool(db.session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"),
                                  {"key": _lock_key(occ)}))


def _lock(occ: Occurrence) -> None:
    """On PostgreSQL, wait for the advisory lock: the claim's owner outwaits others' short claims."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(occ)})


def _claim(occ: Occurrence, now: datetime) -> tuple[int, str] | str:
    """Claim the occurrence in its own transaction: (run id, token), or why not ("skipped"…)."""
    config = current_app.config
    at = to_utc_naive(now)
    token = secrets.token_hex(16)
    try:
        if not _try_lock(occ):
            db.session.rollback()
            return "skipped"
        run = db.session.scalar(select(JobRun).where(JobRun.job == occ.job.name,
                                                     JobRun.period_key == occ.key))
        if run is None:
            run = JobRun(job=occ.job.name, period_key=occ.key, due_on=occ.due_on,
                         status=RunStatus.RUNNING, attempts=1, token=token, worker=WORKER,
                         started_at=at, heartbeat_at=at)
            db.session.add(run)
            db.session.flush()
        elif run.status == RunStatus.SUCCEEDED:
            db.session.rollback()
            return "skipped"
        elif run.status == RunStatus.FAILED and (
                run.attempts >= int(config["SCHEDULER_MAX_ATTEMPTS"])
                or (run.next_attempt_at is not None and run.next_attempt_at > at)):
            db.session.rollback()  # not yet (or no more): no need to take a write lock to find out
            return "waiting"
        else:
            retry = (JobRun.status == RunStatus.FAILED,
                     JobRun.attempts < int(config["SCHEDULER_MAX_ATTEMPTS"]),
                     or_(JobRun.next_attempt_at.is_(None), JobRun.next_attempt_at <= at))
            silent = at - timedelta(minutes=int(config["SCHEDULER_STALE_MINUTES"]))
            stale = (JobRun.status == RunStatus.RUNNING, JobRun.heartbeat_at <= silent)
            won = db.session.execute(
                update(JobRun).where(JobRun.id == run.id,
                                     *(retry if run.status == RunStatus.FAILED else stale))
                .values(status=RunStatus.RUNNING, attempts=JobRun.attempts + 1, token=token,
                        worker=WORKER, started_at=at, heartbeat_at=at, finished_at=None,
                        duration_ms=None, next_attempt_at=None, error=None)
                .execution_options(synchronize_session=False)).rowcount
            if won != 1:
                db.session.rollback()
                return "waiting" if run.status == RunStatus.FAILED else "skipped"
        run_id = run.id
        db.session.commit()
    except IntegrityError:  # another scheduler inserted the same (job, period) first
        db.session.rollback()
        return "skipped"
    except BaseException:
        db.session.rollback()
        raise
    log.info("开始运行 %s（%s）", occ.job.label, occ.key)
    return run_id, token


# --- working ----------------------------------------------------------------------------------

class _Lost(Exception):
    """The run is no longer ours (taken over after falling silent, or locked by a live worker)."""


class _Attempt:
    """One claimed attempt at an occurrence: its steps, then the success or failure mark."""

    def __init__(self, occ: Occurrence, run_id: int, token: str, now: datetime) -> None:
        self.occ, self.run_id, self.token = occ, run_id, token
        self.task = occ.job.task
        self.at = to_utc_naive(now)  # the controlled clock; real elapsed time is added to it
        self.started = time.perf_counter()

    def _elapsed(self) -> timedelta:
        return timedelta(milliseconds=self._ms())

    def _ms(self) -> int:
        return int((time.perf_counter() - self.started) * 1000)

    def _mine(self):
        return (JobRun.id == self.run_id, JobRun.token == self.token,
                JobRun.status == RunStatus.RUNNING)

    def _own(self) -> dict[str, dict]:
        """Begin a transaction that holds the run (lock, heartbeat); returns the progress so far."""
        _lock(self.occ)
        owned = db.session.execute(update(JobRun).where(*self._mine())
                                   .values(heartbeat_at=self.at + self._elapsed())
                                   .execution_options(synchronize_session=False)).rowcount
        if owned != 1:
            raise _Lost
        result = db.session.scalar(select(JobRun.result).where(JobRun.id == self.run_id))
        return dict((result or {}).get("progress") or {})

    def _record(self, values: dict) -> None:
        done = db.session.execute(update(JobRun).where(*self._mine()).values(**values)
                                  .execution_options(synchronize_session=False)).rowcount
        if done != 1:
            raise _Lost
        db.session.commit()

    def run(self) -> Outcome:
        occ = self.occ
        try:
            for item in self.task.items(occ):
                progress = self._own()
                if item in progress:
                    db.session.commit()
                    continue
                progress[item] = self.task.step(occ, item)
                self._record({"result": {"progress": progress}})
            progress = self._own()
            duration = self._ms()
            self._record({"status": RunStatus.SUCCEEDED, "result": self.task.summary(occ, progress),
                          "duration_ms": duration, "finished_at": self.at + self._elapsed()})
        except _Lost:
            db.session.rollback()
            return Outcome(occ.job.name, occ.key, "skipped")
        except Exception as error:  # noqa: BLE001  (any failure of a job is recorded, never fatal)
            db.session.rollback()
            log.exception("%s（%s）运行失败", occ.job.label, occ.key)
            message = _error_text(error)
            self._mark_failed(message)
            return Outcome(occ.job.name, occ.key, "failed", message)
        log.info("%s（%s）运行成功，用时 %d 毫秒", occ.job.label, occ.key, duration)
        return Outcome(occ.job.name, occ.key, "succeeded")

    def _mark_failed(self, message: str) -> None:
        try:
            attempts = db.session.scalar(select(JobRun.attempts).where(JobRun.id == self.run_id))
            delay = retry_delay(attempts, int(current_app.config["SCHEDULER_RETRY_MINUTES"]))
            finished = self.at + self._elapsed()
            db.session.execute(update(JobRun).where(*self._mine()).values(
                status=RunStatus.FAILED, error=message, duration_ms=self._ms(),
                finished_at=finished, heartbeat_at=finished, next_attempt_at=self.at + delay)
                .execution_options(synchronize_session=False))
            db.session.commit()
        except Exception:  # noqa: BLE001  (the run stays "running" and is taken over once silent)
            db.session.rollback()
            log.exception("无法记录运行失败（运行 #%s）", self.run_id)


def retry_delay(attempts: int, base_minutes: int) -> timedelta:
    """Exponential back-off after the `attempts`-th failure: base, 2×base, 4×base…"""
    return timedelta(minutes=base_minutes * 2 ** max(attempts - 1, 0))


def _error_text(error: Exception) -> str:
    """A short description of a failure for the status list (no SQL statement or parameters)."""
    if isinstance(error, ApiError):
        detail = error.message
    else:
        lines = str(getattr(error, "orig", None) or error).strip().splitlines()
        detail = lines[0] if lines else ""
    return f"{type(error).__name__}: {detail}"[:ERROR_LIMIT]
