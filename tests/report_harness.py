"""The CRM the report pages' tests read: migrated on one backend and filled with a test module's
hand-computed event log (team A: amy, bob, sue their supervisor; team B: carl, ted their
supervisor, who reads Chinese).

    @pytest.fixture(params=BACKENDS)
    def crm_url(request, tmp_path):
        with filled_crm(request.param, tmp_path, fill) as url:
            yield url
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from conftest import PgSchema, migrate_test_database, pg_url
from crm.db import Database, make_engine, upgrade
from crm.models import User

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextlib.contextmanager
def filled_crm(backend: str, tmp_path: Path, fill: Callable[[Database], object]) -> Iterator[str]:
    """The URL of a CRM of `backend` ("sqlite" or "postgresql") filled by `fill`; dropped after."""
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'crm.db'}"
        migrate_test_database(make_engine(url))
    else:
        schema = PgSchema(pg_url())
        engine = schema.engine()
        upgrade(engine)
        engine.dispose()
        url = f"{pg_url()}?options=-csearch_path%3D{schema.name}"
    database = Database.open(url)
    try:
        fill(database)
        with database.unit_of_work() as session:
            session.execute(update(User).where(User.username == "ted").values(language="zh"))
    finally:
        database.dispose()
    try:
        yield url
    finally:
        if schema is not None:
            schema.drop()
