"""Time as the ACD sees it: a monotonic clock for durations and timers, and
the wall clock for records and events. Tests use `FakeClock` and move it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def epoch(self) -> float: ...

    def utc(self) -> datetime: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def epoch(self) -> float:
        return time.time()

    def utc(self) -> datetime:
        return datetime.now(UTC).replace(tzinfo=None)


class FakeClock:
    """Starts at a fixed moment and moves only when told to."""

    def __init__(self, start: datetime = datetime(2026, 11, 23, 9, 0, 0)):
        self._start = start
        self._elapsed = 0.0

    def advance(self, seconds: float) -> None:
        self._elapsed += seconds

    def monotonic(self) -> float:
        return 1000.0 + self._elapsed

    def epoch(self) -> float:
        return self._start.replace(tzinfo=UTC).timestamp() + self._elapsed

    def utc(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)
