"""integrity: case numbers unique per issuing jurisdiction, idempotent rectification reports (client id), order version for concurrent re-inspections

Revision ID: c7e2f4a91b30
Revises: c48f4f8528aa
Create Date: 2026-11-28 09:00:00.000000

"""
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7e2f4a91b30'
down_revision = 'c48f4f8528aa'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enforcement_cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_enforcement_cases_case_no'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_enforcement_cases_jurisdiction_code_case_no'),
                                          ['jurisdiction_code', 'case_no'])

    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    # Reports stored before this revision get an id of their own (the page sends one from now on).
    with op.batch_alter_table('rectification_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.String(length=36), nullable=True))
    reports = sa.table('rectification_reports', sa.column('id', sa.Integer()),
                       sa.column('client_id', sa.String(length=36)))
    connection = op.get_bind()
    for (report_id,) in connection.execute(sa.select(reports.c.id)).all():
        connection.execute(reports.update().where(reports.c.id == report_id)
                           .values(client_id=str(uuid.uuid4())))
    with op.batch_alter_table('rectification_reports', schema=None) as batch_op:
        batch_op.alter_column('client_id', existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_rectification_reports_client_id'), ['client_id'])


def downgrade():
    with op.batch_alter_table('rectification_reports', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_rectification_reports_client_id'), type_='unique')
        batch_op.drop_column('client_id')

    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.drop_column('version')

    # Fails if two jurisdictions have used the same case number since: resolve those first.
    with op.batch_alter_table('enforcement_cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_enforcement_cases_jurisdiction_code_case_no'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_enforcement_cases_case_no'), ['case_no'])
