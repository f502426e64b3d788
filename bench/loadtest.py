"""Load and fault test: simulated phones submit full inspections to gunicorn, then we count.

    .venv/bin/python bench/loadtest.py --db postgresql --phones 200 --seconds 60
    .venv/bin/python bench/loadtest.py --db postgresql --phones 200 --seconds 40 --kill
    .venv/bin/python bench/loadtest.py --db sqlite --phones 50 --seconds 20

Prepares a throwaway database (PostgreSQL: `fs_load_<pid>` on 127.0.0.1:5432, dropped after;
SQLite: a temporary file), migrates it with `flask db upgrade`, seeds a county with units and
one inspector per phone (sessions opened directly: no 200 scrypt logins), and starts
`gunicorn -w 4 --threads 4` on a free loopback port. First the bare `GET /healthz` is hammered
by as many connections as there are phones (the server's ceiling), then each phone submits
inspections like the mobile outbox does: photos (multipart) and then the document, re-sent on
503 or a dropped connection, sometimes re-sent on purpose after a 2xx (expecting 200).
With `--kill` the whole gunicorn process group gets SIGKILL after `--kill-after` seconds and
is restarted; the phones carry on.

Afterwards the database is checked: every 2xx stored exactly once, nothing half-written, no
photo row without its files and no file without its row. Prints p50/p99 latency, throughput,
the bare endpoint's throughput and their ratio, and one line:

    SUMMARY ok=N 5xx=N lost: N duplicated: N half_written=N ... -> PASS|FAIL

Exits 1 if anything was lost, duplicated or half-written, or a 5xx (or a dropped connection)
happened outside the kill window. Everything is bounded: the phones stop at the deadline (what
is in flight may retry for `--grace` more seconds) and a watchdog ends the run regardless.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_phones import Clock, Phone, Tally, hammer, make_photos, percentile  # noqa: E402
from load_server import Instance, Server, seed  # noqa: E402
from load_verify import verify  # noqa: E402

SUBMITS = {"inspection", "retry"}
WRITES = {"inspection", "retry", "photo", "photo-retry"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load phase")
    parser.add_argument("--bare-seconds", type=float, default=8.0,
                        help="length of the bare /healthz phase before it")
    parser.add_argument("--kill", action="store_true", help="kill -9 gunicorn mid-run, restart")
    parser.add_argument("--kill-after", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--photo-share", type=float, default=0.3,
                        help="share of inspections that upload 1-2 photos first")
    parser.add_argument("--retry-share", type=float, default=0.15,
                        help="share of acknowledged requests sent again on purpose")
    parser.add_argument("--grace", type=float, default=20.0,
                        help="seconds an in-flight submission may keep retrying after the end")
    parser.add_argument("--sqlite-begin", choices=("default", "immediate"), default="default",
                        help="immediate: BEGIN IMMEDIATE in write requests (bench/load_sqlite_immediate.py)")
    parser.add_argument("--summaries", choices=("on", "off"), default="on",
                        help="off: the statistics' summaries not maintained, the baseline of what they "
                             "cost (bench/load_no_summaries.py)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if not (1 <= args.phones <= 1000 and 1 <= args.seconds <= 600 and args.bare_seconds <= 60):
        parser.error("phones 1..1000, seconds 1..600, bare-seconds <= 60")
    if args.summaries == "off" and args.sqlite_begin == "immediate":
        parser.error("--summaries off and --sqlite-begin immediate each take gunicorn's config file")
    if args.kill and args.kill_after >= args.seconds:
        parser.error("--kill-after must fall inside --seconds")
    return args


def _forms() -> dict:
    from forms import forms

    return {kind: {"id": d.id, "version": d.version, "items": list(d.items)}
            for kind in ("canteen", "supplier", "periphery") for d in [forms.for_unit(kind, None)]}


def _run_threads(targets: list, limit: float) -> None:
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    stop = time.monotonic() + limit
    for thread in threads:
        thread.join(timeout=max(0.1, stop - time.monotonic()))


def _rate(tally: Tally, kinds: set[str], ok_only: bool = True) -> tuple[int, list[float]]:
    hits = [o for o in tally.outcomes if o.kind in kinds and (200 <= o.status < 300 or not ok_only)]
    return len(hits), [o.seconds for o in hits]


def _ms(value: float) -> str:
    return f"{value * 1000:.0f} ms"


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    instance = Instance(args.db)
    immediate = args.db == "sqlite" and args.sqlite_begin == "immediate"
    config = ("load_sqlite_immediate.py" if immediate
              else "load_no_summaries.py" if args.summaries == "off" else None)
    server = Server(instance, args.workers, args.threads,
                    config=Path(__file__).with_name(config) if config else None)
    watchdog = threading.Timer(args.bare_seconds + args.seconds + args.grace + 300
                               + (180 if args.kill else 0),
                               lambda: os.kill(os.getpid(), signal.SIGTERM))
    watchdog.daemon = True
    failed = True
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        watchdog.start()
        kill = f", kill -9 after {args.kill_after:.0f} s" if args.kill else ""
        print(f"== load test: {args.db}, {args.phones} phones, {args.seconds:.0f} s{kill}; "
              f"gunicorn -w {args.workers} --threads {args.threads} on 127.0.0.1"
              f"{' with BEGIN IMMEDIATE for writes' if immediate else ''}"
              f"{' without the statistics summaries' if args.summaries == 'off' else ''} ==",
              flush=True)
        began = time.monotonic()
        instance.create()
        seeded = seed(instance, args.phones)
        photos = make_photos()
        forms = _forms()
        print(f"prepared in {time.monotonic() - began:.1f} s: {len(seeded.units)} units, "
              f"{len(seeded.tokens)} inspectors with sessions, database {instance.database_url}",
              flush=True)
        startup = server.start()
        print(f"gunicorn up in {startup:.1f} s on port {server.port}", flush=True)

        bare = Tally()
        bare_end = time.monotonic() + args.bare_seconds
        _run_threads([lambda: hammer(server.port, "/healthz", bare, bare_end)] * args.phones,
                     args.bare_seconds + 30)
        bare_ok, bare_lat = _rate(bare, {"bare"})
        bare_rps = bare_ok / args.bare_seconds

        tally = Tally()
        kill_window: list[float] = []
        start = time.monotonic()
        clock = Clock(start + args.seconds, args.grace)
        phones = [Phone(server.port, token, seeded.units, forms, photos, tally,
                        random.Random(rng.random()), photo_share=args.photo_share,
                        retry_share=args.retry_share) for token in seeded.tokens]

        def killer() -> None:
            time.sleep(args.kill_after)
            kill_window.append(time.monotonic())
            server.kill9()
            print(f"[{time.monotonic() - start:5.1f} s] kill -9 of the gunicorn process group",
                  flush=True)
            time.sleep(1.0)
            took = server.start()
            kill_window.append(time.monotonic() + 2.0)
            clock.deadline += kill_window[1] - kill_window[0]  # as much load after the restart
            print(f"[{time.monotonic() - start:5.1f} s] gunicorn restarted, /healthz after "
                  f"{took:.1f} s", flush=True)

        extra = [killer] if args.kill else []
        _run_threads([*(lambda p=p: p.run(clock) for p in phones), *extra],
                     args.seconds + args.grace + 90 + (120 if args.kill else 0))
        elapsed = time.monotonic() - start
        server.stop()

        found = verify(instance.database_url, instance.photo_dir, tally.acked_inspections,
                       tally.acked_photos,
                       form_items={(f["id"], f["version"]): len(f["items"]) for f in forms.values()},
                       summaries=args.summaries == "on")
        failed = report(args, bare, bare_rps, bare_lat, tally, (start, clock.deadline), elapsed,
                        kill_window, found)
        if failed:
            print("--- gunicorn log (tail) ---\n" + server.log_tail(), flush=True)
        return 1 if failed else 0
    except KeyboardInterrupt:
        print("interrupted (or the watchdog fired): cleaning up", flush=True)
        return 2
    finally:
        watchdog.cancel()
        server.stop()
        instance.cleanup(keep=args.keep or failed)
        if args.keep or failed:
            print(f"kept {instance.root} (logs, photos{', database' if args.db == 'sqlite' else ''})")


def report(args, bare: Tally, bare_rps: float, bare_lat: list[float], tally: Tally,
           phase: tuple[float, float], elapsed: float, kill_window: list[float], found) -> bool:
    """Print the figures and the SUMMARY line; True if the run failed."""

    def in_window(outcome) -> bool:
        return len(kill_window) == 2 and kill_window[0] <= outcome.ended <= kill_window[1]

    writes = [o for o in tally.outcomes if o.kind in WRITES]
    fives = [o for o in writes if o.status >= 500 and o.status != 503]
    fives_out = [o for o in fives if not in_window(o)]
    dropped = [o for o in writes if o.status == 0]
    dropped_out = [o for o in dropped if not in_window(o)]
    busy = sum(1 for o in writes if o.status == 503)
    client_errors = [o for o in writes if 400 <= o.status < 500]
    retry_not_200 = [o for o in tally.outcomes if o.kind in {"retry", "photo-retry"}
                     and o.status not in (200, 0, 503)]
    subs_ok, subs_lat = _rate(tally, SUBMITS)
    photo_ok, photo_lat = _rate(tally, {"photo", "photo-retry"})
    all_ok = sum(1 for o in writes if 200 <= o.status < 300)
    # Throughput over the load phase (what is still in flight at its end only adds latency).
    in_phase = sum(1 for o in tally.outcomes if o.kind in SUBMITS and 200 <= o.status < 300
                   and o.ended <= phase[1])
    subs_rps = in_phase / (phase[1] - phase[0])

    print(f"bare   GET /healthz: {len(bare.outcomes)} requests, {bare_rps:.0f} req/s, "
          f"p50 {_ms(percentile(bare_lat, 0.5))}, p99 {_ms(percentile(bare_lat, 0.99))}")
    late = sum(1 for status in tally.acked_inspections.values() if status == 200)
    print(f"submit POST /inspections: {len(tally.acked_inspections)} documents acknowledged "
          f"({late} first with 200: stored, but the answer was lost); {subs_ok} 2xx answers, "
          f"{in_phase} of them in the {phase[1] - phase[0]:.0f} s load phase = {subs_rps:.1f} req/s "
          f"(last answer after {elapsed:.0f} s); p50 {_ms(percentile(subs_lat, 0.5))}, "
          f"p99 {_ms(percentile(subs_lat, 0.99))}")
    print(f"photos POST /photos: {photo_ok} answered 2xx ({len(tally.acked_photos)} photos), "
          f"p50 {_ms(percentile(photo_lat, 0.5))}, p99 {_ms(percentile(photo_lat, 0.99))}")
    print(f"ratio  inspection submissions/s ÷ bare req/s = {subs_rps:.1f} / {bare_rps:.0f} = "
          f"{subs_rps / bare_rps if bare_rps else float('nan'):.3f}")
    print(f"status all writes: {dict(sorted(tally.statuses(WRITES).items()))} "
          f"(0 = connection error); 503 busy answers retried: {busy}")
    if kill_window:
        window = kill_window[1] - kill_window[0] if len(kill_window) == 2 else float("nan")
        print(f"kill   window {window:.1f} s: {len(dropped) - len(dropped_out)} connection errors "
              f"and {len(fives) - len(fives_out)} 5xx inside it (unacknowledged, retried)")
    for status, samples in sorted(tally.samples.items()):
        for sample in samples:
            print(f"  sample {status}: {sample}")
    print(f"db     {found.inspections} inspections, {found.photos} photo rows; "
          f"unacknowledged at the end: {len(tally.unacknowledged)}")
    for label, items in (("lost", found.lost), ("duplicated", found.duplicated),
                         ("half-written", found.half_written), ("photos lost", found.photos_lost),
                         ("photo rows without files", found.rows_without_files),
                         ("files without rows", found.files_without_rows),
                         ("statistics summaries differ from the records", found.summaries_differ),
                         ("created twice", tally.created_twice)):
        if items:
            print(f"  {label}: {items[:5]}{' ...' if len(items) > 5 else ''}")

    duplicated = len(found.duplicated) + len(tally.created_twice)
    failed = bool(found.broken or tally.created_twice or fives_out or dropped_out or client_errors
                  or retry_not_200 or (args.kill and len(kill_window) != 2))
    print(f"SUMMARY ok={all_ok} 5xx={len(fives)} lost: {len(found.lost) + len(found.photos_lost)} "
          f"duplicated: {duplicated} half_written={len(found.half_written)} "
          f"photo_rows_without_files={len(found.rows_without_files)} "
          f"files_without_rows={len(found.files_without_rows)} "
          f"summaries_differ={len(found.summaries_differ)} 503={busy} 4xx={len(client_errors)} "
          f"conn_errors={len(dropped)} (outside kill window {len(dropped_out)}) "
          f"kills={1 if args.kill else 0} p50={_ms(percentile(subs_lat, 0.5))} "
          f"p99={_ms(percentile(subs_lat, 0.99))} submit/s={subs_rps:.1f} bare/s={bare_rps:.0f} "
          f"ratio={subs_rps / bare_rps if bare_rps else float('nan'):.3f} "
          f"db={args.db} phones={args.phones} summaries={args.summaries} "
          f"-> {'FAIL' if failed else 'PASS'}", flush=True)
    return failed


if __name__ == "__main__":
    sys.exit(main())
