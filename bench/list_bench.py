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

The desk's lists with their filters and orders (`desk_*`): a county's overdue orders, a city's
non-compliant inspections, a name search, and the other sort orders (first page, and the 1,000th
by cursor). `--export N` builds the desk's Excel export of about N inspections (default 100,000)
through `foodsafety.list_exports.export_list`, reading the streamed answer to the end, and reports
its time and the process's peak RSS against a 1,000-row export in a fresh process (bounded memory:
the two peaks should be close).
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


# The desk's lists: (label, list, arguments, also the 1,000th page).
DESK = (
    ("orders, overdue, one county", "orders", {"overdue": True, "jurisdiction": "990101"}, False),
    ("orders, sort=-issued", "orders", {"sort": "-issued"}, True),
    ("orders, q=number", "orders", {"q": "2025"}, False),
    ("inspections, city, noncompliant", "inspections", {"jurisdiction": "990100", "result": "noncompliant"}, True),
    ("inspections, sort=-problems", "inspections", {"sort": "-problems"}, True),
    ("inspections, q=name", "inspections", {"q": "食堂"}, True),
    ("inspections, kind=supplier, 2026-H1", "inspections", {"kind": "supplier", "period": "2026-H1"}, True),
)


def measure_desk(name: str, url: str) -> dict:
    from stats_bench import _app

    from foodsafety.accounts.models import User
    from foodsafety.extensions import db
    from foodsafety.pagination import paginate

    app = _app(url)
    out: dict = {"database": name, "desk": []}
    lists = _lists()
    with app.test_request_context():
        admin = db.session.get(User, 1)
        for label, which, args, deep in DESK:
            listing, dump = lists[which]
            query = listing(admin, args)
            first = _median_ms(lambda q=query, d=dump: paginate(q, {"page": 1, "per_page": PER_PAGE}, d))
            row = {"label": label, "first": first, "deep": None}
            if deep:
                app.config["LIST_MAX_OFFSET"] = 10**9  # only to fetch page 999 and its cursor
                page_999 = paginate(query, {"page": DEEP - 1, "per_page": PER_PAGE}, dump)
                app.config["LIST_MAX_OFFSET"] = 10_000
                if page_999["next_cursor"]:
                    cursor = {"cursor": page_999["next_cursor"], "per_page": PER_PAGE}
                    row["deep"] = _median_ms(lambda q=query, d=dump, c=cursor: paginate(q, c, d))
            total = paginate(query, {"page": 1, "per_page": 1}, dump)
            row["total"] = f"{total['total']}{'+' if total['total_is_estimate'] else ''}"
            out["desk"].append(row)
        db.session.remove()
        db.engine.dispose()
    return out


def _export_window(rows: int):
    """A date window of the dataset holding about `rows` live inspections (about 411 a day)."""
    from datetime import date, timedelta

    end = date(2026, 6, 30)
    return end - timedelta(days=max(1, round(rows / 411)) - 1), end


def measure_export(name: str, url: str, rows: int) -> dict:
    import resource

    from stats_bench import _app

    from foodsafety.accounts.models import User
    from foodsafety.extensions import db
    from foodsafety.inspections.queries import list_inspections
    from foodsafety.inspections.schemas import InspectionSummarySchema
    from foodsafety.list_exports import export_list

    app = _app(url)
    date_from, date_to = _export_window(rows)
    with app.test_request_context():
        admin = db.session.get(User, 1)
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        args = {"date_from": date_from, "date_to": date_to}
        schema = InspectionSummarySchema(many=True)
        started = time.perf_counter()
        response = export_list("inspections", list_inspections(admin, args), schema.dump,
                               list(schema.fields), args)
        size = sum(len(chunk) for chunk in response.response)
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        written = int(response.headers["X-Export-Rows"])
        db.session.remove()
        db.engine.dispose()
    return {"database": name, "rows": written, "seconds": elapsed, "bytes": size,
            "baseline_mb": baseline, "peak_mb": peak}


def report_desk(results: list[dict]) -> None:
    print(f"\n办公端列表（省级管理员，每页 {PER_PAGE} 条，中位数 {REPEAT} 次），单位 ms")
    for r in results:
        for row in r["desk"]:
            deep = f"{row['deep']:>8.0f}" if row["deep"] is not None else f"{'—':>8}"
            worst = max(row["first"], row["deep"] or 0)
            verdict = f"  [{'达标' if worst <= TARGET_MS else '超标'} ≤{TARGET_MS} ms]" \
                if r["database"] == "postgresql" else ""
            print(f"{r['database']:<12}{row['label']:<40}{row['first']:>8.0f}{deep}  共 {row['total']}{verdict}")


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
    parser.add_argument("--desk", action="store_true", help="只测办公端列表（筛选、排序、搜索）")
    parser.add_argument("--export", type=int, nargs="?", const=100_000, metavar="N",
                        help="只测导出约 N 行检查记录的 Excel（默认 100000）的耗时与内存峰值")
    parser.add_argument("--measure", choices=("sqlite", "postgresql"), help=argparse.SUPPRESS)
    parser.add_argument("--export-rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    import stats_bench

    urls = stats_bench.database_urls(1.0)
    if args.measure:
        if args.export_rows:
            result = measure_export(args.measure, urls[args.measure], args.export_rows)
        elif args.desk:
            result = measure_desk(args.measure, urls[args.measure])
        else:
            result = measure(args.measure, urls[args.measure], args.explain)
        print(json.dumps(result))
        return 0

    def child(name: str, *extra: str) -> dict:
        run = subprocess.run([sys.executable, __file__, "--measure", name, *extra],
                             capture_output=True, text=True, check=False)
        if run.returncode != 0:
            print(run.stdout + run.stderr, file=sys.stderr)
            raise SystemExit(run.returncode)
        return json.loads(run.stdout.strip().splitlines()[-1])

    results, desk, exports = [], [], []
    for name in [args.only] if args.only else ["sqlite", "postgresql"]:
        stats_bench.prepare(name, urls[name], 1.0, False)
        if args.export:
            exports += [child(name, "--export-rows", "1000"), child(name, "--export-rows", str(args.export))]
            continue
        if not args.desk:
            results.append(child(name, *(["--explain"] if args.explain else [])))
        desk.append(child(name, "--desk"))
    if results:
        report(results)
    if desk:
        report_desk(desk)
    for r in exports:
        print(f"{r['database']:<12}导出 {r['rows']:>7} 行：{r['seconds']:.1f} s，{r['bytes'] / 1e6:.1f} MB，"
              f"进程内存峰值 {r['peak_mb']:.0f} MB（导出前 {r['baseline_mb']:.0f} MB）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
