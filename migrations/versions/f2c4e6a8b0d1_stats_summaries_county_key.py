"""statistics summaries keyed by (level, county, day, …): a node's table reads its counties' rows only

Revision ID: f2c4e6a8b0d1
Revises: e5a1c0d9b7f3
Create Date: 2026-12-01 05:00:00

The key was (level, day, county, …): a county's table read every county's rows of its dates and
kept its own (PostgreSQL, 2,600 units: 67 ms for a county; at national scale it grows with the
country). With the county before the day, each county of the subtree is one range of the key.
"""
import sqlalchemy as sa
from alembic import op

revision = 'f2c4e6a8b0d1'
down_revision = 'e5a1c0d9b7f3'
branch_labels = None
depends_on = None

NEW = ('level', 'jurisdiction_code', 'day', 'measure', 'shard')
OLD = ('level', 'day', 'jurisdiction_code', 'measure', 'shard')


def _rekey(columns):
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE stats_summaries DROP CONSTRAINT pk_stats_summaries, '
                   f'ADD CONSTRAINT pk_stats_summaries PRIMARY KEY ({", ".join(columns)})')
        return
    # SQLite cannot change a key: a new WITHOUT ROWID table, the rows copied over.
    op.create_table('stats_summaries_new',
    sa.Column('level', sa.String(length=1), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=12), nullable=False),
    sa.Column('measure', sa.String(length=40), nullable=False),
    sa.Column('shard', sa.SmallInteger(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint(*columns, name='pk_stats_summaries'),  # names are per table
    sqlite_with_rowid=False
    )
    op.execute('INSERT INTO stats_summaries_new (level, day, jurisdiction_code, measure, shard, value) '
               'SELECT level, day, jurisdiction_code, measure, shard, value FROM stats_summaries')
    op.drop_table('stats_summaries')
    op.rename_table('stats_summaries_new', 'stats_summaries')


def upgrade():
    _rekey(NEW)


def downgrade():
    _rekey(OLD)
