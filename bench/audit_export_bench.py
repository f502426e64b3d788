"""Benchmark of the auditor's CSV export: memory stays flat as the audit log grows.

Fills a temporary database with N audit entries (default 20,000 and 200,000) of one county,
streams `GET /api/v1/audit/export.csv` as an auditor and prints, side by side per size, the
rows exported, the time, and the peak Python memory allocated while streaming (tracemalloc).
The goal: the peak does not grow with N (batches of 500 rows). Sizes are cumulative, and each
export is itself audited, so a later size exports one row more per earlier export.

    .venv/bin/python bench/audit_export_bench.py [--sizes 20000 200000] [--sqlite-only]

PostgreSQL is taken from BENCH_DATABASE_URL (or TEST_DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/test); a private database is created and dropped.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from config import TestConfig  # noqa: E402
from foodsafety import create_app  # noqa: E402
from foodsafety.accounts.auth import hash_password, open_session  # noqa: E402
from foodsafety.accounts.models import Role, User  # noqa: E402
from foodsafety.audit.models import AuditEntry  # noqa: E402
from foodsafety.extensions import db  # noqa: E402
from foodsafety.registry.divisions import load_divisions  # noqa: E402
from foodsafety.timeutil import utcnow  # noqa: E402

DIVISIONS = [("510000", "四川省"), ("510100", "成都市"), ("510104", "锦江区")]


def run(url: str, sizes: list[int], tmp: Path) -> list[tuple[int, int, float, float]]:
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=tmp)
    results = []
    with app.app_context():
        db.create_all()
        load_divisions(DIVISIONS)
        auditor = User(username="bench.auditor", display_name="审计员", password_hash=hash_password("x"),
                       role=Role.AUDITOR, jurisdiction_code="510000")
        db.session.add(auditor)
        db.session.commit()
        token, _ = open_session(auditor)
        db.session.commit()
        filled = 0
        start = utcnow() - timedelta(days=30)
        for size in sizes:
            with db.engine.begin() as conn:
                for first in range(filled, size, 5000):
                    conn.execute(insert(AuditEntry), [
                        {"at": start + timedelta(seconds=i), "user_id": 7, "username": f"inspector{i % 50}",
                         "role": "inspector", "jurisdiction_code": "510104", "event": "inspections.post",
                         "object_type": "inspections", "object_id": str(uuid.uuid4()), "outcome": "success",
                         "status": 201, "client_ip": "10.1.2.3", "request_id": f"{i:016x}",
                         "detail": {"method": "POST", "path": "/api/v1/inspections"}}
                        for i in range(first, min(first + 5000, size))])
            filled = size
            client = app.test_client()
            tracemalloc.start()
            began = time.perf_counter()
            response = client.get("/api/v1/audit/export.csv",
                                  headers={"Authorization": f"Bearer {token}"}, buffered=False)
            lines = sum(chunk.count(b"\n") for chunk in response.response)
            response.close()
            elapsed = time.perf_counter() - began
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            results.append((size, lines - 1, elapsed, peak / 2**20))
        db.session.remove()
        db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    table = {}
    with tempfile.TemporaryDirectory() as tmp:
        table["SQLite"] = run(f"sqlite:///{tmp}/bench.sqlite3", args.sizes, Path(tmp))
    if not args.sqlite_only:
        base = make_url(os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
            "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")).set(drivername="postgresql+psycopg")
        name = f"fs_bench_{uuid.uuid4().hex[:6]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            with tempfile.TemporaryDirectory() as tmp:
                table["PostgreSQL"] = run(base.set(database=name).render_as_string(hide_password=False),
                                          args.sizes, Path(tmp))
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"{'database':<11} {'entries':>9} {'rows out':>9} {'seconds':>8} {'peak MiB':>9}")
    for database, rows in table.items():
        for size, out, seconds, peak in rows:
            print(f"{database:<11} {size:>9,} {out:>9,} {seconds:>8.1f} {peak:>9.2f}")


if __name__ == "__main__":
    main()
