"""`cicada demo`: the whole product on one machine with embedded defaults."""

from __future__ import annotations

from cicada.commands import open_database
from cicada.commands.config_cmd import _redact


def register(commands) -> None:
    parser = commands.add_parser(
        "demo", help="start Cicada on this machine with demo data",
        description="Create and migrate the database (SQLite in the user data directory unless "
                    "configured otherwise), fill it with demo data if it is empty, and print what "
                    "is there and how to log in.")
    parser.add_argument("--customers", type=int, default=2000, metavar="N",
                        help="customers to create in an empty database (default: 2000)")
    parser.set_defaults(run=_demo)


def _demo(args) -> int:
    from rich.console import Console
    from sqlalchemy import func, select

    from cicada.commands.db_cmd import print_logins, print_summary, run_seed
    from crm import db
    from crm.demo.seed import demo_logins
    from crm.models import BusinessPartner, Interaction, User

    config, database = open_database(args, check=False)
    console = Console()
    console.print(f"CRM database: {_redact(config.database_url)}")
    db.upgrade(database.engine)
    database = db.Database(database.engine)
    with database.reading() as session:
        partners = session.scalar(select(func.count()).select_from(BusinessPartner))
    if partners == 0:
        console.print(f"The database is empty: creating {args.customers:,} demo customers.")
        print_summary(run_seed(database, args.customers, config.default_region))
    else:
        with database.reading() as session:
            users = session.scalar(select(func.count()).select_from(User))
            interactions = session.scalar(select(func.count()).select_from(Interaction))
        console.print(f"{partners:,} business partners, {users:,} users, "
                      f"{interactions:,} interaction records.")
        print_logins(demo_logins())
    console.print(
        "\nTry it:\n"
        "  cicada crm search 张伟\n"
        "  cicada crm search zhang wei\n"
        "  cicada crm identify --phone '138 0013 8000'\n"
        "(inside the project's environment: .venv/bin/cicada, or python3 dev.py cicada ...)\n"
        "The gateway, mail queue and desktop join this command as they are built.")
    return 0
