"""`flask audit purge`: delete entries past the retention period (at least 180 days)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from foodsafety.audit.models import RETENTION_DAYS
from foodsafety.audit.services import purge
from foodsafety.extensions import db

audit_cli = AppGroup("audit", help="审计日志维护。")


@audit_cli.command("purge")
@click.option("--older-than-days", type=int, default=RETENTION_DAYS, show_default=True,
              help=f"删除早于该天数的记录（不少于 {RETENTION_DAYS} 天）。")
def purge_command(older_than_days: int) -> None:
    """Delete audit entries older than the retention period; younger ones are always kept."""
    if older_than_days < RETENTION_DAYS:
        raise click.BadParameter(f"审计日志至少保留 {RETENTION_DAYS} 天。")
    removed = purge(older_than_days)
    db.session.commit()
    click.echo(f"已删除 {removed} 条早于 {older_than_days} 天的审计记录。")
