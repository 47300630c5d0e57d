"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 22:05:19.666645
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('number_range',
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('next_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_number_range'))
    )
    op.create_table('org_unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['org_unit.id'], name=op.f('fk_org_unit_parent_id_org_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_unit')),
    sa.UniqueConstraint('code', name=op.f('uq_org_unit_code'))
    )
    with op.batch_alter_table('org_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_unit_parent_id'), ['parent_id'], unique=False)

    op.create_table('product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_no', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=80), nullable=True),
    sa.Column('unit_price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product')),
    sa.UniqueConstraint('product_no', name=op.f('uq_product_product_no'))
    )
    op.create_table('search_term_variant',
    sa.Column('variant', sa.String(length=80).with_variant(sa.String(length=80, collation='C'), 'postgresql'), nullable=False),
    sa.Column('term', sa.String(length=80).with_variant(sa.String(length=80, collation='C'), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('variant', 'term', name=op.f('pk_search_term_variant')),
    sqlite_with_rowid=False
    )
    op.create_table('skill',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skill')),
    sa.UniqueConstraint('name', name=op.f('uq_skill_name'))
    )
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=True),
    sa.Column('extension', sa.String(length=80), nullable=True),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_app_user_org_unit_id_org_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_org_unit_id'), ['org_unit_id'], unique=False)

    op.create_table('business_partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_no', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=True),
    sa.Column('org_name', sa.String(length=200), nullable=True),
    sa.Column('name', sa.String(length=250), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=True),
    sa.Column('segment', sa.String(length=40), nullable=True),
    sa.Column('value_class', sa.String(length=10), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_business_partner_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], name=op.f('fk_business_partner_owner_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_business_partner')),
    sa.UniqueConstraint('partner_no', name=op.f('uq_business_partner_partner_no'))
    )
    with op.batch_alter_table('business_partner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_business_partner_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_business_partner_owner_id'), ['owner_id'], unique=False)

    op.create_table('user_skill',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['skill_id'], ['skill.id'], name=op.f('fk_user_skill_skill_id_skill')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_skill_user_id_app_user')),
    sa.PrimaryKeyConstraint('user_id', 'skill_id', name=op.f('pk_user_skill'))
    )
    op.create_table('address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('district', sa.String(length=100), nullable=True),
    sa.Column('street', sa.String(length=200), nullable=True),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('is_main', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['business_partner.id'], name=op.f('fk_address_partner_id_business_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_address'))
    )
    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_address_partner_id'), ['partner_id'], unique=False)

    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['business_partner.id'], name=op.f('fk_audit_entry_partner_id_business_partner')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_audit_entry_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_partner_id'), ['partner_id'], unique=False)

    op.create_table('email_address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('address_lower', sa.String(length=254), nullable=False),
    sa.Column('is_main', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['business_partner.id'], name=op.f('fk_email_address_partner_id_business_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_address'))
    )
    with op.batch_alter_table('email_address', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_address_address_lower'), ['address_lower'], unique=False)
        batch_op.create_index(batch_op.f('ix_email_address_partner_id'), ['partner_id'], unique=False)

    op.create_table('installed_base_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('serial_no', sa.String(length=80), nullable=True),
    sa.Column('installed_on', sa.Date(), nullable=True),
    sa.Column('warranty_end', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['business_partner.id'], name=op.f('fk_installed_base_item_partner_id_business_partner')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_installed_base_item_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_installed_base_item'))
    )
    with op.batch_alter_table('installed_base_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_installed_base_item_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_installed_base_item_serial_no'), ['serial_no'], unique=False)

    op.create_table('interaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('queue', sa.String(length=80), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('contact_person_id', sa.Integer(), nullable=True),
    sa.Column('ani', sa.String(length=254), nullable=True),
    sa.Column('dnis', sa.String(length=254), nullable=True),
    sa.Column('subject', sa.String(length=250), nullable=True),
    sa.Column('external_id', sa.String(length=250), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('wait_seconds', sa.Integer(), nullable=False),
    sa.Column('talk_seconds', sa.Integer(), nullable=False),
    sa.Column('hold_seconds', sa.Integer(), nullable=False),
    sa.Column('wrapup_seconds', sa.Integer(), nullable=False),
    sa.Column('reason_code', sa.String(length=40), nullable=True),
    sa.Column('outcome_code', sa.String(length=40), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['app_user.id'], name=op.f('fk_interaction_agent_id_app_user')),
    sa.ForeignKeyConstraint(['contact_person_id'], ['business_partner.id'], name=op.f('fk_interaction_contact_person_id_business_partner')),
    sa.ForeignKeyConstraint(['partner_id'], ['business_partner.id'], name=op.f('fk_interaction_partner_id_business_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interaction'))
    )
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.create_index('ix_interaction_agent_started', ['agent_id', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_interaction_external_id'), ['external_id'], unique=False)
        batch_op.create_index('ix_interaction_partner_started', ['partner_id', 'started_at'], unique=False)

    op.create_table('ownership_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['by_user_id'], ['app_user.id'], name=op.f('fk_ownership_record_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], name=op.f('fk_ownership_record_owner_id_app_user')),
    sa.ForeignKeyConstraint(['partner_id'], ['business_partner.id'], name=op.f('fk_ownership_record_partner_id_business_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ownership_record'))
    )
    with op.batch_alter_table('ownership_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ownership_record_partner_id'), ['partner_id'], unique=False)

    op.create_table('partner_attribute',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.String(length=400), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['business_partner.id'], name=op.f('fk_partner_attribute_partner_id_business_partner')),
    sa.PrimaryKeyConstraint('partner_id', 'key', name=op.f('pk_partner_attribute'))
    )
    op.create_table('partner_relationship',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('related_partner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('function', sa.String(length=100), nullable=True),
    sa.Column('department', sa.String(length=100), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['business_partner.id'], name=op.f('fk_partner_relationship_partner_id_business_partner')),
    sa.ForeignKeyConstraint(['related_partner_id'], ['business_partner.id'], name=op.f('fk_partner_relationship_related_partner_id_business_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_relationship'))
    )
    with op.batch_alter_table('partner_relationship', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_relationship_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_relationship_related_partner_id'), ['related_partner_id'], unique=False)

    op.create_table('partner_role',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['business_partner.id'], name=op.f('fk_partner_role_partner_id_business_partner')),
    sa.PrimaryKeyConstraint('partner_id', 'role', name=op.f('pk_partner_role'))
    )
    op.create_table('partner_share',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('shared_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['business_partner.id'], name=op.f('fk_partner_share_partner_id_business_partner')),
    sa.ForeignKeyConstraint(['shared_by_id'], ['app_user.id'], name=op.f('fk_partner_share_shared_by_id_app_user')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_partner_share_user_id_app_user')),
    sa.PrimaryKeyConstraint('partner_id', 'user_id', name=op.f('pk_partner_share'))
    )
    with op.batch_alter_table('partner_share', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_share_user_id'), ['user_id'], unique=False)

    op.create_table('phone_number',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('raw', sa.String(length=60), nullable=False),
    sa.Column('e164', sa.String(length=20), nullable=True),
    sa.Column('digits', sa.String(length=40), nullable=False),
    sa.Column('is_valid', sa.Boolean(), nullable=False),
    sa.Column('is_main', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['business_partner.id'], name=op.f('fk_phone_number_partner_id_business_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_number'))
    )
    with op.batch_alter_table('phone_number', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_number_digits'), ['digits'], unique=False)
        batch_op.create_index(batch_op.f('ix_phone_number_e164'), ['e164'], unique=False)
        batch_op.create_index(batch_op.f('ix_phone_number_partner_id'), ['partner_id'], unique=False)

    op.create_table('search_token',
    sa.Column('token', sa.String(length=80).with_variant(sa.String(length=80, collation='C'), 'postgresql'), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['business_partner.id'], name=op.f('fk_search_token_partner_id_business_partner')),
    sa.PrimaryKeyConstraint('token', 'partner_id', 'field', name=op.f('pk_search_token')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('search_token', schema=None) as batch_op:
        batch_op.create_index('ix_search_token_partner_id', ['partner_id'], unique=False)

    op.create_table('business_transaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('contact_person_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('priority', sa.String(length=10), nullable=True),
    sa.Column('category', sa.String(length=60), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('installed_base_item_id', sa.Integer(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('reference_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('callback_phone', sa.String(length=60), nullable=True),
    sa.Column('window_start', sa.DateTime(), nullable=True),
    sa.Column('window_end', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['contact_person_id'], ['business_partner.id'], name=op.f('fk_business_transaction_contact_person_id_business_partner')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_business_transaction_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['installed_base_item_id'], ['installed_base_item.id'], name=op.f('fk_business_transaction_installed_base_item_id_installed_base_item')),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], name=op.f('fk_business_transaction_owner_id_app_user')),
    sa.ForeignKeyConstraint(['partner_id'], ['business_partner.id'], name=op.f('fk_business_transaction_partner_id_business_partner')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_business_transaction_product_id_product')),
    sa.ForeignKeyConstraint(['reference_id'], ['business_transaction.id'], name=op.f('fk_business_transaction_reference_id_business_transaction')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_business_transaction')),
    sa.UniqueConstraint('number', name=op.f('uq_business_transaction_number'))
    )
    with op.batch_alter_table('business_transaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_business_transaction_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_business_transaction_partner_status', ['partner_id', 'status'], unique=False)

    op.create_table('interaction_link',
    sa.Column('interaction_id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('link', sa.String(length=10), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['interaction_id'], ['interaction.id'], name=op.f('fk_interaction_link_interaction_id_interaction')),
    sa.ForeignKeyConstraint(['transaction_id'], ['business_transaction.id'], name=op.f('fk_interaction_link_transaction_id_business_transaction')),
    sa.PrimaryKeyConstraint('interaction_id', 'transaction_id', 'link', name=op.f('pk_interaction_link'))
    )
    with op.batch_alter_table('interaction_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interaction_link_transaction_id'), ['transaction_id'], unique=False)

    op.create_table('transaction_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_transaction_item_product_id_product')),
    sa.ForeignKeyConstraint(['transaction_id'], ['business_transaction.id'], name=op.f('fk_transaction_item_transaction_id_business_transaction')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transaction_item'))
    )
    with op.batch_alter_table('transaction_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transaction_item_transaction_id'), ['transaction_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('transaction_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transaction_item_transaction_id'))

    op.drop_table('transaction_item')
    with op.batch_alter_table('interaction_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interaction_link_transaction_id'))

    op.drop_table('interaction_link')
    with op.batch_alter_table('business_transaction', schema=None) as batch_op:
        batch_op.drop_index('ix_business_transaction_partner_status')
        batch_op.drop_index(batch_op.f('ix_business_transaction_owner_id'))

    op.drop_table('business_transaction')
    with op.batch_alter_table('search_token', schema=None) as batch_op:
        batch_op.drop_index('ix_search_token_partner_id')

    op.drop_table('search_token')
    with op.batch_alter_table('phone_number', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_number_partner_id'))
        batch_op.drop_index(batch_op.f('ix_phone_number_e164'))
        batch_op.drop_index(batch_op.f('ix_phone_number_digits'))

    op.drop_table('phone_number')
    with op.batch_alter_table('partner_share', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_share_user_id'))

    op.drop_table('partner_share')
    op.drop_table('partner_role')
    with op.batch_alter_table('partner_relationship', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_relationship_related_partner_id'))
        batch_op.drop_index(batch_op.f('ix_partner_relationship_partner_id'))

    op.drop_table('partner_relationship')
    op.drop_table('partner_attribute')
    with op.batch_alter_table('ownership_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ownership_record_partner_id'))

    op.drop_table('ownership_record')
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.drop_index('ix_interaction_partner_started')
        batch_op.drop_index(batch_op.f('ix_interaction_external_id'))
        batch_op.drop_index('ix_interaction_agent_started')

    op.drop_table('interaction')
    with op.batch_alter_table('installed_base_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_installed_base_item_serial_no'))
        batch_op.drop_index(batch_op.f('ix_installed_base_item_partner_id'))

    op.drop_table('installed_base_item')
    with op.batch_alter_table('email_address', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_address_partner_id'))
        batch_op.drop_index(batch_op.f('ix_email_address_address_lower'))

    op.drop_table('email_address')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_partner_id'))

    op.drop_table('audit_entry')
    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_address_partner_id'))

    op.drop_table('address')
    op.drop_table('user_skill')
    with op.batch_alter_table('business_partner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_business_partner_owner_id'))
        batch_op.drop_index(batch_op.f('ix_business_partner_name'))

    op.drop_table('business_partner')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_org_unit_id'))

    op.drop_table('app_user')
    op.drop_table('skill')
    op.drop_table('search_term_variant')
    op.drop_table('product')
    with op.batch_alter_table('org_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_unit_parent_id'))

    op.drop_table('org_unit')
    op.drop_table('number_range')
