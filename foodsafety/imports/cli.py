"""`flask imports run`: import a filled template (.xlsx) from the command line, all or nothing."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.imports.reader import read_workbook
from foodsafety.imports.report import annotate, describe, text_report
from foodsafety.imports.services import ImportRejected, import_parsed
from foodsafety.registry.models import Jurisdiction

imports_cli = AppGroup("imports", help="登记数据批量导入（.xlsx 模板）。")
WARNINGS_SHOWN = 200  # an import's warnings printed in full up to this many


@imports_cli.command("run")
@click.argument("xlsx_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--jurisdiction", "jurisdiction", required=True, metavar="CODE",
              help="以该行政区划管理员的权限导入：只能导入其辖区内的数据，如 510104。")
@click.option("--dry-run", is_flag=True, help="只校验，不写入。")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="有错误时，把标注了错误的工作簿副本保存到该路径（.xlsx）。")
def run_command(xlsx_path: Path, jurisdiction: str, dry_run: bool, report_path: Path | None) -> None:
    """从导入模板（.xlsx）批量导入学校、单位和供餐关系：全部成功或全部不导入。"""
    if db.session.get(Jurisdiction, jurisdiction) is None:
        raise click.UsageError(f"行政区划 {jurisdiction} 不存在，请先载入行政区划。")
    try:
        click.echo(f"正在读取 {xlsx_path.name} …")
        data = xlsx_path.read_bytes()
        parsed = read_workbook(data)
        steps = parsed.total if dry_run else parsed.total * 2
        with click.progressbar(length=max(steps, 1), label="校验" if dry_run else "校验并导入",
                               show_pos=True) as bar:
            result = import_parsed(parsed, jurisdiction, dry_run=dry_run, progress=bar.update)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    except ImportRejected as rejected:
        db.session.rollback()
        click.echo(text_report(rejected.problems, rejected.message), err=True)
        if report_path is not None:
            report_path.write_bytes(annotate(data, rejected.problems))
            click.echo(f"已将标注了错误的工作簿保存到 {report_path}。", err=True)
        raise SystemExit(1) from None
    except ApiError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    for sheet in result.sheets:
        click.echo(f"{sheet.sheet}：{sheet.rows} 行，新增 {sheet.created}，"
                   f"更新 {sheet.updated}，未变 {sheet.unchanged}")
    if result.warnings:
        click.echo(f"提示 {len(result.warnings)} 条（不影响导入）：")
        for warning in result.warnings[:WARNINGS_SHOWN]:
            click.echo(f"  {describe(warning)}")
        if len(result.warnings) > WARNINGS_SHOWN:
            click.echo(f"  ……其余 {len(result.warnings) - WARNINGS_SHOWN} 条提示从略。")
    click.echo("校验通过，未写入数据（--dry-run）。" if dry_run else "导入完成。")
