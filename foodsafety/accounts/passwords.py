"""Password policy: length, character classes, and a list of common passwords."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from flask import current_app

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
