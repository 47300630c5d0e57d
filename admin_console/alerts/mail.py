"""The alerts of the email and chat queues: each queue's channel against its thresholds
(`[console.queues.NAME.email]`, `.chat`: alerts/rules.py), kept by the same AlertBook as the
phone queues' (alerts/book.py), so that they are shown, stored and listed alike.

Plain Python with an injectable clock, called by the mail part's live model
(wallboard/mail_model.py) from the mail feed's thread, a few times a second at most, so that an
oldest wait ticking past its threshold raises its alert with no event. The mail queue sends its
agents no message from a supervisor, so these alerts go to the supervisors only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from admin_console.alerts.book import LONGEST_WAIT, WAITING, WITHIN_DUE, Alert, AlertBook, Conditions, mail_kind
from admin_console.alerts.monitor import CHECK_SECONDS
from admin_console.alerts.rules import AlertRules


@dataclass(frozen=True)
class MailQueueNow:
    """One email or chat queue's channel as the mail queue last told it."""

    queue: str
    channel: str  # email or chat
    waiting: int
    oldest_wait: float  # seconds, now
    within_due: float | None  # today's share answered within the queue's due time (0..1); None: not measured


class MailMonitor:
    def __init__(self, rules: AlertRules | None = None, clock: Callable[[], float] = time.time, *,
                 on_started: Callable[[Alert], None] = lambda alert: None,
                 on_ended: Callable[[Alert], None] = lambda alert: None):
        self.rules = rules or AlertRules()
        self.clock = clock
        self.book = AlertBook(clock, on_started=on_started, on_ended=on_ended)
        self.checked_at = -1e18

    def due(self) -> bool:
        """Whether it is time to look again (CHECK_SECONDS since the last look)."""
        return self.clock() - self.checked_at >= CHECK_SECONDS

    def check(self, queues: Iterable[MailQueueNow]) -> bool:
        """Alerts raised and cleared; whether the page must change."""
        now = self.checked_at = self.clock()
        return self.book.update(self._conditions(queues), now)

    def _conditions(self, queues: Iterable[MailQueueNow]) -> Conditions:
        conditions: Conditions = {}
        for q in queues:
            rules = self.rules.of(q.queue).channel(q.channel)
            if rules.alert_longest_wait and q.waiting and q.oldest_wait > rules.alert_longest_wait:
                conditions[(mail_kind(q.channel, LONGEST_WAIT), q.queue)] = (q.oldest_wait, rules.alert_longest_wait,
                                                                             None)
            if rules.alert_waiting and q.waiting > rules.alert_waiting:
                conditions[(mail_kind(q.channel, WAITING), q.queue)] = (q.waiting, rules.alert_waiting, None)
            # no minimum of conversations, as for a phone queue's service level
            if rules.alert_within_due and q.within_due is not None and q.within_due * 100 < rules.alert_within_due:
                conditions[(mail_kind(q.channel, WITHIN_DUE), q.queue)] = (q.within_due * 100,
                                                                           rules.alert_within_due, None)
        return conditions

    def end_all(self) -> None:
        """The mail queue is out of sight: no condition can be known, so none stays raised."""
        self.book.end_all()

    def alerting(self, queue: str, channel: str) -> bool:
        return self.book.alerting(queue, channel)

    def active_view(self) -> list[dict]:
        return self.book.active_view()
