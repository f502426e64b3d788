"""The phone opens the checklist that fits the business: a corner shop with a food-sales licence
(JY1…) gets the food-sales list, a catering supplier the distribution items, and a stall found on
site the unlicensed operator's short list — all from the offline catalogue."""

from __future__ import annotations


def _open_checklist(page, unit):
    page.goto("/m/#/")
    page.fill("#unit-search", unit.name)
    page.click(f"[data-unit='{unit.id}']")
    page.wait_for_url("**/info")
    page.click(".steps [data-step=checklist]")
    page.wait_for_selector("[data-item]")
    return page.inner_text("body")


def test_each_kind_of_business_gets_its_own_checklist_on_the_phone(phone, make_user, make_unit):
    shop = make_unit("periphery", "510104", business="1", name="校门口便利店")
    supplier = make_unit("supplier", "510104", name="锦江配餐公司")
    inspector = make_user("inspector", "510104")
    page = phone.page
    phone.log_in(inspector, "/m/")
    phone.wait_synced()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    phone.context.set_offline(True)  # chosen from what the phone keeps

    text = _open_checklist(page, shop)
    assert "散装食品" in text and "进货查验" in text and "保质期" in text
    assert "专间" not in text and "留样" not in text
    phone.assert_fits()
    phone.screenshot("checklist-sales")

    text = _open_checklist(page, supplier)
    assert "烧熟至食用" in text and "配送车辆" in text and "食用时限" in text
    phone.screenshot("checklist-supplier")

    page.goto("/m/#/register")
    page.fill("#unit-name", "校门口流动烧烤摊")
    page.fill("#unit-address", "东大街校门口")
    page.click("#register-start")
    page.wait_for_url("**/info")
    page.click(".steps [data-step=checklist]")
    page.wait_for_selector("[data-item]")
    text = page.inner_text("body")
    assert "原料来源" in text and "经营者身份" in text
    assert "专间" not in text and "合法有效" not in text
    phone.screenshot("checklist-unlicensed")
