"""The inspector's day on the phone (360×640): what is due, a unit's page (from a search and from
a typed licence number), and 复查 from an order — one that closes it, one that sets a new deadline."""

from __future__ import annotations

import io
import uuid as uuidlib
from datetime import datetime, timedelta

from PIL import Image

from foodsafety.extensions import db
from foodsafety.rectification.models import RectificationOrder
from foodsafety.timeutil import today_cst

WIDEST = """() => [...document.querySelectorAll('main *')].filter((el) => el.getBoundingClientRect().right > 361)
  .map((el) => `${el.tagName}.${el.className}#${el.id} ${el.getBoundingClientRect().right | 0}`).slice(0, 5)"""


def _shoot(phone, name):
    phone.screenshot(name)
    assert not phone.page.evaluate(WIDEST), phone.page.evaluate(WIDEST)
    phone.assert_fits()


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def _issue(api, unit, new_inspection, *, days_ago, deadline_in, number, failed=("3.1", "6.1")):
    when = datetime.now().astimezone() - timedelta(days=days_ago)
    deadline = today_cst() - timedelta(days=days_ago) + timedelta(days=deadline_in)
    doc = new_inspection(unit, when=when, answers={code: "no" for code in failed}, handling="rectify",
                         rectification_order={"number": number, "deadline": deadline.isoformat()})
    answer = api.post("/api/v1/inspections", json=doc)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _report(login_as, school, order_id, inspection, unit):
    api = login_as("school", school=school)
    photo_id = str(uuidlib.uuid4())
    assert api.post("/api/v1/photos", content_type="multipart/form-data", data={
        "file": (io.BytesIO(_jpeg()), "photo.jpg"), "id": photo_id, "inspection_id": inspection["id"],
        "unit_id": str(unit.id), "target": f"report:{order_id}"}).status_code == 201
    report = {"id": str(uuidlib.uuid4()), "text": "已制定处置方案并更换消毒设备。", "photo_ids": [photo_id]}
    assert api.post(f"/api/v1/rectification-orders/{order_id}/reports", json=report).status_code == 201


def test_the_task_list_shows_what_is_due_with_counts(phone, make_school, make_unit, make_user, login_as,
                                                     new_inspection):
    school = make_school(name="锦江实验小学")
    canteen = make_unit(school=school, name="锦江实验小学食堂")
    supplier = make_unit("supplier", name="蓉城学生餐配送有限公司")
    make_unit("supplier", name="从未检查的配餐公司")
    inspector = make_user("inspector", "510104")
    api = login_as(user=inspector)
    reported = _issue(api, canteen, new_inspection, days_ago=3, deadline_in=20, number="锦市监责改〔2026〕11号")
    _report(login_as, school, reported["rectification_order"]["id"], reported, canteen)
    _issue(api, supplier, new_inspection, days_ago=40, deadline_in=10, number="锦市监责改〔2026〕12号")

    page = phone.page
    phone.log_in(inspector, "/m/")
    phone.wait_synced()
    page.wait_for_selector("#task-list")
    tabs = {key: page.inner_text(f".tabs [data-tab={key}] .count") for key in ("reported", "overdue", "uncovered")}
    assert tabs == {"reported": "1", "overdue": "1", "uncovered": "1"}
    rows = page.locator("#task-list > li")
    assert rows.first.get_attribute("data-task") == "overdue"  # the most urgent first
    assert "逾期 30 天" in rows.first.inner_text()
    assert "同步于" in page.inner_text("#tasks-as-of")
    _shoot(phone, "phone-tasks-1")

    page.click(".tabs [data-tab=reported]")
    page.wait_for_selector(".tabs [data-tab=reported][aria-selected=true]")
    assert page.locator("#task-list > li").count() == 1
    assert "锦江实验小学食堂" in page.inner_text("#task-list")
    _shoot(phone, "phone-tasks-2")

    # Offline, the list of the last sync is still there.
    phone.context.set_offline(True)
    page.reload()
    page.wait_for_selector("#task-list")
    assert "离线" in page.inner_text("#tasks-as-of")
    _shoot(phone, "phone-tasks-3")
    phone.context.set_offline(False)


def test_the_unit_page_from_a_search_and_from_a_typed_licence_number(
        phone, make_school, make_unit, make_user, make_link, login_as, new_inspection):
    school = make_school(name="锦江实验小学")
    canteen = make_unit(school=school, name="锦江实验小学食堂", short_name="实小食堂",
                        address="锦江区红星路二段 8 号")
    supplier = make_unit("supplier", name="蓉城学生餐配送有限公司")
    make_link(supplier, school)
    inspector = make_user("inspector", "510104")
    api = login_as(user=inspector)
    _issue(api, canteen, new_inspection, days_ago=3, deadline_in=20, number="锦市监责改〔2026〕21号")

    page = phone.page
    phone.log_in(inspector, "/m/")
    phone.wait_synced()
    page.fill("#unit-search", "红星路")
    page.wait_for_selector(f"#units [data-unit='{canteen.id}']")
    row = page.inner_text("#units")
    assert "未销号 1" in row and "不符合" in row  # its last inspection and its open order
    _shoot(phone, "phone-unit-1")

    page.click(f"[data-unit-page='{canteen.id}']")
    page.wait_for_selector("#unit-facts")
    facts = page.inner_text("#unit-facts")
    assert canteen.licence_no in facts and "有效" in facts
    assert "蓉城学生餐配送有限公司" in facts
    assert page.locator("#history > li").count() == 1
    assert "锦市监责改〔2026〕21号" in page.inner_text("main")
    _shoot(phone, "phone-unit-2")

    page.goto("/m/#/tasks")
    page.fill("#unit-search", canteen.licence_no)
    page.press("#unit-search", "Enter")
    page.wait_for_url(f"**#/unit/{canteen.id}")
    page.wait_for_selector("#unit-facts")
    assert page.inner_text("#unit-name").startswith("锦江实验小学食堂")
    _shoot(phone, "phone-unit-3")


def _recheck_setup(make_school, make_unit, make_user, login_as, new_inspection, number):
    school = make_school(name="锦江实验小学")
    canteen = make_unit(school=school, name="锦江实验小学食堂")
    inspector = make_user("inspector", "510104")
    api = login_as(user=inspector)
    stored = _issue(api, canteen, new_inspection, days_ago=5, deadline_in=3, number=number)
    order_id = stored["rectification_order"]["id"]
    _report(login_as, school, order_id, stored, canteen)
    return inspector, order_id


def test_a_recheck_with_everything_rectified_closes_the_order(
        phone, make_school, make_unit, make_user, login_as, new_inspection, photo_file):
    inspector, order_id = _recheck_setup(make_school, make_unit, make_user, login_as, new_inspection,
                                         "锦市监责改〔2026〕31号")
    page = phone.page
    phone.log_in(inspector, "/m/")
    phone.wait_synced()
    page.click(f"#task-list [data-order='{order_id}'] a")
    page.wait_for_selector("#recheck")
    _shoot(phone, "phone-recheck-close-1")
    blocks = page.locator("#recheck [data-finding]")
    assert blocks.count() == 2
    for i in range(2):
        blocks.nth(i).locator(".choice[data-value=yes]").click()
    blocks.first.locator("textarea").fill("已更换消毒柜")
    blocks.first.locator("input[type=file]").set_input_files(str(photo_file))
    blocks.first.locator(".thumb img").wait_for()
    assert page.locator("#follow-up").is_hidden()
    _shoot(phone, "phone-recheck-close-2")

    # A call comes in: the inspector leaves the order and comes back; nothing judged is lost.
    page.goto("/m/#/tasks")
    page.wait_for_selector("#tasks")
    page.click(f"#task-list [data-order='{order_id}'] a")
    page.wait_for_selector("#recheck")
    blocks = page.locator("#recheck [data-finding]")
    assert blocks.first.locator("textarea").input_value() == "已更换消毒柜"
    assert blocks.nth(1).get_attribute("data-answer") == "yes"
    assert blocks.first.locator(".choice[data-value=yes]").get_attribute("aria-pressed") == "true"
    blocks.first.locator(".thumb img").wait_for()

    page.click("#submit-recheck")
    page.wait_for_selector("#outbox [data-status=sent]")
    assert "复查合格" in page.inner_text("#outbox")
    _shoot(phone, "phone-recheck-close-3")
    db.session.expire_all()
    order = db.session.get(RectificationOrder, order_id)
    assert order.status.value == "closed" and len(order.rechecks) == 1
    assert order.rechecks[0].results[0]["photo_ids"]
    page.click("text=返回首页")
    page.wait_for_selector("#tasks")
    assert page.inner_text(".tabs [data-tab=reported] .count") == "0"  # no longer due


def test_a_recheck_with_problems_left_sets_a_new_deadline(
        phone, make_school, make_unit, make_user, login_as, new_inspection):
    inspector, order_id = _recheck_setup(make_school, make_unit, make_user, login_as, new_inspection,
                                         "锦市监责改〔2026〕32号")
    page = phone.page
    phone.log_in(inspector, "/m/")
    phone.wait_synced()
    page.goto(f"/m/#/order/{order_id}")
    page.wait_for_selector("#recheck")
    blocks = page.locator("#recheck [data-finding]")
    blocks.nth(0).locator(".choice[data-value=yes]").click()
    blocks.nth(1).locator(".choice[data-value=no]").click()
    blocks.nth(1).locator("textarea").fill("消毒设备仍未更换")
    page.wait_for_selector("#follow-up:not([hidden])")
    new_deadline = (today_cst() + timedelta(days=10)).isoformat()
    page.fill("#new-deadline", new_deadline)
    _shoot(phone, "phone-recheck-followup-1")

    page.click("#submit-recheck")
    page.wait_for_selector("#outbox [data-status=sent]")
    _shoot(phone, "phone-recheck-followup-2")
    db.session.expire_all()
    order = db.session.get(RectificationOrder, order_id)
    assert order.status.value == "open" and order.deadline.isoformat() == new_deadline
    assert order.rechecks[0].new_deadline.isoformat() == new_deadline

    page.goto(f"/m/#/order/{order_id}")
    page.wait_for_selector("#recheck")
    assert "新期限" in page.inner_text("main")
    _shoot(phone, "phone-recheck-followup-3")


def test_a_recheck_made_offline_waits_in_the_outbox_and_counts_once(
        phone, make_school, make_unit, make_user, login_as, new_inspection):
    inspector, order_id = _recheck_setup(make_school, make_unit, make_user, login_as, new_inspection,
                                         "锦市监责改〔2026〕33号")
    page = phone.page
    phone.log_in(inspector, "/m/")
    phone.wait_synced()
    # Offline-ready: the service worker has cached every screen (the order's is loaded on first open).
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    phone.context.set_offline(True)
    page.click(f"#task-list [data-order='{order_id}'] a")  # the order comes from the last sync
    page.wait_for_selector("#recheck")
    blocks = page.locator("#recheck [data-finding]")
    for i in range(blocks.count()):
        blocks.nth(i).locator(".choice[data-value=yes]").click()
    page.click("#submit-recheck")
    page.wait_for_selector("#outbox [data-status=pending]")
    _shoot(phone, "phone-recheck-offline-1")

    phone.context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#outbox [data-status=sent]")
    _shoot(phone, "phone-recheck-offline-2")
    db.session.expire_all()
    order = db.session.get(RectificationOrder, order_id)
    assert order.status.value == "closed" and len(order.rechecks) == 1
