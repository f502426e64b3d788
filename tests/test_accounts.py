"""Logging in and out, throttling, session lifetime, passwords and user administration."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from foodsafety.accounts.models import AuthSession, LoginThrottle, User
from foodsafety.extensions import db
from foodsafety.timeutil import utcnow
from tests.factories import PASSWORD, ApiClient


def login(client, username, password):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def test_login_returns_a_token_that_works_and_sets_an_httponly_cookie(client, make_user):
    user = make_user("inspector", "510104", username="zhangsan")
    r = login(client, "zhangsan", PASSWORD)
    assert r.status_code == 200
    body = r.get_json()
    assert body["user"]["role"] == "inspector" and body["user"]["jurisdiction_name"] == "锦江区"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    api = ApiClient(client.application.test_client(), body["token"], user)
    assert api.get("/api/v1/auth/me").get_json()["username"] == "zhangsan"
    stored = db.session.scalar(select(AuthSession.token_hash))
    assert body["token"] not in stored  # only a hash is kept


def test_unknown_user_and_wrong_password_get_the_same_answer(client, make_user):
    make_user(username="lisi")
    wrong = login(client, "lisi", "Wrong#Pass123")
    unknown = login(client, "nobody", "Wrong#Pass123")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["message"] == unknown.get_json()["message"] == "用户名或密码错误。"


def test_repeated_failures_lock_the_account_for_a_while_not_for_good(client, make_user):
    make_user(username="wangwu")
    for _ in range(5):
        assert login(client, "wangwu", "Wrong#Pass123").status_code == 401
    locked = login(client, "wangwu", PASSWORD)
    assert locked.status_code == 429 and "Retry-After" in locked.headers
    # The lock expires by itself.
    db.session.execute(update(LoginThrottle).values(window_started_at=utcnow() - timedelta(minutes=16)))
    db.session.commit()
    assert login(client, "wangwu", PASSWORD).status_code == 200


def test_an_admin_sees_a_locked_account_and_unlocks_it(client, login_as, make_user):
    admin = login_as("admin", "510100")
    user = make_user("inspector", "510104", username="zhaoliu")
    assert admin.get(f"/api/v1/users/{user.id}").get_json()["locked_until"] is None
    for _ in range(5):
        login(client, "zhaoliu", "Wrong#Pass123")
    assert login(client, "zhaoliu", PASSWORD).status_code == 429
    listed = {u["username"]: u for u in admin.get("/api/v1/users").get_json()["items"]}
    assert listed["zhaoliu"]["locked_until"] is not None  # the desk shows 已锁定
    r = admin.patch(f"/api/v1/users/{user.id}", json={"unlock": True})
    assert r.status_code == 200 and r.get_json()["locked_until"] is None
    assert login(client, "zhaoliu", PASSWORD).status_code == 200


def test_an_admin_cannot_unlock_its_own_account_here(login_as):
    admin = login_as("admin", "510100")
    assert admin.patch(f"/api/v1/users/{admin.user.id}", json={"unlock": True}).status_code == 403


def test_protected_endpoints_need_a_session(anonymous):
    r = anonymous.get("/api/v1/inspections")
    assert r.status_code == 401 and r.get_json()["message"] == "请先登录。"
    assert anonymous.get("/api/v1/inspections", headers={"Authorization": "Bearer forged"}
                         ).status_code == 401


def test_logout_ends_the_session_at_once(login_as):
    api = login_as("bureau", "510100")
    assert api.post("/api/v1/auth/logout").status_code == 204
    assert api.get("/api/v1/auth/me").status_code == 401


def test_deactivation_ends_every_session_of_the_user(login_as):
    admin = login_as("admin", "510000")
    victim = login_as("inspector", "510104")
    second = login_as(user=victim.user)
    r = admin.patch(f"/api/v1/users/{victim.user.id}", json={"active": False})
    assert r.status_code == 200 and r.get_json()["active"] is False
    assert victim.get("/api/v1/auth/me").status_code == 401
    assert second.get("/api/v1/auth/me").status_code == 401


def test_password_change_ends_the_other_sessions(login_as):
    api = login_as("inspector", "510104")
    other = login_as(user=api.user)
    r = api.post("/api/v1/auth/password", json={"current_password": PASSWORD,
                                                "new_password": "Another#Pass2026"})
    assert r.status_code == 204
    assert api.get("/api/v1/auth/me").status_code == 200
    assert other.get("/api/v1/auth/me").status_code == 401


@pytest.mark.parametrize("password", ["short1A", "alllowercaseletters", "12345678901",
                                      "Password@123", "P@ssw0rd"])
def test_weak_passwords_are_refused(login_as, password):
    api = login_as("inspector", "510104")
    r = api.post("/api/v1/auth/password", json={"current_password": PASSWORD,
                                                "new_password": password})
    assert r.status_code == 422 and "new_password" in r.get_json()["errors"]


def test_idle_session_expires_after_thirty_minutes(login_as):
    api = login_as("inspector", "510104")
    db.session.execute(update(AuthSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    db.session.commit()
    assert api.get("/api/v1/auth/me").status_code == 401


def test_session_has_an_absolute_lifetime(login_as):
    api = login_as("inspector", "510104")
    db.session.execute(update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert api.get("/api/v1/auth/me").status_code == 401


def test_cookie_sessions_need_the_csrf_token_to_change_anything(app, make_user):
    make_user("inspector", "510104", username="cookieuser")
    browser = app.test_client()
    body = login(browser, "cookieuser", PASSWORD).get_json()
    assert browser.get("/api/v1/auth/me").status_code == 200  # reads work with the cookie
    refused = browser.post("/api/v1/auth/logout")
    assert refused.status_code == 403 and refused.get_json()["reason"] == "csrf"
    ok = browser.post("/api/v1/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
    assert ok.status_code == 204


# --- administration -------------------------------------------------------------------------

def test_admin_creates_users_only_within_its_jurisdiction(login_as, make_school):
    admin = login_as("admin", "510100")
    ok = admin.post("/api/v1/users", json={"username": "jj.inspector", "display_name": "锦江执法",
                                           "password": "Strong#Pass2026", "role": "inspector",
                                           "jurisdiction_code": "510104"})
    assert ok.status_code == 201
    outside = admin.post("/api/v1/users", json={"username": "zg.inspector", "display_name": "自贡",
                                                "password": "Strong#Pass2026", "role": "inspector",
                                                "jurisdiction_code": "510302"})
    assert outside.status_code == 422 and "jurisdiction_code" in outside.get_json()["errors"]
    school = make_school(jurisdiction="510105")
    account = admin.post("/api/v1/users", json={"username": "school.1", "display_name": "学校",
                                                "password": "Strong#Pass2026", "role": "school",
                                                "school_id": school.id})
    assert account.status_code == 201 and account.get_json()["jurisdiction_code"] == "510105"


def test_admin_cannot_see_or_change_users_of_another_jurisdiction(login_as, make_user):
    admin = login_as("admin", "510100")
    stranger = make_user("inspector", "510302")
    assert admin.get(f"/api/v1/users/{stranger.id}").status_code == 404
    assert admin.patch(f"/api/v1/users/{stranger.id}", json={"active": False}).status_code == 404
    assert db.session.get(User, stranger.id).active
    listed = {u["id"] for u in admin.get("/api/v1/users").get_json()["items"]}
    assert stranger.id not in listed


def test_an_admin_finds_a_user_by_name_or_user_name_with_the_lists_filters(login_as, make_user):
    admin = login_as("admin", "510100")
    zhang = make_user("inspector", "510104", username="jj.zhangwei", display_name="张伟")
    make_user("bureau", "510105", username="qy.zhangli", display_name="张丽")
    make_user("inspector", "510104", username="jj.li", display_name="李强")
    make_user("inspector", "510302", username="zg.zhang", display_name="张三")  # another city

    def found(query: str) -> list[str]:
        answer = admin.get(f"/api/v1/users?{query}")
        assert answer.status_code == 200, answer.get_json()
        return sorted(u["username"] for u in answer.get_json()["items"])

    assert found("q=张") == ["jj.zhangwei", "qy.zhangli"]  # never 自贡's 张三
    assert found("q=ZHANG") == ["jj.zhangwei", "qy.zhangli"]  # user names are case-insensitive
    assert found("q=张&role=inspector") == ["jj.zhangwei"]
    assert found("q=zhang&jurisdiction=510105") == ["qy.zhangli"]
    assert found("q=%25") == []  # % is a character, not a wildcard
    admin.patch(f"/api/v1/users/{zhang.id}", json={"active": False})
    assert found("q=张&active=false") == ["jj.zhangwei"]
    assert found("q=张&active=true") == ["qy.zhangli"]


@pytest.mark.parametrize("role", ["inspector", "bureau", "school"])
def test_only_admins_manage_users(login_as, make_school, role):
    school = make_school() if role == "school" else None
    api = login_as(role, "510104", school=school)
    assert api.get("/api/v1/users").status_code == 403
    assert api.post("/api/v1/users", json={}).status_code == 403


# --- user names, password rules, separation of duties, sessions -----------------------------

def test_usernames_are_case_insensitive(login_as, client):
    admin = login_as("admin", "510100")
    body = {"username": "Admin1", "display_name": "甲", "password": "Strong#Pass2026",
            "role": "inspector", "jurisdiction_code": "510104"}
    created = admin.post("/api/v1/users", json=body)
    assert created.status_code == 201 and created.get_json()["username"] == "admin1"
    twin = admin.post("/api/v1/users", json={**body, "username": "ADMIN1"})
    assert twin.status_code == 422 and "用户名已被使用" in twin.get_json()["errors"]["username"][0]
    for typed in ("admin1", "Admin1", "ADMIN1"):
        assert login(client, typed, "Strong#Pass2026").status_code == 200


def test_wrong_current_passwords_count_like_failed_logins(login_as, app):
    api = login_as("inspector", "510104")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        r = api.post("/api/v1/auth/password", json={"current_password": "Wrong#Pass123",
                                                    "new_password": "Another#Pass2026"})
        assert r.status_code == 422 and "current_password" in r.get_json()["errors"]
    locked = api.post("/api/v1/auth/password", json={"current_password": PASSWORD,
                                                     "new_password": "Another#Pass2026"})
    assert locked.status_code == 429
    assert login(app.test_client(), api.user.username, PASSWORD).status_code == 429  # one counter


def test_a_new_password_must_differ_from_the_last_five(login_as):
    api = login_as("inspector", "510104")
    passwords = [PASSWORD] + [f"Rotate#{n}Pass2026" for n in range(1, 6)]
    for current, new in zip(passwords, passwords[1:], strict=False):
        assert api.post("/api/v1/auth/password", json={"current_password": current,
                                                       "new_password": new}).status_code == 204
    for old in passwords[1:]:  # the current one and the four before it
        r = api.post("/api/v1/auth/password", json={"current_password": passwords[-1], "new_password": old})
        assert r.status_code == 422 and "最近 5 次" in r.get_json()["errors"]["new_password"][0]
    oldest = api.post("/api/v1/auth/password", json={"current_password": passwords[-1],
                                                     "new_password": passwords[0]})
    assert oldest.status_code == 204  # six passwords ago: allowed again


def test_an_admin_reset_must_also_differ_from_the_last_passwords(login_as, make_user):
    admin = login_as("admin", "510100")
    user = make_user("inspector", "510104")
    r = admin.patch(f"/api/v1/users/{user.id}", json={"password": PASSWORD})
    assert r.status_code == 422 and "password" in r.get_json()["errors"]


@pytest.mark.parametrize(("role", "code"), [("admin", "510100"), ("auditor", "510100"),
                                            ("admin", "510000"), ("auditor", "510000")])
def test_an_admin_cannot_reset_the_password_of_an_admin_or_auditor_at_its_level_or_above(
        login_as, make_user, role, code):
    admin = login_as("admin", "510100")
    target = make_user(role, code)
    if code == "510000":  # above: not even visible
        assert admin.patch(f"/api/v1/users/{target.id}", json={"password": "Taken#Over2026"}
                           ).status_code == 404
        return
    r = admin.patch(f"/api/v1/users/{target.id}", json={"password": "Taken#Over2026"})
    assert r.status_code == 403 and r.get_json()["message"] == "不能管理同级或上级的管理员、审计员账户。"
    assert login(admin.client.application.test_client(), target.username, "Taken#Over2026"
                 ).status_code == 401


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_an_admin_resets_the_password_of_an_admin_or_auditor_below_it(login_as, make_user, role):
    admin = login_as("admin", "510100")
    target = make_user(role, "510104")
    assert admin.patch(f"/api/v1/users/{target.id}", json={"password": "Reset#Below2026"}).status_code == 200


def test_an_admin_changes_its_own_password_only_with_the_current_one(login_as):
    admin = login_as("admin", "510100")
    r = admin.patch(f"/api/v1/users/{admin.user.id}", json={"password": "Mine#Without2026"})
    assert r.status_code == 403
    assert admin.patch(f"/api/v1/users/{admin.user.id}", json={"active": False}).status_code == 422
    assert admin.patch(f"/api/v1/users/{admin.user.id}", json={"display_name": "新名字"}).status_code == 200


def test_admins_create_auditors_within_their_subtree(login_as):
    admin = login_as("admin", "510100")
    body = {"username": "cd.auditor", "display_name": "成都审计员", "password": "Strong#Pass2026",
            "role": "auditor", "jurisdiction_code": "510100"}
    created = admin.post("/api/v1/users", json=body)
    assert created.status_code == 201 and created.get_json()["role_label"] == "审计员"
    outside = admin.post("/api/v1/users", json={**body, "username": "zg.auditor", "jurisdiction_code": "510300"})
    assert outside.status_code == 422 and "jurisdiction_code" in outside.get_json()["errors"]


def test_an_admin_sees_and_ends_the_sessions_of_users_it_manages(login_as, make_user):
    admin = login_as("admin", "510100")
    user = make_user("inspector", "510104")
    phone, desk = login_as(user=user), login_as(user=user)
    listed = admin.get(f"/api/v1/users/{user.id}/sessions").get_json()
    assert listed["total"] == 2
    assert set(listed["items"][0]) == {"id", "created_at", "last_seen_at", "client_ip", "expires_at"}
    first = listed["items"][-1]["id"]
    assert admin.delete(f"/api/v1/users/{user.id}/sessions/{first}").status_code == 204
    assert admin.delete(f"/api/v1/users/{user.id}/sessions/{first}").status_code == 404  # already ended
    assert [s.get("/api/v1/auth/me").status_code for s in (phone, desk)].count(401) == 1
    assert admin.delete(f"/api/v1/users/{user.id}/sessions").status_code == 204
    assert phone.get("/api/v1/auth/me").status_code == desk.get("/api/v1/auth/me").status_code == 401
    assert admin.get(f"/api/v1/users/{user.id}/sessions").get_json()["total"] == 0


def test_sessions_show_the_client_address_they_were_opened_from(client, login_as, make_user):
    admin = login_as("admin", "510100")
    user = make_user("inspector", "510104", username="addressed")
    login(client, "addressed", PASSWORD)
    [row] = admin.get(f"/api/v1/users/{user.id}/sessions").get_json()["items"]
    assert row["client_ip"] == "127.0.0.1"


def test_an_admin_cannot_see_or_end_the_sessions_of_a_peer_admin(login_as):
    admin = login_as("admin", "510100")
    peer = login_as("admin", "510100")
    assert admin.get(f"/api/v1/users/{peer.user.id}/sessions").status_code == 403
    assert admin.delete(f"/api/v1/users/{peer.user.id}/sessions").status_code == 403
    assert peer.get("/api/v1/auth/me").status_code == 200
