"""gunicorn config for the load test's baseline: the statistics' summaries not maintained.

    .venv/bin/python bench/loadtest.py --db postgresql --phones 200 --seconds 60 --summaries off

Each worker's application stops keeping `stats_summaries` in its transactions (the listeners of
`foodsafety/statistics/summaries.py` see `enabled()` false), so a run with and a run without
show what maintaining them costs the submissions, on the same machine in the same session. The
throwaway database's summaries are then wrong, so the run does not check them.
"""

from __future__ import annotations


def post_worker_init(worker) -> None:
    worker.wsgi.extensions["stats_summaries"] = False
