"""The inspector's phone: fill in and submit an inspection on a 360×640 screen, with a photo."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.timeutil import today_cst


def _fits_and_shoot(phone, name):
    phone.assert_fits()
    phone.screenshot(name)


def test_inspector_fills_in_and_submits_an_inspection_with_a_photo(
        phone, make_user, make_unit, login_as, photo_file):
    unit = make_unit(name="锦江实验小学食堂")
    neighbour = make_unit(name="锦江第一中学食堂")
    make_unit(name="青羊实验小学食堂", jurisdiction="510105")  # another county: not offered
    inspector = make_user("inspector", "510104")
    page = phone.page

    page.goto("/")
    _fits_and_shoot(phone, "login")
    phone.log_in(inspector, "/m/")
    phone.wait_synced()
    page.fill("#unit-search", "食堂")
    page.wait_for_selector(f"[data-unit='{unit.id}']")
    assert page.locator("#units [data-unit]").count() == 2
    assert "青羊" not in page.inner_text("#units")
    assert page.locator("#units [data-unit]").first.get_attribute("data-unit") == str(neighbour.id)
    _fits_and_shoot(phone, "inspector-1-units")

    page.click(f"[data-unit='{unit.id}']")
    page.wait_for_url("**/info")
    page.fill("#inspector-1-name", "李四")
    page.fill("#inspector-1-badge", "51010400002")
    _fits_and_shoot(phone, "inspector-2-info")

    page.click(".steps [data-step=checklist]")
    page.click("text=未填项目全部设为“是”")
    item = page.locator("[data-item='3.1']")
    item.locator(".choice[data-value=no]").click()
    page.fill("[id='note-3.1']", "未制定食品安全事故处置方案")
    item.locator("input[type=file]").set_input_files(str(photo_file))
    item.locator(".thumb img").wait_for()
    assert "基本符合" in page.inner_text(".summary")  # one key item failed, all general passed
    _fits_and_shoot(phone, "inspector-3-checklist")

    page.click(".steps [data-step=observed]")
    page.click("[aria-label='HACCP/ISO 22000'] .choice[data-value=established]")
    page.click("[aria-label='明厨亮灶方式'] .choice[data-value=video]")
    _fits_and_shoot(phone, "inspector-4-observed")

    page.click(".steps [data-step=findings]")
    page.click("text=＋ 添加问题")
    page.select_option("#finding-0-category", "environment")
    page.fill("#finding-0-description", "后厨地面有积水")
    _fits_and_shoot(phone, "inspector-5-findings")

    page.click(".steps [data-step=handling]")
    page.click(".choice[data-value=rectify]")
    # The number is generated from the block this phone reserved, never typed.
    number = f"锦市监责改〔{today_cst().year}〕0001号"
    page.wait_for_function("(n) => document.getElementById('order-number').textContent === n", arg=number)
    page.fill("#order-deadline", (today_cst() + timedelta(days=7)).isoformat())
    _fits_and_shoot(phone, "inspector-6-handling")

    page.click(".steps [data-step=review]")
    assert page.inner_text("#result .chip") == "基本符合"
    assert "发现问题\n2 个" in page.inner_text("#result") or "2 个" in page.inner_text("#result")
    _fits_and_shoot(phone, "inspector-7-review")
    uuid = page.url.split("/draft/")[1].split("/")[0]

    page.click("#submit")
    page.wait_for_selector(f"[data-id='{uuid}'][data-status=sent]")
    assert "基本符合" in page.inner_text(f"[data-id='{uuid}']")
    _fits_and_shoot(phone, "inspector-8-outbox")
    page.click("text=返回首页")  # the unit just inspected now comes first in the search
    first = page.locator("#units [data-unit]").first
    assert first.get_attribute("data-unit") == str(unit.id) and "最近" in first.inner_text()

    db.session.remove()
    stored = db.session.scalar(select(Inspection).where(Inspection.uuid == uuid))
    assert stored.result.value == "basic"  # the server agrees with what the phone showed
    assert {(f.item_code, f.category.value) for f in stored.findings} == {
        ("3.1", "other"), (None, "environment")}
    assert stored.obs_haccp.value == "established" and stored.obs_mc_video
    api = login_as(user=inspector)
    detail = api.get(f"/api/v1/inspections/{uuid}").get_json()
    assert detail["rectification_order"]["number"] == number
    photos = api.get(f"/api/v1/inspections/{uuid}/photos").get_json()
    assert [p["target"] for p in photos] == ["item:3.1"]
    assert detail["photos"]["missing"] == []
    assert db.session.scalar(select(func.count()).select_from(Inspection)) == 1
