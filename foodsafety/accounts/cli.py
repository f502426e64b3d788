"""`flask users …`: create accounts from the command line (the first admin of a province)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from foodsafety.accounts import services
from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.vocabulary import Role

users_cli = AppGroup("users", help="账户管理。")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True, help="显示名称")
@click.option("--role", type=click.Choice(Role.codes()), required=True)
@click.option("--jurisdiction", "jurisdiction_code", help="行政区划代码（学校账户可不填）")
@click.option("--school-id", type=int)
@click.password_option()
def create(username, display_name, role, jurisdiction_code, school_id, password):
    """Create a user."""
    try:
        user = services.create_user(None, {
            "username": username, "display_name": display_name, "role": role,
            "jurisdiction_code": jurisdiction_code, "school_id": school_id, "password": password})
    except ApiError as error:
        db.session.rollback()
        raise click.ClickException(f"{error.message} {error.errors}") from None
    db.session.commit()
    click.echo(f"已创建用户 {user.username}（{role}）。")
