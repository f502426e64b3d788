"""Two-factor login (TOTP, RFC 6238): required of admins and auditors, switchable on per role and
jurisdiction subtree; enrolment by QR code at login, one-time recovery codes, no replay."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select, update

from foodsafety.accounts.models import LoginChallenge, RecoveryCode, User
from foodsafety.extensions import db
from foodsafety.timeutil import utcnow
from tests.factories import PASSWORD, ApiClient, enrol_totp, full_login, totp_code


def password_step(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def second_step(client, challenge, **body):
    return client.post("/api/v1/auth/login/two-factor", json={"challenge": challenge, **body})


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_admins_and_auditors_enrol_an_authenticator_at_their_first_login(client, make_user, role):
    user = make_user(role, "510100", username=f"first.{role}")
    step = password_step(client, user.username)
    body = step.get_json()
    assert step.status_code == 200 and body["two_factor"] == "enrol"
    assert body["token"] is None and "Set-Cookie" not in step.headers
    # The pending step opens nothing: it is not a session token.
    pending = ApiClient(client.application.test_client(), body["challenge"], None)
    assert pending.get("/api/v1/auth/me").status_code == 401
    enrol = client.post("/api/v1/auth/login/enrolment", json={"challenge": body["challenge"]}).get_json()
    assert enrol["qr_svg"].startswith("data:image/svg+xml;base64,")
    assert enrol["otpauth_uri"].startswith("otpauth://totp/") and enrol["secret"] in enrol["otpauth_uri"]
    wrong = second_step(client, body["challenge"], code="000000")
    assert wrong.status_code == 401 and wrong.get_json()["message"].startswith("验证码不正确")
    done = second_step(client, body["challenge"], code=pyotp.TOTP(enrol["secret"]).now())
    assert done.status_code == 200 and done.get_json()["user"]["two_factor_enabled"] is True
    codes = done.get_json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert not set(codes) & set(stored)  # only hashes are kept
    assert "fs_session" in done.headers["Set-Cookie"]
    # From now on the password alone is not enough.
    assert password_step(client, user.username).get_json()["two_factor"] == "totp"


def test_a_code_cannot_be_replayed_within_its_window(client, make_user):
    user = make_user("admin", "510100", username="replayer")
    secret = enrol_totp(user)
    code = pyotp.TOTP(secret).now()
    first = second_step(client, password_step(client, user.username).get_json()["challenge"], code=code)
    assert first.status_code == 200
    again = second_step(client, password_step(client, user.username).get_json()["challenge"], code=code)
    assert again.status_code == 401 and again.get_json()["reason"] == "bad_code"


def test_recovery_codes_work_once_each_and_can_be_regenerated(client, make_user):
    user = make_user("auditor", "510000", username="recoverer")
    answer, secret = full_login(client, user.username)
    codes = answer.get_json()["recovery_codes"]
    ok = second_step(client, password_step(client, user.username).get_json()["challenge"],
                     recovery_code=codes[0].upper())  # typed in capitals: still the same code
    assert ok.status_code == 200
    reused = second_step(client, password_step(client, user.username).get_json()["challenge"],
                         recovery_code=codes[0])
    assert reused.status_code == 401
    api = ApiClient(client.application.test_client(), ok.get_json()["token"], user)
    assert api.get("/api/v1/auth/two-factor").get_json() == {
        "enabled": True, "required": True, "recovery_codes_left": 9}
    assert api.post("/api/v1/auth/two-factor/recovery-codes", json={"code": "123456"}).status_code == 422
    fresh = api.post("/api/v1/auth/two-factor/recovery-codes", json={"code": totp_code(user.id, secret)})
    assert fresh.status_code == 200 and len(fresh.get_json()["recovery_codes"]) == 10
    old = second_step(client, password_step(client, user.username).get_json()["challenge"],
                      recovery_code=codes[1])
    assert old.status_code == 401  # the previous set stopped working
    new = second_step(client, password_step(client, user.username).get_json()["challenge"],
                      recovery_code=fresh.get_json()["recovery_codes"][0])
    assert new.status_code == 200


def test_wrong_codes_lock_the_second_step_like_wrong_passwords(client, make_user, app):
    user = make_user("admin", "510100", username="guesser")
    secret = enrol_totp(user)
    challenge = password_step(client, user.username).get_json()["challenge"]
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert second_step(client, challenge, code="000000").status_code == 401
    locked = second_step(client, challenge, code=pyotp.TOTP(secret).now())
    assert locked.status_code == 429 and "Retry-After" in locked.headers


def test_the_pending_step_expires(client, make_user):
    user = make_user("admin", "510100", username="slowpoke")
    secret = enrol_totp(user)
    challenge = password_step(client, user.username).get_json()["challenge"]
    db.session.execute(update(LoginChallenge).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    late = second_step(client, challenge, code=pyotp.TOTP(secret).now())
    assert late.status_code == 401 and late.get_json()["reason"] == "challenge_expired"
    assert "重新输入" in late.get_json()["message"]


def test_a_jurisdiction_policy_requires_two_factor_of_a_role_throughout_its_subtree(login_as, make_user, client):
    city_admin = login_as("admin", "510100")
    inside = make_user("inspector", "510104", username="jj.inspector")
    outside = make_user("inspector", "510302", username="zg.inspector")
    bureau = make_user("bureau", "510104", username="jj.bureau")
    assert "token" in password_step(client, inside.username).get_json()
    put = city_admin.put("/api/v1/two-factor-policies/510100/inspector")
    assert put.status_code == 200 and put.get_json()["editable"] is True
    assert password_step(client, inside.username).get_json()["two_factor"] == "enrol"
    assert "token" in password_step(client, outside.username).get_json()  # another subtree
    assert "token" in password_step(client, bureau.username).get_json()  # another role
    county_admin = login_as("admin", "510104")
    listed = county_admin.get("/api/v1/two-factor-policies").get_json()["items"]
    assert [(p["jurisdiction_code"], p["role"], p["editable"]) for p in listed] == [
        ("510100", "inspector", False)]
    # A county admin can neither lift its city's policy nor set one for another county.
    assert county_admin.delete("/api/v1/two-factor-policies/510100/inspector").status_code == 404
    assert county_admin.put("/api/v1/two-factor-policies/510302/school").status_code == 404
    assert city_admin.put("/api/v1/two-factor-policies/510100/admin").status_code == 404  # always on
    assert city_admin.delete("/api/v1/two-factor-policies/510100/inspector").status_code == 204
    assert "token" in password_step(client, inside.username).get_json()


def test_an_admin_resets_the_lost_authenticator_of_a_user_it_manages(login_as, make_user, client):
    province_admin = login_as("admin", "510000")
    user = make_user("admin", "510100", username="lostphone")
    enrol_totp(user)
    r = province_admin.patch(f"/api/v1/users/{user.id}", json={"reset_two_factor": True})
    assert r.status_code == 200 and r.get_json()["two_factor_enabled"] is False
    assert password_step(client, user.username).get_json()["two_factor"] == "enrol"


def test_a_peer_admin_cannot_reset_another_admins_authenticator(login_as, make_user):
    admin = login_as("admin", "510100")
    peer = make_user("admin", "510100")
    secret = enrol_totp(peer)
    r = admin.patch(f"/api/v1/users/{peer.id}", json={"reset_two_factor": True})
    assert r.status_code == 403
    db.session.expire_all()
    assert db.session.get(User, peer.id).totp_secret == secret


def test_codes_one_step_either_side_are_accepted_for_clock_drift(client, make_user):
    user = make_user("admin", "510100", username="drifty")
    secret = enrol_totp(user)
    challenge = password_step(client, user.username).get_json()["challenge"]
    # The code is taken after the slow password step, so the step boundary cannot pass twice
    # between taking it and checking it (CI flake under load: a code two steps behind).
    behind = pyotp.TOTP(secret).at(time.time() - 30)
    r = second_step(client, challenge, code=behind)
    assert r.status_code == 200
