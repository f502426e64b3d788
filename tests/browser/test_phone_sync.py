"""An inspector reopens the app on a slow network: only what changed on the server is downloaded,
and what changed (a renamed unit, a new one) is what the phone then finds offline."""

from __future__ import annotations

from foodsafety.extensions import db
from foodsafety.registry.models import Unit


def _reopen_and_sync(phone) -> None:
    page = phone.page
    page.evaluate("() => { document.documentElement.dataset.sync = ''; }")
    page.reload()
    phone.wait_synced()


def _found(page, text: str) -> list[str]:
    page.goto("/m/#/")
    page.fill("#unit-search", text)
    page.wait_for_selector("#units li")
    return page.locator("#units [data-unit] strong").all_inner_texts()


def test_a_later_open_finds_what_changed_and_keeps_what_did_not(phone, make_user, make_unit):
    kept = make_unit(name="锦江区甲小学食堂")
    renamed = make_unit(name="锦江区乙小学食堂")
    inspector = make_user("inspector", "510104")
    phone.log_in(inspector, "/m/")
    phone.wait_synced()
    page = phone.page
    unit_pages = []
    page.on("response", lambda r: "/api/v1/units?" in r.url and unit_pages.append(r.status))

    # Nothing changed: the unit list is revalidated (304), and still all there offline.
    _reopen_and_sync(phone)
    assert unit_pages == [304]
    assert _found(page, "锦江区") == ["锦江区甲小学食堂", "锦江区乙小学食堂"]

    # The office renames one unit and registers another: the next open downloads and shows them.
    db.session.get(Unit, renamed.id).name = "锦江区乙小学第二食堂"
    db.session.commit()
    make_unit(name="锦江区丙小学食堂")
    unit_pages.clear()
    _reopen_and_sync(phone)
    assert unit_pages == [200]
    assert sorted(_found(page, "锦江区")) == ["锦江区丙小学食堂", "锦江区乙小学第二食堂", kept.name]
