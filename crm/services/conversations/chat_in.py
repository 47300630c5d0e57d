"""Chat in: a customer's chat from the web widget is a conversation too; its lines are stored
as they come, each line once even when the widget sends it again after a reconnect. The chat
ends when the customer ends it, leaves, or the agent closes it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm import texts
from crm.clock import utcnow
from crm.errors import Conflict, NotFound, ValidationError
from crm.models import (
    BusinessPartner,
    Channel,
    Conversation,
    ConversationMessage,
    ConversationStatus,
    EventKind,
    Interaction,
    InteractionStatus,
    MessageKind,
)
from crm.permissions import Actor
from crm.conversation_types import (
    AGENT_ONLY_LINES,
    CUSTOMER_ENDED_ID,
    CUSTOMER_ENDED_TEXT,
    CUSTOMER_LEFT_ID,
    CUSTOMER_LEFT_TEXT,
)
from crm.services import identify, outbox
from crm.services.conversations.queueing import RouteFacts, Router, WorkItem, work_item_of
from crm.services.conversations.email_in import VALUE_CLASS, insert_interaction
from crm.services.conversations.steps import log_step


CHAT_TEXT_LENGTH = 4000


@dataclass(frozen=True)
class ChatOpened:
    conversation_id: int
    token: str


def open_chat(session: Session, *, name: str, email: str | None, phone: str | None, page: str | None,
              language: str | None, route: Router, mailbox: str = "web chat",
              now: datetime | None = None) -> ChatOpened:
    now = now or utcnow()
    texts.check_each({"your name": name, "the email address": email, "the phone number": phone,
                      "the page": page, "the language": language})
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise ValidationError("Please give your name (at most 100 characters).")
    email = (email or "").strip().lower() or None
    phone = (phone or "").strip() or None
    if email is None and phone is None:
        raise ValidationError("Please give an email address or a phone number, so we can answer you.")
    if email is not None:
        email = outbox.check_address(email, "the email address")
    if phone is not None and (len(phone) > 40 or not any(c.isdigit() for c in phone)):
        raise ValidationError(f"{phone!r} is not a phone number.")
    partner = _identify_chatter(session, email, phone)
    token = secrets.token_urlsafe(32)
    routed = route(RouteFacts(Channel.CHAT.value, mailbox, page or "", "", partner.value_class if partner else None,
                              partner.id if partner else None))
    conversation = Conversation(
        channel=Channel.CHAT.value, mailbox=mailbox[:254], queue=routed.queue[:80], priority=routed.priority,
        status=ConversationStatus.QUEUED.value, partner_id=partner.id if partner else None, customer_name=name,
        customer_address=email, customer_phone=phone, subject=(page or "")[:250], language=(language or None)
        and language[:10], chat_token=token, created_at=now, last_message_at=now,
        due_at=now + routed.first_response if routed.first_response else None)
    session.add(conversation)
    session.flush()
    conversation.interaction_id = insert_interaction(
        session.connection(), Channel.CHAT.value, conversation.id, conversation.partner_id, conversation.queue,
        conversation.subject, email or phone, mailbox, now)
    log_step(session, key=f"conversation:{conversation.id}:entered", kind=EventKind.ENTERED.value, at=None,
             channel=Channel.CHAT.value, conversation_id=conversation.id, queue=conversation.queue,
             detail={"via": "new"})
    return ChatOpened(conversation.id, token)


def route_chat(session: Session, conversation_id: int, text: str, route: Router) -> WorkItem | None:
    """A chat's first line: routing rules that look at the text (keywords) see it now,
    as the chat opened before the customer wrote. A chat no agent has accepted yet
    moves to the queue and priority they give (back to waiting, for the router to
    place again); the new WorkItem, or None when nothing changes."""
    conversation = session.get(Conversation, conversation_id, with_for_update=True)  # vs. an agent accepting
    waiting = (ConversationStatus.QUEUED.value, ConversationStatus.OFFERED.value)
    if conversation is None or conversation.channel != Channel.CHAT.value or conversation.status not in waiting:
        return None
    c = conversation
    value_class = session.scalar(VALUE_CLASS, {"id": c.partner_id}) if c.partner_id else None
    routed = route(RouteFacts(Channel.CHAT.value, c.mailbox, c.subject or "", text, value_class, c.partner_id))
    if (routed.queue[:80], routed.priority) == (c.queue, c.priority):
        return None
    if routed.queue[:80] != c.queue:  # the first line sends it to another queue before anyone took it
        key = f"conversation:{c.id}:routed:{routed.queue[:80]}"
        log_step(session, key=key + ":left", kind=EventKind.TRANSFERRED.value, at=None, channel=Channel.CHAT.value,
                 conversation_id=c.id, queue=c.queue, detail={"target": f"queue:{routed.queue[:80]}"})
        log_step(session, key=key, kind=EventKind.ENTERED.value, at=None, channel=Channel.CHAT.value,
                 conversation_id=c.id, queue=routed.queue[:80], detail={"via": "routed"})
    c.queue, c.priority = routed.queue[:80], routed.priority
    c.status, c.assigned_to_id = ConversationStatus.QUEUED.value, None
    c.due_at = c.created_at + routed.first_response if routed.first_response else None
    interaction = session.get(Interaction, c.interaction_id) if c.interaction_id else None
    if interaction is not None:
        interaction.queue = c.queue
    session.flush()
    return work_item_of(c, None)


CHAT_SUBJECT_LENGTH = 80


def name_chat(session: Session, conversation_id: int, text: str) -> str | None:
    """A chat opened without a subject (no page named it) is named after the
    customer's first line, so that offers, inboxes and the interaction history
    say what it is about; the new subject, or None when it had one."""
    conversation = session.get(Conversation, conversation_id)
    words = " ".join((text or "").split())
    if conversation is None or conversation.channel != Channel.CHAT.value or conversation.subject or not words:
        return None
    if len(words) > CHAT_SUBJECT_LENGTH:
        words = words[:CHAT_SUBJECT_LENGTH - 1].rstrip() + "…"
    conversation.subject = words
    interaction = session.get(Interaction, conversation.interaction_id) if conversation.interaction_id else None
    if interaction is not None and not interaction.subject:
        interaction.subject = words
    session.flush()
    return words


def is_first_line(session: Session, conversation_id: int, message_id: int) -> bool:
    """Whether this is the customer's first line of the chat."""
    return session.scalar(select(func.min(ConversationMessage.id)).where(
        ConversationMessage.conversation_id == conversation_id,
        ConversationMessage.kind == MessageKind.INBOUND.value)) == message_id


def _identify_chatter(session: Session, email: str | None, phone: str | None) -> BusinessPartner | None:
    actor = Actor.system()
    matches = identify.identify_by_email(session, actor, email) if email else []
    if not matches and phone:
        try:
            matches = identify.identify_by_phone(session, actor, phone)
        except ValidationError:
            matches = []
    return session.get(BusinessPartner, matches[0].partner.partner_id) if len(matches) == 1 else None


def chat_by_token(session: Session, token: str, *, lock: bool = False) -> Conversation | None:
    """`lock`: hold the row until the transaction ends (a database server;
    SQLite has one writer anyway), for a change that depends on its status."""
    if not token or len(token) > 64 or not texts.is_storable(token):
        return None
    query = select(Conversation).where(Conversation.chat_token == token)
    return session.scalar(query.with_for_update() if lock else query)


def customer_wrote(session: Session, token: str, text: str, client_id: str | None,
                   now: datetime | None = None) -> tuple[Conversation, ConversationMessage, bool]:
    """Store a customer's chat line; (conversation, line, new). A line sent
    again (same client_id) is the one stored before."""
    texts.check_each({"your message": text, "the message's client id": client_id})
    conversation = chat_by_token(session, token)
    if conversation is None:
        raise NotFound("This chat is not known (any more); please start a new one.")
    if conversation.status == ConversationStatus.CLOSED:
        raise Conflict("This chat has been closed; please start a new one.")
    text = (text or "").strip()
    if not text or len(text) > CHAT_TEXT_LENGTH:
        raise ValidationError(f"A message has 1 to {CHAT_TEXT_LENGTH} characters.")
    client_id = (client_id or "")[:64] or None
    if client_id in AGENT_ONLY_LINES:
        client_id = None  # reserved for the line that says the customer ended the chat
    if client_id:
        line = session.scalar(select(ConversationMessage).where(
            ConversationMessage.conversation_id == conversation.id, ConversationMessage.client_id == client_id))
        if line is not None:
            return conversation, line, False
    if conversation.customer_ended_at is not None:
        raise Conflict("You ended this chat; please start a new one.")
    now = now or utcnow()
    line = ConversationMessage(conversation_id=conversation.id, kind=MessageKind.INBOUND.value,
                               author_name=conversation.customer_name, client_id=client_id, body_text=text,
                               created_at=now)
    session.add(line)
    conversation.last_message_at = now
    session.flush()
    return conversation, line, True


def customer_ended_chat(session: Session, token: str, now: datetime | None = None
                        ) -> tuple[Conversation, ConversationMessage | None]:
    """The customer ended a chat an agent works: it is marked so, and a system
    line in the transcript tells the agent. The conversation stays his to note
    and close. (conversation, the new line, or None when the chat was already
    ended or closed.)"""
    conversation = chat_by_token(session, token)
    if conversation is None:
        raise NotFound("This chat is not known (any more); please start a new one.")
    if conversation.status == ConversationStatus.CLOSED or conversation.customer_ended_at is not None:
        return conversation, None
    now = now or utcnow()
    conversation.customer_ended_at = now
    line = ConversationMessage(conversation_id=conversation.id, kind=MessageKind.SYSTEM.value,
                               client_id=CUSTOMER_ENDED_ID, body_text=CUSTOMER_ENDED_TEXT, created_at=now)
    session.add(line)
    session.flush()
    return conversation, line


@dataclass(frozen=True)
class Abandoned:
    """A chat whose customer went away: closed (it waited for an agent), or left with
    the agent who has it, to note and close."""

    conversation_id: int
    closed: bool
    line: ConversationMessage


def abandon_chat(session: Session, conversation_id: int, now: datetime | None = None) -> Abandoned | None:
    """The customer's page has been gone too long. A chat waiting for an agent is
    closed; an assigned one is marked ended by the customer, as if he had ended it,
    and stays the agent's. Either way a line in the transcript says so. None: the
    chat was closed or ended already."""
    conversation = session.get(Conversation, conversation_id, with_for_update=True)  # vs. an agent accepting
    if conversation is None or conversation.channel != Channel.CHAT.value:
        return None
    if conversation.status == ConversationStatus.CLOSED or conversation.customer_ended_at is not None:
        return None
    now = now or utcnow()
    conversation.customer_ended_at = now
    closed = conversation.status != ConversationStatus.ASSIGNED
    if closed:
        _log_abandoned(session, conversation, now)
        conversation.status, conversation.closed_at = ConversationStatus.CLOSED.value, now
        interaction = session.get(Interaction, conversation.interaction_id) if conversation.interaction_id else None
        if interaction is not None:
            interaction.status, interaction.ended_at = InteractionStatus.CLOSED.value, now
    line = ConversationMessage(conversation_id=conversation.id, kind=MessageKind.SYSTEM.value,
                               client_id=CUSTOMER_LEFT_ID, body_text=CUSTOMER_LEFT_TEXT, created_at=now)
    session.add(line)
    session.flush()
    return Abandoned(conversation.id, closed, line)


def transcript(session: Session, conversation_id: int) -> list[ConversationMessage]:
    """A chat's lines for the customer: what was said, never the agents' notes."""
    return list(session.scalars(select(ConversationMessage).where(
        ConversationMessage.conversation_id == conversation_id,
        ConversationMessage.kind != MessageKind.NOTE.value).order_by(ConversationMessage.id)))


def close_by_customer(session: Session, token: str) -> Conversation | None:
    """A chat the customer ended; nothing to answer any more."""
    conversation = chat_by_token(session, token)
    if conversation is None or conversation.status == ConversationStatus.CLOSED:
        return None
    now = utcnow()
    if conversation.status != ConversationStatus.ASSIGNED:
        _log_abandoned(session, conversation, now)
    conversation.status, conversation.closed_at = ConversationStatus.CLOSED.value, now
    conversation.customer_ended_at = now
    if conversation.interaction_id:
        interaction = session.get_one(Interaction, conversation.interaction_id)
        interaction.status, interaction.ended_at = InteractionStatus.CLOSED.value, now
    return conversation


def _log_abandoned(session: Session, conversation: Conversation, now: datetime) -> None:
    """A chat the customer left before an agent took it: abandoned, after waiting since it opened."""
    log_step(session, key=f"conversation:{conversation.id}:abandoned", kind=EventKind.ABANDONED.value, at=None,
             channel=Channel.CHAT.value, conversation_id=conversation.id, queue=conversation.queue,
             detail={"wait": round(max(0.0, (now - conversation.created_at).total_seconds()), 3)})
