"""The record before sync, signed on the phone at 360×640: offline, the operator reads the draft
监督检查结果记录表 and signs it with a finger (here: mouse strokes) or refuses; the signature goes
with the one submission, and after sync the printed record carries it."""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path

from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from foodsafety.extensions import db
from foodsafety.records.models import RecordSignature
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_offline import MARK_PENDING, OUTBOX

# The doc the outbox holds for an entry (what it sends, and sends again on a retry).
ENTRY_DOC = """async (id) => {
  const db = await new Promise((ok) => {
    const r = indexedDB.open('foodsafety-inspector');
    r.onsuccess = () => ok(r.result);
  });
  const entry = await new Promise((ok) => {
    db.transaction('outbox').objectStore('outbox').get(id).onsuccess = (event) => ok(event.target.result);
  });
  db.close();
  return entry.doc;
}"""


def _signatures() -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(RecordSignature))


def _sign(page, strokes) -> None:
    """Write on the canvas with the mouse: each stroke a press, a drag through its points, a release."""
    page.locator("#signature-pad").scroll_into_view_if_needed()
    box = page.locator("#signature-pad").bounding_box()
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=6)
        page.mouse.up()


NAME = [[(30, 120), (60, 40), (90, 130), (120, 50), (150, 120)], [(170, 90), (290, 80)],
        [(200, 40), (230, 150)]]


def _fill_inspection(page, unit) -> str:
    page.fill("#unit-search", unit.name)
    page.click(f"[data-unit='{unit.id}']")
    page.wait_for_url("**/info")
    uuid = page.url.split("/draft/")[1].split("/")[0]
    page.fill("#inspector-1-name", "李四")
    page.fill("#inspector-1-badge", "川执0099882")
    page.click(".steps [data-step=checklist]")
    page.click("text=未填项目全部设为“是”")
    page.locator("[data-item='6.1'] .choice[data-value=no]").click()
    page.fill("#note-6\\.1", "索证索票不全")
    page.click(".steps [data-step=handling]")
    page.click(".choice[data-value=rectify]")
    page.wait_for_function("() => document.getElementById('order-number').textContent.includes('〔')")
    return uuid


def _looks_like_a_page(png: bytes) -> bool:
    histogram = Image.open(io.BytesIO(png)).convert("L").crop((60, 60, 734, 600)).histogram()
    total = sum(histogram)
    return sum(histogram[240:]) > total / 2 and sum(histogram[:100]) > total / 500


def _pdf_page_png(browser, pdf: bytes, number: int, tmp_path: Path, name: str) -> Path:
    """One page of the PDF as Chromium's own PDF viewer (PDFium) draws it, at A4 proportions."""
    source = tmp_path / "record.pdf"
    source.write_bytes(pdf)
    context = browser.new_context(viewport={"width": 794, "height": 1123})
    try:
        page = context.new_page()
        page.goto(f"file://{source}#page={number}&toolbar=0&navpanes=0&view=FitH")
        target = SCREENSHOTS / f"{name}.png"
        deadline = time.monotonic() + 20
        while True:  # until the viewer has drawn the page: white paper with dark text on it
            shot = page.screenshot()
            drawn = _looks_like_a_page(shot)
            if drawn or time.monotonic() > deadline:
                break
            page.wait_for_timeout(250)
        target.write_bytes(shot)
        assert drawn, "the PDF viewer drew no page"
        return target
    finally:
        context.close()


def test_the_operator_reads_the_draft_record_offline_signs_it_and_the_printed_record_carries_it(
        phone, browser, make_school, make_unit, make_user, login_as, tmp_path):
    school = make_school(name="锦江实验小学")
    unit = make_unit(school=school, name="锦江实验小学食堂", address="成都市锦江区东大街 1 号")
    inspector = make_user("inspector", "510104", display_name="张三")
    page, context = phone.page, phone.context

    phone.log_in(inspector, "/m/")
    phone.wait_synced()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    page.reload()  # the app (with its record module) comes from the service worker's cache
    page.wait_for_selector("#net.offline")

    uuid = _fill_inspection(page, unit)
    number = page.inner_text("#order-number")
    page.click("text=下一步：记录表与签名")
    page.wait_for_selector("#draft-record")
    sheet = page.inner_text("#draft-record")
    for fact in ("监督检查结果记录表", "锦江实验小学食堂", "成都市锦江区东大街 1 号", unit.licence_no, "学校食堂",
                 "张三", "李四（执法证号：川执0099882）", "索证索票不全", "书面限期整改", number, "整改期限"):
        assert fact in sheet, fact
    assert "否" in page.inner_text("#draft-record [data-item='6.1']")
    # The time as the PDF prints it, in China Standard Time: "2026年11月30日 09:30".
    started = page.evaluate("(id) => new Promise((ok) => { const r = indexedDB.open('foodsafety-inspector');"
                            " r.onsuccess = () => r.result.transaction('drafts').objectStore('drafts').get(id)"
                            ".onsuccess = (e) => ok(e.target.result.started_at); })", uuid)
    shown = page.evaluate("(iso) => new Date(iso).toLocaleString('zh-CN', {timeZone: 'Asia/Shanghai',"
                          " hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',"
                          " hour: '2-digit', minute: '2-digit'})", started)
    day, clock = shown.split(" ")
    year, month, date = day.split("/")
    assert f"{year}年{month}月{date}日 {clock}" in sheet
    phone.assert_fits()
    phone.screenshot("record-5")

    # The operator signs; a first attempt is cleared and written again.
    page.click(".choice[data-value=signed]")
    page.click("#signature-save")
    assert "请先在框内签名" in page.inner_text("#operator-answer")
    _sign(page, NAME[:1])
    page.click("#signature-clear")
    _sign(page, NAME)
    phone.assert_fits()
    page.locator("#operator-answer").screenshot(path=str(SCREENSHOTS / "record-6.png"))
    page.click("#signature-save")
    page.wait_for_selector("#signature-done img")

    # A change after signing: the signature no longer fits what is on the record.
    page.click(".steps [data-step=handling]")
    page.fill("#remarks", "现场已督促整改")
    page.click(".steps [data-step=record]")
    page.wait_for_selector("#signature-stale")
    assert "原签名（或拒签）已失效" in page.inner_text("#signature-stale")
    _sign(page, NAME)
    page.click("#signature-save")
    page.wait_for_selector("#signature-done img")
    assert "现场已督促整改" in page.inner_text("#draft-record")
    phone.screenshot("record-7")

    page.click(".steps [data-step=review]")
    assert page.inner_text("#review-signature") == "已在手机上签名"
    page.click("#submit")
    page.wait_for_selector(f"[data-id='{uuid}'][data-status=pending]")
    page.click(f"[data-id='{uuid}'] .draft-record")  # before sync: the record as the phone holds it
    page.wait_for_selector("#operator-answer img.signature-image")
    assert "锦江实验小学食堂" in page.inner_text("#draft-record")
    phone.assert_fits()
    phone.screenshot("record-8")
    sent = page.evaluate(ENTRY_DOC, uuid)["operator_signature"]
    assert sent["state"] == "signed" and sent["image"].startswith("data:image/png;base64,")
    assert _signatures() == 0

    page.goto("/m/#/outbox")
    context.set_offline(False)  # the network returns: sent once, and a retry stores nothing more
    page.wait_for_selector(f"[data-id='{uuid}'][data-status=sent]")
    page.evaluate(MARK_PENDING, uuid)
    page.reload()
    page.wait_for_selector(f"[data-id='{uuid}'][data-status=sent]")
    assert [e["attempts"] for e in page.evaluate(OUTBOX)] == [3]
    assert _signatures() == 1

    api = login_as(user=inspector)
    stored = api.get(f"/api/v1/inspections/{uuid}").get_json()["operator_signature"]
    assert api.get(stored["image_url"]).data == base64.b64decode(sent["image"].split(",", 1)[1])

    link = page.locator(f"[data-id='{uuid}'] .print-record")
    assert link.inner_text() == "打印/分享记录表"
    pdf = page.request.get(link.get_attribute("href"), timeout=60_000)
    assert pdf.status == 200
    reader = PdfReader(io.BytesIO(pdf.body()))
    assert (stored["width"], stored["height"]) in [i.image.size for p in reader.pages for i in p.images]
    assert "当事人在手机上签名" in "".join(p.extract_text() for p in reader.pages).replace(" ", "")
    _pdf_page_png(browser, pdf.body(), len(reader.pages), tmp_path, "record-10")  # the signed page

    page.goto(f"/records/{uuid}")
    page.wait_for_selector("#operator-signature img.signature")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360 + 1
    page.locator("#operator-signature").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "record-9.png"))


def test_an_operator_who_refuses_to_sign_is_recorded_with_the_inspectors_note(
        phone, make_unit, make_user, login_as):
    unit = make_unit(name="锦江区第五小学食堂")
    inspector = make_user("inspector", "510104", display_name="张三")
    page = phone.page
    phone.log_in(inspector, "/m/")
    phone.wait_synced()

    uuid = _fill_inspection(page, unit)
    page.click(".steps [data-step=record]")
    page.click(".choice[data-value=refused]")
    page.wait_for_selector("#refusal-note")
    assert "在场检查人员：张三、李四" in page.inner_text("#refusal")
    page.click(".steps [data-step=review]")  # no note yet: the phone will not send it
    assert "拒签情况说明" in page.inner_text(".card.bad")
    assert page.locator("#submit").is_disabled()
    page.click(".steps [data-step=record]")
    page.fill("#refusal-note", "负责人王某阅读记录表后拒绝签名")
    phone.assert_fits()
    phone.screenshot("record-11")
    page.click(".steps [data-step=review]")
    page.click("#submit")
    page.wait_for_selector(f"[data-id='{uuid}'][data-status=sent]")

    record = login_as(user=inspector).get(f"/api/v1/inspections/{uuid}").get_json()
    assert record["operator_signature"]["state"] == "refused"
    assert record["operator_signature"]["refusal_note"] == "负责人王某阅读记录表后拒绝签名"
    page.goto(f"/m/#/inspection/{uuid}")
    page.wait_for_selector("#record-signature")
    assert page.inner_text("#record-signature") == "当事人拒签"
