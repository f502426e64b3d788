"""statistics summaries: per-county dated changes of every additive figure, kept by the write path (stats_summaries), each unit's part of them (stats_unit_figures) and whether they are built (stats_summary_state)

Revision ID: e5a1c0d9b7f3
Revises: c26ad424eb4a
Create Date: 2026-12-01 01:00:00

A database that already holds units gets its summaries marked not built: the tables are computed
from the records until `flask stats rebuild-summaries` has run.
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = 'e5a1c0d9b7f3'
down_revision = 'c26ad424eb4a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stats_summaries',
    sa.Column('level', sa.String(length=1), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=12), nullable=False),
    sa.Column('measure', sa.String(length=40), nullable=False),
    sa.Column('shard', sa.SmallInteger(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('level', 'day', 'jurisdiction_code', 'measure', 'shard', name='pk_stats_summaries'),
    sqlite_with_rowid=False
    )
    op.create_table('stats_unit_figures',
    sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('entries', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_stats_unit_figures'))
    )
    state = op.create_table('stats_summary_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('built', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_summary_state'))
    )
    empty = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM units")).scalar() == 0
    op.bulk_insert(state, [{
        "id": 1, "built": empty, "changed_at": datetime.now(timezone.utc).replace(tzinfo=None),
        "note": "新建数据库" if empty else "迁移时已有数据，请运行 flask stats rebuild-summaries"}])


def downgrade():
    op.drop_table('stats_summary_state')
    op.drop_table('stats_unit_figures')
    op.drop_table('stats_summaries')
