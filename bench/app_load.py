"""Hundreds of desktops against one application service on PostgreSQL.

Starts a real `cicada app` (its own process, TLS, `[app] pool_size`
connections) on a PostgreSQL database seeded once with --customers
customers, signs in --desktops agents, each from an address of its own
(127.0.1.N, as each agent's PC has one), and lets each do what a desktop
does in a busy hour for --duration seconds: a contact every
--contact-interval seconds on average (Poisson), each one identifying the
caller by phone, loading his business data and the first page of his
history, refreshing the agent's follow-ups and, one contact in five, a
search by name. Each desktop is a thread with its own HTTPS connection
(`app_service.client.AppClient`, the desktop's own client, through the
desktop's own `agent_desktop.crm_access` functions).

Prints per request kind and in all: the count, p50, p99 and max of the time
from sending a request to its decoded answer, measured in the desktop's
thread, beside the service's own time (its Server-Timing header); the requests per second reached; and the database connections of
the service, sampled from pg_stat_activity every 0.2 s (the most seen).

    .venv/bin/python bench/app_load.py                       # 300 desktops, 20,000 customers
    .venv/bin/python bench/app_load.py --desktops 50 --duration 30
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from app_harness import _HASH, PASSWORD, self_signed  # noqa: E402

console = Console(width=130)
APP_NAME = "cicada-bench-app"  # the service's connections, told apart in pg_stat_activity


# --- the database ----------------------------------------------------------------------------

def ensure_database(server_url: str, name: str, customers: int, region: str) -> str:
    """A database `name` on the server of `server_url`, migrated and seeded once; its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from cicada.commands.db_cmd import run_seed
    from crm.db import Database, make_engine, upgrade

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    database = Database(engine)
    with engine.connect() as conn:
        have = conn.scalar(text("SELECT count(*) FROM business_partner"))
    if have == 0:
        console.print(f"seeding {customers:,} customers into {name} (once; reruns reuse it)")
        started = time.monotonic()
        run_seed(database, customers, region)
        console.print(f"seeded in {time.monotonic() - started:.0f} s")
    else:
        console.print(f"using {name} with {have:,} partners")
    database.dispose()
    return url


def ensure_agents(url: str, count: int) -> list[str]:
    from sqlalchemy import select

    from crm.db import Database
    from crm.models import User
    from crm.permissions import Actor
    from crm.services.users import create_user

    names = [f"bench{n:03d}" for n in range(1, count + 1)]
    database = Database.open(url)
    with database.unit_of_work() as session:
        existing = set(session.scalars(select(User.username).where(User.username.in_(names))))
        for name in names:
            if name not in existing:
                create_user(session, Actor.system(), username=name, password="", password_hash=_HASH,
                            role="agent", display_name=name.title())
    database.dispose()
    return names


def sample_customers(url: str, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(E.164 phone, family name) of random customers: what callers present and agents type."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT p.e164, bp.last_name FROM phone_number p JOIN business_partner bp ON bp.id = p.partner_id "
            "WHERE p.e164 IS NOT NULL AND bp.last_name IS NOT NULL ORDER BY random() LIMIT :n"), {"n": count}).all()
    engine.dispose()
    picked = [tuple(r) for r in rows]
    rng.shuffle(picked)
    return picked


# --- the service -----------------------------------------------------------------------------

class AppProcess:
    def __init__(self, workdir: Path, url: str, pool_size: int):
        self.workdir, self.url, self.pool_size = workdir, url, pool_size
        self.certificate, self.private_key = self_signed(workdir)
        self.port = 0
        self.process: subprocess.Popen | None = None

    def start(self) -> AppProcess:
        from sqlalchemy.engine import make_url

        config = self.workdir / "cicada.toml"
        config.write_text(f'[app]\naddress = "127.0.0.1:0"\npool_size = {self.pool_size}\n[keys]\n'
                          f'tls_certificate = "{self.certificate}"\ntls_key = "{self.private_key}"\n')
        db_url = make_url(self.url).update_query_dict({"application_name": APP_NAME})
        env = {**os.environ, "CICADA_CONFIG": str(config),
               "CICADA_DB_URL": db_url.render_as_string(hide_password=False)}
        self.log = open(self.workdir / "app.log", "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "cicada.cli", "app"], cwd=ROOT, env=env,
                                        stdout=subprocess.PIPE, stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline().decode(errors="replace")
            if "application service ready" in line:
                self.port = int(line.rsplit(":", 1)[1].split("/")[0])
                return self
            if not line and self.process.poll() is not None:
                break
        raise SystemExit(f"the application service did not start; see {self.workdir / 'app.log'}")

    def cpu_seconds(self) -> float:
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0.0

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


class ConnectionWatch(threading.Thread):
    """The service's database connections, every 0.2 s (the most seen, and now)."""

    def __init__(self, url: str):
        super().__init__(daemon=True, name="connection-watch")
        from sqlalchemy import create_engine

        self.engine = create_engine(url)
        self.most = 0
        self.stopping = threading.Event()

    def count(self) -> int:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"),
                               {"n": APP_NAME})

    def run(self) -> None:
        while not self.stopping.wait(0.2):
            self.most = max(self.most, self.count())

    def stop(self) -> int:
        self.stopping.set()
        self.join(2)
        now = self.count()
        self.engine.dispose()
        return now


# --- the desktops -----------------------------------------------------------------------------

class Timings:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_kind: dict[str, list[float]] = defaultdict(list)
        self.server_by_kind: dict[str, list[float]] = defaultdict(list)  # Server-Timing
        self.last_server = threading.local()
        self.failures: dict[str, int] = defaultdict(int)

    def timed(self, kind: str, call):
        started = time.perf_counter()
        self.last_server.ms = None
        try:
            result = call()
        except Exception as exc:  # counted and shown; the desktop goes on
            with self.lock:
                self.failures[f"{kind}: {type(exc).__name__}"] += 1
            return None
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.by_kind[kind].append(elapsed)
            if self.last_server.ms is not None:
                self.server_by_kind[kind].append(self.last_server.ms)
        return result

    def heard(self, response: httpx.Response) -> None:
        from app_service.timing import server_ms

        self.last_server.ms = server_ms(response.headers)


def desktop(number: int, name: str, app: AppProcess, args, customers, timings: Timings, start_at: float,
            stop_at: float, signed: threading.Barrier) -> None:
    from agent_desktop import crm_access
    from app_service.client import AppClient
    from crm.services.history import HistoryFilter

    rng = random.Random(args.seed * 1000 + number)
    context = ssl.create_default_context(cafile=str(app.certificate))
    address = f"127.0.1.{number % 250 + 1}" if number < 250 else f"127.0.2.{number % 250 + 1}"
    transport = httpx.HTTPTransport(verify=context, local_address=address)
    crm = AppClient(f"https://127.0.0.1:{app.port}", verify=context, transport=transport)
    crm._http.event_hooks["response"].append(timings.heard)  # the service's own time of each answer
    try:
        sign_in(crm, name, timings)
        signed.wait()
        time.sleep(max(0.0, start_at - time.monotonic()) + rng.uniform(0, args.contact_interval))
        while time.monotonic() < stop_at:
            phone, family = rng.choice(customers)
            found = timings.timed("identify", lambda: crm_access.identify_caller(crm, phone, args.region))
            if found:
                partner_id = found[0].partner.partner_id
                timings.timed("business data", lambda: crm_access.business_data(crm, partner_id))
                timings.timed("history", lambda: crm_access.history_page(
                    crm, partner_id, filters=HistoryFilter(), before=None, page_size=20))
            timings.timed("follow-ups", lambda: crm_access.follow_ups(crm))
            if rng.random() < 0.2:
                timings.timed("search", lambda: crm_access.search(crm, family, region=args.region))
            time.sleep(rng.expovariate(1 / args.contact_interval))
        if crm.token:
            timings.timed("sign out", crm.sign_out)
    finally:
        crm.close()


def sign_in(crm, name: str, timings: Timings) -> None:
    """Sign in as the desktop's login dialog lets an agent do at the start of a shift: a
    service busy checking others' passwords says when to try again."""
    from crm.login_guard import LoginRefused

    started = time.perf_counter()
    for _ in range(60):
        try:
            crm.sign_in(name, PASSWORD)
            break
        except LoginRefused as refused:
            time.sleep(refused.retry_after)
    with timings.lock:
        timings.by_kind["sign in (until admitted)"].append((time.perf_counter() - started) * 1000)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def run(args) -> None:
    import tempfile

    server = args.pg_url or os.environ.get("CICADA_TEST_PG_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    url = ensure_database(server, args.database, args.customers, args.region)
    names = ensure_agents(url, args.desktops)
    rng = random.Random(args.seed)
    customers = sample_customers(url, 5000, rng)
    workdir = Path(tempfile.mkdtemp(prefix="cicada-app-load-"))
    app = AppProcess(workdir, url, args.pool_size).start()
    watch = ConnectionWatch(url)
    timings = Timings()
    try:
        watch.start()
        signed = threading.Barrier(args.desktops + 1)
        start_at = time.monotonic() + 5 + args.desktops * 0.05  # after every sign-in
        stop_at = start_at + args.duration
        threads = [threading.Thread(target=desktop, daemon=True, name=f"desk{n}",
                                    args=(n, name, app, args, customers, timings, start_at, stop_at, signed))
                   for n, name in enumerate(names)]
        console.print(f"{args.desktops} desktops signing in to https://127.0.0.1:{app.port} "
                      f"(pool_size {args.pool_size}) ...")
        for thread in threads:
            thread.start()
        signed.wait(timeout=120)
        cpu_before = app.cpu_seconds()
        console.print(f"working for {args.duration} s, a contact every {args.contact_interval} s per desktop ...")
        for thread in threads:
            thread.join(args.duration + 60)
        cpu = app.cpu_seconds() - cpu_before
    finally:
        left = watch.stop()
        app.stop()
    report(args, timings, watch.most, left, cpu)


def report(args, timings: Timings, most: int, left: int, cpu: float) -> None:
    table = Table(title=f"{args.desktops} desktops, one application service (pool_size {args.pool_size}), "
                        f"PostgreSQL, {args.customers:,} customers")
    for column in ("request", "count", "per s", "p50 ms", "p99 ms", "max ms", "service p50", "service p99"):
        table.add_column(column, justify="left" if column == "request" else "right")
    work = [k for k in timings.by_kind if not k.startswith("sign ")]
    everything = [v for k in work for v in timings.by_kind[k]]
    served = [v for k in work for v in timings.server_by_kind[k]]
    for kind in [*timings.by_kind, "all work"]:
        values = everything if kind == "all work" else timings.by_kind[kind]
        service = served if kind == "all work" else timings.server_by_kind[kind]
        rate = f"{len(values) / args.duration:.1f}" if not kind.startswith("sign ") else ""
        table.add_row(kind, str(len(values)), rate, f"{percentile(values, 0.5):.1f}",
                      f"{percentile(values, 0.99):.1f}", f"{max(values, default=0):.1f}",
                      f"{percentile(service, 0.5):.1f}", f"{percentile(service, 0.99):.1f}")
    console.print(table)
    console.print(f"database connections of the service: at most {most} (pool_size {args.pool_size}), "
                  f"{left} when the work ended")
    console.print(f"the service's CPU while working: {cpu:.1f} s in {args.duration} s "
                  f"({cpu / max(1, len(everything)) * 1000:.1f} ms a request)")
    if timings.failures:
        console.print("failures: " + ", ".join(f"{k} x{n}" for k, n in timings.failures.items()))
    goal = percentile(everything, 0.99)
    console.print(f"goal p99 < 50 ms per request: {'met' if goal < 50 else 'NOT met'} ({goal:.1f} ms)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--desktops", type=int, default=300)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of work after sign-in")
    parser.add_argument("--contact-interval", type=float, default=20.0,
                        help="mean seconds between one desktop's contacts (a busy hour: 20)")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--pool-size", type=int, default=16)
    parser.add_argument("--pg-url", help="a PostgreSQL server (default: $CICADA_TEST_PG_URL)")
    parser.add_argument("--database", default="cicada_bench_app")
    parser.add_argument("--region", default="CN")
    parser.add_argument("--seed", type=int, default=1)
    run(parser.parse_args())
    return 0


if __name__ == "__main__":
    sys.exit(main())
