"""Authentication: password hashes and revocable server-side sessions, resolved into `g.user`
(the role check and CSRF of views: `foodsafety.access`)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, g, request
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from foodsafety.accounts.models import AuthSession, User
from foodsafety.extensions import db
from foodsafety.timeutil import utcnow

# A hash to compare against when the user does not exist, so both paths take as long.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def hash_password(password: str) -> str:
    """Hash with scrypt (a slow, memory-hard KDF)."""
    return generate_password_hash(password, method="scrypt")


def verify_password(user: User | None, password: str) -> bool:
    """Check a password in constant-ish time whether or not the user exists."""
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(user.password_hash, password)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(user: User, client_ip: str | None = None) -> tuple[str, AuthSession]:
    """Start a session for `user`; returns the bearer token (shown once) and the row."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session = AuthSession(
        token_hash=_digest(token),
        csrf_token=secrets.token_urlsafe(24),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=current_app.config["SESSION_MAX_HOURS"]),
        client_ip=client_ip,
    )
    db.session.add(session)
    db.session.flush()
    return token, session


def revoke_sessions(user_id: int, *, except_id: int | None = None) -> None:
    """End every open session of a user at once (logout-everywhere, deactivation, password change)."""
    stmt = (
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if except_id is not None:
        stmt = stmt.where(AuthSession.id != except_id)
    db.session.execute(stmt)


def session_ends_at(session: AuthSession) -> datetime:
    """When a session stops working unless used again: its fixed end, or sooner once idle."""
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    return min(session.expires_at, session.last_seen_at + idle)


def _request_token() -> tuple[str | None, bool]:
    """The token of this request and whether it came from the cookie."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip() or None, False
    cookie = request.cookies.get(current_app.config["SESSION_COOKIE_NAME"])
    return cookie, cookie is not None


def load_current_user() -> None:
    """Resolve the session of this request into `g.user` (or None); called before each request."""
    g.user = None
    g.auth_session = None
    token, from_cookie = _request_token()
    if not token:
        return
    session = db.session.scalar(
        select(AuthSession).where(AuthSession.token_hash == _digest(token))
    )
    now = utcnow()
    if (
        session is None
        or session.revoked_at is not None
        or session_ends_at(session) <= now
        or not session.user.active
    ):
        return
    g.user = session.user
    g.auth_session = session
    g.auth_from_cookie = from_cookie
    if now - session.last_seen_at > timedelta(seconds=60):
        # Touch at most once a minute (the idle timeout needs no finer grain), when the request
        # ends: the transaction boundary runs it (foodsafety/transactions.py).
        g.session_touch = lambda executor: executor.execute(
            update(AuthSession).where(AuthSession.id == session.id).values(last_seen_at=now))
