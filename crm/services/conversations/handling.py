"""What an agent does with a conversation besides writing: hand it on to a queue or a
colleague, link it to a business partner, close it with its outcome."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from crm import texts
from crm.clock import utcnow
from crm.errors import NotFound, PermissionDenied, ValidationError
from crm.models import (
    BusinessPartner,
    Conversation,
    ConversationMessage,
    ConversationStatus,
    EventKind,
    Interaction,
    InteractionStatus,
    MessageKind,
)
from crm.permissions import Actor, require_read
from crm.conversation_types import NOTE_LENGTH, TRANSFER_NOTE_LENGTH
from crm.services.conversations.queueing import WorkItem, work_item_of
from crm.services.conversations.access import display_name, my_conversation, user_named
from crm.services.conversations.steps import log_step


def transfer(session: Session, actor: Actor, conversation_id: int, *, queue: str | None, to_agent: str | None,
             note: str | None) -> WorkItem:
    """The agent who has the conversation hands it on, to a queue or to a colleague:
    the new queue is set, and an internal note says who transferred it where and why.
    The router decides who gets it; its decisions are stored by set_assignment."""
    texts.check_each({"the queue": queue, "the colleague": to_agent})
    conversation = session.get(Conversation, conversation_id, with_for_update=True)  # vs. the customer closing
    if conversation is None:
        raise NotFound(f"No conversation {conversation_id}.")
    if conversation.status != ConversationStatus.ASSIGNED or conversation.assigned_to_id != actor.user_id:
        raise PermissionDenied(f"{actor.username} may not transfer conversation {conversation_id}: "
                               "it is not assigned to them")
    target, note = _transfer_target(session, queue, to_agent), transfer_note(note)
    if queue is not None:
        conversation.queue = target
        record = session.get(Interaction, conversation.interaction_id) if conversation.interaction_id else None
        if record is not None:  # reports count the contact where it was finished
            record.queue = target
    by = display_name(session, actor)
    text = f"Transferred to {target} by {by}" + (f": {note}" if note else "")
    session.add(ConversationMessage(conversation_id=conversation.id, kind=MessageKind.NOTE.value,
                                    author_id=actor.user_id, author_name=by, body_text=text))
    session.flush()
    item = work_item_of(conversation, actor.username)
    return replace(item, transferred_by=by, transfer_note=note)


def transfer_note(note: str | None) -> str | None:
    """The note as stored, or ValidationError: callers check it before anything moves."""
    note = (texts.check(note, "the transfer note") or "").strip() or None
    if note is not None and len(note) > TRANSFER_NOTE_LENGTH:
        raise ValidationError(f"A transfer note has at most {TRANSFER_NOTE_LENGTH} characters.")
    return note


def _transfer_target(session: Session, queue: str | None, to_agent: str | None) -> str:
    """The queue's name, or the colleague's display name."""
    if (queue is None) == (to_agent is None):
        raise ValidationError("Transfer to a queue or to a colleague: one of the two.")
    if to_agent is not None:
        return user_named(session, to_agent).display_name or to_agent
    name = (queue or "").strip()
    if not name or len(name) > 80:
        raise ValidationError("A queue has a name of 1 to 80 characters.")
    return name


def set_partner(session: Session, actor: Actor, conversation_id: int, partner_id: int | None) -> None:
    """The agent confirmed (or cleared) who wrote; the interaction follows."""
    conversation = my_conversation(session, actor, conversation_id)
    if partner_id is not None:
        partner = session.get(BusinessPartner, partner_id)
        if partner is None:
            raise NotFound(f"No business partner with id {partner_id}.")
        require_read(session, actor, partner)
    conversation.partner_id = partner_id
    if conversation.interaction_id:
        session.get_one(Interaction, conversation.interaction_id).partner_id = partner_id


def close(session: Session, actor: Actor, conversation_id: int, *, outcome: str | None = None,
          reason: str | None = None, notes: str | None = None, now: datetime | None = None) -> Conversation:
    """Done: the conversation leaves the agent's inbox and its interaction record is closed."""
    texts.check_each({"the outcome": outcome, "the reason": reason, "the notes": notes})
    conversation = my_conversation(session, actor, conversation_id)
    now = now or utcnow()
    conversation.status, conversation.closed_at = ConversationStatus.CLOSED.value, now
    interaction = session.get(Interaction, conversation.interaction_id) if conversation.interaction_id else None
    if interaction is not None:
        interaction.status, interaction.ended_at = InteractionStatus.CLOSED.value, now
        interaction.agent_id = interaction.agent_id or actor.user_id
        # Given here, or already written by the desktop's interaction record.
        if outcome:
            interaction.outcome_code = outcome[:40]
        if reason:
            interaction.reason_code = reason[:40]
        if notes:
            interaction.notes = notes[:NOTE_LENGTH]
    session.flush()
    # one close per visit: a reopened conversation has a new interaction record
    visit = f"interaction:{interaction.id}" if interaction is not None else f"conversation:{conversation.id}"
    log_step(session, key=f"{visit}:resolved", kind=EventKind.RESOLVED.value, at=None,
             channel=conversation.channel, conversation_id=conversation.id, queue=conversation.queue,
             agent=actor.username, detail={"outcome": outcome} if outcome else None)
    return conversation
