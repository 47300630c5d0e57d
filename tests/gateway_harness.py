"""A real `cicada gateway` for integration tests: its own SQLite database
with agents, its own ports, started as a child process and stopped after.

    gateway = RunningGateway(tmp_path, queues=[{"name": "billing", "numbers": ["4001"]}])
    gateway.start()
    desk = gateway.desktop("ann", device=phone.uri)   # signed in, logged in and Ready
    token = gateway.sign_in("bob")                    # a CRM session, as the application service gives

Keys as an installation has them: the gateway's key pair made in its work
directory ([keys] dir); clients trust its public key.
    ...
    gateway.stop()
"""

from __future__ import annotations

import os
import random
import signal
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bus import cti
from bus.keys import ensure_keys
from crm.db import Database, make_engine
from crm.models import Interaction, LoggedEvent, User
from crm.permissions import Actor
from crm.services import sessions
from crm.services.users import create_user, hash_password, set_skill
from cti_gateway.client import CtiClient
from cti_gateway.sip.pool import workers_needed

import ports
from conftest import migrate_test_database
from logfail import watch_service_log
from sipp_tools import (
    LOCALHOST,
    RtpPeer,
    Sipp,
    free_udp_port,
    gateway_rtp_ports,
    require_sipp,
    udp_ports_bound,
)

PASSWORD = "agent-password"
_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per test run
ROOT = Path(__file__).resolve().parent.parent


def free_tcp_port() -> int:
    return ports.free_port()


def free_udp_range(count: int) -> int:
    """The first of `count` consecutive free UDP ports."""
    return ports.free_ports(count)


WHEEL_LINES = 4  # the calls one worker of the PyPI pjsua2 wheel holds
RTP_BLOCK = 500


def free_rtp_ports(concurrent_calls: int, lines_per_call: int) -> str:
    """An `rtp_ports` setting for a gateway under test: a block of the ports kept for gateways
    (below SIPp's media ports, outside the ephemeral range of SIP ports and RtpPeers) with no
    port bound right now, so that gateways started at the same time in other test processes
    most likely get other blocks. Each worker gets room for its lines' ports eight times over
    where the region allows (pjsua then rarely comes round to a port still in use), twice
    over at least (the gateway's own minimum)."""
    workers = workers_needed(concurrent_calls, WHEEL_LINES, lines_per_call)
    ports_per_worker = WHEEL_LINES * 2  # RTP and RTCP
    region = gateway_rtp_ports()
    first = region.start + (-region.start) % RTP_BLOCK
    size = min(_blocks(workers * ports_per_worker * 8), (region.stop - first) // RTP_BLOCK * RTP_BLOCK)
    if size < workers * ports_per_worker * 2:
        raise RuntimeError(f"{concurrent_calls} concurrent calls need {workers * ports_per_worker * 2} "
                           f"RTP ports; the tests keep {len(region)} for gateways")
    starts = list(range(first, region.stop - size + 1, RTP_BLOCK))
    bound = udp_ports_bound()
    random.shuffle(starts)
    start = next((s for s in starts if not bound.intersection(range(s, s + size))), starts[0])
    return f"{start}-{start + size - 1}"


def _blocks(ports: int) -> int:
    return -(-ports // RTP_BLOCK) * RTP_BLOCK


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


class RunningGateway:
    def __init__(self, workdir: Path, *, queues: list[dict], agents: dict[str, dict] | None = None,
                 run_dir: Path | None = None, state_dir: Path | None = None, env: dict | None = None,
                 db_url: str | None = None, crm: Callable[[str], None] | None = None, **settings):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.run_dir = run_dir  # None: the gateway's default, in its state directory
        self.state_dir = state_dir or workdir / "state"
        self.env = env or {}
        self.sip_port = free_udp_port()
        self.commands = f"tcp://{LOCALHOST}:{free_tcp_port()}"
        self.events = f"tcp://{LOCALHOST}:{free_tcp_port()}"
        self.settings = {"ring_timeout": 8, "wrap_up_seconds": 2, "concurrent_calls": 1,
                         "worker_base_port": free_udp_range(8), **settings}
        self.settings.setdefault("rtp_ports", free_rtp_ports(
            self.settings["concurrent_calls"], self.settings.get("lines_per_call", 3)))
        self.queues = queues
        self.db_url = db_url or f"sqlite:///{workdir / 'crm.db'}"
        self.agents = agents if agents is not None else {}
        self.crm = crm  # more for the CRM before the gateway starts (its org units), given the database URL
        self.keys_dir = workdir / "keys"
        self.keypair = ensure_keys(self.keys_dir, ["gateway"])["gateway"]
        self.public_key = self.keypair.public  # what a desktop is configured with
        self.process: subprocess.Popen | None = None
        self.clients: list[CtiClient] = []
        self.log_path = workdir / "gateway.log"
        self.banner = ""

    @property
    def sip_address(self) -> tuple[str, int]:
        return (LOCALHOST, self.sip_port)

    # --- set-up ------------------------------------------------------------------------

    def _prepare_database(self) -> None:
        engine = make_engine(self.db_url)
        migrate_test_database(engine)
        database = Database(engine)
        with database.unit_of_work() as session:
            for name, skills in self.agents.items():
                user = create_user(session, Actor.system(), username=name, password="",
                                   password_hash=_HASH, role="agent", display_name=name.title())
                for skill, level in skills.items():
                    set_skill(session, Actor.system(), user, skill, level)
        database.dispose()
        if self.crm is not None:
            self.crm(self.db_url)

    def _write_config(self) -> Path:
        lines = ["[gateway]", f'sip_address = "{LOCALHOST}:{self.sip_port}"',
                 f'commands = "{self.commands}"', f'events = "{self.events}"',
                 f'state_dir = "{self.state_dir}"']
        if self.run_dir is not None:
            lines.append(f'run_dir = "{self.run_dir}"')
        lines += [f"{key} = {_toml(value)}" for key, value in self.settings.items()]
        for queue in self.queues:
            lines.append("[[gateway.queues]]")
            lines += [f"{key} = {_toml(value)}" for key, value in
                      {"welcome": False, "announce_every": 0, **queue}.items()]
        lines += ["[keys]", f"dir = {_toml(str(self.keys_dir))}"]
        path = self.workdir / "cicada.toml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self, timeout: float = 60.0, *, prepare: bool = True) -> RunningGateway:
        if prepare:
            self._prepare_database()
        config = self._write_config()
        env = {**os.environ, "CICADA_CONFIG": str(config), "CICADA_DB_URL": self.db_url, **self.env}
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cicada.cli", "-v", "gateway"], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL,
            start_new_session=True)
        watch_service_log(self.log_path, self.process)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline().decode(errors="replace")
            if "gateway ready" in line:
                self.banner = line.strip()
                return self
            if not line and self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"the gateway did not start:\n{self.log()}")

    def restart(self, timeout: float = 60.0) -> RunningGateway:
        """Stop the gateway and start it again on the same ports and database."""
        self.stop()
        self.process = None
        return self.start(timeout, prepare=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:] if self.log_path.exists() else ""

    def stop(self, *, goodbye: bool = True) -> None:
        """Stop the gateway as an operator does; without `goodbye`, as one who presses Ctrl-C
        twice: the callers still on the line are hung up without waiting for the goodbye
        (which takes seconds, and a test's clean-up has no one left to hear it)."""
        for client in self.clients:
            client.close()
        if self.process is None:
            return
        if self.process.poll() is None:
            log_size = self.log_path.stat().st_size if self.log_path.exists() else 0
            self.process.send_signal(signal.SIGTERM)
            if not goodbye:
                self._hurry_the_goodbyes(log_size)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        try:  # workers must never outlive their gateway
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.stdout.close()
        self._log.close()

    def _hurry_the_goodbyes(self, log_size: int, within: float = 2.0) -> None:
        """A second SIGTERM once the gateway logs that it says goodbye to callers (not before:
        two signals at once may arrive as one; and not when it has no caller to wait for)."""
        deadline = time.monotonic() + within
        while self.process.poll() is None and time.monotonic() < deadline:
            with open(self.log_path, "rb") as log:
                log.seek(log_size)
                if b"saying goodbye to" in log.read():
                    self.process.send_signal(signal.SIGTERM)
                    return
            time.sleep(0.05)

    # --- desktops ------------------------------------------------------------------------

    def client(self) -> CtiClient:
        client = CtiClient(self.commands, self.events, server_key=self.public_key, timeout=10)
        self.clients.append(client)
        return client

    def sign_in(self, user: str) -> str:
        """A CRM session of `user`, as the application service opens it at sign-in: its token."""
        database = Database.open(self.db_url)
        try:
            with database.unit_of_work() as session:
                actor = Actor.for_user(session.scalar(select(User).where(User.username == user)))
                return sessions.open_session(session, actor, client="test desk", source="127.0.0.1").token
        finally:
            database.dispose()

    def sign_out(self, token: str, reason: str = "signed_out") -> None:
        database = Database.open(self.db_url)
        try:
            with database.unit_of_work() as session:
                sessions.end_session(session, token, reason)
        finally:
            database.dispose()

    def watcher(self) -> CtiClient:
        """A client that watches every event with an administrator's session (made once)."""
        database = Database.open(self.db_url)
        try:
            with database.unit_of_work() as session:
                if session.scalar(select(User).where(User.username == "watcher")) is None:
                    create_user(session, Actor.system(), username="watcher", password="", password_hash=_HASH,
                                role="administrator", display_name="Watcher")
        finally:
            database.dispose()
        client = self.client()
        client.watch(self.sign_in("watcher"))
        return client

    def desktop(self, agent: str, device: str, *, queues: list[str] | None = None,
                ready: bool = True) -> CtiClient:
        """An agent signed in and logged in with this phone, Ready unless told otherwise."""
        client = self.client()
        client.login(self.sign_in(agent), device=device, queues=queues, client=f"test desk {agent}")
        if ready:
            client.set_mode("ready")
        return client

    def status(self) -> cti.StatusResult:
        with CtiClient(self.commands, server_key=self.public_key, keypair=self.keypair, timeout=10) as client:
            return client.status()  # as `cicada gateway status` asks: with the gateway's own key

    def wait_until(self, predicate, timeout: float = 10.0, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"{what} not reached within {timeout} s\n{self.log()}")

    # --- records ---------------------------------------------------------------------------

    def segments(self, call_id: str) -> list[Interaction]:
        database = Database.open(self.db_url)
        try:
            with database.reading() as session:
                rows = list(session.scalars(select(Interaction).where(
                    Interaction.contact_id == call_id).order_by(Interaction.segment_no)))
                session.expunge_all()  # keep the values read after the session ends
                return rows
        finally:
            database.dispose()

    def queue_events(self, call_id: str) -> list[str]:
        database = Database.open(self.db_url)
        try:
            with database.reading() as session:
                return list(session.scalars(select(LoggedEvent.kind).where(
                    LoggedEvent.contact_id == call_id).order_by(LoggedEvent.id)))
        finally:
            database.dispose()

    def wait_for_record(self, call_id: str, predicate, timeout: float = 10.0) -> list[Interaction]:
        return self.wait_until(lambda: (s := self.segments(call_id)) and predicate(s) and s,
                               timeout, f"the record of call {call_id}")


# --- fixtures and helpers for the gateway's integration tests ------------------------------

CUSTOMER_TONE, ANN_TONE, BOB_TONE = 440, 1000, 1400

BILLING = {"name": "billing", "numbers": ["4001"], "skills": {"billing": 1}}


@pytest.fixture
def make_gateway(tmp_path):
    """Start gateways (stopped after the test) with two billing agents by default."""
    require_sipp()
    started: list[RunningGateway] = []

    def make(queues=(BILLING,), agents=None, **settings) -> RunningGateway:
        agents = agents if agents is not None else {"ann": {"billing": 5}, "bob": {"billing": 5}}
        # Kamailio's control socket lives in the run directory, and a Unix socket's path has
        # at most 107 bytes: pytest's tmp_path (longer still under xdist) may not fit.
        # run_dir=None: the gateway's own default, "run" in its state directory.
        run_dir = settings.pop("run_dir", Path(tempfile.mkdtemp(prefix="cicada-gw-")))
        gateway = RunningGateway(tmp_path / f"gateway{len(started)}", queues=list(queues),
                                 agents=agents, run_dir=run_dir, **settings)
        started.append(gateway)
        return gateway.start()

    yield make
    for gateway in started:
        gateway.stop(goodbye=False)
        if gateway.run_dir is not None:
            shutil.rmtree(gateway.run_dir, ignore_errors=True)


@pytest.fixture
def media():
    peers: list[RtpPeer] = []

    def make(tone_hz: float | None) -> RtpPeer:
        peer = RtpPeer(tone_hz=tone_hz)
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.close()


@pytest.fixture
def phone(tmp_path):
    """An agent's phone: a SIPp UAS that answers after `answer_ms`."""
    phones: list[Sipp] = []

    def make(name: str, rtp: RtpPeer | None = None, scenario: str = "agent", **keys) -> Sipp:
        sipp = Sipp(scenario, rtp=rtp, keys=keys, workdir=tmp_path / f"phone-{name}",
                    name=f"phone-{name}")
        phones.append(sipp.start())
        return sipp

    yield make
    for sipp in phones:
        sipp.stop(grace=0.2)  # a call still up at the end has no one left to finish it for


def customer(gateway: RunningGateway, tmp_path, rtp: RtpPeer | None = None, *, number="4001",
             name="customer", **keys) -> Sipp:
    sipp = Sipp("customer", remote=gateway.sip_address, rtp=rtp, service=number, calls=1,
                keys={"hold_ms": 20000, **keys}, workdir=tmp_path / name, name=name)
    return sipp.start()


def offered(desk, timeout=10.0) -> cti.CallOffered:
    return desk.wait_for(lambda e: isinstance(e, cti.CallOffered), timeout)


def event(desk, kind, timeout=10.0, **fields):
    return desk.wait_for(lambda e: isinstance(e, kind) and all(
        getattr(e, k) == v for k, v in fields.items()), timeout)


