"""`cicada mailq`: the mail and chat queue as one asyncio service.

Email comes in over SMTP (aiosmtpd, in this loop) and from polled IMAP
mailboxes (a thread each); chats over the web chat's WebSocket (in this
loop). Each is stored in the CRM before it is acknowledged, then handed to
the router, whose decisions are stored too and told to desktops over
ZeroMQ (bus.mailq). Database work runs on a thread pool, never in the loop;
the router's state is only touched in the loop. Desktops log in with the
session the application service issued (crm.services.sessions), checked on
threads of their own behind a login guard, each login a task of its own;
a session that ends in the CRM (signing out, expiry, a disabled account, a
changed password) ends here within `account_check_seconds`.

The command and event sockets are CURVE servers with the mail queue's key
pair ([keys], `cicada keys init`): a client that does not know the public
key, or speaks in clear, gets no connection at all.

No database error, bad message or failed piece of work ends the service:
each loop logs it and goes on. While the database is away (see
email_queue.health), what needs it is refused with "crm_unavailable" or
asked again (SMTP 451, the chat's "try again"), the router goes on in
memory and its decisions are stored once the database is back
(email_queue.assignments); the heartbeat and Status say so.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import os
import secrets
import signal
import threading
import time
import typing
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import msgspec
import zmq
import zmq.asyncio
from aiosmtpd.smtp import SMTP
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bus import mailq
from bus.curve import ClientAllowList, make_server
from bus.delivery import EventDelivery, new_event_key
from bus.envelope import (
    BadMessage,
    decode_request,
    encode_error,
    encode_event,
    encode_reply,
)
from bus.keys import KeyPair
from bus.limits import MAX_FRAMES, limit_service_socket, peer_address
from crm.db import Database
from crm.clock import utcnow
from crm.errors import Conflict, CrmError, DatabaseUnavailable, PermissionDenied
from crm.login_guard import LoginGuard, LoginRefused
from crm.models import ConversationStatus, User
from crm.permissions import Actor
from crm.search_keys import load_readings
from crm.services import conversations, profiles, sessions, users
from crm.services import outbox as outbox_service
from crm.services.supervision import WatchScope, watch_scope
from email_queue.assignments import Assignments
from email_queue.chat_gate import ChatGate
from email_queue.chat_server import ChatClosed, ChatLine, ChatServer, ChatSession, ChatUnavailable
from email_queue.config import MailqConfig
from email_queue.health import UNAVAILABLE_TEXT, DatabaseHealth, describe, is_outage
from email_queue.imap_in import ImapPoller
from email_queue.ingest import MailIngest
from email_queue.outbox import Relay, send_due
from email_queue.parse import parse_email
from email_queue.routing import CHANNELS, Decision, Router, RoutingError, Work

log = logging.getLogger(__name__)

TICK_SECONDS = 0.25
HEARTBEAT_SECONDS = 1.0
QUEUE_NEWS_SECONDS = 0.1
POOL_THREADS = 8  # database work of commands, decisions and chats
SESSION_THREADS = 2  # session checks at login: a login flood never takes the others' threads
MAX_COMMANDS_RUNNING = 500  # commands being carried out at once; more are answered "busy"
PROBE_SECONDS = 5.0  # how often the database is checked while it answers
PROBE_SECONDS_AWAY = 1.0  # and while it does not, or decisions wait to be stored
RETRY_MAX_SECONDS = 30.0  # the longest wait between tries at start
CONNECT_TIMEOUT_SECONDS = 5  # a database server that does not answer at all costs a thread no longer
FAILURE_LOG_SECONDS = 60.0  # a loop failing again and again logs a traceback this often at most
CHAT_UNAVAILABLE_TEXT = "We cannot take this just now; please try again in a moment."
LOGIN_UNAVAILABLE_TEXT = "The session cannot be checked just now (the CRM database is unavailable); try again in a moment."
SESSION_CHECK_OVERLAP = timedelta(seconds=60)  # the hosts' clocks may differ a little: ask from a bit earlier
SESSION_END_REASONS = typing.get_args(mailq.SessionEndReason)
SESSION_ENDED = "session_ended"  # the error code of a login whose CRM session is not open
SERVER_WRITERS = 2  # ingest writer threads on PostgreSQL (SQLite: one)
DEFAULT_EXECUTOR_THREADS = min(32, (os.cpu_count() or 1) + 4)  # asyncio's, as ThreadPoolExecutor sizes it
WARM_UP_EMAIL = ("From: =?utf-8?b?5byg5LiJ?= <zhang@example.cn>\r\nTo: service@example.cn\r\n"
                 "Subject: =?gb2312?b?suLK1A==?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                 "\u4f60\u597d\r\n\u7535\u8bdd 138 0013 8000\r\n").encode()


class MailqError(Exception):
    """The mail queue cannot start; the message says why."""


class _Stop(Exception):
    pass


NOBODY = WatchScope(everything=False)  # an agent's session: it watches no one


@dataclass
class AgentSession:
    token: str  # the mail queue's session
    agent: str
    actor: Actor
    last_seen: float
    display_name: str = ""  # what customers see of the agent (the typing notice)
    crm_session: str = ""  # the hash of the CRM session it was opened with: it ends when that ends
    event_key: str = ""  # what its desktop presents on the event socket (bus.delivery)
    watching: bool = False  # a supervisor watching his org units' agents: no seat, no work
    scope: WatchScope = NOBODY


@dataclass(frozen=True)
class CheckedLogin:
    """A CRM session found open at login, with what the seat needs of its user."""

    session: sessions.OpenSession
    capacity: dict[str, int]
    display_name: str
    org_unit_id: int | None
    scope: WatchScope


Audience = tuple[str, str]  # ("agent", user name) or ("queue", queue name): whom an event is about


def to_agent(agent: str) -> Audience:
    return ("agent", agent)


def to_queue(queue: str) -> Audience:
    return ("queue", queue)


# --- email in ----------------------------------------------------------------------------------


class SmtpHandler:
    """aiosmtpd handler: only the service addresses, stored before 250."""

    def __init__(self, service: MailqService):
        self.service = service

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() not in self.service.config.addresses:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        if len(envelope.rcpt_tos) >= 100:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        mailbox, *others = dict.fromkeys(address.lower() for address in envelope.rcpt_tos)
        try:
            received = await self.service.ingest.email(raw, mailbox, "smtp", envelope.mail_from, tuple(others))
        except Exception as exc:
            if is_outage(exc):  # the sender tries again later; the outage is logged once, not per mail
                self.service.database_failed(exc)
            else:
                log.exception("an email from %s for %s could not be stored", envelope.mail_from, mailbox)
            return "451 4.3.0 The message could not be stored; please try again later"
        self.service.in_loop(self.service.email_stored(received))  # offering it comes after the 250
        return f"250 2.0.0 OK: stored in conversation {received.conversation_id}"


SMTP_CONNECTIONS_PER_SOURCE = 50  # as Postfix's smtpd_client_connection_count_limit


class SmtpConnections:
    """How many SMTP connections each client address holds (on the service's loop)."""

    def __init__(self, per_source: int = SMTP_CONNECTIONS_PER_SOURCE):
        self.per_source = per_source
        self._open: dict[str, int] = {}
        self._logged: dict[str, float] = {}

    def admit(self, source: str) -> bool:
        if self._open.get(source, 0) >= self.per_source:
            now = time.monotonic()
            if now - self._logged.get(source, -3600.0) >= 600.0:
                if len(self._logged) > 10_000:
                    self._logged.clear()
                self._logged[source] = now
                log.warning("SMTP: connections from %s refused: it holds %d already; further refusals of it "
                            "are not logged for 10 min", source, self.per_source)
            return False
        self._open[source] = self._open.get(source, 0) + 1
        return True

    def release(self, source: str) -> None:
        count = self._open.pop(source, 0) - 1
        if count > 0:
            self._open[source] = count


class LimitedSMTP(SMTP):
    """aiosmtpd's SMTP, refusing a client address more than `connections.per_source` at once
    (421, as Postfix does): each connection holds one of the service's files for up to five
    idle minutes, and hundreds from one address left none for email, chats and desktops."""

    def __init__(self, *args, connections: SmtpConnections, **kwargs):
        super().__init__(*args, **kwargs)
        self._connections = connections
        self._source: str | None = None

    def connection_made(self, transport) -> None:
        first = self._source is None and self._original_transport is None  # not STARTTLS's new transport
        super().connection_made(transport)
        if not first:
            return
        peer = transport.get_extra_info("peername")
        source = str(peer[0]) if peer else "unknown"
        if self._connections.admit(source):
            self._source = source
            return
        self._handler_coroutine.cancel()  # no greeting: the refusal instead
        transport.write(b"421 4.7.0 Too many connections from your address; try again later\r\n")
        transport.close()

    def connection_lost(self, error) -> None:
        if self._source is not None:
            self._connections.release(self._source)
            self._source = None
        super().connection_lost(error)


# --- chat in -----------------------------------------------------------------------------------


class ChatDesk:
    """The web chat's backend (email_queue.chat_server.ChatBackend): the CRM
    for storage, the service's loop for routing and desktops."""

    def __init__(self, service: MailqService):
        self.service = service

    @contextlib.contextmanager
    def _database(self):
        """The chat's database work: an outage becomes ChatUnavailable, which asks the customer to try again."""
        try:
            yield
        except Exception as exc:
            if not is_outage(exc):
                raise
            self.service.database_failed(exc)
            raise ChatUnavailable(CHAT_UNAVAILABLE_TEXT) from None

    def open_chat(self, *, name, email, phone, page, language) -> ChatSession:
        service = self.service
        with self._database():
            try:
                with service.writing() as session:
                    opened = conversations.open_chat(session, name=name, email=email, phone=phone, page=page,
                                                     language=language, route=service.config.route)
                    item = conversations.work_item(session, opened.conversation_id)
            except CrmError as exc:
                raise ValueError(str(exc)) from None
        service.chat_ids[opened.token] = opened.conversation_id  # its page closing needs no database
        service.soon(service.new_work, item)
        return ChatSession(opened.token, opened.conversation_id, [])

    def resume_chat(self, token: str) -> ChatSession | None:
        with self._database(), self.service.database.reading() as session:
            conversation = conversations.chat_by_token(session, token)
            if conversation is None:
                return None
            messages = conversations.transcript(session, conversation.id)
            # The line saying the customer ended the chat is for the agent; to the customer it is closed.
            lines = [chat_line(m) for m in messages if m.client_id not in conversations.AGENT_ONLY_LINES]
            ended = conversation.customer_ended_at is not None
            closed = ended or conversation.status == ConversationStatus.CLOSED.value
            if conversation.status != ConversationStatus.CLOSED.value:
                self.service.chat_ids[token] = conversation.id
            return ChatSession(token, conversation.id, lines, closed, "customer" if ended else "agent")

    def customer_wrote(self, token: str, text: str, client_id: str) -> ChatLine:
        with self._database():
            return self._customer_wrote(token, text, client_id)

    def _customer_wrote(self, token: str, text: str, client_id: str) -> ChatLine:
        service = self.service
        try:
            with service.writing() as session:
                conversation, message, new = conversations.customer_wrote(session, token, text, client_id)
                line, conversation_id = chat_line(message), conversation.id
                first = new and conversations.is_first_line(session, conversation_id, message.id)
        except Conflict as exc:
            with service.database.reading() as session:
                conversation = conversations.chat_by_token(session, token)
                ended = conversation is not None and conversation.customer_ended_at is not None
            raise ChatClosed(str(exc), "customer" if ended else "agent") from None
        except CrmError as exc:
            raise ValueError(str(exc)) from None
        if new:
            service.soon(service.chat_line_in, conversation_id, line)
        if first:
            service.soon(service.chat_first_line, conversation_id, line.text)
        return line

    def customer_typing(self, token: str) -> None:
        conversation_id = self.service.chat_ids.get(token)
        if conversation_id is None:
            with self._database(), self.service.database.reading() as session:
                conversation = conversations.chat_by_token(session, token)
                if conversation is None:
                    return
                conversation_id = self.service.chat_ids[token] = conversation.id
        self.service.soon(self.service.customer_typing, conversation_id)

    def customer_left(self, token: str) -> None:
        """A page closed; the chat stays open for a while in case it comes back (a reload)."""
        conversation_id = self.service.chat_ids.get(token)
        if conversation_id is None:
            with self._database(), self.service.database.reading() as session:
                conversation = conversations.chat_by_token(session, token)
                if conversation is None or conversation.status == ConversationStatus.CLOSED.value:
                    return
                conversation_id = self.service.chat_ids[token] = conversation.id
        self.service.soon(self.service.chat_page_closed, conversation_id)

    def customer_ended(self, token: str) -> None:
        """The customer ended the chat. Waiting for an agent (queued or offered), it is
        closed and leaves the queue; an agent who has it keeps it to note and close,
        with a line in the transcript saying the customer has gone."""
        with self._database():
            self._customer_ended(token)

    def _customer_ended(self, token: str) -> None:
        service = self.service
        try:
            with service.writing() as session:
                conversation = conversations.chat_by_token(session, token, lock=True)  # vs. an agent accepting
                if conversation is None:
                    raise ValueError("This chat is not known (any more); please start a new one.")
                conversation_id, line = conversation.id, None
                if conversation.status == ConversationStatus.ASSIGNED.value:
                    _, message = conversations.customer_ended_chat(session, token)
                    line = chat_line(message) if message is not None else None
                    closed = False
                else:
                    closed = conversations.close_by_customer(session, token) is not None
        except CrmError as exc:
            raise ValueError(str(exc)) from None
        if closed:
            service.soon(service.chat_ended_waiting, conversation_id)
        elif line is not None:
            service.soon(service.chat_ended_assigned, conversation_id, line)


def chat_line(message) -> ChatLine:
    sender = {"inbound": "customer", "outbound": "agent"}.get(message.kind, "system")
    return ChatLine(message.id, sender, message.author_name, message.body_text, _epoch(message.created_at))


# --- the service -------------------------------------------------------------------------------


class MailqService:
    def __init__(self, config: MailqConfig, database_url: str, *, keypair: KeyPair, relay: Relay | None = None):
        self.config = config
        self.keypair = keypair
        self.database_url = database_url
        self.relay = relay
        self.run_id = secrets.token_hex(6)
        self.started_at = time.time()
        self.stopping = asyncio.Event()
        self.pool = ThreadPoolExecutor(max_workers=POOL_THREADS, thread_name_prefix="mailq-crm")
        self.session_checks = ThreadPoolExecutor(max_workers=SESSION_THREADS, thread_name_prefix="mailq-login")
        self.login_guard = LoginGuard(service="mail queue")
        self.router = Router(config.queue_rules(), default_offer_seconds=config.offer_seconds)
        self.health = DatabaseHealth()
        self.assignments = Assignments(self.router, self._write_assignment, self.health)
        self.outbox_health = mailq.PartHealth(part="outbox", state="ok", since=time.time())
        self.database: Database | None = None
        self.sessions: dict[str, AgentSession] = {}  # by the mail queue's session token
        self.seated: dict[str, AgentSession] = {}  # agents' sessions by agent (one each)
        self.watchers: dict[str, AgentSession] = {}  # supervisors' watching sessions by token
        self.org_unit_of: dict[str, int | None] = {}  # users seen logging in: their org unit
        self.meta: dict[int, conversations.WorkItem] = {}  # what offers show: subject, customer
        self.chat_ids: dict[str, int] = {}
        self.pages_gone: dict[int, float] = {}  # chats without a page of the customer's open, since (monotonic)
        self.seq = 0
        self.smtp_server = None
        self.chat: ChatServer | None = None
        self.pollers: list[ImapPoller] = []
        self._imap_stop = threading.Event()
        self._write_lock = threading.Lock() if database_url.startswith("sqlite") else contextlib.nullcontext()
        self._send_now = asyncio.Event()
        self._queues_changed: set[str] = set()
        self._tasks: set[asyncio.Task] = set()
        self._commands_running = 0
        self._failures_logged: dict[str, tuple[float, int]] = {}  # what -> (last logged, failures since)
        self._next_account_check = time.monotonic() + config.account_check_seconds
        self._sessions_checked_at = utcnow()  # CRM sessions ended since then end here too

    # --- start and stop ------------------------------------------------------------------------

    async def run(self, on_ready=None) -> None:
        self.loop = asyncio.get_running_loop()
        self._install_signal_handlers()
        try:
            await self._open_database()
            self.context = zmq.asyncio.Context()
            self._bind_bus()
            self.ingest = MailIngest(self.writing, self.config.route, parse_processes=self.config.parse_processes,
                                     writers=1 if self.database_url.startswith("sqlite") else SERVER_WRITERS)
            await self.in_pool(self.ingest.start)
            await self._restore_work()
            await self._start_smtp()
            await self._start_chat()
            self._start_imap()
            parse_email(WARM_UP_EMAIL)  # loads the codecs and the phone metadata parsing needs
            load_readings()  # and the pinyin tables identification and search need
            gc.freeze()  # what start-up made lives as long as the service: no full collection need walk it
            if on_ready:
                on_ready(self)
            async with asyncio.TaskGroup() as tasks:
                for job in (self._serve_commands(), self.delivery.serve(), self._keep_time(), self._send_outbox(),
                            self._watch_database(), self._wait_for_stop()):
                    tasks.create_task(job)
        except* _Stop:
            log.info("mail queue stopping")
        finally:
            await self._shutdown()

    def _pool_options(self) -> dict:
        """On a database server, a kept connection for every thread that may
        use one at once (the service's pool, asyncio's default executor that
        the chat server uses, the ingest writers): past SQLAlchemy's default
        of 5, each extra one would be opened and closed per transaction."""
        if self.database_url.startswith("sqlite"):
            return {}
        return {"pool_size": POOL_THREADS + SESSION_THREADS + DEFAULT_EXECUTOR_THREADS + SERVER_WRITERS,
                "max_overflow": 4, "connect_args": {"connect_timeout": CONNECT_TIMEOUT_SECONDS}}

    async def _open_database(self) -> None:
        """Open the CRM database. While it cannot be reached the mail queue waits for it, trying
        again and again: started during an outage, it begins when the database is back. A
        database of another schema is an error at once."""
        delay = 1.0
        while True:
            try:
                self.database = await asyncio.to_thread(Database.open, self.database_url, **self._pool_options())
                return
            except DatabaseUnavailable as exc:
                log.warning("waiting for the CRM database: %s (trying again in %.0f s)", describe(exc), delay)
            except CrmError as exc:
                raise MailqError(str(exc)) from None
            await self._pause(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)

    async def _pause(self, seconds: float) -> None:
        """Wait, unless the service is asked to stop meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)
        if self.stopping.is_set():
            raise _Stop()

    def describe(self) -> str:
        parts = []
        if self.smtp_server:
            parts.append(f"SMTP {self.config.smtp_host}:{self.smtp_port} for {', '.join(self.config.addresses)}")
        if self.chat:
            parts.append(f"web chat http://{self.config.chat_host}:{self.chat.port}/chat/")
        parts += [f"IMAP {p.account.username}@{p.account.host}:{p.account.port}" for p in self.pollers]
        parts.append(f"commands {self.config.command_address}; events {self.config.event_address}")
        return "Cicada mail queue ready: " + "; ".join(parts)

    def _bind_bus(self) -> None:
        """Both sockets CURVE servers. Any client may connect, and do nothing but log in until it has
        a session; the command socket learns each client's key (ZAP), which names the operator."""
        self.client_keys = ClientAllowList(self.context).start()  # guards nothing: any key, named
        self.commands = self.context.socket(zmq.ROUTER)
        limit_service_socket(self.commands)
        make_server(self.commands, self.keypair)
        self.events = self.context.socket(zmq.ROUTER)
        make_server(self.events, self.keypair)
        self.delivery = EventDelivery(self.events)
        try:
            self.commands.bind(self.config.command_address)
            self.events.bind(self.config.event_address)
        except zmq.ZMQError as exc:
            raise MailqError(f"cannot listen on {self.config.command_address} / {self.config.event_address}: "
                             f"{exc}; is another mail queue running?") from None

    async def _restore_work(self) -> None:
        """Open conversations back into the router: nothing waits unseen after a restart. Tried
        until the database answers."""
        delay = 1.0
        while True:
            try:
                items = await self.in_db(self._open_work)
                break
            except DatabaseUnavailable:
                log.warning("the open conversations cannot be read yet (trying again in %.0f s)", delay)
            await self._pause(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)
        self.health.back()
        now = time.monotonic()
        for item in items:
            self.meta[item.conversation_id] = item
            self.router.add(_work(item))
            if item.channel == "chat" and not item.customer_ended:
                self.pages_gone[item.conversation_id] = now  # every page was cut off: it has to come back
        if items:
            log.info("%d open conversations restored", len(items))

    def _open_work(self):
        with self.database.reading() as session:
            return conversations.open_work(session)

    async def _start_smtp(self) -> None:
        if not self.config.smtp_host:
            return
        handler = SmtpHandler(self)
        connections = SmtpConnections()

        def protocol():
            return LimitedSMTP(handler, data_size_limit=self.config.max_message_bytes, enable_SMTPUTF8=True,
                               hostname=self.config.smtp_host, ident="Cicada mail queue", connections=connections)

        try:
            self.smtp_server = await self.loop.create_server(protocol, self.config.smtp_host, self.config.smtp_port)
        except OSError as exc:
            raise MailqError(f"cannot listen for SMTP on {self.config.smtp_host}:{self.config.smtp_port}: {exc}") \
                from None
        self.smtp_port = self.smtp_server.sockets[0].getsockname()[1]

    async def _start_chat(self) -> None:
        if not self.config.chat_host:
            return
        gate = ChatGate(self.config.chat_limits, waiting=lambda: self.router.waiting_in_channel("chat"))
        self.chat = ChatServer(ChatDesk(self), self.config.chat_host, self.config.chat_port,
                               allowed_origins=list(self.config.chat_origins) or None, gate=gate,
                               proxies=list(self.config.chat_proxies))
        try:
            await self.chat.start()
        except OSError as exc:
            raise MailqError(f"cannot listen for the web chat on {self.config.chat_host}:{self.config.chat_port}: "
                             f"{exc}") from None

    def _start_imap(self) -> None:
        for account in self.config.imap:
            poller = ImapPoller(account, self._store_from_imap)
            self.pollers.append(poller)
            threading.Thread(target=poller.run, args=(self._imap_stop,), daemon=True,
                             name=f"imap-{account.username}@{account.host}").start()

    def _store_from_imap(self, raw: bytes, mailbox: str):
        try:
            received = self.ingest.store_blocking(raw, mailbox, "imap")
        except Exception as exc:
            if is_outage(exc):  # the poller leaves it in the mailbox and tries again
                self.database_failed(exc)
            raise
        self.soon(self.email_stored, received)
        return received

    def _install_signal_handlers(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self.loop.add_signal_handler(sig, self.stopping.set)
            except (NotImplementedError, RuntimeError):
                pass

    async def _wait_for_stop(self) -> None:
        await self.stopping.wait()
        raise _Stop()

    async def _shutdown(self) -> None:
        await self._store_kept_decisions()
        self._imap_stop.set()
        for poller in self.pollers:
            poller.close()
        if self.smtp_server is not None:
            self.smtp_server.close()
        if self.chat is not None:
            await self.chat.stop()
        ingest = getattr(self, "ingest", None)
        if ingest is not None:
            await asyncio.to_thread(ingest.stop)  # what was queued is stored
        for name in ("commands", "events"):
            sock = getattr(self, name, None)
            if sock is not None:
                sock.close(linger=0)
        client_keys = getattr(self, "client_keys", None)
        if client_keys is not None:
            client_keys.stop()  # its socket lives in the context: closed before the context ends
        context = getattr(self, "context", None)
        if context is not None:
            context.destroy(linger=0)
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.session_checks.shutdown(wait=True, cancel_futures=True)
        if self.database is not None:
            self.database.dispose()

    async def _store_kept_decisions(self) -> None:
        """Before stopping, one try at storing the decisions kept while the database was away; what
        cannot be stored is said: after the restart, those conversations go by what the database has."""
        if not self.assignments.unsaved or self.database is None:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._probe_and_flush(), 5.0)
        if self.assignments.unsaved:
            log.warning("%d routing decisions could not be stored (the CRM database is unavailable); after a "
                        "restart those conversations are routed from what the database holds",
                        len(self.assignments.unsaved))

    # --- helpers for threads -------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self):
        """A transaction that writes. On SQLite, one at a time: SQLite takes one
        writer anyway, and threads queueing on a lock wake the moment it is
        free, where SQLite's own busy handler sleeps and polls (tens of ms)."""
        with self._write_lock, self.database.unit_of_work() as session:
            yield session

    async def in_pool(self, fn, *args):
        return await self.loop.run_in_executor(self.pool, fn, *args)

    async def in_db(self, fn, *args):
        """Database work on the pool; an outage is noted and raised as DatabaseUnavailable, whose
        message is for the user."""
        try:
            return await self.in_pool(fn, *args)
        except Exception as exc:
            if not is_outage(exc):
                raise
            self.database_failed(exc)
            raise DatabaseUnavailable(UNAVAILABLE_TEXT) from exc

    def database_failed(self, exc: BaseException) -> None:
        """From any thread: database work failed because the database cannot be reached."""
        if self.health.failed(exc):
            log.warning("the CRM database is unavailable (%s): routing goes on in memory, its decisions are "
                        "stored when the database is back; email gets 451, chat customers are asked to try "
                        "again", describe(exc))
            self.loop.call_soon_threadsafe(self._beat)  # desktops hear it now, not at the next beat

    def soon(self, fn, *args) -> None:
        """Run `fn(*args)` (a coroutine function or a plain one) in the loop, from any thread."""
        def start():
            result = fn(*args)
            if asyncio.iscoroutine(result):
                self.in_loop(result)
        self.loop.call_soon_threadsafe(start)

    def in_loop(self, coroutine) -> None:
        """Run a coroutine as a task of its own (from the loop), failures logged."""
        task = self.loop.create_task(coroutine)
        self._tasks.add(task)  # the loop keeps only a weak reference
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_log_failure)

    # --- email and chat in ---------------------------------------------------------------------

    async def email_stored(self, received) -> None:
        if received.work is not None:
            await self.new_work(received.work)
        elif received.assigned_to and not received.duplicate:
            self.publish(to_agent(received.assigned_to), mailq.NewMessage(
                agent=received.assigned_to, conversation_id=received.conversation_id,
                message_id=received.message_id))

    async def new_work(self, item: conversations.WorkItem) -> None:
        self.meta[item.conversation_id] = item
        await self.apply(self.router.add(_work(item)))
        self.queue_changed(item.queue)

    async def chat_line_in(self, conversation_id: int, line: ChatLine) -> None:
        work = self.router.items.get(conversation_id)
        if work is not None and work.state == "assigned":
            self.publish(to_agent(work.agent), mailq.ChatLine(
                agent=work.agent, conversation_id=conversation_id, line=_line_view(line)))

    async def chat_ended_waiting(self, conversation_id: int, reason: str = "the customer ended the chat",
                                 cause: str = "customer_ended") -> None:
        """The customer ended a chat no agent had (it is closed): out of the router, and
        an agent it was offered to hears it is gone."""
        work = self.router.items.get(conversation_id)
        if work is None:
            return
        if work.agent and work.state == "offered":
            self.publish(to_agent(work.agent), mailq.WorkWithdrawn(
                agent=work.agent, conversation_id=conversation_id, reason=reason, cause=cause))
        elif work.agent and work.state == "assigned":  # accepted while it was being closed
            self.publish(to_agent(work.agent), mailq.WorkClosed(
                agent=work.agent, conversation_id=conversation_id, by="customer"))
        await self._finished(conversation_id)
        self.queue_changed(work.queue)

    async def chat_ended_assigned(self, conversation_id: int, line: ChatLine) -> None:
        """The customer ended a chat an agent works: he sees the line saying so, then the event."""
        meta = self.meta.get(conversation_id)
        if meta is not None:  # a desktop that comes back learns it from its seat's work
            self.meta[conversation_id] = dataclasses.replace(meta, customer_ended=True)
        await self.chat_line_in(conversation_id, line)
        work = self.router.items.get(conversation_id)
        if work is not None and work.state == "assigned":
            self.publish(to_agent(work.agent), mailq.CustomerEndedChat(
                agent=work.agent, conversation_id=conversation_id))

    async def chat_first_line(self, conversation_id: int, text: str) -> None:
        """The customer's first line names a chat that has no subject, and rules
        with keywords route it by what he wrote: one not yet accepted goes where
        they say (an offer made before it is withdrawn)."""
        if conversation_id not in self.router.items:
            return
        try:
            item, subject = await self.in_db(self._store_first_line, conversation_id, text)
        except CrmError as exc:
            log.warning("chat %s could not be routed by its first line: %s", conversation_id, exc)
            return
        meta, work = self.meta.get(conversation_id), self.router.items.get(conversation_id)
        if subject and meta is not None:
            self.meta[conversation_id] = dataclasses.replace(meta, subject=subject)
        if work is None or work.state == "assigned":  # accepted meanwhile: it stays his
            return
        if item is None:
            if subject and work.state == "offered" and work.agent:  # the offer shows what it is about
                self.publish(to_agent(work.agent),
                             mailq.WorkOffered(agent=work.agent, work=self.work_view(conversation_id)))
            return
        if work.state == "offered" and work.agent:
            self.publish(to_agent(work.agent), mailq.WorkWithdrawn(
                agent=work.agent, conversation_id=conversation_id,
                reason=f"routed to {item.queue} by the customer's first message", cause="rerouted"))
        await self.apply(self.router.finished(conversation_id))
        self.queue_changed(work.queue)
        await self.new_work(item)

    def _store_first_line(self, conversation_id: int, text: str):
        with self.writing() as session:
            item = conversations.route_chat(session, conversation_id, text, self.config.route)
            subject = conversations.name_chat(session, conversation_id, text)
            if item is not None and subject:
                item = dataclasses.replace(item, subject=subject)
            return item, subject

    def chat_page_closed(self, conversation_id: int) -> None:
        if self.chat is not None and not self.chat.connected(conversation_id):
            self.pages_gone.setdefault(conversation_id, time.monotonic())

    async def _abandon_chats(self) -> None:
        """Chats whose customer has not come back within chat_abandon_seconds end (once the database
        can take it: until then they stay as they are)."""
        limit = self.config.chat_abandon_seconds
        if not self.pages_gone or not limit or self.chat is None or not self.health.available:
            return
        now = time.monotonic()
        for cid, since in list(self.pages_gone.items()):
            if self.chat.connected(cid) or cid not in self.router.items:  # came back, or closed meanwhile
                self.pages_gone.pop(cid, None)
            elif now - since >= limit:
                try:
                    abandoned = await self.in_db(self._store_abandoned, cid)
                except DatabaseUnavailable:
                    return  # tried again once the database is back
                except CrmError as exc:
                    self.pages_gone.pop(cid, None)
                    log.warning("chat %s could not be ended: %s", cid, exc)
                    continue
                self.pages_gone.pop(cid, None)
                log.info("chat %s: the customer has been gone %.0f s; the chat is abandoned", cid, now - since)
                if abandoned is None:
                    continue
                if abandoned.closed:
                    await self.chat_ended_waiting(cid, "the customer left the chat", "customer_left")
                else:
                    await self.chat_ended_assigned(cid, abandoned.line)

    def _store_abandoned(self, conversation_id: int):
        with self.writing() as session:
            abandoned = conversations.abandon_chat(session, conversation_id)
            return None if abandoned is None else dataclasses.replace(abandoned, line=chat_line(abandoned.line))

    def customer_typing(self, conversation_id: int) -> None:
        work = self.router.items.get(conversation_id)
        if work is not None and work.state == "assigned":
            self.publish(to_agent(work.agent), mailq.CustomerTyping(
                agent=work.agent, conversation_id=conversation_id))

    # --- decisions ------------------------------------------------------------------------------

    async def apply(self, decisions: list[Decision]) -> None:
        """Store the conversations the router's decisions changed, then tell the agents. The router
        is the truth: what the database cannot take now is kept, stored when it is back, and told
        now; only what the CRM refuses (a conversation closed meanwhile) is not told."""
        at = time.time()
        refused = set()
        for conversation_id in dict.fromkeys(d.conversation_id for d in decisions):
            if not await self.assignments.store(conversation_id, at):
                refused.add(conversation_id)
        for decision in decisions:
            if decision.conversation_id not in refused:
                try:
                    self._tell(decision)
                except Exception:  # one desktop not told must not keep the others from hearing
                    log.exception("conversation %s: the %s could not be told", decision.conversation_id,
                                  decision.kind)

    async def _write_assignment(self, conversation_id: int, status: str, agent: str | None, at: float) -> None:
        decided = datetime.fromtimestamp(at, UTC).replace(tzinfo=None, microsecond=0)  # the CRM keeps naive UTC
        await self.in_db(self._store_decision, conversation_id, status, agent, decided)

    def _store_decision(self, conversation_id: int, status: str, agent: str | None, decided: datetime) -> None:
        with self.writing() as session:
            conversations.set_assignment(session, conversation_id, status, agent, now=decided)

    def _tell(self, decision: Decision) -> None:
        agent, cid = decision.agent, decision.conversation_id
        if decision.kind == "requeued":
            if agent:
                self.publish(to_agent(agent), mailq.WorkWithdrawn(
                    agent=agent, conversation_id=cid, reason=decision.reason, cause=decision.cause))
            work = self.router.items.get(cid)
            if work is not None:
                self.queue_changed(work.queue)
            return
        if cid not in self.router.items:  # closed while it was being stored
            return
        view = self.work_view(cid)
        event = mailq.WorkOffered if decision.kind == "offered" else mailq.WorkAssigned
        self.publish(to_agent(agent), event(agent=agent, work=view))
        if decision.kind == "assigned":
            self.queue_changed(view.queue)

    def work_view(self, conversation_id: int) -> mailq.WorkView:
        work = self.router.items[conversation_id]
        meta = self.meta.get(conversation_id)
        return mailq.WorkView(conversation_id=conversation_id, channel=work.channel, queue=work.queue,
                              state=work.state, subject=meta.subject if meta else "",
                              customer=meta.customer if meta else "", priority=work.priority,
                              due_at=work.due_at, offer_deadline=work.offer_deadline,
                              customer_ended=meta.customer_ended if meta else False,
                              transferred_by=meta.transferred_by if meta else None,
                              transfer_note=meta.transfer_note if meta else None)

    def queue_changed(self, queue: str) -> None:
        """Tell desktops a queue's count changed: once per QUEUE_NEWS_SECONDS at
        most, since at hundreds of mails a second one event each is noise."""
        if not self._queues_changed:
            self.loop.call_later(QUEUE_NEWS_SECONDS, self._publish_queues)
        self._queues_changed.add(queue)

    def _publish_queues(self) -> None:
        queues, self._queues_changed = self._queues_changed, set()
        for queue in sorted(queues):
            self.publish(to_queue(queue), mailq.QueueChanged(queue=self.queue_view(queue)))

    def queue_view(self, queue: str) -> mailq.QueueView:
        waiting, since = self.router.waiting_count(queue)
        rule = self.router.queues.get(queue)
        return mailq.QueueView(name=queue, mode=rule.mode if rule else "push", waiting=waiting,
                               oldest_wait=time.time() - since if since is not None else 0.0)

    def publish(self, audience: Audience, event: msgspec.Struct) -> None:
        """Send an event to the sessions that may see it (see `recipients`), each once."""
        payload = self._encode(event)
        try:
            self.delivery.publish(self.recipients(audience), payload)
        except zmq.ZMQError:  # desktops catch up from their next snapshot; the service goes on
            self._report_failure("publishing an event")

    def _encode(self, event: msgspec.Struct) -> bytes:
        self.seq += 1
        return encode_event(self.run_id, self.seq, time.time(), event)

    def recipients(self, audience: Audience) -> set[str]:
        """The event keys of the sessions that may see an event about an agent (his own session,
        and supervisors watching his org unit) or about a queue (the agents serving it, and every
        supervisor watching: mail queues belong to no org unit, and their counts name nobody)."""
        kind, name = audience
        if kind == "agent":
            own = self.seated.get(name)
            unit = self.org_unit_of.get(name)
            keys = {w.event_key for w in self.watchers.values() if w.scope.covers(unit)}
        else:
            own = None
            keys = {s.event_key for agent, s in self.seated.items() if name in self._queues_of(agent)}
            keys |= {w.event_key for w in self.watchers.values()}
        if own is not None:
            keys.add(own.event_key)
        return keys

    def _queues_of(self, agent: str) -> set[str]:
        seat = self.router.seats.get(agent)
        return seat.queues if seat is not None else set()

    # --- time -----------------------------------------------------------------------------------

    async def _keep_time(self) -> None:
        """Offers that run out, chats whose customer left, desktops gone silent, and the heartbeat;
        a failure of one costs that one round, never the loop."""
        next_beat = 0.0
        while True:
            await asyncio.sleep(TICK_SECONDS)
            for name, job in (("offer expiry", self._expire_offers), ("chat abandonment", self._abandon_chats),
                              ("silent desktops", self._end_silent_sessions),
                              ("ended sessions", self._end_ended_sessions)):
                try:
                    await job()
                except Exception:
                    self._report_failure(name)
            now = time.monotonic()
            if now >= next_beat:
                next_beat = now + HEARTBEAT_SECONDS
                self._beat()

    async def _expire_offers(self) -> None:
        await self.apply(self.router.expire())

    async def _end_silent_sessions(self) -> None:
        now = time.monotonic()
        for session in list(self.sessions.values()):
            if now - session.last_seen > self.config.silent_seconds and session.token in self.sessions:
                log.info("%s's desktop went silent; its work goes back to the queue", session.agent)
                await self._end_session(session, "disconnected", "agent_gone")

    async def _end_ended_sessions(self) -> None:
        """Agents whose CRM session ended (signed out, expired, account disabled, password changed)
        lose their mail queue session too, and their work goes back. While the database is away
        they keep working: it is asked again next time, from where it was last answered."""
        now = time.monotonic()
        if now < self._next_account_check or not self.sessions:
            return
        self._next_account_check = now + self.config.account_check_seconds
        held = {s.crm_session: s.agent for s in self.sessions.values()}
        asked_at = utcnow()
        try:
            ended = await self.in_pool(self._ended_among, self._sessions_checked_at - SESSION_CHECK_OVERLAP, held)
        except (CrmError, DBAPIError):
            return
        self._sessions_checked_at = asked_at
        for session in [s for s in self.sessions.values() if s.crm_session in ended]:
            reason = ended[session.crm_session]
            log.warning("%s's mail queue session ends: the CRM session ended (%s)", session.agent, reason)
            self.delivery.publish([session.event_key], self._encode(mailq.MailSessionEnded(
                agent=session.agent, reason=reason if reason in SESSION_END_REASONS else "ended")))
            await self._end_session(session, f"session ended ({reason})")

    def _ended_among(self, since: datetime, held: dict[str, str]) -> dict[str, str]:
        """CRM session hash -> why it ended, among those held (hash -> agent). An account disabled
        in the database without its sessions being ended counts too."""
        with self.database.reading() as session:
            ended = sessions.ended_since(session, since, sorted(held))
            disabled = set(users.disabled_among(session, sorted(set(held.values()))))
        return {**{hashed: "account_disabled" for hashed, agent in held.items() if agent in disabled}, **ended}

    def _beat(self) -> None:
        """To every session that receives events, and to nobody before a session."""
        if hasattr(self, "delivery"):
            self.delivery.publish_to_all(self._encode(mailq.MailqHeartbeat(
                run=self.run_id, started_at=self.started_at, database_available=self.health.available)))

    def _report_failure(self, what: str) -> None:
        """A loop's failure, logged with its traceback at most every FAILURE_LOG_SECONDS (one that
        repeats every tick would bury the log), with how often it failed in between."""
        now = time.monotonic()
        last, since = self._failures_logged.get(what, (-FAILURE_LOG_SECONDS, 0))
        if now - last < FAILURE_LOG_SECONDS:
            self._failures_logged[what] = (last, since + 1)
            return
        self._failures_logged[what] = (now, 0)
        again = f" ({since} more times since it was last logged)" if since else ""
        log.exception("%s failed%s; the mail queue goes on", what, again)

    async def _watch_database(self) -> None:
        """Check that the database answers (every PROBE_SECONDS, every second while it does not); once it
        is back, store the decisions kept meanwhile and send the outbox."""
        while True:
            away = not self.health.available or self.assignments.unsaved
            await asyncio.sleep(PROBE_SECONDS_AWAY if away else PROBE_SECONDS)
            try:
                await self._probe_and_flush()
            except DatabaseUnavailable:
                pass
            except Exception:
                self._report_failure("the database check")

    async def _probe_and_flush(self) -> None:
        await self.in_db(self._probe)
        away = self.health.back()
        if away is not None:
            log.warning("the CRM database is back after %.0f s; %d routing decisions kept meanwhile are stored now",
                        away, len(self.assignments.unsaved))
            self._beat()
            self._send_now.set()
        if self.assignments.unsaved:
            written = await self.assignments.flush()
            if written:
                log.info("%d routing decisions stored", written)

    def _probe(self) -> None:
        with self.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    async def _send_outbox(self) -> None:
        if self.relay is None:
            return
        while True:
            try:
                await asyncio.wait_for(self._send_now.wait(), self.config.send_seconds)
            except TimeoutError:
                pass
            self._send_now.clear()
            if not self.health.available:
                self._outbox_state("unavailable", "waiting for the CRM database")
                continue  # the database check sends it once the database is back
            try:
                owners, relay_error = await self.in_db(self._send_and_find_writers)
            except DatabaseUnavailable:
                self._outbox_state("unavailable", "waiting for the CRM database")
                continue
            except Exception as exc:
                self._report_failure("sending the outbox")
                self._outbox_state("failing", describe(exc))
                continue
            self._outbox_state(*(("failing", relay_error) if relay_error else ("ok", "")))
            self._tell_deliveries(owners)

    def _outbox_state(self, state: str, detail: str) -> None:
        if state != self.outbox_health.state or detail != self.outbox_health.detail:
            since = self.outbox_health.since if state == self.outbox_health.state else time.time()
            self.outbox_health = mailq.PartHealth(part="outbox", state=state, detail=detail, since=since)

    def _send_and_find_writers(self) -> tuple[list[outbox_service.DeliveryOwner], str | None]:
        """Send what is due; the writers of those now sent or failed for good (not those due again),
        and why the relay took none, if it did not."""
        deliveries = send_due(self.database, self.relay)
        done = [d.email_id for d in deliveries if d.status in (outbox_service.SENT, outbox_service.FAILED)]
        waiting = [d.error for d in deliveries if d.status not in (outbox_service.SENT, outbox_service.FAILED)]
        relay_error = waiting[-1] if waiting and not done else None
        if not done:
            return [], relay_error
        with self.database.reading() as session:
            return outbox_service.owners_of(session, done), relay_error

    def _tell_deliveries(self, owners: list[outbox_service.DeliveryOwner]) -> None:
        """The agent who wrote an email hears how it went, wherever he is in his desktop."""
        for owner in owners:
            self.publish(to_agent(owner.username), mailq.DeliveryDone(
                agent=owner.username, conversation_id=owner.conversation_id, email_id=owner.email_id,
                status=owner.status, to_address=owner.to_address, subject=owner.subject, error=owner.error))

    # --- commands -------------------------------------------------------------------------------

    async def _serve_commands(self) -> None:
        """Read commands and start each as a task of its own: nothing one command waits for (the
        database, a password check) holds up the next, and a login flood no one's pings."""
        while True:
            await asyncio.sleep(0)  # pyzmq hands out waiting commands without yielding to the loop
            try:
                frames = await self.commands.recv_multipart(copy=False)
            except zmq.ZMQError:
                self._report_failure("reading a command")
                await asyncio.sleep(TICK_SECONDS)
                continue
            try:
                self._take_command(frames)
            except Exception:  # one command must never stop the others
                self._report_failure("taking a command")

    def _take_command(self, frames: list[zmq.Frame]) -> None:
        envelope, data = [f.bytes for f in frames[:-1]], frames[-1].bytes
        source = peer_address(frames[-1])
        if len(frames) > MAX_FRAMES:
            log.warning("a command from %s in %d frames refused", source, len(frames))
            self._reply(envelope[:1], encode_error("", "malformed", f"a command has at most {MAX_FRAMES} frames"))
            return
        try:
            request_id, command = decode_request(data, mailq.COMMANDS)
        except BadMessage as exc:
            log.warning("bad command from %s: %s", source, exc.message)
            self._reply(envelope, encode_error(getattr(exc, "request_id", "") or "", exc.code, exc.message))
            return
        if isinstance(command, mailq.MailLogin):  # bounded by the login guard
            self.in_loop(self._login(envelope, request_id, command, source))
        elif self._commands_running >= MAX_COMMANDS_RUNNING:
            self._reply(envelope, encode_error(request_id, "busy", "The mail queue is busy; try again in a moment."))
        else:
            self._commands_running += 1
            self.in_loop(self._carry_out(envelope, request_id, command, self._is_operator(frames[-1])))

    def _is_operator(self, frame: zmq.Frame) -> bool:
        """Whether the client speaks with the mail queue's own key pair: a tool on its host that can
        read the secret key (`cicada mailq status`). The key comes from the CURVE handshake (ZAP)."""
        try:
            return frame.get("User-Id") == self.keypair.public.decode("ascii")
        except (zmq.ZMQError, KeyError):
            return False

    def _reply(self, envelope: list[bytes], payload: bytes) -> None:
        try:
            self.commands.send_multipart([*envelope, payload])  # a ROUTER never blocks: it drops for a peer gone
        except zmq.ZMQError:
            self._report_failure("sending a reply")

    async def _carry_out(self, envelope: list[bytes], request_id: str, command, operator: bool = False) -> None:
        try:
            reply = encode_reply(request_id, await self.handle(command, operator=operator))
        except BadMessage as exc:
            reply = encode_error(request_id, exc.code, exc.message)
        except RoutingError as exc:
            reply = encode_error(request_id, exc.code, exc.message)
        except DatabaseUnavailable as exc:
            reply = encode_error(request_id, "crm_unavailable", str(exc))
        except PermissionDenied as exc:
            reply = encode_error(request_id, "forbidden", str(exc))
        except CrmError as exc:
            reply = encode_error(request_id, type(exc).__name__.lower(), str(exc))
        except Exception as exc:  # a bug must cost one command, never the service
            log.exception("command %s failed", type(command).__name__)
            reply = encode_error(request_id, "internal", f"the mail queue failed: {exc}")
        finally:
            self._commands_running -= 1
        self._reply(envelope, reply)

    async def handle(self, command, *, operator: bool = False):
        if isinstance(command, mailq.Status):
            return self._status_for(command, operator)
        session = self._session(command.session)
        session.last_seen = time.monotonic()
        agent = session.agent
        if session.watching and not isinstance(command, mailq.Ping | mailq.MailLogout):
            raise RoutingError("watching", "a supervisor's watching session takes no work; log in as an agent")
        match command:
            case mailq.Ping():
                return None
            case mailq.MailLogout():
                await self._end_session(session, "logged off")
                return None
            case mailq.Snapshot():
                return self.seat_view(agent)
            case mailq.SetAvailable(channel=channel, available=available):
                await self.apply(self.router.set_available(agent, channel, available))
                return self.seat_view(agent)
            case mailq.AcceptWork(conversation_id=cid):
                await self.apply(self.router.accept(agent, cid))
                return self.work_view(cid)
            case mailq.RejectWork(conversation_id=cid):
                await self.apply(self.router.reject(agent, cid))
                return None
            case mailq.PullWork(conversation_id=cid):
                await self._know(cid)
                await self.apply(self.router.pull(agent, cid))
                return self.work_view(cid)
            case mailq.ChatSend(conversation_id=cid, text=text):
                return await self._chat_send(session, cid, text)
            case mailq.ChatTyping(conversation_id=cid):
                if self.chat is not None:
                    self.chat.push_typing(cid, session.display_name or session.agent)
                return None
            case mailq.CloseWork():
                await self._close(session, command)
                return None
            case mailq.TransferWork():
                await self._transfer(session, command)
                return None
            case mailq.TransferTargets():
                return self.transfer_targets(agent)
            case mailq.SendNow():
                self._send_now.set()
                return None
        raise BadMessage("unknown_type", f"{type(command).__name__} is not handled")

    async def _login(self, envelope: list[bytes], request_id: str, command: mailq.MailLogin, source: str) -> None:
        try:
            reply = encode_reply(request_id, await self._log_in(command, source))
        except LoginRefused as exc:
            reply = encode_error(request_id, exc.code, exc.message)
        except sessions.SessionEnded as exc:
            log.info("mail queue login from %s refused: session %s", source, exc.reason)
            reply = encode_error(request_id, SESSION_ENDED, str(exc))
        except RoutingError as exc:
            reply = encode_error(request_id, exc.code, exc.message)
        except DatabaseUnavailable as exc:
            reply = encode_error(request_id, "crm_unavailable", str(exc))
        except PermissionDenied as exc:
            reply = encode_error(request_id, "forbidden", str(exc))
        except CrmError as exc:
            reply = encode_error(request_id, type(exc).__name__.lower(), str(exc))
        except Exception:
            log.exception("a login from %s failed", source)
            reply = encode_error(request_id, "internal", "The login failed; see the mail queue's log.")
        self._reply(envelope, reply)

    async def _log_in(self, command: mailq.MailLogin, source: str) -> mailq.LoginResult:
        names = [q.name for q in self.config.queues]
        queues = command.queues if command.queues is not None else names
        unknown = [q for q in queues if q not in names]
        if unknown:  # before the session: a wrong request costs no lookup
            raise RoutingError("unknown_queue", f"no mail queue {', '.join(unknown)} (there are {', '.join(names)})")
        checked = await self._check_session(command.token, source, command.watch)
        actor = checked.session.actor
        agent = actor.username
        self.org_unit_of[agent] = checked.org_unit_id
        session = AgentSession(secrets.token_urlsafe(18), agent, actor, time.monotonic(), checked.display_name,
                               checked.session.token_hash, new_event_key(), command.watch, checked.scope)
        if command.watch:
            self._start_session(session)
            log.info("%s watches the mail queue (%s)", agent, command.client[:100] or "a console")
            return mailq.LoginResult(session=session.token, run=self.run_id, agent=agent, events=session.event_key,
                                     seat=mailq.SeatView(agent=agent, queues=[], capacity={}, available={}, work=[]))
        earlier = self.seated.get(agent)
        if earlier is not None:  # a second login replaces the first; the work stays
            self._stop_session(earlier)
        self._start_session(session)
        await self.apply(self.router.login(agent, queues, checked.capacity))
        log.info("%s logged in to the mail queue (%s)", agent, command.client[:100] or "a desktop")
        return mailq.LoginResult(session=session.token, run=self.run_id, seat=self.seat_view(agent), agent=agent,
                                 events=session.event_key)

    def _start_session(self, session: AgentSession) -> None:
        self.sessions[session.token] = session
        if session.watching:
            self.watchers[session.token] = session
        else:
            self.seated[session.agent] = session
        self.delivery.grant(session.event_key)

    def _stop_session(self, session: AgentSession) -> None:
        """The session opens nothing more: its commands are refused and its events stop at once."""
        self.sessions.pop(session.token, None)
        self.watchers.pop(session.token, None)
        if self.seated.get(session.agent) is session:
            del self.seated[session.agent]
        self.delivery.revoke(session.event_key)

    async def _check_session(self, token: str, source: str, watch: bool) -> CheckedLogin:
        """The CRM session checked on a session thread, if the guard lets it run (LoginRefused
        otherwise). A made-up token counts as a failure of its source; one that was open once
        (ended, expired) does not: that is a desktop left open, not a guess."""
        guess_key = sessions.token_hash(token)[:16] if isinstance(token, str) else ""
        self.login_guard.admit(guess_key, source)
        succeeded = None
        try:
            result = await self.loop.run_in_executor(self.session_checks, self._open_session_of, token, watch)
            succeeded = True
            return result
        except sessions.SessionEnded as exc:
            succeeded = False if exc.reason == "unknown" else None
            raise
        except Exception as exc:
            if is_outage(exc):
                self.database_failed(exc)
                raise DatabaseUnavailable(LOGIN_UNAVAILABLE_TEXT) from exc
            raise
        finally:
            self.login_guard.finished(guess_key, source, succeeded=succeeded)

    def _open_session_of(self, token: str, watch: bool) -> CheckedLogin:
        with self.database.reading() as session:
            opened = sessions.actor_of(session, token)
            actor = opened.actor
            profile = profiles.profile_for_user(session, actor.username)
            user = session.get(User, actor.user_id)
            display_name = (user.display_name if user else "") or actor.username
            org_unit_id = user.org_unit_id if user else None
            # one rule for the gateway and the mail queue: who may watch agents, and which (crm.services.supervision)
            scope = watch_scope(session, actor) if watch else NOBODY
        return CheckedLogin(opened, dict(profile.capacity or profiles.DEFAULTS["capacity"]), display_name,
                            org_unit_id, scope)

    async def _end_session(self, session: AgentSession, reason: str, cause: str = "logged_off") -> None:
        self._stop_session(session)
        if not session.watching:
            await self.apply(self.router.logout(session.agent, reason, cause))

    async def _know(self, conversation_id: int) -> None:
        if conversation_id in self.router.items:
            return
        item = await self.in_db(self._work_item, conversation_id)
        if item.status != ConversationStatus.CLOSED.value:
            self.meta[conversation_id] = item
            self.router.add(_work(item))

    def _work_item(self, conversation_id: int):
        with self.database.reading() as session:
            return conversations.work_item(session, conversation_id)

    async def _chat_send(self, session: AgentSession, cid: int, text: str) -> mailq.ChatLineView:
        work = self.router.items.get(cid)
        if work is None or work.agent != session.agent or work.state != "assigned":
            raise RoutingError("not_yours", f"chat {cid} is not assigned to {session.agent}")
        line = await self.in_db(self._store_chat_reply, session.actor, cid, text)
        if self.chat is not None:
            self.chat.push_line(cid, line)
        return _line_view(line)

    def _store_chat_reply(self, actor: Actor, cid: int, text: str) -> ChatLine:
        with self.writing() as session:
            return chat_line(conversations.chat_reply(session, actor, cid, text))

    async def _close(self, session: AgentSession, command: mailq.CloseWork) -> None:
        cid = command.conversation_id
        work = self.router.items.get(cid)
        if work is not None and work.agent != session.agent:
            raise RoutingError("not_yours", f"conversation {cid} is not assigned to {session.agent}")
        await self.in_db(self._store_close, session.actor, command)
        await self._finished(cid)
        if work is not None and work.channel == "chat" and self.chat is not None:
            self.chat.push_closed(cid)
        self.publish(to_agent(session.agent), mailq.WorkClosed(
            agent=session.agent, conversation_id=cid, by="agent"))

    async def _finished(self, conversation_id: int) -> None:
        """Closed: out of the router (freeing its agent's room) and out of what the
        service remembers of it, which would otherwise grow for as long as it runs."""
        self.meta.pop(conversation_id, None)
        self.pages_gone.pop(conversation_id, None)
        for token in [t for t, cid in list(self.chat_ids.items()) if cid == conversation_id]:  # threads add to it
            self.chat_ids.pop(token, None)
        if self.chat is not None:
            self.chat.finished(conversation_id)
        await self.apply(self.router.finished(conversation_id))

    def _store_close(self, actor: Actor, command: mailq.CloseWork) -> None:
        with self.writing() as session:
            conversations.close(session, actor, command.conversation_id, outcome=command.outcome,
                                reason=command.reason, notes=command.notes)

    async def _transfer(self, session: AgentSession, command: mailq.TransferWork) -> None:
        """The router decides at once (or refuses, changing nothing), so that no
        colleague can fill up or log off between the check and the change; then
        the queue and note go to the CRM, then the decisions, stored and told as
        always."""
        cid = command.conversation_id
        conversations.transfer_note(command.note)  # a note too long is refused before anything moves
        if not self.health.available:  # its queue and note could not be kept: refused before anything moves
            raise DatabaseUnavailable(UNAVAILABLE_TEXT)
        decisions = self.router.transfer(session.agent, cid, queue=command.queue, to_agent=command.agent)
        try:
            self.meta[cid] = await self.in_db(self._store_transfer, session.actor, command)  # the offer shows it
        except CrmError as exc:  # the router is the truth for who works it, as in apply()
            log.warning("conversation %s: the transfer's queue and note could not be stored: %s", cid, exc)
        await self.apply(decisions)
        log.info("%s transferred conversation %s to %s", session.agent, cid, command.queue or command.agent)

    def _store_transfer(self, actor: Actor, command: mailq.TransferWork) -> conversations.WorkItem:
        with self.writing() as session:
            return conversations.transfer(session, actor, command.conversation_id, queue=command.queue,
                                          to_agent=command.agent, note=command.note)

    def transfer_targets(self, agent: str) -> mailq.TransferTargetsResult:
        """The configured queues and the colleagues logged in, with whether each has room now."""
        colleagues = [mailq.TransferAgentView(agent=name, room={c: seat.has_room(c) for c in CHANNELS})
                      for name, seat in sorted(self.router.seats.items()) if name != agent]
        return mailq.TransferTargetsResult(queues=[q.name for q in self.config.queues], agents=colleagues)

    def _session(self, token: str) -> AgentSession:
        session = self.sessions.get(token)
        if session is None:
            raise RoutingError("no_session", "not logged in to the mail queue (or the session ended); log in again")
        return session

    def seat_view(self, agent: str) -> mailq.SeatView:
        seat = self.router.seats[agent]
        work = [self.work_view(cid) for cid in sorted(seat.work) if cid in self.router.items]
        return mailq.SeatView(agent=agent, queues=sorted(seat.queues), capacity=dict(seat.capacity),
                              available={c: seat.available.get(c, False) for c in ("email", "chat")}, work=work)

    def _status_for(self, command: mailq.Status, operator: bool) -> mailq.StatusResult:
        """The whole status for the operator's tools and supervisors; an agent's own for an agent."""
        if operator:
            return self.status()
        session = self._session(command.session)
        session.last_seen = time.monotonic()
        return self.status() if session.watching else self.agent_status(session.agent)

    def agent_status(self, agent: str) -> mailq.StatusResult:
        """What an agent may know: the queues he serves and whether the database answers."""
        return mailq.StatusResult(
            run=self.run_id, started_at=self.started_at, smtp=None, chat=None, imap=[],
            queues=[self.queue_view(q) for q in sorted(self._queues_of(agent))], agents=[agent],
            database_available=self.health.available)

    def status(self) -> mailq.StatusResult:
        return mailq.StatusResult(
            run=self.run_id, started_at=self.started_at,
            smtp=f"{self.config.smtp_host}:{self.smtp_port}" if self.smtp_server else None,
            chat=f"{self.config.chat_host}:{self.chat.port}" if self.chat else None,
            imap=[f"{p.account.username}@{p.account.host}: {p.status}" for p in self.pollers],
            queues=[self.queue_view(q.name) for q in self.config.queues],
            agents=sorted(self.router.seats), database_available=self.health.available,
            health=self.health_view(), unsaved_decisions=len(self.assignments.unsaved),
            locked_accounts=self.login_guard.locked_accounts())

    def health_view(self) -> list[mailq.PartHealth]:
        """Each part as a supervisor needs to see it: the database first, then what depends on it."""
        health, away = self.health, not self.health.available
        kept = len(self.assignments.unsaved)
        database = mailq.PartHealth(
            part="database", state="unavailable" if away else "ok", since=health.since,
            detail="; ".join(filter(None, [health.error, f"{kept} routing decisions wait to be stored" if kept
                                           else ""])))
        parts = [database, self._smtp_health(away), self._chat_health(away)]
        parts += [mailq.PartHealth(part=f"imap {p.account.label}", state="ok" if p.status in ("connected", "idle")
                                   else "failing", detail=p.status) for p in self.pollers]
        if self.relay is None:
            parts.append(mailq.PartHealth(part="outbox", state="off", detail="no relay: replies wait in the outbox"))
        else:
            parts.append(self.outbox_health)
        return parts

    def _smtp_health(self, database_away: bool) -> mailq.PartHealth:
        if not self.smtp_server:
            return mailq.PartHealth(part="smtp", state="off")
        listening = f"listening on {self.config.smtp_host}:{self.smtp_port}"
        if database_away:
            return mailq.PartHealth(part="smtp", state="unavailable", since=self.health.since,
                                    detail=f"{listening}; mail is refused with 451 (try later) until the database is back")
        return mailq.PartHealth(part="smtp", state="ok", detail=listening)

    def _chat_health(self, database_away: bool) -> mailq.PartHealth:
        if self.chat is None:
            return mailq.PartHealth(part="chat", state="off")
        gate = self.chat.gate
        detail = (f"listening on {self.config.chat_host}:{self.chat.port}; {gate.open_chats()} chats opened, "
                  f"{self.router.waiting_in_channel('chat')} waiting, {gate.refused} new chats refused since the start")
        if database_away:
            return mailq.PartHealth(part="chat", state="unavailable", since=self.health.since,
                                    detail=f"{detail}; customers are asked to try again until the database is back")
        return mailq.PartHealth(part="chat", state="ok", detail=detail)


def _work(item: conversations.WorkItem) -> Work:
    due = _epoch(item.due_at) if item.due_at else None
    return Work(item.conversation_id, item.channel, item.queue, item.priority, due, _epoch(item.created_at),
                agent=item.assigned_to, state=item.status if item.status != "closed" else "queued")


def _epoch(value: datetime) -> float:
    """The CRM keeps naive UTC times."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def _line_view(line: ChatLine) -> mailq.ChatLineView:
    return mailq.ChatLineView(id=line.id, sender=line.sender, author=line.author, text=line.text, at=line.at)



def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("mail queue task failed", exc_info=task.exception())


def run_mailq(config: MailqConfig, database_url: str, *, keypair: KeyPair, relay: Relay | None = None,
              on_ready=None) -> None:
    asyncio.run(MailqService(config, database_url, keypair=keypair, relay=relay).run(on_ready))
