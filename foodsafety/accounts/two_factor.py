"""Two-factor login: TOTP (RFC 6238), one-time recovery codes, the pending login step, policies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import qrcode
import qrcode.image.svg
from flask import current_app
from sqlalchemy import and_, delete, exists, func, or_, select, update

from foodsafety.accounts.models import TWO_FACTOR_ROLES, LoginChallenge, RecoveryCode, TwoFactorPolicy, User
from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.registry.models import JurisdictionClosure
from foodsafety.registry.scope import in_subtree
from foodsafety.timeutil import utcnow
from foodsafety.vocabulary import Role

ISSUER = "校园食品安全守护行动"
STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i look-alikes
CHALLENGE_EXPIRED = "登录步骤已超时，请重新输入用户名和密码。"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- who must use it -------------------------------------------------------------------------

def policy_applies(user: User) -> bool:
    """A jurisdiction at or above the user's switched two-factor login on for the user's role."""
    return bool(db.session.scalar(select(exists().where(
        TwoFactorPolicy.role == user.role,
        JurisdictionClosure.ancestor_code == TwoFactorPolicy.jurisdiction_code,
        JurisdictionClosure.descendant_code == user.jurisdiction_code))))


def required(user: User) -> bool:
    """Administrators and auditors always; other roles where a policy switches it on."""
    return user.role in TWO_FACTOR_ROLES or policy_applies(user)


def applies(user: User) -> bool:
    """Whether the login of `user` takes a second step (required, or already enrolled)."""
    return user.totp_secret is not None or required(user)


# --- the pending login step ------------------------------------------------------------------

def open_challenge(user: User, client_ip: str) -> tuple[str, LoginChallenge]:
    """After a correct password: a token that opens nothing but the second step, for minutes."""
    db.session.execute(delete(LoginChallenge).where(
        or_(LoginChallenge.user_id == user.id, LoginChallenge.expires_at <= utcnow())))
    token = secrets.token_urlsafe(32)
    now = utcnow()
    challenge = LoginChallenge(
        token_hash=_digest(token), user_id=user.id, created_at=now, client_ip=client_ip,
        expires_at=now + timedelta(minutes=current_app.config["TWO_FACTOR_STEP_MINUTES"]))
    db.session.add(challenge)
    db.session.flush()
    return token, challenge


def load_challenge(token: str) -> LoginChallenge:
    """The live challenge of `token` (401 when unknown, expired, or its user was deactivated)."""
    challenge = db.session.scalar(select(LoginChallenge).where(LoginChallenge.token_hash == _digest(token)))
    if challenge is None or challenge.expires_at <= utcnow() or not challenge.user.active:
        raise ApiError(401, CHALLENGE_EXPIRED, reason="challenge_expired")
    return challenge


def consume_challenge(challenge: LoginChallenge) -> None:
    """Use the challenge up; a second request racing with the same one is refused."""
    result = db.session.execute(delete(LoginChallenge).where(LoginChallenge.id == challenge.id))
    if result.rowcount != 1:
        raise ApiError(401, CHALLENGE_EXPIRED, reason="challenge_expired")


# --- TOTP ------------------------------------------------------------------------------------

def new_secret() -> str:
    return pyotp.random_base32()


@dataclass(frozen=True)
class Enrolment:
    """What an authenticator app needs: the secret, its otpauth:// URI and that URI as a QR code."""

    secret: str
    otpauth_uri: str
    qr_svg: str  # a data: URL


def enrolment(user: User, secret: str) -> Enrolment:
    """The enrolment of `secret` for `user`'s authenticator."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    svg = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2).to_string()
    return Enrolment(secret, uri, "data:image/svg+xml;base64," + base64.b64encode(svg).decode())


def matching_step(secret: str, code: str) -> int | None:
    """The time step (current, or one either side for clock drift) whose code is `code`."""
    code = "".join(code.split())
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // STEP_SECONDS
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def claim_step(user: User, step: int) -> bool:
    """Accept a code's time step once: an already used (or older) step is a replay."""
    result = db.session.execute(
        update(User).where(User.id == user.id, or_(User.totp_last_step.is_(None),
                                                   User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False))
    return result.rowcount == 1


def check_code(user: User, code: str) -> bool:
    """A current code of the enrolled user's authenticator, not used before."""
    step = matching_step(user.totp_secret or "", code) if user.totp_secret else None
    return step is not None and claim_step(user, step)


def enable(user: User, secret: str, code: str) -> bool:
    """Finish enrolment when `code` proves the authenticator holds `secret`."""
    step = matching_step(secret, code)
    if step is None:
        return False
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = secret, utcnow(), step
    return True


def disable(user: User) -> None:
    """Forget the authenticator and the recovery codes (an admin's reset after a lost phone)."""
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


# --- recovery codes --------------------------------------------------------------------------

def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def new_recovery_codes(user: User) -> list[str]:
    """A fresh set of one-time codes (shown once); the previous set stops working."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_digest(raw)))
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one unused recovery code (atomically: two requests cannot spend the same code)."""
    result = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   RecoveryCode.code_hash == _digest(_normalise_recovery(code)),
                                   RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount == 1


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


# --- policies (admins, within their subtree) -------------------------------------------------

POLICY_ROLES = (Role.INSPECTOR, Role.BUREAU, Role.SCHOOL)  # admins and auditors always use it


def policies_for(admin: User):
    """Policies an admin sees: those it may change (its subtree) and those above it that apply."""
    above = exists().where(JurisdictionClosure.ancestor_code == TwoFactorPolicy.jurisdiction_code,
                           JurisdictionClosure.descendant_code == admin.jurisdiction_code)
    return (select(TwoFactorPolicy)
            .where(or_(in_subtree(admin.jurisdiction_code, TwoFactorPolicy.jurisdiction_code), above))
            .order_by(TwoFactorPolicy.jurisdiction_code, TwoFactorPolicy.role))


def find_policy(code: str, role: Role) -> TwoFactorPolicy | None:
    return db.session.scalar(select(TwoFactorPolicy).where(
        and_(TwoFactorPolicy.jurisdiction_code == code, TwoFactorPolicy.role == role)))
