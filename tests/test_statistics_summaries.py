"""The tables are read from summaries the write path keeps: whatever inspectors, admins and imports
do — submissions, corrections, voids, back-dated records, cases, units moving county, imports —
every node's table from the summaries equals the table computed from the records."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from foodsafety.extensions import db
from foodsafety.periods import parse_period
from foodsafety.registry.models import JurisdictionClosure, Unit
from foodsafety.statistics import compute, queries, summaries, summary_checks, summary_rebuild
from foodsafety.statistics.cache import table_cache
from foodsafety.timeutil import today_cst
from tests.test_imports import canteen_row, school_row, upload, workbook
from tests.test_statistics_golden import Fixture

CST = timezone(timedelta(hours=8))
COUNTIES = ("510104", "510105", "510302")
PERIODS = ("2025", "2025-H2", "2026-H1", "2026-H2", "2026")
CUTOFFS = (date(2025, 12, 31), date(2026, 1, 1), date(2026, 3, 15), date(2026, 5, 31),
           date(2026, 6, 30), date(2026, 7, 1), date(2026, 8, 20), date(2026, 12, 31))


def nodes() -> list[str]:
    return sorted(set(db.session.scalars(select(JurisdictionClosure.descendant_code))))


def every_table_agrees() -> list[str]:
    """Differences between summaries and records, every node, period and cutoff in range."""
    differences = []
    for key in PERIODS:
        period = parse_period(key)
        for cutoff in {period.cutoff(day) for day in CUTOFFS}:
            for code in nodes():
                differences += summary_checks.compare(code, period, cutoff)
    return differences


def test_the_golden_worlds_tables_read_from_the_summaries_equal_those_from_the_records(
        login_as, make_school, make_unit, make_link, new_inspection):
    Fixture(login_as, make_school, make_unit, make_link, new_inspection).build()
    assert summaries.usable(db.session)
    assert every_table_agrees() == []


def test_the_table_is_read_from_the_summaries_and_a_check_finds_a_tampered_figure(
        login_as, make_unit, new_inspection):
    unit = make_unit("canteen", "510104")
    doc = new_inspection(unit, when="2026-03-02T09:00:00+08:00")
    assert login_as("inspector", "510104").post("/api/v1/inspections", json=doc).status_code == 201
    period = parse_period("2026-H1")
    assert compute.compute_table("510104", period, date(2026, 6, 30)).values["D1"] == 1

    summaries.add(db.session, Counter({("510104", "visits:canteen", date(2026, 3, 2)): 4}), 0)
    db.session.commit()
    table_cache().clear()  # a write around the write path: the cache cannot know
    assert compute.compute_table("510104", period, date(2026, 6, 30)).values["D1"] == 5
    assert compute.compute_table("510000", period, date(2026, 6, 30)).values["D1"] == 5
    found = summary_checks.check(today=date(2026, 6, 30), seed=1)
    assert "510000 2026-H1 截至 2026-06-30：D1 汇总 5 ≠ 记录 1" in found

    summary_rebuild.rebuild(db.session)
    db.session.commit()
    table_cache().clear()
    assert compute.compute_table("510104", period, date(2026, 6, 30)).values["D1"] == 1
    assert summary_checks.check(today=date(2026, 6, 30), seed=1) == []


def test_a_bulk_write_the_summaries_cannot_follow_falls_back_to_the_records_until_rebuilt(
        login_as, make_unit, new_inspection):
    unit = make_unit("canteen", "510104")
    doc = new_inspection(unit, when="2026-03-02T09:00:00+08:00")
    login_as("inspector", "510104").post("/api/v1/inspections", json=doc)
    db.session.execute(update(Unit).where(Unit.id == unit.id).values(jurisdiction_code="510105"))
    db.session.commit()
    assert not summaries.usable(db.session)
    period, cutoff = parse_period("2026-H1"), date(2026, 6, 30)
    assert compute.compute_table("510105", period, cutoff).values["A1"] == 1  # from the records
    assert compute.compute_table("510104", period, cutoff).values["A1"] == 0

    summary_rebuild.rebuild(db.session)
    db.session.commit()
    assert summaries.usable(db.session)
    assert compute.compute_table("510105", period, cutoff).values["A1"] == 1
    assert every_table_agrees() == []


def test_the_commands_rebuild_and_check_the_summaries(app, make_unit):
    make_unit("canteen", "510104")
    runner = app.test_cli_runner()
    rebuilt = runner.invoke(args=["stats", "rebuild-summaries"])
    assert rebuilt.exit_code == 0 and "统计汇总已重建：1 个单位" in rebuilt.output
    checked = runner.invoke(args=["stats", "check-summaries", "--seed", "3"])
    assert checked.exit_code == 0 and "统计汇总与原始记录一致" in checked.output

    summaries.add(db.session, Counter({("510104", "A1", date(2020, 1, 1)): 1}), 0)
    db.session.commit()
    checked = runner.invoke(args=["stats", "check-summaries", "--seed", "3"])
    assert checked.exit_code == 1 and "A1 汇总 2 ≠ 记录 1" in checked.output


# --- the property test: random work, then every table both ways ----------------------------

class Work:
    """Random but reproducible field and desk work through the real API."""

    def __init__(self, rng, login_as, make_unit, make_school, new_inspection):
        self.rng, self.new_inspection = rng, new_inspection
        self.inspectors = {code: login_as("inspector", code) for code in COUNTIES}
        self.admin = login_as("admin", "510000")
        self.units: list[Unit] = []
        for county in COUNTIES:
            for kind in ("canteen", "canteen", "supplier", "periphery", "unlicensed"):
                extra = {}
                if kind in ("canteen", "supplier") and rng.random() < 0.6:
                    haccp = rng.choice(["none", "established", "certified"])
                    extra = {"wuchang_6t": rng.random() < 0.5, "mc_video": rng.random() < 0.5,
                             "haccp": haccp, "haccp_cert_expires_on":
                             date(2026, rng.randint(1, 12), 10) if haccp == "certified" else None}
                if kind in ("canteen", "supplier") and rng.random() < 0.3:
                    start = date(2025, 1, 1) + timedelta(days=rng.randint(0, 600))
                    extra.update(issued=start, expires=start + timedelta(days=rng.randint(30, 400)))
                self.units.append(make_unit(kind, county, licensed=kind != "unlicensed",
                                            school=make_school(None, county)
                                            if kind == "canteen" else None, **extra))
        self.docs: list[dict] = []
        self.imports = 0
        self.days = min(580, (today_cst() - date(2025, 6, 1)).days)  # nothing dated after today

    def county_of(self, unit_id: int) -> str:
        return db.session.scalar(select(Unit.jurisdiction_code).where(Unit.id == unit_id))

    def when(self) -> str:
        moment = datetime(2025, 6, 1, tzinfo=CST) + timedelta(
            days=self.rng.randint(0, self.days - 1), hours=self.rng.randint(0, 23),
            minutes=self.rng.choice([0, 29, 59]))
        return moment.isoformat()

    def observed(self) -> dict:
        rng = self.rng
        haccp = rng.choice(["none", "established", "certified"])
        return {"wuchang_6t": rng.random() < 0.5, "haccp": haccp,
                "haccp_cert_expires_on": (f"2026-{rng.randint(1, 12):02d}-15"
                                          if haccp == "certified" else None),
                "mingchu": rng.sample(["transparent", "video", "internet"], rng.randint(0, 2)),
                "licence_displayed": True}

    def submit(self) -> None:
        unit = db.session.get(Unit, self.rng.choice(self.units).id)
        doc = self.new_inspection(unit, when=self.when(), observed=self.observed())
        items = [a["item"] for a in doc["answers"]]
        for item in self.rng.sample(items, self.rng.choice([0, 0, 1, 2, 3])):
            next(a for a in doc["answers"] if a["item"] == item)["answer"] = "no"
        failed = any(a["answer"] == "no" for a in doc["answers"])
        doc["handling"] = "on_site" if failed else "pass"
        if failed and self.rng.random() < 0.4:
            day = datetime.fromisoformat(doc["started_at"]).astimezone(CST).date()
            doc.update(handling="rectify", rectification_order={
                "number": f"责改〔{len(self.docs)}〕号",
                "deadline": (day + timedelta(days=20)).isoformat()})
        r = self.inspectors[self.county_of(unit.id)].post("/api/v1/inspections", json=doc)
        assert r.status_code == 201, r.get_json()
        self.docs.append({**doc, "revision": 1})

    def _live_doc(self) -> dict | None:
        live = [d for d in self.docs if not d.get("voided")]
        return self.rng.choice(live) if live else None

    def _api_for(self, doc: dict):
        return self.inspectors[self.county_of(doc["unit_id"])]

    def correct(self) -> None:
        """Move the record's date (back or forward) and change what was observed."""
        doc = self._live_doc()
        if doc is None:
            return
        fixed = {**doc, "started_at": self.when(), "observed": self.observed(),
                 "reason": "更正检查时间", "base_revision": doc["revision"]}
        fixed.pop("revision")
        if "rectification_order" in fixed:
            day = datetime.fromisoformat(fixed["started_at"]).astimezone(CST).date()
            fixed["rectification_order"] = {**fixed["rectification_order"],
                                            "deadline": (day + timedelta(days=20)).isoformat()}
        r = self._api_for(doc).put(f"/api/v1/inspections/{doc['id']}", json=fixed)
        assert r.status_code == 200, r.get_json()
        doc.update(fixed, revision=doc["revision"] + 1)

    def void(self) -> None:
        doc = self._live_doc()
        if doc is None:
            return
        r = self._api_for(doc).delete(f"/api/v1/inspections/{doc['id']}", json={"reason": "误录"})
        assert r.status_code == 204, r.get_json()
        doc["voided"] = True

    def move(self) -> None:
        """A supplier or shop moves county (a canteen stays with its school)."""
        unit = self.rng.choice([u for u in self.units if u.kind.value != "canteen"])
        target = self.rng.choice([c for c in COUNTIES if c != self.county_of(unit.id)])
        r = self.admin.patch(f"/api/v1/units/{unit.id}", json={"jurisdiction_code": target})
        assert r.status_code == 200, r.get_json()

    def edit_status(self) -> None:
        unit = self.rng.choice([u for u in self.units if u.kind.value in ("canteen", "supplier")])
        r = self.admin.patch(f"/api/v1/units/{unit.id}", json={
            "wuchang_6t": self.rng.random() < 0.5, "haccp": "certified",
            "haccp_cert_expires_on": f"2026-{self.rng.randint(1, 12):02d}-01"})
        assert r.status_code == 200, r.get_json()

    def case(self) -> None:
        unit = self.rng.choice(self.units)
        api = self.inspectors[self.county_of(unit.id)]
        filed = date(2025, 6, 1) + timedelta(days=self.rng.randint(0, self.days - 60))
        r = api.post("/api/v1/cases", json={"case_no": f"罚〔{self.rng.random()}〕",
                                            "unit_id": unit.id, "filed_on": filed.isoformat()})
        assert r.status_code == 201, r.get_json()
        later = lambda: (filed + timedelta(days=self.rng.randint(0, 60))).isoformat()  # noqa: E731
        stages = {"decided_on": later(), "fine_yuan": f"{self.rng.randint(0, 99999)}.{self.rng.randint(0, 99):02d}",
                  "transferred_on": later()}
        if unit.kind.value == "unlicensed":
            stages["banned_on"] = later()
        elif self.rng.random() < 0.3:
            stages["licence_revoked_on"] = later()
        r = api.patch(f"/api/v1/cases/{r.get_json()['id']}", json=stages)
        assert r.status_code == 200, r.get_json()

    def import_units(self) -> None:
        """Register a canteen by import, or update the last one imported (its HACCP)."""
        if self.imports == 0 or self.rng.random() < 0.5:
            self.imports += 1
        n = self.imports
        licence = f"JY3510104{n:07d}"
        school = f"导入学校{n}"
        row = canteen_row(**{"单位名称": f"{school}食堂", "所属学校名称": school, "许可证编号": licence,
                             "HACCP": self.rng.choice(["未建立", "已建立"]),
                             "发证日期": "2025-09-01", "有效期至": "2030-08-31"})
        r = upload(self.admin, workbook(schools=[school_row(**{"学校名称": school})], units=[row]))
        assert r.status_code == 200, r.get_json()

    def step(self) -> None:
        self.rng.choices([self.submit, self.correct, self.void, self.move, self.edit_status,
                          self.case, self.import_units],
                         weights=[10, 4, 2, 2, 2, 3, 1])[0]()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_work_leaves_every_table_from_the_summaries_equal_to_the_records(
        seed, login_as, make_unit, make_school, new_inspection):
    work = Work(random.Random(seed), login_as, make_unit, make_school, new_inspection)
    for _ in range(40):
        work.step()
    assert summaries.usable(db.session)
    assert every_table_agrees() == []
    summary_rebuild.rebuild(db.session)  # a rebuild from the records gives the same summaries
    db.session.commit()
    assert every_table_agrees() == []
    for _ in range(15):  # and the write path carries on from the units' rebuilt figures
        work.step()
    assert every_table_agrees() == []


def test_the_scope_of_a_read_is_the_subtree(login_as, make_unit, new_inspection):
    """Summaries of other counties never leak into a county's table."""
    for county in COUNTIES:
        unit = make_unit("canteen", county)
        doc = new_inspection(unit, when="2026-03-02T09:00:00+08:00")
        assert login_as("inspector", county).post("/api/v1/inspections", json=doc).status_code == 201
    period = parse_period("2026-H1")
    scope = queries.Scope("510100", lambda ancestor: ancestor == "510100")
    figures = summaries.node_figures(db.session, scope, period, date(2026, 6, 30))
    assert figures["510100"]["visits:canteen"] == 2
