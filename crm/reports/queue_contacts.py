"""The per-contact facts of the queues (definitions.QueueContact), made from the contacts' steps
through them: the CRM's event log for a report, the gateway's `queue.contact` events for the
console's wallboard. Both go through `QueueVisits`, so that the two count alike.

A visit starts when a contact enters a queue; its first answered, abandoned, overflowed or
ended (unanswered: left otherwise) is its outcome, with the wait the gateway measured (else
the time since it entered); the answering agent's wrapped_up gives its handle time. A step of
a visit whose entering was not seen (it entered before what was read) is ignored: that contact
belongs to an earlier interval.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Channel, EventKind, LoggedEvent
from crm.reports.definitions import Outcome, QueueContact

STEP_KINDS = (EventKind.ENTERED, EventKind.ANSWERED, EventKind.ABANDONED,
              EventKind.OVERFLOWED, EventKind.ENDED, EventKind.WRAPPED_UP,
              EventKind.TRANSFERRED)
_OUTCOMES: dict[str, Outcome] = {"answered": "answered", "abandoned": "abandoned", "overflowed": "left",
                                 "ended": "left"}
LONGEST_STAY = timedelta(days=1)  # a contact's outcomes are read this long after an interval's end


class QueueVisits:
    """Each queue's contacts, in the order they entered, kept up to date step by step."""

    def __init__(self) -> None:
        self.queues: dict[str, list[QueueContact]] = {}
        self._latest: dict[tuple[str, str], int] = {}  # (queue, contact id) -> its latest visit's index

    def step(self, kind: str, queue: str, contact_id: str, at: float, wait: float | None = None,
             handle: float | None = None) -> bool:
        """One step, in the order they happened; whether it changed a visit."""
        visits = self.queues.setdefault(queue, [])
        key = (queue, contact_id)
        if kind == "entered":
            if key in self._latest and visits[self._latest[key]].entered_at == at:
                return False  # the same step again (read from the CRM and told by the gateway)
            self._latest[key] = len(visits)
            visits.append(QueueContact(at, contact_id=contact_id))
            return True
        index = self._latest.get(key)
        if index is None:
            return False  # entered before what was read
        visit = visits[index]
        if kind in _OUTCOMES and visit.outcome == "waiting":
            after = wait if wait is not None else max(0.0, at - visit.entered_at)
            visits[index] = replace(visit, outcome=_OUTCOMES[kind], after=after, left_by=kind)
            return True
        if kind == "wrapped_up" and visit.outcome == "answered" and handle is not None \
                and visit.handle_seconds != handle:
            visits[index] = replace(visit, handle_seconds=handle)
            return True
        if kind == "transferred" and visit.outcome == "answered" and not visit.transferred:
            visits[index] = replace(visit, transferred=True)
            return True
        return False

    def contacts(self, queue: str) -> list[QueueContact]:
        return list(self.queues.get(queue, []))


def read_visits(session: Session, start: datetime, end: datetime, queue: str | None = None) -> QueueVisits:
    """The queues' visits from the event log from `start` to LONGEST_STAY after `end` (the
    outcomes of the contacts entered before `end`), in one query on the (queue, at) index."""
    query = (select(LoggedEvent.at, LoggedEvent.kind, LoggedEvent.queue, LoggedEvent.contact_id, LoggedEvent.detail)
             .where(LoggedEvent.at >= start, LoggedEvent.at < end + LONGEST_STAY,
                    LoggedEvent.kind.in_([str(kind) for kind in STEP_KINDS]),
                    LoggedEvent.queue.is_not(None), LoggedEvent.contact_id.is_not(None),
                    # the phone queues' calls: emails and chats have queues of their own, which may
                    # share a phone queue's name, and their figures are not defined here yet
                    LoggedEvent.channel == Channel.PHONE.value)
             .order_by(LoggedEvent.at, LoggedEvent.id))
    if queue is not None:
        query = query.where(LoggedEvent.queue == queue)
    visits = QueueVisits()
    for at, kind, name, contact_id, detail in session.execute(query):
        visits.step(kind, name, contact_id, epoch(at), _number(detail, "wait"), _number(detail, "handle"))
    return visits


def epoch(at: datetime) -> float:
    """A CRM time (naive UTC) in seconds since the epoch."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def _number(detail: dict | None, key: str) -> float | None:
    value = (detail or {}).get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
