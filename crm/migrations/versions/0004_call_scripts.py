"""call scripts: versioned script documents, and the runs agents make of them

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('call_script',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('active_version', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_script')),
    sa.UniqueConstraint('name', name=op.f('uq_call_script_name'))
    )
    op.create_table('call_script_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('script_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_call_script_version_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['script_id'], ['call_script.id'], name=op.f('fk_call_script_version_script_id_call_script')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_script_version')),
    sa.UniqueConstraint('script_id', 'version', name=op.f('uq_call_script_version_script_id'))
    )
    op.create_table('script_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_key', sa.String(length=40), nullable=False),
    sa.Column('script_version_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.String(length=64), nullable=True),
    sa.Column('interaction_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('last_node', sa.String(length=60), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['app_user.id'], name=op.f('fk_script_run_agent_id_app_user')),
    sa.ForeignKeyConstraint(['interaction_id'], ['interaction.id'], name=op.f('fk_script_run_interaction_id_interaction')),
    sa.ForeignKeyConstraint(['partner_id'], ['business_partner.id'], name=op.f('fk_script_run_partner_id_business_partner')),
    sa.ForeignKeyConstraint(['script_version_id'], ['call_script_version.id'], name=op.f('fk_script_run_script_version_id_call_script_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_script_run')),
    sa.UniqueConstraint('run_key', name=op.f('uq_script_run_run_key'))
    )
    op.create_index(op.f('ix_script_run_contact_id'), 'script_run', ['contact_id'], unique=False)
    op.create_index(op.f('ix_script_run_interaction_id'), 'script_run', ['interaction_id'], unique=False)
    op.create_index(op.f('ix_script_run_script_version_id'), 'script_run', ['script_version_id'], unique=False)
    op.create_table('script_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.String(length=60), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['script_run.id'], name=op.f('fk_script_answer_run_id_script_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_script_answer'))
    )
    op.create_index(op.f('ix_script_answer_run_id'), 'script_answer', ['run_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_script_answer_run_id'), table_name='script_answer')
    op.drop_table('script_answer')
    op.drop_index(op.f('ix_script_run_script_version_id'), table_name='script_run')
    op.drop_index(op.f('ix_script_run_interaction_id'), table_name='script_run')
    op.drop_index(op.f('ix_script_run_contact_id'), table_name='script_run')
    op.drop_table('script_run')
    op.drop_table('call_script_version')
    op.drop_table('call_script')
