"""The bureau's statistics page: the table, the trend chart, and who may see them."""

from __future__ import annotations

import re

import pytest

from foodsafety.statistics.definition import TABLE
from tests.factories import PASSWORD


@pytest.fixture
def browser(app, make_user):
    """A browser session (the fs_session cookie) for a user of `role` in `jurisdiction`."""
    def open_as(role: str, jurisdiction: str = "510100", school=None):
        user = make_user(role, jurisdiction, school)
        client = app.test_client()
        r = client.post("/api/v1/auth/login", json={"username": user.username,
                                                     "password": PASSWORD})
        assert r.status_code == 200, r.get_json()
        return client

    return open_as


@pytest.fixture
def canteen(make_unit, login_as, new_inspection):
    unit = make_unit("canteen", "510104")
    r = login_as("inspector", "510104").post("/api/v1/inspections", json=new_inspection(
        unit, when="2026-03-02T09:00:00+08:00", answers={"9.1": "no"}))
    assert r.status_code == 201
    return unit


def test_a_bureau_sees_the_official_table_of_its_city(browser, canteen):
    r = browser("bureau", "510100").get("/stats/?jurisdiction=510100&period=2026-H1")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "成都市 2026年上半年" + TABLE.title in html
    for row in TABLE.rows:
        assert row.label in html
    a1 = re.search(r'data-code="A1">.*?<td class="num">(\d+)</td>', html, re.S)
    c3 = re.search(r'data-code="C3">.*?<td class="num">(\d+)</td>', html, re.S)
    assert (a1.group(1), c3.group(1)) == ("1", "1")
    assert 'value="510104"' in html and 'value="510302"' not in html  # its subtree only
    assert "生成定稿" not in html  # bureaus read; inspectors and admins build


def test_the_page_keeps_to_the_content_security_policy(browser, canteen):
    html = browser("bureau", "510100").get("/stats/").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)  # no inline script
    assert " style=" not in html and "<style" not in html and " on" + "click=" not in html
    assert "http://" not in html and "https://" not in html  # nothing from a CDN


def test_the_trend_chart_is_an_svg_of_the_three_sections(browser, canteen):
    r = browser("bureau", "510100").get("/stats/chart.svg?jurisdiction=510104&period=2026-H1")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    svg = r.get_data(as_text=True)
    assert svg.startswith("<svg") and " style=" not in svg
    for section in TABLE.sections:
        assert section.label in svg
    assert "2026上半年" in svg and "2025下半年" in svg


@pytest.mark.parametrize("url", ["/stats/", "/stats/chart.svg"])
def test_another_citys_figures_are_not_found(browser, url):
    assert browser("bureau", "510300").get(f"{url}?jurisdiction=510104").status_code == 404


def test_schools_are_refused_and_visitors_sent_to_log_in(browser, make_school, client):
    school = make_school(jurisdiction="510104")
    assert browser("school", school=school).get("/stats/").status_code == 403
    r = client.get("/stats/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/")


def test_an_inspector_may_build_snapshots_from_the_page(browser):
    html = browser("inspector", "510104").get("/stats/").get_data(as_text=True)
    assert 'data-build="final"' in html
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert token and token.group(1)
