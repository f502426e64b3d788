"""Deep pages of the big lists at province scale: offset pagination (before) against cursors (after).

    .venv/bin/python bench/list_bench.py [--only sqlite|postgresql] [--explain]

Uses the statistics benchmark's dataset (`bench/stats_bench.py` builds and caches it: 300,000
inspections, 112,380 rectification orders) and reads, as the province's administrator, the
first page and the 1,000th page (50 a page) of inspections and of rectification orders:

- before: what the lists did until now — an exact COUNT and LIMIT/OFFSET, without the index
  added for the cursors (dropped for the measurement and created again right after);
- after: `foodsafety.pagination.paginate` — page 1 by number, page 1,000 by the cursor that page
  999 handed out; the count stops at LIST_COUNT_CAP.

Each figure is the median of 5 runs after one warm-up, items serialised as the API does. Target
(PostgreSQL): first and 1,000th page ≤ 300 ms each. `--explain` prints the plans of the after
queries.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PER_PAGE, DEEP, REPEAT, TARGET_MS = 50, 1000, 5, 300
# The indexes the cursors brought; "before" runs without them.
NEW_INDEXES = {"inspections": "ix_inspections_live_started", "orders": "ix_orders_deadline_id"}


def _median_ms(fn) -> float:
    fn()
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _lists():
    from foodsafety.inspections.queries import list_inspections
    from foodsafety.inspections.schemas import InspectionSummarySchema
    from foodsafety.rectification.schemas import OrderOutSchema
    from foodsafety.rectification.services import list_orders

    return {"inspections": (list_inspections, InspectionSummarySchema(many=True).dump),
            "orders": (list_orders, OrderOutSchema(many=True).dump)}


def _index(name: str):
    from foodsafety.extensions import db

    return next(index for table in db.metadata.tables.values() for index in table.indexes
                if index.name == name)


def _offset_page(query, page: int, dump) -> dict:
    """The pagination as it was: an exact count of the scoped list, then LIMIT/OFFSET."""
    from sqlalchemy import func, select

    from foodsafety.extensions import db

    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return {"items": dump(rows), "total": total}


def measure(name: str, url: str, explain: bool) -> dict:
    from sqlalchemy import text
    from stats_bench import _app

    from foodsafety.accounts.models import User
    from foodsafety.extensions import db
    from foodsafety.pagination import _after, _read_cursor, _signature, _sort_key, paginate

    app = _app(url)
    out: dict = {"database": name}
    with app.test_request_context():
        admin = db.session.get(User, 1)  # the dataset's province administrator
        for label, (listing, dump) in _lists().items():
            query = listing(admin, {})
            index = _index(NEW_INDEXES[label])
            db.session.commit()
            index.drop(db.engine, checkfirst=True)  # created again right after
            out[f"{label}_before_first"] = _median_ms(lambda q=query, d=dump: _offset_page(q, 1, d))
            out[f"{label}_before_deep"] = _median_ms(lambda q=query, d=dump: _offset_page(q, DEEP, d))
            db.session.commit()
            index.create(db.engine, checkfirst=True)
            with db.engine.connect() as conn:
                conn.execute(text(f"ANALYZE {index.table.name}"))
                conn.commit()
            query = listing(admin, {})
            app.config["LIST_MAX_OFFSET"] = 10**9  # only to fetch page 999 and its cursor
            page_999 = paginate(query, {"page": DEEP - 1, "per_page": PER_PAGE}, dump)
            app.config["LIST_MAX_OFFSET"] = 10_000
            cursor = {"cursor": page_999["next_cursor"], "per_page": PER_PAGE}
            first = paginate(query, {"page": 1, "per_page": PER_PAGE}, dump)
            deep = paginate(query, cursor, dump)
            assert deep["page"] == DEEP and len(deep["items"]) == PER_PAGE
            out[f"{label}_total"] = (first["total"], first["total_is_estimate"])
            out[f"{label}_after_first"] = _median_ms(
                lambda q=query, d=dump: paginate(q, {"page": 1, "per_page": PER_PAGE}, d))
            out[f"{label}_after_deep"] = _median_ms(lambda q=query, d=dump, c=cursor: paginate(q, c, d))
            if explain:
                key = _sort_key(query)
                values, forward, _ = _read_cursor(cursor["cursor"], key, _signature(key))
                deep_sql = query.where(_after(key, values, forward)).limit(PER_PAGE + 1)
                sql = str(deep_sql.compile(db.engine, compile_kwargs={"literal_binds": True}))
                word = "EXPLAIN ANALYZE " if name == "postgresql" else "EXPLAIN QUERY PLAN "
                out[f"{label}_plan"] = [" ".join(str(c) for c in row)
                                        for row in db.session.execute(text(word + sql))]
        db.session.remove()
        db.engine.dispose()
    return out


def report(results: list[dict]) -> None:
    print(f"\n省级管理员（990000）读取列表，每页 {PER_PAGE} 条，中位数（{REPEAT} 次），单位 ms")
    print(f"{'数据库':<12}{'列表':<8}{'之前 第1页':>12}{'之前 第1000页':>14}{'之后 第1页':>12}"
          f"{'之后 第1000页':>14}  总数（是否为下限）")
    for r in results:
        for label, name in (("inspections", "检查"), ("orders", "整改通知")):
            after = (r[f"{label}_after_first"], r[f"{label}_after_deep"])
            verdict = "达标" if max(after) <= TARGET_MS else "超标"
            total, estimate = r[f"{label}_total"]
            print(f"{r['database']:<14}{name:<8}{r[f'{label}_before_first']:>10.0f}"
                  f"{r[f'{label}_before_deep']:>14.0f}{after[0]:>12.0f}{after[1]:>14.0f}  "
                  f"{total}{'+' if estimate else ''}"
                  + (f"  [{verdict} ≤{TARGET_MS} ms]" if r["database"] == "postgresql" else ""))
            for line in r.get(f"{label}_plan", []):
                print(f"      {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description="列表深翻页基准测试（偏移分页 与 游标分页）")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--explain", action="store_true", help="打印之后的查询计划")
    parser.add_argument("--measure", choices=("sqlite", "postgresql"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    import stats_bench

    urls = stats_bench.database_urls(1.0)
    if args.measure:
        print(json.dumps(measure(args.measure, urls[args.measure], args.explain)))
        return 0
    results = []
    for name in [args.only] if args.only else ["sqlite", "postgresql"]:
        stats_bench.prepare(name, urls[name], 1.0, False)
        run = subprocess.run([sys.executable, __file__, "--measure", name,
                              *(["--explain"] if args.explain else [])],
                             capture_output=True, text=True, check=False)
        if run.returncode != 0:
            print(run.stdout + run.stderr, file=sys.stderr)
            return run.returncode
        results.append(json.loads(run.stdout.strip().splitlines()[-1]))
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
