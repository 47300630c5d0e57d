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
                    "or read from standard input with --password-stdin).")
    broadcast.add_argument("text", help="the message, up to 500 characters")
    broadcast.add_argument("--queue", metavar="QUEUE", help="only the agents logged into this queue")
    broadcast.add_argument("--user", required=True, metavar="NAME", help="your user name (a supervisor)")
    broadcast.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    broadcast.add_argument("--commands", metavar="ZMQ_ADDRESS",
                           help="the gateway's command address (default: from the configuration)")
    broadcast.set_defaults(run=_broadcast)


def gateway_settings(config):
    """The [gateway] section of a loaded configuration, as the gateway reads it."""
    from cicada.config import ConfigError
    from cti_gateway.config import GatewayConfigError, load_gateway_config

    try:
        return load_gateway_config(config.sections.get("gateway"), config.path)
    except GatewayConfigError as exc:
        raise ConfigError(str(exc)) from None


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
    ensure_sqlite_directory(config.database_url)
    logging.getLogger("cicada").setLevel(logging.INFO if args.verbose else logging.WARNING)

    def ready(service) -> None:
        print(service.describe(), flush=True)

    try:
        run_gateway(gateway, config.database_url, verbose=args.verbose, on_ready=ready)
    except GatewayError as exc:
        print(f"cicada gateway: {exc}", file=sys.stderr)
        return 2
    return 0


def _broadcast(args) -> int:
    import getpass

    from bus import cti
    from cti_gateway.client import CtiClient, CtiError

    address = args.commands or gateway_settings(load(args)).command_address
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    with CtiClient(address) as client:
        try:
            result = client.request(cti.SupervisorBroadcast(user=args.user, password=password, text=args.text,
                                                            queue=args.queue), cti.BroadcastResult)
        except CtiError as exc:
            print(f"cicada gateway broadcast: {exc.message}", file=sys.stderr)
            return 2
    who = ", ".join(result.agents) if result.agents else "nobody (no agent is logged in there)"
    print(f"Sent to {len(result.agents)} agent(s): {who}")
    return 0
