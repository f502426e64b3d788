"""units.licence_revoked_on: a licence's revocation recorded on the unit, so licence validity reads one column

Revision ID: 9b1d7e3f5a20
Revises: 4650736490c1
Create Date: 2026-11-30 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9b1d7e3f5a20'
down_revision = '4650736490c1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('licence_revoked_on', sa.Date(), nullable=True))
    # The earliest revocation any case of the unit recorded.
    op.execute("""
        UPDATE units SET licence_revoked_on = (
            SELECT MIN(c.licence_revoked_on) FROM enforcement_cases c WHERE c.unit_id = units.id)
    """)


def downgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('licence_revoked_on')
