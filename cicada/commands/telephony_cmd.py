"""`cicada call` and `cicada phone`: a customer's call and an agent's
softphone, real SIP through pjsua2, for demos and manual tests."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from cicada.commands import load


def register(commands) -> None:
    _register_call(commands)
    _register_phone(commands)


def _register_call(commands) -> None:
    parser = commands.add_parser(
        "call", help="place a customer's SIP call into the gateway",
        description="Place one real SIP call into the gateway, as a customer would: from ANI to "
                    "DNIS (the number that chooses the queue), stay on the line, send DTMF, hang "
                    "up. Exit code 0 when the gateway answered.")
    parser.add_argument("--from", dest="ani", required=True, metavar="ANI",
                        help="the caller's number, e.g. 13800138000")
    parser.add_argument("--to", dest="dnis", required=True, metavar="DNIS",
                        help="the dialled number, e.g. 4008001001 (billing, Mandarin, in the demo)")
    parser.add_argument("--gateway", metavar="HOST:PORT",
                        help="the gateway's SIP address (default: from the configuration)")
    parser.add_argument("--hold-for", type=float, default=30.0, metavar="S",
                        help="seconds to stay on the line after the gateway answers (default 30)")
    parser.add_argument("--dtmf", metavar="DIGITS", help="DTMF digits to send after answer")
    parser.add_argument("--queue", metavar="NAME", help="ask for a queue by the X-Queue header")
    parser.add_argument("--play", type=Path, metavar="WAV", help="play this WAV file into the call")
    parser.add_argument("--record", type=Path, metavar="WAV", help="record what the caller hears")
    parser.set_defaults(run=_call)


def _register_phone(commands) -> None:
    parser = commands.add_parser(
        "phone", help="a minimal softphone for an agent without a SIP phone",
        description="Listen at the agent's phone address (the extension in the CRM, e.g. "
                    "sip:agent1@127.0.0.1:5161 in the demo) and answer the calls the gateway offers "
                    "as soon as the agent accepts them in the desktop: to see which he accepts it signs "
                    "in as the agent, with the password from $CICADA_AGENT_PASSWORD or --password-stdin "
                    "(without one it answers only calls marked to be answered at once). With --login it "
                    "also logs the agent in, goes Ready and accepts every offer itself.")
    parser.add_argument("--agent", required=True, metavar="USER", help="the agent's user name")
    parser.add_argument("--address", metavar="HOST:PORT",
                        help="where to listen (default: the agent's extension in the CRM)")
    parser.add_argument("--login", action="store_true",
                        help="log the agent in and accept offers (no desktop needed); the password "
                             "is asked for, or read from $CICADA_AGENT_PASSWORD or --password-stdin")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    parser.add_argument("--queues", metavar="Q1,Q2", help="queues to log into (default: by skills)")
    parser.add_argument("--auto-answer", action="store_true",
                        help="answer every call at once, accepted or not")
    parser.add_argument("--record-dir", type=Path, metavar="DIR", help="record every call into DIR")
    parser.add_argument("--play", type=Path, metavar="WAV", help="play this WAV file into calls")
    parser.add_argument("--commands", metavar="ZMQ_ADDRESS", help="the gateway's command address")
    parser.add_argument("--events", metavar="ZMQ_ADDRESS", help="the gateway's event address")
    parser.set_defaults(run=_phone)


def _gateway_settings(args):
    from cicada.commands.gateway_cmd import gateway_settings

    return gateway_settings(load(args))


def _call(args) -> int:
    from cti_gateway.sip.caller import Caller

    gateway = args.gateway
    if not gateway:
        settings = _gateway_settings(args)
        gateway = f"{settings.sip_host}:{settings.sip_port}"
    caller = Caller(ani=args.ani, dnis=args.dnis, gateway=gateway, hold_for=args.hold_for,
                    dtmf=args.dtmf, x_queue=args.queue, play=args.play, record=args.record,
                    echo=lambda text: print(text, flush=True))
    try:
        outcome = caller.run()
    except KeyboardInterrupt:
        return 130
    return 0 if outcome.answered else 1


def _phone(args) -> int:
    from cicada.commands.gateway_cmd import gateway_public_key
    from cti_gateway.config import split_address
    from cti_gateway.sip.softphone import Softphone

    config = load(args)
    settings = _gateway_settings(args)
    if args.address:
        host, port = split_address(args.address, "--address")
    else:
        host, port = _extension_address(args, config)
    login = token = None
    if args.login or args.password_stdin or os.environ.get("CICADA_AGENT_PASSWORD"):
        # signed in, the phone sees which calls the agent accepts (and with --login, logs him in)
        from cicada.commands.gateway_cmd import sign_in_here

        token = sign_in_here(config.database_url, args.agent, _password(args), f"cicada phone of {args.agent}")
    if args.login:
        login = (token, args.queues.split(",") if args.queues else None)
    phone = Softphone(agent=args.agent, host=host, port=port, server_key=gateway_public_key(config), token=token,
                      commands=args.commands or settings.command_address,
                      events=args.events or settings.event_address, auto_answer=args.auto_answer,
                      record_dir=args.record_dir, play=args.play,
                      echo=lambda text: print(text, flush=True))
    _stop_on_signals(phone)
    try:
        phone.run(login=login)
    except KeyboardInterrupt:
        pass
    return 0


def _stop_on_signals(phone) -> None:
    """SIGINT and SIGTERM end the phone's loop, which hangs up and logs the agent out. Not by
    KeyboardInterrupt: one raised inside a pjsua2 callback is swallowed there and the phone
    runs on; and SIGTERM's default would end the process without hanging up. A second
    signal (Ctrl-C in the terminal, then SIGTERM from `cicada demo`) ends the process at
    once, as SIGTERM's default would: raised into pjsua2's clean-up, an exception could
    leave the process unable to exit."""
    import signal

    def stop(signum, _frame):
        if phone.stopping:
            os._exit(128 + signum)
        phone.stopping = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)


def _extension_address(args, config) -> tuple[str, int]:
    from cicada.config import ConfigError
    from crm.db import Database
    from crm.services.users import user_by_name

    database = Database.open(config.database_url)
    try:
        with database.reading() as session:
            extension = user_by_name(session, args.agent).extension
    finally:
        database.dispose()
    host_port = (extension or "").split("@", 1)[-1].split(";", 1)[0]
    host, _, port = host_port.rpartition(":")
    if not extension or not port.isdigit():
        raise ConfigError(f"{args.agent}'s extension {extension or '(none)'} has no port to listen "
                          "on; give --address HOST:PORT")
    return host.strip("[]"), int(port)


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return os.environ.get("CICADA_AGENT_PASSWORD") or getpass.getpass(f"password for {args.agent}: ")
