"""`flask registry load-divisions`: load the GB/T 2260 administrative divisions."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from foodsafety.extensions import db
from foodsafety.registry.divisions import bundled_provinces, load_bundled, load_divisions, parse_divisions_csv

registry_cli = AppGroup("registry", help="登记数据维护：行政区划载入。")


@registry_cli.command("load-divisions")
@click.argument(
    "csv_path",
    required=False,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--province",
    "province",
    metavar="CODE",
    help="载入内置的省级区划数据文件，如 510000（四川省）。",
)
def load_divisions_command(csv_path: Path | None, province: str | None) -> None:
    """载入 GB/T 2260 行政区划（内置省份文件或 code,name 格式的 CSV 文件）并更新层级闭包表。"""
    if (csv_path is None) == (province is None):
        available = "、".join(bundled_provinces()) or "无"
        raise click.UsageError(
            f"请指定 --province 省级代码（内置：{available}）或一个 CSV 文件路径，二者选一。"
        )
    try:
        if province is not None:
            count = load_bundled(province)
            source = f"内置文件 {province}.csv"
        else:
            count = load_divisions(parse_divisions_csv(csv_path))
            source = str(csv_path)
        db.session.commit()
    except ValueError as exc:  # includes UnicodeDecodeError
        db.session.rollback()
        raise click.ClickException(f"载入失败：{exc}") from exc
    click.echo(f"已从 {source} 载入 {count} 个行政区划。")
