"""A PostgreSQL server of a test's own, to take down and bring back on purpose.

Tests of what a service does in a database outage cannot stop the shared
server; this module makes a private one in a temporary folder (about a second
with --no-sync), on a free port of 127.0.0.1, with trust authentication:

    def test_something(private_pg):             # a started, empty server
        upgrade(make_engine(private_pg.url))    # SQLAlchemy URL: postgresql+psycopg://cicada@127.0.0.1:PORT/cicada
        ...
        private_pg.stop()                       # the outage: the server dies at once (pg_ctl -m immediate);
                                                # open connections break, new ones are refused
        ...
        private_pg.start()                      # back on the same port with the same data (crash recovery)

`stop(mode="fast")` shuts down cleanly instead (clients are disconnected, the
data is checkpointed). `running_postgres()` is the same as a context manager,
for other scopes than a test. Whatever happens, the server is stopped and its
folder removed afterwards (at the end of the test, or at the latest when the
test process exits).

PostgreSQL's server programs come from $CICADA_PG_BIN, else `pg_config
--bindir`, else Debian's /usr/lib/postgresql/<version>/bin, else the PATH.
Without them the test is skipped, or fails under CICADA_REQUIRE_EXTERNAL=1.
initdb refuses to run as root: as root, the server runs as the `postgres`
system user (runuser), which owns the temporary folder.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import ports
import pytest
from conftest import missing_external

SERVER_USER = "postgres"  # who runs the server when the tests run as root
WHAT = "PostgreSQL's server programs (initdb, pg_ctl; Debian package postgresql)"

_running: list[PrivatePostgres] = []


class PrivatePostgres:
    """One private server: `create()` it, then `start()` / `stop()` as often as needed, `remove()` at the end."""

    host = "127.0.0.1"

    def __init__(self, bin_dir: Path, *, database: str = "cicada", user: str = "cicada"):
        self.bin_dir = bin_dir
        self.database, self.user = database, user
        self.port = 0
        self.dir: Path | None = None
        self.running = False

    # --- what tests use ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the test database (psycopg 3)."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{self.database}"

    def start(self, timeout: float = 30.0) -> None:
        """Start the server (again, after stop(): same port, same data) and wait until it takes connections."""
        if self.running:
            return
        self._pg_ctl("start", "-l", str(self._log), "-w", "-t", str(int(timeout)))
        self.running = True

    def stop(self, mode: str = "immediate") -> None:
        """Take the server down. "immediate": killed at once, as in a crash or a pulled cable, open
        connections break and the next start recovers; "fast": a clean shutdown."""
        if not self.running:
            return
        if mode not in ("immediate", "fast"):
            raise ValueError(f"stop mode is immediate or fast, not {mode!r}")
        self._pg_ctl("stop", "-m", mode, "-w")
        self.running = False

    def restart(self, mode: str = "immediate") -> None:
        self.stop(mode)
        self.start()

    @property
    def log_text(self) -> str:
        """The server's log, for failure messages."""
        return self._log.read_text(errors="replace") if self.dir and self._log.exists() else ""

    # --- making and removing -----------------------------------------------------------------

    def create(self) -> PrivatePostgres:
        """initdb in a new temporary folder, a free port, started, with the test database made."""
        self.dir = Path(tempfile.mkdtemp(prefix="cicada-pg-"))
        _running.append(self)
        owner = _server_account()
        if owner is not None:
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        self._run(self._bin("initdb"), "-D", str(self._data), "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync", "--no-instructions")
        for attempt in range(3):
            self.port = _free_port()
            self._configure()
            try:
                self.start()
                break
            except RuntimeError:
                if "could not bind" not in self.log_text or attempt == 2:
                    raise  # else another test took the port meanwhile: another one
        self._create_database()
        return self

    def remove(self) -> None:
        """Stop the server if it runs and delete its folder: nothing is left behind."""
        try:
            if self.running:
                self.stop("immediate")
        finally:
            if self.dir is not None:
                shutil.rmtree(self.dir, ignore_errors=True)
                self.dir = None
            if self in _running:
                _running.remove(self)

    # --- inside ---------------------------------------------------------------------------------

    @property
    def _data(self) -> Path:
        return self.dir / "data"

    @property
    def _log(self) -> Path:
        return self.dir / "server.log"

    def _bin(self, name: str) -> str:
        return str(self.bin_dir / name)

    def _configure(self) -> None:
        """Settings for a throw-away server: this port on 127.0.0.1 only, its socket in its own folder,
        no waiting for the disk (what is committed still survives stop(): the system keeps it; only
        synchronous_commit stays on, since an immediate stop would lose commits not yet written)."""
        settings = {
            "port": str(self.port), "listen_addresses": "'127.0.0.1'", "unix_socket_directories": f"'{self.dir}'",
            "fsync": "off", "full_page_writes": "off", "shared_buffers": "'16MB'",
            "max_connections": "100",
        }
        lines = [f"{key} = {value}" for key, value in settings.items()]
        with open(self._data / "postgresql.auto.conf", "a") as conf:  # later lines win
            conf.write("\n".join(lines) + "\n")

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(host=self.host, port=self.port, user=self.user, dbname="postgres",
                             autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')

    def _pg_ctl(self, *args: str) -> None:
        self._run(self._bin("pg_ctl"), "-D", str(self._data), *args)

    def _run(self, *command: str) -> None:
        done = subprocess.run(_as_server_user(list(command)), capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, cwd=self.dir)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}\n"
                               f"{self.log_text[-3000:]}")


def postgres_binaries() -> Path | None:
    """The folder with initdb and pg_ctl, or None."""
    candidates = []
    if os.environ.get("CICADA_PG_BIN"):
        candidates.append(Path(os.environ["CICADA_PG_BIN"]))
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        candidates.append(Path(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                                              check=True).stdout.strip()))
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = sorted((p for p in debian.iterdir() if p.name.isdigit()), key=lambda p: int(p.name), reverse=True)
        candidates += [p / "bin" for p in versions]
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).parent)
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None)


@contextlib.contextmanager
def running_postgres(*, database: str = "cicada", user: str = "cicada"):
    """A started private server, removed afterwards; skips (or fails, see the module) without PostgreSQL."""
    bin_dir = postgres_binaries()
    if bin_dir is None:
        missing_external(WHAT)
    if os.geteuid() == 0 and _server_account() is None:
        missing_external(f"a {SERVER_USER!r} system user to run PostgreSQL as (initdb refuses root)")
    server = PrivatePostgres(bin_dir, database=database, user=user)
    try:
        server.create()
        yield server
    finally:
        server.remove()


@pytest.fixture
def private_pg():
    """A private PostgreSQL server for this test (see the module): started, with an empty database."""
    with running_postgres() as server:
        yield server


def _server_account() -> pwd.struct_passwd | None:
    """The account the server runs as when we are root; None when we are not (we run it ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        return None


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    if shutil.which("runuser"):
        return ["runuser", "-u", SERVER_USER, "--", *command]
    return ["setpriv", f"--reuid={SERVER_USER}", f"--regid={SERVER_USER}", "--init-groups", *command]


def _free_port() -> int:
    """A port of this test process's own share, bound later by the server (tests/ports.py)."""
    return ports.free_port()


@atexit.register
def _remove_forgotten_servers() -> None:
    while _running:
        _running.pop().remove()
