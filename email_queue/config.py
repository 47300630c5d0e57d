"""The `[mailq]` section of the configuration file, and its defaults.

With no section the mail queue runs the demo's: SMTP for service@ and
sales@cicada.example on 127.0.0.1:2525, the web chat on 127.0.0.1:8025,
desktops' commands and events on 127.0.0.1:5580/5581, and the queues
service (pushed to agents), sales (a group inbox), vip and web-chat, of the demo
data's org units.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from datetime import timedelta

import msgspec
from zmq.utils import z85

from crm.services.conversations.queueing import Route, RouteFacts
from email_queue.chat_gate import ChatLimits
from email_queue.imap_in import ImapAccount
from email_queue.routing import PULL, PUSH, QueueRule


class MailqConfigError(ValueError):
    """The [mailq] section cannot be used; the message says what and where."""


class QueueSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str
    mode: str = PUSH  # push: offered to agents; pull: a group inbox
    first_response_minutes: float | None = None  # the service level for the first answer
    offer_seconds: float | None = None
    org_units: list[str] = []  # CRM org unit codes: only their supervisors see it (crm.services.supervision)


class RuleSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    queue: str
    priority: int = 5
    channel: str | None = None  # email, chat
    mailbox: str | None = None  # the service address written to
    keywords: list[str] = []  # any of them in the subject or text
    value_class: list[str] = []  # the identified customer's value class


class ImapSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    host: str
    port: int = 993
    username: str
    password: str
    ssl: bool = True
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    oversized_folder: str = "Too large"  # where messages over max_message_mb are moved, not taken in
    address: str  # the service address this mailbox receives
    poll_seconds: float = 60.0


class MailqSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    smtp: str = "127.0.0.1:2525"  # "" turns the listener off
    addresses: list[str] = msgspec.field(default_factory=lambda: ["service@cicada.example",
                                                                   "sales@cicada.example"])
    max_message_mb: float = 25.0
    commands: str = "tcp://127.0.0.1:5580"
    events: str = "tcp://127.0.0.1:5581"
    # What desktops trust: the mail queue's CURVE public key as `cicada keys show` prints it. Empty:
    # read from the [keys] directory (a desktop on the mail queue's own host).
    public_key: str = ""
    chat: str = "127.0.0.1:8025"  # "" turns the web chat off
    chat_origins: list[str] = []  # pages allowed to embed the chat; empty: any
    default_queue: str = "service"
    chat_queue: str = "web-chat"
    offer_seconds: float = 30.0
    send_seconds: float = 10.0  # how often the outbox is sent
    silent_seconds: float = 20.0  # a desktop not heard from this long is gone; its work is requeued
    account_check_seconds: float = 30.0  # how soon an agent whose CRM session ended loses his mail session
    # A chat whose customer has had no page open this long is abandoned: closed when
    # it waits for an agent, ended by the customer when an agent has it. 0: never.
    chat_abandon_seconds: float = 300.0
    # New chats: how many may be open from one address, and wait for an agent in all; how
    # many one address may open at once, and then per minute. More are refused with a reason.
    chat_per_source: int = 3
    chat_max_waiting: int = 200
    chat_openings_burst: int = 5
    chat_openings_per_minute: float = 2.0
    chat_proxies: list[str] = []  # reverse proxies in front of the chat whose X-Forwarded-For is believed
    parse_processes: int = 1  # processes parsing incoming mail beside the service; 0: in the service itself
    queues: list[QueueSection] | None = None
    rules: list[RuleSection] | None = None
    imap: list[ImapSection] = []


# The org units are the demo data's (crm/demo/seed.py): the customer service teams of both sites
# take service, vip and web-chat, the sales teams sales.
_SERVICE_TEAMS, _SALES_TEAMS = ["BJ-SVC", "LDN-SVC"], ["BJ-SALES", "LDN-SALES"]
DEMO_QUEUES = [
    QueueSection(name="service", first_response_minutes=240, org_units=_SERVICE_TEAMS),
    QueueSection(name="vip", first_response_minutes=60, org_units=_SERVICE_TEAMS),
    QueueSection(name="sales", mode=PULL, first_response_minutes=480, org_units=_SALES_TEAMS),
    QueueSection(name="web-chat", first_response_minutes=1, offer_seconds=20, org_units=_SERVICE_TEAMS),
]
DEMO_RULES = [
    RuleSection(queue="vip", priority=1, value_class=["A"]),
    RuleSection(queue="service", priority=2, keywords=["complaint", "投诉", "refund", "退款"]),
    RuleSection(queue="sales", mailbox="sales@cicada.example"),
]


@dataclass(frozen=True)
class MailqConfig:
    smtp_host: str | None
    smtp_port: int
    addresses: tuple[str, ...]
    max_message_bytes: int
    command_address: str
    event_address: str
    chat_host: str | None
    chat_port: int
    chat_origins: tuple[str, ...]
    default_queue: str
    chat_queue: str
    offer_seconds: float
    send_seconds: float
    silent_seconds: float
    parse_processes: int
    queues: tuple[QueueSection, ...]
    rules: tuple[RuleSection, ...]
    imap: tuple[ImapAccount, ...]
    chat_abandon_seconds: float = 300.0
    chat_limits: ChatLimits = ChatLimits()
    chat_proxies: tuple[str, ...] = ()
    account_check_seconds: float = 30.0
    public_key: str = ""
    where: str = "configuration: [mailq]"  # the file and section, for what is found wrong at start
    demo_queues: bool = False  # the embedded demo queues, no [[mailq.queues]] in the file

    @functools.cached_property
    def queue_org_units(self) -> dict[str, tuple[str, ...]]:
        """Each queue's org units (none: every supervisor watching sees it)."""
        return {q.name: tuple(q.org_units) for q in self.queues}

    def with_queue_org_units(self, org_units: dict[str, tuple[str, ...]]) -> MailqConfig:
        return dataclasses.replace(self, queues=tuple(
            msgspec.structs.replace(q, org_units=list(org_units[q.name])) for q in self.queues))

    def queue_rules(self) -> list[QueueRule]:
        return [QueueRule(q.name, q.mode, q.offer_seconds or self.offer_seconds) for q in self.queues]

    def route(self, facts: RouteFacts) -> Route:
        """The first rule that fits decides; else the channel's default queue."""
        for rank, rule in enumerate(self.rules):
            if _fits(rule, facts):
                return Route(rule.queue, rule.priority, self._first_response(rule.queue), rank)
        queue = self.chat_queue if facts.channel == "chat" else self.default_queue
        return Route(queue, 5, self._first_response(queue), len(self.rules))

    def channels_of(self, queue: str) -> tuple[str, ...]:
        """The channels routed to a queue: the channel's default queue, or a rule that may send it there
        (a rule naming a mailbox takes email only: a chat is written to no mailbox)."""
        routed = {"email": self.default_queue == queue, "chat": self.chat_queue == queue}
        for rule in self.rules:
            if rule.queue == queue:
                for channel in routed:
                    routed[channel] |= rule.channel in (None, channel) and not (rule.mailbox and channel == "chat")
        return tuple(channel for channel, yes in routed.items() if yes)

    def first_response_seconds(self, queue: str) -> float | None:
        """The queue's due time for a first reply, in seconds; None: it has none."""
        due = self._first_response(queue)
        return None if due is None else due.total_seconds()

    def _first_response(self, queue: str) -> timedelta | None:
        for q in self.queues:
            if q.name == queue and q.first_response_minutes:
                return timedelta(minutes=q.first_response_minutes)
        return None


def _fits(rule: RuleSection, facts: RouteFacts) -> bool:
    if rule.channel and rule.channel != facts.channel:
        return False
    if rule.mailbox and rule.mailbox.lower() != facts.mailbox.lower():
        return False
    if rule.value_class and facts.value_class not in rule.value_class:
        return False
    if rule.keywords:
        text = f"{facts.subject}\n{facts.text}".casefold()
        return any(k.casefold() in text for k in rule.keywords)
    return True


def load_mailq_config(section: dict | None, source=None, *, mail_section: dict | None = None) -> MailqConfig:
    where = f"{source or 'configuration'}: [mailq]"
    try:
        raw = msgspec.convert(section or {}, MailqSection)
        return dataclasses.replace(_build(raw), where=where, demo_queues=raw.queues is None)
    except (msgspec.ValidationError, ValueError) as exc:
        raise MailqConfigError(f"{where}: {exc}") from None


def _build(raw: MailqSection) -> MailqConfig:
    smtp_host, smtp_port = _address(raw.smtp, "smtp") if raw.smtp else (None, 0)
    chat_host, chat_port = _address(raw.chat, "chat") if raw.chat else (None, 0)
    addresses = tuple(_mailbox(a) for a in raw.addresses)
    if smtp_host and not addresses:
        raise ValueError("addresses: the SMTP listener needs at least one service address")
    queues = tuple(raw.queues if raw.queues is not None else DEMO_QUEUES)
    names = [q.name for q in queues]
    if not queues or len(set(names)) != len(names):
        raise ValueError("queues: at least one, each name once")
    for q in queues:
        if q.mode not in (PUSH, PULL):
            raise ValueError(f"queue {q.name}: mode is push or pull, not {q.mode!r}")
        if any(not unit.strip() for unit in q.org_units) or len(set(q.org_units)) != len(q.org_units):
            raise ValueError(f"queue {q.name}: org_units = {q.org_units!r}: name each org unit (its code) once")
    rules = tuple(raw.rules if raw.rules is not None else DEMO_RULES)
    for queue in [raw.default_queue, raw.chat_queue, *(r.queue for r in rules)]:
        if queue not in names:
            raise ValueError(f"queue {queue!r} is used but not among the queues ({', '.join(names)})")
    for rule in rules:
        if rule.channel not in (None, "email", "chat"):
            raise ValueError(f"rule for {rule.queue}: channel is email or chat, not {rule.channel!r}")
    if not 0 <= raw.parse_processes <= 64:
        raise ValueError("parse_processes is between 0 and 64")
    if raw.max_message_mb <= 0:
        raise ValueError("max_message_mb must be positive")
    if raw.account_check_seconds <= 0:
        raise ValueError("account_check_seconds must be more than 0")
    if raw.public_key and not is_curve_key(raw.public_key):
        raise ValueError("public_key: the mail queue's public key has 40 characters, as `cicada keys show` prints it")
    if raw.chat_abandon_seconds < 0:
        raise ValueError("chat_abandon_seconds is 0 (never) or more")
    chat_limits = _chat_limits(raw)
    imap = tuple(ImapAccount(host=i.host, port=i.port, username=i.username, password=i.password, ssl=i.ssl,
                             folder=i.folder, processed_folder=i.processed_folder, address=_mailbox(i.address),
                             poll_seconds=i.poll_seconds, max_bytes=int(raw.max_message_mb * 1024 * 1024),
                             oversized_folder=i.oversized_folder) for i in raw.imap)
    return MailqConfig(smtp_host, smtp_port, addresses, int(raw.max_message_mb * 1024 * 1024), raw.commands,
                       raw.events, chat_host, chat_port, tuple(raw.chat_origins), raw.default_queue,
                       raw.chat_queue, raw.offer_seconds, raw.send_seconds, raw.silent_seconds, raw.parse_processes,
                       queues, rules, imap, raw.chat_abandon_seconds, chat_limits, tuple(raw.chat_proxies),
                       raw.account_check_seconds, raw.public_key)


def _chat_limits(raw: MailqSection) -> ChatLimits:
    for name in ("chat_per_source", "chat_max_waiting", "chat_openings_burst"):
        if getattr(raw, name) < 1:
            raise ValueError(f"{name} is at least 1")
    if raw.chat_openings_per_minute <= 0:
        raise ValueError("chat_openings_per_minute must be positive")
    return ChatLimits(per_source=raw.chat_per_source, waiting=raw.chat_max_waiting, burst=raw.chat_openings_burst,
                      per_minute=raw.chat_openings_per_minute)


def is_curve_key(text: str) -> bool:
    """A CURVE key in its text form (z85, 40 characters)."""
    try:
        return len(text) == 40 and len(z85.decode(text.encode("ascii"))) == 32
    except (ValueError, KeyError, IndexError, TypeError, UnicodeError):
        return False


def _address(value: str, name: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"{name} = {value!r}: use host:port, e.g. 127.0.0.1:2525")
    return host.strip("[]"), int(port)


_MAILBOX = re.compile(r"^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$")


def _mailbox(value: str) -> str:
    if not _MAILBOX.match(value or ""):
        raise ValueError(f"{value!r} is not an email address")
    return value.lower()
