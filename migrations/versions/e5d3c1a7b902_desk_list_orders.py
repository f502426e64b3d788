"""desk lists: indexes in the other orders the desk sorts by (orders by issue date, live inspections by problems found)

Revision ID: e5d3c1a7b902
Revises: e5a7c3d9b214
Create Date: 2026-11-30 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5d3c1a7b902'
down_revision = 'e5a7c3d9b214'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_issued_id', ['issued_on', 'id'], unique=False)
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index('ix_inspections_live_problems', ['problems_found', 'id'], unique=False,
                              sqlite_where=sa.text('deleted_at IS NULL'),
                              postgresql_where=sa.text('deleted_at IS NULL'))


def downgrade():
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index('ix_inspections_live_problems', sqlite_where=sa.text('deleted_at IS NULL'),
                            postgresql_where=sa.text('deleted_at IS NULL'))
    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_issued_id')
