"""The scheduled jobs' status: last run, outcome and duration, as the API and the CLI show them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from foodsafety.access import Actor
from foodsafety.errors import ApiError, invalid
from foodsafety.extensions import db
from foodsafety.rectification.tasks import OVERDUE_ORDERS
from foodsafety.registry.scope import subtree
from foodsafety.scheduler.jobs import JOBS, JOBS_BY_NAME, Job, Occurrence, due_occurrences, schedule_text
from foodsafety.scheduler.models import JobRun, RunStatus
from foodsafety.statistics.tasks import SNAPSHOTS


def last_run(job: Job) -> JobRun | None:
    """The most recently started run of a job (one indexed lookup)."""
    return db.session.scalar(select(JobRun).where(JobRun.job == job.name)
                             .order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1))


def _result_in_scope(job: Job, result: Mapping | None, codes: set[str] | None) -> dict | None:
    """A run's result narrowed to what the user may see: figures of their own subtree only."""
    if result is None:
        return None
    if "progress" in result:  # still running, or failed part-way: how many steps are done
        return {"steps_done": len(result["progress"])}
    if job.task is OVERDUE_ORDERS:
        by_county = [c for c in result.get("by_county", []) if codes is None or c["code"] in codes]
        return {"as_of": result.get("as_of"), "overdue": sum(c["count"] for c in by_county),
                "by_county": by_county,
                "by_jurisdiction": {k: v for k, v in result.get("by_jurisdiction", {}).items()
                                    if codes is None or k in codes}}
    if job.task is SNAPSHOTS:
        return {"period": result.get("period"), "kind": result.get("kind"), "cutoff": result.get("cutoff"),
                "jurisdictions": result.get("jurisdictions"), "snapshots": result.get("snapshots"),
                "refused": [r for r in result.get("refused", []) if codes is None or r["code"] in codes]}
    return dict(result)  # no figures of any jurisdiction (the photo sweep)


@dataclass(frozen=True)
class JobStatus:
    """A job with its schedule, its occurrence due now and its last run."""

    job: Job
    schedule: str
    due: Occurrence | None
    last_run: JobRun | None


def jobs_status(user: Actor | None, config: Mapping, now: datetime) -> list[JobStatus]:
    """Every job with its schedule, what is due now and its last run; the run's result, within
    `user`'s scope (everything for the command line's None), rides on it as `visible_result`."""
    codes = set(db.session.scalars(subtree(user.jurisdiction_code))) if user is not None else None
    due = {occ.job.name: occ for occ in due_occurrences(now, config)}
    jobs = []
    for job in JOBS:
        run = last_run(job)
        if run is not None:
            run.visible_result = _result_in_scope(job, run.result, codes)
        jobs.append(JobStatus(job, schedule_text(job, config), due.get(job.name), run))
    return jobs


def reset_run(job_name: str, period_key: str) -> JobRun:
    """Let a failed run (e.g. out of attempts) be retried on the next tick."""
    if job_name not in JOBS_BY_NAME:
        raise invalid({"job": [f"没有名为 {job_name} 的任务。"]})
    run = db.session.scalar(select(JobRun).where(JobRun.job == job_name, JobRun.period_key == period_key))
    if run is None:
        raise ApiError(404, "该任务在该期间尚未运行过。")
    if run.status != RunStatus.FAILED:
        raise ApiError(409, f"该运行的状态为“{run.status.label}”，只能重置失败的运行。")
    db.session.execute(update(JobRun).where(JobRun.id == run.id, JobRun.status == RunStatus.FAILED)
                       .values(attempts=0, next_attempt_at=None)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    return run
