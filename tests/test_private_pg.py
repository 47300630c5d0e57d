"""The private PostgreSQL of outage tests: it starts, goes down as in a crash,
comes back on the same port with its data, and leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from private_pg import private_pg, running_postgres  # noqa: F401 - fixture


def connect(server):
    return psycopg.connect(host=server.host, port=server.port, user=server.user, dbname=server.database,
                           autocommit=True, connect_timeout=5)


def test_the_server_goes_down_and_comes_back_with_its_data(private_pg):
    with connect(private_pg) as conn:
        conn.execute("CREATE TABLE kept (word text)")
        conn.execute("INSERT INTO kept VALUES ('before')")
        open_connection = connect(private_pg)
        port = private_pg.port
        private_pg.stop()  # immediate: as a crash
        with pytest.raises(psycopg.OperationalError):
            open_connection.execute("SELECT 1")
        with pytest.raises(psycopg.OperationalError):
            connect(private_pg)
        private_pg.start()
        assert private_pg.port == port
        with connect(private_pg) as again:
            assert again.execute("SELECT word FROM kept").fetchall() == [("before",)]
        private_pg.restart(mode="fast")
        with connect(private_pg) as again:
            assert again.execute("SELECT count(*) FROM kept").fetchone() == (1,)


def test_nothing_is_left_behind():
    with running_postgres() as server:
        folder, pid_file = server.dir, server.dir / "data" / "postmaster.pid"
        pid = int(pid_file.read_text().split()[0])
        assert private_url_works(server)
    assert not folder.exists()
    assert not alive(pid)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def private_url_works(server) -> bool:
    from sqlalchemy import text

    from crm.db import make_engine

    engine = make_engine(server.url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT current_database()")).scalar() == server.database
    finally:
        engine.dispose()
