"""one event log of contacts and agents' time (event_log), with the queue events copied in

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 09:00:00

Every queue_event row becomes an event_log row with the key "queue_event:<its id>" (so that
copying again adds nothing), its kind renamed where the log names it otherwise (login:
logged_in, logout: logged_out, agent_state: work_mode) and the channel of its contact (every
contact the gateway logged is a call). The copy goes by ranges of ids, one INSERT ... SELECT
each, so that no batch holds more than BATCH rows whatever the table's size. The queue_event
table is then dropped: nothing reads or writes it any more. The downgrade copies the log back.
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

BATCH = 20_000
RENAMED = {"login": "logged_in", "logout": "logged_out", "agent_state": "work_mode"}


def _database_utc_now():
    if op.get_bind().dialect.name == "postgresql":
        return sa.text("(now() AT TIME ZONE 'utc')")
    return sa.text("(strftime('%Y-%m-%d %H:%M:%f', 'now'))")


def _kind_case(column: str, names: dict[str, str]) -> str:
    whens = " ".join(f"WHEN '{old}' THEN '{new}'" for old, new in names.items())
    return f"CASE {column} {whens} ELSE {column} END"


def _id_range(table: str) -> tuple[int, int]:
    low, high = op.get_bind().execute(sa.text(f"SELECT MIN(id), MAX(id) FROM {table}")).one()
    return (low or 0), (high or -1)


def upgrade() -> None:
    op.create_table('event_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_key', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), server_default=_database_utc_now(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=True),
    sa.Column('contact_id', sa.String(length=64), nullable=True),
    sa.Column('queue', sa.String(length=80), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['app_user.id'], name=op.f('fk_event_log_agent_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_log'))
    )
    op.create_index('ix_event_log_queue_at', 'event_log', ['queue', 'at'], unique=False)
    op.create_index('ix_event_log_agent_at', 'event_log', ['agent_id', 'at'], unique=False)
    op.create_index('ix_event_log_contact_at', 'event_log', ['contact_id', 'at'], unique=False)
    op.create_index('ix_event_log_at', 'event_log', ['at'], unique=False)
    op.create_index('uq_event_log_event_key', 'event_log', ['event_key'], unique=True)
    _copy_queue_events()
    op.drop_index('ix_queue_event_queue_at', table_name='queue_event')
    op.drop_index(op.f('ix_queue_event_contact_id'), table_name='queue_event')
    op.drop_table('queue_event')


def _copy_queue_events() -> None:
    """Each queue event once, in batches of ids; the log's own ids follow the old order."""
    low, high = _id_range("queue_event")
    copy = sa.text(
        "INSERT INTO event_log (event_key, at, recorded_at, kind, channel, contact_id, queue, agent_id, detail) "
        "SELECT 'queue_event:' || CAST(id AS VARCHAR(20)), at, at, "
        f"{_kind_case('kind', RENAMED)}, "
        "CASE WHEN contact_id IS NULL THEN NULL ELSE 'phone' END, contact_id, queue, agent_id, detail "
        "FROM queue_event WHERE id >= :low AND id < :high ORDER BY id")
    for start in range(low, high + 1, BATCH):
        op.get_bind().execute(copy, {"low": start, "high": start + BATCH})


def downgrade() -> None:
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
    low, high = _id_range("event_log")
    back = {new: old for old, new in RENAMED.items()}
    copy = sa.text(
        "INSERT INTO queue_event (at, kind, contact_id, queue, agent_id, detail) "
        f"SELECT at, {_kind_case('kind', back)}, contact_id, queue, agent_id, detail "
        "FROM event_log WHERE id >= :low AND id < :high ORDER BY id")
    for start in range(low, high + 1, BATCH):
        op.get_bind().execute(copy, {"low": start, "high": start + BATCH})
    op.drop_index('uq_event_log_event_key', table_name='event_log')
    op.drop_index('ix_event_log_at', table_name='event_log')
    op.drop_index('ix_event_log_contact_at', table_name='event_log')
    op.drop_index('ix_event_log_agent_at', table_name='event_log')
    op.drop_index('ix_event_log_queue_at', table_name='event_log')
    op.drop_table('event_log')
