"""A scheduled job's work as the feature that owns it defines it (`<feature>/tasks.py`): steps over
items, for one occurrence of the job. The scheduler (`scheduler/runner.py`) runs them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol


class Occurrence(Protocol):
    """The (job, period) a task runs for, as the task reads it."""

    key: str  # the period (2026-H1, 2026), or the day of a daily job (2026-07-03)
    cutoff: date  # a snapshot's cutoff; a daily job's day
    kind: str | None  # snapshot jobs: draft or final


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Task:
    """A job's work as steps: `items` to do, one committed `step` per item, then a `summary`.

    Each step commits together with the record that it is done, so a retry resumes where the
    failed attempt stopped and never repeats a step (no duplicate snapshot), and no transaction
    holds SQLite's write lock for longer than one step. `begin` runs before every attempt.
    """

    items: Callable[[Occurrence], list[str]]
    step: Callable[[Occurrence, str], dict]
    summary: Callable[[Occurrence, dict[str, dict]], dict]
    begin: Callable[[], None] = _nothing
