"""A table is computed once and then served again, until a committed write changes what it reads.

`computed` counts the computations (the grouped queries of `compute._aggregate`): a table served
again from the cache adds none. Every test also checks that what is served is never older than
the last acknowledged write.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import delete

from foodsafety.extensions import db
from foodsafety.periods import parse_period
from foodsafety.registry.models import Unit, UnitKind
from foodsafety.statistics import compute, versions
from foodsafety.statistics.models import StatsDataVersion
from foodsafety.timeutil import CST, today_cst
from tests.factories import licence_for

PAST = "2026-H1"  # over by the time these tests run (cutoff 2026-06-30)
LIVE = "/api/v1/statistics/{code}/{period}"


def current_half() -> str:
    today = today_cst()
    return f"{today.year}-H{1 if today.month <= 6 else 2}"


def figures(client, code: str = "510104", period: str = PAST) -> dict:
    r = client.get(LIVE.format(code=code, period=period))
    assert r.status_code == 200, r.get_json()
    return {row["code"]: row["exact"] for row in r.get_json()["rows"]}


@pytest.fixture
def computed(monkeypatch):
    calls = []
    original = compute._aggregate

    def counting(scope, codes, period, cutoff):
        calls.append((scope.root, period.key, cutoff))
        return original(scope, codes, period, cutoff)

    monkeypatch.setattr(compute, "_aggregate", counting)
    return calls


@pytest.fixture
def county(login_as, make_unit, new_inspection):
    """锦江区: a canteen inspected in March 2026; its inspector and a city bureau."""
    canteen = make_unit("canteen", "510104")
    inspector = login_as("inspector", "510104")
    r = inspector.post("/api/v1/inspections", json=new_inspection(
        canteen, when="2026-03-02T09:00:00+08:00", answers={"6.1": "no"}))
    assert r.status_code == 201, r.get_json()
    return canteen, inspector, login_as("bureau", "510100")


def test_a_table_is_served_again_without_computing_until_an_inspection_changes_it(
        county, computed, new_inspection):
    canteen, inspector, bureau = county
    first = figures(bureau)
    assert figures(bureau) == first and len(computed) == 1
    r = inspector.post("/api/v1/inspections", json=new_inspection(
        canteen, when="2026-04-02T09:00:00+08:00", answers={"7.4": "no"}))
    assert r.status_code == 201
    after = figures(bureau)
    assert (first["D1"], after["D1"]) == (1, 2) and len(computed) == 2
    assert figures(bureau) == after and len(computed) == 2


def test_todays_inspection_leaves_a_past_periods_table_cached_and_shows_in_the_current_one(
        county, computed, new_inspection):
    canteen, inspector, bureau = county
    past, current = figures(bureau), figures(bureau, period=current_half())
    assert len(computed) == 2
    now = datetime.now(CST) - timedelta(minutes=5)
    r = inspector.post("/api/v1/inspections", json=new_inspection(canteen, when=now.isoformat()))
    assert r.status_code == 201, r.get_json()
    assert figures(bureau) == past and len(computed) == 2
    assert figures(bureau, period=current_half())["D1"] == current["D1"] + 1
    assert len(computed) == 3


def test_a_deleted_inspection_and_a_new_case_show_at_once(county, computed, new_inspection):
    canteen, inspector, bureau = county
    doc = new_inspection(canteen, when="2026-05-06T09:00:00+08:00")
    assert inspector.post("/api/v1/inspections", json=doc).status_code == 201
    assert figures(bureau)["D1"] == 2 and figures(bureau)["D1"] == 2 and len(computed) == 1
    r = inspector.delete(f"/api/v1/inspections/{doc['id']}", json={"reason": "重复录入"})
    assert r.status_code == 204
    assert figures(bureau)["D1"] == 1 and len(computed) == 2
    r = inspector.post("/api/v1/cases", json={"case_no": "锦-1", "unit_id": canteen.id,
                                              "filed_on": "2026-03-03"})
    assert r.status_code == 201, r.get_json()
    assert figures(bureau)["D3"] == 1 and len(computed) == 3


def test_a_registry_change_moves_every_periods_table(county, computed, make_unit):
    _, _, bureau = county
    past, current = figures(bureau), figures(bureau, period=current_half())
    make_unit("canteen", "510104")
    assert figures(bureau)["A1"] == past["A1"] + 1
    assert figures(bureau, period=current_half())["A1"] == current["A1"] + 1
    assert len(computed) == 4


def test_the_breakdown_and_the_trend_chart_are_computed_once(county, computed):
    _, _, bureau = county
    breakdown = LIVE.format(code="510100", period=PAST) + "/breakdown"
    assert bureau.get(breakdown).get_json() == bureau.get(breakdown).get_json()
    assert len(computed) == 1
    chart = f"/stats/chart.svg?jurisdiction=510100&period={PAST}"
    first = bureau.get(chart)
    assert first.status_code == 200
    drawn = len(computed)
    assert bureau.get(chart).data == first.data and len(computed) == drawn


def test_a_transactions_own_uncommitted_writes_are_not_hidden_by_the_cache(county, computed):
    period = parse_period(PAST)
    assert compute.compute_table("510104", period, period.end).values["B1"] == 0
    db.session.add(Unit(kind=UnitKind.SUPPLIER, name="未提交的配送单位", jurisdiction_code="510104",
                        licence_no=licence_for("supplier", "510104", 99999),
                        licence_issued_on=date(2024, 1, 1), licence_expires_on=date(2029, 12, 31)))
    db.session.flush()
    assert compute.compute_table("510104", period, period.end).values["B1"] == 1
    db.session.rollback()
    assert compute.compute_table("510104", period, period.end).values["B1"] == 0
    assert len(computed) == 2  # the rolled-back write moved nothing: the first table is served


def test_a_stamp_never_repeats_once_the_counters_are_emptied(app):
    period = parse_period(PAST)
    versions.bump(db.session, {versions.REGISTRY})
    db.session.commit()
    first = versions.stamp(db.session, period.end)
    db.session.execute(delete(StatsDataVersion))
    versions.bump(db.session, {versions.REGISTRY})
    db.session.commit()
    assert versions.stamp(db.session, period.end) != first
