"""The scheduled jobs' status: last run, outcome and duration, as the API and the CLI show them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select, update

from foodsafety.accounts.models import User
from foodsafety.errors import ApiError, invalid
from foodsafety.extensions import db
from foodsafety.registry.scope import subtree
from foodsafety.scheduler.jobs import JOBS, JOBS_BY_NAME, Job, due_occurrences, schedule_text
from foodsafety.scheduler.models import JobRun, RunStatus
from foodsafety.timeutil import iso_cst


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
    if job.task == "overdue_orders":
        mine = {k: v for k, v in result.get("by_jurisdiction", {}).items() if codes is None or k in codes}
        return {"as_of": result.get("as_of"),
                "overdue": sum(c["count"] for c in result.get("by_county", [])
                               if codes is None or c["code"] in codes),
                "by_county": [c for c in result.get("by_county", []) if codes is None or c["code"] in codes],
                "by_jurisdiction": mine}
    return {"period": result.get("period"), "kind": result.get("kind"), "cutoff": result.get("cutoff"),
            "jurisdictions": result.get("jurisdictions"), "snapshots": result.get("snapshots"),
            "refused": [r for r in result.get("refused", []) if codes is None or r["code"] in codes]}


def run_json(job: Job, run: JobRun, codes: set[str] | None = None) -> dict:
    return {
        "id": run.id,
        "period_key": run.period_key,
        "due_on": run.due_on.isoformat(),
        "status": run.status.value,
        "status_label": run.status.label,
        "attempts": run.attempts,
        "started_at": iso_cst(run.started_at),
        "finished_at": iso_cst(run.finished_at),
        "duration_ms": run.duration_ms,
        "next_attempt_at": iso_cst(run.next_attempt_at) if run.status == RunStatus.FAILED else None,
        "error": run.error,
        "result": _result_in_scope(job, run.result, codes),
    }


def jobs_status(user: User | None, config: Mapping, now: datetime) -> list[dict]:
    """Every job with its schedule, what is due now and its last run (results within `user`'s scope)."""
    codes = set(db.session.scalars(subtree(user.jurisdiction_code))) if user is not None else None
    due = {occ.job.name: occ for occ in due_occurrences(now, config)}
    jobs = []
    for job in JOBS:
        run = last_run(job)
        occ = due.get(job.name)
        jobs.append({
            "name": job.name,
            "label": job.label,
            "schedule": schedule_text(job, config),
            "due": {"period_key": occ.key, "due_on": occ.due_on.isoformat()} if occ else None,
            "last_run": run_json(job, run, codes) if run else None,
        })
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
