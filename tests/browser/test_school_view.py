"""The school's view: its canteens' inspections with photos, its open orders and its report,
its supplier's latest result — and never another school's records."""

from __future__ import annotations

import io
import uuid as uuidlib
from datetime import date, timedelta

from PIL import Image

from foodsafety.timeutil import today_cst


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def _upload(api, photo_id, inspection_id, unit_id, target):
    answer = api.post("/api/v1/photos", content_type="multipart/form-data", data={
        "file": (io.BytesIO(_jpeg()), "photo.jpg"), "id": photo_id, "inspection_id": inspection_id,
        "unit_id": str(unit_id), "target": target})
    assert answer.status_code == 201, answer.get_json()


def test_school_sees_its_inspections_reports_rectification_and_never_another_school(
        phone, make_school, make_unit, make_link, make_user, login_as, new_inspection, photo_file):
    school = make_school(name="锦江实验小学")
    canteen = make_unit(school=school, name="锦江实验小学食堂")
    supplier = make_unit("supplier", name="蓉城学生餐配送有限公司", haccp="certified",
                         haccp_cert_expires_on=date(2027, 6, 30))
    make_link(supplier, school)
    other_school = make_school(name="青羊实验小学", jurisdiction="510105")
    other_canteen = make_unit(school=other_school, jurisdiction="510105", name="青羊实验小学食堂")

    inspector_user = make_user("inspector", "510104")
    inspector = login_as(user=inspector_user)
    deadline = today_cst() + timedelta(days=10)
    doc = new_inspection(canteen, answers={"3.1": "no"}, handling="rectify",
                         rectification_order={"number": "锦市监责改〔2026〕7号",
                                              "deadline": deadline.isoformat()})
    photo_id = str(uuidlib.uuid4())
    _upload(inspector, photo_id, doc["id"], canteen.id, "item:3.1")
    for answer in doc["answers"]:
        if answer["item"] == "3.1":
            answer.update(note="未制定食品安全事故处置方案", photo_ids=[photo_id])
    stored = inspector.post("/api/v1/inspections", json=doc).get_json()
    order_id = stored["rectification_order"]["id"]
    assert inspector.post("/api/v1/inspections", json=new_inspection(supplier, observed={
        "wuchang_6t": True, "haccp": "certified", "haccp_cert_expires_on": "2027-06-30",
        "mingchu": ["video"], "licence_displayed": True})).status_code == 201
    other = new_inspection(other_canteen)
    assert login_as("inspector", "510105").post("/api/v1/inspections", json=other).status_code == 201

    school_user = make_user("school", school=school)
    page = phone.page
    phone.log_in(school_user, "/school/")
    order = page.locator(f"[data-order='{order_id}']")
    order.wait_for()
    assert "锦市监责改〔2026〕7号" in order.inner_text()
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in order.locator(".deadline").inner_text()
    assert "待整改" in order.locator(".status").inner_text()
    card = page.locator(f"[data-supplier='{supplier.id}']")
    assert "符合" in card.inner_text() and "已通过认证" in card.inner_text()
    assert page.locator("#inspections [data-inspection]").count() == 1  # its own canteen only
    assert "青羊" not in page.inner_text("main")
    phone.assert_fits()
    phone.screenshot("school-1-home")

    page.click(f"[data-inspection='{doc['id']}']")
    finding = page.locator("[data-finding='3.1']")
    finding.wait_for()
    assert "未制定食品安全事故处置方案" in finding.inner_text()
    thumb = finding.locator("img")
    thumb.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    observed = page.inner_text("main")  # what was seen on site, in the server's words
    assert "HACCP/ISO 22000\n未建立" in observed and "明厨亮灶\n透明式" in observed
    phone.assert_fits()
    phone.screenshot("school-2-inspection")

    page.click("text=‹ 返回")
    page.fill(f"#report-{order_id}", "已制定食品安全事故处置方案，并组织全体从业人员培训。")
    order.locator("input[type=file]").set_input_files(str(photo_file))
    order.locator("button[type=submit]").click()
    page.wait_for_function(
        "(id) => document.querySelector(`[data-order='${id}'] .status`)?.textContent.includes('已报告整改')",
        arg=order_id)
    phone.assert_fits()
    phone.screenshot("school-3-reported")

    # The inspector sees the report (text and photo) for the re-inspection.
    seen = inspector.get(f"/api/v1/rectification-orders/{order_id}").get_json()
    assert seen["status"] == "reported"
    assert seen["reports"][0]["text"] == "已制定食品安全事故处置方案，并组织全体从业人员培训。"
    (report_photo,) = seen["reports"][0]["photo_ids"]
    assert inspector.get(f"/api/v1/photos/{report_photo}/thumbnail").status_code == 200

    # Another school's inspection: 404, shown as absent.
    with page.expect_response(lambda r: r.url.endswith(f"/api/v1/inspections/{other['id']}")) as answer:
        page.goto(f"/school/#/inspection/{other['id']}")
    assert answer.value.status == 404
    page.locator("#not-found").wait_for()
    phone.screenshot("school-4-other-school-404")

    # At the re-inspection the inspector's phone shows the school's report.
    page.click("[data-action=logout]")
    page.wait_for_url("**/")
    phone.log_in(inspector_user, "/m/")
    phone.wait_synced()
    page.fill("#unit-search", "锦江实验小学")
    page.click(f"[data-unit='{canteen.id}']")
    report = page.locator(".report")
    report.wait_for()
    assert "组织全体从业人员培训" in report.inner_text()
    report.locator("img").wait_for()
    phone.assert_fits()
    phone.screenshot("inspector-12-recheck-sees-report")
    page.click(".steps [data-step=checklist]")  # what failed last time is marked for checking
    page.locator("[data-item='3.1'] .last-failed").wait_for()
    assert page.locator(".last-failed").count() == 1
