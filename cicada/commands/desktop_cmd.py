"""`cicada desktop`: the agent's workbench window."""

from __future__ import annotations

import os
from pathlib import Path

from cicada.commands import load


def register(commands) -> None:
    parser = commands.add_parser(
        "desktop", help="open the agent desktop (log in, take calls, record interactions)",
        description="Open the agent's workbench: log in with your CRM user and password, check the "
                    "phone and queues from your profile, then take calls offered by the CTI gateway "
                    "with the caller identified from the CRM. The gateway's addresses come from the "
                    "[gateway] section of the configuration.")
    parser.add_argument("--user", metavar="NAME", help="fill in the user name")
    parser.add_argument("--language", choices=["en", "zh_CN"],
                        help="UI language (default: the last one chosen, else the agent's profile)")
    parser.add_argument("--commands", metavar="ZMQ_ADDRESS", help="the gateway's command address")
    parser.add_argument("--events", metavar="ZMQ_ADDRESS", help="the gateway's event address")
    parser.add_argument("--drafts", type=Path, metavar="DIR",
                        help="where unsaved interaction records are kept (default: the user state directory)")
    parser.add_argument("--demo-calls", metavar="HOST:PORT/NUMBER",
                        help="add a Demo menu that places demo customers' calls to this gateway "
                             "SIP address and number (what `cicada demo` uses)")
    parser.set_defaults(run=_desktop)


def desktop_settings(args, config, *, user: str = "", password: str = ""):
    from agent_desktop.app import DesktopSettings
    from cicada.commands.gateway_cmd import gateway_settings

    gateway = gateway_settings(config)
    mail = config.sections.get("mail", {})
    return DesktopSettings(
        mail_relay=str(mail["relay"]) if mail.get("relay") else None,
        mail_sender=str(mail.get("sender") or "service@cicada.example"),
        database_url=config.database_url,
        command_address=getattr(args, "commands", None) or gateway.command_address,
        event_address=getattr(args, "events", None) or gateway.event_address,
        region=config.default_region, draft_dir=getattr(args, "drafts", None),
        language=getattr(args, "language", None), user=user or getattr(args, "user", None) or "",
        password=password or os.environ.get("CICADA_AGENT_PASSWORD", ""))


def _desktop(args) -> int:
    from dataclasses import replace

    from agent_desktop.app import run
    from agent_desktop.demo import DemoCalls
    from cicada.config import ConfigError

    settings = desktop_settings(args, load(args))
    if args.demo_calls:
        address, _, number = args.demo_calls.partition("/")
        if not address or not number:
            raise ConfigError(f"--demo-calls {args.demo_calls!r}: write HOST:PORT/NUMBER, "
                              "e.g. 127.0.0.1:5060/4008001001")
        settings = replace(settings, demo=DemoCalls(sip_address=address, dnis=number,
                                                    config_path=args.config, database_url=args.db_url))
    return run(settings)
