"""The statistics' scheduled job: a snapshot of every jurisdiction's table for a period, one
jurisdiction per step (the half-year and full-year drafts and finals, `scheduler/jobs.py`)."""

from __future__ import annotations

from sqlalchemy import func, select

from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.registry.models import Jurisdiction, JurisdictionClosure
from foodsafety.statistics import snapshots
from foodsafety.tasks import Occurrence, Task


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
    key = (occ.kind, occ.key, occ.cutoff, _root_of(code))
    subtree = _SUBTREES.get(key)
    if subtree is None:
        subtree = _SUBTREES[key] = snapshots.subtree(key[3], occ.key, occ.cutoff)
    try:
        snapshot = snapshots.build_snapshot(code, occ.key, occ.cutoff, kind=occ.kind,
                                            subtree=subtree)
    except ApiError as error:
        if error.reason != "validation_failed":
            raise
        return {"refused": list((error.errors or {}).get("validation", []))}
    return {"snapshot_id": snapshot.id}


def summarize_snapshots(occ: Occurrence, done: dict[str, dict]) -> dict:
    """A snapshot run's result: what was built, what a final refused."""
    return {"period": occ.key, "kind": occ.kind, "cutoff": occ.cutoff.isoformat(),
            "jurisdictions": len(done),
            "snapshots": sum(1 for entry in done.values() if "snapshot_id" in entry),
            "snapshot_ids": [entry["snapshot_id"] for entry in done.values() if "snapshot_id" in entry],
            "refused": [{"code": code, "errors": entry["refused"]}
                        for code, entry in done.items() if "refused" in entry]}


SNAPSHOTS = Task(lambda occ: all_nodes(), build_one_snapshot, summarize_snapshots, begin=forget_computations)
