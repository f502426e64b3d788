"""Benchmark of the statistics table on a province-scale dataset, on SQLite and PostgreSQL.

    .venv/bin/python bench/stats_bench.py [--scale 1.0] [--regenerate] [--only sqlite|postgresql]
                                          [--repeat 5]

Builds (once, then cached) the dataset of `bench/stats_dataset.py` in instance/bench/ (SQLite) and
in the PostgreSQL database `fs_bench` (next to BENCH_PG_URL / TEST_DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/), then measures in a fresh process per database:

- the province's table (`compute_table`),
- every table of the province for one period (`compute_all`, 231 nodes),
- the workbook of the province (`exports.statistics_workbook`, from a snapshot built in memory),

and beside the first two the hand-written reference SQL of `bench/stats_reference.py`, one query
per section, checking that both give the same figures. Prints the times, the ratios to the
references and the peak resident memory of the measuring process, against the targets:
province table ≤ 1 s, all nodes ≤ 2 s, each ≤ 1.5 × its reference, peak memory ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PERIOD, CUTOFF = "2026-H1", date(2026, 6, 30)
TARGETS = {"province": 1.0, "all_nodes": 2.0, "ratio": 1.5, "rss_mb": 300}
REPEAT = 5
SCAN_REPEAT = REPEAT  # the scans' and the references' runs (`--repeat`: ~20 s each at scale 33)


def _pg_base() -> str:
    return os.environ.get("BENCH_PG_URL") or os.environ.get(
        "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def database_urls(scale: float) -> dict[str, str]:
    from sqlalchemy.engine import make_url

    tag = f"{scale:g}".replace(".", "_")
    sqlite_path = ROOT / "instance" / "bench" / f"stats_{tag}.sqlite3"
    pg = make_url(_pg_base()).set(drivername="postgresql+psycopg",
                                  database="fs_bench" if scale == 1 else f"fs_bench_{tag}")
    return {"sqlite": f"sqlite:///{sqlite_path}",
            "postgresql": pg.render_as_string(hide_password=False)}


def _app(url: str):
    from config import TestConfig
    from foodsafety import create_app

    instance = ROOT / "instance" / "bench"
    instance.mkdir(parents=True, exist_ok=True)
    return create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=instance)


# --- the dataset ------------------------------------------------------------------------------

def _ensure_database(name: str, url: str, regenerate: bool) -> bool:
    """Create (or with `regenerate` recreate) an empty database; True when it must be filled."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if name == "sqlite":
        path = Path(make_url(url).database)
        path.parent.mkdir(parents=True, exist_ok=True)
        if regenerate:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return regenerate or not path.exists()
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                             {"n": target.database})
        if exists and regenerate:
            conn.execute(text(f'DROP DATABASE "{target.database}" WITH (FORCE)'))
        if not exists or regenerate:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    return regenerate or not exists


def prepare(name: str, url: str, scale: float, regenerate: bool) -> None:
    """Bring the schema up to date (migrations) and generate the data if the database is new."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from foodsafety.extensions import db
    from foodsafety.statistics import summaries, summary_rebuild

    fresh = _ensure_database(name, url, regenerate)
    app = _app(url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        loaded = db.session.scalar(text("SELECT COUNT(*) FROM inspections"))
        if fresh or not loaded:
            import stats_dataset

            from foodsafety.registry.divisions import load_divisions

            print(f"[{name}] 生成数据集（规模 {scale:g}）……", flush=True)
            started = time.perf_counter()
            load_divisions(stats_dataset.divisions())
            db.session.commit()
            with db.engine.begin() as conn:
                tables = db.metadata.tables
                stats_dataset.generate(conn, tables, scale,
                                       say=lambda s: print(f"[{name}]{s}", flush=True))
            # The generator writes around the write path: the summaries (built, empty, on a new
            # database) are stale until rebuilt below, also if this run stops before that.
            summaries.set_state(db.session, False, "基准数据集已生成，统计汇总待重建")
            db.session.commit()
            with db.engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                # VACUUM too: a live database's autovacuum keeps the visibility map set, which
                # lets index-only scans skip the table; freshly copied rows have none yet.
                conn.execute(text("VACUUM ANALYZE" if name == "postgresql" else "ANALYZE"))
            print(f"[{name}] 数据集生成用时 {time.perf_counter() - started:.1f} 秒", flush=True)
        else:
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        # The generator writes around the write path: its summaries are built here, timed.
        if fresh or not loaded or not summaries.is_built(db.session):
            started = time.perf_counter()
            units = summary_rebuild.rebuild(db.session)
            db.session.commit()
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
            print(f"[{name}] 重建统计汇总（{units} 个单位）用时 {time.perf_counter() - started:.1f} 秒",
                  flush=True)
        db.session.remove()
        db.engine.dispose()


# --- measuring (in a fresh process per database) ----------------------------------------------

CPU: dict[str, float] = {}  # CPU seconds of this process per measurement (median)


def _timed(fn, repeat: int = REPEAT, name: str = "") -> tuple[float, object]:
    """Median wall time of `repeat` runs after one warm-up; returns (seconds, last result).

    Also keeps the median CPU time of this process under `name`: on SQLite that is the query
    work itself, which a busy machine does not inflate the way it inflates wall time."""
    result = fn()
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    if name:
        CPU[name] = statistics.median(cpu)
    return statistics.median(times), result


def _reference(conn, root: str, subtree: bool) -> dict[str, dict[str, int]]:
    import stats_reference

    from foodsafety.periods import parse_period

    period = parse_period(PERIOD)
    merged: dict[str, dict[str, int]] = {}
    for section in stats_reference.SECTIONS:
        for code, figures in stats_reference.run_section(conn, section, root, period.start,
                                                          CUTOFF, subtree).items():
            merged.setdefault(code, {}).update(figures)
    return merged


def _agrees(ours: dict, reference: dict[str, dict[str, int]]) -> list[str]:
    """Differences between the application's figures and the reference's."""
    problems = []
    for code, figures in reference.items():
        values = ours[code].values
        for key, value in figures.items():
            mine = (int(values["D4"] * 100) if key == "D4_CENTS" else int(values[key]))
            if mine != value:
                problems.append(f"{code} {key}: 应用 {mine} ≠ 参考 {value}")
    return problems


def measure(name: str, url: str) -> dict:
    """Run every measurement on one database; returns the figures as a dict."""
    from foodsafety.extensions import db
    from foodsafety.periods import parse_period
    from foodsafety.statistics import compute, snapshots
    from foodsafety.statistics.workbook import report_from_snapshot

    app = _app(url)
    app.config["STATS_CACHE_ENTRIES"] = 0  # the computation itself (bench/stats_cache_bench.py: the cache)
    period = parse_period(PERIOD)
    out: dict = {"database": name}
    with app.app_context():
        out["summaries"] = summarised(app, period)
        app.config["STATS_SUMMARIES"] = False  # below: the scan of the records, as before
        out["province_s"], table = _timed(
            lambda: compute.compute_table("990000", period, CUTOFF), SCAN_REPEAT, "province")
        out["all_nodes_s"], tables = _timed(
            lambda: compute.compute_all("990000", period, CUTOFF), SCAN_REPEAT, "all_nodes")
        out["nodes"] = len(tables)
        with db.engine.connect() as conn:
            out["province_ref_s"], ref_one = _timed(lambda: _reference(conn, "990000", False),
                                                    SCAN_REPEAT, "province_ref")
            out["all_nodes_ref_s"], ref_all = _timed(lambda: _reference(conn, "990000", True),
                                                     SCAN_REPEAT, "all_nodes_ref")
        out["mismatches"] = _agrees({"990000": table}, ref_one) + _agrees(tables, ref_all)
        out["figures"] = {code: str(table.display(code)) for code in
                          ("A1", "A2", "B1", "B2", "B4", "C1", "C10", "D1", "D2", "D3", "D4",
                           "D5", "D6", "D7", "D8")}
        out["issues"] = len(table.issues)
        from exports.statistics_workbook import workbook_bytes as build

        # The workbook, built as the download route builds it.
        started = time.perf_counter()
        snapshot = snapshots.build_snapshot("990000", PERIOD, CUTOFF, kind="draft")
        document = report_from_snapshot(snapshot)
        out["snapshot_s"] = time.perf_counter() - started
        db.session.rollback()
        out["workbook_s"], data = _timed(lambda: build(document), repeat=3)
        out["workbook_kb"] = len(data) // 1024
        db.session.remove()
        db.engine.dispose()
    out["cpu"] = dict(CPU)
    out["load"] = os.getloadavg()[0]
    out["rss_mb"] = peak_rss_mb()
    return out


def summarised(app, period) -> dict:
    """The same tables read from the summaries, each beside the scan of the records in this run:
    the root (national at scale 33), a city, a county, every node, and the root's workbook."""
    from sqlalchemy import select

    from exports.statistics_workbook import workbook_bytes as build
    from foodsafety.extensions import db
    from foodsafety.registry.models import Jurisdiction
    from foodsafety.statistics import compute, snapshots
    from foodsafety.statistics.workbook import report_from_snapshot

    city = db.session.scalar(select(Jurisdiction.code).where(Jurisdiction.parent_code == "990000")
                             .order_by(Jurisdiction.code).limit(1))
    county = db.session.scalar(select(Jurisdiction.code).where(Jurisdiction.parent_code == city)
                               .order_by(Jurisdiction.code).limit(1))
    out: dict = {"city": city, "county": county}
    tables: dict[str, dict] = {}
    for mode in ("summaries", "scan"):
        app.config["STATS_SUMMARIES"] = mode == "summaries"
        repeat = REPEAT if mode == "summaries" else SCAN_REPEAT
        figures = {}
        for label, code in (("root", "990000"), ("city", city), ("county", county)):
            out[f"{label}_{mode}_s"], table = _timed(
                lambda code=code: compute.compute_table(code, period, CUTOFF), repeat=repeat)
            figures[code] = table.values
        out[f"all_{mode}_s"], every = _timed(
            lambda: compute.compute_all("990000", period, CUTOFF), repeat=min(3, repeat))
        figures.update({code: t.values for code, t in every.items()})
        tables[mode] = figures

        def workbook():
            snapshot = snapshots.build_snapshot("990000", PERIOD, CUTOFF, kind="draft")
            data = build(report_from_snapshot(snapshot))
            db.session.rollback()
            return data

        out[f"workbook_{mode}_s"], _ = _timed(workbook, repeat=min(3, repeat))
    out["agree"] = tables["summaries"] == tables["scan"]
    app.config["STATS_SUMMARIES"] = True
    return out


# --- the report -------------------------------------------------------------------------------

def peak_rss_mb() -> float:
    """This process's own peak resident memory. Not getrusage's ru_maxrss: Linux keeps that high-water
    mark across fork and exec, so a measuring process started by the one that generated the dataset
    reported the generator's peak (6.85 GB at scale 33). VmHWM belongs to the process's own memory
    map, which exec replaces."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _check(value: float, limit: float) -> str:
    return "达标" if value <= limit else "超标"


def report(results: list[dict]) -> None:
    print()
    print(f"统计期间 {PERIOD}，截止 {CUTOFF}，省级区划 990000（中位数：汇总读取 {REPEAT} 次，"
          f"扫描与参考 SQL {SCAN_REPEAT} 次）")
    for r in results:
        ratio_one = r["province_s"] / r["province_ref_s"]
        ratio_all = r["all_nodes_s"] / r["all_nodes_ref_s"]
        print(f"\n== {r['database']} ==（测量时系统负载 {r['load']:.1f}，{os.cpu_count()} 核）")
        print(f"  全省统计表        {r['province_s'] * 1000:8.0f} ms  参考 SQL "
              f"{r['province_ref_s'] * 1000:6.0f} ms  比值 {ratio_one:4.2f}  "
              f"[{_check(r['province_s'], TARGETS['province'])} ≤1 s，"
              f"{_check(ratio_one, TARGETS['ratio'])} ≤1.5×]")
        print(f"  全部 {r['nodes']} 个区划    {r['all_nodes_s'] * 1000:8.0f} ms  参考 SQL "
              f"{r['all_nodes_ref_s'] * 1000:6.0f} ms  比值 {ratio_all:4.2f}  "
              f"[{_check(r['all_nodes_s'], TARGETS['all_nodes'])} ≤2 s，"
              f"{_check(ratio_all, TARGETS['ratio'])} ≤1.5×]")
        if r["database"] == "sqlite":
            cpu = r["cpu"]
            print(f"  其中本进程 CPU：全省 {cpu['province'] * 1000:.0f} ms（参考 "
                  f"{cpu['province_ref'] * 1000:.0f} ms），全部区划 {cpu['all_nodes'] * 1000:.0f} ms"
                  f"（参考 {cpu['all_nodes_ref'] * 1000:.0f} ms）")
        if "workbook_s" in r:
            print(f"  工作簿            {r['workbook_s'] * 1000:8.0f} ms  "
                  f"（{r['workbook_kb']} KB；生成快照 {r['snapshot_s'] * 1000:.0f} ms）")
        m = r["summaries"]
        print("  —— 从统计汇总读取（同一次运行中与扫描原始记录对比）——")
        for label, name, limit in (("全国/根节点", "root", 1.0), ("市级", "city", 0.2),
                                   ("县级", "county", 0.05), ("全部区划", "all", 5.0),
                                   ("根节点工作簿", "workbook", 3.0)):
            fast, slow = m[f"{name}_summaries_s"], m[f"{name}_scan_s"]
            print(f"  {label:<10}{fast * 1000:8.0f} ms  扫描 {slow * 1000:7.0f} ms  "
                  f"快 {slow / fast:5.1f} 倍  [{_check(fast, limit)} ≤{limit * 1000:.0f} ms]")
        print(f"  汇总与扫描结果一致： {'是' if m['agree'] else '否'}")
        print(f"  峰值内存          {r['rss_mb']:8.0f} MB  [{_check(r['rss_mb'], TARGETS['rss_mb'])} "
              f"≤300 MB]")
        print(f"  与参考 SQL 一致： {'是' if not r['mismatches'] else '否'}")
        for problem in r["mismatches"][:10]:
            print(f"    {problem}")
        print("  全省部分数据：" + "，".join(f"{k}={v}" for k, v in r["figures"].items()))


def main() -> int:
    parser = argparse.ArgumentParser(description="统计报表基准测试（SQLite 与 PostgreSQL）")
    parser.add_argument("--scale", type=float, default=1.0, help="数据规模倍数，默认 1.0")
    parser.add_argument("--regenerate", action="store_true", help="重新生成缓存的数据集")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="只测一种数据库")
    parser.add_argument("--repeat", type=int, default=REPEAT,
                        help="扫描原始记录与参考查询各计时几次（取中位数），默认 5；汇总读取总是 5 次")
    parser.add_argument("--measure", choices=("sqlite", "postgresql"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    global SCAN_REPEAT
    SCAN_REPEAT = args.repeat
    urls = database_urls(args.scale)
    if args.measure:
        print(json.dumps(measure(args.measure, urls[args.measure]), ensure_ascii=False,
                         default=lambda v: str(v) if isinstance(v, Decimal) else v))
        return 0
    names = [args.only] if args.only else ["sqlite", "postgresql"]
    results = []
    for name in names:
        prepare(name, urls[name], args.scale, args.regenerate)
        run = subprocess.run([sys.executable, __file__, "--scale", str(args.scale),
                              "--repeat", str(args.repeat), "--measure", name],
                             capture_output=True, text=True, check=False)
        if run.returncode != 0:
            print(run.stdout + run.stderr, file=sys.stderr)
            return run.returncode
        results.append(json.loads(run.stdout.strip().splitlines()[-1]))
    report(results)
    failed = any(r["mismatches"] or not r["summaries"]["agree"] for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
