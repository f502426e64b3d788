"""The phone words its choices with the server's vocabulary (foodsafety/vocabulary.py), kept with
the checklists for offline use: a label changed on the server shows on the phone, offline too."""

from __future__ import annotations

from foodsafety.vocabulary import Answer, Handling, Result

FORGET_VOCABULARY = """async () => {
  const db = await new Promise((ok, fail) => {
    const r = indexedDB.open('foodsafety-inspector');
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
  await new Promise((ok) => {
    db.transaction('meta', 'readwrite').objectStore('meta').delete('vocabulary').onsuccess = ok;
  });
  db.close();
}"""


def _labels(page, selector):
    page.locator(selector).first.wait_for()  # the step renders after the hash changes
    return [text.strip() for text in page.locator(selector).all_inner_texts()]


def test_the_phone_shows_the_servers_labels_online_and_offline(phone, make_user, make_unit, monkeypatch):
    monkeypatch.setattr(Answer.NA, "label", "不涉及")
    monkeypatch.setattr(Result.BASIC, "label", "基本合格")
    monkeypatch.setattr(Handling.RECTIFY, "label", "限期整改")
    unit = make_unit(name="锦江实验小学食堂")
    inspector = make_user("inspector", "510104")
    page, context = phone.page, phone.context

    phone.log_in(inspector, "/m/")
    phone.wait_synced()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.fill("#unit-search", "锦江实验")
    page.click(f"[data-unit='{unit.id}']")
    page.wait_for_url("**/info")
    page.click(".steps [data-step=checklist]")
    assert _labels(page, "[data-item='3.1'] .choice") == ["是", "否", "不涉及"]
    page.click("text=未填项目全部设为“是”")
    page.locator("[data-item='3.1'] .choice[data-value=no]").click()
    assert page.inner_text(".summary .chip") == "基本合格"  # one key item failed
    phone.assert_fits()
    phone.screenshot("inspector-labels-from-server")

    context.set_offline(True)  # the labels were kept with the checklists
    page.reload()
    page.wait_for_selector("#net.offline")
    page.wait_for_selector("[data-item='3.1'][data-answer=no]")
    assert _labels(page, "[data-item='1.1'] .choice") == ["是", "否", "不涉及"]
    assert page.inner_text(".summary .chip") == "基本合格"
    page.click(".steps [data-step=handling]")
    assert "限期整改" in _labels(page, "[aria-label='处理结果'] .choice")
    page.click(".steps [data-step=review]")
    assert page.inner_text("#result .chip") == "基本合格"
    phone.screenshot("inspector-labels-offline")

    # A phone whose cache predates the vocabulary: no labels offline yet, said plainly, and
    # fetched with the checklists as soon as the network returns.
    page.evaluate(FORGET_VOCABULARY)
    page.reload()
    page.wait_for_selector("#not-downloaded")
    phone.assert_fits()
    phone.screenshot("inspector-labels-not-downloaded")
    context.set_offline(False)
    page.wait_for_selector("#result .chip")
    assert page.inner_text("#result .chip") == "基本合格"
