"""Why a service refuses a session, and refusals logged without letting a flood of them
fill the log."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Final

# The error codes (`ErrorInfo.code`) of a login or a command refused on its session, the
# same from the gateway and the mail queue (crm.login_guard and the session check decide).
ERRORS: Final = {
    "session_ended": "the session from the application service is not open (signed out, expired, "
                     "account disabled, password changed): sign in again",
    "forbidden": "the session's user lacks the permission the command needs",
    "crm_unavailable": "the CRM database cannot be reached to check the session or to do the work: "
                       "try again in a moment",
    "locked": "too many failed logins from this address or for this account: refused for a while",
    "rate_limited": "too many logins from this address: try again later",
}

MAX_SOURCES_NAMED = 5


class RefusalLog:
    """The first refusal is logged at once; later ones are counted and summed up in one line
    at most every `interval` seconds, with their reasons and a few of their sources."""

    def __init__(self, log: logging.Logger, what: str, *, interval: float = 60.0,
                 clock: Callable[[], float] = time.monotonic):
        self.log, self.what, self.interval, self.clock = log, what, interval, clock
        self.total = 0
        self._reasons: Counter[str] = Counter()
        self._sources: set[str] = set()
        self._next_line = 0.0

    def refused(self, reason: str, source: str) -> None:
        self.total += 1
        self._reasons[reason] += 1
        if len(self._sources) < MAX_SOURCES_NAMED:
            self._sources.add(source)
        self.flush_if_due()

    def flush_if_due(self) -> None:
        if self._reasons and self.clock() >= self._next_line:
            self._write()

    def _write(self) -> None:
        count = sum(self._reasons.values())
        reasons = ", ".join(f"{reason}: {n}" for reason, n in self._reasons.most_common())
        sources = ", ".join(sorted(self._sources))
        more = " and others" if len(self._sources) >= MAX_SOURCES_NAMED else ""
        self.log.warning("refused %d %s (%s) from %s%s", count, self.what, reasons, sources, more)
        self._reasons.clear()
        self._sources.clear()
        self._next_line = self.clock() + self.interval
