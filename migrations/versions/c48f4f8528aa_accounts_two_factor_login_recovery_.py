"""accounts: two-factor login, recovery codes, password history, two-factor policies, session client address, auditor role

Also: user names become case-insensitive (stored lower-case; two names that differ only in case
must be merged by hand before upgrading), and the login throttle drops its lock column (an
attempt is now counted before it is checked, and the window itself is the lock).

Revision ID: c48f4f8528aa
Revises: 1a1c5c3824e7
Create Date: 2026-11-30 10:43:24.904410

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c48f4f8528aa'
down_revision = '1a1c5c3824e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('pending_secret', sa.String(length=64), nullable=True),
    sa.Column('client_ip', sa.String(length=45), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_challenges_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_challenges')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_challenges_token_hash'))
    )
    with op.batch_alter_table('login_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_challenges_user_id'), ['user_id'], unique=False)

    op.create_table('password_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_history_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_history'))
    )
    with op.batch_alter_table('password_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_history_user_id'), ['user_id'], unique=False)

    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes'))
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)

    op.create_table('two_factor_policies',
    sa.Column('jurisdiction_code', sa.String(length=6), nullable=False),
    sa.Column('role', sa.Enum('inspector', 'bureau', 'school', 'admin', 'auditor', name='two_factor_role', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_two_factor_policies_created_by_id_users')),
    sa.ForeignKeyConstraint(['jurisdiction_code'], ['jurisdictions.code'], name=op.f('fk_two_factor_policies_jurisdiction_code_jurisdictions')),
    sa.PrimaryKeyConstraint('jurisdiction_code', 'role', name=op.f('pk_two_factor_policies'))
    )
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_ip', sa.String(length=45), nullable=True))

    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_column('locked_until')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_users_user_role'), type_='check')
        batch_op.create_check_constraint('user_role', sa.column('role').in_(ROLES + ('auditor',)))

    op.execute("UPDATE users SET username = lower(username) WHERE username <> lower(username)")


ROLES = ('inspector', 'bureau', 'school', 'admin')


def downgrade():
    # Fails while auditor accounts exist: they have no place in the older schema.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_user_role'), type_='check')
        batch_op.create_check_constraint('user_role', sa.column('role').in_(ROLES))
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')

    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))

    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_column('client_ip')

    op.drop_table('two_factor_policies')
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))

    op.drop_table('recovery_codes')
    with op.batch_alter_table('password_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_history_user_id'))

    op.drop_table('password_history')
    with op.batch_alter_table('login_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_challenges_user_id'))

    op.drop_table('login_challenges')
