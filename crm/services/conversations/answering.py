"""What an agent writes into a conversation: an email reply (sent by the outbox), a chat
line, an internal note, and sending again replies that failed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import texts
from crm.clock import utcnow
from crm.errors import Conflict, ValidationError
from crm.models import Channel, ConversationMessage, MessageAttachment, MessageKind, OutboundEmail
from crm.permissions import Actor
from crm.conversation_types import (
    ATTACHMENT_BYTES,
    NOTE_LENGTH,
    REPLY_ATTACHMENT_BYTES,
    REPLY_ATTACHMENTS,
    NewAttachment,
    answer_subject,
)
from crm.services import outbox
from crm.services.conversations.chat_in import CHAT_TEXT_LENGTH
from crm.services.conversations.steps import log_reply
from crm.services.conversations.access import (
    conversation_or_404,
    display_name,
    my_conversation,
    require_access,
    safe_name,
)


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
    conversation = my_conversation(session, actor, conversation_id, Channel.EMAIL.value)
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
        author_name=display_name(session, actor), message_id=email.message_id, in_reply_to=email.in_reply_to,
        reference_ids=email.reference_ids, sender=conversation.mailbox,
        recipients=", ".join([recipient, *(cc or ())]), subject=subject[:250], body_text=body,
        outbound_email_id=email.id, created_at=now)
    message.attachments = [MessageAttachment(filename=safe_name(a.filename), content_type=a.content_type[:120],
                                             size=len(a.content), content=a.content) for a in attachments]
    quoted = _last_inbound(session, conversation.id) if forward_to else None
    if quoted is not None:  # a forward carries the customer's files along, of the message it quotes
        for original in quoted.attachments:
            message.attachments.append(MessageAttachment(
                filename=original.filename, content_type=original.content_type, size=original.size,
                content=original.content))
    session.add(message)
    first = conversation.first_response_at is None
    if not forward_to:
        conversation.first_response_at = conversation.first_response_at or now
    conversation.last_message_at = now
    session.flush()
    if not forward_to:  # a forward goes to someone else: the customer is still to be answered
        log_reply(session, conversation, message.id, actor.username, first=first)
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
    conversation = conversation_or_404(session, conversation_id)
    require_access(actor, conversation)
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
    conversation = my_conversation(session, actor, conversation_id, Channel.CHAT.value)
    if conversation.customer_ended_at is not None:
        raise Conflict("The customer ended the chat; nobody would read this. Add your notes and close it.")
    text = (text or "").strip()
    if not text or len(text) > CHAT_TEXT_LENGTH:
        raise ValidationError(f"A chat message has 1 to {CHAT_TEXT_LENGTH} characters.")
    now = now or utcnow()
    line = ConversationMessage(conversation_id=conversation.id, kind=MessageKind.OUTBOUND.value,
                               author_id=actor.user_id, author_name=display_name(session, actor),
                               body_text=text, created_at=now)
    session.add(line)
    first = conversation.first_response_at is None
    conversation.first_response_at = conversation.first_response_at or now
    conversation.last_message_at = now
    session.flush()
    log_reply(session, conversation, line.id, actor.username, first=first)
    return line


def add_note(session: Session, actor: Actor, conversation_id: int, text: str) -> ConversationMessage:
    """An internal note: kept with the conversation, never sent to the customer."""
    texts.check(text, "the note")
    conversation = conversation_or_404(session, conversation_id)
    require_access(actor, conversation)
    text = (text or "").strip()
    if not text or len(text) > NOTE_LENGTH:
        raise ValidationError(f"A note has 1 to {NOTE_LENGTH} characters.")
    note = ConversationMessage(conversation_id=conversation.id, kind=MessageKind.NOTE.value, author_id=actor.user_id,
                               author_name=display_name(session, actor), body_text=text)
    session.add(note)
    session.flush()
    return note
