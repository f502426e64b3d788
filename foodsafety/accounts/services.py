"""Account services: login with throttling, logout, password changes, user administration."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import Select, select

from foodsafety.accounts.auth import hash_password, open_session, revoke_sessions, verify_password
from foodsafety.accounts.models import ROLE_LABELS, AuthSession, LoginThrottle, Role, User
from foodsafety.accounts.passwords import password_problems
from foodsafety.errors import ApiError, invalid, not_found
from foodsafety.extensions import db
from foodsafety.registry.models import Jurisdiction, School
from foodsafety.scope import code_within, in_subtree
from foodsafety.timeutil import iso_cst, utcnow

BAD_LOGIN = "用户名或密码错误。"


def _throttle(key: str) -> LoginThrottle:
    row = db.session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0, window_started_at=utcnow())
        db.session.add(row)
    return row


def _locked(keys: list[str]) -> bool:
    now = utcnow()
    rows = db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))).all()
    return any(r.locked_until and r.locked_until > now for r in rows)


def _record_failure(keys: list[str]) -> None:
    """Count a failure; reaching the limit locks the key for a while (never for good)."""
    config = current_app.config
    now = utcnow()
    window = timedelta(minutes=config["LOGIN_LOCK_MINUTES"])
    for key in keys:
        row = _throttle(key)
        if row.window_started_at + window < now:
            row.failures, row.window_started_at = 0, now
        row.failures += 1
        # A client address may try many accounts (a school office behind one NAT): allow more.
        limit = config["LOGIN_MAX_FAILURES"] * (4 if key.startswith("ip:") else 1)
        if row.failures >= limit:
            row.locked_until = now + window
            row.failures, row.window_started_at = 0, now


def login(username: str, password: str, client_ip: str) -> tuple[str, AuthSession]:
    """Check credentials and open a session. Unknown user and wrong password answer alike."""
    keys = [f"user:{username.lower()}", f"ip:{client_ip}"]
    if _locked(keys):
        raise ApiError(429, "登录失败次数过多，请 15 分钟后再试。", reason="login_locked",
                       headers={"Retry-After": str(current_app.config["LOGIN_LOCK_MINUTES"] * 60)})
    user = db.session.scalar(select(User).where(User.username == username))
    if not verify_password(user, password) or not user.active:
        _record_failure(keys)
        db.session.commit()  # the failure must count even though the request fails
        raise ApiError(401, BAD_LOGIN, reason="bad_credentials")
    for key in keys[:1]:
        row = db.session.get(LoginThrottle, key)
        if row:
            row.failures = 0
    return open_session(user)


def logout(session: AuthSession) -> None:
    session.revoked_at = utcnow()


def change_password(user: User, session: AuthSession, current: str, new: str) -> None:
    """Change one's own password; every other session ends at once."""
    if not verify_password(user, current):
        raise invalid({"current_password": ["当前密码不正确。"]})
    if problems := password_problems(new, user.username):
        raise invalid({"new_password": problems})
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    revoke_sessions(user.id, except_id=session.id)


def user_dict(user: User) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "role_label": ROLE_LABELS[user.role],
        "jurisdiction_code": user.jurisdiction_code,
        "jurisdiction_name": user.jurisdiction.name,
        "school_id": user.school_id,
        "school_name": user.school.name if user.school else None,
        "phone": user.phone,
        "active": user.active,
    }


def session_dict(token: str, session: AuthSession) -> dict:
    return {"token": token, "csrf_token": session.csrf_token,
            "expires_at": iso_cst(session.expires_at), "user": user_dict(session.user)}


# --- administration (admins, within their subtree) ------------------------------------------

def create_user(admin: User | None, data: dict) -> User:
    """Create an account; an admin (None from the CLI) may only create within its subtree."""
    errors: dict[str, list[str]] = {}
    role = Role(data["role"])
    school = None
    if role == Role.SCHOOL:
        school = db.session.get(School, data.get("school_id") or 0)
        if school is None or (admin and not code_within(admin.jurisdiction_code, school.jurisdiction_code)):
            errors["school_id"] = ["学校不存在或不在您的管辖范围内。"]
        else:
            data["jurisdiction_code"] = school.jurisdiction_code
    elif data.get("school_id"):
        errors["school_id"] = ["只有学校账户才关联学校。"]
    code = data.get("jurisdiction_code")
    if not code:
        errors.setdefault("jurisdiction_code", ["缺少必填字段。"])
    elif db.session.get(Jurisdiction, code) is None or (
            admin and not code_within(admin.jurisdiction_code, code)):
        errors.setdefault("jurisdiction_code", ["行政区划不存在或不在您的管辖范围内。"])
    if db.session.scalar(select(User.id).where(User.username == data["username"])):
        errors["username"] = ["用户名已被使用。"]
    if problems := password_problems(data["password"], data["username"]):
        errors["password"] = problems
    if errors:
        raise invalid(errors)
    user = User(username=data["username"], display_name=data["display_name"],
                password_hash=hash_password(data["password"]), role=role,
                jurisdiction_code=data["jurisdiction_code"], school_id=school.id if school else None,
                phone=data.get("phone"), active=True)
    db.session.add(user)
    db.session.flush()
    return user


def admin_users(admin: User, args: dict) -> Select:
    query = (select(User).where(in_subtree(admin.jurisdiction_code, User.jurisdiction_code))
             .order_by(User.id))
    if role := args.get("role"):
        query = query.where(User.role == Role(role))
    if code := args.get("jurisdiction"):
        query = query.where(in_subtree(code, User.jurisdiction_code))
    return query


def get_admin_user(admin: User, user_id: int) -> User:
    user = db.session.scalar(select(User).where(
        User.id == user_id, in_subtree(admin.jurisdiction_code, User.jurisdiction_code)))
    if user is None:
        raise not_found()
    return user


def update_user(admin: User, user_id: int, data: dict) -> User:
    """Rename, (de)activate or reset a password; deactivation and resets end all sessions."""
    user = get_admin_user(admin, user_id)
    if "password" in data:
        if problems := password_problems(data["password"], user.username):
            raise invalid({"password": problems})
        user.password_hash = hash_password(data["password"])
        user.password_changed_at = utcnow()
        revoke_sessions(user.id)
    if "active" in data:
        if user.id == admin.id and not data["active"]:
            raise invalid({"active": ["不能停用自己的账户。"]})
        user.active = data["active"]
        if not user.active:
            revoke_sessions(user.id)
    for name in ("display_name", "phone"):
        if name in data:
            setattr(user, name, data[name])
    db.session.flush()
    return user
