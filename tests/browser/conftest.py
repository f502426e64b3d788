"""Real-browser fixtures: the app served by werkzeug in a thread, Debian's Chromium via Playwright.

The browser is `/usr/bin/chromium` (Playwright's own browser download does not work on these
machines). With CI set, a missing browser FAILS these tests; elsewhere they are skipped, loudly.
Screenshots of the main screens go to FOODSAFETY_SCREENSHOT_DIR (default instance/screenshots).
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from config import BASE_DIR
from tests.factories import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(os.environ.get("FOODSAFETY_SCREENSHOT_DIR", BASE_DIR / "instance" / "screenshots"))
PHONE = {"width": 360, "height": 640}
TIMEOUT_MS = 15_000
MIN_TAP = 44  # px, the smallest comfortable target for a thumb
CLIPPED_LABELS = """() => [...document.querySelectorAll('button, .btn')]
  .filter((el) => el.clientHeight > 0 && (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1))
  .map((el) => el.textContent.trim().slice(0, 16))
"""
PIN_BARS = """(position) => document.querySelectorAll('.steps, .summary, .topbar')
  .forEach((bar) => { bar.style.position = position; })"""
SMALL_TARGETS = """(min) => [...document.querySelectorAll(
    'button, a[href], input:not([type=file]), select, textarea, label.file-btn')]
  .map((el) => [el, el.getBoundingClientRect()])
  .filter(([el, r]) => r.width > 0 && r.height > 0 && (r.width < min || r.height < min))
  .map(([el, r]) => `${el.tagName} "${el.textContent.trim().slice(0, 16)}" ${r.width | 0}x${r.height | 0}`)
"""


def _browser_problem() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements-dev.txt)"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    return None


@pytest.fixture(scope="session")
def browser():
    problem = _browser_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"Browser tests cannot run in CI: {problem}", pytrace=False)
        pytest.skip(f"!!! BROWSER TESTS SKIPPED: {problem}. CI fails instead of skipping. !!!")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_server(app):
    """The real app on 127.0.0.1 (a free port), on the test database of the `app` fixture."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


class Phone:
    """A page in a fresh 360×640 touch browser context, with the helpers the stories need."""

    def __init__(self, context, base_url: str) -> None:
        self.context = context
        self.base_url = base_url
        self.page = context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def log_in(self, user, landing: str) -> None:
        page = self.page
        page.goto("/")
        page.fill("#username", user.username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"**{landing}")

    def wait_synced(self) -> None:
        """Until the inspector app has stored the checklists and units for offline use."""
        self.page.wait_for_selector("html[data-sync=done]", state="attached")

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        # A full-page capture would paint the fixed step bar over the middle of the page.
        self.page.evaluate(PIN_BARS, "static")
        self.page.evaluate("() => window.scrollTo(0, 0)")
        self.page.screenshot(path=str(path), full_page=True)
        self.page.evaluate(PIN_BARS, "")
        return path

    def assert_fits(self) -> None:
        """No horizontal scroll on a 360 px wide screen, and every control is a large tap target."""
        width = self.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"page is {width}px wide at {self.page.url}"
        small = self.page.evaluate(SMALL_TARGETS, MIN_TAP)
        assert not small, f"tap targets under {MIN_TAP}px at {self.page.url}: {small}"
        clipped = self.page.evaluate(CLIPPED_LABELS)
        assert not clipped, f"labels that do not fit their buttons at {self.page.url}: {clipped}"


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server, viewport=PHONE, device_scale_factor=2, is_mobile=True,
        has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
    phone = Phone(context, live_server)
    yield phone
    context.close()
    assert not phone.errors, phone.errors


@pytest.fixture
def photo_file(tmp_path):
    """A small JPEG, as a phone camera would hand it over."""
    from PIL import Image

    path = tmp_path / "kitchen.jpg"
    image = Image.new("RGB", (640, 480), (200, 40, 40))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    path.write_bytes(buffer.getvalue())
    return path
