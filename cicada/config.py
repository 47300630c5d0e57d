"""The one TOML configuration file, and where Cicada keeps its files.

Lookup order for the file: ``--config PATH``, then ``$CICADA_CONFIG``, then
``cicada.toml`` in the user configuration directory (platformdirs). A missing
file is not an error: every setting has an embedded default, so a fresh
machine runs on an SQLite file in the user data directory.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
import platformdirs

APP_NAME = "cicada"
CONFIG_ENV = "CICADA_CONFIG"
DB_URL_ENV = "CICADA_DB_URL"


class ConfigError(Exception):
    """The configuration file cannot be used; the message says why and where."""


@dataclass(frozen=True)
class Config:
    path: Path | None
    database_url: str
    default_region: str
    services: dict[str, str] = field(default_factory=dict)
    # The file's other sections, read by the parts they configure ([gateway], ...).
    sections: dict[str, dict] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return Path(platformdirs.user_data_dir(APP_NAME))


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "cicada.toml"


def default_keys_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "keys"


def default_database_url() -> str:
    db_file = Path(platformdirs.user_data_dir(APP_NAME)) / "cicada.db"
    return f"sqlite:///{db_file}"


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read the configuration; an explicitly named file must exist."""
    explicit = path or os.environ.get(CONFIG_ENV)
    config_path = Path(explicit) if explicit else default_config_path()
    data: dict = {}
    if config_path.exists():
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{config_path}: not valid TOML: {exc}") from exc
    elif explicit:
        raise ConfigError(f"{config_path}: configuration file not found")
    else:
        config_path = None
    return _build(config_path, data)


def _build(path: Path | None, data: dict) -> Config:
    database = _section(data, "database", path)
    phone = _section(data, "phone", path)
    services = _section(data, "services", path)
    _section(data, "keys", path)  # read by keys_settings; a non-table is an error here already
    url = os.environ.get(DB_URL_ENV) or database.get("url") or default_database_url()
    region = str(phone.get("default_region", "CN")).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(
            f"{path}: [phone] default_region = {region!r} is not a region code "
            "phonenumbers knows (e.g. CN, US, GB)"
        )
    return Config(
        path=path,
        database_url=url,
        default_region=region,
        services={str(k): str(v) for k, v in services.items()},
        sections={k: v for k, v in data.items() if isinstance(v, dict)},
    )


def _section(data: dict, name: str, path: Path | None) -> dict:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    return value


@dataclass(frozen=True)
class KeysSettings:
    """The [keys] section: where the services' keys are, and the application service's certificate."""

    directory: Path
    tls_certificate: Path | None = None  # a site's own certificate (PEM) and key: then none is made
    tls_key: Path | None = None
    tls_hosts: list[str] | None = None  # names the generated certificate is valid for; None: the defaults


def keys_settings(config: Config) -> KeysSettings:
    keys = _section(config.sections, "keys", config.path)
    where = f"{config.path or 'configuration'}: [keys]"
    for name in ("dir", "tls_certificate", "tls_key"):
        if name in keys and not (isinstance(keys[name], str) and keys[name]):
            raise ConfigError(f"{where} {name} must be a path")
    if ("tls_certificate" in keys) != ("tls_key" in keys):
        raise ConfigError(f"{where} tls_certificate and tls_key go together: the site's certificate and its key")
    hosts = keys.get("tls_hosts")
    if hosts is not None and not (isinstance(hosts, list) and hosts and all(isinstance(h, str) for h in hosts)):
        raise ConfigError(f"{where} tls_hosts must be a list of host names and addresses")
    return KeysSettings(
        directory=_relative_to_file(config, keys["dir"]) if "dir" in keys else default_keys_dir(),
        tls_certificate=_relative_to_file(config, keys["tls_certificate"]) if "tls_certificate" in keys else None,
        tls_key=_relative_to_file(config, keys["tls_key"]) if "tls_key" in keys else None,
        tls_hosts=hosts,
    )


def _relative_to_file(config: Config, value: str) -> Path:
    """A path from the file, relative to the file's directory unless absolute."""
    path = Path(value).expanduser()
    if not path.is_absolute() and config.path is not None:
        path = Path(config.path).parent / path
    return path


def ensure_sqlite_directory(url: str) -> None:
    """Create the directory of an SQLite file so a fresh machine needs no setup."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != "sqlite:///:memory:":
        Path(url[len(prefix):]).expanduser().parent.mkdir(parents=True, exist_ok=True)


EXAMPLE_CONFIG = """\
# Cicada configuration. Every setting is optional.

[database]
# SQLite file by default; PostgreSQL when many agents share the CRM:
# url = "postgresql+psycopg://cicada@db.example.net/cicada"

[phone]
# Region used to read national numbers such as 010-6552 9988 or 13800138000.
default_region = "CN"

[gateway]
# The CTI gateway (`cicada gateway`). Without this section it runs the demo
# contact center: SIP on 127.0.0.1:5060 and eight demo queues.
# sip_address = "127.0.0.1:5060"          # where customers' calls come in
# commands = "tcp://127.0.0.1:5570"        # desktops' commands (ZeroMQ)
# events = "tcp://127.0.0.1:5571"          # events to desktops (ZeroMQ)
# public_key = "..."                       # on clients' hosts: the gateway's public key (`cicada keys show`)
# concurrent_calls = 8                     # sizes the pool of SIP worker processes
# rtp_ports = "10000-19999"                # media ports, a slice per worker; below the kernel's ephemeral ports
# worker_silence_timeout = 15              # a SIP worker silent this long (not counting a saturated machine) is replaced
# trusted = ["127.0.0.1", "::1"]           # trunks allowed to send calls (addresses or networks)
# external_uri = "sip:{number}@127.0.0.1:5062"   # how external numbers are dialled
# caller_ids = ["4008001234"]              # outbound caller IDs; the first is the default
# ring_timeout = 15
# wrap_up_seconds = 30
# state_dir = "/var/lib/cicada/gateway"   # record spool, lock, children; default: the user data directory
# account_check_seconds = 30               # an agent whose session ended or account is disabled is logged out this soon
#
# [[gateway.queues]]
# name = "billing-zh"
# numbers = ["4008001001"]                 # dialled numbers (DNIS) that lead here
# skills = { billing = 1, mandarin = 1 }   # lowest skill levels an agent needs
# strategy = "longest_idle"                # fewest_calls, round_robin, skills
# service_level = 20
# max_length = 30
# max_wait = 300
# overflow = "queue:general-zh"            # or "hangup" (closing announcement)
# language = "zh"                          # announcements: en or zh
# announce_every = 30
# org_units = ["BJ-SVC"]                   # CRM org unit codes: their supervisors see the queue (none: the
#                                          # supervisors of the agents logged in to it); checked at start

[app]
# The application service (`cicada app`): the CRM over HTTPS. Desktops sign in
# here and do all of their CRM work through it; they need no [database].
# address = "127.0.0.1:8040"               # where it listens; desktops use https://address
# pool_size = 16                           # database connections, and requests worked on at once
# url = "https://app.example.com:8040"     # how desktops reach it, when not https://address
# fingerprint = "AB:CD:..."                # desktops: its certificate's SHA-256 (`cicada keys show`), trusted
#                                          # without asking the agent

[console]
# The supervisors' web console (`cicada console`): sign-in, the live wallboard and alerts.
# It watches the gateway named in [gateway] and reads the CRM database.
# address = "127.0.0.1:8030"               # where it listens; supervisors open http://address/
# idle_minutes = 30                        # a sign-in with no page or form asked for this long ends
# secure_cookies = false                   # true behind an HTTPS reverse proxy
# Each queue's staffing target and alert thresholds (an alert left out is not raised):
# [console.queues.default]                 # every queue, unless its own table says otherwise
# target_level = 80                        # the staffing advice aims at 80 % answered ...
# target_seconds = 20                      # ... within 20 s
# alert_longest_wait = 60                  # a caller has waited longer (seconds)
# alert_waiting = 10                       # more callers waiting
# alert_service_level = 70                 # today's service level under this (%)
# alert_message = false                   # true: tell the queue's agents when one of its alerts starts
# [console.queues.billing]
# alert_longest_wait = 30
# [console.queues.default.email]           # an email or chat queue's channel (.email, .chat): its own
# alert_longest_wait = 3600                # thresholds, never a phone queue's: an email waited longer (s)
# alert_waiting = 50                       # more emails waiting
# alert_within_due = 80                    # today's share answered within due time under this (%)
# [console.queues.web-chat.chat]
# alert_longest_wait = 30                  # (no alert_message: the mail queue sends its agents none)
# [console.not_ready_limits]               # an agent not ready longer than this, per reason (minutes):
# break = 15                               # an alert, and his row on the wallboard in warning
# [console.agents]                         # the wallboard's agents table: a time past these turns to a
# ready_minutes = 5                        # warning: ready, waiting for a call, longer than this
# contact_minutes = 10                     # on one contact longer than this (from its answer)
# wrap_up_seconds = 60                     # in wrap-up longer than this (0 or left out: no warning)
# away_minutes = 30                        # an email and chat agent away from both channels longer
# email_open_minutes = 60                  # one email conversation open (assigned) longer than this
# chat_open_minutes = 10                   # one chat open (assigned) longer than this

[keys]
# The services' CURVE keys and the application service's TLS certificate,
# made by `cicada keys init` (paths relative to this file).
# dir = "/etc/cicada/keys"                 # default: keys in the user configuration directory
# tls_hosts = ["app.example.com", "10.0.0.5"]   # names the generated certificate is valid for
#                                          # (default: localhost, 127.0.0.1 and this machine's name)
# tls_certificate = "app.example.com.pem"  # or the site's own certificate and key: none is generated
# tls_key = "app.example.com.key"

[mail]
# Emails to customers (the Action Box's follow-up emails, replies from the
# Inbox) wait in the outbox; the mail queue sends them through this SMTP relay
# (without it they stay there). The desktop never sends email.
# relay = "smtp.example.com:587"           # HOST:PORT (port 25 if left out, 465 with tls)
# sender = "service@example.com"           # the From of the Action Box's emails (application service)
# starttls = true                          # STARTTLS after connecting (ports 25, 587); required
# tls = true                               # or implicit TLS from the start (SMTPS, port 465)
# ca_file = "relay-ca.pem"                 # a private CA for the relay's certificate (relative to
#                                          # this file); by default the system's CAs verify it
# username = "..."                         # SMTP AUTH (PLAIN, LOGIN), best only with TLS
# password = "..."

[mailq]
# The email and web chat queue (`cicada mailq`). Without this section it runs
# the demo's: SMTP for service@ and sales@cicada.example, four queues.
# smtp = "127.0.0.1:2525"                  # the SMTP listener ("" for none)
# addresses = ["service@example.com"]      # mail for other addresses is refused (550)
# max_message_mb = 25                      # larger messages are refused (552)
# chat = "127.0.0.1:8025"                  # the web chat: http://HOST:PORT/chat/ and embed.js
# chat_origins = ["https://www.example.com"]   # pages allowed to embed it; empty: any
# commands = "tcp://127.0.0.1:5580"        # desktops' commands (ZeroMQ)
# events = "tcp://127.0.0.1:5581"          # events to desktops (ZeroMQ)
# public_key = ""                          # what desktops trust (`cicada keys show`); empty: [keys] dir
# default_queue = "service"                # email no rule routes elsewhere
# chat_queue = "web-chat"
# offer_seconds = 30                       # an offer not accepted in time goes to the next agent
# silent_seconds = 20                      # a desktop not heard from this long: its work is requeued
# account_check_seconds = 30               # an agent whose CRM session ended loses his mail queue session this soon
# chat_abandon_seconds = 300               # a chat whose customer left this long ago ends (0: never)
# chat_per_source = 3                      # chats open at once from one address; more are refused
# chat_max_waiting = 200                   # chats waiting for an agent in all; more are refused
# chat_openings_burst = 5                  # chats one address may start at once,
# chat_openings_per_minute = 2             # then this many per minute
# chat_proxies = ["10.0.0.5"]              # reverse proxies whose X-Forwarded-For names the customer
# parse_processes = 1                      # processes parsing incoming mail beside the service (0: none)
#
# [[mailq.queues]]
# name = "service"
# mode = "push"                            # push: offered to agents; pull: a group inbox
# first_response_minutes = 240             # the first answer is due this long after arrival
# org_units = ["BJ-SVC", "LDN-SVC"]        # CRM org unit codes: only their supervisors see it (none: every
#                                          # supervisor); checked at start
#
# [[mailq.rules]]                          # the first rule that fits decides queue and priority
# queue = "vip"
# priority = 1
# value_class = ["A"]                      # also: channel, mailbox, keywords = ["投诉", "refund"]
#
# [[mailq.imap]]                           # mailboxes to poll (IDLE where offered)
# host = "imap.example.com"
# username = "service"
# password = "..."
# address = "service@example.com"
# processed_folder = "Processed"
# oversized_folder = "Too large"           # messages over max_message_mb are moved here, not taken in
"""
