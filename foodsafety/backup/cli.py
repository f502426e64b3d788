"""`flask backup create|restore|verify`: online backups of the database and the photos."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from foodsafety.backup import services
from foodsafety.backup.services import BackupError, Comparison

backup_cli = AppGroup("backup", help="备份与恢复：数据库和检查照片（可在系统运行时进行）。")
SHOWN = 10  # differences listed one by one before "…"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.1f} KB"


@backup_cli.command("create")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def create_command(directory: Path) -> None:
    """在 DIRECTORY 下生成一份带时间戳的备份（数据库一致性快照、照片文件和校验清单）。"""
    try:
        path, manifest = services.create_backup(directory)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    rows = sum(manifest["tables"].values())
    click.echo(f"备份完成：{path}")
    click.echo(f"  数据库（{services.DIALECT_LABELS[manifest['dialect']]}）：{len(manifest['tables'])} 张表，"
               f"共 {rows} 行，文件 {_size(manifest['database']['bytes'])}")
    click.echo(f"  照片文件：{len(manifest['photos'])} 个")
    if manifest["missing_photos"]:
        click.echo(f"警告：数据库引用的 {len(manifest['missing_photos'])} 个照片文件在照片目录中不存在，"
                   "未能备份：", err=True)
        for relative in manifest["missing_photos"][:SHOWN]:
            click.echo(f"  {relative}", err=True)


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_command(archive: Path) -> None:
    """把备份 ARCHIVE 恢复到当前实例（目标数据库必须没有任何数据）。"""
    try:
        comparison = services.restore_backup(archive)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"已从 {archive} 恢复。")
    _report(comparison)


@backup_cli.command("verify")
@click.argument("archive", type=click.Path(exists=True, file_okay=False, path_type=Path))
def verify_command(archive: Path) -> None:
    """检查备份 ARCHIVE 是否完好，并与当前实例比对各表行数和每个照片文件的 SHA-256。"""
    try:
        comparison = services.compare(archive)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    _report(comparison)


def _report(comparison: Comparison) -> None:
    """Print the comparison; exit 1 unless the instance and the archive are identical."""
    if comparison.identical:
        click.echo(f"核对一致：各表行数相同（共 {comparison.rows} 行），"
                   f"{comparison.photos} 个照片文件的 SHA-256 相同。")
        return
    click.echo("核对不一致：", err=True)
    for name, (archived, here) in list(comparison.tables.items())[:SHOWN]:
        click.echo(f"  表 {name}：备份 {_count(archived)}，当前 {_count(here)}", err=True)
    for label, items in (("当前实例缺少的照片文件", comparison.photos_missing),
                         ("内容与备份不同的照片文件", comparison.photos_changed),
                         ("备份中没有的照片文件", comparison.photos_extra)):
        if items:
            click.echo(f"  {label}（{len(items)} 个）：" + "、".join(items[:SHOWN])
                       + ("…" if len(items) > SHOWN else ""), err=True)
    raise SystemExit(1)


def _count(n: int | None) -> str:
    return "无此表" if n is None else f"{n} 行"
