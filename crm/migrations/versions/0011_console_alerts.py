"""the supervisors' console's alerts, kept with their start and end

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 18:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('queue', sa.String(length=80), nullable=True),
    sa.Column('agent', sa.String(length=80), nullable=True),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('worst', sa.Float(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_alert'))
    )
    op.create_index('ix_console_alert_scope_started', 'console_alert', ['scope', 'started_at'], unique=False)
    op.create_index(op.f('ix_console_alert_ended_at'), 'console_alert', ['ended_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_console_alert_ended_at'), table_name='console_alert')
    op.drop_index('ix_console_alert_scope_started', table_name='console_alert')
    op.drop_table('console_alert')
