"""mail and chat conversations

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 03:27:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('raw_email',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('via', sa.String(length=10), nullable=False),
    sa.Column('mailbox', sa.String(length=254), nullable=False),
    sa.Column('envelope_from', sa.String(length=254), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('source', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_raw_email'))
    )
    op.create_index(op.f('ix_raw_email_sha256'), 'raw_email', ['sha256'], unique=False)
    op.create_table('conversation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('mailbox', sa.String(length=254), nullable=False),
    sa.Column('queue', sa.String(length=80), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('interaction_id', sa.Integer(), nullable=True),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('customer_name', sa.String(length=200), nullable=False),
    sa.Column('customer_address', sa.String(length=254), nullable=True),
    sa.Column('customer_phone', sa.String(length=40), nullable=True),
    sa.Column('subject', sa.String(length=250), nullable=False),
    sa.Column('thread_key', sa.String(length=300), nullable=True),
    sa.Column('language', sa.String(length=10), nullable=True),
    sa.Column('chat_token', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_message_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('first_response_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['app_user.id'], name=op.f('fk_conversation_assigned_to_id_app_user')),
    sa.ForeignKeyConstraint(['interaction_id'], ['interaction.id'], name=op.f('fk_conversation_interaction_id_interaction')),
    sa.ForeignKeyConstraint(['partner_id'], ['business_partner.id'], name=op.f('fk_conversation_partner_id_business_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation')),
    sa.UniqueConstraint('chat_token', name=op.f('uq_conversation_chat_token'))
    )
    op.create_index(op.f('ix_conversation_assigned_to_id'), 'conversation', ['assigned_to_id'], unique=False)
    op.create_index(op.f('ix_conversation_customer_address'), 'conversation', ['customer_address'], unique=False)
    op.create_index(op.f('ix_conversation_partner_id'), 'conversation', ['partner_id'], unique=False)
    op.create_index('ix_conversation_queue_status', 'conversation', ['queue', 'status', 'priority', 'created_at'], unique=False)
    op.create_index('ix_conversation_thread', 'conversation', ['thread_key', 'last_message_at'], unique=False)
    op.create_table('conversation_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=200), nullable=False),
    sa.Column('message_id', sa.String(length=250), nullable=True),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('in_reply_to', sa.String(length=250), nullable=True),
    sa.Column('reference_ids', sa.Text(), nullable=True),
    sa.Column('sender', sa.String(length=254), nullable=True),
    sa.Column('recipients', sa.Text(), nullable=True),
    sa.Column('subject', sa.String(length=250), nullable=True),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('has_remote_images', sa.Boolean(), nullable=False),
    sa.Column('defects', sa.Text(), nullable=True),
    sa.Column('raw_email_id', sa.Integer(), nullable=True),
    sa.Column('outbound_email_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], name=op.f('fk_conversation_message_author_id_app_user')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_conversation_message_conversation_id_conversation')),
    sa.ForeignKeyConstraint(['outbound_email_id'], ['outbound_email.id'], name=op.f('fk_conversation_message_outbound_email_id_outbound_email')),
    sa.ForeignKeyConstraint(['raw_email_id'], ['raw_email.id'], name=op.f('fk_conversation_message_raw_email_id_raw_email')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_message')),
    sa.UniqueConstraint('message_id', name=op.f('uq_conversation_message_message_id'))
    )
    op.create_index(op.f('ix_conversation_message_conversation_id'), 'conversation_message', ['conversation_id'], unique=False)
    op.create_index(op.f('ix_conversation_message_outbound_email_id'), 'conversation_message', ['outbound_email_id'], unique=False)
    op.create_index('uq_conversation_message_client', 'conversation_message', ['conversation_id', 'client_id'], unique=True)
    op.create_table('message_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_id', sa.String(length=250), nullable=True),
    sa.Column('inline', sa.Boolean(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['conversation_message.id'], name=op.f('fk_message_attachment_message_id_conversation_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_attachment'))
    )
    op.create_index(op.f('ix_message_attachment_message_id'), 'message_attachment', ['message_id'], unique=False)
    op.add_column('outbound_email', sa.Column('cc', sa.Text(), nullable=True))
    op.add_column('outbound_email', sa.Column('reference_ids', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('outbound_email', 'reference_ids')
    op.drop_column('outbound_email', 'cc')
    op.drop_index(op.f('ix_message_attachment_message_id'), table_name='message_attachment')
    op.drop_table('message_attachment')
    op.drop_index('uq_conversation_message_client', table_name='conversation_message')
    op.drop_index(op.f('ix_conversation_message_outbound_email_id'), table_name='conversation_message')
    op.drop_index(op.f('ix_conversation_message_conversation_id'), table_name='conversation_message')
    op.drop_table('conversation_message')
    op.drop_index('ix_conversation_thread', table_name='conversation')
    op.drop_index('ix_conversation_queue_status', table_name='conversation')
    op.drop_index(op.f('ix_conversation_partner_id'), table_name='conversation')
    op.drop_index(op.f('ix_conversation_customer_address'), table_name='conversation')
    op.drop_index(op.f('ix_conversation_assigned_to_id'), table_name='conversation')
    op.drop_table('conversation')
    op.drop_index(op.f('ix_raw_email_sha256'), table_name='raw_email')
    op.drop_table('raw_email')
