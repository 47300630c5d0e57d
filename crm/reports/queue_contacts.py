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

from dataclasses import dataclass, replace
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


# --- each visit's times and codes, for the contact detail -------------------------------------


@dataclass
class VisitDetail:
    """What the event log says of one visit beyond its outcome (QueueVisits keeps that): its
    offers, the answering agent and his times, why it left unanswered, where it went."""

    queue: str
    contact_id: str
    channel: str
    entered_at: float
    offered_at: float | None = None  # its first offer
    offers: int = 0
    not_answered: int = 0  # offers an agent let ring out or refused
    agent: str | None = None  # who answered
    answered_at: float | None = None
    left_at: float | None = None  # abandoned, overflowed or ended unanswered
    cause: str | None = None  # the end cause (abandoned, ended) or the overflow's reason
    target: str | None = None  # where it overflowed or was transferred
    holds: int = 0
    ended_at: float | None = None  # the answered call's end
    ended_by: str | None = None
    talk: float | None = None
    wrap_up: float | None = None


class DetailedVisits(QueueVisits):
    """QueueVisits (the same outcomes) with each visit's VisitDetail beside it."""

    def __init__(self) -> None:
        super().__init__()
        self.details: dict[str, list[VisitDetail]] = {}

    def read(self, kind: str, queue: str, contact_id: str, at: float, channel: str, agent: str | None,
             detail: dict | None) -> None:
        """One step of the event log, in the order they happened."""
        detail = detail or {}
        changed = self.step(kind, queue, contact_id, at, _number(detail, "wait"), _number(detail, "handle"))
        index = self._latest.get((queue, contact_id))
        if index is None:
            return
        if kind == "entered":
            if changed:
                self.details.setdefault(queue, []).append(VisitDetail(queue, contact_id, channel, at))
            return
        _note(self.details[queue][index], kind, changed, at, agent, detail)

    def visits(self, queue: str) -> list[tuple[QueueContact, VisitDetail]]:
        """The queue's visits in the order they entered: each one's facts and its detail."""
        return list(zip(self.queues.get(queue, []), self.details.get(queue, [])))


def _note(visit: VisitDetail, kind: str, changed: bool, at: float, agent: str | None, detail: dict) -> None:
    text = lambda key: str(detail[key]) if detail.get(key) is not None else None
    if kind == "offered":
        visit.offers += 1
        visit.offered_at = visit.offered_at if visit.offered_at is not None else at
    elif kind in ("ring_no_answer", "rejected"):
        visit.not_answered += 1
    elif kind == "answered" and changed:
        visit.agent, visit.answered_at = agent, at
    elif kind in ("abandoned", "overflowed", "ended") and changed:  # its outcome: left unanswered
        visit.left_at, visit.cause, visit.target = at, text("cause") or text("reason"), text("target")
    elif kind == "ended" and visit.answered_at is not None and visit.ended_at is None:
        visit.ended_at, visit.ended_by, visit.cause = at, text("by"), text("cause")
    elif kind == "held" and visit.answered_at is not None:
        visit.holds += 1
    elif kind == "wrapped_up" and changed:
        visit.talk, visit.wrap_up = _number(detail, "talk"), _number(detail, "wrap_up")
    elif kind == "transferred" and changed:
        visit.target = text("target")
