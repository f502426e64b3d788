"""`flask stats ...`: build a statistics snapshot from the command line."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.statistics import snapshots, summaries, summary_checks, summary_rebuild
from foodsafety.statistics.definition import TABLE
from foodsafety.statistics.results import SECTION_LABELS, display_text
from foodsafety.vocabulary import UnitKind

stats_cli = AppGroup("stats", help="统计报表：生成校园食品安全守护行动工作情况统计表快照。")


@stats_cli.command("build")
@click.option("--jurisdiction", "code", required=True, metavar="CODE",
              help="行政区划代码，如 510100（成都市）。")
@click.option("--period", "period_key", required=True, metavar="PERIOD",
              help="统计期间：YYYY-H1（上半年）或 YYYY（全年）。")
@click.option("--cutoff", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="截止日期 YYYY-MM-DD，默认为期间最后一天（期间未结束时为今天）。")
@click.option("--final", is_flag=True, help="生成定稿（须通过全部错误级校验规则）；默认为草稿。")
def build_command(code: str, period_key: str, cutoff, final: bool) -> None:
    """计算并保存一份统计快照，打印统计表摘要和快照编号。"""
    cutoff_day: date | None = cutoff.date() if cutoff else None
    try:
        snapshot = snapshots.build_snapshot(code, period_key, cutoff_day,
                                            kind="final" if final else "draft")
        db.session.commit()
    except ApiError as error:
        db.session.rollback()
        details = error.errors or {}
        lines = [error.message if error.status != 404 else f"行政区划 {code} 不存在。"]
        for field, messages in details.items():
            lines += [f"  {field}: {message}" for message in messages]
        raise click.ClickException("\n".join(lines)) from error
    for line in summary_lines(snapshot):
        click.echo(line)


@stats_cli.command("rebuild-summaries")
def rebuild_summaries_command() -> None:
    """从原始记录重建统计汇总（迁移、灾备恢复或批量写入之后）。"""
    done = summary_rebuild.rebuild(db.session, say=click.echo)
    db.session.commit()
    click.echo(f"统计汇总已重建：{done} 个单位。")


@stats_cli.command("check-summaries")
@click.option("--sample", default=summary_checks.SAMPLE, show_default=True,
              help="抽查的区划数（另加全部顶级区划）。")
@click.option("--seed", type=int, default=None, help="随机种子（复现一次抽查）。")
def check_summaries_command(sample: int, seed: int | None) -> None:
    """抽样比对统计汇总与原始记录计算的统计表，有不一致时以非零状态退出。"""
    if not summaries.is_built(db.session):
        raise click.ClickException("统计汇总尚未建成（统计表正由原始记录计算）：请先运行 "
                                   "flask stats rebuild-summaries。")
    differences = summary_checks.check(sample, seed=seed)
    db.session.rollback()
    for line in differences[:100]:
        click.echo(line)
    if differences:
        raise click.ClickException(f"统计汇总与原始记录有 {len(differences)} 处不一致。")
    click.echo("统计汇总与原始记录一致。")


def summary_lines(snapshot) -> list[str]:
    """The snapshot as a plain-text table in Chinese."""
    values = snapshot.values
    period = snapshot.period
    lines = [
        f"{snapshot.jurisdiction.name}（{snapshot.jurisdiction_code}） {period.label} {TABLE.title}",
        f"截止日期：{snapshot.cutoff.isoformat()}　类型：{snapshot.kind.label}"
        f"　版本：第 {snapshot.version} 版　定义版本：{snapshot.definition_version}",
    ]
    section = None
    for row in TABLE.rows:
        if row.section != section:
            section = row.section
            lines.append(f"【{SECTION_LABELS[section]}】")
        group = f"{row.group}：" if row.group else ""
        lines.append(f"  {row.code:<4}{display_text(row, values[row.code]):>10}  {group}{row.label}")
    if snapshot.validation:
        lines.append("【校验结果】")
        lines += [f"  [{issue['severity_label']}] {issue['message']}（{issue['left']} > {issue['right']}）"
                  for issue in snapshot.validation]
    else:
        lines.append("【校验结果】全部通过。")
    lines.append("【期内未检查的单位】" + "，".join(
        f"{UnitKind(kind).label} {counts['uninspected']}/{counts['units']} 家"
        for kind, counts in snapshot.coverage.items()))
    lines.append(f"快照编号：{snapshot.id}")
    return lines
