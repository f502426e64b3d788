"""Application configuration, read from the environment in one place."""

from __future__ import annotations

import json
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    """Production-leaning defaults; every knob can be set from the environment."""

    ENV_NAME = os.environ.get("FOODSAFETY_ENV", "production")
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    INSTANCE_DIR = Path(os.environ.get("FOODSAFETY_INSTANCE_DIR", BASE_DIR / "instance"))
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'foodsafety.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    PHOTO_DIR = Path(os.environ.get("FOODSAFETY_PHOTO_DIR", INSTANCE_DIR / "photos"))
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
    # One photo's upload bytes (413 above) and decoded pixels (422 above: no decompression bombs).
    PHOTO_MAX_BYTES = _env_int("PHOTO_MAX_BYTES", 15 * 1024 * 1024)
    PHOTO_MAX_PIXELS = _env_int("PHOTO_MAX_PIXELS", 40_000_000)
    # PNG and WebP are decoded in full (JPEG at a reduced scale): a lower pixel cap for them.
    PHOTO_MAX_FULL_DECODE_PIXELS = _env_int("PHOTO_MAX_FULL_DECODE_PIXELS", 16_000_000)
    PHOTO_JPEG_MAX_SCANS = _env_int("PHOTO_JPEG_MAX_SCANS", 32)  # a camera's progressive JPEG: ~10
    # Each photo is processed in a child process under these limits (foodsafety/photos/sandbox.py);
    # at most PHOTO_DECODE_SLOTS at once per web worker, others wait up to the queue time (then 503).
    PHOTO_DECODE_CPU_SECONDS = _env_int("PHOTO_DECODE_CPU_SECONDS", 5)
    PHOTO_DECODE_MEMORY_MB = _env_int("PHOTO_DECODE_MEMORY_MB", 512)
    PHOTO_DECODE_WALL_SECONDS = _env_int("PHOTO_DECODE_WALL_SECONDS", 30)
    PHOTO_DECODE_SLOTS = _env_int("PHOTO_DECODE_SLOTS", 2)
    PHOTO_DECODE_QUEUE_SECONDS = _env_int("PHOTO_DECODE_QUEUE_SECONDS", 30)
    # New photos one account may upload per China-time day (429 beyond, the outbox retries later).
    PHOTO_DAILY_LIMIT = _env_int("PHOTO_DAILY_LIMIT", 500)
    # Photos whose inspection has not arrived after this many days are removed by the daily sweep.
    PHOTO_ORPHAN_DAYS = _env_int("PHOTO_ORPHAN_DAYS", 30)
    # JSON bodies are far smaller than photos; anything larger is refused with 413.
    MAX_JSON_BYTES = _env_int("MAX_JSON_BYTES", 1024 * 1024)
    JSON_AS_ASCII = False

    # Sessions (server-side, revocable).
    SESSION_IDLE_MINUTES = _env_int("SESSION_IDLE_MINUTES", 30)
    SESSION_MAX_HOURS = _env_int("SESSION_MAX_HOURS", 12)
    SESSION_COOKIE_NAME = "fs_session"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    # At most LOGIN_MAX_FAILURES passwords (and as many second-factor codes) are checked per
    # account in a LOGIN_LOCK_MINUTES window; a client address gets four times as many.
    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCK_MINUTES = _env_int("LOGIN_LOCK_MINUTES", 15)
    PASSWORD_MIN_LENGTH = _env_int("PASSWORD_MIN_LENGTH", 8)
    PASSWORD_MIN_CLASSES = _env_int("PASSWORD_MIN_CLASSES", 3)
    PASSWORD_HISTORY = _env_int("PASSWORD_HISTORY", 5)  # a new password differs from the last N
    # Two-factor login: how long the step between password and code stays open.
    TWO_FACTOR_STEP_MINUTES = _env_int("TWO_FACTOR_STEP_MINUTES", 5)

    # Proxy handling: how many trusted reverse proxies sit in front (nginx = 1).
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)

    # Where people reach this server (printed by `make run` and the demo; set by the Makefile).
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000/")
    # The CJK font embedded (subset) in the printed records; empty: the first of the usual system
    # fonts found (fonts-wqy-microhei, Noto CJK; `make run` installs one when missing and root).
    RECORD_FONT = os.environ.get("RECORD_FONT", "")

    # OpenAPI (flask-smorest).
    API_TITLE = "校园食品安全守护行动 API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    PAGE_SIZE_MAX = 200

    # Rectification orders: the deadline the phone proposes and the latest it (and the API)
    # accepts, in days after the inspection; order numbers per issuing jurisdiction and year,
    # e.g. 锦市监责改〔2026〕0457号. The prefix defaults to the jurisdiction name's first character
    # + 市监责改; ORDER_NUMBER_PREFIXES='{"510104": "锦江市监责改"}' sets it per jurisdiction.
    ORDER_DEADLINE_DEFAULT_DAYS = _env_int("ORDER_DEADLINE_DEFAULT_DAYS", 15)
    ORDER_DEADLINE_MAX_DAYS = _env_int("ORDER_DEADLINE_MAX_DAYS", 366)
    ORDER_NUMBER_PREFIXES: dict = json.loads(os.environ.get("ORDER_NUMBER_PREFIXES") or "{}")
    ORDER_NUMBER_BLOCK_MAX = _env_int("ORDER_NUMBER_BLOCK_MAX", 50)  # numbers one phone reserves at once
    # Lists: page numbers reach this many rows deep (then the cursor goes on); counts stop here.
    LIST_MAX_OFFSET = _env_int("LIST_MAX_OFFSET", 10_000)
    LIST_COUNT_CAP = _env_int("LIST_COUNT_CAP", 10_000)
    # List exports (Excel): at most this many rows (narrow the filters for more); rows read and
    # serialised per batch, so memory stays flat.
    EXPORT_MAX_ROWS = _env_int("EXPORT_MAX_ROWS", 200_000)
    EXPORT_BATCH = _env_int("EXPORT_BATCH", 500)
    # Expensive requests (statistics, snapshot builds, workbook downloads) one account may have
    # running at once across all workers; more are answered 429. A slot a killed worker never
    # gave back frees itself after REQUEST_LEASE_SECONDS.
    EXPENSIVE_REQUESTS_PER_ACCOUNT = _env_int("EXPENSIVE_REQUESTS_PER_ACCOUNT", 2)
    REQUEST_LEASE_SECONDS = _env_int("REQUEST_LEASE_SECONDS", 120)
    REQUEST_LEASE_RETRY_AFTER = _env_int("REQUEST_LEASE_RETRY_AFTER", 5)
    # Statistics: computed tables kept per web worker (0 = no cache), keyed by data version.
    STATS_CACHE_ENTRIES = _env_int("STATS_CACHE_ENTRIES", 256)
    # Read the tables from the summaries the write path keeps (statistics/summaries.py); off: scan
    # the records for every table, as before they existed (the benchmark measures both).
    STATS_SUMMARIES = os.environ.get("STATS_SUMMARIES", "1") == "1"
    # Statistics snapshots users may build per jurisdiction, period and China day (each is a
    # full, immutable copy kept for ever; scheduled builds are not counted).
    SNAPSHOT_DRAFTS_PER_DAY = _env_int("SNAPSHOT_DRAFTS_PER_DAY", 10)
    SNAPSHOT_FINALS_PER_DAY = _env_int("SNAPSHOT_FINALS_PER_DAY", 3)
    SCHEDULER_TIMEZONE = "Asia/Shanghai"
    # Scheduled jobs (`flask scheduler run`, see foodsafety/scheduler/jobs.py): due dates as MM-DD.
    SCHEDULE_H1_DRAFT = os.environ.get("SCHEDULE_H1_DRAFT", "07-01")  # half-year draft
    SCHEDULE_H1_FINAL = os.environ.get("SCHEDULE_H1_FINAL", "07-10")  # half-year final
    SCHEDULE_YEAR_DRAFT = os.environ.get("SCHEDULE_YEAR_DRAFT", "12-15")  # full-year draft
    SCHEDULE_YEAR_FINAL = os.environ.get("SCHEDULE_YEAR_FINAL", "12-25")  # full-year final, cutoff that day
    SCHEDULER_RUN_AT = os.environ.get("SCHEDULER_RUN_AT", "02:00")  # a due day's jobs start then (CST)
    SCHEDULER_TICK_SECONDS = _env_int("SCHEDULER_TICK_SECONDS", 60)
    SCHEDULER_CATCHUP_DAYS = _env_int("SCHEDULER_CATCHUP_DAYS", 60)  # missed runs caught up this long
    SCHEDULER_MAX_ATTEMPTS = _env_int("SCHEDULER_MAX_ATTEMPTS", 5)
    SCHEDULER_RETRY_MINUTES = _env_int("SCHEDULER_RETRY_MINUTES", 5)  # back-off: 5, 10, 20… minutes
    SCHEDULER_STALE_MINUTES = _env_int("SCHEDULER_STALE_MINUTES", 120)  # a silent run is taken over


class DevelopmentConfig(Config):
    """The embedded demo (`make run`): SQLite, plain HTTP on loopback."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SESSION_COOKIE_SECURE = False


class TestConfig(Config):
    """Tests: a database named by TEST_DATABASE_URL or a throwaway SQLite file."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret"
    SESSION_COOKIE_SECURE = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
