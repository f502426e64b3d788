"""Authentication: revocable server-side sessions, role checks and CSRF for cookie clients."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import TypeVar

from flask import current_app, g, request
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from foodsafety.accounts.models import AuthSession, Role, User
from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.timeutil import utcnow

F = TypeVar("F", bound=Callable)
# Every role, the auditor included: only for one's own account (me, logout, password, two-factor).
ANY_ROLE = tuple(Role)
# What a bare `login_required()` admits: every role but the auditor, who reads the audit log only.
BUSINESS_ROLES = tuple(role for role in Role if role != Role.AUDITOR)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
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
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    if (
        session is None
        or session.revoked_at is not None
        or session.expires_at <= now
        or session.last_seen_at + idle <= now
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


def current_user() -> User:
    """The authenticated user; only valid inside `login_required` views."""
    return g.user


def _check_csrf() -> None:
    if request.method in SAFE_METHODS or not getattr(g, "auth_from_cookie", False):
        return
    sent = request.headers.get("X-CSRF-Token", "")
    if not hmac.compare_digest(sent, g.auth_session.csrf_token):
        raise ApiError(403, "缺少或错误的 CSRF 令牌，请刷新页面后重试。", reason="csrf")


def login_required(*roles: Role) -> Callable[[F], F]:
    """Require a valid session, and one of `roles` (403 otherwise; default: all but the auditor)."""
    roles = roles or BUSINESS_ROLES

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if getattr(g, "user", None) is None:
                raise ApiError(401, headers={"WWW-Authenticate": "Bearer"})
            _check_csrf()
            if g.user.role not in roles:
                raise ApiError(403)
            return view(*args, **kwargs)

        wrapper._login_roles = roles  # read by the tenancy matrix test
        return wrapper  # type: ignore[return-value]

    return decorator
