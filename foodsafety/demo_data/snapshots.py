"""The demo's past reporting periods, reported the way the scheduler reports them.

A real installation has had `flask scheduler run` beside it all along; a freshly loaded demo has
not. So after the load, every snapshot job whose due date fell within the demo's year runs once,
through the scheduler's own claim-and-run protocol, at the moment it was due. The job runs are
recorded, so the scheduler started by `make run` does not build them again.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app

from foodsafety.scheduler.jobs import JOBS, due_occurrences, run_at
from foodsafety.scheduler.runner import Outcome, run_occurrence
from foodsafety.statistics.tasks import SNAPSHOTS
from foodsafety.timeutil import CST


def report_past_periods(today: date, since: date) -> list[Outcome]:
    """Run each snapshot job due between `since` and `today` as of its due time; oldest first."""
    config = {**current_app.config, "SCHEDULER_CATCHUP_DAYS": (today - since).days}
    now = datetime.combine(today, run_at(config), CST) + timedelta(days=1)
    jobs = tuple(job for job in JOBS if job.task is SNAPSHOTS)
    due = [occ for occ in due_occurrences(now, config, jobs) if since <= occ.due_on <= today]
    return [run_occurrence(occ, datetime.combine(occ.due_on, run_at(config), CST))
            for occ in sorted(due, key=lambda occ: occ.due_on)]
