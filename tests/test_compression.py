"""Text answers travel gzipped to the phone on a slow network; downloads and images do not."""

from __future__ import annotations

import gzip

from foodsafety import compression
from foodsafety.extensions import db
from tests.factories import full_login

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_the_unit_list_is_gzipped_for_a_client_that_accepts_it(login_as, make_unit):
    for n in range(30):
        make_unit(kind="supplier", name=f"锦江区第{n}号食品经营部")
    api = login_as("inspector", "510104")
    plain = api.get("/api/v1/units?per_page=50")
    packed = api.get("/api/v1/units?per_page=50", headers=GZIP)
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert len(packed.get_data()) * 4 < len(plain.get_data())


def test_static_scripts_and_the_shell_are_gzipped_and_still_revalidate(client):
    plain = client.get("/static/web/api.js")
    packed = client.get("/static/web/api.js", headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    again = client.get("/static/web/api.js", headers={**GZIP, "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/m/sw.js", headers=GZIP).headers["Content-Encoding"] == "gzip"


def test_small_answers_and_images_are_sent_as_they_are(client):
    assert "Content-Encoding" not in client.get("/healthz", headers=GZIP).headers
    assert "Content-Encoding" not in client.get("/favicon.ico", headers=GZIP).headers


def test_a_page_of_units_already_held_is_answered_304_until_a_unit_on_it_changes(
        login_as, make_unit):
    unit = make_unit(kind="supplier", name="锦江区春熙路食品经营部")
    api = login_as("inspector", "510104")
    first = api.get("/api/v1/units?per_page=200", headers=GZIP)
    etag = first.headers["ETag"]
    assert api.get("/api/v1/units?per_page=200", headers={**GZIP, "If-None-Match": etag}).status_code == 304
    again = api.get("/api/v1/units?per_page=200", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""

    unit.address = "春熙路 1 号"
    db.session.commit()
    changed = api.get("/api/v1/units?per_page=200", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.get_json()["items"][0]["address"] == "春熙路 1 号"
    assert changed.headers["Cache-Control"] == "no-store"


def test_answers_carrying_a_secret_are_never_compressed(client, make_user, monkeypatch):
    """BREACH: the login answer holds the CSRF token next to what the client sent."""
    monkeypatch.setattr(compression, "MIN_BYTES", 0)  # however small: otherwise it would be
    user = make_user("inspector", "510104")
    answer, _ = full_login(client, user.username)
    assert answer.status_code == 200 and "csrf_token" in answer.get_json()
    assert "Content-Encoding" not in answer.headers
    me = client.get("/api/v1/auth/me", headers={"Accept-Encoding": "gzip"})
    assert me.status_code == 200 and "Content-Encoding" not in me.headers
    forms = client.get("/api/v1/forms", headers={"Accept-Encoding": "gzip"})
    assert forms.headers["Content-Encoding"] == "gzip"  # the rest still is
