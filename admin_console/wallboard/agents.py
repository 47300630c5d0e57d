"""What the wallboard's agents table adds to the gateway's agent states: the thresholds a
supervisor set for the times it shows, the agent's team, and the calls he handled today.

* `AgentLimits`: how long an agent may stay ready (waiting for a call), not ready (per reason,
  `[console.not_ready_limits]`, the alerts' limits), in wrap-up, and on one contact, before his
  row turns to a warning; and an email and chat agent away from every channel, or holding one
  conversation open (wallboard/mail_model.py). The view gives the time each limit is crossed, so that the browser
  switches the colour when that time passes with no event; whether it is over is decided here.
* `HandledToday`: the phone calls each agent answered today (the console's local day), as the
  set of their call ids: seeded once per scope from the CRM's interaction records and grown by
  the calls the watch sees answered, so that a call both read and seen counts once.

Plain Python with an injectable clock, used by the model (wallboard/model.py) on the feed's thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from bus import cti


@dataclass(frozen=True)
class AgentLimits:
    """Seconds; 0 (or a reason without a limit) means no warning."""

    ready: float = 0.0  # ready, waiting for a call
    contact: float = 0.0  # on one contact, from its answer
    wrap_up: float = 0.0
    not_ready: Mapping[str, float] = field(default_factory=dict)  # reason -> seconds
    away: float = 0.0  # an email and chat agent away from every channel
    conversation: Mapping[str, float] = field(default_factory=dict)  # channel -> one conversation open, seconds

    def of_mode(self, mode: str, reason: str | None) -> float:
        """The limit of a time in this work mode (busy and offered have none: the contact has)."""
        if mode == "ready":
            return self.ready
        if mode == "wrap_up":
            return self.wrap_up
        if mode == "not_ready":
            return self.not_ready.get(reason or "", 0.0)
        return 0.0


def crossing(since: float | None, limit: float) -> float | None:
    """When a time that started at `since` passes `limit` seconds; None without a limit."""
    if since is None or limit <= 0:
        return None
    return since + limit


def warning(since: float | None, limit: float, now: float) -> dict | None:
    """What the page needs of a threshold: the limit, when it is crossed and whether it is now."""
    at = crossing(since, limit)
    if at is None:
        return None
    return {"limit": limit, "at": at, "over": now > at}


def answered_call(agent: cti.AgentView) -> cti.CallView | None:
    """The call an agent handles (not one he was consulted on), once it is answered."""
    return next((c for c in agent.calls if c.role == "handler" and c.answered_at is not None), None)


def local_day(at: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(at))


class HandledToday:
    """The calls each agent answered today, counted once each whether read from the CRM or seen live."""

    def __init__(self, clock: Callable[[], float] = time.time, day: Callable[[float], str] = local_day):
        self.clock = clock
        self.day = day
        self.today = day(clock())
        self.calls: dict[str, set[str]] = {}  # agent -> call ids

    def roll(self) -> bool:
        """Start again at midnight; whether a new day began."""
        today = self.day(self.clock())
        if today == self.today:
            return False
        self.today, self.calls = today, {}
        return True

    def seed(self, read: Mapping[str, Iterable[str]]) -> None:
        """The calls the CRM says each agent answered today (added to those already seen)."""
        self.roll()
        for agent, calls in read.items():
            self.calls.setdefault(agent, set()).update(calls)

    def observe(self, agent: cti.AgentView) -> bool:
        """An agent's state as the gateway sent it; whether it brought a call not counted yet."""
        self.roll()
        call = answered_call(agent)
        if call is None or self.day(call.answered_at or 0.0) != self.today:
            return False  # answered yesterday: not today's work
        seen = self.calls.setdefault(agent.agent, set())
        if call.call_id in seen:
            return False
        seen.add(call.call_id)
        return True

    def count(self, agent: str) -> int:
        return len(self.calls.get(agent, ()))
