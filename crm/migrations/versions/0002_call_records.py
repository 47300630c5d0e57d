"""call records: interaction segments of a call, and the queue event log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX: SQLite needs no table rebuild, so an
    # interaction table of millions of rows upgrades in an instant.
    op.add_column('interaction', sa.Column('contact_id', sa.String(length=64), nullable=True))
    op.add_column('interaction', sa.Column('segment_no', sa.Integer(), nullable=True))
    op.add_column('interaction', sa.Column('offered_at', sa.DateTime(), nullable=True))
    op.add_column('interaction', sa.Column('end_cause', sa.String(length=20), nullable=True))
    op.create_index('uq_interaction_contact_segment', 'interaction', ['contact_id', 'segment_no'],
                    unique=True)

    op.create_table('queue_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('contact_id', sa.String(length=64), nullable=True),
    sa.Column('queue', sa.String(length=80), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['app_user.id'], name=op.f('fk_queue_event_agent_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_event'))
    )
    op.create_index(op.f('ix_queue_event_contact_id'), 'queue_event', ['contact_id'], unique=False)
    op.create_index('ix_queue_event_queue_at', 'queue_event', ['queue', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_queue_event_queue_at', table_name='queue_event')
    op.drop_index(op.f('ix_queue_event_contact_id'), table_name='queue_event')
    op.drop_table('queue_event')

    op.drop_index('uq_interaction_contact_segment', table_name='interaction')
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later): no rebuild of a
    # table other tables refer to.
    op.drop_column('interaction', 'end_cause')
    op.drop_column('interaction', 'offered_at')
    op.drop_column('interaction', 'segment_no')
    op.drop_column('interaction', 'contact_id')
