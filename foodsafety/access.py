"""Who is asking and may they: the actor a request acts for, and the role check of every view.

The accounts package resolves a request's session into `g.user` (an account, `accounts.models.User`);
everything below it reads the actor only through `Actor`, so the registry and the tenancy rules
need no account model.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Protocol, TypeVar

from flask import g, request

from foodsafety.errors import ApiError
from foodsafety.vocabulary import Role

F = TypeVar("F", bound=Callable)
# Every role, the auditor included: only for one's own account (me, logout, password, two-factor).
ANY_ROLE = tuple(Role)
# What a bare `login_required()` admits: every role but the auditor, who reads the audit log only.
BUSINESS_ROLES = tuple(role for role in Role if role != Role.AUDITOR)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class Actor(Protocol):
    """An account as the tenancy rules and the audit log read it."""

    id: int | None
    username: str
    role: Role
    jurisdiction_code: str
    school_id: int | None


def current_user() -> Actor:
    """The authenticated account; only valid inside `login_required` views."""
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
