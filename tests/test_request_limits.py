"""One account cannot occupy the server with expensive requests: beyond its few concurrent slots
it is answered 429 at once (in Chinese, with Retry-After), and other accounts are served."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import update

from foodsafety.extensions import db
from foodsafety.limits import leases
from foodsafety.limits.models import RequestLease
from foodsafety.statistics import compute
from foodsafety.timeutil import utcnow
from tests.factories import ApiClient

TABLE = "/api/v1/statistics/510100/2026-H1"
EXPENSIVE = [TABLE, TABLE + "/breakdown", TABLE + "/coverage", TABLE + "/workbook.xlsx",
             "/stats/chart.svg?jurisdiction=510100&period=2026-H1"]


class Gate:
    """Statistics requests of the users in `held` wait inside until `open()`."""

    def __init__(self) -> None:
        self.held: set[int] = set()
        self.inside = threading.Semaphore(0)
        self._open = threading.Event()

    def open(self) -> None:
        self._open.set()

    def wait_here(self) -> None:
        if g.user.id in self.held:
            self.inside.release()
            self._open.wait(30)


@pytest.fixture
def gate(monkeypatch):
    gate = Gate()
    original = compute.compute_table

    def waiting(code, period, cutoff):
        gate.wait_here()
        return original(code, period, cutoff)

    monkeypatch.setattr(compute, "compute_table", waiting)
    yield gate
    gate.open()


def same_account(app, client: ApiClient) -> ApiClient:
    """Another connection of the same logged-in account (a test client per thread)."""
    return ApiClient(app.test_client(), client.token, client.user)


def test_an_account_beyond_its_concurrent_slots_is_refused_while_others_are_served(
        app, login_as, gate):
    limit = app.config["EXPENSIVE_REQUESTS_PER_ACCOUNT"]
    busy, other = login_as("bureau", "510100"), login_as("bureau", "510100")
    gate.held.add(busy.user.id)
    answers = {}
    running = [threading.Thread(target=lambda i=i: answers.__setitem__(
        i, same_account(app, busy).get(TABLE))) for i in range(limit)]
    for thread in running:
        thread.start()
    for _ in running:
        assert gate.inside.acquire(timeout=30), "the first requests did not start"

    for url in EXPENSIVE:
        refused = busy.get(url)
        assert refused.status_code == 429, url
        body = refused.get_json()
        assert body["reason"] == "too_many_concurrent_requests" and body["code"] == 429
        assert f"已达上限（{limit} 个）" in body["message"]
        assert int(refused.headers["Retry-After"]) > 0
    assert busy.get("/api/v1/auth/me").status_code == 200  # cheap requests are not limited
    assert busy.get("/stats/").status_code == 200  # the page is a shell; its API calls are bounded
    for url in EXPENSIVE:
        assert other.get(url).status_code == 200, url

    gate.open()
    for thread in running:
        thread.join(30)
    assert [answers[i].status_code for i in range(limit)] == [200] * limit
    assert busy.get(TABLE).status_code == 200  # the slots were given back


def test_many_requests_at_once_from_one_account_get_at_most_its_slots(app, login_as, gate):
    limit = app.config["EXPENSIVE_REQUESTS_PER_ACCOUNT"]
    busy = login_as("bureau", "510100")
    gate.held.add(busy.user.id)
    clients = [same_account(app, busy) for _ in range(8)]
    start = threading.Barrier(len(clients))
    statuses = []

    def fire(client):
        start.wait(10)
        statuses.append(client.get(TABLE).status_code)

    threads = [threading.Thread(target=fire, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for _ in range(limit):
        assert gate.inside.acquire(timeout=30)
    deadline = time.monotonic() + 30
    while len(statuses) < len(clients) - limit:  # the refusals come back while two still wait
        assert time.monotonic() < deadline, statuses
        time.sleep(0.05)
    assert set(statuses) == {429}
    gate.open()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [200] * limit + [429] * (len(clients) - limit)


def test_a_slot_a_killed_request_never_gave_back_frees_itself_when_it_expires(app, login_as):
    limit = app.config["EXPENSIVE_REQUESTS_PER_ACCOUNT"]
    bureau = login_as("bureau", "510100")
    for _ in range(limit):  # taken and never given back, as by a worker killed mid-request
        assert leases.acquire(bureau.user.id, limit, seconds=60) is not None
    assert bureau.get(TABLE).status_code == 429
    db.session.execute(update(RequestLease).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert bureau.get(TABLE).status_code == 200
    assert bureau.get(TABLE).status_code == 200


def test_failed_requests_give_their_slots_back(app, login_as):
    bureau = login_as("bureau", "510100")
    for _ in range(app.config["EXPENSIVE_REQUESTS_PER_ACCOUNT"] + 2):
        assert bureau.get("/api/v1/statistics/510100/2026-H3").status_code == 422
        assert bureau.get("/api/v1/statistics/510300/2026-H1").status_code == 404
    assert bureau.get(TABLE).status_code == 200
