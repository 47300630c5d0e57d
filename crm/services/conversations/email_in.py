"""Email in: a message stored raw and parsed in one transaction, before the SMTP listener
answers 250 or the IMAP poller moves it (nothing acknowledged is lost). It joins the conversation
it answers (In-Reply-To / References, then the same sender and subject), or opens one; the
sender is identified against the CRM (by address, else by a phone number in the signature); the
caller's `route` decides queue, priority and first-response time."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

import phonenumbers
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from crm import texts
from crm.clock import utcnow
from crm.models import (
    EventKind,
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
    RawEmail,
    User,
)
from crm.conversation_types import strip_reply_prefixes
from crm.services import identify
from crm.services.conversations.queueing import Received, RouteFacts, Router, WorkItem
from crm.services.conversations.steps import log_step


THREAD_BY_SUBJECT_DAYS = 30  # a same-subject mail from the same sender joins a thread this recent
SIGNATURE_LINES = 15  # where phone numbers of an unknown sender are looked for


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
    if work is not None:
        _log_entered(session, work, new_message_id, reopened=thread is not None)
    return Received(conversation_id, new_message_id, thread is None, work is not None and thread is not None,
                    agent, work)


def _log_entered(session: Session, work: WorkItem, message_id: int, *, reopened: bool) -> None:
    """The message that queued the conversation, new or reopened, in the event log (at now to the
    microsecond: the conversation's own times are to the second, its steps follow within one)."""
    step = dict(at=None, channel=work.channel, conversation_id=work.conversation_id, queue=work.queue)
    if reopened:
        log_step(session, key=f"message:{message_id}:reopened", kind=EventKind.REOPENED.value, **step)
    log_step(session, key=f"message:{message_id}:entered", kind=EventKind.ENTERED.value,
             detail={"via": "reopened" if reopened else "new"}, **step)


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
    value_class = db.scalar(VALUE_CLASS, {"id": thread.partner_id}) if thread.partner_id else None
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
    interaction_id = insert_interaction(db, Channel.EMAIL.value, conversation_id, partner_id, queue, subject,
                                         address, mailbox, now)
    db.execute(_UPDATE_CONVERSATION, {"cid": conversation_id, "interaction_id": interaction_id})


def insert_interaction(db, channel, conversation_id: int, partner_id, queue, subject, address, mailbox,
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


VALUE_CLASS = select(BusinessPartner.value_class).where(BusinessPartner.id == bindparam("id"))


def signature_numbers(text: str, region: str = "CN") -> list[str]:
    """Phone numbers in the last lines of a mail (its signature), in E.164."""
    tail = "\n".join((text or "").strip().splitlines()[-SIGNATURE_LINES:])
    found = []
    for match in phonenumbers.PhoneNumberMatcher(tail, region):
        number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        if number not in found:
            found.append(number)
    return found
