"""The administrator at the desk (1366×768): creates a user, imports the registry template (a file
with one bad row is refused with the error on screen, the fixed file lands with its counts), and
deactivates a user whose session then ends. Screenshots: instance/screenshots/desk-admin-<screen>.png."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from foodsafety.accounts.models import User
from foodsafety.extensions import db
from foodsafety.registry.models import SupplyLink
from tests.browser.test_desk import DESK, Desk
from tests.factories import licence_for
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
    page.fill("#user-form .chooser-search", "锦江")
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
    assert (created.display_name, created.jurisdiction_code, created.role.value) == ("张检查", "510104", "inspector")

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


# Every text the stage line shows, as it changes (the check's lines arrive faster than a test polls).
RECORD_STAGE = """() => {
  window.stages = [];
  new MutationObserver((records) => window.stages.push(
    ...records.flatMap((record) => [...record.addedNodes].map((node) => node.textContent))))
    .observe(document.querySelector('#stage'), {childList: true, characterData: true, subtree: true});
}"""


def test_a_long_file_is_checked_with_the_rows_counted_as_the_server_judges_them(admin_desk, admin, tmp_path):
    schools = [school_row(学校名称=f"锦江区第{n}小学", 地址=f"锦江区东大街 {n} 号") for n in range(1, 5001)]
    long_file = tmp_path / "学校-5000.xlsx"
    long_file.write_bytes(workbook(schools=schools))
    page = admin_desk.page
    admin_desk.log_in(admin, "/stats/")
    page.goto("/desk/imports")
    page.wait_for_selector("#import-file", state="attached")
    page.evaluate(RECORD_STAGE)
    page.set_input_files("#import-file", str(long_file))
    page.click("#check")
    page.wait_for_function("() => /已校验 [1-9]/.test(document.querySelector('#stage').textContent)", polling=20)
    admin_desk.screenshot("desk-admin-import-progress")
    page.wait_for_selector("#checked")
    stages = page.evaluate("() => window.stages")
    reading = [text for text in stages if text.startswith("正在读取“学校”表")]
    judged = [text for text in stages if text.startswith("正在逐行校验")]
    assert reading and reading[-1] == "正在读取“学校”表：已读 5,000 行"
    assert judged[0] == "正在逐行校验：已校验 0 / 5,000 行（0%）"
    assert "正在逐行校验：已校验 2,500 / 5,000 行（50%）" in judged
    assert judged[-1] == "正在逐行校验：已校验 5,000 / 5,000 行（100%）"
    assert page.inner_text("#counts tr[data-sheet='学校']").split()[:3] == ["学校", "5000", "5000"]
    assert page.inner_text("#stage").startswith("校验用时")
    assert registered_schools() == 0  # checked, not imported


def registered_schools() -> int:
    from sqlalchemy import func

    from foodsafety.registry.models import School

    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(School))


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


def _wrong_check_digit(licence: str) -> str:
    return licence[:-1] + str((int(licence[-1]) + 1) % 10)


def test_an_admin_registers_a_canteen_with_the_apis_errors_and_warnings_at_their_fields(
        admin_desk, admin, make_school):
    school = make_school(name="锦江区实验小学", jurisdiction="510104")
    page = admin_desk.page
    admin_desk.log_in(admin, "/stats/")
    admin_desk.open_list("/desk/units")
    page.click("main >> a.btn >> text=新建")
    page.wait_for_url("**/desk/units/new")
    page.wait_for_selector("#unit-form")
    page.fill("#fld-name", "锦江区实验小学食堂")
    page.fill("[data-field=jurisdiction_code] .chooser-search", "锦江")
    page.wait_for_selector("#fld-jurisdiction_code option[value='510104']", state="attached")
    page.select_option("#fld-jurisdiction_code", "510104")
    page.fill("[data-field=school_id] input[type=search]", "实验")
    page.wait_for_selector(f"#fld-school_id option[value='{school.id}']", state="attached")
    page.fill("#fld-licence_no", _wrong_check_digit(licence_for("canteen", "510104", 77)))
    page.fill("#fld-licence_issued_on", "2025-03-01")
    page.fill("#fld-licence_expires_on", "2024-03-01")
    page.click("#unit-form button[type=submit]")
    error = page.locator("[data-field=licence_expires_on] .error")
    error.wait_for()
    assert error.inner_text().endswith("有效期至应晚于发证日期。")
    admin_desk.screenshot("desk-admin-unit-error")

    page.fill("#fld-licence_expires_on", "2030-02-28")
    page.click("#unit-form button[type=submit]")  # the registry's own rule, next: the mode
    page.wait_for_selector("[data-field=operation_mode] .error >> text=须注明自营或承包经营")
    assert page.locator("[data-field=licence_expires_on] .error").count() == 0
    page.select_option("#fld-operation_mode", index=1)
    page.click("#unit-form button[type=submit]")
    page.wait_for_selector("#saved")
    assert "校验位不符" in page.inner_text("[data-field=licence_no] .warning")
    assert page.locator("[data-field=licence_expires_on] .error").count() == 0
    admin_desk.fits()
    admin_desk.screenshot("desk-admin-unit-new", full_page=True)
    page.click("#saved >> text=查看档案")
    page.wait_for_url("**/desk/units/*")
    page.wait_for_selector("text=锦江区实验小学")
    assert "锦江区实验小学食堂" in page.inner_text("h1")

    page.click(".desk-head >> text=编辑")
    page.wait_for_url("**/edit")
    page.wait_for_selector("#unit-form")
    page.fill("#fld-address", "锦江区学府路 9 号")
    page.click("#unit-form button[type=submit]")
    page.wait_for_selector("#saved >> text=已保存")


def test_an_admin_corrects_a_school_and_registers_its_supplier(admin_desk, admin, make_school, make_unit):
    school = make_school(name="锦江区第三中学", jurisdiction="510104")
    make_unit("supplier", "510104", name="蓉城学生餐配送有限公司")
    page = admin_desk.page
    admin_desk.log_in(admin, "/stats/")
    page.goto(f"/desk/schools/{school.id}")
    page.click(".desk-head >> text=编辑")
    page.wait_for_selector("#school-form")
    page.fill("#fld-uscc", "12510104MB0000010")  # 17 characters: refused at the field
    page.click("#school-form button[type=submit]")
    page.wait_for_selector("[data-field=uscc] .error")
    page.fill("#fld-address", "锦江区东风路 3 号")
    page.fill("#fld-uscc", "")
    page.click("#school-form button[type=submit]")
    page.wait_for_selector("#saved >> text=已保存")
    admin_desk.screenshot("desk-admin-school-edit")

    page.goto(f"/desk/schools/{school.id}")
    page.click(".desk-head >> text=新建供餐关系")
    page.wait_for_selector("#link-form")
    assert "锦江区第三中学" in page.inner_text("#fld-school_id")
    page.fill("[data-field=supplier_id] input[type=search]", "蓉城")
    page.wait_for_function("() => document.querySelector('#fld-supplier_id').textContent.includes('蓉城')")
    page.fill("#fld-starts_on", "2026-09-01")
    page.click("#link-form button[type=submit]")
    page.wait_for_selector("#saved")
    assert "蓉城学生餐配送有限公司 为 锦江区第三中学 供餐" in page.inner_text("#saved")
    admin_desk.screenshot("desk-admin-link-new")


def test_an_admin_ends_a_supply_link_from_the_school_page_and_moves_its_end_from_the_list(
        admin_desk, admin, make_school, make_unit, make_link):
    school = make_school(name="锦江区第五小学", jurisdiction="510104")
    supplier = make_unit("supplier", "510104", name="蓉城学生餐配送有限公司")
    link = make_link(supplier, school, date(2025, 9, 1))
    page = admin_desk.page
    admin_desk.log_in(admin, "/stats/")
    page.goto(f"/desk/schools/{school.id}")
    page.click(f"a[data-link='{link.id}'] >> nth=0")  # 结束供餐, beside the link in 供餐关系
    page.wait_for_url(f"**/desk/supply-links/{link.id}/end")
    page.wait_for_selector("#link-end-form")
    facts = page.inner_text("#link-end-form dl")
    assert "蓉城学生餐配送有限公司" in facts and "长期（未结束）" in facts
    page.fill("#fld-ends_on", "2025-08-31")  # before it began: the API's own rule, at the field
    page.click("#link-end-form button[type=submit]")
    error = page.locator("[data-field=ends_on] .error")
    error.wait_for()
    assert "结束日期不能早于开始日期" in error.inner_text()
    admin_desk.screenshot("desk-admin-link-end-error")
    page.fill("#fld-ends_on", "2026-07-15")
    page.click("#link-end-form button[type=submit]")
    page.wait_for_selector("#saved")
    assert "蓉城学生餐配送有限公司 为 锦江区第五小学 供餐至 2026-07-15" in page.inner_text("#saved")
    admin_desk.fits()
    admin_desk.screenshot("desk-admin-link-end")
    db.session.expire_all()
    assert db.session.get(SupplyLink, link.id).ends_on == date(2026, 7, 15)

    admin_desk.open_list("/desk/supply-links")
    row = page.locator("#list tbody tr", has_text="锦江区第五小学")
    assert "2026-07-15" in row.inner_text()
    row.locator("text=修改结束日期").click()
    page.wait_for_url(f"**/desk/supply-links/{link.id}/end")
    page.wait_for_selector("#link-end-form")
    assert page.inner_text("h1") == "修改供餐关系的结束日期"
    assert page.input_value("#fld-ends_on") == "2026-07-15"
    page.click("#reopen")  # supplied again without an end
    page.wait_for_selector("#saved >> text=已恢复为长期供餐")
    db.session.expire_all()
    assert db.session.get(SupplyLink, link.id).ends_on is None


def test_an_admin_finds_a_user_by_name_with_the_role_and_status_filters(admin_desk, admin, make_user):
    make_user("inspector", "510104", username="jj.zhangwei", display_name="张伟")
    make_user("bureau", "510105", username="qy.zhangli", display_name="张丽")
    make_user("inspector", "510104", username="jj.liqiang", display_name="李强")
    make_user("inspector", "510302", username="zg.zhang", display_name="张三")  # another city
    page = admin_desk.page
    admin_desk.log_in(admin, "/stats/")
    page.goto("/desk/users")
    page.wait_for_selector("#summary")
    page.fill("#f-q", "张")
    page.click("form[role=search] button")
    page.wait_for_function("() => document.querySelector('#summary').textContent.includes('共 2 个账户')")
    names = page.locator("#users tbody tr td:nth-child(2)").all_inner_texts()
    assert sorted(names) == ["张丽", "张伟"]  # never 自贡's 张三
    assert "q=%E5%BC%A0" in page.url or "q=张" in page.url
    page.select_option("#f-role", "inspector")
    page.wait_for_function("() => document.querySelector('#summary').textContent.includes('共 1 个账户')")
    assert page.locator("#users tbody tr").first.get_attribute("data-username") == "jj.zhangwei"
    admin_desk.fits()
    admin_desk.screenshot("desk-admin-users-search")
    page.fill("#f-q", "JJ.LI")  # user names are case-insensitive
    page.click("form[role=search] button")
    page.wait_for_selector("#users tr[data-username='jj.liqiang']")
    assert page.locator("#users tbody tr").count() == 1
    page.select_option("#f-active", "false")
    page.wait_for_selector("#summary >> text=没有用户名或姓名含“JJ.LI”的账户。")
