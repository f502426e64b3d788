"""Remove photo files no row refers to: what a crash between writing a file and committing its
row leaves behind. Only files older than `min_age` go, so an upload in progress keeps its files."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from foodsafety.extensions import db
from foodsafety.photos.models import Photo
from foodsafety.photos.storage import KINDS


def sweep_orphan_files(root: Path, min_age: timedelta = timedelta(hours=1)) -> int:
    """Delete unreferenced photo files and stale temp files under `root`; returns how many."""
    referenced = set(db.session.scalars(select(Photo.sha256).distinct()))
    oldest_kept = time.time() - min_age.total_seconds()
    removed = 0
    for path in Path(root).glob("??/??/*"):
        if not path.is_file() or path.stat().st_mtime >= oldest_kept:
            continue
        digest = path.name.split(".", 1)[0]
        stale_temp = path.name.startswith(".tmp-")
        orphan = any(path.name.endswith(suffix) for suffix in KINDS.values()) and (
            digest not in referenced)
        if stale_temp or orphan:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
