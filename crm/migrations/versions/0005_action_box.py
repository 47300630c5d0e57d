"""action box: team callbacks and tasks, delivery addresses, the email outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 14:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: no table rebuild on SQLite, where a column may carry
    # its foreign key; elsewhere the key is added as a constraint.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE business_transaction ADD COLUMN team_id INTEGER REFERENCES org_unit (id)')
    else:
        op.add_column('business_transaction', sa.Column('team_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_business_transaction_team_id_org_unit'), 'business_transaction',
                              'org_unit', ['team_id'], ['id'])
    op.add_column('business_transaction', sa.Column('delivery_address', sa.Text(), nullable=True))
    op.create_index(op.f('ix_business_transaction_team_id'), 'business_transaction', ['team_id'], unique=False)

    op.create_table('outbound_email',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=250), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('interaction_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('sender', sa.String(length=254), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=250), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('in_reply_to', sa.String(length=250), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_outbound_email_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['interaction_id'], ['interaction.id'], name=op.f('fk_outbound_email_interaction_id_interaction')),
    sa.ForeignKeyConstraint(['partner_id'], ['business_partner.id'], name=op.f('fk_outbound_email_partner_id_business_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_email')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbound_email_message_id'))
    )
    op.create_index(op.f('ix_outbound_email_interaction_id'), 'outbound_email', ['interaction_id'], unique=False)
    op.create_index(op.f('ix_outbound_email_partner_id'), 'outbound_email', ['partner_id'], unique=False)
    op.create_index('ix_outbound_email_status', 'outbound_email', ['status', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbound_email_status', table_name='outbound_email')
    op.drop_index(op.f('ix_outbound_email_partner_id'), table_name='outbound_email')
    op.drop_index(op.f('ix_outbound_email_interaction_id'), table_name='outbound_email')
    op.drop_table('outbound_email')
    op.drop_index(op.f('ix_business_transaction_team_id'), table_name='business_transaction')
    if op.get_bind().dialect.name == 'sqlite':
        op.drop_column('business_transaction', 'delivery_address')
        with op.batch_alter_table('business_transaction') as batch:  # a column with a key: rebuilt
            batch.drop_column('team_id')
    else:
        op.drop_constraint(op.f('fk_business_transaction_team_id_org_unit'), 'business_transaction',
                           type_='foreignkey')
        op.drop_column('business_transaction', 'delivery_address')
        op.drop_column('business_transaction', 'team_id')
