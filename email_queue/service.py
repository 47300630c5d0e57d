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
import gc
import logging
import os
import secrets
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import zmq
import zmq.asyncio

from bus import mailq
from bus.curve import ClientAllowList, make_server
from bus.delivery import EventDelivery
from bus.keys import KeyPair
from bus.limits import give_back_memory, limit_service_socket
from crm.db import Database
from crm.clock import utcnow
from crm.errors import CrmError, DatabaseUnavailable
from crm.login_guard import LoginGuard
from crm.search_keys import load_readings
from crm.services.conversations import queueing
from crm.services.conversations.steps import written_steps
from crm.services.supervision import UnknownOrgUnit, checked_queue_org_units
from email_queue.assignments import Assignments
from email_queue.chat_server import ChatServer
from email_queue.config import MailqConfig
from email_queue.health import UNAVAILABLE_TEXT, DatabaseHealth, describe, is_outage
from email_queue.imap_in import ImapPoller
from email_queue.ingest import MailIngest
from email_queue.outbox import Relay
from email_queue.parse import parse_email
from email_queue.routing import Router
from email_queue.service_base import MailqError, TICK_SECONDS, work_of
from email_queue.service_mail_in import EmailIn
from email_queue.service_chat import ChatWork
from email_queue.service_offers import Offers
from email_queue.service_sessions import AgentSession, DeskSessions
from email_queue.service_commands import Commands
from email_queue.service_status import StatusAndHealth
from email_queue.service_sending import Sending
from email_queue.service_supervisors import Supervisors

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0
POOL_THREADS = 8  # database work of commands, decisions and chats
SESSION_THREADS = 2  # session checks at login: a login flood never takes the others' threads
RETRY_MAX_SECONDS = 30.0  # the longest wait between tries at start
CONNECT_TIMEOUT_SECONDS = 5  # a database server that does not answer at all costs a thread no longer
FAILURE_LOG_SECONDS = 60.0  # a loop failing again and again logs a traceback this often at most
SERVER_WRITERS = 2  # ingest writer threads on PostgreSQL (SQLite: one)
DEFAULT_EXECUTOR_THREADS = min(32, (os.cpu_count() or 1) + 4)  # asyncio's, as ThreadPoolExecutor sizes it
WARM_UP_EMAIL = ("From: =?utf-8?b?5byg5LiJ?= <zhang@example.cn>\r\nTo: service@example.cn\r\n"
                 "Subject: =?gb2312?b?suLK1A==?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                 "\u4f60\u597d\r\n\u7535\u8bdd 138 0013 8000\r\n").encode()


class _Stop(Exception):
    pass


class MailqService(EmailIn, ChatWork, Offers, DeskSessions, Commands, StatusAndHealth, Sending, Supervisors):
    """The mail queue: one object made of its parts (one module each, email_queue.service_*), which
    share the state set here; this module starts and stops it and runs its loops."""

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
        self.meta: dict[int, queueing.WorkItem] = {}  # what offers show: subject, customer
        self.chat_ids: dict[str, int] = {}
        self.pages_gone: dict[int, float] = {}  # chats without a page of the customer's open, since (monotonic)
        self.seq = 0
        self.step_no = 0  # the event log's steps this run made: their keys are mq-<run>:<number>
        self.visits: dict[int, float] = {}  # when each conversation last entered its queue (its answer's wait)
        self.smtp_server = None
        self.chat: ChatServer | None = None
        self.pollers: list[ImapPoller] = []
        self._imap_stop = threading.Event()
        self._write_lock = threading.Lock() if database_url.startswith("sqlite") else contextlib.nullcontext()
        self._send_now = asyncio.Event()
        self._queues_changed: set[str] = set()
        self._seats_changed: dict[str, set[str]] = {}  # agent -> the queues his seat had, to tell supervisors
        self._tasks: set[asyncio.Task] = set()
        self._commands_running = 0
        self._failures_logged: dict[str, tuple[float, int]] = {}  # what -> (last logged, failures since)
        self._next_account_check = time.monotonic() + config.account_check_seconds
        self._sessions_checked_at = utcnow()  # CRM sessions ended since then end here too

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
                await asyncio.to_thread(self._check_queue_org_units)
                return
            except DatabaseUnavailable as exc:
                log.warning("waiting for the CRM database: %s (trying again in %.0f s)", describe(exc), delay)
            except CrmError as exc:
                raise MailqError(str(exc)) from None
            await self._pause(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)

    def _check_queue_org_units(self) -> None:
        """The queues' org units are the CRM's: one it has not got is refused at start (the embedded
        demo queues name none where the CRM has not got the demo's). The mail queue starts once the
        database answers, so this is always checked."""
        configured = self.config.queue_org_units
        try:
            with self.database.reading() as session:
                checked = checked_queue_org_units(session, configured, demo=self.config.demo_queues)
        except UnknownOrgUnit as exc:
            raise MailqError(f"{self.config.where}: {exc}") from None
        if checked != configured:
            log.info("The CRM has not got the demo's org units: the demo queues are seen by every supervisor.")
            self.config = self.config.with_queue_org_units(checked)

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
            self.router.add(work_of(item))
            if item.channel == "chat" and not item.customer_ended:
                self.pages_gone[item.conversation_id] = now  # every page was cut off: it has to come back
        if items:
            log.info("%d open conversations restored", len(items))

    def _open_work(self):
        with self.database.reading() as session:
            return queueing.open_work(session)

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

    @contextlib.contextmanager
    def writing(self):
        """A transaction that writes. On SQLite, one at a time: SQLite takes one
        writer anyway, and threads queueing on a lock wake the moment it is
        free, where SQLite's own busy handler sleeps and polls (tens of ms).
        The conversations' steps it added to the event log are told once it is committed."""
        with self._write_lock, self.database.unit_of_work() as session:
            yield session
            steps = written_steps(session)
        if steps:
            self.tell_steps(steps)

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
            give_back_memory()  # what big refused commands left
            now = time.monotonic()
            if now >= next_beat:
                next_beat = now + HEARTBEAT_SECONDS
                self._beat()

    async def _expire_offers(self) -> None:
        await self.apply(self.router.expire())

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


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("mail queue task failed", exc_info=task.exception())


def run_mailq(config: MailqConfig, database_url: str, *, keypair: KeyPair, relay: Relay | None = None,
              on_ready=None) -> None:
    asyncio.run(MailqService(config, database_url, keypair=keypair, relay=relay).run(on_ready))
