"""The steps of calls through the queues over a recent stretch of time, as the gateway logged
them in the event log, for the console to start its figures from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Channel, EventKind, LoggedEvent

STEPS = (EventKind.ENTERED, EventKind.ANSWERED, EventKind.ABANDONED, EventKind.ENDED)


@dataclass(frozen=True)
class QueueStep:
    at: float      # seconds since the epoch
    kind: str      # entered, answered, abandoned or ended
    queue: str
    wait: float    # seconds in the queue (answered, abandoned)
    talk: float    # seconds talked (ended)


def queue_steps(session: Session, since: float) -> list[QueueStep]:
    """The queues' calls entering, answered, abandoned and ended since `since`, oldest first;
    one query (the queue and time index)."""
    rows = session.execute(
        select(LoggedEvent.at, LoggedEvent.kind, LoggedEvent.queue, LoggedEvent.detail)
        .where(LoggedEvent.at >= datetime.fromtimestamp(since, UTC).replace(tzinfo=None),
               LoggedEvent.kind.in_([str(kind) for kind in STEPS]), LoggedEvent.queue.is_not(None),
               LoggedEvent.channel == Channel.PHONE.value)  # the phone queues' (the mail queue's are apart)
        .order_by(LoggedEvent.at, LoggedEvent.id))
    return [QueueStep(at.replace(tzinfo=UTC).timestamp(), kind, queue, _number(detail, "wait"),
                      _number(detail, "talk")) for at, kind, queue, detail in rows]


def _number(detail: dict | None, key: str) -> float:
    value = (detail or {}).get(key)
    return float(value) if isinstance(value, (int, float)) else 0.0
