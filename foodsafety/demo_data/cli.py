"""`flask demo load`: a demo province with schools, units, a year of inspections and cases."""

from __future__ import annotations

import time
import unicodedata
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from foodsafety.demo_data.accounts import demo_logins
from foodsafety.demo_data.context import DEMO_DAYS
from foodsafety.demo_data.load import demo_loaded, has_other_data, load_demo
from foodsafety.demo_data.snapshots import report_past_periods
from foodsafety.extensions import db
from foodsafety.scheduler.jobs import JOBS_BY_NAME
from foodsafety.timeutil import today_cst

demo_cli = AppGroup("demo", help="演示数据。")


@demo_cli.command("load")
@click.option("--size", type=click.FloatRange(0.05, 5.0), default=1.0, show_default=True,
              help="数据规模倍数（学校、单位、案件数量；测试时用较小值）。")
def load_command(size: float) -> None:
    """载入演示数据（四川省的真实区划、学校、单位、一年的检查与案件）；已载入时只显示登录信息。"""
    if demo_loaded():
        click.echo("演示数据已载入，本次未重复载入。")
    elif has_other_data():
        click.echo("数据库中已有账户或学校数据，为避免混淆，未载入演示数据。")
        return
    else:
        _load(size)
    _print_logins()


@demo_cli.command("reset")
@click.option("--size", type=click.FloatRange(0.05, 5.0), default=1.0, show_default=True,
              help="数据规模倍数。")
@click.confirmation_option(prompt="将删除数据库中除行政区划和审计日志以外的全部数据并重新载入演示数据，确定吗？")
def reset_command(size: float) -> None:
    """清空数据库（行政区划和审计日志除外）并重新载入演示数据；仅用于已载入演示数据的数据库。"""
    if not demo_loaded():
        raise click.ClickException("该数据库未载入演示数据，拒绝清空。")
    keep = {"jurisdictions", "jurisdiction_closure", "audit_log"}  # the audit log is append-only
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in keep:
            db.session.execute(table.delete())
    _load(size)
    _print_logins()


def _load(size: float) -> None:
    """Build the demo and commit once: a failure leaves the database as it was."""
    started = time.monotonic()
    click.echo("正在载入演示数据（约需半分钟到一分钟）……")
    try:
        counts = load_demo(size, say=click.echo)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        raise click.ClickException(f"载入演示数据失败，未写入任何数据：{exc}") from exc
    click.echo(f"演示数据载入完成：{counts['schools']} 所学校、"
               f"{sum(v for k, v in counts.items() if k.startswith('units_'))} 个单位、"
               f"{counts['inspections']} 次检查、{counts['cases']} 件案件，"
               f"用时 {time.monotonic() - started:.1f} 秒。")
    _report_past_periods()


def _report_past_periods() -> None:
    """The statistics snapshots the scheduler would have built over the demo's year."""
    today = today_cst()
    for outcome in report_past_periods(today, today - timedelta(days=DEMO_DAYS)):
        state = {"succeeded": "已生成", "skipped": "已存在"}.get(outcome.status, outcome.status)
        click.echo(f"定时任务“{JOBS_BY_NAME[outcome.job].label}”（{outcome.key}）：{state}"
                   + (f"，{outcome.error}" if outcome.error else ""))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _print_logins() -> None:
    rows = [("角色", "用户名", "密码", "所属")] + [
        (r["role"], r["username"], r["password"], r["where"]) for r in demo_logins()]
    widths = [max(_width(row[i]) for row in rows) + 2 for i in range(4)]
    click.echo("")
    click.echo(f"请用浏览器打开：{current_app.config['PUBLIC_URL']}")
    click.echo("演示账户（每个角色一个）：")
    for index, row in enumerate(rows):
        click.echo(("  " + "".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True))).rstrip())
        if index == 0:
            click.echo("  " + "-" * (sum(widths) - 2))
    click.echo("其他区县的执法账户为 inspector_<区县代码>（如 inspector_510105），"
               "密码与 demo_inspector 相同。")
    click.echo("管理员和审计员登录须两步验证：首次登录时请用手机验证器应用（如 Microsoft Authenticator、"
               "Google 身份验证器）扫描页面上的二维码完成绑定，并保存页面给出的恢复码。")
    click.echo("如已在系统中修改过演示账户的密码，请以修改后的密码为准。")
    click.echo("")
