"""One gateway watch and one mail queue watch per supervisor scope, shared by every browser of that scope.

The gateway shows a supervisor's watch the agents of his org units (crm.services.supervision):
supervisors with the same scope see the same picture, so the console opens one watch for them
all, with the CRM session of one of them (the first still signed in). However many browsers
are open, the gateway has one watch and the database no query per browser.

Each feed runs on a thread of its own: watch (the gateway confirms the event key), then seed
the model from `gateway.status` (taken after the confirmation, so no event falls in between),
then follow the events. A silent or unreachable gateway turns the model offline at once, and
the feed starts over every `retry` seconds until the gateway answers again.

The mail queue's feed (MailFeed) goes the same way: log in to watch (the mail queue confirms
the event key), seed from its status, follow the events, ping so that the session lives;
what the two share (the sessions, the thread, going offline and starting over) is ServiceFeed.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Hashable, Mapping

from admin_console.alerts.announce import Announcer
from admin_console.alerts.book import Alert
from admin_console.alerts.mail import MailMonitor
from admin_console.alerts.monitor import QueueMonitor
from admin_console.alerts.rules import AlertRules
from admin_console.alerts.store import AlertStore, scope_key
from admin_console.alerts.figures import local_midnight
from admin_console.wallboard.agents import AgentLimits
from admin_console.wallboard.mail_model import MailBoard
from admin_console.wallboard.model import LiveModel, Wallboard
from bus import mailq
from bus.client import ServiceError
from bus.envelope import BadMessage
from crm.reports.mail_contacts import MailVisits
from crm.reports.queue_contacts import QueueVisits
from crm.services.supervision import WatchScope
from cti_gateway.client import CtiClient, CtiError
from email_queue.client import MailqClient

log = logging.getLogger("cicada.console")

REFUSED_SESSION = ("session_ended", "forbidden")
HISTORY_SECONDS = 3600.0  # the figures' longest window


class ServiceFeed:
    """One service's watch for a scope, on a thread of its own, with the session of the first of
    the scope's supervisors still signed in; a subclass says how to watch (`_watch`)."""

    service = "the service"  # as the log names it
    thread_name = "console-feed"

    def __init__(self, model: LiveModel, *, retry: float = 1.0, on_refused: Callable[[str], None] = lambda token: None):
        self.model = model
        self.retry = retry
        self.on_refused = on_refused  # told of a session the gateway refused (ended in the CRM)
        self.lock = threading.Lock()
        self.tokens: list[str] = []  # the CRM sessions of this scope's supervisors; the first watches
        self._changed = threading.Event()
        self._stopping = threading.Event()
        self._cached: tuple[int, str] = (-1, "")
        self.thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)

    # --- sessions ----------------------------------------------------------------------------

    def add(self, token: str) -> None:
        with self.lock:
            first = not self.tokens
            if token not in self.tokens:
                self.tokens.append(token)
        if first:
            self._changed.set()  # the watch may start; another browser or supervisor changes nothing
        if not self.thread.is_alive() and not self._stopping.is_set():
            self.thread.start()

    def remove(self, token: str) -> bool:
        """Forget a session (signed out); whether any is left."""
        with self.lock:
            watching = bool(self.tokens) and self.tokens[0] == token
            if token in self.tokens:
                self.tokens.remove(token)
            left = bool(self.tokens)
        if watching:
            self._changed.set()  # watch again with another supervisor's session, or stop
        return left

    def stop(self, *, wait: bool = True) -> None:
        self._stopping.set()
        self._changed.set()
        if wait and self.thread.is_alive():
            self.thread.join(10)

    # --- what browsers read ------------------------------------------------------------------

    def snapshot(self) -> tuple[int, str]:
        """The model's version and its view as JSON, made once per version whatever the browsers."""
        with self.lock:
            if self._cached[0] != self.model.version:
                self._cached = (self.model.version, json.dumps(self.model.view(), ensure_ascii=False))
            return self._cached

    # --- the thread --------------------------------------------------------------------------

    def _current(self) -> str | None:
        with self.lock:
            return self.tokens[0] if self.tokens else None

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._changed.clear()
            token = self._current()
            if token is None:
                self._changed.wait(1.0)
                continue
            try:
                self._watch(token)
                continue  # the session changed: watch again at once
            except ServiceError as exc:
                self._set_lost(exc.code)
                if exc.code in REFUSED_SESSION:
                    log.info("%s refused a watch (%s): that session is forgotten", self.service, exc.code)
                    self.remove(token)
                    self.on_refused(token)
                    continue
                if exc.code in ("silent", "restarted"):
                    log.warning("%s", exc.message)
                else:
                    log.debug("%s watch: %s", self.service, exc.message)
            except Exception:  # the feed must outlive whatever one round hit
                log.exception("the %s watch failed", self.service)
                self._set_lost("error")
            self._stopping.wait(self.retry)

    def _watch(self, token: str) -> None:
        """Watch with this session until it changes or the feed stops; a ServiceError when the
        service refuses, falls silent or cannot be reached."""
        raise NotImplementedError

    def _following(self) -> bool:
        return not self._stopping.is_set() and not self._changed.is_set()

    def _set_lost(self, problem: str) -> None:
        with self.lock:
            self.model.lost(problem)


class GatewayFeed(ServiceFeed):
    service = "the gateway"
    model: Wallboard

    def __init__(self, connect: Callable[[], CtiClient], model: Wallboard | None = None, *, retry: float = 1.0,
                 on_refused: Callable[[str], None] = lambda token: None,
                 history: Callable[[float], list] | None = None,
                 today: Callable[[float], QueueVisits] | None = None,
                 announce: Callable[[CtiClient, str, Alert], None] | None = None,
                 roster: Callable[[float], Mapping] | None = None):
        super().__init__(model or Wallboard(), retry=retry, on_refused=on_refused)
        self.connect = connect
        self.announce = announce  # tells a queue's agents of an alert (alerts/announce.py)
        self.history = history  # the queues' steps in the CRM since a time, read once, before the first snapshot
        self.today = today  # the queues' contacts in the CRM since the day's start, read once likewise
        # the scope's agents in the CRM (team, calls answered since a time): read before the first
        # snapshot, and again before the next one only if the CRM could not be read
        self.roster = roster

    def _watch(self, token: str) -> None:
        with self.connect() as client:
            client.watch(token)
            status = client.status(token)
            history, today = self._history(), self._today()
            roster = self._roster()
            with self.lock:
                self.model.seed(status, history, today, roster)
            log.info("watching the gateway: %d queues, %d agents", len(status.queues), len(status.agents))
            while self._following():
                try:
                    got = client.next_event(0.25)
                except BadMessage as exc:  # one bad event costs that event, never the watch
                    log.warning("a malformed event from the gateway was ignored: %s", exc.message)
                    got = None
                with self.lock:
                    if got is not None:
                        self.model.apply(got[1])
                    if not self.model.check():
                        raise CtiError("silent", "the gateway went silent: the wallboard is offline until it answers")
                    announcements = self.model.monitor.take_announcements()
                if self.announce is not None:
                    for alert in announcements:  # outside the lock: browsers do not wait for the gateway
                        self.announce(client, token, alert)
            self._set_lost("connecting")  # that supervisor signed out: watch with another's session

    def _history(self) -> list | None:
        """The last hour's queue steps from the CRM, the first time only (later snapshots go on
        from the figures the feed has); read outside the lock, so that browsers do not wait."""
        read, self.history = self.history, None
        if read is None:
            return None
        try:
            return read(self.model.clock() - HISTORY_SECONDS)
        except Exception:  # the figures then start from the watch
            log.exception("the queues' last hour could not be read from the CRM")
            return None


    def _today(self) -> tuple[QueueVisits, float] | None:
        """Today's contacts of the queues from the CRM (since local midnight), the first time
        only: the events keep them after that, and a console that starts again reads them anew."""
        read, self.today = self.today, None
        if read is None:
            return None
        start = self.model.monitor.figures.day_start(self.model.clock())
        try:
            return read(start), start
        except Exception:  # today then counts from the watch
            log.exception("today's contacts of the queues could not be read from the CRM")
            return None

    def _roster(self) -> Mapping | None:
        """The scope's agents from the CRM since the console's local midnight, outside the lock."""
        if self.roster is None:
            return None
        try:
            read = self.roster(local_midnight(self.model.clock()))
        except Exception:  # the teams stay empty and the counts start from the watch until the next snapshot
            log.exception("the agents' teams and calls today could not be read from the CRM")
            return None
        self.roster = None
        return read


class MailFeed(ServiceFeed):
    """The mail queue's watch for a scope (`MailLogin.watch`): its email and chat queues, and the
    seats of the scope's agents."""

    service = "the mail queue"
    thread_name = "console-mail-feed"
    model: MailBoard

    def __init__(self, connect: Callable[[], MailqClient], model: MailBoard | None = None, *, retry: float = 1.0,
                 on_refused: Callable[[str], None] = lambda token: None, ping: float = mailq.PING_SECONDS,
                 today: Callable[[float], MailVisits] | None = None):
        super().__init__(model or MailBoard(), retry=retry, on_refused=on_refused)
        self.connect = connect
        self.ping = ping  # a watching session the mail queue does not hear from ends, as a desktop's does
        # the queues' visits in the CRM since the day's start: read at each start of the watch, as the
        # steps told while the mail queue was out of sight (or started again) are in the CRM only
        self.today = today

    def _watch(self, token: str) -> None:
        with self.connect() as client:
            client.login(token, client="console", watch=True)
            status = client.status()
            today = self._today()  # after the login: a step stored meanwhile is both read and told, once
            with self.lock:
                self.model.seed(status, today)
            log.info("watching the mail queue: %d queues, %d agents", len(status.queues), len(status.seats))
            pinged = self.model.clock()
            while self._following():
                try:
                    got = client.next_event(0.25)
                except BadMessage as exc:  # one bad event costs that event, never the watch
                    log.warning("a malformed event from the mail queue was ignored: %s", exc.message)
                    got = None
                with self.lock:
                    if got is not None:
                        self.model.apply(got[1])
                    if self.model.problem == "restarted":
                        raise ServiceError("restarted", "the mail queue started again: watching it anew")
                    if not self.model.check():
                        raise ServiceError("silent", "the mail queue went silent: its part of the wallboard is "
                                                     "offline until it answers")
                if self.model.clock() - pinged >= self.ping:
                    client.ping()  # refused ("no_session") once the mail queue forgot the session
                    pinged = self.model.clock()
            self._set_lost("connecting")  # that supervisor signed out: watch with another's session

    def _today(self) -> tuple[MailVisits, float] | None:
        """Today's visits of the mail queues from the CRM, read outside the lock; None when there is
        no reader or the CRM could not be read (today then goes on from what the model has)."""
        if self.today is None:
            return None
        start = self.model.day_start(self.model.clock())
        try:
            return self.today(start), start
        except Exception:
            log.exception("today's conversations of the mail queues could not be read from the CRM")
            return None


class Feeds:
    """The feeds of the scopes signed in now: one per scope and service (the gateway, and the mail
    queue when the console has one), ended with the scope's last session."""

    def __init__(self, connect: Callable[[], CtiClient], *, retry: float = 1.0, rules: AlertRules | None = None,
                 alert_store: AlertStore | None = None, on_refused: Callable[[str], None] = lambda token: None,
                 history: Callable[[float], list] | None = None,
                 today: Callable[[float], QueueVisits] | None = None,
                 mail_connect: Callable[[], MailqClient] | None = None,
                 mail_today: Callable[[float], MailVisits] | None = None,
                 roster: Callable[[Hashable, float], Mapping] | None = None, limits: AgentLimits | None = None):
        self.connect = connect
        self.mail_connect = mail_connect  # None: no mail queue to watch
        self.mail_today = mail_today  # the mail queues' visits in the CRM since a time (crm.reports.mail_contacts)
        self.history = history
        self.today = today
        self.roster = roster  # a scope's agents in the CRM since a time (crm.services.agent_day), once per scope
        self.limits = limits or AgentLimits(not_ready=(rules or AlertRules()).not_ready_limits)
        self.announcer = Announcer()
        self.retry = retry
        self.rules = rules or AlertRules()
        self.alert_store = alert_store  # where each scope's alerts are kept, if anywhere
        self.on_refused = on_refused
        self.lock = threading.Lock()
        self.feeds: dict[Hashable, GatewayFeed] = {}
        self.mail_feeds: dict[Hashable, MailFeed] = {}

    def join(self, scope: Hashable, token: str) -> GatewayFeed:
        """The scope's gateway feed (its mail queue feed: `mail`), with this session among its own."""
        with self.lock:
            feed = self.feeds.get(scope)
            if feed is None:
                model = Wallboard(monitor=self._monitor(scope), limits=self.limits,
                                  scope=scope if isinstance(scope, WatchScope) else None)
                feed = self.feeds[scope] = GatewayFeed(self.connect, model, retry=self.retry,
                                                       on_refused=self.on_refused, history=self.history,
                                                       today=self.today,
                                                       announce=self.announcer, roster=self._roster_of(scope))
            mail = self.mail_feeds.get(scope)
            if mail is None and self.mail_connect is not None:
                board = MailBoard(short_abandon=lambda queue: self.rules.of(queue).short_abandon_seconds,
                                  monitor=self._mail_monitor(scope), limits=self.limits)
                mail = self.mail_feeds[scope] = MailFeed(self.mail_connect, board,
                                                         retry=self.retry, on_refused=self.on_refused,
                                                         today=self.mail_today)
        feed.add(token)
        if mail is not None:
            mail.add(token)
        return feed

    def _roster_of(self, scope: Hashable) -> Callable[[float], Mapping] | None:
        read = self.roster
        return None if read is None else lambda since: read(scope, since)

    def mail(self, scope: Hashable) -> MailFeed | None:
        with self.lock:
            return self.mail_feeds.get(scope)

    def _monitor(self, scope: Hashable) -> QueueMonitor:
        store, key = self.alert_store, scope_key(scope)
        if store is None:
            return QueueMonitor(self.rules)
        return QueueMonitor(self.rules, on_started=lambda alert: store.started(key, alert),
                            on_ended=lambda alert: store.ended(key, alert))

    def _mail_monitor(self, scope: Hashable) -> MailMonitor:
        """The email and chat queues' alerts of a scope, kept in the same store as its phone alerts."""
        store, key = self.alert_store, scope_key(scope)
        if store is None:
            return MailMonitor(self.rules)
        return MailMonitor(self.rules, on_started=lambda alert: store.started(key, alert),
                           on_ended=lambda alert: store.ended(key, alert))

    def get(self, scope: Hashable) -> GatewayFeed | None:
        with self.lock:
            return self.feeds.get(scope)

    def leave(self, scope: Hashable, token: str) -> None:
        ended: list[ServiceFeed] = []
        with self.lock:
            for feeds in (self.feeds, self.mail_feeds):
                feed = feeds.get(scope)
                if feed is not None and not feed.remove(token):
                    ended.append(feeds.pop(scope))
        for feed in ended:
            feed.stop(wait=False)  # its thread ends within a poll; nobody waits for it

    def stop(self) -> None:
        with self.lock:
            feeds: list[ServiceFeed] = [*self.feeds.values(), *self.mail_feeds.values()]
            self.feeds, self.mail_feeds = {}, {}
        for feed in feeds:
            feed.stop()
