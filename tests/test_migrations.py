"""The schema comes from Alembic migrations, the same on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from crm import db as crm_db
from crm.db import Database
from crm.errors import DatabaseNotMigrated
from crm.models import Base


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
