"""Refused submissions: the server's reasons are shown where the inspector can act on them."""

from __future__ import annotations

from datetime import timedelta

from foodsafety.timeutil import today_cst
from tests.browser.test_offline import OUTBOX


def _start(phone, inspector, unit):
    page = phone.page
    phone.log_in(inspector, "/m/")
    phone.wait_synced()
    page.fill("#unit-search", unit.name)
    page.click(f"[data-unit='{unit.id}']")
    page.wait_for_url("**/info")
    page.fill("#inspector-1-name", "李四")
    page.click(".steps [data-step=checklist]")
    page.click("text=未填项目全部设为“是”")
    return page.url.split("/draft/")[1].split("/")[0]


def test_a_bad_deadline_is_caught_on_the_phone_and_a_422_is_shown_next_to_its_field(
        phone, make_user, make_unit, login_as, new_inspection):
    unit = make_unit(name="锦江区第三小学食堂")
    inspector = make_user("inspector", "510104")
    page = phone.page
    _start(phone, inspector, unit)
    year = today_cst().year
    # Someone typed this phone's next number into another record through the API meanwhile.
    taken = f"锦市监责改〔{year}〕0001号"
    other = new_inspection(make_unit(name="锦江区另一食堂"), answers={"8.4": "no"}, handling="rectify",
                           rectification_order={"number": taken, "deadline": today_cst().isoformat()})
    assert login_as(user=inspector).post("/api/v1/inspections", json=other).status_code == 201

    page.locator("[data-item='8.4'] .choice[data-value=no]").click()
    page.click(".steps [data-step=handling]")
    page.click(".choice[data-value=rectify]")
    page.wait_for_function("(n) => document.getElementById('order-number').textContent === n", arg=taken)
    # The default deadline is proposed; a day in the past is refused on the phone, before the outbox.
    assert page.input_value("#order-deadline") == (today_cst() + timedelta(days=15)).isoformat()
    page.fill("#order-deadline", (today_cst() - timedelta(days=3)).isoformat())
    assert "整改期限不能早于" in page.inner_text("#deadline-problem")
    page.click(".steps [data-step=review]")
    assert page.locator("#submit").is_disabled()
    assert "整改期限不能早于" in page.inner_text(".card.bad")
    page.click(".steps [data-step=handling]")
    page.fill("#order-deadline", (today_cst() + timedelta(days=3)).isoformat())
    assert page.inner_text("#deadline-problem") == ""
    page.click(".steps [data-step=review]")
    page.click("#submit")

    # Back on the review with the server's reason in Chinese, naming the field, with a link to it.
    page.wait_for_selector("#server-errors")
    assert "通知书编号：该责令改正通知书编号已被使用。" in page.inner_text("#server-errors")
    assert "rectification_order" not in page.inner_text("#server-errors")
    phone.assert_fits()
    phone.screenshot("inspector-10-rejected-422")
    assert page.locator(".steps [data-step=handling] .dot").count() == 1
    page.click(".steps [data-step=handling]")
    error = page.locator("[data-errors-for='rectification_order.number'] .error")
    assert error.inner_text() == "该责令改正通知书编号已被使用。"
    assert error.is_visible()

    # The next number of the phone's block goes through.
    page.click("#next-number")
    page.wait_for_function("(n) => document.getElementById('order-number').textContent === n",
                           arg=f"锦市监责改〔{year}〕0002号")
    assert error.count() == 0
    page.click(".steps [data-step=review]")
    page.click("#submit")
    page.wait_for_selector(".outbox-entry[data-status=sent]")


def test_a_409_stays_in_the_outbox_with_its_reason_and_is_not_retried(
        phone, make_user, make_unit, login_as, new_inspection):
    unit = make_unit(name="锦江区第四小学食堂")
    inspector = make_user("inspector", "510104")
    page = phone.page
    uuid = _start(phone, inspector, unit)
    # Meanwhile another document was stored under the same inspection id.
    other = new_inspection(unit, id=uuid, remarks="另一份记录")
    assert login_as(user=inspector).post("/api/v1/inspections", json=other).status_code == 201

    page.click(".steps [data-step=handling]")
    page.click(".choice[data-value=pass]")
    page.click(".steps [data-step=review]")
    page.click("#submit")
    entry = page.locator(f".outbox-entry[data-id='{uuid}'][data-status=rejected]")
    entry.wait_for()
    assert "已提交过不同的内容" in entry.locator(".reason").inner_text()
    phone.assert_fits()
    phone.screenshot("inspector-11-rejected-409")

    page.evaluate("() => window.dispatchEvent(new Event('online'))")  # what would trigger a resend
    page.reload()
    entry.wait_for()
    assert [(e["status"], e["attempts"]) for e in page.evaluate(OUTBOX)] == [("rejected", 1)]

    # The inspector can send the same answers again as a new inspection (a new id).
    entry.locator("text=作为新检查重新提交").click()
    page.wait_for_url("**/review")
    assert uuid not in page.url
    page.click("#submit")
    page.wait_for_selector(".outbox-entry[data-status=sent]")
    answers = login_as(user=inspector).get(f"/api/v1/inspections?unit_id={unit.id}").get_json()
    assert answers["total"] == 2


def test_a_servers_answer_path_is_shown_on_the_item_it_names(phone):
    """`answers.3.item` names the 4th answer sent, whichever item that was."""
    phone.page.goto("/m/")
    mapped = phone.page.evaluate("""async () => {
      const {draftErrors} = await import('/m/static/draft.js');
      const doc = {answers: [{item: '1.1'}, {item: '2.1'}, {item: '3.1'}, {item: '3.2'}]};
      return draftErrors({'answers.3.item': ['检查项目 3.2 重复填写。'], 'answers': ['未填写：4.1'],
                          'extra_findings.0.category': ['类别不适用。'],
                          'rectification_order.deadline': ['整改期限不能早于检查日期。']}, doc);
    }""")
    assert mapped == {"answers.3.2": ["检查项目 3.2 重复填写。"], "answers": ["未填写：4.1"],
                      "extra_findings.0": ["类别不适用。"],
                      "rectification_order.deadline": ["整改期限不能早于检查日期。"]}
