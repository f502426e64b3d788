"""The photos' scheduled job: sweep the rows of photos whose inspection never arrived, then the
files no row refers to."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from foodsafety.photos.sweep import remove_photos_without_inspection, sweep_orphan_files
from foodsafety.tasks import Occurrence, Task

PHOTO_SWEEP_STEPS = ["rows", "files"]  # rows are committed before their files go


def sweep_photos(_occ: Occurrence, item: str) -> dict:
    """One step of the photo sweep: the rows of photos whose inspection never arrived, then
    the files no row refers to (theirs, and those an interrupted upload left)."""
    if item == "rows":
        days = current_app.config["PHOTO_ORPHAN_DAYS"]
        return {"removed": remove_photos_without_inspection(timedelta(days=days))}
    return {"removed": sweep_orphan_files(current_app.config["PHOTO_DIR"])}


def summarize_photo_sweep(_occ: Occurrence, done: dict[str, dict]) -> dict:
    """What the sweep removed: rows of photos whose inspection never arrived, and files."""
    return {"rows_removed": done["rows"]["removed"], "removed": done["files"]["removed"]}


PHOTO_SWEEP = Task(lambda occ: PHOTO_SWEEP_STEPS, sweep_photos, summarize_photo_sweep)
