"""photos: index uploads by account and time (the daily photo limit counts them per upload)

Revision ID: 4650736490c1
Revises: c4e1d2a9b7f3
Create Date: 2026-11-28 10:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '4650736490c1'
down_revision = 'c4e1d2a9b7f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.create_index('ix_photos_created_by_created_at', ['created_by_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_index('ix_photos_created_by_created_at')
