"""The administrator at the desk (1366×768): creates a user, imports the registry template (a file
with one bad row is refused with the error on screen, the fixed file lands with its counts), and
deactivates a user whose session then ends. Screenshots: instance/screenshots/desk-admin-<screen>.png."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from foodsafety.accounts.models import User
from foodsafety.extensions import db
from tests.browser.test_desk import DESK, Desk
from tests.test_imports import canteen_row, link_row, school_row, supplier_row, workbook


@pytest.fixture
def admin_desk(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport=DESK, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", accept_downloads=True)
    desk = Desk(context)
    desk.page.on("dialog", lambda dialog: dialog.accept())  # the confirm() before a deactivation
    yield desk
    context.close()
    assert not desk.errors, desk.errors


@pytest.fixture
def admin(make_user):
    return make_user("admin", "510100", username="cd.admin")


def test_an_admin_creates_a_user_of_its_subtree_and_sees_the_password_once(admin_desk, admin, make_user):
    make_user("inspector", "510302", username="zigong.inspector")  # another city: never listed
    page = admin_desk.page
    admin_desk.log_in(admin, "/stats/")
    page.goto("/desk/orders")  # the desk's navigation: 用户 and 导入 only for admins
    page.click(".desk-nav >> text=用户")
    page.wait_for_url("**/desk/users")
    page.wait_for_selector("#summary")
    assert "zigong.inspector" not in page.inner_text("#users")

    page.click("#new-user")
    page.fill("#fld-username", "jj.zhang")
    page.fill("#fld-display_name", "张检查")
    page.select_option("#fld-role", "inspector")
    page.fill(".chooser-search", "锦江")
    page.wait_for_selector("#fld-jurisdiction_code option[value='510104']", state="attached")
    page.select_option("#fld-jurisdiction_code", "510104")
    page.fill("#fld-phone", "028-12345678")
    admin_desk.screenshot("desk-admin-user-new")
    page.click("#user-form button[type=submit]")

    page.wait_for_selector("#one-time-password")
    password = page.inner_text("#one-time-password")
    assert "已创建账户 jj.zhang" in page.inner_text("#notice")
    page.wait_for_selector("#users tr[data-username='jj.zhang']")
    assert "锦江区" in page.inner_text("#users tr[data-username='jj.zhang']")
    admin_desk.fits()
    admin_desk.screenshot("desk-admin-users")
    created = db.session.scalar(select(User).where(User.username == "jj.zhang"))
    assert created.jurisdiction_code == "510104" and created.role.value == "inspector"

    # The same name again: the server's Chinese error stands at the field.
    page.click("#new-user")
    page.fill("#fld-username", "jj.zhang")
    page.fill("#fld-display_name", "重名")
    page.click("#user-form button[type=submit]")
    page.wait_for_selector("[data-field=username] .error")
    admin_desk.screenshot("desk-admin-user-error")

    # The one-time password works (the new user logs in with it).
    answer = page.request.post("/api/v1/auth/login", data={"username": "jj.zhang", "password": password})
    assert answer.status == 200


def test_an_admin_imports_a_file_with_one_bad_row_then_the_fixed_file(admin_desk, admin, tmp_path):
    page = admin_desk.page
    admin_desk.log_in(admin, "/stats/")
    page.goto("/desk/units")
    page.click(".desk-nav >> text=导入")
    page.wait_for_url("**/desk/imports")
    assert page.get_attribute("#template", "href") == "/api/v1/imports/template.xlsx"

    rows = {"schools": [school_row()], "links": [link_row()]}
    bad = tmp_path / "登记-有错.xlsx"
    bad.write_bytes(workbook(units=[canteen_row(), supplier_row(有效期至="2023-12-31")], **rows))
    page.set_input_files("#import-file", str(bad))
    page.click("#check")
    page.wait_for_selector("#rejected")
    errors = page.inner_text("#errors")
    assert "有效期至应晚于发证日期。" in errors and "单位" in errors
    assert "未导入任何数据" in page.inner_text("#rejected")
    admin_desk.fits()
    admin_desk.screenshot("desk-admin-import-errors")
    with page.expect_download() as download:
        page.click("#annotated")
    assert download.value.suggested_filename.endswith(".xlsx")

    fixed = tmp_path / "登记.xlsx"
    fixed.write_bytes(workbook(units=[canteen_row(), supplier_row()], **rows))
    page.set_input_files("#import-file", str(fixed))
    page.click("#check")
    page.wait_for_selector("#checked")
    assert "将新建" in page.inner_text("#counts")
    admin_desk.screenshot("desk-admin-import-check")
    page.click("#confirm")
    page.wait_for_selector("#done")
    assert page.inner_text("#done-summary") == "新建 4 条，更新 0 条，无变化 0 条。"
    assert page.inner_text("#counts tr[data-sheet='单位']").split()[:3] == ["单位", "2", "2"]
    admin_desk.fits()
    admin_desk.screenshot("desk-admin-import-done")


def test_an_admin_deactivates_a_user_whose_session_then_ends(admin_desk, admin, login_as):
    victim = login_as("bureau", "510104")
    assert victim.get("/api/v1/auth/me").status_code == 200
    page = admin_desk.page
    admin_desk.log_in(admin, "/stats/")
    page.goto("/desk/users")
    row = page.locator(f"#users tr[data-username='{victim.user.username}']")
    row.locator("text=管理").click()
    page.wait_for_selector("#sessions >> text=正在使用的会话（1）")
    admin_desk.screenshot("desk-admin-user-manage")
    page.click("dialog >> text=停用账户")
    page.wait_for_selector("dialog >> text=已停用")
    page.wait_for_selector("#sessions >> text=没有正在使用的会话。")
    assert victim.get("/api/v1/auth/me").status_code == 401
    page.click("dialog .dialog-close")
    page.wait_for_selector(f"#users tr[data-username='{victim.user.username}'] >> text=已停用")
