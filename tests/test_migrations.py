"""The schema comes from the migrations: upgrading an empty database yields exactly the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from config import TestConfig
from foodsafety import create_app
from foodsafety.extensions import db
from tests.database import database_url


def test_migrations_build_the_models_schema_and_downgrade_cleanly(tmp_path):
    url, drop = database_url(tmp_path)
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=tmp_path)
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(context, db.metadata)
            assert diff == [], f"models and migrations differ — run `flask db migrate`: {diff}"
            downgrade(revision="base")
            upgrade()
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
