"""inspections.verify_token: the random key of the printed record's QR code (public verification page)

Revision ID: b4f2a8c61d37
Revises: e5d3c1a7b902
Create Date: 2026-11-30 16:00:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4f2a8c61d37'
down_revision = 'e5d3c1a7b902'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verify_token', sa.String(length=32), nullable=True))
    # Every existing inspection gets its own random token (128 bits), as new ones do.
    bind = op.get_bind()
    table = sa.table('inspections', sa.column('id', sa.Integer), sa.column('verify_token', sa.String))
    for (row_id,) in bind.execute(sa.select(table.c.id)).all():
        bind.execute(table.update().where(table.c.id == row_id)
                     .values(verify_token=secrets.token_urlsafe(16)))
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.alter_column('verify_token', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_inspections_verify_token'), ['verify_token'])


def downgrade():
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_inspections_verify_token'), type_='unique')
        batch_op.drop_column('verify_token')
