"""Users, their server-side sessions, two-factor authentication, password history and the throttle."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foodsafety.extensions import db, term_column
from foodsafety.registry.models import Jurisdiction, School
from foodsafety.timeutil import utcnow
from foodsafety.vocabulary import Role

# Roles that must always log in with a second factor (等保 2.0 third level: administrators).
TWO_FACTOR_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})
# Roles that hold the system's privileged duties; an admin may not take over one at its level or above.
PRIVILEGED_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})


class User(db.Model):
    """An account bound to a jurisdiction (inspector, bureau, admin, auditor) or a school.

    `username` is stored lower-case: user names are case-insensitive.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(term_column(Role, "user_role"))
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    phone: Mapped[str | None] = mapped_column(String(20))
    badge_no: Mapped[str | None] = mapped_column(String(32))  # 执法证号, prefilled into inspections
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # TOTP (RFC 6238): the shared secret once enrolled, and the last time step accepted (no replay).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    jurisdiction: Mapped[Jurisdiction] = relationship()
    school: Mapped[School | None] = relationship()

    @property
    def two_factor_enabled(self) -> bool:
        """An authenticator is bound to the account."""
        return self.totp_secret is not None

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class AuthSession(db.Model):
    """A revocable login session; the client holds a random token, we keep only its hash."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    client_ip: Mapped[str | None] = mapped_column(String(45))

    user: Mapped[User] = relationship()


class LoginChallenge(db.Model):
    """The short-lived state between a correct password and the second factor.

    Its token opens nothing but the two-factor step (and enrolment); it is not a session.
    """

    __tablename__ = "login_challenges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    pending_secret: Mapped[str | None] = mapped_column(String(64))  # a TOTP secret being enrolled
    client_ip: Mapped[str | None] = mapped_column(String(45))

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A one-time recovery code for the second factor; only its SHA-256 is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class PasswordHistory(db.Model):
    """The hashes of a user's recent passwords, so a new one must differ from them."""

    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class TwoFactorPolicy(db.Model):
    """Two-factor login switched on for one role throughout a jurisdiction's subtree."""

    __tablename__ = "two_factor_policies"

    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), primary_key=True)
    role: Mapped[Role] = mapped_column(term_column(Role, "two_factor_role"), primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    jurisdiction: Mapped[Jurisdiction] = relationship()


class LoginThrottle(db.Model):
    """Attempt counters per key (`user:<name>`, `ip:<addr>`, `totp:<user id>`) in a time window.

    An attempt is counted (atomically) before its password or code is checked, so no more than
    the limit are ever checked in one window, however many arrive at once.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
