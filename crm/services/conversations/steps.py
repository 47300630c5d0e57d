"""A conversation's steps in the event log (docs/reports.md, "The event log"), written in the
transaction of the change they record, so that a step is in the log exactly when its change is
stored. Each key is made from what the change stored (a message's or a record's id), so the
same change written again adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from crm.models import EventKind
from crm.services.calls import write_event


def log_step(session: Session, *, key: str, kind: str, at: datetime | None, channel: str, conversation_id: int,
             queue: str | None, agent: str | None = None, detail: dict | None = None) -> bool:
    """One step of conversation `conversation_id` (its contact: the channel and the number); at None:
    now, to the microsecond (the CRM's own times are to the second, and a reply may follow its
    answer within one)."""
    at = at or datetime.now(UTC).replace(tzinfo=None)
    return write_event(session, key=key, kind=kind, at=at, channel=channel, contact_id=str(conversation_id),
                       queue=queue, agent=agent, detail=detail)


def log_reply(session: Session, conversation, message_id: int, agent: str | None, *, first: bool) -> None:
    """The agent's email or chat line to the customer: the first of this visit, or a later one."""
    log_step(session, key=f"message:{message_id}:reply", kind=(EventKind.FIRST_REPLY if first else EventKind.REPLIED).value,
             at=None, channel=conversation.channel, conversation_id=conversation.id, queue=conversation.queue,
             agent=agent)
