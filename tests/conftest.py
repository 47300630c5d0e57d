"""Fixtures shared by every test: databases on SQLite and PostgreSQL, users, partners.

Every database test runs twice, on an SQLite file and on the PostgreSQL server
named by CICADA_TEST_PG_URL, each in a schema of its own that is dropped
afterwards. Without that variable the PostgreSQL half is skipped, unless
CICADA_REQUIRE_EXTERNAL=1 (as in CI), where it fails instead.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from crm.db import Database, make_engine, upgrade
from crm.models import Base

PG_URL_ENV = "CICADA_TEST_PG_URL"
TEST_HOME_ENV = "CICADA_TEST_HOME"
XDG_DIRS = {"XDG_CONFIG_HOME": ".config", "XDG_CACHE_HOME": ".cache", "XDG_DATA_HOME": ".local/share",
            "XDG_STATE_HOME": ".local/state"}


PRODUCT_HASHER = None  # the product's own argon2 hasher, for the tests of its parameters


def cheap_password_hashing() -> None:
    """Passwords hashed and checked in the test processes use argon2's cheapest parameters
    (argon2-cffi's profile for tests), as the harnesses' shared hashes do: the product's
    parameters cost about a tenth of a second of both cores per hash, and with a user or two
    made in hundreds of tests that was the largest part of the suite's time. Services the tests
    start as processes keep the product's hasher: they check these cheap hashes as any older
    hash and upgrade them at sign-in. tests/test_users.py checks the product's own parameters."""
    from argon2 import PasswordHasher, profiles

    from crm.services import users

    global PRODUCT_HASHER
    if PRODUCT_HASHER is None:
        PRODUCT_HASHER = users._hasher
    users._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)


def pytest_configure(config):
    cheap_password_hashing()
    make_test_home(config)


def make_test_home(config):
    """Nothing the tests start writes into the real home (Qt settings, the music-on-hold cache,
    keys, drafts): HOME and the XDG directories point at one folder for the whole run, made by
    the first pytest process and inherited by xdist's workers and every service they start.
    The caches in it (music on hold, pjsua2's capacity) then serve the whole run."""
    if os.environ.get(TEST_HOME_ENV):
        return  # an xdist worker: its controller made the folder
    home = tempfile.mkdtemp(prefix="cicada-test-home-")
    config._cicada_test_home = home
    os.environ[TEST_HOME_ENV] = os.environ["HOME"] = home
    for variable, relative in XDG_DIRS.items():
        os.environ[variable] = os.path.join(home, relative)
    # Made now, once, as a gateway that has run before has it: a SIP worker that makes it at
    # its first call keeps that call waiting, and timed tests fail.
    from cti_gateway.prompts import music_on_hold

    music_on_hold()


# Fixtures that start services or a browser: the tests using them take seconds, not milliseconds.
SLOW_FIXTURES = frozenset({"make_gateway", "make_mailq", "make_app", "chromium", "desks", "demo_machine",
                           "fresh_machine"})


def pytest_collection_modifyitems(config, items):
    """The slow tests first (stable: file order kept within each group): xdist hands tests out in
    this order, so that the run does not end with one process still in a long test while the
    others are idle. Every process collects the same order, as xdist requires."""
    items.sort(key=lambda item: 0 if item.get_closest_marker("slow") or SLOW_FIXTURES & set(
        getattr(item, "fixturenames", ())) else 1)


def pytest_unconfigure(config):
    home = getattr(config, "_cicada_test_home", None)
    if home is not None:
        shutil.rmtree(home, ignore_errors=True)


def require_external() -> bool:
    return os.environ.get("CICADA_REQUIRE_EXTERNAL") == "1"


def missing_external(what: str) -> None:
    """Skip a test for want of `what`, or fail when CI says everything must run."""
    if require_external():
        pytest.fail(f"{what} is required (CICADA_REQUIRE_EXTERNAL=1) but not available")
    pytest.skip(f"{what} is not available")


class PgSchema:
    """A throw-away schema on the test server, so tests never touch real data."""

    def __init__(self, url: str):
        self.url = url
        self.name = f"cicada_test_{uuid.uuid4().hex[:10]}"
        self.admin = make_engine(url)
        with self.admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.name}"'))

    def engine(self):
        return make_engine(self.url, connect_args={"options": f"-csearch_path={self.name}"})

    def drop(self) -> None:
        with self.admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        self.admin.dispose()


_migrated_template: Path | None = None


def migrate_test_database(engine) -> None:
    """The CRM schema in `engine`'s database. A new SQLite file is a copy of one migrated
    once per test process: running the migrations for each service under test costs more."""
    global _migrated_template
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or Path(database).exists():
        upgrade(engine)
        return
    if _migrated_template is None or not _migrated_template.exists():
        template = Path(tempfile.mkdtemp(prefix="cicada-schema-")) / "crm.db"
        template_engine = make_engine(f"sqlite:///{template}")
        upgrade(template_engine)
        template_engine.dispose()  # the last connection's close checkpoints the WAL into the file
        atexit.register(shutil.rmtree, template.parent, ignore_errors=True)
        _migrated_template = template
    engine.dispose()
    shutil.copyfile(_migrated_template, database)


def pg_url() -> str:
    url = os.environ.get(PG_URL_ENV)
    if not url:
        missing_external(f"PostgreSQL ({PG_URL_ENV} is not set)")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request, tmp_path):
    """An engine on an empty database of each backend."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'crm.db'}")
        yield engine
        engine.dispose()
        return
    schema = PgSchema(pg_url())
    engine = schema.engine()
    yield engine
    engine.dispose()
    schema.drop()


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def migrated_engine(request, tmp_path_factory):
    """One migrated database per backend for the whole run; `db` empties it between tests."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'crm.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    schema = PgSchema(pg_url())
    engine = schema.engine()
    upgrade(engine)
    yield engine
    engine.dispose()
    schema.drop()


@pytest.fixture
def db(migrated_engine):
    database = Database(migrated_engine)
    yield database
    _empty_all_tables(migrated_engine)


def _empty_all_tables(engine) -> None:
    """Every table empty and, on PostgreSQL, every sequence back at its start, as after a
    TRUNCATE ... RESTART IDENTITY. Only what the test used is touched: a TRUNCATE of all the
    tables made new files for each and took about half a second a test on a busy server."""
    tables = list(reversed(Base.metadata.sorted_tables))  # those that refer to others first
    with engine.begin() as conn:
        if engine.dialect.name != "postgresql":
            for table in tables:
                conn.execute(table.delete())
            return
        filled = set(conn.execute(text(" UNION ALL ".join(
            f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables))).scalars())
        for table in tables:
            if table.name in filled:
                conn.execute(table.delete())
        # a sequence that has handed out no number since its start has no last value
        used = conn.execute(text("SELECT sequencename FROM pg_sequences "
                                 "WHERE schemaname = current_schema() AND last_value IS NOT NULL")).scalars()
        for sequence in list(used):
            conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


@pytest.fixture
def backend(db) -> str:
    return db.engine.dialect.name


# One browser for the whole run, defined here once: fixtures imported into
# several test modules would start one Playwright each, and a second sync
# Playwright in the same thread refuses to start.
from browser_harness import chromium_browser, fresh_browser_page  # noqa: E402, F401 - fixtures


@pytest.fixture(autouse=True)
def no_desktop_left_open(request):
    """A desktop a test leaves open keeps the cycle collector off for every later test
    (agent_desktop/ui/gc_guard.py): say which test did, and give the collector back."""
    yield
    import sys
    import warnings

    guard = sys.modules.get("agent_desktop.ui.gc_guard")
    if guard is None or not guard._holders:
        return
    warnings.warn(f"{request.node.nodeid} left {guard._holders} desktop(s) open (the collector was off)",
                  stacklevel=1)
    while guard._holders:
        guard.release()


@pytest.fixture(autouse=True)
def no_unexpected_service_error(request):
    """An ERROR line or a traceback in the log of a gateway, mail queue or application service
    the test ran (tests/logfail.py) fails it, unless the test is marked
    `service_errors_expected(pattern, ...)` with a pattern that matches it (no pattern: any
    error): a service that logs an error while its test passes hides a defect."""
    from logfail import service_errors

    service_errors()  # what a service of an earlier test wrote since is not this test's
    yield
    errors = service_errors()
    expected = request.node.get_closest_marker("service_errors_expected")
    if expected is not None:  # its patterns name the errors the test provokes; none: any
        patterns = [re.compile(p) for p in expected.args]
        errors = [e for e in errors if patterns and not any(p.search(e) for p in patterns)]
    if errors:
        shown = "\n".join(errors[:10]) + (f"\n... and {len(errors) - 10} more" if len(errors) > 10 else "")
        pytest.fail(f"a service logged errors the test did not expect:\n{shown}", pytrace=False)


@pytest.fixture(autouse=True)
def no_background_task_failed_unheard(request, caplog):
    """A desktop task that failed with nobody to tell (no on_error) only writes a log line
    the agent never sees: such a line fails the test (as qutebrowser's logfail does), unless
    the test is marked `task_errors_expected`."""
    yield
    if request.node.get_closest_marker("task_errors_expected"):
        return
    from logfail import unheard_task_failures

    unheard = unheard_task_failures([*caplog.get_records("setup"), *caplog.get_records("call")])
    if unheard:
        pytest.fail(f"a desktop background task failed and nobody was told: {'; '.join(unheard)}", pytrace=False)
