"""The operator signs the record on the phone, or refuses (拒签): the answer travels inside the one
idempotent submission, is stored once with the revision it was given for, and is printed."""

from __future__ import annotations

import base64
import io
import re
from datetime import datetime, timedelta

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection, InspectionRevision
from foodsafety.records.models import RecordSignature
from foodsafety.rectification.models import RectificationOrder
from foodsafety.timeutil import today_cst

INSPECTIONS = "/api/v1/inspections"


def signature_png(size=(600, 200), strokes=True, mode="RGBA") -> bytes:
    """A name written with a finger: dark strokes on a transparent canvas, as a canvas exports it."""
    image = Image.new(mode, size, (0, 0, 0, 0) if mode == "RGBA" else 255)
    if strokes:
        draw = ImageDraw.Draw(image)
        draw.line([(40, 150), (120, 40), (180, 160), (260, 60), (330, 150)], fill=(20, 20, 20, 255)
                  if mode == "RGBA" else 0, width=6)
        draw.line([(380, 100), (560, 90)], fill=(20, 20, 20, 255) if mode == "RGBA" else 0, width=5)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def data_url(png: bytes, prefix: str = "data:image/png;base64,") -> str:
    return prefix + base64.b64encode(png).decode()


@pytest.fixture
def canteen(make_unit, make_school):
    return make_unit("canteen", "510104", school=make_school(name="锦江区实验小学"),
                     name="锦江区实验小学食堂")


@pytest.fixture
def inspector(login_as):
    return login_as("inspector", "510104")


def record_doc(canteen, new_inspection, **overrides) -> dict:
    """An inspection with a written order: a partial write would leave an order behind."""
    return new_inspection(
        canteen, when=datetime.now().astimezone() - timedelta(hours=2), answers={"6.1": "no"},
        handling="rectify", rectification_order={
            "number": "锦市监责改〔2026〕31号", "deadline": (today_cst() + timedelta(days=7)).isoformat()},
        inspectors=[{"name": "张三", "badge_no": "川执0099881"},
                    {"name": "欧阳小明", "badge_no": "川执0099882"}], **overrides)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def pdf_of(inspector, uuid):
    response = inspector.get(f"{INSPECTIONS}/{uuid}/record.pdf")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return PdfReader(io.BytesIO(response.data))


def flat_text(reader) -> str:
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def image_sizes(reader) -> list[tuple[int, int]]:
    return [image.image.size for page in reader.pages for image in page.images]


def test_a_signed_record_keeps_the_signature_exactly_as_sent_and_prints_it(
        inspector, canteen, new_inspection):
    png = signature_png()
    doc = record_doc(canteen, new_inspection,
                     operator_signature={"state": "signed", "image": data_url(png)})
    answer = inspector.post(INSPECTIONS, json=doc)
    assert answer.status_code == 201, answer.get_json()
    signature = answer.get_json()["operator_signature"]
    assert signature["state"] == "signed" and signature["state_label"] == "已签名"
    assert signature["revision"] == 1 and (signature["width"], signature["height"]) == (600, 200)

    stored = inspector.get(signature["image_url"])
    assert stored.status_code == 200 and stored.mimetype == "image/png"
    assert stored.data == png  # byte for byte what the phone sent
    assert inspector.get(f"{INSPECTIONS}/{doc['id']}").get_json()["operator_signature"] == signature

    reader = pdf_of(inspector, doc["id"])
    assert (600, 200) in image_sizes(reader)  # the signature, beside the QR code
    text = flat_text(reader)
    assert "当事人在手机上签名" in text and "当事人拒签" not in text
    assert "张三、欧阳小明" in text  # both inspectors named at their signature lines

    page = inspector.get(f"/records/{doc['id']}", headers={"Accept": "text/html"})
    assert data_url(png) in page.get_data(as_text=True)


@pytest.mark.parametrize("mode", ["L", "P", "RGB", "1"])
def test_a_signature_from_another_app_in_any_8_bit_png_mode_is_kept_and_printed(
        inspector, canteen, new_inspection, mode):
    drawn = Image.open(io.BytesIO(signature_png()))
    on_white = Image.new("RGBA", drawn.size, (255, 255, 255, 255))
    on_white.alpha_composite(drawn)
    buffer = io.BytesIO()
    on_white.convert(mode).save(buffer, "PNG")
    doc = record_doc(canteen, new_inspection,
                     operator_signature={"state": "signed", "image": data_url(buffer.getvalue())})
    assert inspector.post(INSPECTIONS, json=doc).status_code == 201
    assert (600, 200) in image_sizes(pdf_of(inspector, doc["id"]))


def test_a_retried_submission_with_its_signature_stores_one_signature(inspector, canteen,
                                                                      new_inspection):
    doc = record_doc(canteen, new_inspection,
                     operator_signature={"state": "signed", "image": data_url(signature_png())})
    assert inspector.post(INSPECTIONS, json=doc).status_code == 201
    again = inspector.post(INSPECTIONS, json=doc)
    assert again.status_code == 200 and again.get_json()["operator_signature"]["revision"] == 1
    assert count(RecordSignature) == 1 and count(InspectionRevision) == 1

    # The same id with another signature is another body: refused, nothing added.
    other = {**doc, "operator_signature": {"state": "signed",
                                           "image": data_url(signature_png(size=(640, 200)))}}
    refused = inspector.post(INSPECTIONS, json=other)
    assert refused.status_code == 409 and refused.get_json()["reason"] == "inspection_id_conflict"
    assert count(RecordSignature) == 1


def test_a_refusal_needs_the_inspectors_note_and_is_printed_with_it(inspector, canteen,
                                                                   new_inspection):
    doc = record_doc(canteen, new_inspection, operator_signature={"state": "refused"})
    answer = inspector.post(INSPECTIONS, json=doc)
    assert answer.status_code == 422
    assert answer.get_json()["errors"]["operator_signature"]["note"] == [
        "当事人拒签时，检查人员必须填写拒签情况说明。"]
    assert count(Inspection) == 0 and count(RectificationOrder) == 0

    note = "负责人王某看过记录表后拒绝签名，称需请示老板。"
    doc["operator_signature"]["note"] = note
    answer = inspector.post(INSPECTIONS, json=doc)
    assert answer.status_code == 201, answer.get_json()
    signature = answer.get_json()["operator_signature"]
    assert signature["state_label"] == "当事人拒签" and signature["refusal_note"] == note
    assert signature["image_url"] is None
    assert inspector.get(f"{INSPECTIONS}/{doc['id']}/revisions/1/signature.png").status_code == 404

    text = flat_text(pdf_of(inspector, doc["id"]))
    assert "当事人拒签" in text and note in text and "在场检查人员：张三、欧阳小明" in text


def bad_pngs() -> dict[str, tuple[str, str]]:
    """Signature data a phone must never get stored: (the image sent, the message's words)."""
    jpeg = io.BytesIO()
    Image.new("RGB", (300, 100), (10, 10, 10)).save(jpeg, "JPEG")
    png = signature_png()
    return {
        "not a data URL": ("我的签名", "PNG 格式"),
        "another type": (data_url(png, "data:image/jpeg;base64,"), "PNG 格式"),
        "not base64": ("data:image/png;base64,@@@###", "base64"),
        "empty": ("data:image/png;base64,", "为空"),
        "a JPEG called PNG": (data_url(jpeg.getvalue()), "不是有效的 PNG"),
        "truncated": (data_url(png[: len(png) // 2]), "损坏"),
        "blank canvas": (data_url(signature_png(strokes=False)), "空白"),
        "white all over": (data_url(signature_png(strokes=False, mode="L")), "空白"),
        "too wide": (data_url(signature_png(size=(4000, 200))), "尺寸过大"),
        "too small": (data_url(signature_png(size=(20, 10), strokes=False)), "尺寸过小"),
        "too many bytes": (data_url(b"\x89PNG\r\n\x1a\n" + bytes(210 * 1024)), "200 KB"),
    }


@pytest.mark.parametrize("case", list(bad_pngs()))
def test_bad_signature_data_is_refused_naming_the_field_and_nothing_is_written(
        inspector, canteen, new_inspection, case):
    image, words = bad_pngs()[case]
    doc = record_doc(canteen, new_inspection, operator_signature={"state": "signed", "image": image})
    answer = inspector.post(INSPECTIONS, json=doc)
    assert answer.status_code == 422, answer.get_json()
    messages = answer.get_json()["errors"]["operator_signature"]["image"]
    assert any(words in message for message in messages), messages
    assert count(Inspection) == 0 and count(RectificationOrder) == 0 and count(RecordSignature) == 0


@pytest.mark.parametrize("signature, field", [
    ({"state": "signed"}, "image"),
    ({"state": "signed", "image": data_url(signature_png()), "note": "多余的说明"}, "note"),
    ({"state": "refused", "note": "拒签", "image": data_url(signature_png())}, "image"),
    ({"state": "maybe"}, "state"),
])
def test_a_signature_that_does_not_fit_its_state_is_refused(inspector, canteen, new_inspection,
                                                            signature, field):
    answer = inspector.post(INSPECTIONS, json=record_doc(canteen, new_inspection,
                                                         operator_signature=signature))
    assert answer.status_code == 422
    assert field in answer.get_json()["errors"]["operator_signature"]
    assert count(Inspection) == 0


def test_a_correction_is_unsigned_unless_signed_again_and_the_signature_stays_with_its_revision(
        inspector, canteen, new_inspection):
    png = signature_png()
    doc = record_doc(canteen, new_inspection,
                     operator_signature={"state": "signed", "image": data_url(png)})
    assert inspector.post(INSPECTIONS, json=doc).status_code == 201
    correction = {key: value for key, value in doc.items() if key != "operator_signature"}
    correction.update(remarks="补记备注", reason="补记备注", base_revision=1)
    corrected = inspector.put(f"{INSPECTIONS}/{doc['id']}", json=correction)
    assert corrected.status_code == 200 and corrected.get_json()["operator_signature"] is None
    assert inspector.get(f"{INSPECTIONS}/{doc['id']}/revisions/1/signature.png").data == png
    assert inspector.get(f"{INSPECTIONS}/{doc['id']}/revisions/2/signature.png").status_code == 404
    text = flat_text(pdf_of(inspector, doc["id"]))
    assert "被检查单位已对第1版记录签名" in text and "未在手机上重新签名" in text
    history = inspector.get(f"{INSPECTIONS}/{doc['id']}/revisions").get_json()
    assert [r["operator_signature"] and r["operator_signature"]["state"] for r in history] == [
        "signed", None]

    again = signature_png(size=(500, 180))
    signed = inspector.put(f"{INSPECTIONS}/{doc['id']}", json={
        **correction, "base_revision": 2, "reason": "当事人对更正后的记录签名",
        "operator_signature": {"state": "signed", "image": data_url(again)}})
    assert signed.status_code == 200 and signed.get_json()["operator_signature"]["revision"] == 3
    assert inspector.get(f"{INSPECTIONS}/{doc['id']}/revisions/3/signature.png").data == again
    assert count(RecordSignature) == 2


def test_a_stored_signature_cannot_be_changed(inspector, canteen, new_inspection):
    doc = record_doc(canteen, new_inspection,
                     operator_signature={"state": "signed", "image": data_url(signature_png())})
    assert inspector.post(INSPECTIONS, json=doc).status_code == 201
    with pytest.raises(DBAPIError, match="immutable"):
        with db.session.begin_nested():
            db.session.execute(text("UPDATE record_signatures SET image = :image"),
                               {"image": signature_png(size=(300, 100))})
    db.session.rollback()


def test_the_public_page_says_whether_the_record_was_signed_and_shows_no_image(
        inspector, canteen, new_inspection, anonymous):
    doc = record_doc(canteen, new_inspection,
                     operator_signature={"state": "signed", "image": data_url(signature_png())})
    assert inspector.post(INSPECTIONS, json=doc).status_code == 201
    token = db.session.scalar(select(Inspection.verify_token).where(Inspection.uuid == doc["id"]))
    page = anonymous.get(f"/verify/{token}").get_data(as_text=True)
    assert "被检查单位已签名" in page
    assert "<img" not in page and "data:image" not in page
