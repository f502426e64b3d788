"""Account services: login (password, then the second factor), passwords, user administration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError

from foodsafety.accounts import throttle, two_factor
from foodsafety.accounts.auth import hash_password, open_session, revoke_sessions, verify_password
from foodsafety.accounts.models import PRIVILEGED_ROLES, AuthSession, TwoFactorPolicy, User
from foodsafety.accounts.passwords import password_problems, remember, reused, set_password
from foodsafety.audit.services import note_subject
from foodsafety.errors import ApiError, invalid, not_found
from foodsafety.extensions import db
from foodsafety.registry.models import Jurisdiction, School
from foodsafety.registry.scope import code_within, in_subtree
from foodsafety.timeutil import utcnow
from foodsafety.vocabulary import Role

BAD_LOGIN = "用户名或密码错误。"
BAD_CODE = "验证码不正确或已使用，请输入验证器中的最新验证码。"
USERNAME_TAKEN = "用户名已被使用（用户名不区分大小写）。"
NOT_MANAGED = "不能管理同级或上级的管理员、审计员账户。"


def normalise_username(username: str) -> str:
    """User names are case-insensitive: Admin1 and admin1 are one account."""
    return username.strip().lower()


def _too_many(retry_after: int) -> ApiError:
    minutes = max(1, (retry_after + 59) // 60)
    return ApiError(429, f"失败次数过多，请 {minutes} 分钟后再试。", reason="login_locked",
                    headers={"Retry-After": str(retry_after)})


# --- login -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoginStep:
    """The answer to a login step: a session opened (its token shown once, and after an enrolment
    the new recovery codes), or the second step still due (its challenge)."""

    token: str | None = None
    session: AuthSession | None = None
    recovery_codes: list[str] | None = None
    two_factor: str | None = None  # totp: enter a code; enrol: bind an authenticator first
    challenge: str | None = None
    challenge_expires_at: datetime | None = None


@dataclass(frozen=True)
class TwoFactorStatus:
    enabled: bool
    required: bool
    recovery_codes_left: int


@dataclass(frozen=True)
class RecoveryCodes:
    recovery_codes: list[str]


def login(username: str, password: str, client_ip: str) -> LoginStep:
    """Check the password (after reserving the attempt); open a session or the second step.

    Unknown user, wrong password and inactive account answer alike.
    """
    name = normalise_username(username)
    keys = throttle.login_keys(name, client_ip)
    if (retry_after := throttle.reserve(keys)) is not None:
        raise _too_many(retry_after)
    user = db.session.scalar(select(User).where(User.username == name))
    note_subject(user)
    if not verify_password(user, password) or not user.active:
        raise ApiError(401, BAD_LOGIN, reason="bad_credentials")
    throttle.succeeded(keys)
    if two_factor.applies(user):
        token, challenge = two_factor.open_challenge(user, client_ip)
        return LoginStep(two_factor="totp" if user.totp_secret else "enrol", challenge=token,
                         challenge_expires_at=challenge.expires_at)
    token, session = open_session(user, client_ip)
    return LoginStep(token, session)


def start_enrolment(challenge_token: str) -> two_factor.Enrolment:
    """The secret and QR code for an account that must use two-factor login and has none yet."""
    challenge = two_factor.load_challenge(challenge_token)
    note_subject(challenge.user)
    if challenge.user.totp_secret is not None:
        raise ApiError(409, "该账户已绑定验证器，请直接输入验证码。", reason="already_enrolled")
    challenge.pending_secret = two_factor.new_secret()
    return two_factor.enrolment(challenge.user, challenge.pending_secret)


def complete_two_factor(challenge_token: str, code: str | None, recovery_code: str | None,
                        client_ip: str) -> LoginStep:
    """The second step: a TOTP code (or a recovery code) turns the pending state into a session.

    When it finishes an enrolment, the new recovery codes come back once with the session.
    """
    challenge = two_factor.load_challenge(challenge_token)
    user = challenge.user
    note_subject(user)
    if not code and not recovery_code:
        raise invalid({"code": ["请输入验证码或恢复码。"]})
    enrolling = user.totp_secret is None
    if enrolling and challenge.pending_secret is None:
        raise invalid({"code": ["请先扫描二维码绑定验证器。"]})
    keys = throttle.code_keys(user.id)
    if (retry_after := throttle.reserve(keys)) is not None:
        raise _too_many(retry_after)
    if enrolling:
        ok = bool(code) and two_factor.enable(user, challenge.pending_secret, code)
    elif recovery_code:
        ok = two_factor.use_recovery_code(user, recovery_code)
    else:
        ok = two_factor.check_code(user, code)
    if not ok:
        raise ApiError(401, BAD_CODE, reason="bad_code")
    two_factor.consume_challenge(challenge)
    throttle.succeeded(keys)
    token, session = open_session(user, client_ip)
    return LoginStep(token, session, two_factor.new_recovery_codes(user) if enrolling else None)


def logout(session: AuthSession) -> None:
    session.revoked_at = utcnow()


def two_factor_status(user: User) -> TwoFactorStatus:
    return TwoFactorStatus(user.two_factor_enabled, two_factor.required(user),
                           two_factor.recovery_codes_left(user))


def regenerate_recovery_codes(user: User, code: str) -> RecoveryCodes:
    """A new set of recovery codes, for a current authenticator code (throttled, no replay)."""
    if user.totp_secret is None:
        raise invalid({"code": ["您的账户尚未绑定验证器。"]})
    keys = throttle.code_keys(user.id)
    if (retry_after := throttle.reserve(keys)) is not None:
        raise _too_many(retry_after)
    if not two_factor.check_code(user, code):
        raise invalid({"code": [BAD_CODE]})
    throttle.succeeded(keys)
    return RecoveryCodes(two_factor.new_recovery_codes(user))


def _new_password_problems(user: User, password: str) -> list[str]:
    problems = password_problems(password, user.username)
    if not problems and reused(user, password):
        problems.append(f"新密码不能与最近 {current_app.config['PASSWORD_HISTORY']} 次使用过的密码相同。")
    return problems


def change_password(user: User, session: AuthSession, current: str, new: str, client_ip: str) -> None:
    """Change one's own password; a wrong current one counts like a failed login."""
    keys = throttle.login_keys(user.username, client_ip)
    if (retry_after := throttle.reserve(keys)) is not None:
        raise _too_many(retry_after)
    if not verify_password(user, current):
        raise invalid({"current_password": ["当前密码不正确。"]})
    throttle.succeeded(keys)
    if problems := _new_password_problems(user, new):
        raise invalid({"new_password": problems})
    set_password(user, new)
    revoke_sessions(user.id, except_id=session.id)


# --- administration (admins, within their subtree) ------------------------------------------

def create_user(admin: User | None, data: dict) -> User:
    """Create an account; an admin (None from the CLI) may only create within its subtree."""
    errors: dict[str, list[str]] = {}
    username = normalise_username(data["username"])
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
    if db.session.scalar(select(User.id).where(User.username == username)):
        errors["username"] = [USERNAME_TAKEN]
    if problems := password_problems(data["password"], username):
        errors["password"] = problems
    if errors:
        raise invalid(errors)
    user = User(username=username, display_name=data["display_name"],
                password_hash=hash_password(data["password"]), role=role,
                jurisdiction_code=data["jurisdiction_code"], school_id=school.id if school else None,
                phone=data.get("phone"), active=True)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # the same name created by a request running alongside this one
        raise invalid({"username": [USERNAME_TAKEN]}) from None
    remember(user)
    return user


def update_profile(user: User, data: dict) -> User:
    """Change one's own display name and 执法证号; a blank 执法证号 clears it."""
    if "display_name" in data:
        user.display_name = data["display_name"]
    if "badge_no" in data:
        user.badge_no = data["badge_no"] or None
    db.session.flush()
    return user


def admin_users(admin: User, args: dict) -> Select:
    """The accounts of the admin's subtree, filtered by role, jurisdiction subtree, status and a
    search in the user name (stored lower-case) or the display name."""
    query = (select(User).where(in_subtree(admin.jurisdiction_code, User.jurisdiction_code))
             .order_by(User.id))
    if role := args.get("role"):
        query = query.where(User.role == Role(role))
    if code := args.get("jurisdiction"):
        query = query.where(in_subtree(code, User.jurisdiction_code))
    if args.get("active") is not None:
        query = query.where(User.active.is_(args["active"]))
    if q := args.get("q"):
        query = query.where(or_(User.username.contains(q.lower(), autoescape=True),
                                User.display_name.contains(q, autoescape=True)))
    return query


def get_admin_user(admin: User, user_id: int) -> User:
    user = db.session.scalar(select(User).where(
        User.id == user_id, in_subtree(admin.jurisdiction_code, User.jurisdiction_code)))
    if user is None:
        raise not_found()
    return user


def manages(admin: User, user: User) -> bool:
    """An admin manages the accounts of its subtree, except itself and any admin or auditor at
    its own level or above (those it could otherwise take over, and so read the audit log)."""
    if user.id == admin.id:
        return False
    return not (user.role in PRIVILEGED_ROLES and code_within(user.jurisdiction_code, admin.jurisdiction_code))


def get_managed_user(admin: User, user_id: int) -> User:
    """A user the admin may change (404 outside its subtree, 403 for its peers and superiors)."""
    user = get_admin_user(admin, user_id)
    if not manages(admin, user):
        raise ApiError(403, NOT_MANAGED, reason="not_managed")
    return user


def update_user(admin: User, user_id: int, data: dict) -> User:
    """Rename, (de)activate, reset a password or the second factor; the last three end all sessions.

    An admin's own account: only its name and phone here (its password needs the current one).
    """
    user = get_admin_user(admin, user_id)
    if user.id == admin.id:
        if data.get("active") is False:
            raise invalid({"active": ["不能停用自己的账户。"]})
        if "password" in data or data.get("reset_two_factor") or data.get("unlock"):
            raise ApiError(403, "请在“修改密码”中修改自己的密码（需要输入当前密码）。", reason="not_managed")
    elif not manages(admin, user):
        raise ApiError(403, NOT_MANAGED, reason="not_managed")
    if "password" in data:
        if problems := _new_password_problems(user, data["password"]):
            raise invalid({"password": problems})
        set_password(user, data["password"])
        revoke_sessions(user.id)
    if data.get("unlock"):
        throttle.unlock(user)
    if data.get("reset_two_factor"):
        two_factor.disable(user)
        revoke_sessions(user.id)
    if "active" in data:
        user.active = data["active"]
        if not user.active:
            revoke_sessions(user.id)
    for name in ("display_name", "phone"):
        if name in data:
            setattr(user, name, data[name])
    db.session.flush()
    return user


# --- sessions of the users an admin manages --------------------------------------------------

def open_sessions(user: User) -> Select:
    """A user's sessions that still work (not ended, not expired), newest first."""
    now = utcnow()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    return (select(AuthSession)
            .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None),
                   AuthSession.expires_at > now, AuthSession.last_seen_at > now - idle)
            .order_by(AuthSession.created_at.desc(), AuthSession.id.desc()))


def managed_user_sessions(admin: User, user_id: int) -> Select:
    return open_sessions(get_managed_user(admin, user_id))


def end_managed_sessions(admin: User, user_id: int, session_id: int | None = None) -> None:
    """End one session (404 if it is not an open one of that user) or all of them."""
    user = get_managed_user(admin, user_id)
    if session_id is None:
        revoke_sessions(user.id)
        return
    session = db.session.scalar(open_sessions(user).where(AuthSession.id == session_id))
    if session is None:
        raise not_found()
    session.revoked_at = utcnow()


# --- two-factor policies (admins, within their subtree) --------------------------------------

def _policy_jurisdiction(admin: User, code: str, role: str) -> Jurisdiction:
    """The jurisdiction of a policy URL (404 outside the admin's subtree, or for a role that
    always uses two-factor login and so has no switch)."""
    if role not in {r.value for r in two_factor.POLICY_ROLES}:
        raise not_found()
    jurisdiction = db.session.get(Jurisdiction, code)
    if jurisdiction is None or not code_within(admin.jurisdiction_code, code):
        raise not_found()
    return jurisdiction


def set_policy(admin: User, code: str, role: str) -> TwoFactorPolicy:
    """Switch two-factor login on for `role` throughout `code`'s subtree (as it was, if it was on);
    the admin may switch it off again (`policy.editable`)."""
    _policy_jurisdiction(admin, code, role)
    policy = two_factor.find_policy(code, Role(role))
    if policy is None:
        policy = TwoFactorPolicy(jurisdiction_code=code, role=Role(role), created_by_id=admin.id,
                                 created_at=utcnow())
        db.session.add(policy)
        try:
            db.session.flush()
        except IntegrityError:  # switched on by a request running alongside: the same outcome
            raise ApiError(409, "该策略刚被其他管理员设置，请刷新后查看。") from None
    policy.editable = True  # within the admin's subtree (`_policy_jurisdiction`)
    return policy


def remove_policy(admin: User, code: str, role: str) -> None:
    """Switch it off again; a policy set above the admin's jurisdiction is out of its reach."""
    _policy_jurisdiction(admin, code, role)
    policy = two_factor.find_policy(code, Role(role))
    if policy is None:
        raise not_found()
    db.session.delete(policy)


def policies(admin: User) -> list[TwoFactorPolicy]:
    """The policies that concern an admin, each marked whether it may switch it off (`editable`:
    set within its subtree, not above it)."""
    found = list(db.session.scalars(two_factor.policies_for(admin)))
    for policy in found:
        policy.editable = code_within(admin.jurisdiction_code, policy.jurisdiction_code)
    return found
