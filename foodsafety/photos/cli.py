"""`flask photos sweep`: remove photos whose inspection never arrived, and files no record
refers to (what the daily `photo_sweep` job does)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from foodsafety.extensions import db
from foodsafety.photos.sweep import remove_photos_without_inspection, sweep_orphan_files

photos_cli = AppGroup("photos", help="照片文件维护。")


@photos_cli.command("sweep")
@click.option("--min-age-minutes", type=int, default=60, show_default=True,
              help="只删除早于该分钟数、且没有任何记录引用的文件。")
@click.option("--orphan-days", type=int, default=None,
              help="删除上传超过该天数、检查记录仍未到达的照片（默认取 PHOTO_ORPHAN_DAYS）。")
def sweep_command(min_age_minutes: int, orphan_days: int | None) -> None:
    """Delete photos whose inspection never arrived, then files no row refers to."""
    days = current_app.config["PHOTO_ORPHAN_DAYS"] if orphan_days is None else max(orphan_days, 1)
    rows = remove_photos_without_inspection(timedelta(days=days))
    db.session.commit()  # rows first: a failure below leaves files without rows, never the reverse
    removed = sweep_orphan_files(current_app.config["PHOTO_DIR"],
                                 timedelta(minutes=max(min_age_minutes, 5)))
    click.echo(f"已删除 {rows} 张超过 {days} 天仍无检查记录的照片；"
               f"已清理 {removed} 个无记录引用的照片文件。")
