"""The bureau's statistics page: a shell over the statistics API, the trend chart, and who may
see them. (What the page shows in a browser: tests/browser/test_statistics_page.py.)"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from foodsafety.periods import half_year_of
from foodsafety.statistics.chart import panels
from foodsafety.statistics.definition import TABLE
from foodsafety.timeutil import today_cst
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


def test_the_page_is_a_shell_whose_module_reads_the_api(browser, canteen):
    r = browser("bureau", "510100").get("/stats/?jurisdiction=510100&period=2026-H1")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-cache, private"
    html = r.get_data(as_text=True)
    assert re.search(r'<script type="module" src="/stats/static/stats.js">', html)
    assert "data-code" not in html and TABLE.rows[0].label not in html  # no figures, no rows


def test_the_api_gives_the_page_the_official_table_in_its_merged_layout(browser, canteen):
    table = browser("bureau", "510100").get("/api/v1/statistics/510100/2026-H1").get_json()
    assert (table["jurisdiction"]["name"], table["period"]["label"]) == ("成都市", "2026年上半年")
    rows = {row["code"]: row for row in table["rows"]}
    assert [row["label"] for row in table["rows"]] == [row.label for row in TABLE.rows]
    assert (rows["A1"]["value"], rows["C3"]["value"]) == (1, 1)
    spans = [(row["code"], row["section_span"], row["group_span"]) for row in table["rows"]
             if row["section_span"] or row["group_span"]]
    assert spans == [("A1", 11, 6), ("B1", 0, 5), ("C1", 11, 5), ("C6", 0, 6), ("D1", 8, 0)]
    assert (rows["A3"]["group"], rows["B3"]["group"]) == ("学校食堂", "学生集体用餐配送单位")
    assert [code for code, row in rows.items() if row["part_of"]] == ["A5", "A6"]
    assert any("A5 + A6 可以大于 A4" in note for note in table["notes"])


def test_the_page_offers_the_users_subtree_and_the_periods_begun(browser):
    options = browser("bureau", "510100").get("/api/v1/statistics/options").get_json()
    codes = [j["code"] for j in options["jurisdictions"]]
    assert codes[0] == "510100" and "510104" in codes and "510302" not in codes  # its subtree only
    assert {j["code"]: j["depth"] for j in options["jurisdictions"]}["510104"] == 1
    keys = [p["key"] for p in options["periods"]]
    assert options["default_period"] == keys[0] and keys[-1] == "2020-H1"
    assert keys.index("2025") < keys.index("2025-H1") < keys.index("2024")  # newest first
    assert options["can_build_snapshots"] is False  # bureaus read; inspectors and admins build
    inspector = browser("inspector", "510104").get("/api/v1/statistics/options").get_json()
    assert inspector["can_build_snapshots"] is True


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


def test_counts_and_money_never_share_an_axis_of_the_trend(browser, canteen):
    assert all(len({row.is_money for row in rows}) == 1 for _, rows in panels())
    svg = browser("bureau", "510100").get("/stats/chart.svg?jurisdiction=510104").get_data(as_text=True)
    money = [title for title, rows in panels() if rows[0].is_money]
    assert money and all(title in svg for title in money)


def test_the_running_half_year_is_marked_as_running_not_drawn_as_a_drop(browser, canteen):
    running = half_year_of(today_cst())
    year = running.start.year
    svg = browser("bureau", "510100").get(
        f"/stats/chart.svg?jurisdiction=510104&period={year}").get_data(as_text=True)
    assert f"{running.short_label}（进行中）" in svg and 'stroke-dasharray="5 4"' in svg
    ended = browser("bureau", "510100").get(
        f"/stats/chart.svg?jurisdiction=510104&period={year - 1}").get_data(as_text=True)
    assert "进行中" not in ended and "stroke-dasharray" not in ended


def test_the_briefing_chart_compares_the_child_jurisdictions(browser, canteen, login_as, new_inspection):
    day = today_cst() - timedelta(days=20)
    answer = login_as("inspector", "510104").post("/api/v1/inspections", json=new_inspection(
        canteen, answers={"6.1": "no"}, when=f"{day.isoformat()}T09:00:00+08:00", handling="rectify",
        rectification_order={"deadline": (day + timedelta(days=15)).isoformat()}))
    assert answer.status_code == 201, answer.get_json()
    svg = browser("bureau", "510100").get("/stats/children.svg?jurisdiction=510100").get_data(as_text=True)
    assert svg.startswith("<svg") and "锦江区" in svg and "青羊区" in svg and "自流井区" not in svg
    assert "锦江区 实施“明厨亮灶”：1/1 家（100.0%）" in svg  # the fixture's canteen shows 明厨亮灶
    assert "锦江区 逾期 1 份" in svg and "青羊区 逾期 0 份" in svg
    assert "持证学校食堂中的占比（%）" in svg and "逾期未整改的责令改正通知书（份）" in svg
    assert browser("bureau", "510300").get("/stats/children.svg?jurisdiction=510100").status_code == 404


@pytest.mark.parametrize("url", ["/stats/chart.svg?jurisdiction=510104",
                                 "/api/v1/statistics/510104/2026-H1"])
def test_another_citys_figures_are_not_found(browser, url):
    assert browser("bureau", "510300").get(url).status_code == 404


def test_schools_are_refused_and_visitors_sent_to_log_in(browser, make_school, client):
    school = make_school(jurisdiction="510104")
    assert browser("school", school=school).get("/stats/").status_code == 403
    r = client.get("/stats/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/")
