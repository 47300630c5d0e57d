"""`cicada console`: run the supervisors' web console."""

from __future__ import annotations

import sys

from cicada.commands import load


def register(commands) -> None:
    parser = commands.add_parser(
        "console", help="run the supervisors' web console (sign-in and the live wallboard)",
        description="Run the supervisors' web console: supervisors and administrators sign in with their "
                    "CRM account and watch the phone, email and chat queues and the agents of their org units "
                    "live. Where it listens comes from the [console] section of the configuration; it watches "
                    "the gateway named by [gateway] (commands, events, public_key) and the mail queue named by "
                    "[mailq] (commands, events, public_key, or its key in the [keys] directory), and reads the "
                    "CRM database. The email and chat report takes each mail queue's due time, org units and "
                    "channels from [[mailq.queues]] and [[mailq.rules]], with --no-mailq too.")
    parser.add_argument("--address", metavar="HOST:PORT", help="where it listens (default 127.0.0.1:8030)")
    parser.add_argument("--no-mailq", action="store_true",
                        help="do not watch the mail queue: the wallboard shows the phone queues only")
    parser.set_defaults(run=_console)


COOKIE_SECRET = "console-cookies"  # in the [keys] directory: the console's sign-ins outlive a restart


def _cookie_secret(config) -> bytes:
    """The secret the sign-in cookies are sealed with, made at the first start."""
    from bus.keys import KeyFileError, ensure_secret
    from cicada.config import ConfigError, keys_settings

    directory = keys_settings(config).directory
    try:
        return ensure_secret(directory, COOKIE_SECRET)
    except KeyFileError as exc:
        why = str(exc).split(";")[0]
        raise ConfigError(f"the console's cookie secret cannot be used ({why}). Run `chmod 600` on it if nobody "
                          "else can have read it; otherwise remove it: the console makes a new one at its next "
                          "start, and everyone signed in signs in again.") from None


def console_settings(config):
    from admin_console.config import ConsoleConfigError, load_console_config
    from cicada.config import ConfigError

    try:
        return load_console_config(config.sections.get("console"), config.path)
    except ConsoleConfigError as exc:
        raise ConfigError(str(exc)) from None


def _console(args) -> int:
    import dataclasses
    import logging

    from admin_console.app import ConsoleError, ConsoleSettings, run_console
    from cicada.commands.gateway_cmd import gateway_public_key, gateway_settings
    from cicada.commands.mailq_cmd import mail_report_queues, mailq_public_key, mailq_settings
    from cicada.config import ConfigError, ensure_sqlite_directory

    config = load(args)
    console = console_settings(config)
    if args.address:
        host, sep, port = args.address.rpartition(":")
        if not sep or not port.isdigit():
            raise ConfigError(f"--address {args.address!r}: write it as HOST:PORT")
        console = dataclasses.replace(console, host=host.strip("[]"), port=int(port))
    gateway = gateway_settings(config)
    ensure_sqlite_directory(config.database_url)
    logging.getLogger("cicada").setLevel(logging.INFO if args.verbose else logging.WARNING)
    mail_config = mailq_settings(config)  # its queues' settings, for the reports, even unwatched
    mailq = None if args.no_mailq else mail_config
    mailq_key = ""
    if mailq is not None:
        try:
            mailq_key = mailq_public_key(config)
        except ConfigError as exc:  # a console without a mail queue still watches the phones
            logging.getLogger("cicada.console").warning(
                "the wallboard shows no email and chat queues: %s", exc)
            mailq = None
    settings = ConsoleSettings(config.database_url, gateway_commands=gateway.command_address,
                               gateway_events=gateway.event_address, gateway_key=gateway_public_key(config),
                               idle_seconds=console.idle_seconds, secure_cookies=console.secure_cookies,
                               alert_rules=console.alert_rules, agent_limits=console.agent_limits,
                               mailq_commands=mailq.command_address if mailq else None,
                               mailq_events=mailq.event_address if mailq else None, mailq_key=mailq_key,
                               cookie_secret=_cookie_secret(config),
                               queue_org_units=gateway.queue_org_units(), demo_queues=gateway.demo_queues,
                               mail_queues=mail_report_queues(mail_config), demo_mail_queues=mail_config.demo_queues)

    def ready(port: int) -> None:
        print(f"Cicada console ready: {dataclasses.replace(console, port=port).url}", flush=True)

    try:
        run_console(settings, host=console.host, port=console.port, on_ready=ready)
    except ConsoleError as exc:
        print(f"cicada console: {exc}", file=sys.stderr)
        return 2
    return 0
