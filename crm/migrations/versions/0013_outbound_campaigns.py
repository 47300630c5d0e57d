"""outbound campaigns, call lists and do-not-call lists

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 00:01:47

Campaigns (their settings one validated JSON document), the call lists imported for them with
their contacts and each contact's numbers in E.164 (indexed, for the duplicate and do-not-call
checks), and the do-not-call lists: contact-center-wide (no campaign) or per campaign.
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('dialing_mode', sa.String(length=12), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign')),
    sa.UniqueConstraint('name', name=op.f('uq_campaign_name'))
    )
    op.create_table('call_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('source', sa.JSON(), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_call_list_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['imported_by_id'], ['app_user.id'], name=op.f('fk_call_list_imported_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_list'))
    )
    with op.batch_alter_table('call_list', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_list_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('do_not_call',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('e164', sa.String(length=20), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['added_by_id'], ['app_user.id'], name=op.f('fk_do_not_call_added_by_id_app_user')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_do_not_call_campaign_id_campaign')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_do_not_call'))
    )
    with op.batch_alter_table('do_not_call', schema=None) as batch_op:
        batch_op.create_index('ix_do_not_call_e164', ['e164', 'campaign_id'], unique=False)

    op.create_table('call_list_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_list_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=250), nullable=False),
    sa.Column('customer_no', sa.String(length=40), nullable=True),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['call_list_id'], ['call_list.id'], name=op.f('fk_call_list_contact_call_list_id_call_list')),
    sa.ForeignKeyConstraint(['partner_id'], ['business_partner.id'], name=op.f('fk_call_list_contact_partner_id_business_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_list_contact'))
    )
    with op.batch_alter_table('call_list_contact', schema=None) as batch_op:
        batch_op.create_index('ix_call_list_contact_list_state', ['call_list_id', 'state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_list_contact_partner_id'), ['partner_id'], unique=False)

    op.create_table('call_list_number',
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('preference', sa.Integer(), nullable=False),
    sa.Column('call_list_id', sa.Integer(), nullable=False),
    sa.Column('e164', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['call_list_id'], ['call_list.id'], name=op.f('fk_call_list_number_call_list_id_call_list')),
    sa.ForeignKeyConstraint(['contact_id'], ['call_list_contact.id'], name=op.f('fk_call_list_number_contact_id_call_list_contact')),
    sa.PrimaryKeyConstraint('contact_id', 'preference', name=op.f('pk_call_list_number'))
    )
    with op.batch_alter_table('call_list_number', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_list_number_call_list_id'), ['call_list_id'], unique=False)
        batch_op.create_index('ix_call_list_number_e164', ['e164'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('call_list_number', schema=None) as batch_op:
        batch_op.drop_index('ix_call_list_number_e164')
        batch_op.drop_index(batch_op.f('ix_call_list_number_call_list_id'))

    op.drop_table('call_list_number')
    with op.batch_alter_table('call_list_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_list_contact_partner_id'))
        batch_op.drop_index('ix_call_list_contact_list_state')

    op.drop_table('call_list_contact')
    with op.batch_alter_table('do_not_call', schema=None) as batch_op:
        batch_op.drop_index('ix_do_not_call_e164')

    op.drop_table('do_not_call')
    with op.batch_alter_table('call_list', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_list_campaign_id'))

    op.drop_table('call_list')
    op.drop_table('campaign')
