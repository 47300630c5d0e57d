"""The schema comes from Alembic migrations, the same on SQLite and PostgreSQL."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from crm import db as crm_db
from crm.db import Database
from crm.errors import DatabaseNotMigrated
from crm.models import Base, LoggedEvent


def test_upgrade_creates_every_table_and_matches_the_models(empty_engine):
    crm_db.upgrade(empty_engine)
    tables = set(inspect(empty_engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    with empty_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_downgrade_to_base_removes_the_schema(empty_engine):
    crm_db.upgrade(empty_engine)
    crm_db.downgrade(empty_engine, "base")
    remaining = set(inspect(empty_engine).get_table_names()) - {"alembic_version"}
    assert remaining == set()
    assert crm_db.current_revision(empty_engine) is None


def test_a_database_that_is_not_migrated_is_refused_with_the_fix(empty_engine):
    with pytest.raises(DatabaseNotMigrated, match="cicada db upgrade"):
        Database(empty_engine)


def test_migrated_database_opens(empty_engine):
    crm_db.upgrade(empty_engine)
    assert crm_db.current_revision(empty_engine) == crm_db.head_revision()
    Database(empty_engine)


def test_the_event_log_revision_copies_the_queue_events_once_and_the_downgrade_copies_them_back(empty_engine):
    """A database at 0011 with queue events in it: each becomes an event of the log, its kind
    renamed where the log names it otherwise, with a key naming the row it came from."""
    crm_db.upgrade(empty_engine, "0011")
    queue_event = sa.table("queue_event", sa.column("id", sa.Integer), sa.column("at", sa.DateTime),
                           sa.column("kind", sa.String), sa.column("contact_id", sa.String),
                           sa.column("queue", sa.String), sa.column("agent_id", sa.Integer),
                           sa.column("detail", sa.JSON))
    user = sa.table("app_user", sa.column("id", sa.Integer), sa.column("username", sa.String),
                    sa.column("display_name", sa.String), sa.column("password_hash", sa.String),
                    sa.column("role", sa.String), sa.column("is_active", sa.Boolean),
                    sa.column("language", sa.String), sa.column("created_at", sa.DateTime))
    t0 = datetime(2026, 3, 2, 9, 0, 0, 250000)
    old_rows = [
        ("login", None, None, 1, {"queues": ["support"], "device": "sip:amy"}),
        ("agent_state", None, None, 1, {"mode": "ready", "reason": None}),
        ("entered", "call-1", "support", None, None),
        ("answered", "call-1", "support", 1, {"wait": 12.5}),
        ("ended", "call-1", "support", 1, {"cause": "caller_hangup"}),
        ("logout", None, None, 1, {"reason": "logout"}),
    ]
    with empty_engine.begin() as conn:
        conn.execute(user.insert(), {"id": 1, "username": "amy", "display_name": "Amy", "password_hash": "-",
                                     "role": "agent", "is_active": True, "language": "en",
                                     "created_at": t0})
        conn.execute(queue_event.insert(), [
            {"at": t0 + timedelta(seconds=n), "kind": kind, "contact_id": call, "queue": queue,
             "agent_id": agent, "detail": detail}
            for n, (kind, call, queue, agent, detail) in enumerate(old_rows)])
        old_ids = list(conn.scalars(sa.select(queue_event.c.id).order_by(queue_event.c.id)))

    crm_db.upgrade(empty_engine)
    assert "queue_event" not in inspect(empty_engine).get_table_names()
    with empty_engine.connect() as conn:
        events = conn.execute(sa.select(
            LoggedEvent.event_key, LoggedEvent.at, LoggedEvent.recorded_at, LoggedEvent.kind, LoggedEvent.channel,
            LoggedEvent.contact_id, LoggedEvent.queue, LoggedEvent.agent_id, LoggedEvent.detail,
        ).order_by(LoggedEvent.id)).all()
    kinds = ["logged_in", "work_mode", "entered", "answered", "ended", "logged_out"]
    assert [tuple(e) for e in events] == [
        (f"queue_event:{old_id}", t0 + timedelta(seconds=n), t0 + timedelta(seconds=n), kind,
         "phone" if call else None, call, queue, agent, detail)
        for n, (old_id, kind, (_, call, queue, agent, detail)) in enumerate(zip(old_ids, kinds, old_rows))]

    crm_db.downgrade(empty_engine, "0011")
    with empty_engine.connect() as conn:
        back = conn.execute(sa.select(queue_event.c.at, queue_event.c.kind, queue_event.c.contact_id,
                                      queue_event.c.queue, queue_event.c.agent_id, queue_event.c.detail)
                            .order_by(queue_event.c.id)).all()
    assert [tuple(row) for row in back] == [(t0 + timedelta(seconds=n), *row) for n, row in enumerate(old_rows)]


def test_the_event_log_copy_goes_by_batches_of_ids(empty_engine, monkeypatch):
    """More queue events than one batch, with holes in their ids: every one copied, once."""
    import importlib

    revision = importlib.import_module("crm.migrations.versions.0012_event_log")
    monkeypatch.setattr(revision, "BATCH", 3)
    crm_db.upgrade(empty_engine, "0011")
    queue_event = sa.table("queue_event", sa.column("id", sa.Integer), sa.column("at", sa.DateTime),
                           sa.column("kind", sa.String), sa.column("contact_id", sa.String))
    ids = [1, 2, 3, 4, 7, 8, 9, 10, 15, 16]
    with empty_engine.begin() as conn:
        conn.execute(queue_event.insert(), [{"id": i, "at": datetime(2026, 3, 2, 9, 0, i), "kind": "entered",
                                             "contact_id": f"c{i}"} for i in ids])
    crm_db.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        keys = list(conn.scalars(sa.select(LoggedEvent.event_key).order_by(LoggedEvent.id)))
    assert keys == [f"queue_event:{i}" for i in ids]
