"""The inspector's phone on a poor network: one command, prints figures (and ratios to a saved run).

    .venv/bin/python bench/phone_network_bench.py [--units 300] [--county-units 5000]
        [--save before.json] [--compare before.json] [--no-photo]

Serves the real app (werkzeug, threaded) on a throwaway SQLite database holding a demo-like county
(--units units, 1 in 5 a school canteen; its inspector does the timed stories) and a large county
(--county-units units; its inspector measures sync bytes). Drives Debian's Chromium through
Playwright at 360×640 with CDP emulation of "slow 3G": 400 ms latency, 400 kbit/s both ways,
CPU slowed ×4 (`Network.emulateNetworkConditions`, `Emulation.setCPUThrottlingRate`).

Measured:
  cold       open /m/ in a fresh browser → log in → unit list usable (sync done, units stored)
  warm       the same phone opens /m/ again → unit list usable again (second sync done)
  first sync bytes the server sent and received from opening /m/ to sync done (the service
             worker's downloads included), for the small county and for the large one
  later sync the same for a second open with nothing changed
  photo      one inspection with a 12-MP camera JPEG (4000×3000, EXIF capture time): bytes
             uploaded, seconds from choosing the photo until the outbox shows it acknowledged,
             and whether the server kept the capture time

Bytes are counted on the server by a WSGI wrapper around the app (bodies as sent, so compressed
where the app compresses; headers not counted). Chromium applies the page's network emulation to
the page's own requests; the service worker's precache downloads are counted in bytes but are not
slowed (CDP emulates per target).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8,
           "uploadThroughput": 400_000 / 8}
CPU_SLOWDOWN = 4
PASSWORD = "Bench-password-1"
SMALL, LARGE = "510104", "510105"
TARGETS = {"cold_s": 5.0, "warm_s": 2.0, "large_first_sync_kb": 500, "large_later_sync_kb": 50,
           "photo_upload_kb": 700, "photo_s": 15.0}


class ByteCounter:
    """WSGI middleware: bytes in (request bodies) and out (response bodies) since reset()."""

    def __init__(self, app) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.bytes_in = 0
            self.bytes_out = 0
            self.by_path: dict[str, int] = defaultdict(int)
            self.requests = 0

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        path = environ.get("PATH_INFO", "")
        with self.lock:
            self.bytes_in += length
            self.requests += 1
        for chunk in self.app(environ, start_response):
            with self.lock:
                self.bytes_out += len(chunk)
                self.by_path[path] += len(chunk)
            yield chunk

    def snapshot(self) -> dict:
        with self.lock:
            return {"in": self.bytes_in, "out": self.bytes_out, "requests": self.requests}


def build_app(root: Path):
    from config import TestConfig
    from foodsafety import create_app
    from foodsafety.extensions import db
    from foodsafety.registry.divisions import load_divisions
    from tests.database import DIVISIONS

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{root / 'bench.sqlite3'}",
                     INSTANCE_DIR=root, PHOTO_DIR=root / "photos", TESTING=False)
    with app.app_context():
        db.create_all()
        load_divisions(DIVISIONS)
        db.session.commit()
    return app


def populate(app, units: int, county_units: int) -> dict:
    """Two counties of units (names, addresses and schools like the demo's) and their inspectors."""
    from foodsafety.accounts.auth import hash_password
    from foodsafety.accounts.models import Role, User
    from foodsafety.extensions import db
    from foodsafety.registry.models import HaccpStatus, OperationMode, School, SchoolStage, Unit, UnitKind
    from tests.factories import licence_for

    streets = ["人民南路", "蜀都大道", "红星路", "东大街", "春熙路", "天府大道", "建设路", "九眼桥"]
    kinds = ["supplier", "periphery", "supplier", "periphery"]
    seq = 0
    with app.app_context():
        for county, count in ((SMALL, units), (LARGE, county_units)):
            for i in range(count):
                seq += 1
                canteen = i % 5 == 0
                school = None
                if canteen:
                    school = School(name=f"成都市第{seq}小学", stage=SchoolStage.PRIMARY,
                                    jurisdiction_code=county)
                    db.session.add(school)
                    db.session.flush()
                kind = "canteen" if canteen else kinds[i % 4]
                db.session.add(Unit(
                    kind=UnitKind(kind), jurisdiction_code=county,
                    name=f"{school.name}食堂" if canteen else f"锦城{seq}号食品经营部",
                    address=f"{streets[i % 8]}{seq % 400 + 1}号",
                    school_id=school.id if school else None,
                    operation_mode=OperationMode.SELF_RUN if canteen else None,
                    licence_no=licence_for(kind, county, seq),
                    licence_issued_on=date(2024, 1, 1), licence_expires_on=date(2029, 12, 31),
                    haccp=HaccpStatus.NONE))
            db.session.commit()
        password_hash = hash_password(PASSWORD)
        for name, county in (("small", SMALL), ("large", LARGE)):
            db.session.add(User(username=f"bench-{name}", display_name="王五", role=Role.INSPECTOR,
                                password_hash=password_hash, jurisdiction_code=county))
        db.session.commit()
        first = db.session.scalar(db.select(Unit.id).where(
            Unit.jurisdiction_code == SMALL, Unit.kind == UnitKind.CANTEEN).order_by(Unit.id))
    return {"unit_id": first}


def serve(app):
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    counter = ByteCounter(app.wsgi_app)
    app.wsgi_app = counter
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, counter, f"http://127.0.0.1:{server.server_port}"


def throttle(context, page) -> None:
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})


def new_phone(browser, base_url):
    return browser.new_context(base_url=base_url, viewport={"width": 360, "height": 640},
                               device_scale_factor=2, is_mobile=True, has_touch=True,
                               locale="zh-CN", timezone_id="Asia/Shanghai")


def wait_usable(page, timeout_ms: int) -> None:
    page.wait_for_selector("html[data-sync=done]", state="attached", timeout=timeout_ms)
    page.wait_for_selector("#sync-state:has-text('已保存')", timeout=timeout_ms)


def open_and_log_in(page, username: str, timeout_ms: int, shown: dict | None = None) -> float:
    started = time.perf_counter()
    page.goto("/m/")
    page.wait_for_selector("#username", timeout=timeout_ms)
    if shown is not None:
        shown["cold_login_shown_s"] = time.perf_counter() - started
    page.fill("#username", username, timeout=timeout_ms)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    wait_usable(page, timeout_ms)
    return time.perf_counter() - started


def reopen(context, timeout_ms: int, throttled: bool):
    """Close every page and open /m/ again in the same profile (service worker, IndexedDB kept)."""
    for old in context.pages:
        old.close()
    page = context.new_page()
    if throttled:
        throttle(context, page)
    started = time.perf_counter()
    page.goto("/m/")
    page.wait_for_selector("#sync-state", timeout=timeout_ms)  # the home, from stored data
    shown = time.perf_counter() - started
    wait_usable(page, timeout_ms)
    return page, shown, time.perf_counter() - started


def wait_service_worker(page) -> None:
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=120_000)


def photo_story(context, page, counter, unit_id: int, photo: Path, timeout_ms: int) -> dict:
    page.fill("#unit-search", "小学食堂")
    page.click(f"[data-unit='{unit_id}']", timeout=timeout_ms)
    page.wait_for_url("**/info", timeout=timeout_ms)
    uuid = page.url.split("/draft/")[1].split("/")[0]
    page.fill("#inspector-1-name", "王五")
    page.click(".steps [data-step=checklist]")
    page.click("text=未填项目全部设为“是”")
    page.locator("[data-item='5.1'] .choice[data-value=no]").click()
    counter.reset()
    started = time.perf_counter()
    page.locator("[data-item='5.1'] input[type=file]").set_input_files(str(photo))
    page.locator("[data-item='5.1'] .thumb img").wait_for(timeout=timeout_ms)
    stored = time.perf_counter() - started
    page.click(".steps [data-step=handling]")
    page.click(".choice[data-value=on_site]")
    page.click(".steps [data-step=review]")
    submit = time.perf_counter()
    page.click("#submit")
    page.wait_for_selector(f"[data-id='{uuid}'][data-status=sent]", timeout=timeout_ms)
    done = time.perf_counter()
    bytes_up = counter.snapshot()["in"]
    answer = page.evaluate("""async (uuid) => {
        const r = await fetch(`/api/v1/inspections/${uuid}/photos`, {credentials: 'same-origin'});
        return r.json();
    }""", uuid)
    return {"photo_stored_s": stored, "submit_to_ack_s": done - submit,
            "photo_s": stored + done - submit,
            "photo_upload_kb": bytes_up / 1024, "photo_file_kb": photo.stat().st_size / 1024,
            "captured_at": answer[0].get("captured_at") if answer else None}


def camera_photo(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    from photo_bench import camera_jpeg

    path = folder / "IMG_20260901_093000.jpg"
    path.write_bytes(camera_jpeg())
    moment = time.mktime((2026, 9, 1, 9, 30, 0, 0, 0, -1))
    os.utime(path, (moment, moment))
    return path


def run(args) -> dict:
    from playwright.sync_api import sync_playwright

    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="phone-bench-") as tmp:
        root = Path(tmp)
        app = build_app(root)
        world = populate(app, args.units, args.county_units)
        photo = camera_photo(root)
        server, counter, base = serve(app)
        timeout = 300_000
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)

            # Unthrottled cold open, for reference.
            context = new_phone(browser, base)
            page = context.new_page()
            results["cold_unthrottled_s"] = open_and_log_in(page, "bench-small", timeout)
            context.close()

            # The small county, slow 3G: cold, warm, later sync, one inspection with a photo.
            context = new_phone(browser, base)
            page = context.new_page()
            throttle(context, page)
            counter.reset()
            results["cold_s"] = open_and_log_in(page, "bench-small", timeout, results)
            results["small_first_sync_kb"] = counter.snapshot()["out"] / 1024
            results["small_first_sync_requests"] = counter.snapshot()["requests"]
            wait_service_worker(page)
            results["sw_precache_kb"] = counter.snapshot()["out"] / 1024 - results["small_first_sync_kb"]
            counter.reset()
            page, shown, usable = reopen(context, timeout, throttled=True)
            results["warm_shown_s"], results["warm_s"] = shown, usable
            results["small_later_sync_kb"] = counter.snapshot()["out"] / 1024
            if not args.no_photo:
                results.update(photo_story(context, page, counter, world["unit_id"], photo, timeout))
            context.close()

            # The large county: bytes of the first and of a later sync (and its times, throttled).
            context = new_phone(browser, base)
            page = context.new_page()
            throttle(context, page)
            counter.reset()
            results["large_cold_s"] = open_and_log_in(page, "bench-large", timeout)
            results["large_first_sync_kb"] = counter.snapshot()["out"] / 1024
            wait_service_worker(page)
            counter.reset()
            page, _, results["large_warm_s"] = reopen(context, timeout, throttled=True)
            results["large_later_sync_kb"] = counter.snapshot()["out"] / 1024
            context.close()
            browser.close()
        server.shutdown()
    return results


LABELS = [
    ("cold_unthrottled_s", "cold first use, unthrottled (s)"),
    ("cold_login_shown_s", "cold: login form shown, slow 3G (s)"),
    ("cold_s", "cold first use, slow 3G (s)"),
    ("warm_shown_s", "warm open: home shown (s)"),
    ("warm_s", "warm open: synced again (s)"),
    ("small_first_sync_kb", "small county: first sync (KB)"),
    ("small_first_sync_requests", "small county: first sync requests"),
    ("sw_precache_kb", "service worker precache after sync (KB)"),
    ("small_later_sync_kb", "small county: later sync (KB)"),
    ("large_cold_s", "5,000-unit county: cold (s)"),
    ("large_first_sync_kb", "5,000-unit county: first sync (KB)"),
    ("large_warm_s", "5,000-unit county: warm, synced (s)"),
    ("large_later_sync_kb", "5,000-unit county: later sync (KB)"),
    ("photo_file_kb", "12-MP photo file (KB)"),
    ("photo_upload_kb", "photo inspection: uploaded (KB)"),
    ("photo_stored_s", "photo chosen → stored on phone (s)"),
    ("submit_to_ack_s", "submit → acknowledged (s)"),
    ("photo_s", "photo inspection total (s)"),
    ("captured_at", "capture time kept by server"),
]


def report(now: dict, before: dict | None) -> None:
    def fmt(value):
        if value is None:
            return "—"
        if isinstance(value, float):
            return f"{value:,.1f}"
        return str(value)

    print(f"{'measure':44} {'before':>12} {'after':>12} {'ratio':>7} {'target':>8}")
    for key, label in LABELS:
        old = before.get(key) if before else None
        new = now.get(key)
        ratio = (f"{old / new:.1f}×" if isinstance(old, (int, float)) and isinstance(new, (int, float))
                 and new else "")
        target = TARGETS.get(key)
        mark = "" if target is None or not isinstance(new, (int, float)) else (
            f"≤{target:g} {'ok' if new <= target else 'NO'}")
        print(f"{label:44} {fmt(old):>12} {fmt(new):>12} {ratio:>7} {mark:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--county-units", type=int, default=5000)
    parser.add_argument("--no-photo", action="store_true")
    parser.add_argument("--save", type=Path)
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args()
    results = run(args)
    if args.save:
        args.save.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    before = json.loads(args.compare.read_text()) if args.compare else None
    report(results, before)


if __name__ == "__main__":
    main()
