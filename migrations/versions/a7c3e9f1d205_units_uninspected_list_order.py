"""units: an index in the order the list of units not inspected reads (county, kind, name), its
columns included, so the country's list walks it and stops at the list's limit

Revision ID: a7c3e9f1d205
Revises: f2c4e6a8b0d1
Create Date: 2026-12-01 14:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c3e9f1d205'
down_revision = 'f2c4e6a8b0d1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index('ix_units_jurisdiction_kind_name_id',
                              ['jurisdiction_code', 'kind', 'name', 'id'], unique=False,
                              postgresql_include=['licence_no'])


def downgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index('ix_units_jurisdiction_kind_name_id')
