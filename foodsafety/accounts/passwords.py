"""Password policy: length, character classes, common passwords, and the last few not reused."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, select
from werkzeug.security import check_password_hash

from foodsafety.accounts.auth import hash_password
from foodsafety.accounts.models import PasswordHistory, User
from foodsafety.extensions import db
from foodsafety.timeutil import utcnow

COMMON_FILE = Path(__file__).resolve().parent / "data" / "common-passwords.txt"
CLASSES = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"\d"), re.compile(r"[^\w\s]|_"))


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    return frozenset(
        line.strip().lower() for line in COMMON_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )


def password_problems(password: str, username: str = "") -> list[str]:
    """Why a password is refused (empty when acceptable), in Chinese."""
    config = current_app.config
    problems = []
    if len(password) < config["PASSWORD_MIN_LENGTH"]:
        problems.append(f"密码长度不能少于 {config['PASSWORD_MIN_LENGTH']} 位。")
    if len(password) > 128:
        problems.append("密码长度不能超过 128 位。")
    classes = sum(bool(pattern.search(password)) for pattern in CLASSES)
    if classes < config["PASSWORD_MIN_CLASSES"]:
        problems.append(
            f"密码须包含大写字母、小写字母、数字、符号中的至少 {config['PASSWORD_MIN_CLASSES']} 类。")
    lowered = password.lower()
    if lowered in _common() or (username and username.lower() in lowered):
        problems.append("密码过于常见或包含用户名，请换一个。")
    return problems


def recent_hashes(user: User) -> list[str]:
    """The hashes of the user's last PASSWORD_HISTORY passwords, the current one first."""
    keep = current_app.config["PASSWORD_HISTORY"]
    rows = list(db.session.scalars(
        select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.id.desc()).limit(keep)))
    if user.password_hash not in rows:  # accounts from before the history was kept
        rows = [user.password_hash, *rows][:keep]
    return rows


def reused(user: User, password: str) -> bool:
    """Whether `password` is one of the user's last few (each checked against its scrypt hash)."""
    return any(check_password_hash(stored, password) for stored in recent_hashes(user))


def set_password(user: User, password: str) -> None:
    """Store a new password (already checked) and remember it; older history rows are dropped."""
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    remember(user)


def remember(user: User) -> None:
    """Keep the current password's hash in the history, and only the last PASSWORD_HISTORY."""
    db.session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash))
    db.session.flush()
    stale = select(PasswordHistory.id).where(PasswordHistory.user_id == user.id).order_by(
        PasswordHistory.id.desc()).offset(current_app.config["PASSWORD_HISTORY"])
    db.session.execute(delete(PasswordHistory).where(PasswordHistory.id.in_(stale.scalar_subquery()))
                       .execution_options(synchronize_session=False))
