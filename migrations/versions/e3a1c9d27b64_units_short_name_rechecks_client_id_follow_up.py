"""units.short_name (searched on the phone); rechecks.client_id (a re-inspection from the outbox counts once) and the follow-up deadline it set

Revision ID: e3a1c9d27b64
Revises: 9b1d7e3f5a20
Create Date: 2026-11-30 14:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3a1c9d27b64'
down_revision = '9b1d7e3f5a20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_name', sa.String(length=64), nullable=True))
    with op.batch_alter_table('rechecks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('previous_deadline', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('new_deadline', sa.Date(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_rechecks_client_id'), ['client_id'])


def downgrade():
    with op.batch_alter_table('rechecks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_rechecks_client_id'), type_='unique')
        batch_op.drop_column('new_deadline')
        batch_op.drop_column('previous_deadline')
        batch_op.drop_column('client_id')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('short_name')
