"""The supervisors' wallboard under a busy hour: 500 agents changing state, 50 browsers watching.

Starts a real `cicada gateway` on a fresh PostgreSQL database with --agents agents in ten
teams of one site, and the real console application under uvicorn in a process of its own
(the same `create_app` that `cicada console` serves, with a counter on its database
connections' statements). The agents log in to the gateway from addresses of their own
(127.0.1.N, as each agent's PC has one) and change work mode (Ready / Not ready) at random,
--changes changes per agent per hour on average. The watchers are the site's supervisor
signed in to the console --watchers times (each from an address of its own, with its own
cookie, CSRF token and sign-in), each reading the wallboard's event stream, as an open
browser does.

Two phases of --duration seconds each: one watcher, then --watchers watchers. For each phase
it prints:

* from an agent's change at the gateway (the `since` the gateway stamps on his new mode)
  to a watcher having the picture that shows it: p50 / p95 / p99 / max over every watcher
  and change, and over each change's last watcher (every watcher having it);
* the console process's CPU (share of one core);
* the console's database statements per second.

A change overtaken by the agent's next one within a push (0.2 s) is measured at the next.

    .venv/bin/python bench/wallboard.py                        # 500 agents, 1 then 50 watchers
    .venv/bin/python bench/wallboard.py --agents 100 --watchers 10 --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import msgspec  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

console = Console(width=120)
PG_URL_ENV = "CICADA_TEST_PG_URL"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DATABASE = "cicada_bench_wallboard"
QUEUE = {"name": "sales", "numbers": ["4001"], "skills": {"sales": 1}, "service_level": 20}
PASSWORD = "wallboard-bench"
TEAMS = 10
PER_ADDRESS = 25  # logins and sign-ins per source address, below the guards' burst of 30


# --- the database ----------------------------------------------------------------------------

def fresh_database(server_url: str, agents: int) -> str:
    """A new database with the schema, `agents` agents in ten teams of one site, and the site's
    supervisor `boss`; its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from crm.db import Database, make_engine, upgrade
    from crm.permissions import Actor
    from crm.services.users import create_org_unit, create_user, hash_password, set_skill

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    url = make_url(server_url).set(database=DATABASE).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    database = Database(engine)
    hashed = hash_password(PASSWORD)
    system = Actor.system()
    with database.unit_of_work() as session:
        center = create_org_unit(session, system, kind="contact_center", code="CC", name="Contact center")
        site = create_org_unit(session, system, kind="site", code="S1", name="Site one", parent=center)
        teams = [create_org_unit(session, system, kind="team", code=f"t{n:02}", name=f"Team {n}", parent=site)
                 for n in range(1, TEAMS + 1)]
        create_user(session, system, username="boss", password="", password_hash=hashed, role="supervisor",
                    display_name="Site supervisor", org_unit=site)
        for n in range(agents):
            user = create_user(session, system, username=agent_name(n), password="", password_hash=hashed,
                               role="agent", display_name=f"Agent {n + 1}", org_unit=teams[n % TEAMS])
            set_skill(session, system, user, "sales", 1)
    database.dispose()
    return url


def agent_name(n: int) -> str:
    return f"a{n + 1:04}"


def agent_tokens(url: str, agents: int) -> dict[str, str]:
    """A CRM session per agent, as the application service opens one at sign-in."""
    from sqlalchemy import select

    from crm.db import Database
    from crm.models import User
    from crm.permissions import Actor
    from crm.services import sessions

    database = Database.open(url)
    tokens = {}
    with database.unit_of_work() as session:
        for user in session.scalars(select(User).where(User.role == "agent")):
            tokens[user.username] = sessions.open_session(session, Actor.for_user(user), client="bench desk",
                                                          source="127.0.1.1").token
    database.dispose()
    return tokens


# --- the agents ------------------------------------------------------------------------------

class Agents:
    """Every agent logged in to the gateway from his own PC's address, changing mode at random."""

    def __init__(self, gateway, tokens: dict[str, str], changes_per_hour: float, seed: int):
        self.gateway = gateway
        self.tokens = tokens
        self.interval = 3600.0 / changes_per_hour
        self.rng = random.Random(seed)
        self.clients: dict = {}
        self.changes = 0
        self.refused = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="agents", daemon=True)

    def log_in(self) -> None:
        from cti_gateway.client import CtiClient, CtiError

        port = self.gateway.commands.rsplit(":", 1)[1]
        for n, (name, token) in enumerate(sorted(self.tokens.items())):
            source = f"127.0.1.{1 + n // PER_ADDRESS}"
            client = CtiClient(f"tcp://{source}:0;127.0.0.1:{port}", server_key=self.gateway.public_key, timeout=20)
            while True:
                try:
                    client.login(token, device=f"sip:{name}@127.0.0.1:9", client="bench desk")
                    break
                except CtiError as exc:
                    if exc.code not in ("rate_limited", "busy"):
                        raise
                    time.sleep(0.5)
            client.set_mode("ready")
            self.clients[name] = client

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
        for client in self.clients.values():
            client.close()

    def _run(self) -> None:
        """Each agent's next change at a Poisson time; at most one command of an agent at a time."""
        import heapq

        now = time.monotonic()
        due = [(now + self.rng.expovariate(1 / self.interval), name) for name in self.clients]
        heapq.heapify(due)
        modes = dict.fromkeys(self.clients, "ready")
        with ThreadPoolExecutor(8) as pool:
            while not self._stop.is_set():
                at, name = due[0]
                wait = at - time.monotonic()
                if wait > 0:
                    self._stop.wait(min(wait, 0.2))
                    continue
                heapq.heapreplace(due, (at + self.rng.expovariate(1 / self.interval), name))
                modes[name] = "not_ready" if modes[name] == "ready" else "ready"
                pool.submit(self._change, name, modes[name])

    def _change(self, name: str, mode: str) -> None:
        try:
            self.clients[name].set_mode(mode, "break" if mode == "not_ready" else None)
            self.changes += 1
        except Exception:  # a refused change is counted; the bench goes on
            self.refused += 1


# --- the console, in a process of its own ----------------------------------------------------

def console_process(spec_path: str) -> int:
    """`create_app` under uvicorn, with its statements and CPU written to a file twice a second."""
    import uvicorn
    from sqlalchemy import event

    from admin_console.app import ConsoleSettings, create_app
    from crm.db import Database

    spec = json.loads(Path(spec_path).read_text())
    database = Database.open(spec["db_url"])
    counted = {"statements": 0}

    @event.listens_for(database.engine, "before_cursor_execute")
    def count(*_args) -> None:
        counted["statements"] += 1

    stats = Path(spec["stats"])

    def write_stats() -> None:
        while True:
            stats.write_text(json.dumps({"statements": counted["statements"], "cpu": time.process_time(),
                                         "at": time.monotonic()}))
            time.sleep(0.5)

    threading.Thread(target=write_stats, daemon=True).start()
    settings = ConsoleSettings(spec["db_url"], gateway_commands=spec["commands"], gateway_events=spec["events"],
                               gateway_key=spec["key"])
    uvicorn.run(create_app(settings, database=database), host="127.0.0.1", port=spec["port"],
                log_level="warning", access_log=False)
    return 0


class ConsoleProcess:
    def __init__(self, workdir: Path, db_url: str, gateway):
        from ports import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stats = workdir / "console-stats.json"
        self.spec = workdir / "console.json"
        self.spec.write_text(json.dumps({"db_url": db_url, "commands": gateway.commands, "events": gateway.events,
                                         "key": gateway.public_key.decode(), "port": self.port, "stats": str(self.stats)}))
        self.log = open(workdir / "console.log", "wb")
        self.process: subprocess.Popen | None = None

    def start(self) -> ConsoleProcess:
        import httpx

        self.process = subprocess.Popen([sys.executable, __file__, "--console-process", str(self.spec)],
                                        stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/signin", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the console did not start")

    def read(self) -> dict:
        for _ in range(10):
            try:
                return json.loads(self.stats.read_text())
            except (OSError, ValueError):  # being written
                time.sleep(0.05)
        raise RuntimeError("the console's figures cannot be read")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


# --- the watchers, in a process of their own -------------------------------------------------

def watchers_process(spec_path: str) -> int:
    """Sign in `count` browsers, follow the event stream until told to stop, write the delays seen."""
    spec = json.loads(Path(spec_path).read_text())
    delays = asyncio.run(_watch_all(spec["url"], spec["count"], Path(spec["stop"]), Path(spec["ready"])))
    Path(spec["result"]).write_text(json.dumps(delays))
    return 0


async def _watch_all(url: str, count: int, stop: Path, ready: Path) -> dict:
    import httpx

    clients = []
    for n in range(count):
        transport = httpx.AsyncHTTPTransport(local_address=f"127.0.2.{1 + n // PER_ADDRESS}")
        client = httpx.AsyncClient(base_url=url, transport=transport, timeout=30)
        await _sign_in(client)
        clients.append(client)
    streaming: list = []

    def first_picture() -> None:  # the sign-ins are over: the measured time may start
        streaming.append(1)
        if len(streaming) == count:
            ready.write_text("ready")

    stopping = asyncio.Event()

    async def wait_for_stop() -> None:
        while not await asyncio.to_thread(stop.exists):
            await asyncio.sleep(0.2)
        stopping.set()

    waiting = asyncio.ensure_future(wait_for_stop())
    seen = await asyncio.gather(*(_follow(client, stopping, first_picture) for client in clients))
    await waiting
    for client in clients:
        await client.aclose()
    return {"watchers": seen}


async def _sign_in(client) -> None:
    while True:
        form = await client.get("/signin")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        answer = await client.post("/signin", data={"csrf": csrf, "username": "boss", "password": PASSWORD})
        if answer.status_code == 303 and answer.headers.get("location", "").endswith("/wallboard"):
            return
        if "Too many" not in answer.text:
            raise RuntimeError(f"the console refused the sign-in: {answer.status_code}")
        await asyncio.sleep(1)


class _Agent(msgspec.Struct):  # only what the delay needs of the picture
    agent: str
    since: float


class _View(msgspec.Struct):
    agents: list[_Agent] = []


class Picture(msgspec.Struct):
    view: _View | None = None


async def _follow(client, stopping: asyncio.Event, first_picture) -> list[list]:
    """[agent, since, received] of every agent's change after the first picture."""
    decode = msgspec.json.Decoder(Picture).decode
    known: dict[str, float] | None = None
    changes: list[list] = []
    async with client.stream("GET", "/wallboard/events", timeout=None) as stream:
        async for line in stream.aiter_lines():
            if stopping.is_set():
                break
            if not line.startswith("data: "):
                continue
            received = time.time()
            picture = decode(line[6:])
            if picture.view is None:
                continue
            current = {a.agent: a.since for a in picture.view.agents}
            if known is None:
                first_picture()
            if known is not None:
                # an agent new to the picture (the first live one after "connecting") is no change
                changes += [[agent, since, received] for agent, since in current.items()
                            if agent in known and known[agent] != since]
            known = current
    return changes


# --- a phase ---------------------------------------------------------------------------------

def phase(workdir: Path, console_proc: ConsoleProcess, watchers: int, seconds: float) -> dict:
    spec = workdir / f"watchers-{watchers}.json"
    result = workdir / f"watched-{watchers}.json"
    ready, stop = workdir / f"watching-{watchers}", workdir / f"stop-{watchers}"
    spec.write_text(json.dumps({"url": console_proc.url, "count": watchers, "stop": str(stop),
                                "result": str(result), "ready": str(ready)}))
    process = subprocess.Popen([sys.executable, __file__, "--watchers-process", str(spec)])
    while not ready.exists():  # every watcher signed in and streaming
        if process.poll() is not None:
            raise RuntimeError("the watchers failed")
        time.sleep(0.2)
    time.sleep(2)
    before = console_proc.read()
    time.sleep(seconds)
    after = console_proc.read()
    stop.write_text("stop")
    if process.wait(120) != 0:
        raise RuntimeError("the watchers failed")
    watched = json.loads(result.read_text())["watchers"]
    per_watcher = [received - since for changes in watched for _agent, since, received in changes]
    last: dict[tuple, float] = {}
    for changes in watched:
        for agent, since, received in changes:
            key = (agent, since)
            last[key] = max(last.get(key, 0.0), received - since)
    span = after["at"] - before["at"]
    return {"watchers": watchers, "delays": per_watcher, "last_watcher": list(last.values()),
            "changes_seen": len(last), "cpu": (after["cpu"] - before["cpu"]) / span,
            "statements_per_second": (after["statements"] - before["statements"]) / span}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def report(args, phases: list[dict], agents: Agents, rate: float) -> None:
    table = Table(title=f"Wallboard: {args.agents} agents, {rate:.1f} changes/s")
    table.add_column("watchers", justify="right")
    table.add_column("delay ms: each watcher p50 / p95 / p99 / max", justify="right")
    table.add_column("every watcher has it p50 / p95 / p99", justify="right")
    table.add_column("console CPU", justify="right")
    table.add_column("DB statements/s", justify="right")
    for each in phases:
        d, last = each["delays"], each["last_watcher"]
        table.add_row(str(each["watchers"]),
                      " / ".join(f"{percentile(d, f) * 1000:.0f}" for f in (0.5, 0.95, 0.99, 1.0)),
                      " / ".join(f"{percentile(last, f) * 1000:.0f}" for f in (0.5, 0.95, 0.99)),
                      f"{each['cpu'] * 100:.0f} %", f"{each['statements_per_second']:.2f}")
    console.print(table)
    console.print(f"changes made {agents.changes}, refused {agents.refused}; changes seen by the watchers: "
                  + ", ".join(str(each["changes_seen"]) for each in phases))
    worst = max(percentile(each["last_watcher"], 0.95) for each in phases)
    same = phases[-1]["statements_per_second"] <= phases[0]["statements_per_second"] + 0.5
    console.print(f"goal p95 < 1 s to every watcher: {'met' if worst < 1.0 else 'not met'} "
                  f"({worst * 1000:.0f} ms); database load independent of watchers: {'yes' if same else 'no'}")


def run(args) -> None:
    import tempfile

    from gateway_harness import RunningGateway

    workdir = Path(tempfile.mkdtemp(prefix="cicada-wallboard-"))
    server_url = os.environ.get(PG_URL_ENV, DEFAULT_PG)
    console.print(f"a fresh database with {args.agents} agents (workdir {workdir})")
    url = fresh_database(server_url, args.agents)
    gateway = RunningGateway(workdir / "gateway", agents={}, queues=[QUEUE], db_url=url).start()
    agents = console_proc = None
    try:
        agents = Agents(gateway, agent_tokens(url, args.agents), args.changes, args.seed)
        started = time.monotonic()
        agents.log_in()
        console.print(f"{len(agents.clients)} agents logged in in {time.monotonic() - started:.0f} s")
        console_proc = ConsoleProcess(workdir, url, gateway).start()
        agents.start()
        began, made = time.monotonic(), agents.changes
        phases = [phase(workdir, console_proc, count, args.duration) for count in (1, args.watchers)]
        report(args, phases, agents, (agents.changes - made) / (time.monotonic() - began))
    finally:  # the gateway stops whatever else fails on the way out
        try:
            if agents is not None:
                agents.stop()
            if console_proc is not None:
                console_proc.stop()
        finally:
            gateway.stop()


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--console-process":
        return console_process(sys.argv[2])
    if len(sys.argv) == 3 and sys.argv[1] == "--watchers-process":
        return watchers_process(sys.argv[2])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--watchers", type=int, default=50, help="browsers in the second phase (default 50)")
    parser.add_argument("--changes", type=float, default=60.0,
                        help="work mode changes per agent per hour (default 60: a call every few minutes "
                             "makes offered, busy, wrap-up and ready)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of each phase")
    parser.add_argument("--seed", type=int, default=7)
    run(parser.parse_args())
    return 0


if __name__ == "__main__":
    sys.exit(main())
