"""call scripts: a run stays linked to the records it was handed over from

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 11:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('script_run_segment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('interaction_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['interaction_id'], ['interaction.id'], name=op.f('fk_script_run_segment_interaction_id_interaction')),
    sa.ForeignKeyConstraint(['run_id'], ['script_run.id'], name=op.f('fk_script_run_segment_run_id_script_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_script_run_segment')),
    sa.UniqueConstraint('run_id', 'interaction_id', name=op.f('uq_script_run_segment_run_id'))
    )
    op.create_index(op.f('ix_script_run_segment_interaction_id'), 'script_run_segment', ['interaction_id'], unique=False)
    op.create_index(op.f('ix_script_run_segment_run_id'), 'script_run_segment', ['run_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_script_run_segment_run_id'), table_name='script_run_segment')
    op.drop_index(op.f('ix_script_run_segment_interaction_id'), table_name='script_run_segment')
    op.drop_table('script_run_segment')
