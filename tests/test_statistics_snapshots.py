"""Snapshots: what was reported stays as it was; versions count up; a final must pass the rules."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.statistics import snapshots
from foodsafety.statistics.models import StatsSnapshot
from foodsafety.statistics.results import TableResult
from foodsafety.statistics.schemas import SnapshotOutSchema
from foodsafety.timeutil import today_cst


@pytest.fixture
def county(login_as, make_unit, new_inspection):
    """锦江区: one canteen inspected in March 2026 with a cleaning problem; one never inspected."""
    canteen = make_unit("canteen", "510104", name="锦江实验小学食堂")
    make_unit("canteen", "510104", name="从未检查的食堂")
    inspector = login_as("inspector", "510104")
    r = inspector.post("/api/v1/inspections", json=new_inspection(
        canteen, when="2026-03-02T09:00:00+08:00", answers={"9.1": "no"}))
    assert r.status_code == 201
    return canteen, inspector


def test_a_snapshot_keeps_everything_that_was_reported(county, login_as):
    snapshot = snapshots.build_snapshot("510100", "2026-H1", kind="draft")
    db.session.commit()
    stored = SnapshotOutSchema().dump(db.session.get(StatsSnapshot, snapshot.id))
    assert (stored["jurisdiction"]["code"], stored["period"]["key"], stored["cutoff"]) == (
        "510100", "2026-H1", "2026-06-30")
    assert stored["data_as_of"] and stored["definition_version"]
    assert stored["figures"]["A1"] == 2 and stored["figures"]["C3"] == 1
    assert [c["code"] for c in stored["breakdown"]] == ["510104", "510105"]
    assert stored["breakdown"][0]["figures"]["D1"] == 1
    assert {c["kind"]: c["uninspected"] for c in stored["coverage"]}["canteen"] == 1
    assert [u["name"] for u in stored["uninspected"]] == ["从未检查的食堂"]
    assert stored["validation"] == [] and stored["kind"] == "draft" and stored["version"] == 1


def test_the_snapshot_lists_the_uninspected_units_county_by_county(county, make_unit):
    """A city's list reads county by county (each county's office follows up its own), and
    within a county by kind (canteens first), then by name."""
    make_unit("periphery", "510105", name="阿青区周边小店")
    make_unit("canteen", "510105", name="青羊区食堂")
    make_unit("supplier", "510104", name="甲锦江配餐")
    make_unit("canteen", "510104", name="锦江乙食堂")
    snapshot = snapshots.build_snapshot("510100", "2026-H1", kind="draft")
    assert [(u["jurisdiction_code"], u["kind"], u["name"]) for u in snapshot.uninspected] == [
        ("510104", "canteen", "从未检查的食堂"), ("510104", "canteen", "锦江乙食堂"),
        ("510104", "supplier", "甲锦江配餐"),
        ("510105", "canteen", "青羊区食堂"), ("510105", "periphery", "阿青区周边小店")]


def test_data_arriving_later_does_not_change_a_stored_snapshot(county, new_inspection):
    canteen, inspector = county
    first = snapshots.build_snapshot("510104", "2026-H1")
    db.session.commit()
    r = inspector.post("/api/v1/inspections", json=new_inspection(
        canteen, when="2026-05-02T09:00:00+08:00", answers={"6.1": "no"}))
    assert r.status_code == 201
    second = snapshots.build_snapshot("510104", "2026-H1")
    db.session.commit()
    db.session.expire_all()
    old = db.session.get(StatsSnapshot, first.id)
    assert (old.figures["D1"], old.figures["C1"], old.version) == (1, 0, 1)
    assert (second.figures["D1"], second.figures["C1"], second.version) == (2, 1, 2)
    body = inspector.get(f"/api/v1/statistics/snapshots/{first.id}").get_json()
    assert body["figures"]["D1"] == 1


def test_a_stored_snapshot_cannot_be_changed(county):
    snapshot = snapshots.build_snapshot("510104", "2026-H1")
    db.session.commit()
    snapshot.figures = {**snapshot.figures, "A1": 99}
    with pytest.raises(RuntimeError, match="immutable"):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(StatsSnapshot, snapshot.id).figures["A1"] == 2


def test_versions_count_per_jurisdiction_and_period(county):
    versions = [snapshots.build_snapshot(code, period).version for code, period in (
        ("510104", "2026-H1"), ("510104", "2026-H1"), ("510104", "2026"), ("510100", "2026-H1"),
        ("510104", "2026-H1"))]
    assert versions == [1, 2, 1, 1, 3]


def test_the_cutoff_of_a_period_not_yet_over_is_today(county):
    year = today_cst().year
    snapshot = snapshots.build_snapshot("510104", str(year))
    assert snapshot.cutoff == min(today_cst(), date(year, 12, 31))


@pytest.fixture
def broken_rule(monkeypatch):
    """Make every table break A2 ≤ A1 (the data cannot do it, so the figures are bent)."""
    original = TableResult.finish

    def finish(self):
        self.values["A2"] = self.values["A1"] + 1
        return original(self)

    monkeypatch.setattr(TableResult, "finish", finish)


def test_a_final_that_breaks_an_error_rule_is_refused_and_nothing_is_stored(county, broken_rule):
    with pytest.raises(ApiError) as refused:
        snapshots.build_snapshot("510104", "2026-H1", kind="final")
    assert refused.value.status == 422
    assert any("A2" in message for message in refused.value.errors["validation"])
    assert db.session.scalar(select(func.count()).select_from(StatsSnapshot)) == 0
    draft = snapshots.build_snapshot("510104", "2026-H1", kind="draft")
    assert [issue["rule"] for issue in draft.validation] == ["A2 ≤ A1"]


def test_the_api_refuses_a_final_with_the_reasons(county, broken_rule):
    _, inspector = county
    r = inspector.post("/api/v1/statistics/510104/2026-H1/snapshots", json={"kind": "final"})
    assert r.status_code == 422
    body = r.get_json()
    assert body["reason"] == "validation_failed" and body["errors"]["validation"]
    assert inspector.get("/api/v1/statistics/snapshots").get_json()["total"] == 0


def test_a_warning_does_not_stop_a_final(county, make_unit):
    """A criminal case filed in 2026 on a transfer made in 2025: D8 > D7 is only a warning."""
    _, inspector = county
    shop = make_unit("periphery", "510104")
    r = inspector.post("/api/v1/cases", json={
        "case_no": "锦市监罚〔2025〕7号", "unit_id": shop.id, "filed_on": "2025-11-01",
        "transferred_on": "2025-12-01", "criminal_filed_on": "2026-01-05"})
    assert r.status_code == 201, r.get_json()
    r = inspector.post("/api/v1/statistics/510104/2026-H1/snapshots", json={"kind": "final"})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["valid"] is True
    assert [(i["rule"], i["severity"]) for i in body["validation"]] == [("D8 ≤ D7", "warning")]


def test_the_cli_builds_a_snapshot_and_prints_the_table_in_chinese(county, app):
    result = app.test_cli_runner().invoke(args=[
        "stats", "build", "--jurisdiction", "510100", "--period", "2026-H1",
        "--cutoff", "2026-06-30", "--final"])
    assert result.exit_code == 0, result.output
    assert "成都市（510100） 2026年上半年 校园食品安全守护行动工作情况统计表" in result.output
    assert "辖区内持证学校食堂数（家）" in result.output and "定稿" in result.output
    snapshot = db.session.scalar(select(StatsSnapshot))
    assert f"快照编号：{snapshot.id}" in result.output and snapshot.kind.value == "final"


def test_the_cli_explains_a_refused_final(county, app, broken_rule):
    result = app.test_cli_runner().invoke(args=[
        "stats", "build", "--jurisdiction", "510104", "--period", "2026-H1", "--final"])
    assert result.exit_code != 0
    assert "不能生成定稿" in result.output and "A2" in result.output


def test_a_scheduled_run_snapshots_every_node_from_one_computation(county):
    subtree = snapshots.subtree("510000", "2026-H1", date(2026, 6, 30))
    assert list(subtree.tables) == ["510000", "510100", "510300", "510104", "510105", "510302"]
    by_code = {code: snapshots.build_snapshot(code, "2026-H1", date(2026, 6, 30), subtree=subtree)
               for code in subtree.tables}
    for code, snapshot in by_code.items():
        alone = snapshots.build_snapshot(code, "2026-H1", date(2026, 6, 30))
        assert snapshot.figures == alone.figures and snapshot.breakdown == alone.breakdown
        assert snapshot.uninspected == alone.uninspected and snapshot.coverage == alone.coverage
        assert (snapshot.version, alone.version) == (1, 2)
    assert [c["code"] for c in by_code["510000"].breakdown] == ["510100", "510300"]


def test_a_scheduled_final_run_refuses_the_nodes_that_break_an_error_rule(county, broken_rule):
    subtree = snapshots.subtree("510100", "2026-H1")
    refused = {}
    for code in subtree.tables:
        with pytest.raises(ApiError) as error:
            snapshots.build_snapshot(code, "2026-H1", kind="final", subtree=subtree)
        assert error.value.reason == "validation_failed"
        refused[code] = error.value.errors["validation"]
    assert set(refused) == {"510100", "510104", "510105"}
    assert any("A2" in message for message in refused["510104"])
    assert db.session.scalar(select(func.count()).select_from(StatsSnapshot)) == 0


def test_builds_on_request_are_bounded_per_jurisdiction_period_and_day(county, app, login_as,
                                                                       monkeypatch):
    _, inspector = county
    monkeypatch.setitem(app.config, "SNAPSHOT_DRAFTS_PER_DAY", 2)
    monkeypatch.setitem(app.config, "SNAPSHOT_FINALS_PER_DAY", 1)
    url = "/api/v1/statistics/510104/2026-H1/snapshots"
    assert [inspector.post(url, json={}).status_code for _ in range(2)] == [201, 201]
    for who in (inspector, login_as("inspector", "510104")):  # the bound is the node's, not a user's
        r = who.post(url, json={})
        assert r.status_code == 429
        body = r.get_json()
        assert body["reason"] == "snapshot_quota" and "已达每日上限（2 份）" in body["message"]
        assert 0 < int(r.headers["Retry-After"]) <= 24 * 3600
    assert [inspector.post(url, json={"kind": "final"}).status_code for _ in range(2)] == [201, 429]
    assert inspector.post("/api/v1/statistics/510104/2026/snapshots", json={}).status_code == 201
    city = login_as("inspector", "510100")
    assert city.post("/api/v1/statistics/510100/2026-H1/snapshots", json={}).status_code == 201
    assert db.session.scalar(select(func.count()).select_from(StatsSnapshot).where(
        StatsSnapshot.jurisdiction_code == "510104", StatsSnapshot.period_key == "2026-H1")) == 3
    scheduled = snapshots.build_snapshot("510104", "2026-H1")  # scheduled runs are not bounded
    assert scheduled.version == 4
