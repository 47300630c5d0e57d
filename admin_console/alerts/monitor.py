"""What the wallboard adds to the live picture: each queue's figures, its staffing advice and
the alerts its thresholds raise.

Plain Python with an injectable clock, called by the live model (wallboard/model.py) from the
feed's thread: the events go to the figures; `check`, a few times a second, raises and clears
the alerts (a longest wait or a not-ready time crosses its threshold between two events) and
works the advice out again every ADVICE_SECONDS, or a second after the figures changed.

The alerts are kept by an AlertBook (alerts/book.py, shared with the email and chat queues'
alerts), which hands each start and end to `on_started` and `on_ended` (alerts/store.py keeps
them in the CRM).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from admin_console import staffing
from admin_console.alerts.book import LONGEST_WAIT, NOT_READY, SERVICE_LEVEL, WAITING, Alert, AlertBook
from admin_console.alerts.figures import Figures, QueueFigures, patience, today_view
from admin_console.alerts.rules import AlertRules
from bus import cti
from crm.reports.queue_contacts import QueueVisits
from crm.services.queue_steps import QueueStep

CHECK_SECONDS = 0.2  # the alerts are looked at this often at most, however many events come
ADVICE_SECONDS = 5.0  # the windows slide on: the advice is made again this often
ADVICE_CHANGED_SECONDS = 1.0  # and this soon after a queue's figures changed
class QueueMonitor:
    def __init__(self, rules: AlertRules | None = None, clock: Callable[[], float] = time.time,
                 figures: Figures | None = None, *, on_started: Callable[[Alert], None] = lambda alert: None,
                 on_ended: Callable[[Alert], None] = lambda alert: None):
        self.rules = rules or AlertRules()
        self.clock = clock
        self.figures = figures or Figures(clock, thresholds=self.rules.thresholds)
        # a queue's alert is told to its agents when its rules say so (alerts/announce.py)
        self.book = AlertBook(clock, on_started=on_started, on_ended=on_ended,
                              announced=lambda alert: alert.queue is not None
                              and self.rules.of(alert.queue).alert_message)
        self.advice: dict[str, dict] = {}  # queue -> its windows and advice for the page, made every ADVICE_SECONDS
        self.advised_at = self.checked_at = -1e18
        self.figures_changed = False

    # --- fed by the model --------------------------------------------------------------------

    def seed(self, status: cti.StatusResult, history: list[QueueStep] | None = None,
             today: tuple[QueueVisits, float] | None = None) -> None:
        """A new snapshot; `history`, the queues' steps of the last hour, and `today`, the queues'
        contacts since the day's start (and that start), with the first one only."""
        if today is not None:
            self.figures.seed_today(*today)
        if history is not None:
            self.figures.seed_history(history, {q.queue: q.service_level_seconds for q in status.queues})
        self.figures.seed(status)
        self.advised_at = -1e18

    def apply(self, event: object) -> None:
        if isinstance(event, cti.QueueStatsChanged):
            self.figures.stats(event.stats)
            self.figures_changed = True
        elif isinstance(event, cti.AgentStateChanged):
            self.figures_changed |= self.figures.agent(event.state)
        elif isinstance(event, cti.QueueContactStep):
            self.figures_changed |= self.figures.step(event)

    def check(self, queues: Iterable[cti.QueueStats], queue_seen: dict[str, float],
              agents: Iterable[cti.AgentView]) -> bool:
        """Alerts raised and cleared, the advice made again when due; whether the page must change."""
        now = self.clock()
        if now - self.checked_at < CHECK_SECONDS:
            return False
        self.checked_at = now
        queues, agents = list(queues), list(agents)
        # A queue's alerts are for the supervisors of its agents: the gateway sends a watch the
        # figures of the queues its agents are logged in to only (the others' would be stale).
        theirs = {queue for agent in agents for queue in agent.queues}
        conditions = dict(self._queue_conditions([q for q in queues if q.queue in theirs], queue_seen, now))
        conditions.update(self._agent_conditions(agents, now))
        changed = self.book.update(conditions, now)
        since = now - self.advised_at
        if since >= ADVICE_SECONDS or (self.figures_changed and since >= ADVICE_CHANGED_SECONDS):
            self.advised_at, self.figures_changed = now, False
            advice = {stats.queue: self._advice(stats, now) for stats in queues}
            changed |= advice != self.advice
            self.advice = advice
        return changed

    def end_all(self) -> None:
        """The gateway is out of sight: no condition can be known, so none stays raised."""
        self.book.end_all()

    # --- alerts ------------------------------------------------------------------------------

    def _queue_conditions(self, queues: list[cti.QueueStats], queue_seen: dict[str, float], now: float):
        for stats in queues:
            rules = self.rules.of(stats.queue)
            if rules.alert_longest_wait and stats.waiting:
                longest = stats.longest_wait + now - queue_seen.get(stats.queue, now)
                if longest > rules.alert_longest_wait:
                    yield (LONGEST_WAIT, stats.queue), (longest, rules.alert_longest_wait, None)
            if rules.alert_waiting and stats.waiting > rules.alert_waiting:
                yield (WAITING, stats.queue), (stats.waiting, rules.alert_waiting, None)
            level = self.figures.today_figures(stats.queue).service_level
            if rules.alert_service_level and level is not None and level * 100 < rules.alert_service_level:
                yield (SERVICE_LEVEL, stats.queue), (level * 100, rules.alert_service_level, None)

    def _agent_conditions(self, agents: Iterable[cti.AgentView], now: float):
        for agent in agents:
            limit = self.rules.not_ready_limits.get(agent.reason or "") if agent.mode == "not_ready" else None
            if limit and now - agent.since > limit:
                yield (NOT_READY, agent.agent), (now - agent.since, limit, agent.reason)

    @property
    def active(self) -> dict[tuple[str, str], Alert]:
        return self.book.active

    @property
    def history(self):
        return self.book.history

    def take_announcements(self) -> list[Alert]:
        return self.book.take_announcements()

    def alerting(self, queue: str) -> bool:
        return self.book.alerting(queue)

    def active_view(self) -> list[dict]:
        return self.book.active_view()

    # --- figures and advice ------------------------------------------------------------------

    def queue_view(self, queue: str) -> dict:
        rules = self.rules.of(queue)
        return {"today": today_view(self.figures.today_figures(queue)),
                "target": {"level": rules.target_level, "seconds": rules.target_seconds},
                **self.advice.get(queue, {"windows": [], "advice": None}),
                "alerting": self.alerting(queue)}

    def _advice(self, stats: cti.QueueStats, now: float) -> dict:
        figures = self.figures.queue(stats.queue)
        windows = figures.windows(now)
        advice = advise(windows, figures, self.rules.of(stats.queue).target,
                        stats.agents_ready + stats.agents_offered + stats.agents_busy + stats.agents_wrap_up)
        return {"windows": [{key: sums[key] for key in ("minutes", "arrivals", "answered", "abandoned", "handled")}
                            for sums in windows],
                "advice": {"needed": advice.needed, "difference": advice.difference, "reason": str(advice.reason),
                           "patience": advice.patience_seconds,
                           "sentence": {"en": staffing.advice_sentence(advice, "en"),
                                        "zh": staffing.advice_sentence(advice, "zh_CN")}}}


def advise(windows: list[dict], figures: QueueFigures, target: staffing.ServiceTarget,
           agents_now: int) -> staffing.StaffingAdvice:
    """The staffing advice from a queue's last 15, 30 and 60 minutes; the patience from the hour."""
    hour = windows[-1]
    measured = patience(hour)
    return staffing.advise([figures.staffing_window(sums) for sums in windows], target, agents_now,
                           hour["abandoned"] if measured else 0, hour["waited"] if measured else 0.0)

