"""What the scheduled jobs do, as steps. A step flushes, never commits: the runner commits each step
together with the run's record that the step is done (see `Task`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.inspections.rules import live
from foodsafety.rectification.models import RectificationOrder
from foodsafety.rectification.rules import overdue_on
from foodsafety.registry.models import Jurisdiction, JurisdictionClosure
from foodsafety.scheduler.jobs import Occurrence


def all_nodes() -> list[str]:
    """Every root (a jurisdiction without parent) and all its nodes, roots first, by code."""
    roots = select(Jurisdiction.code).where(Jurisdiction.parent_code.is_(None))
    return list(db.session.scalars(
        select(JurisdictionClosure.descendant_code)
        .where(JurisdictionClosure.ancestor_code.in_(roots))
        .group_by(JurisdictionClosure.descendant_code)
        .order_by(func.max(JurisdictionClosure.depth), JurisdictionClosure.descendant_code)))


# One computation of a province serves all its nodes' snapshots within one attempt of a run;
# every attempt starts afresh (`forget_computations`), so a retry after a data fix sees the fix.
# Each snapshot records the `data_as_of` of the computation it came from.
_SUBTREES: dict[tuple, object] = {}


def forget_computations() -> None:
    """Drop the subtrees computed by an earlier attempt."""
    _SUBTREES.clear()


def _root_of(code: str) -> str:
    return db.session.scalar(
        select(JurisdictionClosure.ancestor_code)
        .where(JurisdictionClosure.descendant_code == code)
        .order_by(JurisdictionClosure.depth.desc()).limit(1))


def build_one_snapshot(occ: Occurrence, code: str) -> dict:
    """The snapshot of one node for `occ`'s period and kind; a final its data fails is refused."""
    from foodsafety.statistics import services as statistics  # imported when the job runs

    key = (occ.job.name, occ.key, occ.cutoff, _root_of(code))
    subtree = _SUBTREES.get(key)
    if subtree is None:
        subtree = _SUBTREES[key] = statistics.compute_subtree(key[3], occ.key, occ.cutoff)
    try:
        snapshot = statistics.build_snapshot(code, occ.key, occ.cutoff, kind=occ.job.kind,
                                             subtree=subtree)
    except ApiError as error:
        if error.reason != "validation_failed":
            raise
        return {"refused": list((error.errors or {}).get("validation", []))}
    return {"snapshot_id": snapshot.id}


def summarize_snapshots(occ: Occurrence, done: dict[str, dict]) -> dict:
    """A snapshot run's result: what was built, what a final refused."""
    return {"period": occ.key, "kind": occ.job.kind, "cutoff": occ.cutoff.isoformat(),
            "jurisdictions": len(done),
            "snapshots": sum(1 for entry in done.values() if "snapshot_id" in entry),
            "snapshot_ids": [entry["snapshot_id"] for entry in done.values() if "snapshot_id" in entry],
            "refused": [{"code": code, "errors": entry["refused"]}
                        for code, entry in done.items() if "refused" in entry]}


def _overdue(as_of: date):
    """Orders of live inspections overdue on `as_of` (the rectification rule)."""
    return overdue_on(as_of), live()


def overdue_by_county(as_of: date) -> list[dict]:
    """Overdue rectification orders grouped by county, in SQL: count and oldest deadline."""
    query = (select(RectificationOrder.jurisdiction_code, Jurisdiction.name,
                    func.count(RectificationOrder.id), func.min(RectificationOrder.deadline))
             .join(Inspection, Inspection.id == RectificationOrder.inspection_id)
             .join(Jurisdiction, Jurisdiction.code == RectificationOrder.jurisdiction_code)
             .where(*_overdue(as_of))
             .group_by(RectificationOrder.jurisdiction_code, Jurisdiction.name)
             .order_by(RectificationOrder.jurisdiction_code))
    return [{"code": code, "name": name, "count": int(count), "oldest_deadline": oldest.isoformat()}
            for code, name, count, oldest in db.session.execute(query)]


def overdue_by_jurisdiction(as_of: date) -> dict[str, int]:
    """Overdue orders rolled up to every ancestor (county, city, province), in one grouped query."""
    query = (select(JurisdictionClosure.ancestor_code, func.count(RectificationOrder.id))
             .join(RectificationOrder,
                   RectificationOrder.jurisdiction_code == JurisdictionClosure.descendant_code)
             .join(Inspection, Inspection.id == RectificationOrder.inspection_id)
             .where(*_overdue(as_of))
             .group_by(JurisdictionClosure.ancestor_code))
    return {code: int(count) for code, count in db.session.execute(query)}


def count_overdue_orders(occ: Occurrence, _item: str) -> dict:
    """The day's overdue list: per county, and rolled up per jurisdiction."""
    by_county = overdue_by_county(occ.cutoff)
    return {"as_of": occ.cutoff.isoformat(), "total": sum(c["count"] for c in by_county),
            "by_county": by_county, "by_jurisdiction": overdue_by_jurisdiction(occ.cutoff)}


@dataclass(frozen=True)
class Task:
    """A job's work as steps: `items` to do, one committed `step` per item, then a `summary`.

    Each step commits together with the record that it is done, so a retry resumes where the
    failed attempt stopped and never repeats a step (no duplicate snapshot), and no transaction
    holds SQLite's write lock for longer than one step.
    """

    items: Callable[[Occurrence], list[str]]
    step: Callable[[Occurrence, str], dict]
    summary: Callable[[Occurrence, dict[str, dict]], dict]


PHOTO_SWEEP_STEPS = ["rows", "files"]  # rows are committed before their files go


def sweep_photos(_occ: Occurrence, item: str) -> dict:
    """One step of the photo sweep: the rows of photos whose inspection never arrived, then
    the files no row refers to (theirs, and those an interrupted upload left)."""
    from datetime import timedelta

    from flask import current_app

    from foodsafety.photos.sweep import remove_photos_without_inspection, sweep_orphan_files

    if item == "rows":
        days = current_app.config["PHOTO_ORPHAN_DAYS"]
        return {"removed": remove_photos_without_inspection(timedelta(days=days))}
    return {"removed": sweep_orphan_files(current_app.config["PHOTO_DIR"])}


def summarize_photo_sweep(_occ: Occurrence, done: dict[str, dict]) -> dict:
    """What the sweep removed: rows of photos whose inspection never arrived, and files."""
    return {"rows_removed": done["rows"]["removed"], "removed": done["files"]["removed"]}


TASKS: dict[str, Task] = {
    "snapshots": Task(lambda occ: all_nodes(), build_one_snapshot, summarize_snapshots),
    "overdue_orders": Task(lambda occ: ["all"], count_overdue_orders, lambda occ, done: done["all"]),
    "photo_sweep": Task(lambda occ: PHOTO_SWEEP_STEPS, sweep_photos, summarize_photo_sweep),
}
