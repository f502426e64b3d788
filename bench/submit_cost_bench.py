"""What the statistics' write-path work costs an inspection submission, on both databases.

    .venv/bin/python bench/submit_cost_bench.py [--only sqlite|postgresql] [--threads 6]
                                                [--feature summaries|versions]

`--feature summaries` (the default): before it commits, a submitting transaction recomputes the
unit's figures and adds the difference to `stats_summaries` (`foodsafety/statistics/summaries.py`).
`--feature versions`: it adds one to a counter row of `stats_data_versions` (a random one of 16
shards of its half-year; `foodsafety/statistics/versions.py`).
This submits complete inspections through the whole application (test client, one inspector
session per thread, all in one county), `--threads` at a time, in rounds that alternate the
feature off and on (every answer must be 201), and prints the median latency, the 95th
percentile, the throughput and the SQL statements per submission of each, side by side. A
throwaway database of its own (SQLite file; PostgreSQL `fs_submitbench_<pid>`, dropped after).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PER_THREAD, ROUNDS = 20, 3
DIVISIONS = [("510000", "四川省"), ("510100", "成都市"), ("510104", "锦江区")]


def _database(name: str) -> tuple[str, callable]:
    from sqlalchemy import create_engine, text

    if name == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="fs_submitbench_")) / "bench.sqlite3"
        return f"sqlite:///{path}", lambda: None
    base = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    db_name = f"fs_submitbench_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()

    return base.rsplit("/", 1)[0] + "/" + db_name, drop


def _doc(unit_id: int, kind: str, when: datetime) -> dict:
    from forms import forms

    definition = forms.for_unit(kind, None)  # the checklist in force (catering for periphery)
    return {"id": str(uuid.uuid4()), "unit_id": unit_id, "form_id": definition.id,
            "form_version": definition.version, "started_at": when.isoformat(),
            "inspectors": [{"name": "张三", "badge_no": "51010400001"},
                           {"name": "李四", "badge_no": "51010400002"}],
            "answers": [{"item": code, "answer": "yes"} for code in definition.items],
            "observed": {"wuchang_6t": True, "haccp": "none", "mingchu": ["transparent"],
                         "licence_displayed": True},
            "extra_findings": [], "handling": "pass"}


def measure(name: str, threads: int, feature: str) -> dict:
    from sqlalchemy import event, func, select
    from sqlalchemy.orm import Session

    from config import TestConfig
    from foodsafety import create_app
    from foodsafety.accounts.auth import open_session
    from foodsafety.accounts.models import Role, User
    from foodsafety.extensions import db
    from foodsafety.registry.divisions import load_divisions
    from foodsafety.registry.identifiers import iso7064_mod11_10
    from foodsafety.registry.models import OperationMode, School, SchoolStage, Unit, UnitKind
    from foodsafety.statistics import versions
    from foodsafety.statistics.models import StatsDataVersion

    url, drop = _database(name)
    instance = Path(tempfile.mkdtemp(prefix="fs_submitbench_"))
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=instance)
    listeners = [("after_flush", versions._collect), ("do_orm_execute", versions._collect_bulk),
                 ("before_commit", versions._bump_on_commit),
                 ("after_transaction_end", versions._forget)]
    out: dict = {"database": name, "threads": threads, "feature": feature}
    statements = {"n": 0}
    lock = threading.Lock()

    def count(*_args) -> None:
        with lock:
            statements["n"] += 1

    def switch(mode: str) -> None:
        if feature == "summaries":
            app.extensions["stats_summaries"] = mode == "on"
            return
        for event_name, fn in listeners:
            if mode == "off":
                event.remove(Session, event_name, fn)
            elif not event.contains(Session, event_name, fn):
                event.listen(Session, event_name, fn)

    try:
        with app.app_context():
            db.create_all()
            load_divisions(DIVISIONS)
            units = []
            for i in range(40):
                school = School(name=f"测试学校{i}", stage=SchoolStage.PRIMARY,
                                jurisdiction_code="510104")
                db.session.add(school)
                db.session.flush()
                body = f"3510104{i:06d}"
                units.append(Unit(kind=UnitKind.CANTEEN, name=f"测试食堂{i}",
                                  jurisdiction_code="510104", school_id=school.id,
                                  operation_mode=OperationMode.SELF_RUN,
                                  licence_no=f"JY{body}{iso7064_mod11_10(body)}",
                                  licence_issued_on=date(2024, 1, 1),
                                  licence_expires_on=date(2029, 12, 31)))
            db.session.add_all(units)
            users = [User(username=f"bench{i}", display_name="检查员", password_hash="x",
                          role=Role.INSPECTOR, jurisdiction_code="510104") for i in range(threads)]
            db.session.add_all(users)
            db.session.flush()
            tokens = [open_session(user)[0] for user in users]
            unit_ids = [unit.id for unit in units]
            db.session.commit()
            event.listen(db.engine, "before_cursor_execute", count)

            def one_round() -> tuple[list[float], float]:
                latencies: list[float] = []
                start = threading.Barrier(threads)

                def phone(t: int) -> None:
                    client = app.test_client()
                    headers = {"Authorization": f"Bearer {tokens[t]}"}
                    start.wait()
                    for n in range(PER_THREAD):
                        when = datetime.now(UTC) - timedelta(minutes=5)
                        doc = _doc(unit_ids[(t * PER_THREAD + n) % len(unit_ids)], "canteen", when)
                        began = time.perf_counter()
                        status = client.post("/api/v1/inspections", json=doc,
                                             headers=headers).status_code
                        latencies.append(time.perf_counter() - began)
                        statuses[status] = statuses.get(status, 0) + 1

                workers = [threading.Thread(target=phone, args=(t,)) for t in range(threads)]
                began = time.perf_counter()
                for worker in workers:
                    worker.start()
                for worker in workers:
                    worker.join()
                return latencies, time.perf_counter() - began

            statuses: dict[int, int] = {}
            results: dict[str, list] = {"off": [], "on": []}
            walls: dict[str, float] = {"off": 0.0, "on": 0.0}
            counted_statements = {"off": 0, "on": 0}
            for _ in range(ROUNDS):
                for mode in ("off", "on"):
                    switch(mode)
                    before = statements["n"]
                    latencies, wall = one_round()
                    counted_statements[mode] += statements["n"] - before
                    results[mode] += latencies
                    walls[mode] += wall
            for mode, latencies in results.items():
                ordered = sorted(latencies)
                out[f"{mode}_p50"] = statistics.median(ordered) * 1000
                out[f"{mode}_p95"] = ordered[int(len(ordered) * 0.95) - 1] * 1000
                out[f"{mode}_rate"] = len(ordered) / walls[mode]
                out[f"{mode}_n"] = len(ordered)
                out[f"{mode}_statements"] = counted_statements[mode] / len(ordered)
            out["statuses"] = statuses
            counted = db.session.execute(select(func.count(), func.sum(StatsDataVersion.changes))).one()
            out["version_rows"], out["version_sum"] = counted[0], int(counted[1] or 0)
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
    return out


def report(results: list[dict]) -> None:
    feature = {"summaries": "统计汇总", "versions": "版本计数"}[results[0]["feature"]]
    print(f"\n并发提交检查记录（{results[0]['threads']} 个线程，同一个区县），{feature}关/开交替 {ROUNDS} 轮")
    print(f"{'数据库':<12}{'开关':<6}{'中位 ms':>10}{'p95 ms':>10}{'每秒提交':>10}{'条数':>8}"
          f"{'每次语句':>10}")
    for r in results:
        assert set(r["statuses"]) == {"201"}, r["statuses"]
        for mode, label in (("off", "关"), ("on", "开")):
            print(f"{r['database']:<14}{label:<6}{r[f'{mode}_p50']:>10.1f}{r[f'{mode}_p95']:>10.1f}"
                  f"{r[f'{mode}_rate']:>12.1f}{r[f'{mode}_n']:>8}{r[f'{mode}_statements']:>12.1f}")
        print(f"{'':<14}比值（开/关）：中位 {r['on_p50'] / r['off_p50']:.2f}，吞吐 "
              f"{r['on_rate'] / r['off_rate']:.2f}；计数行 {r['version_rows']} 行，合计 {r['version_sum']}")


def main() -> int:
    parser = argparse.ArgumentParser(description="统计数据版本计数对提交检查的开销")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--feature", choices=("summaries", "versions"), default="summaries")
    parser.add_argument("--measure", choices=("sqlite", "postgresql"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.threads, args.feature)))
        return 0
    results = []
    for name in [args.only] if args.only else ["sqlite", "postgresql"]:
        run = subprocess.run([sys.executable, __file__, "--measure", name, "--threads",
                              str(args.threads), "--feature", args.feature],
                             capture_output=True, text=True, check=False)
        if run.returncode != 0:
            print(run.stdout + run.stderr, file=sys.stderr)
            return run.returncode
        results.append(json.loads(run.stdout.strip().splitlines()[-1]))
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
