"""A queue's figures as the console saw them: the last 15, 30 and 60 minutes, and today so far.

Fed by the same events as the live model (wallboard/model.py), from one thread, with an
injectable clock. The gateway's `queue.stats` carry counters since its start (entered,
answered, abandoned, answered in time); what changed between two of them happened in that
moment. The waiting callers counted over time give the total time queued contacts waited
(answered or not), from which the patience is measured. An agent's `agent.state` tells when he
answered a queue's call and when he is done with it (after wrap-up): his handle time.

What happened before the console started watching comes, for the last hour, from the steps
the gateway logged in the CRM (`seed_history`); without them the windows count from the start
of the watch (at least a minute).

"Today" is each queue's contacts that entered it since local midnight: read from the CRM's
event log when the watch starts (`seed_today`), then kept by the gateway's `queue.contact`
events, both made into contacts by crm.reports.queue_contacts and measured by
crm.reports.definitions, as a report over today from the CRM is: the two agree. No figure is
computed here.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from admin_console.staffing import QueueWindow
from bus import cti
from crm.reports.definitions import QueueFigures as TodayFigures
from crm.reports.definitions import QueueThresholds, entered_in, queue_figures
from crm.reports.queue_contacts import QueueVisits
from crm.services.queue_steps import QueueStep

WINDOWS_MINUTES = (15, 30, 60)
SHORTEST_WINDOW_SECONDS = 60.0  # a window shorter than this would turn one caller into a flood


@dataclass
class _Moment:
    """What changed in a queue at one moment."""

    at: float
    entered: int = 0
    answered: int = 0
    abandoned: int = 0
    in_time: int = 0
    waited: float = 0.0  # seconds waited by all queued callers since the moment before
    handled: int = 0
    handle_seconds: float = 0.0


def local_midnight(at: float) -> float:
    """The start of the day of `at` in the console's local time (the machine's time zone)."""
    day = time.localtime(at)
    return time.mktime((day.tm_year, day.tm_mon, day.tm_mday, 0, 0, 0, 0, 0, -1))


def today_view(figures: TodayFigures) -> dict:
    """Today's figures as the page shows them ("offered": the contacts that entered)."""
    return {"offered": figures.entered, "answered": figures.answered, "abandoned": figures.abandoned,
            "short_abandons": figures.short_abandons, "service_level": figures.service_level,
            "service_level_answered_only": figures.service_level_answered_only,
            "abandonment_rate": figures.abandonment_rate, "asa": figures.asa, "aht": figures.aht}


@dataclass
class QueueFigures:
    queue: str
    watched_since: float
    moments: deque[_Moment] = field(default_factory=deque)
    last: cti.QueueStats | None = None
    last_at: float = 0.0

    def stats(self, stats: cti.QueueStats, now: float) -> None:
        if self.last is None:  # the first figures seen: what they count happened before
            self.last, self.last_at = stats, now
            return
        moment = _Moment(now, waited=self.last.waiting * max(0.0, now - self.last_at))
        moment.entered = _grown(self.last.entered, stats.entered)
        moment.answered = _grown(self.last.answered, stats.answered)
        moment.abandoned = _grown(self.last.abandoned, stats.abandoned)
        moment.in_time = _grown(self.last.answered_in_service_level, stats.answered_in_service_level)
        self.last, self.last_at = stats, now
        self._add(moment)

    def handled(self, handle_seconds: float, now: float) -> None:
        self._add(_Moment(now, handled=1, handle_seconds=handle_seconds))

    def _add(self, moment: _Moment) -> None:
        self.moments.append(moment)
        while self.moments and self.moments[0].at < moment.at - max(WINDOWS_MINUTES) * 60:
            self.moments.popleft()

    # --- what the advice and the page read ---------------------------------------------------

    def window(self, minutes: float, now: float) -> dict:
        """The sums over the last `minutes` (from the start of the watch at most), with the
        waiting now counted up to `now`."""
        since = now - minutes * 60
        sums = {"seconds": max(SHORTEST_WINDOW_SECONDS, min(minutes * 60, now - self.watched_since)),
                "arrivals": 0, "answered": 0, "abandoned": 0, "handled": 0, "handle_seconds": 0.0, "waited": 0.0}
        for moment in reversed(self.moments):
            if moment.at < since:
                break
            sums["arrivals"] += moment.entered
            sums["answered"] += moment.answered
            sums["abandoned"] += moment.abandoned
            sums["handled"] += moment.handled
            sums["handle_seconds"] += moment.handle_seconds
            sums["waited"] += moment.waited
        if self.last is not None:
            sums["waited"] += self.last.waiting * max(0.0, now - max(self.last_at, since))
        return sums

    def windows(self, now: float) -> list[dict]:
        return [{"minutes": minutes, **self.window(minutes, now)} for minutes in WINDOWS_MINUTES]

    @staticmethod
    def staffing_window(sums: dict) -> QueueWindow:
        return QueueWindow(sums["seconds"] / 60, sums["arrivals"], sums["handled"], sums["handle_seconds"])


def patience(sums: dict) -> float | None:
    """Abandons / total time the queued contacts waited, over one window; None without abandons."""
    if not sums["abandoned"] or sums["waited"] <= 0:
        return None
    return sums["waited"] / sums["abandoned"]


def _step_moment(step: QueueStep, answer_seconds: float) -> _Moment:
    if step.kind == "entered":
        return _Moment(step.at, entered=1)
    if step.kind == "answered":
        return _Moment(step.at, answered=1, in_time=int(step.wait <= answer_seconds), waited=step.wait)
    if step.kind == "abandoned":
        return _Moment(step.at, abandoned=1, waited=step.wait)
    return _Moment(step.at, handled=int(step.talk > 0), handle_seconds=step.talk)  # ended


def _grown(before: int, after: int) -> int:
    """How much a counter grew; a counter smaller than before was reset (the gateway started again)."""
    return after - before if after >= before else after


@dataclass
class _Handling:
    queue: str
    answered_at: float


class Figures:
    """The figures of every queue of one watch."""

    def __init__(self, clock: Callable[[], float] = time.time, day_start: Callable[[float], float] = local_midnight,
                 thresholds: Callable[[str], QueueThresholds] = lambda queue: QueueThresholds()):
        self.clock = clock
        self.day_start = day_start  # the start of the day of a time: "today" starts again with it
        self.thresholds = thresholds  # a queue's T, τ and service-level variant ([console.queues.*])
        self.today_start = day_start(clock())
        self.today = QueueVisits()  # the contacts of the queues since today_start
        self.queues: dict[str, QueueFigures] = {}
        self.handling: dict[str, _Handling] = {}  # agent -> the queue call he answered, until he is done

    def queue(self, name: str) -> QueueFigures:
        figures = self.queues.get(name)
        if figures is None:
            now = self.clock()
            figures = self.queues[name] = QueueFigures(name, now)
        return figures

    def seed(self, status: cti.StatusResult) -> None:
        """A new snapshot: counters go on from its figures; calls in hand were answered before."""
        now = self.clock()
        for stats in status.queues:
            figures = self.queue(stats.queue)
            figures.last, figures.last_at = stats, now
        self.handling = {}
        for agent in status.agents:
            call = _queue_call(agent)
            if call is not None and call.answered_at is not None and call.queue is not None:
                self.handling[agent.agent] = _Handling(call.queue, call.answered_at)

    def seed_history(self, steps: list[QueueStep], service_level_seconds: dict[str, float]) -> None:
        """The last hour's steps of the queues watched (`service_level_seconds` names them), read
        from the CRM before the first snapshot: the windows are full from the start. Waits count
        when a call is answered or abandons, handle times are the talk (no wrap-up)."""
        now = self.clock()
        hour = max(WINDOWS_MINUTES) * 60
        for name, answer_seconds in service_level_seconds.items():
            figures = self.queue(name)
            figures.watched_since = min(figures.watched_since, now - hour)
            seeded = [_step_moment(step, answer_seconds) for step in steps
                      if step.queue == name and now - hour <= step.at <= now]
            figures.moments = deque(sorted(seeded, key=lambda moment: moment.at) + list(figures.moments))

    def stats(self, stats: cti.QueueStats) -> None:
        self.queue(stats.queue).stats(stats, self.clock())

    # --- today -------------------------------------------------------------------------------

    def seed_today(self, visits: QueueVisits, since: float) -> None:
        """Today's contacts read from the CRM since `since` (the day's start when it was read),
        before the first snapshot; the events go on from them."""
        self._roll_day()
        if since == self.today_start:
            self.today = visits

    def step(self, event: cti.QueueContactStep) -> bool:
        """A contact's step through a queue; whether today's figures changed."""
        self._roll_day()
        return self.today.step(event.step, event.queue, event.contact_id, event.at, event.waited,
                               event.handle_seconds if event.step == "wrapped_up" else None)

    def today_figures(self, queue: str) -> TodayFigures:
        """The queue's figures over the contacts that entered it today."""
        self._roll_day()
        return queue_figures(entered_in(self.today.contacts(queue), self.today_start, float("inf")),
                             self.thresholds(queue))

    def _roll_day(self) -> None:
        start = self.day_start(self.clock())
        if start != self.today_start:  # midnight: today starts again, yesterday's contacts are not its
            self.today_start, self.today = start, QueueVisits()

    def agent(self, state: cti.AgentView) -> bool:
        """Whether the agent answered a queue's call or finished one."""
        now = self.clock()
        call = _queue_call(state)
        held = self.handling.get(state.agent)
        if call is not None and call.answered_at is not None and call.queue is not None:
            if held is None or held.answered_at != call.answered_at:
                if held is not None:  # straight from one call to the next: the first is done
                    self._done(held, state.agent, call.answered_at, now)
                self.handling[state.agent] = _Handling(call.queue, call.answered_at)
                return True
            return False
        if held is not None and state.mode != "wrap_up" and not state.calls:
            self._done(held, state.agent, state.since, now)
            return True
        return False

    def _done(self, held: _Handling, agent: str, ended_at: float, now: float) -> None:
        del self.handling[agent]
        self.queue(held.queue).handled(max(0.0, ended_at - held.answered_at), now)


def _queue_call(agent: cti.AgentView) -> cti.CallView | None:
    return next((c for c in agent.calls if c.role == "handler" and c.queue), None)
