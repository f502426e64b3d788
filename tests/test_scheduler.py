"""The scheduler (issue 3 §3): tables built on their due dates exactly once, caught up after downtime,
retried after a failure without duplicates, and the daily overdue list; driven by a fixed clock.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.photos import storage
from foodsafety.rectification.tasks import count_overdue_orders
from foodsafety.scheduler.jobs import JOBS_BY_NAME, check_config, due_occurrences, occurrence
from foodsafety.scheduler.models import JobRun, RunStatus
from foodsafety.scheduler.runner import tick
from foodsafety.statistics import compute
from foodsafety.statistics import snapshots as snapshot_service
from foodsafety.statistics.models import StatsSnapshot
from foodsafety.timeutil import CST, to_utc_naive, today_cst

NODES = {"510000", "510100", "510104", "510105", "510300", "510302"}  # the fixture's tree


def at(text: str) -> datetime:
    """A Beijing-time instant: at("2026-07-03 09:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=CST)


def snapshots() -> list[tuple[str, str, str, date]]:
    db.session.expire_all()
    return sorted((s.jurisdiction_code, s.period_key, s.kind.value, s.cutoff)
                  for s in db.session.scalars(select(StatsSnapshot)))


def per_node(period: str, kind: str) -> dict[str, int]:
    db.session.expire_all()
    return dict(db.session.execute(
        select(StatsSnapshot.jurisdiction_code, func.count())
        .where(StatsSnapshot.period_key == period, StatsSnapshot.kind == kind)
        .group_by(StatsSnapshot.jurisdiction_code)).all())


def run_of(job: str, key: str) -> JobRun | None:
    db.session.expire_all()
    return db.session.scalar(select(JobRun).where(JobRun.job == job, JobRun.period_key == key))


def statuses(outcomes) -> dict[str, str]:
    return {o.job: o.status for o in outcomes}


# --- due dates and catch-up -----------------------------------------------------------------

def test_a_run_computes_the_province_once_for_all_its_snapshots(app, monkeypatch):
    calls = []
    compute_all = compute.compute_all

    def counting(root, period, cutoff):
        calls.append(root)
        return compute_all(root, period, cutoff)

    monkeypatch.setattr(compute, "compute_all", counting)
    monkeypatch.setattr(compute, "breakdown", lambda *a: pytest.fail("recomputed a node"))
    tick(at("2026-07-03 09:00"), jobs=(JOBS_BY_NAME["h1_draft"],))
    assert calls == ["510000"]
    assert per_node("2026-H1", "draft") == dict.fromkeys(NODES, 1)


def test_a_half_year_draft_missed_on_1_july_is_built_when_the_scheduler_starts_on_3_july(app):
    outcomes = tick(at("2026-07-03 09:00"))

    assert statuses(outcomes) == {"h1_draft": "succeeded", "overdue_orders": "succeeded",
                                  "photo_sweep": "succeeded", "summaries_check": "succeeded"}
    assert snapshots() == sorted((code, "2026-H1", "draft", date(2026, 6, 30)) for code in NODES)
    run = run_of("h1_draft", "2026-H1")
    assert run.status == RunStatus.SUCCEEDED and run.due_on == date(2026, 7, 1)
    assert run.result["snapshots"] == len(NODES) and run.result["cutoff"] == "2026-06-30"
    assert run_of("h1_final", "2026-H1") is None  # the final is due on 10 July, not yet


def test_nothing_runs_before_the_run_time_of_the_due_day(app):
    assert tick(at("2026-07-01 01:59")) == []
    assert statuses(tick(at("2026-07-01 02:00")))["h1_draft"] == "succeeded"


def test_once_the_final_is_due_a_missed_draft_of_the_same_period_is_skipped(app):
    outcomes = tick(at("2026-07-12 09:00"))

    assert "h1_draft" not in statuses(outcomes)
    assert statuses(outcomes)["h1_final"] == "succeeded"
    assert {kind for _c, _p, kind, _d in snapshots()} == {"final"}


def test_the_full_year_draft_on_15_december_is_cut_off_that_day(app):
    tick(at("2026-12-15 03:00"))
    assert snapshots() == sorted((code, "2026", "draft", date(2026, 12, 15)) for code in NODES)


def test_the_full_year_final_is_built_with_the_cutoff_on_25_december(app):
    outcomes = tick(at("2026-12-25 03:00"))

    assert statuses(outcomes)["year_final"] == "succeeded"
    assert snapshots() == sorted((code, "2026", "final", date(2026, 12, 25)) for code in NODES)


def test_due_dates_come_from_the_settings(app, monkeypatch):
    monkeypatch.setitem(app.config, "SCHEDULE_H1_DRAFT", "07-05")
    assert "h1_draft" not in statuses(tick(at("2026-07-03 09:00")))
    assert statuses(tick(at("2026-07-05 09:00")))["h1_draft"] == "succeeded"


def test_a_malformed_schedule_setting_is_refused_in_chinese(app, monkeypatch):
    monkeypatch.setitem(app.config, "SCHEDULE_YEAR_FINAL", "12月25日")
    with pytest.raises(ValueError, match="SCHEDULE_YEAR_FINAL 应为 MM-DD"):
        check_config(app.config)


def test_a_run_missed_for_longer_than_the_catch_up_window_is_not_run(app):
    due = {(o.job.name, o.key) for o in due_occurrences(at("2027-03-01 09:00"), app.config)}
    assert ("year_final", "2026") not in due  # 66 days after 25 December, beyond 60
    assert ("year_final", "2026") in {(o.job.name, o.key)
                                      for o in due_occurrences(at("2027-01-20 09:00"), app.config)}


# --- exactly once ---------------------------------------------------------------------------

def test_a_second_tick_does_not_build_again(app):
    tick(at("2026-07-03 09:00"))
    again = tick(at("2026-07-03 09:01"))

    assert statuses(again) == {"h1_draft": "skipped", "overdue_orders": "skipped",
                               "photo_sweep": "skipped", "summaries_check": "skipped"}
    assert per_node("2026-H1", "draft") == dict.fromkeys(NODES, 1)


def test_two_schedulers_ticking_at_the_same_moment_build_each_table_once(app):
    barrier = threading.Barrier(2)
    results: list = [None, None]
    now = at("2026-07-03 09:00")

    def scheduler(index: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[index] = tick(now)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=scheduler, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for job in ("h1_draft", "overdue_orders", "photo_sweep", "summaries_check"):
        outcomes = sorted(statuses(r)[job] for r in results)
        assert outcomes.count("succeeded") == 1, (job, results)
        assert set(outcomes) <= {"succeeded", "skipped"}
    assert per_node("2026-H1", "draft") == dict.fromkeys(NODES, 1)
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 4  # one per job


# --- failure, retry, take-over --------------------------------------------------------------

@pytest.fixture
def build_fails_once(monkeypatch):
    """build_snapshot raises on its third call (after two tables were built), once."""
    real = snapshot_service.build_snapshot
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("数据库连接中断")
        return real(*args, **kwargs)

    monkeypatch.setattr(snapshot_service, "build_snapshot", flaky)
    return calls


def test_a_failed_build_is_retried_after_the_back_off_without_duplicate_tables(app, build_fails_once):
    first = tick(at("2026-07-03 09:00"))

    assert statuses(first)["h1_draft"] == "failed"
    run = run_of("h1_draft", "2026-H1")
    assert (run.status, run.attempts) == (RunStatus.FAILED, 1)
    assert run.error == "RuntimeError: 数据库连接中断"
    assert len(per_node("2026-H1", "draft")) == 2  # the two tables built before the failure stay

    assert statuses(tick(at("2026-07-03 09:01")))["h1_draft"] == "waiting"  # back-off: 5 minutes
    retried = tick(at("2026-07-03 09:06"))

    assert statuses(retried)["h1_draft"] == "succeeded"
    run = run_of("h1_draft", "2026-H1")
    assert (run.status, run.attempts, run.error) == (RunStatus.SUCCEEDED, 2, None)
    assert per_node("2026-H1", "draft") == dict.fromkeys(NODES, 1)
    assert run.result["snapshots"] == len(NODES)


def test_a_job_that_keeps_failing_stops_after_its_last_attempt_until_reset(app, monkeypatch):
    monkeypatch.setitem(app.config, "SCHEDULER_MAX_ATTEMPTS", 2)

    def broken(*_args, **_kwargs):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(snapshot_service, "build_snapshot", broken)
    tick(at("2026-07-03 09:00"))
    tick(at("2026-07-03 09:06"))
    assert statuses(tick(at("2026-07-04 09:00")))["h1_draft"] == "waiting"
    assert run_of("h1_draft", "2026-H1").attempts == 2

    monkeypatch.undo()
    result = app.test_cli_runner().invoke(args=["scheduler", "retry", "h1_draft", "2026-H1"])
    assert "已重置" in result.output
    assert statuses(tick(at("2026-07-04 09:01")))["h1_draft"] == "succeeded"
    assert per_node("2026-H1", "draft") == dict.fromkeys(NODES, 1)


def test_a_run_whose_worker_fell_silent_is_taken_over(app):
    started = to_utc_naive(at("2026-07-03 06:00"))
    db.session.add(JobRun(job="h1_draft", period_key="2026-H1", due_on=date(2026, 7, 1),
                          status=RunStatus.RUNNING, attempts=1, token="x" * 32, worker="gone:1",
                          started_at=started, heartbeat_at=started))
    db.session.commit()

    assert statuses(tick(at("2026-07-03 07:00")))["h1_draft"] == "skipped"  # silent for 1 hour only
    assert statuses(tick(at("2026-07-03 09:00")))["h1_draft"] == "succeeded"  # 3 hours: taken over
    assert run_of("h1_draft", "2026-H1").attempts == 2
    assert per_node("2026-H1", "draft") == dict.fromkeys(NODES, 1)


def test_a_final_that_breaks_an_error_rule_is_refused_for_that_jurisdiction_only(app, monkeypatch):
    real = snapshot_service.build_snapshot

    def strict(code, *args, **kwargs):
        if code == "510105":
            raise ApiError(422, "统计表未通过校验规则，不能生成正式报表。", reason="validation_failed",
                           errors={"validation": ["A2 不应大于 A1。"]})
        return real(code, *args, **kwargs)

    monkeypatch.setattr(snapshot_service, "build_snapshot", strict)
    assert statuses(tick(at("2026-07-10 09:00")))["h1_final"] == "succeeded"
    assert set(per_node("2026-H1", "final")) == NODES - {"510105"}
    assert run_of("h1_final", "2026-H1").result["refused"] == [
        {"code": "510105", "errors": ["A2 不应大于 A1。"]}]


# --- the daily overdue list -----------------------------------------------------------------

def issue_order(inspector, unit, new_inspection, number: str, *, days_ago: int, deadline_in: int):
    when = datetime.now().astimezone() - timedelta(days=days_ago)
    deadline = today_cst() - timedelta(days=days_ago) + timedelta(days=deadline_in)
    doc = new_inspection(unit, when=when, answers={"6.1": "no"}, handling="rectify",
                         rectification_order={"number": number, "deadline": deadline.isoformat()})
    response = inspector.post("/api/v1/inspections", json=doc)
    assert response.status_code == 201, response.get_json()


@pytest.fixture
def overdue_orders(login_as, make_unit, new_inspection):
    """Two overdue orders in 锦江区, one in 青羊区, and one in 锦江区 not yet due."""
    jinjiang, qingyang = login_as("inspector", "510104"), login_as("inspector", "510105")
    canteen = make_unit("canteen", "510104")
    issue_order(jinjiang, canteen, new_inspection, "J-1", days_ago=20, deadline_in=5)
    issue_order(jinjiang, canteen, new_inspection, "J-2", days_ago=12, deadline_in=3)
    issue_order(jinjiang, canteen, new_inspection, "J-3", days_ago=2, deadline_in=10)
    issue_order(qingyang, make_unit("canteen", "510105"), new_inspection, "Q-1", days_ago=9,
                deadline_in=1)


def tick_overdue_today():
    """Today's daily run, at 03:00 CST (after the run time): the real clock would find nothing
    due between midnight and 02:00 CST."""
    day = today_cst()
    return tick(datetime(day.year, day.month, day.day, 3, tzinfo=CST),
                jobs=(JOBS_BY_NAME["overdue_orders"],))


def test_the_daily_job_counts_overdue_orders_per_county_and_rolls_them_up(app, overdue_orders):
    assert statuses(tick_overdue_today()) == {"overdue_orders": "succeeded"}

    result = run_of("overdue_orders", today_cst().isoformat()).result
    assert result["as_of"] == today_cst().isoformat() and result["total"] == 3
    assert [(c["code"], c["name"], c["count"]) for c in result["by_county"]] == [
        ("510104", "锦江区", 2), ("510105", "青羊区", 1)]
    assert result["by_county"][0]["oldest_deadline"] == (today_cst() - timedelta(days=15)).isoformat()
    assert result["by_jurisdiction"] == {"510104": 2, "510105": 1, "510100": 3, "510000": 3}


def test_an_order_closed_later_still_counts_as_overdue_on_the_days_before(app, login_as, make_unit,
                                                                          new_inspection):
    inspector = login_as("inspector", "510104")
    issue_order(inspector, make_unit("canteen", "510104"), new_inspection, "J-9", days_ago=20,
                deadline_in=5)
    order = inspector.get("/api/v1/rectification-orders").get_json()["items"][0]
    closed = inspector.post(f"/api/v1/rectification-orders/{order['id']}/rechecks", json={
        "checked_on": today_cst().isoformat(), "inspectors": [{"name": "张三"}, {"name": "李四"}],
        "results": [{"finding_id": f["id"], "rectified": True} for f in order["findings"]]})
    assert closed.get_json()["status"] == "closed"

    def total(days_ago: int) -> int:
        day = today_cst() - timedelta(days=days_ago)
        return count_overdue_orders(occurrence(JOBS_BY_NAME["overdue_orders"], day, app.config), "all")["total"]

    assert [total(25), total(10), total(0)] == [0, 1, 0]  # not yet issued, overdue, closed today


# --- the status API -------------------------------------------------------------------------

RUNS = "/api/v1/scheduler/runs"


def test_the_status_list_shows_each_jobs_last_run_outcome_and_duration(app, login_as):
    tick(at("2026-07-03 09:00"))
    body = login_as("admin", "510000").get(RUNS).get_json()

    jobs = {job["name"]: job for job in body["jobs"]}
    assert set(jobs) == set(JOBS_BY_NAME)
    assert jobs["h1_draft"]["schedule"] == "每年7月1日 02:00"
    run = jobs["h1_draft"]["last_run"]
    assert (run["period_key"], run["status"], run["status_label"]) == ("2026-H1", "succeeded", "成功")
    assert run["started_at"] == "2026-07-03T09:00:00+08:00"
    assert run["duration_ms"] >= 0 and run["finished_at"] >= run["started_at"] and run["error"] is None
    assert run["result"]["snapshots"] == len(NODES)
    assert jobs["h1_final"]["last_run"] is None


def test_a_failed_run_shows_its_error_and_next_attempt(app, login_as, build_fails_once):
    tick(at("2026-07-03 09:00"))
    jobs = {job["name"]: job for job in login_as("bureau", "510100").get(RUNS).get_json()["jobs"]}
    run = jobs["h1_draft"]["last_run"]
    assert (run["status_label"], run["error"]) == ("失败", "RuntimeError: 数据库连接中断")
    assert run["next_attempt_at"] == "2026-07-03T09:05:00+08:00"
    assert run["result"]["steps_done"] == 2 and run["result"]["snapshots"] is None


def test_the_status_list_shows_what_the_photo_sweep_removed(app, login_as):
    storage.write_files(app.config["PHOTO_DIR"], "b" * 64, {"image": b"x", "thumbnail": b"y"})
    two_hours_ago = time.time() - 7200
    for path in Path(app.config["PHOTO_DIR"]).rglob("*"):
        os.utime(path, (two_hours_ago, two_hours_ago))
    tick(at("2026-07-03 09:00"))
    jobs = {job["name"]: job for job in login_as("admin", "510000").get(RUNS).get_json()["jobs"]}
    result = jobs["photo_sweep"]["last_run"]["result"]
    assert (result["rows_removed"], result["removed"]) == (0, 2)
    assert result["snapshots"] is None and result["overdue"] is None


def test_overdue_figures_in_the_status_list_are_limited_to_the_users_subtree(app, login_as, overdue_orders):
    tick_overdue_today()

    def overdue(role: str, code: str) -> dict:
        jobs = login_as(role, code).get(RUNS).get_json()["jobs"]
        return next(j for j in jobs if j["name"] == "overdue_orders")["last_run"]["result"]

    assert overdue("bureau", "510100")["overdue"] == 3
    qingyang = overdue("inspector", "510105")
    assert qingyang["overdue"] == 1 and [c["code"] for c in qingyang["by_county"]] == ["510105"]
    assert qingyang["by_jurisdiction"] == {"510105": 1}
    assert overdue("inspector", "510302")["overdue"] == 0  # 自贡市自流井区 sees none of Chengdu's


def test_schools_and_anonymous_users_cannot_see_the_scheduler(app, login_as, make_school, anonymous):
    school = make_school()
    assert login_as("school", school=school).get(RUNS).status_code == 403
    assert anonymous.get(RUNS).status_code == 401


# --- the process ----------------------------------------------------------------------------

def test_flask_scheduler_run_uses_one_in_memory_trigger_in_beijing_time(app, monkeypatch):
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler

    seen = {}

    def start(self, *args, **kwargs):
        seen["timezone"] = str(self.timezone)
        seen["jobs"] = [(job.name, type(job.trigger).__name__, job.trigger.interval.total_seconds())
                        for job in self.get_jobs()]
        seen["store"] = type(self._jobstores["default"])

    monkeypatch.setattr(BlockingScheduler, "start", start)
    result = app.test_cli_runner().invoke(args=["scheduler", "run"])

    assert result.exit_code == 0, result.output
    assert seen == {"timezone": "Asia/Shanghai", "jobs": [("tick", "IntervalTrigger", 60.0)],
                    "store": MemoryJobStore}
    assert "定时任务进程已启动" in result.output


def test_flask_scheduler_tick_and_status_report_in_chinese(app):
    runner = app.test_cli_runner()
    ticked = runner.invoke(args=["scheduler", "tick", "--at", "2026-07-03T09:00+08:00"])
    assert "h1_draft（2026-H1）：成功" in ticked.output
    status = runner.invoke(args=["scheduler", "status"])
    assert "上半年统计表草稿［h1_draft］每年7月1日 02:00：2026-H1 成功" in status.output
