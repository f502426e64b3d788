"""The daily photo sweep, in two steps committed apart.

1. `remove_photos_without_inspection`: photos may arrive before their inspection, but one whose
   inspection has still not arrived after `PHOTO_ORPHAN_DAYS` never will (the phone's outbox
   sends the inspection right after its photos): its row goes.
2. `sweep_orphan_files`: files no row refers to, i.e. those of the rows just removed, and what a
   crash between writing a file and committing its row leaves behind. Only files older than
   `min_age` go, so an upload in progress keeps its files.

Rows go first and are committed before their files are deleted: a failure in between leaves
files without rows (removed by the next sweep), never rows without files.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, exists, select

from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.photos import storage
from foodsafety.photos.models import Photo
from foodsafety.photos.storage import KINDS
from foodsafety.timeutil import utcnow


def remove_photos_without_inspection(older_than: timedelta) -> int:
    """Delete the rows of photos uploaded before `older_than` ago whose inspection has not
    arrived (a deleted inspection has arrived: its photos stay); returns how many. Flushes."""
    result = db.session.execute(
        delete(Photo).where(Photo.created_at < utcnow() - older_than,
                            ~exists().where(Inspection.uuid == Photo.inspection_uuid))
        .execution_options(synchronize_session=False))
    return result.rowcount


def _referenced(sha256: str) -> bool:
    return bool(db.session.scalar(select(exists().where(Photo.sha256 == sha256))))


def sweep_orphan_files(root: Path, min_age: timedelta = timedelta(hours=1)) -> int:
    """Delete unreferenced photo files and stale temp files under `root`; returns how many.

    A file is checked again under its content lock before it goes: an upload of the same
    picture holds that lock until its row is committed.
    """
    referenced = set(db.session.scalars(select(Photo.sha256).distinct()))
    oldest_kept = time.time() - min_age.total_seconds()
    removed = 0
    for path in Path(root).glob("??/??/*"):
        if not path.is_file() or path.stat().st_mtime >= oldest_kept:
            continue
        digest = path.name.split(".", 1)[0]
        if path.name.startswith(".tmp-"):
            path.unlink(missing_ok=True)
            removed += 1
            continue
        ours = storage.is_digest(digest) and any(path.name.endswith(s) for s in KINDS.values())
        if not ours or digest in referenced:
            continue
        with storage.locked(root, digest):
            if not _referenced(digest):
                path.unlink(missing_ok=True)
                removed += 1
    return removed
