"""A conversation's steps in the event log (docs/reports.md, "The event log"), written in the
transaction of the change they record, so that a step is in the log exactly when its change is
stored. Each key is made from what the change stored (a message's or a record's id), so the
same change written again adds nothing.

Each step added is also noted on the session (`written_steps`), for the service that committed
it to tell once the transaction is stored (the mail queue's `mail.queue_contact`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import ConversationMessage, EventKind, LoggedEvent
from crm.services.calls import write_event

WRITTEN_STEPS = "conversation_steps_written"


@dataclass(frozen=True)
class WrittenStep:
    """A step as it was written to the event log (`at`: naive UTC, as the CRM keeps times)."""

    kind: str
    at: datetime
    channel: str
    conversation_id: int
    queue: str
    detail: dict


def log_step(session: Session, *, key: str, kind: str, at: datetime | None, channel: str, conversation_id: int,
             queue: str | None, agent: str | None = None, detail: dict | None = None) -> bool:
    """One step of conversation `conversation_id` (its contact: the channel and the number); at None:
    now, to the microsecond (the CRM's own times are to the second, and a reply may follow its
    answer within one)."""
    at = at or datetime.now(UTC).replace(tzinfo=None)
    added = write_event(session, key=key, kind=kind, at=at, channel=channel, contact_id=str(conversation_id),
                        queue=queue, agent=agent, detail=detail)
    if added and queue is not None:
        session.info.setdefault(WRITTEN_STEPS, []).append(
            WrittenStep(kind, at, channel, conversation_id, queue, dict(detail or {})))
    return added


def written_steps(session: Session) -> list[WrittenStep]:
    """The steps this session added to the event log (so far), taken: each is handed out once."""
    return session.info.pop(WRITTEN_STEPS, [])


def log_reply(session: Session, conversation, message_id: int, agent: str | None, *, first: bool) -> None:
    """The agent's email or chat line to the customer: the first of this visit, or a later one."""
    log_step(session, key=f"message:{message_id}:reply", kind=(EventKind.FIRST_REPLY if first else EventKind.REPLIED).value,
             at=None, channel=conversation.channel, conversation_id=conversation.id, queue=conversation.queue,
             agent=agent)


def reply_steps_of_emails(session: Session, email_ids: list[int]) -> list[WrittenStep]:
    """The event log's reply steps of these outbound emails (an agent's email reply, written by
    the application service): for the mail queue to tell when it sends them."""
    if not email_ids:
        return []
    keys = select(ConversationMessage.id).where(ConversationMessage.outbound_email_id.in_(email_ids))
    rows = session.execute(
        select(LoggedEvent.kind, LoggedEvent.at, LoggedEvent.channel, LoggedEvent.contact_id, LoggedEvent.queue,
               LoggedEvent.detail)
        .where(LoggedEvent.event_key.in_([f"message:{message_id}:reply" for message_id in session.scalars(keys)]))
        .order_by(LoggedEvent.at, LoggedEvent.id))
    return [WrittenStep(kind, at, channel, int(contact_id), queue, dict(detail or {}))
            for kind, at, channel, contact_id, queue, detail in rows if queue is not None]
