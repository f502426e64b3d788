"""At most `EXPENSIVE_REQUESTS_PER_ACCOUNT` expensive requests of one account run at once.

One account firing dozens of statistics requests at once would otherwise occupy every thread of
every web worker and stall everybody else. A view decorated with `@expensive` first takes one of
the account's slots: a row of `request_leases`, claimed by one atomic upsert in a short
transaction of its own, so every worker process sees it at once. The slot is given back when the
response is closed (after the last byte of a streamed download). With no slot free the request
is answered 429 at once, with Retry-After. A slot never given back (its worker was killed)
expires after `REQUEST_LEASE_SECONDS` and is then taken over.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from flask import Flask, Response, current_app, g
from sqlalchemy import delete, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wsgi import ClosingIterator

from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.limits.models import RequestLease
from foodsafety.timeutil import utcnow

log = logging.getLogger("foodsafety.limits")
TABLE = RequestLease.__table__


@dataclass(frozen=True)
class Lease:
    """One held slot; `token` tells this request's hold from a later one of the same slot."""

    user_id: int
    slot: int
    token: str

    def release(self) -> None:
        """Give the slot back (if it expired and was taken over meanwhile, leave it alone)."""
        try:
            with db.engine.begin() as conn:
                _no_flush_wait(conn)
                conn.execute(delete(TABLE).where(TABLE.c.user_id == self.user_id,
                                                 TABLE.c.slot == self.slot,
                                                 TABLE.c.token == self.token))
        except SQLAlchemyError:  # the slot then expires on its own
            log.exception("could not release request lease %s/%s", self.user_id, self.slot)


def _no_flush_wait(conn) -> None:
    """A lease lives seconds and a crash frees it anyway: its commit need not wait for the disk."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL synchronous_commit = off"))


def acquire(user_id: int, limit: int, seconds: int) -> Lease | None:
    """Take a free (or expired) slot of the user's `limit`, in its own committed transaction."""
    token = secrets.token_hex(16)
    now = utcnow()
    with db.engine.begin() as conn:
        _no_flush_wait(conn)
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        for slot in range(limit):
            claim = dialect.insert(TABLE).values(user_id=user_id, slot=slot, token=token,
                                                 acquired_at=now,
                                                 expires_at=now + timedelta(seconds=seconds))
            claim = claim.on_conflict_do_update(
                index_elements=["user_id", "slot"],
                set_={"token": claim.excluded.token, "acquired_at": claim.excluded.acquired_at,
                      "expires_at": claim.excluded.expires_at},
                where=TABLE.c.expires_at <= now)
            # A row comes back only if the slot was free or expired (psycopg's rowcount says 1
            # even when the upsert's WHERE left the row alone).
            if conn.execute(claim.returning(TABLE.c.id)).first() is not None:
                return Lease(user_id, slot, token)
    return None


def too_many(limit: int, retry_after: int) -> ApiError:
    return ApiError(429, f"您的账户同时进行的统计、导出请求已达上限（{limit} 个），"
                         f"请等待正在进行的请求完成后再试。",
                    reason="too_many_concurrent_requests", headers={"Retry-After": str(retry_after)})


def expensive(view: Callable) -> Callable:
    """Run `view` holding one of the logged-in account's slots; 429 when none is free."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        config = current_app.config
        limit = config["EXPENSIVE_REQUESTS_PER_ACCOUNT"]
        user = g.get("user")
        if user is None or limit <= 0:
            return view(*args, **kwargs)
        lease = acquire(user.id, limit, config["REQUEST_LEASE_SECONDS"])
        if lease is None:
            raise too_many(limit, config["REQUEST_LEASE_RETRY_AFTER"])
        g.leases = [*g.get("leases", ()), lease]
        response = view(*args, **kwargs)
        if isinstance(response, Response) and response.is_streamed:
            g.leases = [held for held in g.leases if held is not lease]
            app = current_app._get_current_object()  # noqa: SLF001

            def release() -> None:  # after the last byte: the request's context is gone by then
                with app.app_context():
                    lease.release()

            # On the body itself, not `call_on_close`: the server closes the body it iterates, and
            # a direct-passthrough download (downloads.send_stream) is handed over bare.
            response.response = ClosingIterator(response.response, release)
        return response

    return wrapper


def init_app(app: Flask) -> None:
    """Give back, at the end of each request, the slots its response did not take along."""

    @app.teardown_request
    def _release(_error) -> None:
        for lease in g.pop("leases", ()):
            lease.release()
