"""list cursors, statistics data versions, request leases: indexes in each big list's order, a sharded counter of writes the statistics read, and per-account slots for expensive requests

Revision ID: c4e1d2a9b7f3
Revises: c7e2f4a91b30
Create Date: 2026-11-30 11:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e1d2a9b7f3'
down_revision = 'c7e2f4a91b30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stats_data_versions',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('bucket', sa.String(length=8), nullable=False),
        sa.Column('shard', sa.SmallInteger(), nullable=False),
        sa.Column('changes', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_data_versions')),
        sa.UniqueConstraint('bucket', 'shard', name=op.f('uq_stats_data_versions_bucket_shard')),
        sqlite_autoincrement=True,
    )
    op.create_table(
        'request_leases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('slot', sa.SmallInteger(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('acquired_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_request_leases_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_request_leases')),
        sa.UniqueConstraint('user_id', 'slot', name=op.f('uq_request_leases_user_id_slot')),
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index('ix_inspections_live_started', ['started_at', 'id'], unique=False,
                              sqlite_where=sa.text('deleted_at IS NULL'),
                              postgresql_where=sa.text('deleted_at IS NULL'))
    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_deadline_id', ['deadline', 'id'], unique=False)
    with op.batch_alter_table('enforcement_cases', schema=None) as batch_op:
        batch_op.create_index('ix_enforcement_cases_filed_id', ['filed_on', 'id'], unique=False)
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index('ix_units_jurisdiction_name_id', ['jurisdiction_code', 'name', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index('ix_units_jurisdiction_name_id')
    with op.batch_alter_table('enforcement_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_enforcement_cases_filed_id')
    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_deadline_id')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index('ix_inspections_live_started', sqlite_where=sa.text('deleted_at IS NULL'),
                            postgresql_where=sa.text('deleted_at IS NULL'))
    op.drop_table('request_leases')
    op.drop_table('stats_data_versions')
