"""The alerts a watch keeps, whatever raised them: the phone part's monitor (alerts/monitor.py)
and the email and chat part's (alerts/mail.py) each tell their book which conditions hold now,
and the book starts an alert for a new one, ends those that no longer hold, keeps the worst value
and the last HISTORY of them, and hands each start and end to `on_started` and `on_ended`
(alerts/store.py keeps them in the CRM).

An alert's kind says its channel: the phone queues' kinds are bare ("longest_wait"), the email
and chat queues' carry their channel ("email_longest_wait", "chat_within_due"), so that a phone
queue and a mail queue of the same name keep their alerts apart with no column more in the CRM.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

HISTORY = 500

LONGEST_WAIT, WAITING, SERVICE_LEVEL, NOT_READY = "longest_wait", "waiting", "service_level", "not_ready"
WITHIN_DUE = "within_due"  # an email or chat queue's share answered within its due time today
MAIL_CHANNELS = ("email", "chat")
MAIL_CONDITIONS = (LONGEST_WAIT, WAITING, WITHIN_DUE)

# One count for every book: a scope's phone and mail alerts share the store's ids and the page's.
_ids = itertools.count(1)


def mail_kind(channel: str, condition: str) -> str:
    """An email or chat queue's kind of alert: "email_longest_wait"."""
    return f"{channel}_{condition}"


MAIL_KINDS = tuple(mail_kind(channel, condition) for channel in MAIL_CHANNELS for condition in MAIL_CONDITIONS)
LOWER_IS_WORSE = {SERVICE_LEVEL, *(mail_kind(channel, WITHIN_DUE) for channel in MAIL_CHANNELS)}


def channel_of(kind: str) -> str:
    """The channel of the queue an alert of this kind is about ("phone" for the gateway's)."""
    channel, _, rest = kind.partition("_")
    return channel if channel in MAIL_CHANNELS and rest in MAIL_CONDITIONS else "phone"


@dataclass
class Alert:
    id: int
    kind: str             # LONGEST_WAIT, ..., or an email or chat queue's (mail_kind)
    queue: str | None     # the queue it is about (None for an agent's)
    agent: str | None     # the agent it is about (not ready too long)
    threshold: float      # seconds, contacts or % as the kind says
    value: float          # the worst seen while it lasted
    reason: str | None    # the not-ready reason
    started_at: float
    ended_at: float | None = None

    @property
    def channel(self) -> str | None:
        return None if self.queue is None else channel_of(self.kind)

    def view(self) -> dict:
        return {"id": self.id, "kind": self.kind, "queue": self.queue, "agent": self.agent,
                "channel": self.channel, "threshold": self.threshold, "value": self.value, "reason": self.reason,
                "started_at": self.started_at, "ended_at": self.ended_at}


# What holds now: (kind, queue or agent) -> (the value, its threshold, the not-ready reason).
Conditions = dict[tuple[str, str], tuple[float, float, str | None]]


class AlertBook:
    def __init__(self, clock: Callable[[], float], *, on_started: Callable[[Alert], None] = lambda alert: None,
                 on_ended: Callable[[Alert], None] = lambda alert: None,
                 announced: Callable[[Alert], bool] = lambda alert: False):
        self.clock = clock
        self.on_started, self.on_ended = on_started, on_ended
        self.announced = announced  # whether the agents of the alert's queue are to be told of it
        self.active: dict[tuple[str, str], Alert] = {}
        self.history: deque[Alert] = deque(maxlen=HISTORY)  # ended and active, oldest first
        self.to_announce: list[Alert] = []

    def update(self, conditions: Conditions, now: float) -> bool:
        """Start the alerts of new conditions, end those whose condition is gone; whether any did."""
        changed = False
        for key in [key for key in self.active if key not in conditions]:
            ended = self.active.pop(key)
            ended.ended_at = now
            self.on_ended(ended)
            changed = True
        for key, (value, threshold, reason) in conditions.items():
            alert = self.active.get(key)
            if alert is None:
                kind, subject = key
                alert = Alert(next(_ids), kind, None if kind == NOT_READY else subject,
                              subject if kind == NOT_READY else None, threshold, value, reason, now)
                self.active[key] = alert
                self.history.append(alert)
                self.on_started(alert)
                if self.announced(alert):
                    self.to_announce.append(alert)
                changed = True
            elif worse(alert.kind, value, alert.value):
                alert.value = value  # not a change the page must see at once: it ticks the times itself
        return changed

    def end_all(self) -> None:
        """The service is out of sight: no condition can be known, so none stays raised."""
        now = self.clock()
        for alert in self.active.values():
            alert.ended_at = now
            self.on_ended(alert)
        self.active = {}

    def take_announcements(self) -> list[Alert]:
        taken, self.to_announce = self.to_announce, []
        return taken

    def alerting(self, queue: str, channel: str = "phone") -> bool:
        return any(alert.queue == queue and alert.channel == channel for alert in self.active.values())

    def active_view(self) -> list[dict]:
        return [alert.view() for alert in sorted(self.active.values(), key=lambda a: a.id)]


def worse(kind: str, value: float, worst: float) -> bool:
    return value < worst if kind in LOWER_IS_WORSE else value > worst
