"""Throttling password checks, so that guessing and floods get nowhere.

Every service that checks a password asks the guard first. The guard refuses
at once, without spending a password hash, when:

* the source has made too many attempts lately (a token bucket per source
  address: a burst, then a steady rate);
* the account is locked for that source (too many failures from it), or
  locked for everyone (too many failures from anywhere; a lockout the log
  shows with the account and the sources);
* the source is blocked (too many failures from it, whatever the accounts);
* too many checks are already running, for that source or in all
  (a flood then costs its senders a "try again" and nobody else anything).

Failures count in a sliding window; a success clears the failures of that
account from that source. Memory stays bounded however many sources and
account names an attacker invents: entries expire, and the oldest are
dropped past `max_entries`.

Plain Python with an injectable clock; the services call `admit`, then
`finished` with the outcome, from one thread (their event loop).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("cicada.login_guard")


@dataclass(frozen=True)
class GuardSettings:
    source_burst: int = 30  # attempts a source may make at once (a shift starting behind one NAT)
    source_rate: float = 2.0  # attempts per second it regains
    account_source_failures: int = 5  # failures of one account from one source before it is locked there
    account_failures: int = 20  # failures of one account from anywhere before it is locked for all
    source_failures: int = 30  # failures from one source, any accounts, before the source is blocked
    failure_window: float = 900.0  # seconds failures are remembered
    lockout_seconds: float = 300.0
    running_per_source: int = 4  # password checks of one source at a time
    running_total: int = 16  # password checks at a time, queued ones included
    max_entries: int = 100_000  # per table; the oldest go first


class LoginRefused(Exception):
    """Refused before the password was looked at; `code` in a word, `retry_after` in seconds."""

    def __init__(self, code: str, message: str, retry_after: float):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    at: float


class _Failures:
    """Times of recent failures per key, in a bounded table."""

    def __init__(self, window: float, max_entries: int):
        self.window = window
        self.max_entries = max_entries
        self.table: OrderedDict[object, deque[float]] = OrderedDict()

    def add(self, key, now: float) -> int:
        times = self.table.pop(key, None) or deque()
        times.append(now)
        self._trim(times, now)
        self.table[key] = times
        while len(self.table) > self.max_entries:
            self.table.popitem(last=False)
        return len(times)

    def clear(self, key) -> None:
        self.table.pop(key, None)

    def _trim(self, times: deque[float], now: float) -> None:
        while times and times[0] <= now - self.window:
            times.popleft()


class _Locks:
    """Keys locked until a time, in a bounded table."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self.until: OrderedDict[object, float] = OrderedDict()

    def lock(self, key, until: float) -> None:
        self.until.pop(key, None)
        self.until[key] = until
        while len(self.until) > self.max_entries:
            self.until.popitem(last=False)

    def left(self, key, now: float) -> float:
        until = self.until.get(key)
        if until is None:
            return 0.0
        if until <= now:
            del self.until[key]
            return 0.0
        return until - now


class LoginGuard:
    def __init__(self, settings: GuardSettings | None = None, *, service: str = "service",
                 clock: Callable[[], float] = time.monotonic):
        self.settings = settings or GuardSettings()
        self.service = service
        self.clock = clock
        s = self.settings
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._pair_failures = _Failures(s.failure_window, s.max_entries)
        self._account_failures = _Failures(s.failure_window, s.max_entries)
        self._source_failures = _Failures(s.failure_window, s.max_entries)
        self._locks = _Locks(s.max_entries)
        self._running: dict[str, int] = {}
        self._running_total = 0
        self.refused = 0  # attempts refused unread, for the service's health

    # --- before the check -------------------------------------------------------------------

    def admit(self, account: str, source: str) -> None:
        """Let one password check of `account` from `source` run, or raise LoginRefused."""
        now = self.clock()
        account = _account_key(account)
        try:
            self._check_locks(account, source, now)
            self._check_running(source)
            self._take_token(source, now)
        except LoginRefused:
            self.refused += 1
            raise
        self._running[source] = self._running.get(source, 0) + 1
        self._running_total += 1

    def _check_locks(self, account: str, source: str, now: float) -> None:
        left = self._locks.left(("source", source), now)
        if left:
            raise LoginRefused("locked", f"Too many failed logins from {source}; try again in "
                                         f"{_minutes(left)}.", left)
        left = max(self._locks.left(("account", account), now),
                   self._locks.left(("pair", account, source), now))
        if left:
            raise LoginRefused("locked", f"The account {account} is locked after too many failed logins; "
                                         f"try again in {_minutes(left)} or ask a supervisor.", left)

    def _check_running(self, source: str) -> None:
        s = self.settings
        if self._running.get(source, 0) >= s.running_per_source or self._running_total >= s.running_total:
            raise LoginRefused("busy", "Too many logins at once; try again in a moment.", 1.0)

    def _take_token(self, source: str, now: float) -> None:
        s = self.settings
        bucket = self._buckets.pop(source, None) or _Bucket(float(s.source_burst), now)
        bucket.tokens = min(float(s.source_burst), bucket.tokens + (now - bucket.at) * s.source_rate)
        bucket.at = now
        self._buckets[source] = bucket
        while len(self._buckets) > s.max_entries:
            self._buckets.popitem(last=False)
        if bucket.tokens < 1.0:
            wait = (1.0 - bucket.tokens) / s.source_rate
            raise LoginRefused("rate_limited", f"Too many logins from {source}; try again in "
                                               f"{_minutes(wait)}.", wait)
        bucket.tokens -= 1.0

    # --- after the check ---------------------------------------------------------------------

    def finished(self, account: str, source: str, *, succeeded: bool | None) -> None:
        """The check admitted for `account` from `source` is over: succeeded, failed on the
        password (False), or could not be made (None: the database was away; not counted)."""
        now = self.clock()
        account = _account_key(account)
        running = self._running.get(source, 0) - 1
        if running > 0:
            self._running[source] = running
        else:
            self._running.pop(source, None)
        self._running_total = max(0, self._running_total - 1)
        if succeeded:
            self._pair_failures.clear((account, source))
        elif succeeded is False:
            self._failed(account, source, now)

    def _failed(self, account: str, source: str, now: float) -> None:
        s = self.settings
        until = now + s.lockout_seconds
        if self._pair_failures.add((account, source), now) >= s.account_source_failures:
            self._pair_failures.clear((account, source))
            self._locks.lock(("pair", account, source), until)
            log.warning("%s: login of %r from %s locked for %.0f s after %d failed attempts",
                        self.service, account, source, s.lockout_seconds, s.account_source_failures)
        if self._account_failures.add(account, now) >= s.account_failures:
            self._account_failures.clear(account)
            self._locks.lock(("account", account), until)
            log.warning("%s: account %r locked for everyone for %.0f s after %d failed attempts "
                        "within %.0f s (the latest from %s)", self.service, account, s.lockout_seconds,
                        s.account_failures, s.failure_window, source)
        if self._source_failures.add(source, now) >= s.source_failures:
            self._source_failures.clear(source)
            self._locks.lock(("source", source), until)
            log.warning("%s: logins from %s blocked for %.0f s after %d failed attempts within %.0f s",
                        self.service, source, s.lockout_seconds, s.source_failures, s.failure_window)

    def unlock(self, account: str) -> None:
        """A supervisor lifts an account's lockout (every source)."""
        account = _account_key(account)
        for key in [k for k in self._locks.until if k[0] != "source" and k[1] == account]:
            del self._locks.until[key]
        self._account_failures.clear(account)

    def locked_accounts(self) -> list[str]:
        now = self.clock()
        return sorted({key[1] for key, until in self._locks.until.items()
                       if key[0] == "account" and until > now})


def _account_key(account: str) -> str:
    return account.strip().casefold()[:150]


def _minutes(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    return f"{round(seconds / 60)} min"
