"""Offline: the app opens with no network, keeps drafts through reloads, and its outbox sends
each inspection exactly once when the network returns."""

from __future__ import annotations

from sqlalchemy import func, select

from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from forms import forms

OUTBOX = """async () => {
  const db = await new Promise((ok, fail) => {
    const r = indexedDB.open('foodsafety-inspector');
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
  const rows = await new Promise((ok) => {
    const r = db.transaction('outbox').objectStore('outbox').getAll();
    r.onsuccess = () => ok(r.result);
  });
  db.close();
  return rows.map((e) => ({id: e.id, status: e.status, attempts: e.attempts, message: e.message}));
}"""

MARK_PENDING = """async (id) => {
  const db = await new Promise((ok) => {
    const r = indexedDB.open('foodsafety-inspector');
    r.onsuccess = () => ok(r.result);
  });
  await new Promise((ok) => {
    const store = db.transaction('outbox', 'readwrite').objectStore('outbox');
    store.get(id).onsuccess = (event) => {
      const entry = event.target.result;
      entry.status = 'pending';
      entry.next_at = 0;
      store.put(entry).onsuccess = ok;
    };
  });
  db.close();
}"""


def _stored(unit_id: int) -> int:
    db.session.remove()
    return db.session.scalar(
        select(func.count()).select_from(Inspection).where(Inspection.unit_id == unit_id))


def test_an_inspection_made_offline_is_stored_exactly_once_with_its_photo(
        phone, make_user, make_unit, login_as, photo_file):
    unit = make_unit(name="锦江区第二小学食堂")
    inspector = make_user("inspector", "510104")
    page, context = phone.page, phone.context

    phone.log_in(inspector, "/m/")
    phone.wait_synced()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    page.reload()  # the app itself comes from the service worker's cache
    page.wait_for_selector("#net.offline")
    assert page.evaluate("() => navigator.onLine") is False
    page.fill("#unit-search", "第二小学")  # the unit list comes from IndexedDB
    page.click(f"[data-unit='{unit.id}']")
    page.wait_for_url("**/info")
    uuid = page.url.split("/draft/")[1].split("/")[0]
    page.fill("#inspector-1-name", "王五")
    page.click(".steps [data-step=checklist]")
    page.click("text=未填项目全部设为“是”")
    page.locator("[data-item='5.1'] .choice[data-value=no]").click()
    page.locator("[data-item='5.1'] input[type=file]").set_input_files(str(photo_file))
    page.locator("[data-item='5.1'] .thumb img").wait_for()

    page.reload()  # a draft survives a reload (and a closed browser): it lives in IndexedDB
    page.wait_for_selector("[data-item='5.1'][data-answer=no] .thumb img")
    checklist = forms.for_unit("canteen", unit.licence_no)  # the school canteen's, in force
    assert page.locator(".item[data-answer=yes]").count() == len(checklist.items) - 1
    page.click(".steps [data-step=handling]")
    page.click(".choice[data-value=pass]")  # not with a problem found: the phone says why at once
    assert "不能为“通过”" in page.inner_text("#handling-problem")
    page.click(".choice[data-value=on_site]")  # corrected on the spot
    assert page.inner_text("#handling-problem") == ""
    page.click(".steps [data-step=review]")
    page.click("#submit")

    page.wait_for_selector(f"[data-id='{uuid}'][data-status=pending]")
    assert "网络不可用" in page.inner_text(f"[data-id='{uuid}'] .reason")
    phone.assert_fits()
    phone.screenshot("inspector-9-outbox-offline")
    page.reload()  # still waiting after a reload
    page.wait_for_selector(f"[data-id='{uuid}'][data-status=pending]")
    assert _stored(unit.id) == 0

    context.set_offline(False)  # the network returns: the outbox sends by itself
    page.wait_for_selector(f"[data-id='{uuid}'][data-status=sent]")
    assert _stored(unit.id) == 1
    api = login_as(user=inspector)
    assert api.get(f"/api/v1/inspections/{uuid}").get_json()["result"] == "basic"
    photos = api.get(f"/api/v1/inspections/{uuid}/photos").get_json()
    assert [p["target"] for p in photos] == ["item:5.1"]

    # A retry of an inspection already stored (say its answer was lost) changes nothing.
    page.evaluate(MARK_PENDING, uuid)
    page.reload()
    page.wait_for_selector(f"[data-id='{uuid}'][data-status=sent]")
    assert [e["attempts"] for e in page.evaluate(OUTBOX)] == [3]
    assert _stored(unit.id) == 1
    assert len(api.get(f"/api/v1/inspections/{uuid}/photos").get_json()) == 1
