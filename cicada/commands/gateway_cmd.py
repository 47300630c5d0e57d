"""`cicada gateway`: run the CTI gateway."""

from __future__ import annotations

import dataclasses
import logging
import sys

from cicada.commands import load


def register(commands) -> None:
    parser = commands.add_parser(
        "gateway", help="run the CTI gateway (SIP, queues, agent states, call control)",
        description="Run the CTI gateway: customers' SIP calls wait in queues and are offered to "
                    "agents; desktops send commands and receive events over ZeroMQ; every call "
                    "is recorded in the CRM database. Addresses and queues come from the "
                    "[gateway] section of the configuration (see `cicada config init`); the "
                    "options below override it.")
    parser.add_argument("--sip-address", metavar="HOST:PORT",
                        help="where customers' calls come in (default 127.0.0.1:5060)")
    parser.add_argument("--commands", metavar="ZMQ_ADDRESS",
                        help="where desktops send commands (default tcp://127.0.0.1:5570)")
    parser.add_argument("--events", metavar="ZMQ_ADDRESS",
                        help="where events are published (default tcp://127.0.0.1:5571)")
    parser.add_argument("--calls", type=int, metavar="N",
                        help="concurrent customer calls to hold; sizes the SIP worker pool")
    parser.add_argument("--front", choices=["auto", "kamailio", "workers"],
                        help="auto: Kamailio in front when there is more than one SIP worker; "
                             "workers: no Kamailio, each worker on its own port")
    parser.set_defaults(run=_gateway)
    actions = parser.add_subparsers(dest="gateway_action", metavar="ACTION")
    broadcast = actions.add_parser(
        "broadcast", help="send a message to the agents' desktops (supervisors)",
        description="Send a message to the desktops of every agent logged in to the running gateway, "
                    "or of the agents of one queue. It shows in their message area with your name and "
                    "the time. Needs a supervisor's user name and password (the password is asked for, "
                    "or read from standard input with --password-stdin): it signs in to the CRM database "
                    "of the configuration for the one message, and signs out after.")
    broadcast.add_argument("text", help="the message, up to 500 characters")
    broadcast.add_argument("--queue", metavar="QUEUE", help="only the agents logged into this queue")
    broadcast.add_argument("--user", required=True, metavar="NAME", help="your user name (a supervisor)")
    broadcast.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    broadcast.add_argument("--commands", metavar="ZMQ_ADDRESS",
                           help="the gateway's command address (default: from the configuration)")
    broadcast.set_defaults(run=_broadcast)
    status = actions.add_parser(
        "status", help="how the running gateway is: SIP workers, Kamailio, records, queues, agents",
        description="Ask the running gateway how it is: its SIP workers and Kamailio, whether call "
                    "records reach the CRM database (and how many wait in its spool), logins refused "
                    "and accounts locked, and each queue's and agent's state. Run it on the gateway's "
                    "host as the gateway's user: it presents the gateway's own key ([keys]). Exit code 0 when "
                    "everything works, 1 when something is down, 2 when the gateway does not answer.")
    status.add_argument("--commands", metavar="ZMQ_ADDRESS",
                        help="the gateway's command address (default: from the configuration)")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.set_defaults(run=_status)


def gateway_settings(config):
    """The [gateway] section of a loaded configuration, as the gateway reads it."""
    from cicada.config import ConfigError
    from cti_gateway.config import GatewayConfigError, load_gateway_config

    try:
        return load_gateway_config(config.sections.get("gateway"), config.path)
    except GatewayConfigError as exc:
        raise ConfigError(str(exc)) from None


def gateway_keypair(config):
    """The gateway's CURVE key pair, from the [keys] directory (`cicada keys init` makes it)."""
    from bus.keys import KeyFileError, load_keypair
    from cicada.config import ConfigError, keys_settings

    try:
        return load_keypair(keys_settings(config).directory, "gateway")
    except KeyFileError as exc:
        raise ConfigError(f"the gateway's keys: {exc}") from None


def gateway_public_key(config, given: str | None = None) -> str:
    """The gateway's public key a client trusts: `given` (an option), else [gateway] public_key,
    else the one in the [keys] directory (a client on the gateway's host)."""
    from bus.keys import KeyFileError, load_public_key
    from cicada.config import ConfigError, keys_settings

    key = given or gateway_settings(config).public_key
    if key:
        return key
    try:
        return load_public_key(keys_settings(config).directory, "gateway").decode("ascii")
    except KeyFileError as exc:
        raise ConfigError(f"the gateway's public key is needed: set [gateway] public_key to what "
                          f"`cicada keys show` prints on the gateway's host ({exc})") from None


def gateway_config(args):
    from cti_gateway.config import GatewayConfigError, split_address

    config = load(args)
    gateway = gateway_settings(config)
    try:
        changes = {}
        if args.sip_address:
            changes["sip_host"], changes["sip_port"] = split_address(args.sip_address, "--sip-address")
        if args.commands:
            changes["command_address"] = args.commands
        if args.events:
            changes["event_address"] = args.events
        if args.calls:
            changes["concurrent_calls"] = args.calls
        if args.front:
            changes["front"] = args.front
    except (GatewayConfigError, ValueError) as exc:
        from cicada.config import ConfigError

        raise ConfigError(str(exc)) from None
    return config, dataclasses.replace(gateway, **changes)


def _gateway(args) -> int:
    from cicada.config import ensure_sqlite_directory
    from cti_gateway.service import GatewayError, run_gateway

    config, gateway = gateway_config(args)
    keypair = gateway_keypair(config)
    ensure_sqlite_directory(config.database_url)
    logging.getLogger("cicada").setLevel(logging.INFO if args.verbose else logging.WARNING)

    def ready(service) -> None:
        print(service.describe(), flush=True)

    try:
        run_gateway(gateway, config.database_url, keypair=keypair, verbose=args.verbose, on_ready=ready)
    except GatewayError as exc:
        print(f"cicada gateway: {exc}", file=sys.stderr)
        return 2
    return 0


def _broadcast(args) -> int:
    import getpass

    from bus import cti
    from cti_gateway.client import CtiClient, CtiError

    from crm.errors import AuthenticationFailed

    config = load(args)
    address = args.commands or gateway_settings(config).command_address
    server_key = gateway_public_key(config)
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    try:
        token = sign_in_here(config.database_url, args.user, password, "cicada gateway broadcast")
    except AuthenticationFailed as exc:
        print(f"cicada gateway broadcast: {exc}", file=sys.stderr)
        return 2
    try:
        with CtiClient(address, server_key=server_key) as client:
            result = client.request(cti.SupervisorBroadcast(token=token, text=args.text, queue=args.queue),
                                    cti.BroadcastResult)
    except CtiError as exc:
        print(f"cicada gateway broadcast: {exc.message}", file=sys.stderr)
        return 2
    finally:
        _sign_out(config.database_url, token)
    who = ", ".join(result.agents) if result.agents else "nobody (no agent of your org units is logged in there)"
    print(f"Sent to {len(result.agents)} agent(s): {who}")
    return 0


def sign_in_here(database_url: str, user: str, password: str, client: str) -> str:
    """A session of the user for a command run on a server, which reaches the CRM database
    itself (the CRM checks his password): its token."""
    from crm.db import Database
    from crm.services.sessions import sign_in

    database = Database.open(database_url)
    try:
        with database.unit_of_work() as session:
            return sign_in(session, user, password, client=client, source="command line").token
    finally:
        database.dispose()


def _sign_out(database_url: str, token: str) -> None:
    from crm.db import Database
    from crm.services.sessions import end_session

    database = Database.open(database_url)
    try:
        with database.unit_of_work() as session:
            end_session(session, token)
    finally:
        database.dispose()


def _status(args) -> int:
    import msgspec
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from cti_gateway.client import CtiClient, CtiError

    config = load(args)
    address = args.commands or gateway_settings(config).command_address
    keypair = gateway_keypair(config)  # the operator's: the gateway's own key
    with CtiClient(address, server_key=keypair.public, keypair=keypair) as client:
        try:
            status = client.status()
        except CtiError as exc:
            print(f"cicada gateway status: {exc.message}", file=sys.stderr)
            return 2
    problems = gateway_problems(status)
    if args.json:
        print(msgspec.json.encode(status).decode())
        return 1 if problems else 0
    console = Console()
    console.print(f"Gateway {status.run}, SIP {status.sip_address} ({status.front})", markup=False)
    for line in problems or ["everything works"]:
        # Unwrapped (a pipe would cut it at 80 columns) and escaped: a database's error may hold brackets.
        console.print(f"  {'[red]![/red]' if problems else '[green]✓[/green]'} {escape(line)}",
                      highlight=False, soft_wrap=True)
    workers = Table("SIP worker", "state", "pid", "calls", "restarts")
    for worker in status.workers:
        workers.add_row(worker.name, worker.state, str(worker.pid or "-"),
                        f"{worker.customer_calls}/{worker.max_customer_calls}", str(worker.restarts))
    console.print(workers)
    queues = Table("queue", "waiting", "longest wait", "agents ready", "logged in", "service level")
    for queue in status.queues:
        level = "-" if queue.service_level is None else f"{queue.service_level:.0%}"
        queues.add_row(queue.queue, str(queue.waiting), f"{queue.longest_wait:.0f} s", str(queue.agents_ready),
                       str(queue.agents_logged_in), level)
    console.print(queues)
    return 1 if problems else 0


def gateway_problems(status) -> list[str]:
    """What does not work, in words an operator acts on."""
    problems = []
    down = [w.name for w in status.workers if w.state != "up"]
    if down:
        problems.append(f"SIP worker(s) not up: {', '.join(down)}")
    if status.front_running is False:
        problems.append("Kamailio is not running: no calls come in (the gateway is starting it again)")
    if not status.records_healthy:
        problems.append(f"call records cannot reach the CRM database ({status.records_error}); "
                        f"{status.spool_unwritten} wait in the spool")
    if status.locked_accounts:
        problems.append(f"accounts locked after failed logins: {', '.join(status.locked_accounts)}")
    return problems
