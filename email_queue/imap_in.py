"""Polling IMAP mailboxes into the mail queue.

An ImapPoller takes every message out of one folder of one mailbox: it
fetches it with BODY.PEEK[] (so nothing is marked seen on the way), hands
the raw bytes to `store`, and only after `store` has returned moves it to
the processed folder.

The guarantee: a message leaves the polled folder only after it is stored.
A crash (or a lost connection) between storing and moving leaves it where
it was, so it is stored a second time on the next poll; the store side
de-duplicates by Message-ID. A message whose store fails stays in the
folder and is tried again on every poll; while some do (the database is
away), the poller polls again with backoff instead of waiting for news.

`run()` waits for new mail with IDLE where the server offers it, else it
polls every `poll_seconds`. It survives connection errors, timeouts,
server restarts and wrong passwords: each is logged on one line and
retried with backoff (1 s doubling to 60 s).
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

log = logging.getLogger(__name__)

FETCH_BATCH = 50  # UIDs whose sizes are asked at once
FETCH_MAX_BYTES = 20 * 1024 * 1024  # bodies fetched at once; a bigger single message comes alone
STOP_CHECK_SECONDS = 1.0
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0
NEW_MAIL = (b"EXISTS", b"RECENT")

# What a mail server or the network can do to us; logged without a traceback.
CONNECTION_ERRORS = (OSError, IMAPClientError, EOFError)


@dataclass(frozen=True)
class ImapAccount:
    """One folder of one mailbox to take mail from."""

    host: str
    port: int = 993
    username: str = ""
    password: str = field(default="", repr=False)  # never logged
    ssl: bool = True
    folder: str = "INBOX"
    processed_folder: str = "Processed"  # created if missing
    address: str = ""  # the service address this mailbox receives for (passed to store)
    poll_seconds: float = 60.0  # when the server has no IDLE
    idle_seconds: float = 300.0  # re-issue IDLE at least this often (servers drop idlers after ~30 min)
    max_bytes: int = 0  # larger messages are not taken in but moved to oversized_folder; 0: no limit
    oversized_folder: str = "Too large"  # created if missing, when there is a limit

    @property
    def label(self) -> str:
        return f"{self.username}@{self.host}:{self.port}"


class ImapPoller:
    """Moves the messages of one IMAP folder into the mail queue.

    One connection, used by one thread at a time: run()'s while it runs
    (close() from elsewhere then only asks run() to end), else the caller's.
    """

    def __init__(self, account: ImapAccount, store: Callable[[bytes, str], object], *, timeout: float = 30.0):
        self.account = account
        self._store = store
        self._timeout = timeout
        self._client: IMAPClient | None = None
        self._status = "stopped"
        self._closing = threading.Event()
        self._runner: threading.Thread | None = None
        self.left_behind = 0  # messages the last pass could not store

    @property
    def status(self) -> str:
        """One of: connected, idle, error: <reason>, stopped."""
        return self._status

    # --- one pass over the folder -------------------------------------------

    def poll_once(self) -> int:
        """Store and move out every message now in the folder; returns how many were stored."""
        self.left_behind = 0
        try:
            client = self._connected()
            stored = self._take_all(client)
        except BaseException:
            self._drop()  # a half-done command leaves the connection unusable
            raise
        self._status = (f"error: {self.left_behind} message(s) could not be stored; trying again"
                        if self.left_behind else "connected")
        return stored

    def _take_all(self, client: IMAPClient) -> int:
        client.noop()  # lets the server tell us about mail that arrived since the last command
        uids = sorted(client.search("ALL"))
        stored = 0
        for start in range(0, len(uids), FETCH_BATCH):
            sizes = client.fetch(uids[start:start + FETCH_BATCH], ["RFC822.SIZE"])
            sizes = {uid: data[b"RFC822.SIZE"] for uid, data in sizes.items()}
            sizes = self._set_aside_oversized(client, sizes)
            for group in size_limited_groups(sizes, FETCH_MAX_BYTES):
                stored += self._take(client, group)
        return stored

    def _set_aside_oversized(self, client: IMAPClient, sizes: dict[int, int]) -> dict[int, int]:
        """Messages over max_message_mb, as the SMTP listener refuses them, go to their own
        folder: not stored, never lost, not fetched again at every poll. The rest, to take in."""
        limit = self.account.max_bytes
        oversized = sorted(uid for uid, size in sizes.items() if limit and size > limit)
        if oversized:
            log.warning("IMAP %s: %d message(s) over %d bytes moved to %s, not taken in", self.account.label,
                        len(oversized), limit, self.account.oversized_folder)
            self._move_out(client, oversized, self.account.oversized_folder)
        return {uid: size for uid, size in sizes.items() if uid not in oversized}

    def _take(self, client: IMAPClient, uids: list[int]) -> int:
        fetched = client.fetch(uids, ["BODY.PEEK[]"])
        stored = [uid for uid in uids if uid in fetched and self._stored(uid, fetched[uid][b"BODY[]"])]
        self.left_behind += len([uid for uid in uids if uid in fetched]) - len(stored)
        if stored:
            self._move_out(client, stored)
        return len(stored)

    def _stored(self, uid: int, raw: bytes) -> bool:
        try:
            self._store(raw, self.account.address)
        except Exception as exc:
            # The content stays out of the log: it is customer data.
            log.warning("IMAP %s: message UID %s not stored, left in %s: %s",
                        self.account.label, uid, self.account.folder, self._describe(exc))
            return False
        return True

    def _move_out(self, client: IMAPClient, uids: list[int], target: str | None = None) -> None:
        target = target or self.account.processed_folder
        if client.has_capability("MOVE"):
            client.move(uids, target)
            return
        client.copy(uids, target)
        client.delete_messages(uids, silent=True)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            client.expunge()  # also removes what others flagged \Deleted; nothing narrower exists

    # --- connection -----------------------------------------------------------

    def _connected(self) -> IMAPClient:
        if self._client is None:
            self._client = self._connect()
            self._status = "connected"
        return self._client

    def _connect(self) -> IMAPClient:
        account = self.account
        client = IMAPClient(account.host, port=account.port, ssl=account.ssl, timeout=self._timeout)
        try:
            client.login(account.username, account.password)
            for folder in (account.processed_folder, *([account.oversized_folder] if account.max_bytes else [])):
                if not client.folder_exists(folder):
                    client.create_folder(folder)
            client.select_folder(account.folder)
        except BaseException:
            _shut(client)
            raise
        return client

    def _drop(self) -> None:
        """Forget a broken connection without a LOGOUT, which could wait for a server that no longer answers."""
        client, self._client = self._client, None
        if client is not None:
            _shut(client)

    def close(self) -> None:
        """Log out. While run() is going in another thread: make it end (within a second or so) and log out itself."""
        self._closing.set()
        if self._runner in (None, threading.current_thread()):
            self._log_out()

    def _log_out(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.logout()
            except CONNECTION_ERRORS:
                _shut(client)
        self._status = "stopped"

    # --- running --------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Poll, wait for new mail, poll again, until `stop` is set or close() is called; never raises."""
        self._closing.clear()
        self._runner = threading.current_thread()
        try:
            self._run(stop)
        finally:
            self._log_out()
            self._runner = None

    def _run(self, stop: threading.Event) -> None:
        backoff = BACKOFF_FIRST_SECONDS
        failing = False
        while not self._ending(stop):
            try:
                self.poll_once()
                if failing:
                    log.info("IMAP %s: connected again", self.account.label)
                failing = False
                if self.left_behind:  # the store side is failing: again soon, not at the next news
                    self._pause(stop, backoff)
                    backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)
                    continue
                backoff = BACKOFF_FIRST_SECONDS
                self._wait_for_mail(stop)
            except Exception as exc:
                self._drop()
                self._fail(exc, backoff)
                failing = True
                self._pause(stop, backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)

    def _ending(self, stop: threading.Event) -> bool:
        return stop.is_set() or self._closing.is_set()

    def _pause(self, stop: threading.Event, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._ending(stop) and (left := deadline - time.monotonic()) > 0:
            stop.wait(min(left, STOP_CHECK_SECONDS))

    def _fail(self, exc: Exception, retry_in: float) -> None:
        reason = self._describe(exc)
        self._status = f"error: {reason}"
        unexpected = not isinstance(exc, CONNECTION_ERRORS)
        log.warning("IMAP %s: %s (retrying in %g s)", self.account.label, reason, retry_in, exc_info=unexpected)

    def _wait_for_mail(self, stop: threading.Event) -> None:
        client = self._connected()
        if not client.has_capability("IDLE"):
            self._pause(stop, self.account.poll_seconds)
            return
        client.idle()
        self._status = "idle"
        self._idle_until_news(client, stop)
        client.idle_done()  # raises if the server went away meanwhile
        self._status = "connected"

    def _idle_until_news(self, client: IMAPClient, stop: threading.Event) -> None:
        deadline = time.monotonic() + self.account.idle_seconds
        while not self._ending(stop):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or _news(client, min(STOP_CHECK_SECONDS, remaining)):
                return

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, TimeoutError):
            text = f"no answer within {self._timeout:g} s"
        elif isinstance(exc, OSError) and exc.strerror:
            text = exc.strerror
        else:
            text = _without_bytes_repr(str(exc)) or type(exc).__name__
        if isinstance(exc, LoginError):
            text = f"login failed: {text}"
        elif isinstance(exc, IMAPClientAbortError):
            text = f"connection lost: {text}"
        if self.account.password:  # in case a server or library echoes it
            text = text.replace(self.account.password, "***")
        return text


def _news(client: IMAPClient, timeout: float) -> bool:
    """Whether IDLE should end: new mail, the server saying BYE, or a wait cut short by a closed connection."""
    started = time.monotonic()
    responses = client.idle_check(timeout=timeout)
    if any(len(r) > 1 and r[1] in NEW_MAIL for r in responses):
        return True
    if any(r and r[0] == b"BYE" for r in responses):
        return True
    # idle_check returns at once with nothing when the server hung up; idle_done() then tells for sure.
    return not responses and time.monotonic() - started < timeout / 2


def _without_bytes_repr(text: str) -> str:
    """imaplib quotes the server's words as a bytes repr: b'[AUTHENTICATIONFAILED] Authentication failed.'"""
    match = re.fullmatch(r"b(['\"])(.*)\1", text)
    return match.group(2) if match else text


def size_limited_groups(sizes: dict[int, int], limit: int) -> Iterator[list[int]]:
    """UIDs in order, grouped so that each group's messages together stay under `limit` bytes."""
    group: list[int] = []
    total = 0
    for uid in sorted(sizes):
        if group and total + sizes[uid] > limit:
            yield group
            group, total = [], 0
        group.append(uid)
        total += sizes[uid]
    if group:
        yield group


def _shut(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):  # already closed: nothing left to release
        client.shutdown()
