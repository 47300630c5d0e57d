"""the gateway's record spool: how far it is written

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('record_spool_progress',
    sa.Column('spool_id', sa.String(length=40), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('spool_id', name=op.f('pk_record_spool_progress'))
    )


def downgrade() -> None:
    op.drop_table('record_spool_progress')
