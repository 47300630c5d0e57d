"""Benchmark: account identification and partner search on a seeded CRM database.

    python bench/crm_lookup.py --customers 100000 --db both

Creates a fresh database (a SQLite file in a temporary directory and/or a new
schema on PostgreSQL), migrates it, fills it with `crm.demo.seed.seed`, and
measures per call, with one long-lived session per loop after a warm-up:

* identification by phone number, with numbers from the data typed in other
  formats than stored, and about 10% numbers that are not in the database;
* identification by email address, in varied case;
* partner search with realistic queries: full Chinese names, names in pinyin,
  English full names, last names, company words, name prefixes, names with a
  typo, cities.

Prints the seeding time and p50/p95/p99 latencies in milliseconds. Writes
nothing but stdout; the PostgreSQL schema is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumberFormat
from pypinyin import lazy_pinyin
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm.db import Database, make_engine, upgrade  # noqa: E402
from crm.demo.seed import seed  # noqa: E402
from crm.models import Address, BusinessPartner, EmailAddress, PhoneNumber  # noqa: E402
from crm.permissions import Actor  # noqa: E402
from crm.services.identify import identify_by_email, identify_by_phone  # noqa: E402
from crm.services.search import search_partners  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WARMUP = 100
console = Console()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("CICADA_TEST_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--queries", type=int, default=2000, help="measured calls per loop")
    parser.add_argument("--url", help="measure this already seeded database instead (no seeding, "
                        "nothing dropped); e.g. a file kept with --keep")
    parser.add_argument("--keep", metavar="PATH",
                        help="keep the databases: the SQLite file at PATH, the PostgreSQL schema")
    parser.add_argument("--region", default="CN")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-gc-freeze", action="store_true",
                        help="leave start-up objects to the cyclic GC (gen-2 pauses of ~100+ ms)")
    args = parser.parse_args(argv)
    size = "an existing database" if args.url else f"{args.customers:,} customers"
    console.print(f"[bold]CRM lookup benchmark[/]: {size}, "
                  f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    if args.url:
        bench(args.url, "existing database", args, seeded=False)
        return 0
    backends = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for backend in backends:
        if backend == "sqlite":
            run_sqlite(args)
        else:
            run_postgres(args)
    return 0


def run_sqlite(args) -> None:
    if args.keep:
        path = Path(args.keep).resolve()
        if path.exists():
            raise SystemExit(f"{path} exists; --keep needs a new file")
        bench(f"sqlite:///{path}", "SQLite", args)
        console.print(f"kept the SQLite database at {path}")
        return
    with tempfile.TemporaryDirectory(prefix="cicada-bench-") as tmp:
        bench(f"sqlite:///{tmp}/crm.db", "SQLite", args)


def run_postgres(args) -> None:
    schema = f"crm_bench_{os.getpid()}_{int(time.time())}"
    admin = make_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        bench(args.pg_url, "PostgreSQL", args,
              connect_args={"options": f"-csearch_path={schema}"})
    finally:
        if args.keep:
            console.print(f"kept the PostgreSQL schema {schema}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def bench(url: str, label: str, args, seeded: bool = True, **engine_args) -> None:
    engine = make_engine(url, **engine_args)
    if seeded:
        upgrade(engine)
    database = Database(engine)
    if seeded:
        started = time.perf_counter()
        summary = seed(database, args.customers, region=args.region, rng_seed=args.seed)
        seconds = time.perf_counter() - started
        partners = summary.counts.get("business_partner", 0)
        console.print(f"[bold]{label}[/]: seeded {args.customers:,} customers ({partners:,} business "
                      f"partners, {summary.counts.get('search_token', 0):,} search tokens, "
                      f"{summary.counts.get('interaction', 0):,} interactions) in {seconds:.1f} s")
        settle(engine)
    else:
        with database.reading() as session:
            args.customers = session.scalar(select(func.count()).select_from(BusinessPartner))
        label = f"{engine.dialect.name} (existing; {args.customers:,} business partners)"
    rng = random.Random(args.seed)
    with database.reading() as session:
        queries = sample_queries(session, rng, args.queries, args.region)
    if not args.no_gc_freeze:
        # What a long-running service should do after start-up: pypinyin's and
        # phonenumbers' tables are millions of objects that every full
        # collection would otherwise walk (about 140 ms each time here).
        gc.collect()
        gc.freeze()
    actor = Actor.system()
    size = f"{args.customers:,} customers" if seeded else "as found"
    table = Table(title=f"{label}, {size}: latency per call (ms)")
    for column in ("what", "calls", "p50", "p95", "p99", "max", "found"):
        table.add_column(column, justify="left" if column == "what" else "right")
    loops = [
        ("identify by phone", queries["phone"],
         lambda s, q: identify_by_phone(s, actor, q, args.region)),
        ("identify by email", queries["email"], lambda s, q: identify_by_email(s, actor, q)),
    ]
    for name, items, call in loops:
        add_row(table, name, measure(database, items, call=call))
    search_rows = []
    all_times: list[float] = []
    all_found = 0
    for kind, items in queries["search"].items():
        times, found = measure(database, items,
                               call=lambda s, q: search_partners(s, actor, q).items)
        all_times += times
        all_found += found
        search_rows.append((f"search: {kind}", (times, found)))
    add_row(table, "search partners (all)", (all_times, all_found))
    for name, result in search_rows:
        add_row(table, name, result, dim=True)
    console.print(table)
    examples = Table(title="example queries", show_header=True)
    examples.add_column("kind")
    examples.add_column("examples")
    examples.add_row("phone", ", ".join(queries["phone"][:6]))
    examples.add_row("email", ", ".join(queries["email"][:4]))
    for kind, items in queries["search"].items():
        examples.add_row(kind, ", ".join(items[:5]))
    console.print(examples)
    engine.dispose()
    gc.unfreeze()


def settle(engine) -> None:
    """Let the load's aftermath (WAL checkpoint, dirty pages) pass before measuring,
    so the figures are those of a database in use, not of one still being written."""
    t0 = time.perf_counter()
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            try:
                conn.exec_driver_sql("CHECKPOINT")
            except Exception as exc:  # needs superuser or pg_checkpoint
                console.print(f"(no CHECKPOINT: {exc.__class__.__name__})")
                conn.rollback()
    os.sync()
    console.print(f"checkpoint and sync after the load: {time.perf_counter() - t0:.1f} s")


def measure(database: Database, items: list[str], *, call: Callable):
    """Per-call times (ms) of call(session, item), after a warm-up; and how many found something."""
    session = database.sessions()
    try:
        for item in items[:WARMUP]:
            call(session, item)
            session.rollback()
        times, found = [], 0
        for item in items:
            t0 = time.perf_counter()
            result = call(session, item)
            times.append((time.perf_counter() - t0) * 1000)
            found += bool(result)
        return times, found
    finally:
        session.rollback()
        session.close()


def add_row(table: Table, name: str, result, dim: bool = False) -> None:
    times, found = result
    if not times:
        return
    q = statistics.quantiles(times, n=100, method="inclusive")
    style = "dim" if dim else None
    table.add_row(name, f"{len(times):,}", f"{q[49]:.2f}", f"{q[94]:.2f}", f"{q[98]:.2f}",
                  f"{max(times):.2f}", f"{found / len(times):.0%}", style=style)


# --- queries drawn from the data ------------------------------------------------------

def _random_rows(session, model, columns, rng: random.Random, count: int, where=None):
    """About `count` rows of `model` at random ids (ids may have gaps)."""
    top = session.scalar(select(model.id).order_by(model.id.desc()).limit(1)) or 0
    rows = []
    attempts = 0
    while len(rows) < count and attempts < count * 20 and top:
        attempts += 1
        stmt = select(*columns).where(model.id >= rng.randint(1, top)).order_by(model.id).limit(1)
        if where is not None:
            stmt = stmt.where(where)
        row = session.execute(stmt).first()
        if row is not None:
            rows.append(row)
    return rows


def _retype(e164: str, region: str, rng: random.Random) -> str:
    number = phonenumbers.parse(e164)
    intl = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    nsn = phonenumbers.national_significant_number(number)
    forms = [intl, e164, "00" + intl[1:], e164[1:], f"sip:{e164}@192.0.2.10;user=phone",
             intl.replace(" ", "-")]
    if phonenumbers.region_code_for_number(number) == region:
        forms += [national, national.replace(" ", ""), nsn if not national.startswith("0") else "0" + nsn]
    return rng.choice(forms)


def sample_queries(session, rng: random.Random, n: int, region: str) -> dict:
    queries: dict = {}
    # phone numbers, typed differently from how they were stored
    phones = _random_rows(session, PhoneNumber, (PhoneNumber.e164,), rng, n,
                          where=PhoneNumber.e164.is_not(None))
    items = [_retype(r.e164, region, rng) for r in phones]
    unknown = max(1, len(items) // 10)
    for i in range(unknown):  # not in the database: an unused mobile block, or junk
        items[rng.randrange(len(items))] = (f"+86 147 {rng.randrange(10000):04d} {rng.randrange(10000):04d}"
                                            if i % 3 else f"{rng.randrange(10 ** 5)}")
    queries["phone"] = items
    # email addresses, in varied case
    mails = _random_rows(session, EmailAddress, (EmailAddress.address,), rng, n)
    items = []
    for r in mails:
        a = r.address
        items.append(rng.choice((a, a.lower(), a.upper(), a.title(), f"  {a} ")))
    for _ in range(max(1, len(items) // 10)):
        items[rng.randrange(len(items))] = f"nobody{rng.randrange(10 ** 6)}@example.org"
    queries["email"] = items
    # names
    per_kind = max(10, n // 8)
    people = _random_rows(session, BusinessPartner,
                          (BusinessPartner.id, BusinessPartner.kind, BusinessPartner.first_name,
                           BusinessPartner.last_name, BusinessPartner.org_name, BusinessPartner.name),
                          rng, per_kind * 8)
    zh_people = [p for p in people if p.kind == "person" and _is_cjk(p.name)]
    en_people = [p for p in people if p.kind == "person" and not _is_cjk(p.name)]
    orgs = [p for p in people if p.kind == "organization"]
    cities = [c for (c,) in session.execute(
        select(Address.city).where(Address.partner_id.in_([p.id for p in people[:per_kind * 2]])))]
    search: dict[str, list[str]] = {
        "Chinese full name": [p.name for p in zh_people],
        "pinyin name": [" ".join(["".join(lazy_pinyin(p.last_name)), "".join(lazy_pinyin(p.first_name))])
                        for p in zh_people],
        "English full name": [p.name for p in en_people],
        "last name": [p.last_name for p in en_people],
        "company word": [_company_word(p.org_name, rng) for p in orgs],
        "name prefix": [(p.last_name if p.last_name.isascii() else "".join(lazy_pinyin(p.last_name)))[:3]
                        .capitalize() for p in people if p.kind == "person"],
        "name with a typo": [f"{p.first_name} {_typo(p.last_name, rng)}" for p in en_people
                             if len(p.last_name) >= 5],
        "city": [c if rng.random() < 0.7 or not _is_cjk(c) else c.rstrip("市") for c in cities],
    }
    for kind, items in search.items():
        rng.shuffle(items)
        search[kind] = (items * (per_kind // max(1, len(items)) + 1))[:per_kind] if items else []
    queries["search"] = search
    return queries


def _is_cjk(text_: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text_)


_SKIP_WORDS = {"and", "inc", "llc", "ltd", "plc", "group", "sons", "co"}


def _company_word(name: str, rng: random.Random) -> str:
    if _is_cjk(name):
        core = name.replace("有限公司", "")
        start = rng.randrange(max(1, len(core) - 1))
        return core[start:start + 2]
    words = [w.strip(",.") for w in name.split() if w.strip(",.").lower() not in _SKIP_WORDS]
    return rng.choice(words or name.split())


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # swapped letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:  # a missing letter
        return word[:i] + word[i + 1:]
    letter = rng.choice("aeiounrst".replace(word[i].lower(), ""))
    return word[:i] + letter + word[i + 1:]


if __name__ == "__main__":
    raise SystemExit(main())
