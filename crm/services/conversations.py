"""Emails and chats: conversations the mail queue stores and agents work.

An inbound email is stored raw and parsed in one transaction, before the
SMTP listener answers 250 or the IMAP poller moves it: nothing acknowledged
is lost. It joins the conversation it answers (In-Reply-To / References, then
the same sender and subject), or opens one; the sender is identified against
the CRM (by address, else by a phone number in the signature); the caller's
`route` decides queue, priority and first-response time. Every conversation
is one interaction record of the customer, so it shows in the interaction
history next to the calls.

A chat is a conversation too; its lines are stored as they come, each line
once even when the widget sends it again after a reconnect.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import phonenumbers
from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session, selectinload

from crm import texts
from crm.clock import utcnow
from crm.errors import Conflict, NotFound, PermissionDenied, ValidationError
from crm.models import (
    BusinessPartner,
    Channel,
    Conversation,
    ConversationMessage,
    ConversationStatus,
    Direction,
    Interaction,
    InteractionStatus,
    MessageAttachment,
    MessageKind,
    OutboundEmail,
    RawEmail,
    User,
)
from crm.permissions import Actor, Permission, require_read
from crm.conversation_types import (  # noqa: F401 - what callers have always found here
    AGENT_ONLY_LINES,
    ATTACHMENT_BYTES,
    CUSTOMER_ENDED_ID,
    CUSTOMER_ENDED_TEXT,
    CUSTOMER_LEFT_ID,
    CUSTOMER_LEFT_TEXT,
    NOTE_LENGTH,
    REPLY_ATTACHMENT_BYTES,
    REPLY_ATTACHMENTS,
    TRANSFER_NOTE_LENGTH,
    AttachmentInfo,
    ConversationView,
    InboxRow,
    MessageView,
    NewAttachment,
    answer_subject,
    strip_reply_prefixes,
)
from crm.services import identify, outbox, users

THREAD_BY_SUBJECT_DAYS = 30  # a same-subject mail from the same sender joins a thread this recent
CHAT_TEXT_LENGTH = 4000
RECENTLY_CLOSED_DAYS = 7  # how far back the inbox's "recently closed" looks
SIGNATURE_LINES = 15  # where phone numbers of an unknown sender are looked for


@dataclass(frozen=True)
class RouteFacts:
    """What routing rules look at."""

    channel: str
    mailbox: str
    subject: str
    text: str
    value_class: str | None
    partner_id: int | None


@dataclass(frozen=True)
class Route:
    queue: str
    priority: int = 5
    first_response: timedelta | None = None
    rank: int = 0  # which rule decided (lower: an earlier one); picks among a mail's service addresses


Router = Callable[[RouteFacts], Route]


@dataclass(frozen=True)
class WorkItem:
    """A conversation as the router sees it."""

    conversation_id: int
    channel: str
    queue: str
    priority: int
    status: str
    created_at: datetime
    due_at: datetime | None
    assigned_to: str | None
    subject: str = ""
    customer: str = ""
    customer_ended: bool = False  # a chat the customer ended, still the agent's to close
    transferred_by: str | None = None  # the display name of the agent who transferred it last
    transfer_note: str | None = None


@dataclass(frozen=True)
class Received:
    conversation_id: int
    message_id: int | None  # None: a duplicate of a message already stored
    new_conversation: bool
    reopened: bool = False
    assigned_to: str | None = None  # the agent whose conversation got a new message
    work: WorkItem | None = None  # what the router needs of a new or reopened conversation

    @property
    def duplicate(self) -> bool:
        return self.message_id is None


# --- email in --------------------------------------------------------------------------------


def thread_subject(subject: str) -> str:
    """The subject as threads compare it: without prefixes, lowercased."""
    return strip_reply_prefixes(subject).lower()


def thread_key(address: str | None, subject: str) -> str | None:
    if not address:
        return None
    return f"{address.lower()}|{thread_subject(subject)}"[:300]


def receive_email(session: Session, *, raw: bytes, parsed, mailbox: str, via: str, route: Router,
                  envelope_from: str | None = None, now: datetime | None = None,
                  also_to: Iterable[str] = ()) -> Received:
    """Store one email (`parsed` is email_queue.parse.ParsedEmail of `raw`).
    `also_to`: the other service addresses it was sent to; a new conversation
    goes where the best rule for any of them says, and is answered from that address.

    Written with Core statements on the session's connection, not the ORM's
    unit of work: this is the mail queue's hot path (a few hundred mails a
    second), and every row here is new or changes in one known column."""
    now = now or utcnow()
    db = session.connection()
    digest = hashlib.sha256(raw).hexdigest()
    message_id = parsed.message_id or f"<{digest}@no-message-id.invalid>"
    existing = db.scalar(_MESSAGE_BY_ID, {"message_id": message_id})
    if existing is not None:
        if db.scalar(_RAW_BY_DIGEST, {"sha256": digest}) is None:
            # Same Message-ID, other bytes: keep what arrived, show one message.
            _store_raw(db, raw, digest, mailbox, via, envelope_from, now)
        return Received(existing, None, False)
    raw_id = _store_raw(db, raw, digest, mailbox, via, envelope_from, now)
    sender = parsed.reply_to or parsed.sender_address
    thread = _thread(db, parsed, sender, now)
    work = None
    if thread is None:
        work = _open_email_conversation(db, parsed, sender, [mailbox, *also_to], route, now)
        conversation_id, agent = work.conversation_id, None
    elif thread.status == ConversationStatus.CLOSED.value:
        work = _reopen(db, thread, route, parsed, now)
        conversation_id, agent = thread.id, None
    else:
        conversation_id, agent = thread.id, thread.username
        db.execute(_UPDATE_CONVERSATION, {"cid": conversation_id, "last_message_at": now})
    message_row = db.execute(_INSERT_MESSAGE, dict(
        conversation_id=conversation_id, kind=MessageKind.INBOUND.value, message_id=message_id,
        author_name=parsed.sender_name or (parsed.sender_address or ""), in_reply_to=parsed.in_reply_to,
        reference_ids=" ".join(parsed.references) or None, sender=parsed.sender_address,
        recipients=", ".join([*parsed.to, *parsed.cc]) or None, subject=parsed.subject[:250],
        body_text=parsed.text, body_html=parsed.html, has_remote_images=parsed.has_remote_images,
        defects="\n".join(parsed.defects) or None, raw_email_id=raw_id, created_at=now))
    new_message_id = message_row.scalar_one()
    if parsed.attachments:
        db.execute(_INSERT_ATTACHMENT, [
            dict(message_id=new_message_id, filename=a.filename[:255], content_type=a.content_type[:120],
                 size=len(a.content), content_id=(a.content_id or None) and a.content_id[:250], inline=a.inline,
                 content=a.content)
            for a in parsed.attachments])
    return Received(conversation_id, new_message_id, thread is None, work is not None and thread is not None,
                    agent, work)


_MESSAGE_BY_ID = select(ConversationMessage.conversation_id).where(
    ConversationMessage.message_id == bindparam("message_id"))
_RAW_BY_DIGEST = select(RawEmail.id).where(RawEmail.sha256 == bindparam("sha256")).limit(1)
# Built once: building a statement costs more than running it here.
_THREADS = (select(Conversation.id, Conversation.status, Conversation.created_at, Conversation.mailbox,
                   Conversation.partner_id, Conversation.subject, Conversation.customer_name,
                   Conversation.customer_address, User.username)
            .outerjoin(User, User.id == Conversation.assigned_to_id)
            .where(Conversation.channel == Channel.EMAIL.value))
_THREAD_BY_MESSAGE_IDS = (
    _THREADS.join(ConversationMessage, ConversationMessage.conversation_id == Conversation.id)
    .where(ConversationMessage.message_id.in_(bindparam("ids", expanding=True)))
    .order_by(ConversationMessage.id.desc()).limit(1))
_THREAD_BY_KEY = (_THREADS.where(Conversation.thread_key == bindparam("key"),
                                 Conversation.last_message_at >= bindparam("since"))
                  .order_by(Conversation.last_message_at.desc()).limit(1))
_INSERT_RAW = insert(RawEmail.__table__).returning(RawEmail.id)
_INSERT_CONVERSATION = insert(Conversation.__table__).returning(Conversation.id)
_INSERT_MESSAGE = insert(ConversationMessage.__table__).returning(ConversationMessage.id)
_INSERT_ATTACHMENT = insert(MessageAttachment.__table__)
_INSERT_INTERACTION = insert(Interaction.__table__).returning(Interaction.id)
_UPDATE_CONVERSATION = update(Conversation.__table__).where(Conversation.__table__.c.id == bindparam("cid"))


def _store_raw(db, raw, digest, mailbox, via, envelope_from, now) -> int:
    return db.execute(_INSERT_RAW, dict(
        received_at=now, via=via, mailbox=mailbox[:254], size=len(raw), sha256=digest,
        envelope_from=(envelope_from or None) and texts.storable(envelope_from[:254]), source=raw)).scalar_one()


def _thread(db, parsed, sender: str | None, now: datetime):
    """The conversation this mail continues: a row of _THREAD_COLUMNS, or None."""
    ids = [i for i in (parsed.in_reply_to, *parsed.references) if i]
    if ids:
        found = db.execute(_THREAD_BY_MESSAGE_IDS, {"ids": ids}).first()
        if found is not None:
            return found
    key = thread_key(sender, parsed.subject)
    if key is None or not thread_subject(parsed.subject):
        return None
    return db.execute(_THREAD_BY_KEY, {"key": key, "since": now - timedelta(days=THREAD_BY_SUBJECT_DAYS)}).first()


def _open_email_conversation(db, parsed, sender, mailboxes: list[str], route: Router, now) -> WorkItem:
    partner_id, value_class = _identify_email_sender(db, sender, parsed.text)
    mailbox, routed = min(
        ((m, route(RouteFacts(Channel.EMAIL.value, m, parsed.subject, parsed.text, value_class, partner_id)))
         for m in dict.fromkeys(mailboxes)), key=lambda choice: choice[1].rank)  # ties: the first address
    work = WorkItem(0, Channel.EMAIL.value, routed.queue[:80], routed.priority, ConversationStatus.QUEUED.value,
                    now, now + routed.first_response if routed.first_response else None, None,
                    parsed.subject[:250], (parsed.sender_name or "")[:200] or sender or "")
    conversation_id = db.execute(_INSERT_CONVERSATION, dict(
        channel=work.channel, mailbox=mailbox[:254], queue=work.queue, priority=work.priority, status=work.status,
        partner_id=partner_id, customer_name=(parsed.sender_name or "")[:200], customer_address=sender,
        subject=work.subject, thread_key=thread_key(sender, parsed.subject), created_at=now, last_message_at=now,
        due_at=work.due_at)).scalar_one()
    work = replace(work, conversation_id=conversation_id)
    _record_interaction(db, conversation_id, partner_id, work.queue, work.subject, sender, mailbox, now)
    return work


def _reopen(db, thread, route: Router, parsed, now: datetime) -> WorkItem:
    """The customer wrote again on a closed thread: back to the queue, due again."""
    value_class = db.scalar(_VALUE_CLASS, {"id": thread.partner_id}) if thread.partner_id else None
    routed = route(RouteFacts(Channel.EMAIL.value, thread.mailbox, parsed.subject, parsed.text, value_class,
                              thread.partner_id))
    due_at = now + routed.first_response if routed.first_response else None
    db.execute(_UPDATE_CONVERSATION, dict(
        cid=thread.id, status=ConversationStatus.QUEUED.value, queue=routed.queue[:80], priority=routed.priority,
        assigned_to_id=None, closed_at=None, first_response_at=None, due_at=due_at, last_message_at=now))
    _record_interaction(db, thread.id, thread.partner_id, routed.queue[:80], thread.subject,
                        thread.customer_address, thread.mailbox, now)
    return WorkItem(thread.id, Channel.EMAIL.value, routed.queue[:80], routed.priority,
                    ConversationStatus.QUEUED.value, thread.created_at, due_at, None, thread.subject,
                    thread.customer_name or thread.customer_address or "")


def _record_interaction(db, conversation_id: int, partner_id, queue, subject, address, mailbox, now) -> None:
    interaction_id = _insert_interaction(db, Channel.EMAIL.value, conversation_id, partner_id, queue, subject,
                                         address, mailbox, now)
    db.execute(_UPDATE_CONVERSATION, {"cid": conversation_id, "interaction_id": interaction_id})


def _insert_interaction(db, channel, conversation_id: int, partner_id, queue, subject, address, mailbox,
                        now) -> int:
    return db.execute(_INSERT_INTERACTION, dict(
        channel=channel, direction=Direction.INBOUND.value, status=InteractionStatus.OPEN.value,
        queue=queue, partner_id=partner_id, ani=address, dnis=mailbox, subject=(subject or "")[:250] or None,
        external_id=f"conversation:{conversation_id}", started_at=now, queued_at=now)).scalar_one()


def _identify_email_sender(db, address: str | None, text: str) -> tuple[int | None, str | None]:
    """The one customer the sender is (partner id and value class), else (None, None)."""
    if address and "@" in address:
        found = identify.customers_by_email(db, address)
        if len(found) == 1:
            return tuple(found[0])
        if found:
            return None, None  # several customers share the address: the agent decides, not the signature
    for number in signature_numbers(text):
        found = identify.customers_by_phone(db, number)
        if len(found) == 1:
            return tuple(found[0])
    return None, None


_VALUE_CLASS = select(BusinessPartner.value_class).where(BusinessPartner.id == bindparam("id"))


def signature_numbers(text: str, region: str = "CN") -> list[str]:
    """Phone numbers in the last lines of a mail (its signature), in E.164."""
    tail = "\n".join((text or "").strip().splitlines()[-SIGNATURE_LINES:])
    found = []
    for match in phonenumbers.PhoneNumberMatcher(tail, region):
        number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        if number not in found:
            found.append(number)
    return found


# --- chat in --------------------------------------------------------------------------------


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
    routed = route(RouteFacts(Channel.CHAT.value, mailbox, page or "", "", partner.value_class if partner else None,
                              partner.id if partner else None))
    conversation = Conversation(
        channel=Channel.CHAT.value, mailbox=mailbox[:254], queue=routed.queue[:80], priority=routed.priority,
        status=ConversationStatus.QUEUED.value, partner_id=partner.id if partner else None, customer_name=name,
        customer_address=email, customer_phone=phone, subject=(page or "")[:250], language=(language or None)
        and language[:10], chat_token=secrets.token_urlsafe(32), created_at=now, last_message_at=now,
        due_at=now + routed.first_response if routed.first_response else None)
    session.add(conversation)
    session.flush()
    conversation.interaction_id = _insert_interaction(
        session.connection(), Channel.CHAT.value, conversation.id, conversation.partner_id, conversation.queue,
        conversation.subject, email or phone, mailbox, now)
    return ChatOpened(conversation.id, conversation.chat_token)


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
    value_class = session.scalar(_VALUE_CLASS, {"id": c.partner_id}) if c.partner_id else None
    routed = route(RouteFacts(Channel.CHAT.value, c.mailbox, c.subject or "", text, value_class, c.partner_id))
    if (routed.queue[:80], routed.priority) == (c.queue, c.priority):
        return None
    c.queue, c.priority = routed.queue[:80], routed.priority
    c.status, c.assigned_to_id = ConversationStatus.QUEUED.value, None
    c.due_at = c.created_at + routed.first_response if routed.first_response else None
    interaction = session.get(Interaction, c.interaction_id) if c.interaction_id else None
    if interaction is not None:
        interaction.queue = c.queue
    session.flush()
    return _work_item(c, None)


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


def customer_wrote(session: Session, token: str, text: str, client_id: str,
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


# --- routing state -----------------------------------------------------------------------------


def open_work(session: Session) -> list[WorkItem]:
    """Every conversation not closed: what the router rebuilds its queues from."""
    rows = session.execute(select(Conversation, User.username).outerjoin(User, User.id == Conversation.assigned_to_id)
                           .where(Conversation.status != ConversationStatus.CLOSED.value)
                           .order_by(Conversation.id))
    return [_work_item(c, username) for c, username in rows]


def work_item(session: Session, conversation_id: int) -> WorkItem:
    conversation = _conversation(session, conversation_id)
    return _work_item(conversation, conversation.assigned_to.username if conversation.assigned_to else None)


def _work_item(c: Conversation, username: str | None) -> WorkItem:
    return WorkItem(c.id, c.channel, c.queue, c.priority, c.status, c.created_at, c.due_at, username, c.subject,
                    c.customer_name or c.customer_address or c.customer_phone or "", c.customer_ended_at is not None)


def set_assignment(session: Session, conversation_id: int, status: str, agent: str | None,
                   now: datetime | None = None) -> Conversation:
    """The router's decision, made durable: queued, offered to, or assigned to an agent.
    The row stays locked to the end of the transaction, so that a customer
    ending the chat at the same moment sees the one or the other."""
    conversation = session.get(Conversation, conversation_id, with_for_update=True)
    if conversation is None:
        raise NotFound(f"No conversation {conversation_id}.")
    if conversation.status == ConversationStatus.CLOSED and status != ConversationStatus.CLOSED:
        raise Conflict(f"conversation {conversation_id} is closed")
    user = _user(session, agent) if agent else None
    conversation.status = status
    conversation.assigned_to_id = user.id if user and status == ConversationStatus.ASSIGNED else None
    if status == ConversationStatus.ASSIGNED and user is not None:
        interaction = session.get(Interaction, conversation.interaction_id) if conversation.interaction_id else None
        if interaction is not None:
            interaction.agent_id = user.id
            interaction.answered_at = interaction.answered_at or (now or utcnow())
    return conversation


# --- the agent's work -------------------------------------------------------------------------


def inbox(session: Session, actor: Actor, *, mine: bool = True, queues: Iterable[str] | None = None,
          channel: str | None = None, include_closed: bool = False, text: str | None = None,
          only: str | None = None, offset: int = 0, limit: int = 100, now: datetime | None = None
          ) -> list[InboxRow]:
    """The agent's own conversations, or the group inbox of `queues`: due first.

    `only`: "failed", conversations with an email that could not be sent (the
    agent's own emails in his list), closed ones too; "closed", those closed
    in the last RECENTLY_CLOSED_DAYS, latest first."""
    _require_agent(actor)
    texts.check_each({"the search text": text, "the channel": channel, "the queues": list(queues or ())})
    if only not in (None, "failed", "closed"):
        raise ValidationError(f"no inbox filter {only!r} (failed or closed)")
    count = (select(func.count(ConversationMessage.id)).where(
        ConversationMessage.conversation_id == Conversation.id).scalar_subquery())
    stmt = select(Conversation, User.username, count).outerjoin(User, User.id == Conversation.assigned_to_id)
    if only == "failed":
        failed = (select(ConversationMessage.id)
                  .join(OutboundEmail, OutboundEmail.id == ConversationMessage.outbound_email_id)
                  .where(ConversationMessage.conversation_id == Conversation.id,
                         OutboundEmail.status == outbox.FAILED))
        if mine:
            failed = failed.where(OutboundEmail.created_by_id == actor.user_id)
        stmt = stmt.where(failed.exists())
    elif mine:
        stmt = stmt.where(Conversation.assigned_to_id == actor.user_id)
    if only == "closed":
        since = (now or utcnow()) - timedelta(days=RECENTLY_CLOSED_DAYS)
        stmt = stmt.where(Conversation.status == ConversationStatus.CLOSED.value, Conversation.closed_at >= since)
    elif not mine and only is None:
        stmt = stmt.where(Conversation.status == ConversationStatus.QUEUED.value)
    if not mine and queues is not None:
        stmt = stmt.where(Conversation.queue.in_(list(queues)))
    if not include_closed and only is None:
        stmt = stmt.where(Conversation.status != ConversationStatus.CLOSED.value)
    if channel:
        stmt = stmt.where(Conversation.channel == channel)
    if text:
        like = f"%{text.strip()}%"
        stmt = stmt.where(or_(Conversation.subject.ilike(like), Conversation.customer_name.ilike(like),
                              Conversation.customer_address.ilike(like)))
    if only == "closed":
        stmt = stmt.order_by(Conversation.closed_at.desc(), Conversation.id.desc())
    else:
        stmt = stmt.order_by(Conversation.priority, Conversation.due_at.is_(None), Conversation.due_at,
                             Conversation.created_at)
    stmt = stmt.offset(offset).limit(min(limit, 500))
    return [InboxRow(c.id, c.channel, c.queue, c.priority, c.status, c.subject, c.customer_name or
                     c.customer_address or c.customer_phone or "", c.partner_id, username, c.created_at,
                     c.last_message_at, c.due_at, c.first_response_at, n)
            for c, username, n in session.execute(stmt)]


def conversation_view(session: Session, actor: Actor, conversation_id: int) -> ConversationView:
    conversation = session.scalar(select(Conversation).where(Conversation.id == conversation_id).options(
        selectinload(Conversation.messages).selectinload(ConversationMessage.attachments),
        selectinload(Conversation.assigned_to)))
    if conversation is None:
        raise NotFound(f"No conversation {conversation_id}.")
    _require_access(actor, conversation)
    email_ids = [m.outbound_email_id for m in conversation.messages if m.outbound_email_id]
    deliveries = {e.id: e for e in session.scalars(select(OutboundEmail).where(OutboundEmail.id.in_(email_ids)))} \
        if email_ids else {}
    messages = tuple(_message_view(m, deliveries.get(m.outbound_email_id)) for m in conversation.messages)
    c = conversation
    return ConversationView(c.id, c.channel, c.mailbox, c.queue, c.status, c.subject, c.customer_name,
                            c.customer_address, c.customer_phone, c.partner_id, c.interaction_id,
                            c.assigned_to.username if c.assigned_to else None, c.created_at, c.due_at,
                            c.first_response_at, messages)


def _message_view(m: ConversationMessage, email: OutboundEmail | None) -> MessageView:
    files = tuple(AttachmentInfo(a.id, a.filename, a.content_type, a.size, a.content_id, a.inline)
                  for a in m.attachments)
    return MessageView(m.id, m.kind, m.author_name, m.sender, m.recipients, m.subject, m.body_text, m.body_html,
                       m.has_remote_images, m.created_at, m.message_id, m.defects, files,
                       email.status if email else None, email.last_error if email else None)


def attachment_content(session: Session, actor: Actor, attachment_id: int) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of an attachment the actor may see."""
    attachment = session.get(MessageAttachment, attachment_id)
    if attachment is None:
        raise NotFound(f"No attachment {attachment_id}.")
    _require_access(actor, attachment.message.conversation)
    return attachment.filename, attachment.content_type, attachment.content


def reply(session: Session, actor: Actor, conversation_id: int, *, body: str, to: str | None = None,
          cc: list[str] | None = None, subject: str | None = None, attachments: Iterable[NewAttachment] = (),
          forward_to: str | None = None, now: datetime | None = None) -> ConversationMessage:
    """Answer an email thread (or forward it when `forward_to` is given): the
    email is queued in the outbox with the threading headers, and kept in the
    conversation. The first answer meets the first-response due time."""
    attachments = list(attachments)
    texts.check_each({"the text": body, "the recipient": to, "the copies": cc, "the subject": subject,
                      "the address to forward to": forward_to,
                      "the attachment's name": [a.filename for a in attachments],
                      "the attachment's type": [a.content_type for a in attachments]})
    _check_sizes(attachments)
    conversation = _my_conversation(session, actor, conversation_id, Channel.EMAIL.value)
    last = session.scalar(select(ConversationMessage).where(
        ConversationMessage.conversation_id == conversation.id, ConversationMessage.message_id.is_not(None),
        ConversationMessage.kind.in_([MessageKind.INBOUND.value, MessageKind.OUTBOUND.value]))
        .order_by(ConversationMessage.id.desc()).limit(1))
    subject = subject or answer_subject(conversation.subject, forward=bool(forward_to))
    recipient = forward_to or to or conversation.customer_address
    if not recipient:
        raise ValidationError("this conversation has no address to answer to")
    references = [*((last.reference_ids or "").split() if last else ()), *([last.message_id] if last else ())]
    email = outbox.queue_email(session, actor, sender=conversation.mailbox, to=recipient, subject=subject[:250],
                               body=body, partner_id=conversation.partner_id,
                               interaction_id=conversation.interaction_id, cc=cc,
                               in_reply_to=None if forward_to or last is None else last.message_id,
                               references=None if forward_to else references[-20:])
    now = now or utcnow()
    message = ConversationMessage(
        conversation_id=conversation.id, kind=MessageKind.OUTBOUND.value, author_id=actor.user_id,
        author_name=_display_name(session, actor), message_id=email.message_id, in_reply_to=email.in_reply_to,
        reference_ids=email.reference_ids, sender=conversation.mailbox,
        recipients=", ".join([recipient, *(cc or ())]), subject=subject[:250], body_text=body,
        outbound_email_id=email.id, created_at=now)
    message.attachments = [MessageAttachment(filename=_safe_name(a.filename), content_type=a.content_type[:120],
                                             size=len(a.content), content=a.content) for a in attachments]
    quoted = _last_inbound(session, conversation.id) if forward_to else None
    if quoted is not None:  # a forward carries the customer's files along, of the message it quotes
        for original in quoted.attachments:
            message.attachments.append(MessageAttachment(
                filename=original.filename, content_type=original.content_type, size=original.size,
                content=original.content))
    session.add(message)
    if not forward_to:
        conversation.first_response_at = conversation.first_response_at or now
    conversation.last_message_at = now
    session.flush()
    return message


def _check_sizes(attachments: list[NewAttachment]) -> None:
    """Refuse before anything is stored what no mail server would take."""
    if len(attachments) > REPLY_ATTACHMENTS:
        raise ValidationError(f"A reply carries at most {REPLY_ATTACHMENTS} files.")
    for attachment in attachments:
        if len(attachment.content) > ATTACHMENT_BYTES:
            raise ValidationError(f"{attachment.filename} is larger than {ATTACHMENT_BYTES // 1_000_000} MB.")
    if sum(len(a.content) for a in attachments) > REPLY_ATTACHMENT_BYTES:
        raise ValidationError(f"The files of one reply are at most {REPLY_ATTACHMENT_BYTES // 1_000_000} MB "
                              "together.")


def retry_failed(session: Session, actor: Actor, conversation_id: int) -> list[int]:
    """The conversation's emails that failed for good, due again at once (the ids);
    open or closed, the answer still belongs to the customer."""
    conversation = _conversation(session, conversation_id)
    _require_access(actor, conversation)
    failed = session.scalars(select(OutboundEmail.id)
                             .join(ConversationMessage, ConversationMessage.outbound_email_id == OutboundEmail.id)
                             .where(ConversationMessage.conversation_id == conversation_id,
                                    OutboundEmail.status == outbox.FAILED).order_by(OutboundEmail.id)).all()
    if not failed:
        raise Conflict(f"conversation {conversation_id} has no email that failed")
    return [outbox.retry(session, actor, email_id).id for email_id in failed]


def _last_inbound(session: Session, conversation_id: int) -> ConversationMessage | None:
    """The customer's latest message: what the desktop quotes in a forward."""
    return session.scalar(select(ConversationMessage).where(
        ConversationMessage.conversation_id == conversation_id,
        ConversationMessage.kind == MessageKind.INBOUND.value).order_by(ConversationMessage.id.desc()).limit(1))


def chat_reply(session: Session, actor: Actor, conversation_id: int, text: str,
               now: datetime | None = None) -> ConversationMessage:
    texts.check(text, "the chat message")
    conversation = _my_conversation(session, actor, conversation_id, Channel.CHAT.value)
    if conversation.customer_ended_at is not None:
        raise Conflict("The customer ended the chat; nobody would read this. Add your notes and close it.")
    text = (text or "").strip()
    if not text or len(text) > CHAT_TEXT_LENGTH:
        raise ValidationError(f"A chat message has 1 to {CHAT_TEXT_LENGTH} characters.")
    now = now or utcnow()
    line = ConversationMessage(conversation_id=conversation.id, kind=MessageKind.OUTBOUND.value,
                               author_id=actor.user_id, author_name=_display_name(session, actor),
                               body_text=text, created_at=now)
    session.add(line)
    conversation.first_response_at = conversation.first_response_at or now
    conversation.last_message_at = now
    session.flush()
    return line


def add_note(session: Session, actor: Actor, conversation_id: int, text: str) -> ConversationMessage:
    """An internal note: kept with the conversation, never sent to the customer."""
    texts.check(text, "the note")
    conversation = _conversation(session, conversation_id)
    _require_access(actor, conversation)
    text = (text or "").strip()
    if not text or len(text) > NOTE_LENGTH:
        raise ValidationError(f"A note has 1 to {NOTE_LENGTH} characters.")
    note = ConversationMessage(conversation_id=conversation.id, kind=MessageKind.NOTE.value, author_id=actor.user_id,
                               author_name=_display_name(session, actor), body_text=text)
    session.add(note)
    session.flush()
    return note


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
    by = _display_name(session, actor)
    text = f"Transferred to {target} by {by}" + (f": {note}" if note else "")
    session.add(ConversationMessage(conversation_id=conversation.id, kind=MessageKind.NOTE.value,
                                    author_id=actor.user_id, author_name=by, body_text=text))
    session.flush()
    item = _work_item(conversation, actor.username)
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
        return _user(session, to_agent).display_name or to_agent
    queue = queue.strip()
    if not queue or len(queue) > 80:
        raise ValidationError("A queue has a name of 1 to 80 characters.")
    return queue


def messages_of_interaction(session: Session, actor: Actor, interaction_id: int,
                            limit: int = 200) -> list[ConversationMessage]:
    """The messages of one interaction record of an email thread or chat, oldest first.

    A thread reopened by the customer gets a new record each time, and the
    conversation points at the latest; a message belongs to the record that
    was current when it was written: from that record's start to the next
    one's. So the first record keeps its messages, and the new one has only
    its own. Permission: the actor may read the record."""
    from crm.services.interactions import interaction_detail

    record = interaction_detail(session, actor, interaction_id)
    if record.channel not in (Channel.EMAIL.value, Channel.CHAT.value) or \
            not (record.external_id or "").startswith("conversation:"):
        return []
    conversation_id = int(record.external_id.split(":", 1)[1])
    later = session.scalar(select(func.min(Interaction.started_at)).where(
        Interaction.external_id == record.external_id, Interaction.id != record.id,
        or_(Interaction.started_at > record.started_at,
            (Interaction.started_at == record.started_at) & (Interaction.id > record.id))))
    earlier = session.scalar(select(func.count(Interaction.id)).where(
        Interaction.external_id == record.external_id, Interaction.id != record.id,
        or_(Interaction.started_at < record.started_at,
            (Interaction.started_at == record.started_at) & (Interaction.id < record.id))))
    stmt = select(ConversationMessage).where(ConversationMessage.conversation_id == conversation_id)
    if earlier:  # the first record also holds what came before its exact start (it was made with the first message)
        stmt = stmt.where(ConversationMessage.created_at >= record.started_at)
    if later is not None:
        stmt = stmt.where(ConversationMessage.created_at < later)
    return list(session.scalars(stmt.order_by(ConversationMessage.id).limit(limit)))


def set_partner(session: Session, actor: Actor, conversation_id: int, partner_id: int | None) -> None:
    """The agent confirmed (or cleared) who wrote; the interaction follows."""
    conversation = _my_conversation(session, actor, conversation_id)
    if partner_id is not None:
        partner = session.get(BusinessPartner, partner_id)
        if partner is None:
            raise NotFound(f"No business partner with id {partner_id}.")
        require_read(session, actor, partner)
    conversation.partner_id = partner_id
    if conversation.interaction_id:
        session.get(Interaction, conversation.interaction_id).partner_id = partner_id


def close(session: Session, actor: Actor, conversation_id: int, *, outcome: str | None = None,
          reason: str | None = None, notes: str | None = None, now: datetime | None = None) -> Conversation:
    """Done: the conversation leaves the agent's inbox and its interaction record is closed."""
    texts.check_each({"the outcome": outcome, "the reason": reason, "the notes": notes})
    conversation = _my_conversation(session, actor, conversation_id)
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
    return conversation


def close_by_customer(session: Session, token: str) -> Conversation | None:
    """A chat the customer ended; nothing to answer any more."""
    conversation = chat_by_token(session, token)
    if conversation is None or conversation.status == ConversationStatus.CLOSED:
        return None
    now = utcnow()
    conversation.status, conversation.closed_at = ConversationStatus.CLOSED.value, now
    conversation.customer_ended_at = now
    if conversation.interaction_id:
        interaction = session.get(Interaction, conversation.interaction_id)
        interaction.status, interaction.ended_at = InteractionStatus.CLOSED.value, now
    return conversation


# --- helpers -----------------------------------------------------------------------------------


def _conversation(session: Session, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(f"No conversation {conversation_id}.")
    return conversation


def _my_conversation(session: Session, actor: Actor, conversation_id: int, channel: str | None = None
                     ) -> Conversation:
    users.require_active(session, actor)  # a disabled agent's session answers nothing more
    conversation = _conversation(session, conversation_id)
    if channel and conversation.channel != channel:
        raise ValidationError(f"conversation {conversation_id} is a {conversation.channel}, not a {channel}")
    if conversation.status == ConversationStatus.CLOSED:
        raise Conflict(f"conversation {conversation_id} is closed")
    if conversation.assigned_to_id != actor.user_id and not actor.can(Permission.INTERACTION_READ_ANY):
        raise PermissionDenied(f"{actor.username} may not work on conversation {conversation_id}: "
                               "it is not assigned to them")
    return conversation


def _require_agent(actor: Actor) -> None:
    if actor.user_id is None:
        raise ValidationError(f"{actor.username} is not a user of the CRM; log in as an agent")


def _require_access(actor: Actor, conversation: Conversation) -> None:
    if actor.can(Permission.INTERACTION_READ_ANY) or actor.user_id is None:
        return
    if conversation.assigned_to_id in (None, actor.user_id):
        return  # the agent's own, or waiting in a group inbox
    raise PermissionDenied(f"{actor.username} may not read conversation {conversation.id}")


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user {username!r}.")
    return user


def _display_name(session: Session, actor: Actor) -> str:
    """The agent's name under what he writes; AccountDisabled if his account is disabled."""
    users.require_active(session, actor)
    user = session.get(User, actor.user_id) if actor.user_id else None
    return user.display_name if user else actor.username


def _safe_name(name: str) -> str:
    name = re.sub(r"[\x00-\x1f/\\\\]", "_", (name or "").strip()).lstrip(".")
    return (name or "attachment")[:255]
