"""Refusals logged without letting a flood of them fill the log."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

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
