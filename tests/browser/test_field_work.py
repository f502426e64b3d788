"""The inspector's field work beyond a new inspection, on a 360×640 phone: correcting and voiding
a stored record (with its history), registering and inspecting an unlicensed operator offline,
filing a case from an inspection, and order numbers that two offline phones never share."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import func, select

from config import BASE_DIR
from foodsafety.enforcement.models import EnforcementCase
from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.rectification.models import RectificationOrder
from foodsafety.registry.models import Unit
from foodsafety.timeutil import today_cst
from tests.browser.test_offline import MARK_PENDING, OUTBOX
from tests.factories import PASSWORD

SCREENSHOTS = Path(os.environ.get("FOODSAFETY_SCREENSHOT_DIR", BASE_DIR / "instance" / "screenshots"))
PHONE = {"width": 360, "height": 640}


def shoot(phone, flow: str, n: int) -> None:
    phone.assert_fits()
    phone.screenshot(f"phone-{flow}-{n}")


def _count(model, *where) -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _start_at(phone, inspector, hash_path: str) -> None:
    phone.log_in(inspector, "/m/")
    phone.wait_synced()
    phone.page.goto(f"/m/#{hash_path}")


def test_a_correction_and_a_void_from_the_phone_both_show_in_the_history(
        phone, make_user, make_unit, login_as, new_inspection):
    unit = make_unit(name="锦江区实验小学食堂")
    inspector = make_user("inspector", "510104", display_name="王检查")
    api = login_as(user=inspector)
    doc = new_inspection(unit)
    assert api.post("/api/v1/inspections", json=doc).status_code == 201
    uuid = doc["id"]
    page = phone.page

    _start_at(phone, inspector, f"/inspection/{uuid}")
    page.wait_for_selector("#history [data-revision='1']")
    assert page.inner_text("#current-revision") == "第 1 版"
    shoot(phone, "correct-void", 1)

    # The inspector corrects revision 1 while a colleague's correction lands first: refused,
    # with the current revision shown.
    page.click("#correct")
    page.wait_for_url("**/checklist")
    page.locator("[data-item='7.4'] .choice[data-value=no]").click()
    page.click(".steps [data-step=handling]")
    page.click(".choice[data-value=on_site]")
    page.click(".steps [data-step=review]")
    assert page.locator("#submit").is_disabled()  # a correction needs its reason
    page.fill("#correction-reason", "漏记留样问题")
    colleague = login_as("inspector", "510104")
    theirs = {**new_inspection(unit, answers={"9.3": "no"}), "id": uuid,
              "started_at": doc["started_at"], "reason": "补记餐具消毒问题", "base_revision": 1}
    assert colleague.put(f"/api/v1/inspections/{uuid}", json=theirs).status_code == 200
    page.click("#submit")
    entry = page.locator(".outbox-entry[data-status=rejected]")
    entry.wait_for()
    assert "已被更正为第 2 版" in entry.inner_text()
    shoot(phone, "correct-void", 2)
    entry.locator("text=查看最新版本").click()
    page.wait_for_selector("#history [data-revision='2']")
    assert page.inner_text("#current-revision") == "第 2 版"

    # Based on the current revision, the correction goes through.
    page.click("#correct")
    page.wait_for_url("**/checklist")
    page.locator("[data-item='9.3'] .choice").first.wait_for()  # the checklist is drawn after the address changes
    assert page.locator("[data-item='9.3'][data-answer=no]").count() == 1  # the colleague's change kept
    page.locator("[data-item='7.4'] .choice[data-value=no]").click()
    page.click(".steps [data-step=review]")
    page.fill("#correction-reason", "漏记留样问题")
    page.click("#submit")
    page.wait_for_selector(".outbox-entry[data-status=sent]")
    page.goto(f"/m/#/inspection/{uuid}")
    page.wait_for_selector("#history [data-revision='3']")
    third = page.inner_text("#history [data-revision='3']")
    assert "更正" in third and "漏记留样问题" in third and "王检查" in third
    assert "检查项目 7.4 结果：是 → 否" in third

    # Voided with a reason: gone from the records, kept in the history.
    page.click("#void")
    page.click("#confirm-void")
    assert "请填写作废原因" in page.inner_text("#void-form")
    page.fill("#void-reason", "重复录入")
    page.click("#confirm-void")
    page.wait_for_selector("#voided")
    assert "重复录入" in page.inner_text("#history [data-revision='void']")
    assert page.locator("#history [data-revision]").count() == 4
    assert page.locator("#correct").count() == 0
    shoot(phone, "correct-void", 3)

    db.session.remove()
    stored = db.session.scalar(select(Inspection).where(Inspection.uuid == uuid))
    assert stored.revision == 3 and stored.delete_reason == "重复录入" and stored.deleted_at
    assert {f.item_code for f in stored.findings} == {"7.4", "9.3"}


def _until_all_sent(page, count: int, timeout: float = 15.0) -> None:
    """Poll the phone's outbox (page.evaluate awaits its promise) until `count` entries are sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = page.evaluate(OUTBOX)
        if len(rows) == count and all(row["status"] == "sent" for row in rows):
            return
        time.sleep(0.02)
    raise AssertionError(f"outbox not sent within {timeout}s: {page.evaluate(OUTBOX)}")


def test_an_unlicensed_operator_registered_and_inspected_offline_is_stored_once(
        phone, make_user, make_unit, login_as):
    make_unit(name="锦江区第一小学食堂")
    inspector = make_user("inspector", "510104")
    page, context = phone.page, phone.context
    phone.log_in(inspector, "/m/")
    phone.wait_synced()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#net.offline")
    page.click("#to-register")
    page.wait_for_selector("#register-start")
    page.click("#register-start")
    assert "请填写名称" in page.inner_text("[data-errors-for=name]")
    page.fill("#unit-name", "校门口流动烧烤摊")
    page.fill("#unit-address", "锦江区第一小学东门外")
    shoot(phone, "register", 1)
    page.click("#register-start")
    page.wait_for_url("**/info")
    assert "无证经营者" in page.inner_text(".facts")
    page.fill("#inspector-1-name", "李四")
    page.click(".steps [data-step=checklist]")
    assert page.inner_text(".summary .chip") == "未填完"  # nothing answered: no green 符合
    page.click("text=未填项目全部设为“是”")
    first_item = page.locator(".item[data-item]").first
    first_item.locator(".choice[data-value=no]").click()
    page.click(".steps [data-step=findings]")
    page.click("text=＋ 添加问题")
    page.fill("#finding-0-description", "无健康证从业")
    page.click(".steps [data-step=review]")
    assert "问题 1 未选择问题类别" in page.inner_text(".card.bad")  # no silent default category
    page.click(".steps [data-step=findings]")
    page.select_option("#finding-0-category", "other")
    page.click(".steps [data-step=handling]")
    page.click(".choice[data-value=stop]")
    page.click(".steps [data-step=review]")
    assert page.inner_text("#result .chip") != "符合"
    page.click("#submit")
    page.wait_for_selector(".outbox-entry[data-status=pending] >> nth=1")
    assert {e["status"] for e in page.evaluate(OUTBOX)} == {"pending"}
    shoot(phone, "register", 2)
    assert _count(Unit, Unit.kind == "unlicensed") == 0

    started = time.monotonic()
    context.set_offline(False)  # the network returns: the unit goes first, then its inspection
    _until_all_sent(page, 2)
    synced_in = time.monotonic() - started
    print(f"reconnect → unit and inspection stored: {synced_in:.2f}s")
    assert synced_in < 10
    shoot(phone, "register", 3)
    units = db.session.scalars(select(Unit).where(Unit.kind == "unlicensed")).all()
    assert len(units) == 1 and units[0].name == "校门口流动烧烤摊" and units[0].client_id
    assert units[0].jurisdiction_code == "510104" and units[0].address == "锦江区第一小学东门外"
    stored = db.session.scalars(select(Inspection).where(Inspection.unit_id == units[0].id)).all()
    assert len(stored) == 1 and stored[0].handling.value == "stop"

    # Both sent again (their answers lost, say): nothing more is stored.
    for entry in page.evaluate(OUTBOX):
        page.evaluate(MARK_PENDING, entry["id"])
    page.reload()
    _until_all_sent(page, 2)
    assert _count(Unit, Unit.kind == "unlicensed") == 1
    assert _count(Inspection, Inspection.unit_id == units[0].id) == 1


def test_a_case_is_filed_from_an_inspection_and_its_decision_recorded(
        phone, make_user, make_unit, login_as, new_inspection):
    unit = make_unit(name="锦江区第五小学食堂")
    unit_id = unit.id
    inspector = make_user("inspector", "510104")
    doc = new_inspection(unit, answers={"6.1": "no", "4.2": "no"}, handling="rectify",
                         rectification_order={"deadline": today_cst().isoformat()})
    assert login_as(user=inspector).post("/api/v1/inspections", json=doc).status_code == 201
    page = phone.page
    _start_at(phone, inspector, f"/inspection/{doc['id']}")
    page.click("text=据此立案")
    page.wait_for_selector("#case-submit")
    assert "依据检查" in page.inner_text(".facts")
    page.click("#case-submit")
    assert "请填写案件编号" in page.inner_text("[data-errors-for=case_no]")
    page.fill("#case-case_no", "锦市监罚〔2026〕12号")
    page.fill("#case-summary", "使用无合格证明的食品原料")
    shoot(phone, "case", 1)
    page.click("#case-submit")
    page.wait_for_selector("#case-save")
    case_id = int(page.url.rsplit("/", 1)[1])

    # The phone applies the API's rules before sending.
    page.fill("#case-fine_yuan", "5000")
    page.fill("#case-criminal_filed_on", today_cst().isoformat())
    page.click("#case-save")
    assert "有罚没金额时必须填写处罚决定日期" in page.inner_text("[data-errors-for=decided_on]")
    assert "刑事立案前应先移送公安机关" in page.inner_text("[data-errors-for=criminal_filed_on]")
    page.fill("#case-decided_on", today_cst().isoformat())
    page.fill("#case-criminal_filed_on", "")
    page.click("#case-save")
    page.wait_for_function("() => document.getElementById('case-saved').textContent.startsWith('已保存')")
    shoot(phone, "case", 2)

    db.session.remove()
    case = db.session.get(EnforcementCase, case_id)
    assert case.case_no == "锦市监罚〔2026〕12号" and str(case.fine_yuan) == "5000.00"
    assert case.inspection.uuid == doc["id"] and case.decided_on == today_cst()
    # The same number again is refused by the server, shown next to its field.
    page.goto(f"/m/#/case/new?unit={unit_id}&inspection={doc['id']}")
    page.wait_for_selector("#case-submit")
    page.fill("#case-case_no", "锦市监罚〔2026〕12号")
    page.click("#case-submit")
    page.wait_for_selector("[data-errors-for=case_no] .error")
    assert "案件编号已存在" in page.inner_text("[data-errors-for=case_no]")
    assert _count(EnforcementCase) == 1


def _second_phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server, viewport=PHONE, device_scale_factor=2, is_mobile=True,
        has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _log_in(page, user):
    page.goto("/")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/m/")
    page.wait_for_selector("html[data-sync=done]", state="attached")
    # Every screen is cached once the service worker controls the page: a test may go offline.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def _inspect_with_order(page, unit) -> str:
    """An inspection with a written order, made offline; returns the order number shown."""
    page.goto("/m/#/")
    page.fill("#unit-search", unit.name)
    page.click(f"[data-unit='{unit.id}']")
    page.wait_for_url("**/info")
    page.fill("#inspector-1-name", "赵六")
    page.click(".steps [data-step=checklist]")
    page.click("text=未填项目全部设为“是”")
    page.locator("[data-item='7.4'] .choice[data-value=no]").click()
    page.click(".steps [data-step=handling]")
    page.click(".choice[data-value=rectify]")
    page.wait_for_function("() => document.getElementById('order-number').textContent.includes('〔')")
    number = page.inner_text("#order-number")
    page.click(".steps [data-step=review]")
    page.click("#submit")
    page.wait_for_selector(".outbox-entry[data-status=pending]")
    return number


def test_two_offline_phones_of_one_county_issue_distinct_order_numbers(
        phone, browser, live_server, make_user, make_unit):
    first, second = make_unit(name="锦江区甲小学食堂"), make_unit(name="锦江区乙小学食堂")
    alice = make_user("inspector", "510104", display_name="张三")
    bob = make_user("inspector", "510104", display_name="李四")

    # Her name and 执法证号 live on the account and are prefilled, not retyped.
    page = phone.page
    _log_in(page, alice)
    page.click("#to-profile")
    page.wait_for_selector("#profile-save")
    assert "剩余 20 个" in page.inner_text("#numbers-left")
    page.fill("#profile-badge", "51010400123")
    page.click("#profile-save")
    page.wait_for_function("() => document.getElementById('profile-status').textContent.startsWith('已保存')")
    shoot(phone, "numbers", 1)

    other_context, other = _second_phone(browser, live_server)
    try:
        _log_in(other, bob)
        phone.context.set_offline(True)
        other_context.set_offline(True)
        mine = _inspect_with_order(page, first)
        page.goto("/m/#/")
        page.fill("#unit-search", second.name)
        page.click(f"[data-unit='{second.id}']")
        page.wait_for_url("**/info")
        assert page.input_value("#inspector-0-badge") == "51010400123"
        page.goto("/m/#/outbox")
        theirs = _inspect_with_order(other, second)
        year = today_cst().year
        assert mine == f"锦市监责改〔{year}〕0001号" and theirs == f"锦市监责改〔{year}〕0021号"
        page.wait_for_selector(".outbox-entry .order-no")
        assert mine in page.inner_text(".outbox-entry .order-no")
        shoot(phone, "numbers", 2)
        other.screenshot(path=str(SCREENSHOTS / "phone-numbers-3.png"), full_page=True)

        phone.context.set_offline(False)
        other_context.set_offline(False)
        page.wait_for_selector(".outbox-entry[data-status=sent]")
        other.wait_for_selector(".outbox-entry[data-status=sent]")
    finally:
        other_context.close()
    db.session.remove()
    numbers = sorted(db.session.scalars(select(RectificationOrder.number)).all())
    assert numbers == sorted([mine, theirs])
