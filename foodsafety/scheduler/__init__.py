"""Scheduled jobs: the half-year and full-year statistics snapshots and the daily overdue list.

The jobs are data (`jobs.JOBS`); `runner.tick(now)` runs whatever is due and not yet done, exactly
once per (job, period) however many scheduler processes run. `flask scheduler run` is the only
thing that runs it on a clock (never `create_app` or a web worker).
"""
