"""`cicada desktop`: the agent's workbench window."""

from __future__ import annotations

import os
from pathlib import Path

from cicada.commands import load


def register(commands) -> None:
    parser = commands.add_parser(
        "desktop", help="open the agent desktop (log in, take calls, record interactions)",
        description="Open the agent's workbench: sign in once to the application service with your CRM user "
                    "and password, check the phone and queues from your profile, then take calls offered by the "
                    "CTI gateway with the caller identified from the CRM, and emails and web chats from the mail "
                    "queue. The desktop needs no database: all of its CRM work goes through the application "
                    "service (--app, or [app] url/address) whose certificate it trusts by its fingerprint "
                    "(--fingerprint, or [app] fingerprint; else the agent is shown it and asked once). The "
                    "other addresses come from the [gateway] and [mailq] sections of the configuration.")
    parser.add_argument("--user", metavar="NAME", help="fill in the user name")
    parser.add_argument("--language", choices=["en", "zh_CN"],
                        help="UI language (default: the last one chosen, else the agent's profile)")
    parser.add_argument("--app", metavar="URL",
                        help="the application service, https://HOST:PORT (default: the [app] section's)")
    parser.add_argument("--fingerprint", metavar="FP",
                        help="the application service certificate's SHA-256 fingerprint (AB:CD:...), trusted "
                             "without asking (default: [app] fingerprint; else the agent is asked once)")
    parser.add_argument("--commands", metavar="ZMQ_ADDRESS", help="the gateway's command address")
    parser.add_argument("--events", metavar="ZMQ_ADDRESS", help="the gateway's event address")
    parser.add_argument("--gateway-key", metavar="KEY",
                        help="the gateway's public key, as `cicada keys show` prints it on the gateway's "
                             "host; write --gateway-key=KEY, as a key may begin with '-' "
                             "(default: [gateway] public_key)")
    parser.add_argument("--no-mailq", action="store_true",
                        help="work calls only: do not connect to the mail queue (emails and web chats)")
    parser.add_argument("--mailq-key", metavar="KEY",
                        help="the mail queue's public key, as `cicada keys show` prints it on the mail queue's "
                             "host; write --mailq-key=KEY, as a key may begin with '-' (default: [mailq] "
                             "public_key, else the one in the [keys] directory)")
    parser.add_argument("--drafts", type=Path, metavar="DIR",
                        help="where unsaved interaction records are kept (default: the user state directory)")
    parser.add_argument("--demo-calls", metavar="HOST:PORT/NUMBER",
                        help="add a Demo menu that places demo customers' calls to this gateway "
                             "SIP address and number (what `cicada demo` uses)")
    parser.add_argument("--demo-customers", type=Path, metavar="FILE",
                        help="the demo customers whose calls and emails the Demo menu simulates (a JSON file "
                             "`cicada demo` writes: the desktop has no database to pick them from)")
    parser.set_defaults(run=_desktop)


def desktop_settings(args, config, *, user: str = "", password: str = ""):
    from agent_desktop.app import DesktopSettings
    from cicada.commands.app_cmd import app_settings
    from cicada.commands.gateway_cmd import gateway_public_key, gateway_settings
    from cicada.commands.mailq_cmd import mailq_public_key, mailq_settings

    gateway = gateway_settings(config)
    mailq = None if getattr(args, "no_mailq", False) else mailq_settings(config)
    app = app_settings(config)
    return DesktopSettings(
        app_url=getattr(args, "app", None) or app.url,
        app_fingerprint=getattr(args, "fingerprint", None) or app.fingerprint,
        mailq_commands=mailq.command_address if mailq else None,
        mailq_events=mailq.event_address if mailq else None,
        mailq_public_key=mailq_public_key(config, getattr(args, "mailq_key", None)) if mailq else "",
        command_address=getattr(args, "commands", None) or gateway.command_address,
        event_address=getattr(args, "events", None) or gateway.event_address,
        gateway_public_key=gateway_public_key(config, getattr(args, "gateway_key", None)),
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
        mail = {}
        if settings.mailq_commands:
            from cicada.commands.mailq_cmd import mailq_settings

            mailq = mailq_settings(load(args))
            if mailq.smtp_host and mailq.addresses:
                mail.update(smtp_address=f"{mailq.smtp_host}:{mailq.smtp_port}", mailbox=mailq.addresses[0])
            if mailq.chat_host:
                mail["chat_url"] = f"http://{mailq.chat_host}:{mailq.chat_port}/chat/"
        if args.demo_customers:
            from agent_desktop.demo import read_customers

            try:
                mail["numbers"], mail["addresses"] = read_customers(args.demo_customers)
            except (OSError, ValueError, TypeError) as exc:
                raise ConfigError(f"--demo-customers {args.demo_customers}: {exc}") from None
        settings = replace(settings, demo=DemoCalls(sip_address=address, dnis=number, config_path=args.config,
                                                    **mail))
    return run(settings)
