"""`cicada demo`: the whole product on one machine with embedded defaults."""

from __future__ import annotations

from cicada.commands import open_database
from cicada.commands.config_cmd import _redact


def register(commands) -> None:
    parser = commands.add_parser(
        "demo", help="start Cicada on this machine with demo data",
        description="Create and migrate the database (SQLite in the user data directory unless "
                    "configured otherwise), fill it with demo data if it is empty, print how to "
                    "log in, then run the CTI gateway on 127.0.0.1 until Ctrl-C.")
    parser.add_argument("--customers", type=int, default=2000, metavar="N",
                        help="customers to create in an empty database (default: 2000)")
    parser.add_argument("--no-gateway", action="store_true",
                        help="prepare the database and stop, without running the gateway")
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
        "\nTry the CRM:\n"
        "  cicada crm search 张伟\n"
        "  cicada crm identify --phone '138 0013 8000'\n"
        "(inside the project's environment: .venv/bin/cicada, or python3 dev.py cicada ...)")
    if args.no_gateway:
        return 0
    return _run_gateway(args, console)


def _run_gateway(args, console) -> int:
    from cicada.commands.gateway_cmd import gateway_settings
    from cicada.commands import load
    from cti_gateway.service import GatewayError, run_gateway

    config = load(args)
    gateway = gateway_settings(config)
    numbers = ", ".join(f"{q.dnis[0]} {q.name}" for q in gateway.queues if q.dnis)
    console.print(
        "\nThe CTI gateway is starting. In another terminal, take calls as agent1 and call in:\n"
        "  cicada phone --agent agent1 --login          (password: agent1-demo)\n"
        "  cicada call --from 13800138000 --to 4008001001 --hold-for 20\n"
        f"Queues and their numbers: {numbers}.\nCtrl-C stops the gateway.")

    def ready(service) -> None:
        console.print(service.describe())

    try:
        run_gateway(gateway, config.database_url, verbose=args.verbose, on_ready=ready)
    except GatewayError as exc:
        console.print(f"[red]The gateway did not start: {exc}[/red]")
        return 2
    return 0
