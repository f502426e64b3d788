"""`flask photos sweep`: remove photo files that no record refers to."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from foodsafety.photos.sweep import sweep_orphan_files

photos_cli = AppGroup("photos", help="照片文件维护。")


@photos_cli.command("sweep")
@click.option("--min-age-minutes", type=int, default=60, show_default=True,
              help="只删除早于该分钟数、且没有任何记录引用的文件。")
def sweep_command(min_age_minutes: int) -> None:
    """Delete photo files left by an interrupted upload (no row refers to them)."""
    removed = sweep_orphan_files(current_app.config["PHOTO_DIR"],
                                 timedelta(minutes=max(min_age_minutes, 5)))
    click.echo(f"已清理 {removed} 个无记录引用的照片文件。")
