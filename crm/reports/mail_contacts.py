"""The per-visit facts of the email and chat queues (definitions.MailContact), made from the
conversations' steps: the CRM's event log for a report, the mail queue's `mail.queue_contact`
events for the console's wallboard. Both go through `MailVisits`, so that the two count alike.

A visit starts when a conversation enters a queue (`entered`); an `entered` that is new or
reopened (`via`) starts an *opening*, from which its first reply and resolution are measured;
one that came by a transfer, a requeue or a chat's routing goes on with the opening before it.
The visit's first answered, abandoned or transferred (before an agent took it: left) is its
outcome; the opening's first reply, the visit's first resolution and a reopening after it are
marked on the contact's latest visit. A step of a conversation whose entering was not seen (it
entered before what was read) is ignored: it belongs to an earlier interval.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Channel, EventKind, LoggedEvent, User
from crm.reports.definitions import MailContact, MailOutcome
from crm.reports.queue_contacts import LONGEST_STAY, epoch

STEP_KINDS = (EventKind.ENTERED, EventKind.ANSWERED, EventKind.ABANDONED, EventKind.TRANSFERRED,
              EventKind.FIRST_REPLY, EventKind.RESOLVED, EventKind.REOPENED)
MAIL_CHANNELS = (Channel.EMAIL.value, Channel.CHAT.value)
OPENINGS = ("new", "reopened", "")  # an entered without `via` opens too
_OUTCOMES: dict[str, MailOutcome] = {"answered": "answered", "abandoned": "abandoned", "transferred": "left"}


@dataclass
class _Conversation:
    queue: str
    index: int  # its latest visit in that queue's list
    opened_at: float
    replied: bool = False  # the opening's first reply came


class MailVisits:
    """Each mail queue's visits, in the order they entered, kept up to date step by step."""

    def __init__(self) -> None:
        self.queues: dict[str, list[MailContact]] = {}
        self.takers: dict[str, list[str | None]] = {}  # per queue, beside its visits: the agent who took each
        self._latest: dict[str, _Conversation] = {}  # contact id -> where its latest visit is

    def step(self, kind: str, queue: str, contact_id: str, channel: str, at: float, *, wait: float | None = None,
             via: str = "", agent: str | None = None) -> bool:
        """One step, in the order they happened; whether it changed a visit. `agent`: who took
        it, on an `answered`."""
        if kind == "entered":
            return self._entered(queue, contact_id, channel, at, via)
        known = self._latest.get(contact_id)
        if known is None:
            return False  # entered before what was read
        visits = self.queues[known.queue]
        visit = visits[known.index]
        changed = self._changed(kind, queue, known, visit, at, wait)
        if changed is None:
            return False
        visits[known.index] = changed
        if kind == "answered" and visit.outcome == "waiting":
            self.takers[known.queue][known.index] = agent
        return True

    def _entered(self, queue: str, contact_id: str, channel: str, at: float, via: str) -> bool:
        visits = self.queues.setdefault(queue, [])
        known = self._latest.get(contact_id)
        if known is not None and known.queue == queue and self.queues[queue][known.index].entered_at == at:
            return False  # the same step again (read from the CRM and told by the mail queue)
        opening = known is None or via in OPENINGS
        opened_at = at if opening or known is None else known.opened_at
        replied = False if opening or known is None else known.replied
        self._latest[contact_id] = _Conversation(queue, len(visits), opened_at, replied)
        self.takers.setdefault(queue, []).append(None)
        visits.append(MailContact(at, channel, opened_at=None if opened_at == at else opened_at,
                                  replied_before=replied, contact_id=contact_id))
        return True

    @staticmethod
    def _changed(kind: str, queue: str, known: _Conversation, visit: MailContact, at: float,
                 wait: float | None) -> MailContact | None:
        if kind in _OUTCOMES and visit.outcome == "waiting" and queue == known.queue:
            after = wait if wait is not None else max(0.0, at - visit.entered_at)
            return replace(visit, outcome=_OUTCOMES[kind], after=after)
        if kind == "first_reply" and not known.replied:
            known.replied = True
            return replace(visit, first_reply_after=max(0.0, at - known.opened_at))
        if kind == "resolved" and visit.resolved_after is None:
            return replace(visit, resolved_after=max(0.0, at - known.opened_at))
        if kind == "reopened" and visit.resolved_after is not None and not visit.reopened:
            return replace(visit, reopened=True)
        return None

    def contacts(self, queue: str, channel: str | None = None) -> list[MailContact]:
        return [c for c in self.queues.get(queue, []) if channel is None or c.channel == channel]

    def taken(self, queue: str, channel: str | None = None) -> list[tuple[MailContact, str | None]]:
        """The queue's visits with the agent who took each (None: nobody did)."""
        return [(c, agent) for c, agent in zip(self.queues.get(queue, []), self.takers.get(queue, []))
                if channel is None or c.channel == channel]


def read_mail_visits(session: Session, start: datetime, end: datetime) -> MailVisits:
    """The mail queues' visits from the event log from `start` to LONGEST_STAY after `end` (the
    replies and resolutions of the conversations entered before `end`), in one query. Every queue
    at once: a conversation transferred keeps the opening it had in the queue before."""
    query = (select(LoggedEvent.at, LoggedEvent.kind, LoggedEvent.queue, LoggedEvent.contact_id,
                    LoggedEvent.channel, LoggedEvent.detail, User.username)
             .outerjoin(User, User.id == LoggedEvent.agent_id)
             .where(LoggedEvent.at >= start, LoggedEvent.at < end + LONGEST_STAY,
                    LoggedEvent.kind.in_([str(kind) for kind in STEP_KINDS]),
                    LoggedEvent.queue.is_not(None), LoggedEvent.contact_id.is_not(None),
                    LoggedEvent.channel.in_(MAIL_CHANNELS))
             .order_by(LoggedEvent.at, LoggedEvent.id))
    visits = MailVisits()
    for at, kind, name, contact_id, channel, detail, username in session.execute(query):
        detail = detail or {}
        wait = detail.get("wait")
        visits.step(kind, name, contact_id, channel, epoch(at),
                    wait=float(wait) if isinstance(wait, (int, float)) and not isinstance(wait, bool) else None,
                    via=str(detail.get("via") or ""), agent=username or detail.get("agent"))
    return visits
