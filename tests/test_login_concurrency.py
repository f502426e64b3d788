"""Logins and account creation under concurrent requests: counters that hold, no 500s.

Real threads against the app, on SQLite and PostgreSQL alike: at most LOGIN_MAX_FAILURES
passwords (or codes) are checked per account in a window however many arrive at once, and
the same user name created twice at once is one account and one clear refusal.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from foodsafety.accounts import services, two_factor
from foodsafety.accounts.models import User
from foodsafety.extensions import db
from tests.factories import PASSWORD, enrol_totp

THREADS = 40


def run_together(app, count: int, call) -> list:
    """Start `count` threads at one barrier, each with its own test client; their answers."""
    answers: list = []
    start = threading.Barrier(count)

    def worker() -> None:
        client = app.test_client()
        start.wait(timeout=60)
        answers.append(call(client))

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    return answers


@pytest.fixture
def counted(monkeypatch):
    """Wrap a function of a module so that its calls are counted (thread-safe)."""
    calls = {"n": 0}
    lock = threading.Lock()

    def wrap(module, name):
        original = getattr(module, name)

        def counting(*args, **kwargs):
            with lock:
                calls["n"] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, counting)
        return calls

    return wrap


@pytest.mark.parametrize("known", [True, False], ids=["known-user", "new-username"])
def test_forty_parallel_wrong_passwords_check_at_most_the_limit_and_never_answer_500(
        app, make_user, counted, known):
    if known:
        make_user(username="target")
    checks = counted(services, "verify_password")
    answers = run_together(app, THREADS, lambda c: c.post(
        "/api/v1/auth/login", json={"username": "target", "password": "Wrong#Pass123"}))
    statuses = sorted(r.status_code for r in answers)
    assert set(statuses) <= {401, 429}, statuses
    limit = app.config["LOGIN_MAX_FAILURES"]
    assert checks["n"] <= limit and statuses.count(401) == checks["n"], (checks, statuses)
    assert statuses.count(429) >= THREADS - limit


def test_parallel_wrong_codes_check_at_most_the_limit(app, make_user, counted):
    user = make_user("admin", "510000", username="coded")
    enrol_totp(user)
    challenges = []
    client = app.test_client()
    for _ in range(1):
        body = client.post("/api/v1/auth/login",
                           json={"username": "coded", "password": PASSWORD}).get_json()
        challenges.append(body["challenge"])
    checks = counted(two_factor, "check_code")
    answers = run_together(app, 20, lambda c: c.post(
        "/api/v1/auth/login/two-factor", json={"challenge": challenges[0], "code": "000000"}))
    statuses = sorted(r.status_code for r in answers)
    assert set(statuses) <= {401, 429}, statuses
    assert checks["n"] <= app.config["LOGIN_MAX_FAILURES"], (checks, statuses)


def test_the_same_user_created_at_once_is_one_account_and_a_clear_refusal(app, login_as):
    admin = login_as("admin", "510100")
    body = {"username": "twin", "display_name": "双胞胎", "password": "Strong#Pass2026",
            "role": "inspector", "jurisdiction_code": "510104"}

    def create(client):
        return client.post("/api/v1/users", json=body, headers={"Authorization": f"Bearer {admin.token}"})

    answers = run_together(app, 8, create)
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(201) == 1 and set(statuses) <= {201, 409, 422}, statuses
    for refused in (r for r in answers if r.status_code != 201):
        assert "用户名" in refused.get_json()["errors"]["username"][0]
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(User).where(User.username == "twin")) == 1
