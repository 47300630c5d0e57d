"""Connecting to the CRM database, migrating it and units of work.

The database is SQLite (one file, the embedded default) or PostgreSQL (shared
by many agents). Schema changes go through the Alembic migrations in
`crm/migrations`, the same on both.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from crm import texts
from crm.errors import DatabaseNotMigrated, DatabaseUnavailable

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str, **kwargs) -> Engine:
    """An engine with the connection settings each backend needs."""
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise DatabaseUnavailable(f"Cannot open the CRM database: {exc.orig}") from exc


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def check_migrated(engine: Engine) -> None:
    """Refuse to work on a database whose schema is not the one this code knows."""
    head = head_revision()
    current = current_revision(engine)
    if current != head:
        raise DatabaseNotMigrated(current, head)


class Database:
    """An engine and its session factory, checked to be migrated."""

    def __init__(self, engine: Engine, *, check: bool = True):
        if check:
            check_migrated(engine)
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        event.listen(self.sessions, "before_flush", texts.refuse_unstorable_rows)

    @classmethod
    def open(cls, url: str, *, check: bool = True, **engine_options) -> Database:
        return cls(make_engine(url, **engine_options), check=check)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session whose work is committed together, or not at all."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        session = self.sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


class DatabaseOnDemand:
    """A Database opened when it is first needed, and again after it could not be: a service
    starts and keeps running while its database is away, and each use says so
    (DatabaseUnavailable) until it is back. A database at another schema version is refused
    the same way (DatabaseNotMigrated)."""

    def __init__(self, url: str, **engine_options):
        self.engine = make_engine(url, **engine_options)
        self._database: Database | None = None
        self._lock = threading.Lock()

    def get(self) -> Database:
        with self._lock:
            if self._database is None:
                self._database = Database(self.engine)  # checks the schema, which needs the server
            return self._database

    def unit_of_work(self):
        return self.get().unit_of_work()

    def reading(self):
        return self.get().reading()

    def dispose(self) -> None:
        self.engine.dispose()


def insert_or_ignore(session: Session, model):
    """INSERT that skips rows whose key exists already (both dialects)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(model).on_conflict_do_nothing()
    raise NotImplementedError(f"no insert-or-ignore for {dialect}")
