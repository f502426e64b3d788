"""`flask scheduler ...`: run the scheduler in its own process, tick once, show status, retry.

`flask scheduler run` is the only thing that runs the jobs on a clock (never `create_app` or a web
worker); `runner.tick(now)` runs whatever is due and not yet done, exactly once per (job, period)
however many scheduler processes run.
"""

from __future__ import annotations

import logging
import signal
from datetime import datetime
from zoneinfo import ZoneInfo

import click
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app
from flask.cli import AppGroup

from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.scheduler.jobs import check_config
from foodsafety.scheduler.runner import tick
from foodsafety.scheduler.services import jobs_status, reset_run
from foodsafety.timeutil import iso_cst

scheduler_cli = AppGroup("scheduler", help="定时任务：半年/全年统计快照、逾期整改通知书日统计。")
log = logging.getLogger("foodsafety.scheduler")


def _tick_now(app) -> None:
    """One tick on the wall clock, in its own app context (APScheduler calls this)."""
    with app.app_context():
        try:
            tick(datetime.now(ZoneInfo(app.config["SCHEDULER_TIMEZONE"])))
        except Exception:  # noqa: BLE001  (a broken tick must not stop the scheduler)
            log.exception("定时任务检查失败，将在下次检查时重试")
        finally:
            db.session.remove()


@scheduler_cli.command("run")
def run_command() -> None:
    """启动定时任务进程（Asia/Shanghai 时区）：启动时及此后每隔一段时间检查并补跑到期任务。"""
    app = current_app._get_current_object()  # noqa: SLF001
    try:
        check_config(app.config)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    zone = ZoneInfo(app.config["SCHEDULER_TIMEZONE"])
    seconds = int(app.config["SCHEDULER_TICK_SECONDS"])
    # Jobs are our data, not APScheduler job-store rows: one in-memory interval trigger calls tick().
    scheduler = BlockingScheduler(
        timezone=zone, jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": seconds})
    scheduler.add_job(_tick_now, IntervalTrigger(seconds=seconds, timezone=zone), args=[app],
                      id="tick", name="tick", next_run_time=datetime.now(zone))

    def stop(_signum, _frame) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"定时任务进程已启动：时区 {zone.key}，每 {seconds} 秒检查一次到期任务（Ctrl+C 退出）。")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    click.echo("定时任务进程已停止。")


@scheduler_cli.command("tick")
@click.option("--at", "at", metavar="ISO时间",
              help="按指定时间检查（带时区，如 2026-07-03T09:00+08:00），默认当前时间。")
def tick_command(at: str | None) -> None:
    """立即检查一次：运行所有已到期且尚未成功的任务。"""
    zone = ZoneInfo(current_app.config["SCHEDULER_TIMEZONE"])
    try:
        now = datetime.fromisoformat(at) if at else datetime.now(zone)
    except ValueError:
        raise click.BadParameter("时间格式应为 ISO 8601，如 2026-07-03T09:00+08:00。") from None
    if now.tzinfo is None:
        now = now.replace(tzinfo=zone)
    outcomes = tick(now)
    labels = {"succeeded": "成功", "failed": "失败", "skipped": "跳过（已完成或由其他进程运行）",
              "waiting": "等待重试", "busy": "数据库忙，稍后重试"}
    if not outcomes:
        click.echo("没有到期的任务。")
    for outcome in outcomes:
        line = f"{outcome.job}（{outcome.key}）：{labels[outcome.status]}"
        click.echo(f"{line}　{outcome.error}" if outcome.error else line)


@scheduler_cli.command("status")
def status_command() -> None:
    """列出各定时任务的计划与最近一次运行情况。"""
    zone = ZoneInfo(current_app.config["SCHEDULER_TIMEZONE"])
    for status in jobs_status(None, current_app.config, datetime.now(zone)):
        run = status.last_run
        last = (f"{run.period_key} {run.status.label}（第{run.attempts}次，"
                f"开始于 {iso_cst(run.started_at)}，用时 {run.duration_ms} 毫秒）" if run else "从未运行")
        click.echo(f"{status.job.label}［{status.job.name}］{status.schedule}：{last}")
        if run and run.error:
            click.echo(f"    错误：{run.error}")


@scheduler_cli.command("retry")
@click.argument("job")
@click.argument("period_key")
def retry_command(job: str, period_key: str) -> None:
    """重置一次失败的运行（如已用完重试次数），下次检查时重新运行。"""
    try:
        reset_run(job, period_key)
        db.session.commit()
    except ApiError as error:
        db.session.rollback()
        detail = "；".join(f"{k}：{'、'.join(v)}" for k, v in (error.errors or {}).items())
        raise click.ClickException(detail or error.message) from None
    click.echo(f"已重置 {job}（{period_key}），将在下次检查时重新运行。")
