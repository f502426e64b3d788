"""record signatures: the operator's signature (PNG as sent) or refusal (拒签, with the inspectors' note) per inspection revision, immutable

Revision ID: c26ad424eb4a
Revises: b4f2a8c61d37
Create Date: 2026-11-30 18:40:25.054564

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c26ad424eb4a'
down_revision = 'b4f2a8c61d37'
branch_labels = None
depends_on = None

# The same guard the model attaches for create_all (foodsafety/records/models.py), written out
# here so that this revision does not change when the model does.
POSTGRES_GUARD = """
CREATE OR REPLACE FUNCTION record_signatures_guard() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'record_signatures are immutable';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER record_signatures_guard BEFORE UPDATE ON record_signatures
  FOR EACH ROW EXECUTE FUNCTION record_signatures_guard();
"""
SQLITE_GUARD = ("CREATE TRIGGER record_signatures_no_update BEFORE UPDATE ON record_signatures "
                "BEGIN SELECT RAISE(ABORT, 'record_signatures are immutable'); END")


def upgrade():
    op.create_table('record_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('signed', 'refused', name='signature_state', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('image', sa.LargeBinary(), nullable=True),
    sa.Column('image_sha256', sa.String(length=64), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('refusal_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(state = 'signed' AND image IS NOT NULL AND refusal_note IS NULL) OR (state = 'refused' AND image IS NULL AND refusal_note IS NOT NULL)", name=op.f('ck_record_signatures_signed_or_refused')),
    sa.ForeignKeyConstraint(['revision_id'], ['inspection_revisions.id'], name=op.f('fk_record_signatures_revision_id_inspection_revisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_signatures')),
    sa.UniqueConstraint('revision_id', name=op.f('uq_record_signatures_revision_id'))
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_GUARD)
    else:
        op.execute(SQLITE_GUARD)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS record_signatures_guard ON record_signatures")
        op.execute("DROP FUNCTION IF EXISTS record_signatures_guard()")
    op.drop_table('record_signatures')
