"""Users, their server-side sessions and the login throttle."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foodsafety.extensions import db
from foodsafety.registry.models import Jurisdiction, School, _enum
from foodsafety.timeutil import utcnow


class Role(enum.StrEnum):
    INSPECTOR = "inspector"  # 市场监管执法人员: reads and writes its subtree
    BUREAU = "bureau"  # 教育局: reads its subtree
    SCHOOL = "school"  # 学校: reads its own canteens' records
    ADMIN = "admin"  # 管理员: users and registry within its subtree


ROLE_LABELS = {
    Role.INSPECTOR: "市场监管执法人员",
    Role.BUREAU: "教育局",
    Role.SCHOOL: "学校",
    Role.ADMIN: "管理员",
}


class User(db.Model):
    """An account bound to a jurisdiction (inspector, bureau, admin) or a school."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(_enum(Role, "user_role"))
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    jurisdiction: Mapped[Jurisdiction] = relationship()
    school: Mapped[School | None] = relationship()

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

    user: Mapped[User] = relationship()


class LoginThrottle(db.Model):
    """Failed-login counters per key (`user:<name>` or `ip:<addr>`), with a time-limited lock."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
