"""The supervisors' console for tests: its users in a CRM database, and a real `cicada console`
on a free port, watching a test gateway.

    people(db_url)                                  # a team "north" with ann; sue its supervisor
    console = RunningConsole(tmp_path, gateway).start()
    console = RunningConsole(tmp_path, gateway, mailq=mailq).start()   # watching a test mail queue too
    page.goto(console.url + "signin")
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from crm.db import Database
from crm.permissions import Actor
from crm.errors import NotFound
from crm.services.users import create_org_unit, create_user, hash_password, user_by_name

import ports
from logfail import watch_service_log

PASSWORD = "console-password"
_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per test run
ROOT = Path(__file__).resolve().parent.parent


def people(db_url: str, *, agents_in_north=("ann",), extra_agents=("cid",)) -> None:
    """Org units CC > S1 > north; `agents_in_north` moved there (made if missing); sue supervises
    north, ada administers, `extra_agents` are agents in no unit."""
    database = Database.open(db_url)
    try:
        with database.unit_of_work() as session:
            system = Actor.system()
            center = create_org_unit(session, system, kind="contact_center", code="CC", name="CC")
            site = create_org_unit(session, system, kind="site", code="S1", name="Site", parent=center)
            north = create_org_unit(session, system, kind="team", code="north", name="North", parent=site)
            for name in agents_in_north:
                try:
                    user = user_by_name(session, name)
                except NotFound:
                    user = create_user(session, system, username=name, password="", password_hash=_HASH,
                                       role="agent", display_name=name.title())
                user.org_unit = north
            create_user(session, system, username="sue", password="", password_hash=_HASH, role="supervisor",
                        display_name="Sue Supervisor", org_unit=north)
            create_user(session, system, username="zhou", password="", password_hash=_HASH, role="supervisor",
                        display_name="周芳", org_unit=north, language="zh")
            create_user(session, system, username="ada", password="", password_hash=_HASH,
                        role="administrator", display_name="Ada Admin")
            for name in extra_agents:
                create_user(session, system, username=name, password="", password_hash=_HASH, role="agent",
                            display_name=name.title())
    finally:
        database.dispose()


def _toml(value) -> str:
    """A value of the test's [console] section in TOML (tables inline)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {_toml(v)}' for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else repr(value)


class RunningConsole:
    """`cicada console` as a child process, configured to watch `gateway` (tests' RunningGateway)
    and `mailq` (tests' RunningMailq), or no mail queue (`--no-mailq`)."""

    def __init__(self, workdir: Path, gateway, *, mailq=None, more_config: str = "", **section):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.gateway = gateway
        self.mailq = mailq
        self.port = ports.free_port()
        self.section = {"address": f"127.0.0.1:{self.port}", **section}
        self.more_config = more_config  # other sections of the configuration, as TOML
        self.log_path = workdir / "console.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 30.0) -> RunningConsole:
        lines = ["[gateway]", f'commands = "{self.gateway.commands}"', f'events = "{self.gateway.events}"',
                 f'public_key = "{self.gateway.public_key.decode()}"']
        if self.mailq is not None:
            lines += ["[mailq]", f'commands = "{self.mailq.commands}"', f'events = "{self.mailq.events}"',
                      f'public_key = "{self.mailq.public_key.decode()}"']
        lines += ["[console]", *(f"{k} = {_toml(v)}" for k, v in self.section.items()), self.more_config]
        config = self.workdir / "cicada.toml"
        config.write_text("\n".join(lines) + "\n")
        env = {**os.environ, "CICADA_CONFIG": str(config), "CICADA_DB_URL": self.gateway.db_url}
        self._log = open(self.log_path, "ab")
        mail = [] if self.mailq is not None else ["--no-mailq"]
        self.process = subprocess.Popen([sys.executable, "-m", "cicada.cli", "-v", "console", *mail], cwd=ROOT, env=env,
                                        stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        watch_service_log(self.log_path, self.process)  # an error it logs unprovoked fails the test
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline().decode(errors="replace")
            if "console ready" in line:
                return self
            if not line and self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"the console did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process.stdout.close()
        self._log.close()
        self.process = None
