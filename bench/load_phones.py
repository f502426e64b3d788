"""Load test helpers on the client side: simulated phones and what they saw.

A phone behaves like the mobile form's outbox: it makes an inspection document with its own
UUID, sends its photos (multipart, each with its own UUID) and the document, and keeps
re-sending whatever has not been acknowledged (503, a dropped connection, a restarted server)
until it is, or until the run's grace period is over. Sometimes it re-sends an acknowledged
document on purpose, as a phone does when the answer was lost, and expects 200.
"""

from __future__ import annotations

import http.client
import io
import json
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

CST = timezone(timedelta(hours=8))
RETRYABLE = {502, 503, 504}
CONNECTION_ERRORS = (OSError, http.client.HTTPException)


@dataclass
class Clock:
    """When the phones stop starting new inspections (`deadline`, moved on by a server outage)
    and how long after it an unacknowledged submission may still be retried (`grace`)."""

    deadline: float
    grace: float

    def running(self) -> bool:
        return time.monotonic() < self.deadline

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline + self.grace


@dataclass
class Outcome:
    """One HTTP exchange (or a failure to have one)."""

    kind: str  # "inspection", "retry", "photo", "bare"
    status: int  # 0 for a connection error
    seconds: float
    ended: float  # time.monotonic() when it ended
    detail: str = ""


@dataclass
class Tally:
    """Everything the phones saw, shared between threads (append-only lists are thread-safe)."""

    outcomes: list[Outcome] = field(default_factory=list)
    acked_inspections: dict[str, int] = field(default_factory=dict)  # uuid -> first 2xx status
    created_twice: list[str] = field(default_factory=list)  # a second 201 for one uuid
    acked_photos: set[str] = field(default_factory=set)
    unacknowledged: list[str] = field(default_factory=list)
    samples: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome, body: bytes = b"") -> None:
        self.outcomes.append(outcome)
        if outcome.status >= 400 and outcome.status != 503 or outcome.status == 0:
            with self.lock:
                kept = self.samples[outcome.status]
                if len(kept) < 3:
                    kept.append(f"{outcome.kind}: {outcome.detail or body[:300].decode(errors='replace')}")

    def statuses(self, kinds: set[str]) -> Counter:
        return Counter(o.status for o in self.outcomes if o.kind in kinds)


def make_photos(count: int = 24, seed: int = 7) -> list[bytes]:
    """Distinct small camera-like JPEGs (some phones will send the same picture: deduplication)."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    photos = []
    for _ in range(count):
        image = Image.new("RGB", (960, 720), tuple(rng.randrange(256) for _ in range(3)))
        draw = ImageDraw.Draw(image)
        for _ in range(30):
            x, y = rng.randrange(960), rng.randrange(720)
            draw.rectangle((x, y, x + rng.randrange(20, 300), y + rng.randrange(20, 200)),
                           fill=tuple(rng.randrange(256) for _ in range(3)))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        photos.append(buffer.getvalue())
    return photos


def _multipart(fields: dict[str, str], photo: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode())
    parts.append(photo + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Phone:
    """One inspector's phone: a keep-alive connection and an outbox that retries."""

    def __init__(self, port: int, token: str, units: list[tuple[int, str]], forms: dict,
                 photos: list[bytes], tally: Tally, rng: random.Random, *, photo_share: float,
                 retry_share: float) -> None:
        self.port, self.token, self.units, self.forms = port, token, units, forms
        self.photos, self.tally, self.rng = photos, tally, rng
        self.photo_share, self.retry_share = photo_share, retry_share
        self.conn: http.client.HTTPConnection | None = None
        self.reused = False

    # --- one exchange -----------------------------------------------------------------------

    def _exchange(self, method: str, path: str, body: bytes | None, headers: dict
                  ) -> tuple[int, bytes, dict]:
        """Send one request; a keep-alive connection the server had closed is retried once."""
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.reused = False
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                self.reused = True
                if response.getheader("Connection", "").lower() == "close":
                    self._drop()
                return response.status, data, dict(response.getheaders())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                stale = self.reused
                self._drop()
                if not (stale and attempt == 1):
                    raise
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def send(self, kind: str, method: str, path: str, body: bytes, content_type: str,
             clock: Clock) -> tuple[int, bytes]:
        """Send until a final answer (2xx or 4xx) or the clock runs out; returns (status, body)."""
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": content_type}
        delay = 0.2
        while True:
            began = time.monotonic()
            try:
                status, data, answer_headers = self._exchange(method, path, body, headers)
            except CONNECTION_ERRORS as error:
                self._drop()
                ended = time.monotonic()
                self.tally.add(Outcome(kind, 0, ended - began, ended, f"{type(error).__name__}: {error}"))
                status, data, answer_headers = 0, b"", {}
            else:
                ended = time.monotonic()
                self.tally.add(Outcome(kind, status, ended - began, ended), data)
            if 200 <= status < 500 and status not in RETRYABLE:
                return status, data
            if clock.expired():
                return status, data
            wait = delay
            if status == 503:
                try:
                    wait = min(float(answer_headers.get("Retry-After", 1)), 2.0)
                except ValueError:
                    wait = 1.0
            time.sleep(wait * self.rng.uniform(0.5, 1.0))
            delay = min(delay * 2, 2.0)

    # --- one inspection ---------------------------------------------------------------------

    def document(self) -> tuple[dict, list[tuple[str, str]]]:
        """A complete inspection document and the photos it declares (photo id, item code)."""
        unit_id, kind = self.rng.choice(self.units)
        form = self.forms[kind]
        answers = {code: "yes" for code in form["items"]}
        failed = self.rng.sample(form["items"], self.rng.choice((0, 0, 0, 1, 2, 3)))
        for code in failed:
            answers[code] = "no"
        doc_id = str(uuid.uuid4())
        when = datetime.now(CST) - timedelta(minutes=self.rng.randrange(5, 60 * 24 * 30))
        entries = [{"item": code, "answer": value} for code, value in answers.items()]
        for entry in entries:
            if entry["answer"] == "no":
                entry["note"] = "现场发现问题，已拍照取证。"
        photos: list[tuple[str, str]] = []
        if self.rng.random() < self.photo_share:
            for entry in self.rng.sample(entries, self.rng.choice((1, 2))):
                photo_id = str(uuid.uuid4())
                entry["photo_ids"] = [photo_id]
                photos.append((photo_id, entry["item"]))
        doc = {
            "id": doc_id, "unit_id": unit_id, "form_id": form["id"], "form_version": form["version"],
            "started_at": when.isoformat(timespec="seconds"),
            "inspectors": [{"name": "张三", "badge_no": "51010400001"},
                           {"name": "李四", "badge_no": "51010400002"}],
            "answers": entries,
            "observed": {"wuchang_6t": True, "haccp": "none", "mingchu": ["transparent"],
                         "licence_displayed": True},
            "extra_findings": [],
            "handling": "rectify" if failed else "pass",
        }
        if failed:
            doc["rectification_order"] = {
                "number": f"锦市监责改〔{when.year}〕{doc_id[:8]}号",
                "deadline": (when + timedelta(days=15)).date().isoformat()}
        return doc, photos

    def inspect_once(self, clock: Clock) -> None:
        """Photos first (as an outbox may send them), then the document, maybe re-sent."""
        doc, photos = self.document()
        for photo_id, item in photos:
            picture = self.rng.choice(self.photos)
            body, content_type = _multipart({"id": photo_id, "inspection_id": doc["id"],
                                             "unit_id": str(doc["unit_id"]),
                                             "target": f"item:{item}"}, picture)
            status, _ = self.send("photo", "POST", "/api/v1/photos", body, content_type, clock)
            if 200 <= status < 300:
                self.tally.acked_photos.add(photo_id)
                if self.rng.random() < self.retry_share:  # the answer was "lost": send again
                    self.send("photo-retry", "POST", "/api/v1/photos", body, content_type, clock)
        payload = json.dumps(doc, ensure_ascii=False).encode()
        status, _ = self.send("inspection", "POST", "/api/v1/inspections", payload,
                              "application/json", clock)
        if 200 <= status < 300:
            self.tally.acked_inspections.setdefault(doc["id"], status)
            if self.rng.random() < self.retry_share:
                again, _ = self.send("retry", "POST", "/api/v1/inspections", payload,
                                     "application/json", clock)
                if again == 201:
                    self.tally.created_twice.append(doc["id"])
        else:
            self.tally.unacknowledged.append(doc["id"])

    def run(self, clock: Clock) -> None:
        """Inspect until the deadline; what is in flight then may keep retrying for the grace."""
        try:
            while clock.running():
                self.inspect_once(clock)
        finally:
            self._drop()


def hammer(port: int, path: str, tally: Tally, deadline: float) -> None:
    """The bare endpoint, back to back on one keep-alive connection, until `deadline`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        while time.monotonic() < deadline:
            began = time.monotonic()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                status = response.status
            except CONNECTION_ERRORS:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            ended = time.monotonic()
            tally.add(Outcome("bare", status, ended - began, ended))
    finally:
        conn.close()


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
