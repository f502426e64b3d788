"""phone: order number series and blocks, 执法证号 on accounts, on-site unit registration ids, 当场整改

Revision ID: e5a7c3d9b214
Revises: e3a1c9d27b64
Create Date: 2026-11-30 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a7c3d9b214'
down_revision = 'e3a1c9d27b64'
branch_labels = None
depends_on = None

HANDLINGS_BEFORE = "handling IN ('pass', 'rectify', 'stop')"
HANDLINGS_AFTER = "handling IN ('pass', 'on_site', 'rectify', 'stop')"


def upgrade():
    op.create_table('order_number_series',
    sa.Column('jurisdiction_code', sa.String(length=6), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('next_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_code'], ['jurisdictions.code'], name=op.f('fk_order_number_series_jurisdiction_code_jurisdictions')),
    sa.PrimaryKeyConstraint('jurisdiction_code', 'year', name=op.f('pk_order_number_series'))
    )
    op.create_table('order_number_blocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=6), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=32), nullable=False),
    sa.Column('first', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('reserved_by_id', sa.Integer(), nullable=False),
    sa.Column('reserved_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_code'], ['jurisdictions.code'], name=op.f('fk_order_number_blocks_jurisdiction_code_jurisdictions')),
    sa.ForeignKeyConstraint(['reserved_by_id'], ['users.id'], name=op.f('fk_order_number_blocks_reserved_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_number_blocks'))
    )
    with op.batch_alter_table('order_number_blocks', schema=None) as batch_op:
        batch_op.create_index('ix_order_number_blocks_series', ['jurisdiction_code', 'year', 'first'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_number_blocks_device_id'), ['device_id'], unique=False)
    # Numbers already typed this year stay taken: each series starts after its jurisdiction's orders.
    op.execute("""
        INSERT INTO order_number_series (jurisdiction_code, year, next_seq)
        SELECT jurisdiction_code, CAST(strftime('%Y', issued_on) AS INTEGER), COUNT(*) + 1
        FROM rectification_orders GROUP BY 1, 2
    """ if op.get_context().dialect.name == "sqlite" else """
        INSERT INTO order_number_series (jurisdiction_code, year, next_seq)
        SELECT jurisdiction_code, CAST(EXTRACT(YEAR FROM issued_on) AS INTEGER), COUNT(*) + 1
        FROM rectification_orders GROUP BY 1, 2
    """)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('badge_no', sa.String(length=32), nullable=True))

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_units_client_id'), ['client_id'])

    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_inspections_inspection_handling'), type_='check')
        batch_op.create_check_constraint('inspection_handling', HANDLINGS_AFTER)


def downgrade():
    op.execute("UPDATE inspections SET handling = 'rectify' WHERE handling = 'on_site'")
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_inspections_inspection_handling'), type_='check')
        batch_op.create_check_constraint('inspection_handling', HANDLINGS_BEFORE)

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_units_client_id'), type_='unique')
        batch_op.drop_column('client_id')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('badge_no')

    with op.batch_alter_table('order_number_blocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_number_blocks_device_id'))
        batch_op.drop_index('ix_order_number_blocks_series')

    op.drop_table('order_number_blocks')
    op.drop_table('order_number_series')
