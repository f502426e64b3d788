"""The printed 监督检查结果记录表 and 责令改正通知书, and the public page its QR code leads to."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader

from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.timeutil import today_cst
from forms import forms

INSPECTIONS = "/api/v1/inspections"


@pytest.fixture
def canteen(make_unit, make_school):
    return make_unit("canteen", "510104", school=make_school(name="锦江区实验小学"),
                     name="锦江区实验小学食堂", address="成都市锦江区东大街 1 号")


@pytest.fixture
def inspector(login_as):
    return login_as("inspector", "510104")


def submit(inspector, canteen, new_inspection, number="锦市监责改〔2026〕9号", **overrides):
    when = datetime.now().astimezone() - timedelta(days=2)
    deadline = (today_cst() + timedelta(days=5)).isoformat()
    doc = new_inspection(canteen, when=when, answers={"6.1": "no", "9.2": "no"}, handling="rectify",
                         rectification_order={"number": number, "deadline": deadline},
                         inspectors=[{"name": "张三", "badge_no": "川执0099881"},
                                     {"name": "欧阳小明", "badge_no": "川执0099882"}], **overrides)
    doc["answers"] = [{**a, "note": "索证索票不全"} if a["item"] == "6.1" else a for a in doc["answers"]]
    r = inspector.post(INSPECTIONS, json=doc)
    assert r.status_code == 201, r.get_json()
    return doc, r.get_json()


def pdf_text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.data))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def test_the_record_pdf_states_the_facts_of_the_stored_inspection(inspector, canteen,
                                                                 new_inspection):
    doc, body = submit(inspector, canteen, new_inspection)
    text = pdf_text(inspector.get(f"{INSPECTIONS}/{body['id']}/record.pdf"))
    definition = forms.get(body["form_id"], body["form_version"])
    for fact in ("成都市锦江区市场监督管理局", "监督检查结果记录表", "锦江区实验小学食堂", canteen.licence_no,
                 "成都市锦江区东大街1号", "学校食堂", "张三", "川执0099881", "欧阳小明", "川执0099882",
                 "索证索票不全", definition.items["9.2"].text, "不符合" if body["result"] == "noncompliant"
                 else body["result_label"], f"检查项目{body['items_checked']}项",
                 f"发现问题{body['problems_found']}项", "书面限期整改", "锦市监责改〔2026〕9号",
                 "20个工作日内", "/verify/"):
        assert re.sub(r"\s+", "", fact) in text, fact
    for item in definition.items.values():  # every item, with its answer
        assert re.sub(r"\s+", "", item.text)[:12] in text, item.code


def test_a_corrected_record_says_it_replaces_the_earlier_revision(inspector, canteen,
                                                                 new_inspection):
    doc, body = submit(inspector, canteen, new_inspection)
    correction = {**doc, "answers": [{**a, "answer": "yes"} if a["item"] == "9.2" else a
                                     for a in doc["answers"]],
                  "reason": "9.2 误录", "base_revision": 1}
    assert inspector.put(f"{INSPECTIONS}/{body['id']}", json=correction).status_code == 200
    text = pdf_text(inspector.get(f"{INSPECTIONS}/{body['id']}/record.pdf"))
    assert "第2版" in text and "取代第1版" in text and "9.2误录" in text
    assert "发现问题1项" in text


def test_a_voided_record_still_prints_and_says_it_is_void(inspector, canteen, new_inspection):
    _, body = submit(inspector, canteen, new_inspection)
    assert inspector.delete(f"{INSPECTIONS}/{body['id']}", json={"reason": "重复录入"}).status_code == 204
    text = pdf_text(inspector.get(f"{INSPECTIONS}/{body['id']}/record.pdf"))
    assert "已于" in text and "作废" in text and "重复录入" in text


def test_the_rectification_notice_pdf_names_the_order_and_the_problems(inspector, canteen,
                                                                      new_inspection):
    _, body = submit(inspector, canteen, new_inspection)
    order = body["rectification_order"]
    text = pdf_text(inspector.get(f"/api/v1/rectification-orders/{order['id']}/notice.pdf"))
    for fact in ("责令改正通知书", "锦市监责改〔2026〕9号", "锦江区实验小学食堂", "索证索票不全",
                 "成都市锦江区市场监督管理局"):
        assert fact in text, fact


def test_the_school_and_the_county_read_the_record_another_county_gets_404(
        inspector, canteen, new_inspection, login_as):
    _, body = submit(inspector, canteen, new_inspection)
    url = f"{INSPECTIONS}/{body['id']}/record.pdf"
    notice = f"/api/v1/rectification-orders/{body['rectification_order']['id']}/notice.pdf"
    school = login_as("school", school=canteen.school)
    assert school.get(url).status_code == 200 and school.get(notice).status_code == 200
    for role, county in (("inspector", "510302"), ("bureau", "510302")):
        other = login_as(role, county)
        assert other.get(url).status_code == 404 and other.get(notice).status_code == 404
        assert other.get(f"/records/{body['id']}", headers={"Accept": "text/html"}).status_code == 404


def test_the_print_page_shows_the_record_and_links_the_pdfs(inspector, canteen, new_inspection):
    _, body = submit(inspector, canteen, new_inspection)
    page = inspector.get(f"/records/{body['id']}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "锦江区实验小学食堂" in html and "索证索票不全" in html and "锦市监责改〔2026〕9号" in html
    assert f"/api/v1/inspections/{body['id']}/record.pdf" in html
    assert f"/api/v1/rectification-orders/{body['rectification_order']['id']}/notice.pdf" in html


def token_of(uuid: str) -> str:
    return db.session.scalar(db.select(Inspection.verify_token).where(Inspection.uuid == uuid))


def test_the_verification_page_is_public_masks_names_and_shows_the_facts(
        inspector, canteen, new_inspection, anonymous):
    _, body = submit(inspector, canteen, new_inspection)
    token = token_of(body["id"])
    assert token and body["id"] not in token and len(token) >= 22  # ≥ 128 random bits, not the id
    page = anonymous.get(f"/verify/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "锦江区实验小学食堂" in html and body["result_label"] in html and "书面限期整改" in html
    assert "张*" in html and "欧***" in html
    for personal in ("张三", "欧阳小明", "川执0099881", "川执0099882"):
        assert personal not in html
    assert "记录真实有效" in html


def test_the_verification_page_says_when_a_record_was_corrected_or_voided(
        inspector, canteen, new_inspection, anonymous):
    doc, body = submit(inspector, canteen, new_inspection)
    token = token_of(body["id"])
    inspector.put(f"{INSPECTIONS}/{body['id']}", json={**doc, "reason": "联系电话 13800000000 误录",
                                                       "base_revision": 1, "remarks": "已更正"})
    html = anonymous.get(f"/verify/{token}").get_data(as_text=True)
    assert "经过更正" in html and "第 2 版" in html
    assert "13800000000" not in html  # the reason is free text: not on the public page
    inspector.delete(f"{INSPECTIONS}/{body['id']}", json={"reason": "重复录入"})
    html = anonymous.get(f"/verify/{token}").get_data(as_text=True)
    assert "已作废" in html


def test_an_unknown_token_or_the_uuid_is_a_404_page(inspector, canteen, new_inspection, anonymous):
    _, body = submit(inspector, canteen, new_inspection)
    for token in (body["id"], "A" * 22, "x" * 200):
        page = anonymous.get(f"/verify/{token}", headers={"Accept": "text/html"})
        assert page.status_code == 404 and page.mimetype == "text/html"


def test_every_inspection_gets_its_own_token(inspector, canteen, new_inspection):
    tokens = {token_of(submit(inspector, canteen, new_inspection, number=f"锦市监责改〔2026〕{n}号")[1]["id"])
              for n in range(3)}
    assert len(tokens) == 3


def test_the_record_page_sends_anonymous_visitors_to_login(inspector, canteen, new_inspection,
                                                          anonymous):
    _, body = submit(inspector, canteen, new_inspection)
    page = anonymous.get(f"/records/{body['id']}", headers={"Accept": "text/html"})
    assert page.status_code == 302 and page.headers["Location"] == "/"
