"""Numbers in the API are written with ASCII digits: periods, codes, ids, money and time offsets
written any other way are refused at the field (422, in Chinese) instead of being read as
another number — or as a second spelling of the same one."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from foodsafety.extensions import db
from foodsafety.statistics.models import StatsSnapshot

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# "20" then other digits: what the old `20\d\d` pattern let through as a new period.
PERIODS = ["20" + "26".translate(ARABIC_INDIC), "20" + "26".translate(FULL_WIDTH),
           "20" + "26".translate(ARABIC_INDIC) + "-H1", "2026".translate(ARABIC_INDIC)]


@pytest.mark.parametrize("period", PERIODS)
def test_a_period_in_other_digits_is_no_period_and_starts_no_snapshot_series(login_as, period):
    admin = login_as("admin", "510104")
    built = admin.post(f"/api/v1/statistics/510104/{period}/snapshots", json={"kind": "draft"})
    assert built.status_code == 422 and "period" in built.get_json()["errors"], built.get_json()
    assert db.session.scalar(select(func.count()).select_from(StatsSnapshot)) == 0
    live = admin.get(f"/api/v1/statistics/510104/{period}")
    assert live.status_code == 422 and "period" in live.get_json()["errors"]
    for url in ("/api/v1/inspections", "/api/v1/cases", "/api/v1/statistics/snapshots"):
        listed = admin.get(f"{url}?period={period}")
        assert listed.status_code in (403, 422), (url, listed.get_json())


@pytest.mark.parametrize("code", ["510104".translate(ARABIC_INDIC), "510104".translate(FULL_WIDTH)])
def test_a_jurisdiction_code_in_other_digits_is_refused(login_as, code):
    admin = login_as("admin", "510104")
    r = admin.post("/api/v1/schools", json={"name": "某小学", "stage": "primary",
                                            "jurisdiction_code": code})
    assert r.status_code == 422 and "jurisdiction_code" in r.get_json()["errors"]
    for url in ("/api/v1/inspections", "/api/v1/units", "/api/v1/rectification-orders",
                "/api/v1/statistics/snapshots"):
        assert admin.get(f"{url}?jurisdiction={code}").status_code == 422, url


@pytest.fixture
def unit_id(make_unit):
    return make_unit("periphery", "510104").id


@pytest.mark.parametrize("amount", ["1_000", "1000".translate(FULL_WIDTH),
                                    "1000".translate(ARABIC_INDIC), "1e3"])
def test_money_written_other_than_in_ascii_digits_is_refused(login_as, unit_id, amount):
    inspector = login_as("inspector", "510104")
    r = inspector.post("/api/v1/cases", json={
        "case_no": "X-1", "unit_id": unit_id, "filed_on": "2026-03-01",
        "decided_on": "2026-03-02", "fine_yuan": amount})
    assert r.status_code == 422, r.get_json()
    assert list(r.get_json()["errors"]) == ["fine_yuan"]


@pytest.mark.parametrize("offset", ["+14:01", "+23:59", "-14:30", "-23:00"])
def test_a_time_offset_beyond_fourteen_hours_is_refused(login_as, make_unit, new_inspection,
                                                        offset):
    inspector = login_as("inspector", "510104")
    canteen = make_unit("canteen", "510104")
    r = inspector.post("/api/v1/inspections",
                       json=new_inspection(canteen, when=f"2026-03-02T09:00:00{offset}"))
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"started_at": ["时区偏移应在 -14:00 到 +14:00 之间。"]}
    for edge in ("+14:00", "-12:00"):  # the real zones' extremes are fine
        doc = new_inspection(canteen, when=f"2026-03-02T09:00:00{edge}")
        assert inspector.post("/api/v1/inspections", json=doc).status_code == 201
