"""Logging in with a second factor, in a real browser and in Chinese: an admin enrols its
authenticator by QR code at first login and keeps its recovery codes; later logins take the
password and a code (or a recovery code); an auditor lands on the audit log."""

from __future__ import annotations

import pyotp

from tests.browser.conftest import SCREENSHOTS
from tests.factories import PASSWORD, totp_code


def _password(page, username: str) -> None:
    page.goto("/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def _shot(phone, n: int) -> None:
    phone.screenshot(f"login-2fa-{n}")
    assert (SCREENSHOTS / f"login-2fa-{n}.png").stat().st_size > 5000


def test_an_admin_enrols_at_first_login_then_logs_in_with_a_code_or_a_recovery_code(
        browser, live_server, phone, make_user):
    admin = make_user("admin", "510100", username="cd.admin")
    page = phone.page
    _password(page, "CD.Admin")  # user names are case-insensitive
    page.wait_for_selector("text=启用两步验证")
    qr = page.locator(".qr img")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "扫描下方二维码" in page.inner_text("main")
    phone.assert_fits()
    _shot(phone, 1)
    secret = page.inner_text("#totp-secret").replace(" ", "")
    page.fill("#code", "000000")
    page.click("button[type=submit]")
    page.wait_for_selector("text=验证码不正确")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("button[type=submit]")
    page.wait_for_selector("#recovery-codes")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and "只能使用一次" in page.inner_text("main")
    _shot(phone, 2)
    page.click("text=我已保存，继续")
    page.wait_for_url("**/stats/")

    # A later login: password, then the authenticator's code.
    later = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 640},
                                locale="zh-CN")
    second = later.new_page()
    _password(second, "cd.admin")
    second.wait_for_selector("text=两步验证")
    assert second.locator("#code").is_visible()
    phone.page = second
    _shot(phone, 3)
    phone.page = page
    second.fill("#code", totp_code(admin.id, secret))
    second.click("button[type=submit]")
    second.wait_for_url("**/stats/")
    later.close()

    # Phone left at home: a recovery code, once.
    third = browser.new_context(base_url=live_server, locale="zh-CN").new_page()
    _password(third, "cd.admin")
    third.click("text=改用恢复码")
    third.fill("#recovery-code", codes[0])
    third.click("button[type=submit]")
    third.wait_for_url("**/stats/")
    third.context.close()


def test_an_auditor_logs_in_with_a_code_and_lands_on_the_audit_log(phone, make_user, login_as):
    auditor = make_user("auditor", "510100", username="cd.auditor")
    login_as("inspector", "510104").post("/api/v1/auth/logout")  # something to find
    page = phone.page
    _password(page, "cd.auditor")
    page.wait_for_selector("text=启用两步验证")
    secret = page.inner_text("#totp-secret").replace(" ", "")
    page.fill("#code", totp_code(auditor.id, secret))
    page.click("button[type=submit]")
    page.click("text=我已保存，继续")
    page.wait_for_url("**/audit/")
    page.wait_for_selector("#entries li")
    text = page.inner_text("main")
    assert "审计日志" in text and "两步验证" in text and "510104" in text
    assert "（市场监管执法人员）" in text  # roles and outcomes in the server's words
    assert page.locator("#f-outcome option").all_inner_texts() == ["全部", "成功", "失败", "拒绝"]
    page.fill("#f-event", "accounts.Logout")
    page.click("text=查询")
    page.wait_for_function("() => document.querySelectorAll('#entries li').length === 1")
    assert "accounts.Logout" in page.get_attribute("#export", "href") or \
        "event=accounts.Logout" in page.get_attribute("#export", "href")
    phone.assert_fits()
    _shot(phone, 4)
