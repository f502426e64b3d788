"""Many phones writing at once: the embedded SQLite database must never show a user a 500.

A busy database may answer 503 with Retry-After (the phone's outbox sends again); whatever
was acknowledged is stored exactly once. Runs on PostgreSQL too, where the same holds.
"""

from __future__ import annotations

import io
import threading
from uuid import uuid4

import pytest
from PIL import Image
from sqlalchemy import func, select

from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection, InspectionAnswer
from foodsafety.photos.models import Photo

PHONES = 12
DOCUMENTS = 6  # per phone
ATTEMPTS = 20  # a phone gives up on a document after this many 503s


def picture(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), (seed * 37 % 256, seed * 91 % 256, 120)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def canteens(make_unit):
    return [make_unit("canteen", "510104") for _ in range(4)]


def test_concurrent_submissions_answer_2xx_or_503_never_500_and_land_once(
        login_as, canteens, new_inspection):
    phones = [login_as("inspector", "510104") for _ in range(PHONES)]
    work = []  # per phone: (document, photo form or None)
    for p, _ in enumerate(phones):
        jobs = []
        for d in range(DOCUMENTS):
            unit = canteens[(p + d) % len(canteens)]
            doc = new_inspection(unit)
            form = None
            if d % 2 == 0:
                form = {"id": str(uuid4()), "inspection_id": doc["id"], "unit_id": str(unit.id),
                        "target": "item:3.1", "seed": p * DOCUMENTS + d}
            jobs.append((doc, form))
        work.append(jobs)
    statuses: list[int] = []
    acknowledged: list[str] = []
    photos: list[str] = []
    start = threading.Barrier(PHONES)

    def send(call) -> int:
        for _ in range(ATTEMPTS):
            status = call().status_code
            statuses.append(status)
            if status != 503:
                return status
        return 503

    def phone(api, jobs) -> None:
        start.wait(timeout=60)
        for doc, form in jobs:
            if form is not None:
                fields = {k: v for k, v in form.items() if k != "seed"}
                fields["file"] = (io.BytesIO(picture(form["seed"])), "p.jpg", "image/jpeg")
                if send(lambda f=fields: api.post("/api/v1/photos", data=dict(f),
                                                  content_type="multipart/form-data")) < 300:
                    photos.append(form["id"])
            if send(lambda d=doc: api.post("/api/v1/inspections", json=d)) < 300:
                acknowledged.append(doc["id"])
            send(lambda d=doc: api.post("/api/v1/inspections", json=d))  # a retried answer

    threads = [threading.Thread(target=phone, args=pair) for pair in zip(phones, work, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert not any(t.is_alive() for t in threads)
    assert 500 not in statuses and set(statuses) <= {200, 201, 503}, sorted(set(statuses))
    assert len(acknowledged) == PHONES * DOCUMENTS
    db.session.remove()
    stored = db.session.scalar(select(func.count()).select_from(Inspection))
    assert stored == len(set(acknowledged)) == PHONES * DOCUMENTS
    answers = db.session.scalar(select(func.count()).select_from(InspectionAnswer))
    items = len(work[0][0][0]["answers"])  # every canteen's checklist is the same
    assert answers == items * stored  # no inspection without all of its answers
    assert db.session.scalar(select(func.count()).select_from(Photo)) == len(photos)


def test_the_same_document_sent_by_many_threads_at_once_is_stored_once(
        login_as, canteens, new_inspection):
    api = login_as("inspector", "510104")
    doc = new_inspection(canteens[0])
    statuses: list[int] = []
    start = threading.Barrier(PHONES)

    def resend() -> None:
        start.wait(timeout=60)
        for _ in range(ATTEMPTS):
            status = api.post("/api/v1/inspections", json=doc).status_code
            statuses.append(status)
            if status != 503:
                return

    threads = [threading.Thread(target=resend) for _ in range(PHONES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    final = [s for s in statuses if s != 503]
    assert sorted(final) == [200] * (PHONES - 1) + [201], statuses
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Inspection)) == 1


def test_a_locked_database_in_an_after_request_hook_is_a_503_not_a_500(
        app, login_as, canteens, new_inspection, monkeypatch):
    """The audit entry is written after the response is built; if the database is still locked
    then, the phone must hear "busy, retry" (its retry is answered 200), never a 500."""
    from sqlalchemy.exc import OperationalError

    from foodsafety.audit import hooks

    api = login_as("inspector", "510104")
    doc = new_inspection(canteens[0])

    def locked(*_args, **_kwargs):
        raise OperationalError("INSERT INTO audit_log ...", {}, Exception("database is locked"))

    monkeypatch.setattr(hooks, "record", locked)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production
    response = api.post("/api/v1/inspections", json=doc)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert response.get_json()["code"] == 503
    monkeypatch.undo()
    assert api.post("/api/v1/inspections", json=doc).status_code == 200
