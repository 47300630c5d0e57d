"""profile settings: IC profile settings on org units and users

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('profile_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.CheckConstraint('(org_unit_id IS NULL) <> (user_id IS NULL)',
                       name=op.f('ck_profile_setting_one_level')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_profile_setting_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_profile_setting_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_setting'))
    )
    # A row sets a key either on an org unit or on a user: each index holds
    # NULL for the rows of the other level, which never collide.
    op.create_index('uq_profile_setting_org_unit_key', 'profile_setting', ['org_unit_id', 'key'],
                    unique=True)
    op.create_index('uq_profile_setting_user_key', 'profile_setting', ['user_id', 'key'],
                    unique=True)


def downgrade() -> None:
    op.drop_index('uq_profile_setting_user_key', table_name='profile_setting')
    op.drop_index('uq_profile_setting_org_unit_key', table_name='profile_setting')
    op.drop_table('profile_setting')
