"""`cicada mailq`: run the email and web chat queue."""

from __future__ import annotations

import dataclasses
import logging
import sys
from pathlib import Path

from cicada.commands import load


def register(commands) -> None:
    parser = commands.add_parser(
        "mailq", help="run the email and web chat queue (SMTP, IMAP, web chat, routing to agents)",
        description="Run the mail queue: emails to the service addresses (SMTP listener, polled IMAP "
                    "mailboxes) and chats from the web chat widget are stored in the CRM, threaded, "
                    "matched to customers and routed to agents' desktops over ZeroMQ; replies go out "
                    "through the SMTP relay of the [mail] section. Addresses, queues and routing rules "
                    "come from the [mailq] section of the configuration (see `cicada config init`).")
    parser.add_argument("--smtp", metavar="HOST:PORT", help="where the SMTP listener runs (default "
                        "127.0.0.1:2525); 'off' for none")
    parser.add_argument("--chat", metavar="HOST:PORT", help="where the web chat is served (default "
                        "127.0.0.1:8025); 'off' for none")
    parser.add_argument("--commands", metavar="ZMQ_ADDRESS",
                        help="where desktops send commands (default tcp://127.0.0.1:5580)")
    parser.add_argument("--events", metavar="ZMQ_ADDRESS",
                        help="where events are published (default tcp://127.0.0.1:5581)")
    parser.add_argument("--sent-folder", metavar="DIR",
                        help="without a [mail] relay, deliver replies into DIR as .eml files instead of "
                             "leaving them in the outbox (what `cicada demo` does)")
    parser.set_defaults(run=_mailq)
    actions = parser.add_subparsers(dest="mailq_action", metavar="ACTION")
    status = actions.add_parser(
        "status", help="how the running mail queue is: database, SMTP, chat, IMAP, outbox, queues",
        description="Ask the running mail queue how each of its parts is (the CRM database, SMTP, the web "
                    "chat, each IMAP mailbox, the outbox), print it and exit: 0 when all is well, 1 when a "
                    "part is unavailable or failing, 2 when the mail queue does not answer.")
    status.add_argument("--commands", metavar="ZMQ_ADDRESS",
                        help="the mail queue's command address (default: from the configuration)")
    status.set_defaults(run=_status_command)


def mailq_settings(config):
    """The [mailq] section of a loaded configuration."""
    from cicada.config import ConfigError
    from email_queue.config import MailqConfigError, load_mailq_config

    try:
        return load_mailq_config(config.sections.get("mailq"), config.path)
    except MailqConfigError as exc:
        raise ConfigError(str(exc)) from None


def mail_report_queues(mailq) -> dict:
    """The mail queues as the email and chat report needs them: each queue's org units (as
    configured, not yet checked against the CRM), the channels routed to it, its due time."""
    from crm.reports.mail_report import MailQueue

    return {name: MailQueue(units, mailq.channels_of(name), mailq.first_response_seconds(name))
            for name, units in mailq.queue_org_units.items()}


def mailq_keypair(config):
    """The mail queue's CURVE key pair, from the [keys] directory (made by `cicada keys init`)."""
    from bus.keys import KeyFileError, load_keypair
    from cicada.config import ConfigError, keys_settings

    try:
        return load_keypair(keys_settings(config).directory, "mailq")
    except KeyFileError as exc:
        raise ConfigError(f"the mail queue's keys: {exc}") from None


def mailq_public_key(config, given: str | None = None) -> str:
    """The mail queue's public key a client trusts: `given` (an option), else [mailq] public_key,
    else the one in the [keys] directory (a client on the mail queue's host)."""
    from bus.keys import KeyFileError, load_public_key
    from cicada.config import ConfigError, keys_settings
    from email_queue.config import is_curve_key

    key = given or mailq_settings(config).public_key
    if key:
        if not is_curve_key(key):
            raise ConfigError(f"the mail queue's public key {key!r} is not one: 40 characters, as "
                              "`cicada keys show` prints it")
        return key
    try:
        return load_public_key(keys_settings(config).directory, "mailq").decode("ascii")
    except KeyFileError as exc:
        raise ConfigError(f"the mail queue's public key is needed: set [mailq] public_key to what `cicada keys "
                          f"show` prints on the mail queue's host, or use --no-mailq ({exc})") from None


def mail_relay(config):
    """The SMTP relay of the [mail] section (email_queue.outbox.Relay); None without one."""
    from cicada.config import ConfigError
    from email_queue.outbox import Relay

    mail = config.sections.get("mail", {})
    if not mail.get("relay"):
        return None
    where = f"{config.path or 'configuration'}: [mail]"
    flags = {}
    for name in ("starttls", "tls"):
        value = mail.get(name, False)
        if not isinstance(value, bool):
            raise ConfigError(f"{where} {name} = {value!r} must be true or false")
        flags[name] = value
    if flags["starttls"] and flags["tls"]:
        raise ConfigError(f"{where} starttls and tls cannot both be true: starttls upgrades a plain "
                          "connection (port 25 or 587), tls is TLS from the start (SMTPS, port 465)")
    ca_file = None
    if mail.get("ca_file"):
        path = Path(str(mail["ca_file"])).expanduser()
        if not path.is_absolute() and getattr(config, "path", None) is not None:
            path = Path(config.path).parent / path
        if not path.is_file():
            raise ConfigError(f"{where} ca_file = {str(mail['ca_file'])!r}: {path} is not a file")
        if not (flags["starttls"] or flags["tls"]):
            raise ConfigError(f"{where} ca_file is for the relay's TLS certificate: it needs starttls = true "
                              "or tls = true (without, mail would go out unencrypted)")
        ca_file = str(path)
    try:
        return Relay.parse(str(mail["relay"]), username=mail.get("username") or None,
                           password=mail.get("password"), ca_file=ca_file, **flags)
    except ValueError:
        raise ConfigError(f"{where} relay = {str(mail['relay'])!r} is not HOST:PORT") from None


def _overrides(args, settings):
    from cicada.config import ConfigError
    from email_queue.config import _address

    changes = {}
    try:
        for option, host, port in (("smtp", "smtp_host", "smtp_port"), ("chat", "chat_host", "chat_port")):
            value = getattr(args, option)
            if value == "off":
                changes[host], changes[port] = None, 0
            elif value:
                changes[host], changes[port] = _address(value, f"--{option}")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if args.commands:
        changes["command_address"] = args.commands
    if args.events:
        changes["event_address"] = args.events
    return dataclasses.replace(settings, **changes)


def _mailq(args) -> int:
    from cicada.config import ensure_sqlite_directory
    from email_queue.service import MailqError, run_mailq

    config = load(args)
    settings = _overrides(args, mailq_settings(config))
    keypair = mailq_keypair(config)
    ensure_sqlite_directory(config.database_url)
    logging.getLogger("cicada").setLevel(logging.INFO if args.verbose else logging.WARNING)
    # aiosmtpd logs every SMTP command at INFO: thousands of lines a second
    # under load, and nothing the service does not report itself.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    relay, folder = mail_relay(config), None
    if relay is None and args.sent_folder:
        from email_queue.sent_folder import SentFolder

        folder = SentFolder(Path(args.sent_folder).expanduser())
        relay = folder.start()
    elif relay is None:
        print("No [mail] relay is configured: replies wait in the outbox.", file=sys.stderr)

    def ready(service) -> None:
        print(service.describe(), flush=True)
        if folder is not None:
            print(f"Replies to customers are delivered into {folder.folder} (no [mail] relay).", flush=True)

    try:
        run_mailq(settings, config.database_url, keypair=keypair, relay=relay, on_ready=ready)
    except MailqError as exc:
        print(f"cicada mailq: {exc}", file=sys.stderr)
        return 2
    finally:
        if folder is not None:
            folder.stop()
    return 0


def _status_command(args) -> int:
    config = load(args)
    address = args.commands or mailq_settings(config).command_address
    return _status(address, mailq_keypair(config))


def _status(command_address: str, keypair) -> int:
    """The running mail queue's health, part by part, for a supervisor or a monitoring check. Run on
    the mail queue's host: it speaks with the service's own key pair, which admits it as the operator."""
    from email_queue.client import MailqClient, MailqError

    client = MailqClient(command_address, server_public_key=keypair.public, keypair=keypair, timeout=5)
    try:
        status = client.status()
    except MailqError as exc:
        print(f"cicada mailq: {exc.message}", file=sys.stderr)
        return 2
    finally:
        client.close()
    for line in status_lines(status):
        print(line)
    return 0 if all(part.state in ("ok", "off") for part in status.health) else 1


def status_lines(status) -> list[str]:
    import time

    def at(seconds: float | None) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds)) if seconds else ""

    lines = [f"mail queue run {status.run}, up since {at(status.started_at)}"]
    width = max((len(part.part) for part in status.health), default=0)
    for part in status.health:
        since = f" since {at(part.since)}" if part.since and part.state != "ok" else ""
        detail = f"  {part.detail}" if part.detail else ""
        lines.append(f"  {part.part:<{width}}  {part.state}{since}{detail}")
    waiting = ", ".join(f"{q.name} {q.waiting}" for q in status.queues)
    lines.append(f"waiting: {waiting or 'no queues'}")
    lines.append(f"agents logged in: {', '.join(status.agents) or 'none'}")
    if status.locked_accounts:
        lines.append(f"accounts locked after failed logins: {', '.join(status.locked_accounts)}")
    return lines
