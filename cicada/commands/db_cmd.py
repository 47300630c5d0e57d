"""`cicada db`: create, migrate and fill the CRM database."""

from __future__ import annotations

from cicada.commands import open_database
from cicada.commands.config_cmd import _redact


def register(commands) -> None:
    parser = commands.add_parser("db", help="create, migrate and seed the CRM database",
                                 description="Manage the CRM database schema and demo data.")
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = sub.add_parser("upgrade", help="migrate the schema to the newest revision (creates the database)")
    up.add_argument("revision", nargs="?", default="head", help="target revision (default: head)")
    up.set_defaults(run=_upgrade)
    down = sub.add_parser("downgrade", help="migrate the schema back to an older revision")
    down.add_argument("revision", help="target revision, e.g. -1 or base")
    down.set_defaults(run=_downgrade)
    current = sub.add_parser("current", help="print the schema revision of the database")
    current.set_defaults(run=_current)
    seed = sub.add_parser("seed", help="fill an empty database with demo data",
                          description="Fill an empty, migrated database with demo customers, "
                                      "users, teams, products and history, and print the demo logins.")
    seed.add_argument("--customers", type=int, default=500, metavar="N",
                      help="number of customers to create (default: 500)")
    seed.add_argument("--seed", type=int, default=7, metavar="S",
                      help="random seed; the same seed gives the same data (default: 7)")
    seed.set_defaults(run=_seed)
    reindex = sub.add_parser("reindex", help="rebuild the partner search index",
                             description="Rebuild the search index of every business partner, "
                                         "e.g. after an upgrade changed how names are indexed.")
    reindex.set_defaults(run=_reindex)


def _upgrade(args) -> int:
    from crm import db

    config, database = open_database(args, check=False)
    db.upgrade(database.engine, args.revision)
    print(f"{_redact(config.database_url)} is at revision {db.current_revision(database.engine)}")
    return 0


def _downgrade(args) -> int:
    from crm import db

    config, database = open_database(args, check=False)
    db.downgrade(database.engine, args.revision)
    print(f"{_redact(config.database_url)} is at revision {db.current_revision(database.engine) or 'base'}")
    return 0


def _current(args) -> int:
    from crm import db

    _, database = open_database(args, check=False)
    current = db.current_revision(database.engine)
    head = db.head_revision()
    state = "up to date" if current == head else f"needs `cicada db upgrade` to {head}"
    print(f"{current or 'empty'} ({state})")
    return 0


def _seed(args) -> int:
    from crm.errors import ValidationError

    if args.customers < 0:
        raise ValidationError("--customers must be 0 or more")
    config, database = open_database(args)
    summary = run_seed(database, args.customers, config.default_region, args.seed)
    print_summary(summary)
    return 0


def _reindex(args) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from crm.services.indexing import reindex_all

    _, database = open_database(args)
    with Progress(TextColumn("reindexing partners"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn()) as bar:
        task = bar.add_task("reindex", total=None)
        count = reindex_all(database, progress=lambda done, total: bar.update(task, completed=done, total=total))
    print(f"reindexed {count:,} business partners")
    return 0


def run_seed(database, customers: int, region: str, rng_seed: int = 7):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from crm.demo.seed import seed

    with Progress(TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn()) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        return seed(database, customers, region=region, rng_seed=rng_seed, progress=progress)


def print_summary(summary) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    counts = Table(title="Demo data")
    counts.add_column("what")
    counts.add_column("rows", justify="right")
    for name, count in summary.counts.items():
        counts.add_row(name, f"{count:,}")
    console.print(counts)
    print_logins(summary.logins, console)


def print_logins(logins, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title="Demo logins (change these before real use)")
    for column in ("user", "password", "role"):
        table.add_column(column)
    for login in logins:
        table.add_row(login.username, login.password, login.role)
    console.print(table)
