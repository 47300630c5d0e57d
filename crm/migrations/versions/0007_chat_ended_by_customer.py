"""when the customer ended a chat

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 07:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('conversation', sa.Column('customer_ended_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_column('customer_ended_at')
