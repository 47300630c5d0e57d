"""The live picture of phone queues and agents that one gateway watch sees.

Seeded from `gateway.status`, then kept by the events of the watch (an agent's whole state
comes with each `agent.state`, a queue's figures with each `queue.stats`). Silence longer
than `silence` seconds (the gateway beats every second) or a lost connection turn it
offline: its view then carries no figure, so that nothing stale is shown as live.

Plain Python with an injectable clock; the feed calls it from one thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from admin_console.alerts.monitor import QueueMonitor
from admin_console.wallboard.agents import AgentLimits, HandledToday, warning
from bus import cti
from crm.services.supervision import WatchScope

SILENCE_SECONDS = 3.0  # three missed heartbeats (the gateway and the mail queue beat every second)


class LiveModel:
    """What the gateway's and the mail queue's pictures share: online once seeded, offline after
    `silence` seconds without a word or when the service is lost, a version per change."""

    def __init__(self, clock: Callable[[], float] = time.time, silence: float = SILENCE_SECONDS):
        self.clock = clock
        self.silence = silence
        self.online = False
        self.problem = "connecting"  # why it is offline, in a word
        self.heard_at = 0.0
        self.version = 0  # goes up with every change a browser must see

    def _seeded(self) -> float:
        now = self.clock()
        self.online, self.problem, self.heard_at = True, "", now
        self.version += 1
        return now

    def check(self) -> bool:
        """Offline after `silence` seconds without a word from the service; whether it is online."""
        if self.online and self.clock() - self.heard_at > self.silence:
            self.lost("silent")
        return self.online

    def lost(self, problem: str) -> None:
        """The service is unreachable, or refused the watch: nothing is live any more."""
        if self.online or self.problem != problem:
            self.online, self.problem = False, problem
            self._ended()
            self.version += 1

    def _ended(self) -> None:
        """What a model ends when it goes offline."""

    def offline_view(self) -> dict:
        return {"online": False, "problem": self.problem, "now": self.clock(), "queues": [], "agents": []}


class Wallboard(LiveModel):
    def __init__(self, clock: Callable[[], float] = time.time, silence: float = SILENCE_SECONDS,
                 monitor: QueueMonitor | None = None, *, scope: WatchScope | None = None,
                 limits: AgentLimits | None = None):
        super().__init__(clock, silence)
        # a supervisor's: the queues shown are those the gateway keeps him told of (WatchScope.sees_queue),
        # a queue of his org units always, one with none while one of his agents is logged in to it
        # (the others would freeze at their snapshot); None: every queue
        self.scope = scope
        self.monitor = monitor or QueueMonitor(clock=clock)  # figures, advice and alerts (admin_console/alerts)
        self.queues: dict[str, cti.QueueStats] = {}
        self.queue_seen: dict[str, float] = {}  # when each queue's figures were taken
        self.agents: dict[str, cti.AgentView] = {}
        self.limits = limits or AgentLimits()  # when an agent's times turn to a warning (wallboard/agents.py)
        self.teams: dict[str, str | None] = {}  # agent -> his org unit's name, from the CRM
        self.handled = HandledToday(clock)  # the calls each agent answered today

    # --- fed by the gateway ---------------------------------------------------------------

    def seed(self, status: cti.StatusResult, history: list | None = None, today: tuple | None = None,
             roster: Mapping | None = None) -> None:
        """`history`: the queues' steps of the last hour in the CRM, `today`: their contacts since
        the day's start (and that start), for the figures (alerts/figures.py); `roster`: the scope's
        users from the CRM (crm.services.agent_day: team, calls answered today)."""
        self.monitor.seed(status, history, today)
        now = self._seeded()
        self.queues = {q.queue: q for q in status.queues}
        self.queue_seen = dict.fromkeys(self.queues, now)
        self.agents = {a.agent: a for a in status.agents if a.mode != "logged_out"}
        if roster is not None:
            self.teams = {agent: day.team for agent, day in roster.items()}
            self.handled.seed({agent: day.calls for agent, day in roster.items()})
        for agent in self.agents.values():
            self.handled.observe(agent)  # a call answered while the gateway was out of sight counts too

    def apply(self, event: Any) -> None:
        """One event of the watch; those the wallboard does not show only prove the gateway alive."""
        self.heard_at = self.clock()
        if not self.online:
            return  # not seeded: a snapshot comes first
        self.monitor.apply(event)
        if isinstance(event, cti.AgentStateChanged):
            if event.state.mode == "logged_out":
                self.agents.pop(event.state.agent, None)
            else:
                self.agents[event.state.agent] = event.state
                self.handled.observe(event.state)
            self.version += 1
        elif isinstance(event, cti.QueueContactStep):
            self.version += 1  # today's figures (admin_console/alerts/figures.py)
        elif isinstance(event, cti.QueueStatsChanged):
            self.queues[event.stats.queue] = event.stats
            self.queue_seen[event.stats.queue] = self.heard_at
            self.version += 1

    def check(self) -> bool:
        """Offline after `silence` seconds without a word from the gateway; whether it is online."""
        if super().check() and self.monitor.check(self.queues.values(), self.queue_seen, self.agents.values()):
            self.version += 1
        if self.online and self.handled.roll():
            self.version += 1  # midnight: today's counts start again
        return self.online

    def _ended(self) -> None:
        self.monitor.end_all()  # nothing can be known of the alerts while the gateway is out of sight

    # --- what browsers get ------------------------------------------------------------------

    def view(self) -> dict:
        """Plain data for the page; times are the gateway's (seconds since the epoch), `now` the
        console's, so that the browser ticks them on from its own clock."""
        if not self.online:
            return self.offline_view()
        return {"online": True, "problem": "", "now": self.clock(),
                "queues": [self._queue(stats) for name, stats in sorted(self.queues.items()) if self._sees(stats)],
                "agents": [self._agent(agent) for agent in sorted(self.agents.values(),
                                                                  key=lambda a: (a.name.casefold(), a.agent))],
                "alerts": self.monitor.active_view()}

    def _sees(self, stats: cti.QueueStats) -> bool:
        if self.scope is None:
            return True
        # the agents shown are his: a queue one of them is logged in to is served by his agents
        served = any(stats.queue in agent.queues for agent in self.agents.values())
        return self.scope.sees_queue(stats.org_units, served)

    def _queue(self, stats: cti.QueueStats) -> dict:
        seen = self.queue_seen.get(stats.queue, self.clock())
        return {
            "queue": stats.queue,
            "waiting": stats.waiting,
            # the oldest caller's arrival, so that the longest wait ticks on between events
            "oldest_since": seen - stats.longest_wait if stats.waiting else None,
            "staffed": stats.agents_logged_in,
            "ready": stats.agents_ready,
            "busy": stats.agents_busy + stats.agents_offered,  # an agent being offered a call is taken
            "wrap_up": stats.agents_wrap_up,
            "not_ready": stats.agents_not_ready,
            "figures": self.monitor.queue_view(stats.queue),
        }

    def _agent(self, agent: cti.AgentView) -> dict:
        """An agent's row; each time the row shows carries its threshold (`warn`: the limit, when it
        is crossed and whether it is now), so that the browser turns it without an event."""
        now = self.clock()
        call = next((c for c in agent.calls if c.role == "handler"), agent.calls[0] if agent.calls else None)
        call_since = None if call is None else call.answered_at or call.offered_at
        return {
            "agent": agent.agent,
            "name": agent.name,
            "team": self.teams.get(agent.agent),
            "mode": agent.mode,
            "reason": agent.reason,
            "since": agent.since,
            "warn": warning(agent.since, self.limits.of_mode(agent.mode, agent.reason), now),
            "queues": list(agent.queues),
            "handled": self.handled.count(agent.agent),
            # the gateway's agent view names no customer (its call data carries a partner number at most)
            "call": None if call is None else {
                "channel": "phone",
                "queue": call.queue,
                "direction": call.direction,
                "state": call.state,
                "since": call_since,
                # one contact's limit counts from its answer: ringing is not handling
                "warn": warning(call.answered_at, self.limits.contact, now) if call.role == "handler" else None,
            },
        }
