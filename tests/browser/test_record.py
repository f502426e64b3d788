"""The printed record at 360×640: the inspector opens it from the phone, the operator scans its QR
code to the public verification page, the school downloads the record and the notice."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from pypdf import PdfReader

from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.timeutil import today_cst


def test_record_is_printed_from_the_phone_verified_publicly_and_downloaded_by_the_school(
        phone, make_school, make_unit, make_user, login_as, new_inspection):
    school = make_school(name="锦江实验小学")
    canteen = make_unit(school=school, name="锦江实验小学食堂", address="成都市锦江区东大街 1 号")
    inspector_user = make_user("inspector", "510104")
    inspector = login_as(user=inspector_user)
    doc = new_inspection(canteen, when=datetime.now().astimezone() - timedelta(hours=3),
                         answers={"6.1": "no", "9.2": "no"}, handling="rectify",
                         inspectors=[{"name": "张三", "badge_no": "川执0099881"},
                                     {"name": "李四", "badge_no": "川执0099882"}],
                         rectification_order={"number": "锦市监责改〔2026〕21号",
                                              "deadline": (today_cst() + timedelta(days=7)).isoformat()})
    stored = inspector.post("/api/v1/inspections", json=doc).get_json()
    uuid = stored["id"]
    token = db.session.scalar(db.select(Inspection.verify_token).where(Inspection.uuid == uuid))

    page = phone.page
    phone.log_in(inspector_user, "/m/")
    page.goto(f"/m/#/inspection/{uuid}")
    link = page.locator("#print-record")
    link.wait_for()
    assert link.inner_text() == "打印/分享记录表"
    assert page.locator("#print-notice").inner_text() == "责令改正通知书"
    # What the tap opens, with the session (building a PDF takes seconds on a loaded machine).
    pdf = page.request.get(link.get_attribute("href"), timeout=60_000)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "锦江实验小学食堂" in text and "锦市监责改〔2026〕21号" in text
    link.scroll_into_view_if_needed()
    phone.screenshot("record-4")

    page.goto(f"/records/{uuid}")
    page.wait_for_selector("h1")
    assert "监督检查结果记录表" in page.inner_text("h1")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360 + 1
    phone.screenshot("record-1")

    page.goto(f"/verify/{token}")
    page.wait_for_selector(".verdict")
    body = page.inner_text("body")
    assert "锦江实验小学食堂" in body and "张*" in body and "张三" not in body
    phone.screenshot("record-2")

    school_user = make_user("school", school=school)
    phone.context.clear_cookies()
    phone.log_in(school_user, "/school/")
    page.goto(f"/school/#/inspection/{uuid}")
    page.locator("#record-pdf").wait_for()
    assert page.request.get(page.locator("#record-pdf").get_attribute("href"), timeout=60_000).status == 200
    assert page.request.get(page.locator("#notice-pdf").get_attribute("href"), timeout=60_000).status == 200
    phone.screenshot("record-3")
