"""Who may open a web chat: limits per source address and in all.

A customer may have `per_source` chats open from one address, and may open
them at a rate (a burst, then `per_minute`); in all, no more than `waiting`
chats wait for an agent (queued or offered). A chat stays open, for its
source, until the conversation is closed. Refusals say why in a word
(`code`) for the widget to word in the customer's language, and are logged
once per source (then again only after LOG_AGAIN_SECONDS), never per
attempt. Plain Python with an injectable clock, used from the chat
server's event loop.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

LOG_AGAIN_SECONDS = 600.0
MAX_SOURCES = 100_000  # per table; the oldest go first, so inventing addresses costs no memory


@dataclass(frozen=True)
class ChatLimits:
    per_source: int = 3  # chats open at once from one address
    waiting: int = 200  # chats waiting for an agent, in all
    burst: int = 5  # chats one address may open at once
    per_minute: float = 2.0  # chat openings one address regains per minute
    sockets_per_source: int = 20  # open sockets from one address (a customer's tabs, an office behind one)
    sockets: int = 0  # open sockets in all; 0: half the process's open-file limit, the rest for mail and desktops


def _half_the_file_limit() -> int:
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return 500
    return 5000 if soft == resource.RLIM_INFINITY else max(50, soft // 2)


class ChatRefused(Exception):
    """A new chat refused; `code` in a word, the message in English, `retry_after` in seconds."""

    def __init__(self, code: str, message: str, retry_after: float):
        super().__init__(message)
        self.code, self.message, self.retry_after = code, message, retry_after


class ChatGate:
    def __init__(self, limits: ChatLimits | None = None, *, waiting: Callable[[], int] = lambda: 0,
                 clock: Callable[[], float] = time.monotonic):
        self.limits = limits or ChatLimits()
        self.waiting = waiting  # how many chats wait for an agent now
        self.clock = clock
        self.refused = 0  # chats refused since the start, for the service's status
        self._open: dict[str, set[int]] = {}  # source -> its open chats
        self._source_of: dict[int, str] = {}
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # source -> (tokens, at)
        self._logged: OrderedDict[str, float] = OrderedDict()  # source -> when its refusal was last logged
        self._sockets: dict[str, int] = {}  # source -> its open sockets
        self._socket_count = 0
        self.max_sockets = self.limits.sockets or _half_the_file_limit()

    def admit(self, source: str) -> None:
        """Let `source` open one chat now, or raise ChatRefused."""
        try:
            self._check_open(source)
            self._check_waiting()
            self._take_token(source)
        except ChatRefused as refusal:
            self.refused += 1
            self._log_once(source, refusal)
            raise

    def opened(self, source: str, conversation_id: int) -> None:
        self._open.setdefault(source, set()).add(conversation_id)
        self._source_of[conversation_id] = source

    def ended(self, conversation_id: int) -> None:
        """The conversation is closed: its source may open another."""
        source = self._source_of.pop(conversation_id, None)
        chats = self._open.get(source) if source is not None else None
        if chats is not None:
            chats.discard(conversation_id)
            if not chats:
                del self._open[source]

    def open_chats(self) -> int:
        return len(self._source_of)

    def connect(self, source: str) -> bool:
        """Whether `source` may keep one more socket open: each holds a file descriptor, and a
        flood of idle sockets must not leave none for email, the desktops and the database."""
        if self._socket_count >= self.max_sockets:
            self._log_once(source, ChatRefused("sockets", f"{self.max_sockets} sockets are open in all", 60.0),
                           "sockets")
            return False
        if self._sockets.get(source, 0) >= self.limits.sockets_per_source:
            self._log_once(source, ChatRefused("sockets", f"{self.limits.sockets_per_source} sockets are open "
                                                          "from this address", 60.0), "sockets")
            return False
        self._sockets[source] = self._sockets.get(source, 0) + 1
        self._socket_count += 1
        return True

    def open_sockets(self) -> int:
        return self._socket_count

    def disconnect(self, source: str) -> None:
        count = self._sockets.pop(source, 0) - 1
        if count > 0:
            self._sockets[source] = count
        self._socket_count -= 1

    # --- the checks -------------------------------------------------------------------------

    def _check_open(self, source: str) -> None:
        limit = self.limits.per_source
        if len(self._open.get(source, ())) >= limit:
            raise ChatRefused("too_many_chats", f"{limit} chats are open from this address already; please "
                                                "go on in one of them, or try again once they are closed.", 60.0)

    def _check_waiting(self) -> None:
        if self.waiting() >= self.limits.waiting:
            raise ChatRefused("chat_busy", "All our agents are busy and many customers are waiting; please try "
                                           "again later or write us an email.", 60.0)

    def _take_token(self, source: str) -> None:
        limits, now = self.limits, self.clock()
        tokens, at = self._buckets.pop(source, (float(limits.burst), now))
        tokens = min(float(limits.burst), tokens + (now - at) * limits.per_minute / 60.0)
        self._buckets[source] = (tokens - 1.0 if tokens >= 1.0 else tokens, now)
        _trim(self._buckets)
        if tokens < 1.0:
            wait = (1.0 - tokens) * 60.0 / limits.per_minute
            raise ChatRefused("chat_rate_limited", "Too many chats were started from this address; please try "
                                                   f"again in {max(1, round(wait / 60))} min.", wait)

    def _log_once(self, source: str, refusal: ChatRefused, what: str = "new chats") -> None:
        now = self.clock()
        last = self._logged.pop(source, None)
        if last is not None and now - last < LOG_AGAIN_SECONDS:
            self._logged[source] = last
            return
        self._logged[source] = now
        _trim(self._logged)
        log.warning("web chat: %s from %s refused (%s: %s); further refusals of it are not logged for "
                    "%.0f min", what, source, refusal.code, refusal.message, LOG_AGAIN_SECONDS / 60)


def _trim(table: OrderedDict) -> None:
    while len(table) > MAX_SOURCES:
        table.popitem(last=False)
