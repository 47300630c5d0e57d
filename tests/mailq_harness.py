"""A real `cicada mailq` for integration tests: its own SQLite database
with agents, its own ports, started as a child process and stopped after.

    mailq = RunningMailq(tmp_path, relay=relay_port).start()
    smtplib.SMTP("127.0.0.1", mailq.smtp_port).sendmail(...)
    client = mailq.desktop("ann")          # logged in, available for email and chat
    sue = mailq.supervisor("sue")          # watching the agents of her org unit
    mailq.operator().status()              # the whole status, with the mail queue's own key

Keys as an installation has them: the mail queue's pair made in its own keys
directory, clients given its public key. Agents log in with a CRM session
signed in on the database (`sign_in`), as the application service would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import migrate_test_database
from logfail import watch_service_log
from gateway_harness import _HASH, PASSWORD, ROOT, _toml, free_tcp_port
from sqlalchemy import select

from bus.keys import KeyPair, ensure_keys
from crm.db import Database, make_engine
from crm.models import Conversation, OrgUnit, User
from crm.permissions import Actor
from crm.services import sessions
from crm.services.users import create_user
from email_queue.client import MailqClient

SERVICE, SALES = "service@cicada.example", "sales@cicada.example"


class RunningMailq:
    def __init__(self, workdir: Path, *, agents=("ann", "bob"), relay_port: int | None = None,
                 db_url: str | None = None, imap: list[dict] | None = None, args: tuple[str, ...] = (),
                 **settings):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.smtp_port, self.chat_port = free_tcp_port(), free_tcp_port()
        self.commands = f"tcp://127.0.0.1:{free_tcp_port()}"
        self.events = f"tcp://127.0.0.1:{free_tcp_port()}"
        self.db_url = db_url or f"sqlite:///{workdir / 'crm.db'}"
        self.agents, self.relay_port, self.imap, self.args = agents, relay_port, imap or [], tuple(args)
        self.settings = {"send_seconds": 1.0, "silent_seconds": 3.0, **settings}
        self.process: subprocess.Popen | None = None
        self.clients: list[MailqClient] = []
        self.log_path = workdir / "mailq.log"
        self.banner = ""
        self.keys_dir = workdir / "keys"
        self.keypair: KeyPair = ensure_keys(self.keys_dir, ["mailq"])["mailq"]
        self.public_key = self.keypair.public  # what desktops are given

    def prepare_database(self) -> None:
        engine = make_engine(self.db_url)
        migrate_test_database(engine)
        database = Database(engine)
        with database.unit_of_work() as session:
            for name in self.agents:
                create_user(session, Actor.system(), username=name, password="", password_hash=_HASH,
                            role="agent", display_name=name.title())
        database.dispose()

    def _write_config(self) -> Path:
        lines = ["[mailq]", f'smtp = "127.0.0.1:{self.smtp_port}"', f'chat = "127.0.0.1:{self.chat_port}"',
                 f'commands = "{self.commands}"', f'events = "{self.events}"']
        lines += [f"{key} = {_toml(value)}" for key, value in self.settings.items()]
        for account in self.imap:
            lines.append("[[mailq.imap]]")
            lines += [f"{key} = {_toml(value)}" for key, value in account.items()]
        if self.relay_port:
            lines += ["[mail]", f'relay = "127.0.0.1:{self.relay_port}"']
        lines += ["[keys]", f"dir = {_toml(str(self.keys_dir))}"]
        path = self.workdir / "cicada.toml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self, timeout: float = 30.0, *, prepare: bool = True) -> RunningMailq:
        if prepare:
            self.prepare_database()
        for attempt in range(3):
            try:
                return self._start(timeout)
            except RuntimeError as exc:
                # A port found free was taken before the service bound it (by another test
                # run on this machine: this one's processes pick from disjoint ports, see
                # tests/ports.py): new ports, once more.
                if "already in use" not in str(exc) or attempt == 2:
                    raise
                self.smtp_port, self.chat_port = free_tcp_port(), free_tcp_port()
                self.commands = f"tcp://127.0.0.1:{free_tcp_port()}"
                self.events = f"tcp://127.0.0.1:{free_tcp_port()}"
        raise AssertionError("not reached")

    def _start(self, timeout: float) -> RunningMailq:
        env = {**os.environ, "CICADA_CONFIG": str(self._write_config()), "CICADA_DB_URL": self.db_url}
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "cicada.cli", "-v", "mailq", *self.args], cwd=ROOT, env=env,
                                        stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        watch_service_log(self.log_path, self.process)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline().decode(errors="replace")
            if "mail queue ready" in line:
                self.banner = line.strip()
                return self
            if not line and self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"the mail queue did not start:\n{self.log()}")

    def restart(self) -> RunningMailq:
        self.stop()
        return self.start(prepare=False)

    def stop(self) -> None:
        for client in self.clients:
            client.close()
        self.clients.clear()
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process.stdout.close()
        self._log.close()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:] if self.log_path.exists() else ""

    def client(self, *, events: bool = True, keypair: KeyPair | None = None) -> MailqClient:
        client = MailqClient(self.commands, self.events if events else None, server_public_key=self.public_key,
                             keypair=keypair, timeout=10)
        self.clients.append(client)
        return client

    def sign_in(self, agent: str, password: str = PASSWORD) -> str:
        """A CRM session of `agent`, as the application service's sign-in opens it: its token."""
        database = Database.open(self.db_url)
        try:
            with database.unit_of_work() as session:
                return sessions.sign_in(session, agent, password, client="test desk", source="127.0.0.1").token
        finally:
            database.dispose()

    def end_sessions(self, agent: str, reason: str = "signed_out") -> None:
        """End every CRM session of `agent`, as signing out or disabling him does."""
        database = Database.open(self.db_url)
        try:
            with database.unit_of_work() as session:
                user_id = session.scalar(select(User.id).where(User.username == agent))
                sessions.end_sessions_of(session, user_id, reason)
        finally:
            database.dispose()

    def operator(self) -> MailqClient:
        """A tool on the mail queue's host, speaking with the service's own key pair."""
        return self.client(events=False, keypair=self.keypair)

    def supervisor(self, name: str, *, role: str = "supervisor", org_unit: str | None = None) -> MailqClient:
        """A user of `role` (made if missing, in `org_unit`) logged in to watch."""
        self.add_user(name, role=role, org_unit=org_unit)
        client = self.client()
        client.login(self.sign_in(name), client=f"test watcher {name}", watch=True)
        return client

    def add_user(self, name: str, *, role: str = "agent", org_unit: str | None = None) -> None:
        """A user with the test password, in `org_unit` (its code; made if missing, under the
        root unit `center`), or placed there if he exists."""
        database = Database.open(self.db_url)
        try:
            with database.unit_of_work() as session:
                unit_id = _org_unit(session, org_unit) if org_unit else None
                user = session.scalar(select(User).where(User.username == name))
                if user is None:
                    user = create_user(session, Actor.system(), username=name, password="", password_hash=_HASH,
                                       role=role, display_name=name.title())
                user.org_unit_id = unit_id
        finally:
            database.dispose()

    def desktop(self, agent: str, *, channels=("email", "chat"), queues=None) -> MailqClient:
        client = self.client()
        client.login(self.sign_in(agent), queues=queues, client=f"test desk {agent}")
        for channel in channels:
            client.set_available(channel, True)
        return client

    def conversations(self) -> list[Conversation]:
        return self.rows(Conversation)

    def rows(self, model, *where) -> list:
        """The rows of a model in the service's database (detached), by id."""
        database = Database.open(self.db_url)
        try:
            with database.reading() as session:
                rows = list(session.scalars(select(model).where(*where).order_by(model.id)))
                session.expunge_all()
                return rows
        finally:
            database.dispose()

    def wait_until(self, predicate, timeout: float = 10.0, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"{what} not reached within {timeout} s\n{self.log()}")


def _org_unit(session, code: str) -> int:
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == code))
    if unit is None:
        root = session.scalar(select(OrgUnit).where(OrgUnit.code == "center"))
        if root is None and code != "center":
            root = OrgUnit(kind="contact_center", code="center", name="Contact center")
            session.add(root)
            session.flush()
        unit = OrgUnit(kind="site", code=code, name=code.title(), parent_id=root.id if root else None)
        session.add(unit)
        session.flush()
    return unit.id


@pytest.fixture
def make_mailq(tmp_path):
    started: list[RunningMailq] = []

    def make(**settings) -> RunningMailq:
        mailq = RunningMailq(tmp_path / f"mailq{len(started)}", **settings)
        started.append(mailq)
        return mailq.start()

    yield make
    for mailq in started:
        mailq.stop()
