"""Attempt counters for passwords and second-factor codes, safe under concurrency.

An attempt is *reserved* before its secret is checked: one INSERT … ON CONFLICT DO NOTHING and
one UPDATE … SET failures = failures + 1 … RETURNING, committed at once on a connection of its
own. The database serialises the UPDATEs of a key, so each attempt sees its own number and no
more than `limit` secrets are ever checked in one window, however many requests arrive together.
A success gives its reservation back (and clears the account's counter).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, update
from sqlalchemy.dialects import postgresql, sqlite

from foodsafety.accounts.models import LoginThrottle
from foodsafety.extensions import db
from foodsafety.timeutil import utcnow

# A client address may try many accounts (a school office behind one NAT): it gets more attempts.
ADDRESS_FACTOR = 4


def login_keys(username: str, client_ip: str) -> list[tuple[str, int]]:
    """The counters a password attempt draws on: the account's and the client address's."""
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    return [(f"user:{username}", limit), (f"ip:{client_ip}", limit * ADDRESS_FACTOR)]


def code_keys(user_id: int) -> list[tuple[str, int]]:
    """The counter a second-factor attempt draws on (one per account)."""
    return [(f"totp:{user_id}", current_app.config["LOGIN_MAX_FAILURES"])]


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])


def reserve(keys: list[tuple[str, int]]) -> int | None:
    """Count one attempt on every key; the seconds to wait if any key is over its limit, else None.

    Call it before the request writes anything: it ends the request's (read-only) transaction
    first, so a request never holds two connections at once (a full pool cannot deadlock) and
    SQLite takes its write lock afresh instead of upgrading a stale read snapshot.
    """
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("reserve() must run before the request changes anything")
    db.session.commit()
    now = utcnow()
    expired = LoginThrottle.window_started_at <= now - _window()
    retry_after = None
    with db.engine.begin() as conn:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        for key, limit in sorted(keys):  # one order everywhere: no deadlock between two requests
            conn.execute(insert(LoginThrottle).values(key=key, failures=0, window_started_at=now)
                         .on_conflict_do_nothing(index_elements=["key"]))
            failures, started = conn.execute(
                update(LoginThrottle).where(LoginThrottle.key == key)
                .values(failures=case((expired, 1), else_=LoginThrottle.failures + 1),
                        window_started_at=case((expired, now), else_=LoginThrottle.window_started_at))
                .returning(LoginThrottle.failures, LoginThrottle.window_started_at)).one()
            if failures > limit:
                retry_after = max(retry_after or 0, _seconds_left(started, now))
    return retry_after


def _seconds_left(started: datetime, now: datetime) -> int:
    return max(1, int((started + _window() - now).total_seconds()) + 1)


def succeeded(keys: list[tuple[str, int]]) -> None:
    """A correct secret: the account's counter starts again, the address gets its attempt back.

    Committed at once, with what the request did so far (checking the secret, e.g. using up a
    code): a refusal later in the request (a reused new password) must not undo it.
    """
    for key, _ in sorted(keys):
        value = 0 if not key.startswith("ip:") else case(
            (LoginThrottle.failures > 0, LoginThrottle.failures - 1), else_=0)
        db.session.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(failures=value))
    db.session.commit()


def account_keys(user) -> list[tuple[str, int]]:
    """The per-account counters (password and second-factor) that lock a user out when full."""
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    return [(f"user:{user.username}", limit), (f"totp:{user.id}", limit)]


def locked_until(user) -> datetime | None:
    """When the account's lock ends (UTC), or None when it is not locked now."""
    now = utcnow()
    ends = None
    for key, limit in account_keys(user):
        row = db.session.get(LoginThrottle, key)
        if row is None or row.failures < limit or row.window_started_at <= now - _window():
            continue
        end = row.window_started_at + _window()
        ends = max(ends, end) if ends else end
    return ends


def unlock(user) -> None:
    """An administrator lets the account try again at once (its counters start from zero)."""
    keys = [key for key, _ in account_keys(user)]
    db.session.execute(update(LoginThrottle).where(LoginThrottle.key.in_(keys)).values(failures=0))
