"""One account fires 48 statistics requests at once at a real gunicorn (2 workers × 4 threads) on
the province-scale dataset; meanwhile another user asks `/api/v1/auth/me` every 100 ms.

    .venv/bin/python bench/stats_load_bench.py [--only sqlite|postgresql] [--burst 48]

Serves the statistics benchmark's dataset (`bench/stats_bench.py` builds and caches it: SQLite
file and PostgreSQL database `fs_bench`) with gunicorn as in production, twice per database:

- before: the cache off and no per-account limit (`STATS_CACHE_ENTRIES=0`,
  `EXPENSIVE_REQUESTS_PER_ACCOUNT=0`) — every request computes its table;
- after: the defaults (cache on, at most 2 expensive requests per account at once).

and two bursts each: 48 requests for the same province table (what the cache absorbs), then 48
province tables with 48 different cutoffs (the cache cannot help: only the limit does). Prints,
per burst, the other user's `/auth/me` latency (median, 95th percentile, worst), how the burst
was answered (200 / 429) and how long it took, and whether a third account's own table request
during the burst was served.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load_server import Server  # noqa: E402

TABLE = "/api/v1/statistics/990000/2026-H1"
POLL_SECONDS = 0.1


class Served:
    """What `load_server.Server` needs: an environment and a directory for the log."""

    def __init__(self, database_url: str, overrides: dict[str, str]) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="fs_statsload_"))
        self.database_url, self.overrides = database_url, overrides

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FOODSAFETY_", "DATABASE_"))}
        env.update(FOODSAFETY_ENV="production", SECRET_KEY=secrets.token_urlsafe(32),
                   DATABASE_URL=self.database_url, FOODSAFETY_INSTANCE_DIR=str(self.root),
                   SESSION_COOKIE_SECURE="0", PYTHONUNBUFFERED="1", **self.overrides)
        return env


def tokens(url: str) -> dict[str, str]:
    """Bearer tokens of three province bureau accounts (created once in the bench database)."""
    from sqlalchemy import select
    from stats_bench import _app

    from foodsafety.accounts.auth import open_session
    from foodsafety.accounts.models import Role, User
    from foodsafety.extensions import db

    app = _app(url)
    out = {}
    with app.app_context():
        for name in ("busy", "other", "third"):
            username = f"bench-load-{name}"
            user = db.session.scalar(select(User).where(User.username == username))
            if user is None:
                user = User(username=username, display_name=f"压测{name}", password_hash="x",
                            role=Role.BUREAU, jurisdiction_code="990000")
                db.session.add(user)
                db.session.flush()
            out[name] = open_session(user)[0]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return out


def get(port: int, path: str, token: str, timeout: float = 300) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    except OSError:
        return 0, time.perf_counter() - started
    finally:
        conn.close()


def burst(port: int, tokens_: dict[str, str], paths: list[str]) -> dict:
    """Fire `paths` at once as the busy account; poll /auth/me as another one meanwhile."""
    statuses: list[int] = []
    me: list[float] = []
    done = threading.Event()
    third: list[int] = []

    def poll() -> None:
        while not done.is_set():
            status, elapsed = get(port, "/api/v1/auth/me", tokens_["other"])
            me.append(elapsed)
            time.sleep(POLL_SECONDS)

    def fire(path: str) -> None:
        statuses.append(get(port, path, tokens_["busy"])[0])

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(1)  # a baseline before the burst
    started = time.perf_counter()
    threads = [threading.Thread(target=fire, args=(path,)) for path in paths]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    third.append(get(port, TABLE + "?cutoff=2026-06-29", tokens_["third"])[0])
    for thread in threads:
        thread.join()
    took = time.perf_counter() - started
    done.set()
    poller.join()
    ordered = sorted(me)
    return {"me_p50": statistics.median(me) * 1000,
            "me_p95": ordered[int(len(ordered) * 0.95) - 1] * 1000 if len(ordered) > 1 else 0,
            "me_max": ordered[-1] * 1000, "me_n": len(me),
            "ok": statuses.count(200), "refused": statuses.count(429),
            "other": len(statuses) - statuses.count(200) - statuses.count(429),
            "seconds": took, "third": third[0]}


def run(name: str, url: str, size: int) -> list[dict]:
    import stats_bench

    stats_bench.prepare(name, url, 1.0, False)
    tokens_ = tokens(url)
    cutoffs = [date(2026, 6, 30) - timedelta(days=i) for i in range(size)]
    rows = []
    for phase, overrides in (("before", {"STATS_CACHE_ENTRIES": "0",
                                         "EXPENSIVE_REQUESTS_PER_ACCOUNT": "0"}),
                             ("after", {})):
        served = Served(url, overrides)
        server = Server(served, workers=2, threads=4)
        try:
            server.start(timeout=120)
            get(server.port, "/api/v1/auth/me", tokens_["other"])
            for kind, paths in (("same", [TABLE] * size),
                                ("distinct", [f"{TABLE}?cutoff={c}" for c in cutoffs])):
                rows.append({"database": name, "phase": phase, "burst": kind,
                             **burst(server.port, tokens_, paths)})
                print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
                time.sleep(2)
        finally:
            server.stop()
            shutil.rmtree(served.root, ignore_errors=True)
    return rows


def report(rows: list[dict], size: int) -> None:
    print(f"\n一个账户同时发出 {size} 个全省统计表请求（gunicorn 2 进程 × 4 线程），"
          f"另一用户每 {POLL_SECONDS * 1000:.0f} ms 请求一次 /api/v1/auth/me")
    print(f"{'数据库':<12}{'阶段':<8}{'请求':<10}{'/auth/me 中位':>12}{'p95':>8}{'最慢':>8}"
          f"{'   200/429/其他':<16}{'用时 s':>8}  第三个账户")
    labels = {"same": "同一张表", "distinct": "48个截止日", "before": "之前", "after": "之后"}
    for r in rows:
        print(f"{r['database']:<14}{labels[r['phase']]:<8}{labels[r['burst']]:<10}"
              f"{r['me_p50']:>10.0f}ms{r['me_p95']:>6.0f}ms{r['me_max']:>6.0f}ms   "
              f"{r['ok']}/{r['refused']}/{r['other']:<10}{r['seconds']:>8.1f}  {r['third']}")


def main() -> int:
    parser = argparse.ArgumentParser(description="统计请求突发压测：每账户并发上限与缓存的效果")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--burst", type=int, default=48)
    args = parser.parse_args()
    import stats_bench

    urls = stats_bench.database_urls(1.0)
    rows = []
    for name in [args.only] if args.only else ["sqlite", "postgresql"]:
        rows += run(name, urls[name], args.burst)
    report(rows, args.burst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
