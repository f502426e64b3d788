"""Load test helpers: after the run, hold the database and the photo directory to account.

Every acknowledged inspection and photo must be stored exactly once; no inspection may be
half-written (fewer answers than its form has items, no first revision, a rectification
without its order, a findings count that disagrees with its findings); every photo row must
have both files and every file must belong to a row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text


@dataclass
class Findings:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    half_written: list[str] = field(default_factory=list)
    photos_lost: list[str] = field(default_factory=list)
    summaries_differ: list[str] = field(default_factory=list)
    rows_without_files: list[str] = field(default_factory=list)
    files_without_rows: list[str] = field(default_factory=list)
    inspections: int = 0
    photos: int = 0

    @property
    def broken(self) -> bool:
        return bool(self.lost or self.duplicated or self.half_written or self.photos_lost
                    or self.rows_without_files or self.files_without_rows
                    or self.summaries_differ)


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _present(conn, table: str, column: str, ids: Iterable[str]) -> dict[str, int]:
    """How many rows each of `ids` has in `table.column`."""
    counts: dict[str, int] = {}
    for chunk in _chunks(sorted(set(ids))):
        params = {f"p{i}": value for i, value in enumerate(chunk)}
        marks = ", ".join(f":p{i}" for i in range(len(chunk)))
        rows = conn.execute(text(f"SELECT {column}, count(*) FROM {table} "  # noqa: S608
                                 f"WHERE {column} IN ({marks}) GROUP BY {column}"), params)
        counts.update({key: n for key, n in rows})
    return counts


# Every inspection's answers, to compare with the number of items of its own checklist.
ANSWERS_PER_INSPECTION = """
    SELECT i.uuid, i.form_id, i.form_version, count(a.id) FROM inspections i
    LEFT JOIN inspection_answers a ON a.inspection_id = i.id
    GROUP BY i.id, i.uuid, i.form_id, i.form_version"""
HALF_WRITTEN = {
    "no first revision": """
        SELECT i.uuid FROM inspections i WHERE NOT EXISTS (
            SELECT 1 FROM inspection_revisions r WHERE r.inspection_id = i.id AND r.revision = 1)""",
    "findings count": """
        SELECT i.uuid FROM inspections i LEFT JOIN findings f ON f.inspection_id = i.id
        GROUP BY i.id, i.uuid, i.problems_found HAVING count(f.id) <> i.problems_found""",
    "rectify without order": """
        SELECT i.uuid FROM inspections i WHERE i.handling = 'rectify' AND NOT EXISTS (
            SELECT 1 FROM rectification_orders o WHERE o.inspection_id = i.id)""",
}


def verify(database_url: str, photo_dir: Path, acked_inspections: Iterable[str],
           acked_photos: Iterable[str], form_items: dict[tuple[str, int], int],
           summaries: bool = True) -> Findings:
    """Compare what the phones were told with what the database and the disk hold (and, when
    the server kept them, the statistics' summaries with the records)."""
    from foodsafety.photos.storage import KINDS, path_for

    found = Findings()
    acked_inspections, acked_photos = list(acked_inspections), list(acked_photos)
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            stored = _present(conn, "inspections", "uuid", acked_inspections)
            found.lost = [u for u in acked_inspections if u not in stored]
            found.duplicated = [u for u, n in stored.items() if n > 1]
            for uuid, form_id, version, answers in conn.execute(text(ANSWERS_PER_INSPECTION)):
                if answers != form_items.get((form_id, version)):
                    found.half_written.append(f"{uuid} (answers != form items)")
            for label, query in HALF_WRITTEN.items():
                for (uuid,) in conn.execute(text(query)):
                    found.half_written.append(f"{uuid} ({label})")
            photos = _present(conn, "photos", "client_id", acked_photos)
            found.photos_lost = [p for p in acked_photos if p not in photos]
            found.duplicated += [p for p, n in photos.items() if n > 1]
            found.inspections = conn.execute(text("SELECT count(*) FROM inspections")).scalar_one()
            rows = list(conn.execute(text("SELECT client_id, sha256 FROM photos")))
            found.photos = len(rows)
    finally:
        engine.dispose()

    if summaries:
        found.summaries_differ = summaries_differences(database_url, photo_dir.parent)
    expected: set[Path] = set()
    for client_id, sha256 in rows:
        for kind in KINDS:
            path = path_for(photo_dir, sha256, kind)
            expected.add(path)
            if not path.is_file():
                found.rows_without_files.append(f"{client_id} {kind}")
    if photo_dir.is_dir():
        for path in photo_dir.rglob("*"):
            if path.is_file() and ".locks" not in path.parts and path not in expected:
                found.files_without_rows.append(str(path.relative_to(photo_dir)))
    return found


def summaries_differences(database_url: str, instance_dir: Path) -> list[str]:
    """Every node's table from the statistics' summaries, kept by concurrent submissions (and
    across the kill), against the same table computed from the records."""
    from config import TestConfig
    from foodsafety import create_app
    from foodsafety.statistics import summaries, summary_checks

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, INSTANCE_DIR=instance_dir)
    with app.app_context():
        from foodsafety.extensions import db

        try:
            if not summaries.is_built(db.session):
                return ["统计汇总未建成"]
            return summary_checks.check(size=100_000)
        finally:
            db.session.remove()
            db.engine.dispose()
