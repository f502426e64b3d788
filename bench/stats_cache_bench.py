"""The statistics requests at province scale with and without the table cache, on both databases.

    .venv/bin/python bench/stats_cache_bench.py [--only sqlite|postgresql]

Uses the statistics benchmark's dataset (`bench/stats_bench.py` builds and caches it) and sends,
through the whole application (test client, bearer session of a province bureau account):

- the live table of the province for 2026-H1 (a past period, the worst node: 990000),
- its breakdown (20 cities plus the total),
- the trend chart `/stats/chart.svg` (six half-year tables),

each timed three ways: before (`STATS_CACHE_ENTRIES=0`: computed on every request, as until now),
cold (the first request after the cache was emptied: computed once and kept) and warm (the
same request again: a data-version probe and a copy of the kept result). Then one inspection
dated today is written through the ORM, and the past period's table is asked for again: it must
stay warm (today's write is in another half-year), and the current half-year's is recomputed.
Median of 5 (cold: of 3, the cache emptied before each), in milliseconds.
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

REQUESTS = {
    "table": "/api/v1/statistics/990000/2026-H1",
    "breakdown": "/api/v1/statistics/990000/2026-H1/breakdown",
    "chart": "/stats/chart.svg?jurisdiction=990000&period=2026-H1",
}
REPEAT = 5


def _ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def measure(name: str, url: str) -> dict:
    from datetime import datetime

    from sqlalchemy import delete, select
    from stats_bench import _app

    from foodsafety.accounts.auth import open_session
    from foodsafety.accounts.models import Role, User
    from foodsafety.extensions import db
    from foodsafety.inspections.models import Inspection
    from foodsafety.statistics.cache import table_cache
    from foodsafety.timeutil import today_cst, utcnow

    app = _app(url)
    out: dict = {"database": name}
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "bench-bureau"))
        if user is None:
            user = User(username="bench-bureau", display_name="基准测试（局）", password_hash="x",
                        role=Role.BUREAU, jurisdiction_code="990000")
            db.session.add(user)
            db.session.flush()
        token, _ = open_session(user)
        db.session.commit()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}

        def get(path: str) -> float:
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, (path, response.status_code, response.data[:300])
            return elapsed

        for key, path in REQUESTS.items():
            app.config["STATS_CACHE_ENTRIES"] = 0
            get(path)
            out[f"{key}_before"] = _ms([get(path) for _ in range(REPEAT)])
            app.config["STATS_CACHE_ENTRIES"] = 256
            cold = []
            for _ in range(3):
                table_cache().clear()
                cold.append(get(path))
            out[f"{key}_cold"] = _ms(cold)
            out[f"{key}_warm"] = _ms([get(path) for _ in range(REPEAT)])

        # A write dated today: the past period's table stays cached, the current one is recomputed.
        half = f"{today_cst().year}-H{1 if today_cst().month <= 6 else 2}"
        current = f"/api/v1/statistics/990000/{half}"
        get(current)
        template = db.session.scalar(select(Inspection).where(Inspection.deleted_at.is_(None))
                                     .order_by(Inspection.id).limit(1))
        now = utcnow()
        written = Inspection(
            uuid=f"bench-{now.timestamp()}", unit_id=template.unit_id,
            jurisdiction_code=template.jurisdiction_code, unit_kind=template.unit_kind,
            form_id=template.form_id, form_version=template.form_version, started_at=now,
            inspected_on=today_cst(), inspectors=template.inspectors, result=template.result,
            handling=template.handling, items_checked=30, key_items_checked=8,
            key_items_failed=0, general_pass_rate=90, problems_found=0,
            obs_wuchang_6t=True, obs_haccp=template.obs_haccp, obs_mc_transparent=True,
            obs_mc_video=False, obs_mc_internet=False, body_hash="0" * 64,
            created_by_id=template.created_by_id, created_at=now, updated_at=now)
        db.session.add(written)
        db.session.commit()
        started_hits = table_cache().hits
        out["past_after_write"] = _ms([get(REQUESTS["table"]) for _ in range(REPEAT)])
        out["past_stayed_cached"] = table_cache().hits - started_hits == REPEAT
        out["current_after_write"] = get(current) * 1000
        db.session.execute(delete(Inspection).where(Inspection.id == written.id))
        db.session.commit()
        out["when"] = datetime.now().isoformat(timespec="seconds")
        db.session.remove()
        db.engine.dispose()
    return out


def report(results: list[dict]) -> None:
    print("\n省级（990000）2026年上半年，经完整请求路径（测试客户端），单位 ms，中位数")
    print(f"{'数据库':<12}{'请求':<10}{'之前（无缓存）':>14}{'冷缓存':>10}{'热缓存':>10}")
    for r in results:
        for key, label in (("table", "统计表"), ("breakdown", "分地区"), ("chart", "趋势图")):
            print(f"{r['database']:<14}{label:<10}{r[f'{key}_before']:>12.0f}{r[f'{key}_cold']:>12.0f}"
                  f"{r[f'{key}_warm']:>10.1f}")
        print(f"{'':<14}今天写入一条检查后：上半年统计表 {r['past_after_write']:.1f} ms"
              f"（{'仍命中缓存' if r['past_stayed_cached'] else '未命中缓存'}），"
              f"本半年统计表重新计算 {r['current_after_write']:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description="统计表缓存基准测试")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--measure", choices=("sqlite", "postgresql"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    import stats_bench

    urls = stats_bench.database_urls(1.0)
    if args.measure:
        print(json.dumps(measure(args.measure, urls[args.measure])))
        return 0
    results = []
    for name in [args.only] if args.only else ["sqlite", "postgresql"]:
        stats_bench.prepare(name, urls[name], 1.0, False)
        run = subprocess.run([sys.executable, __file__, "--measure", name],
                             capture_output=True, text=True, check=False)
        if run.returncode != 0:
            print(run.stdout + run.stderr, file=sys.stderr)
            return run.returncode
        results.append(json.loads(run.stdout.strip().splitlines()[-1]))
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
