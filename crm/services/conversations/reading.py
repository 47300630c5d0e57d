"""What an agent reads: his inbox and the group inboxes, a conversation with its messages
and attachments, the messages of an interaction in the history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from crm import texts
from crm.clock import utcnow
from crm.errors import NotFound, ValidationError
from crm.models import (
    Channel,
    Conversation,
    ConversationMessage,
    ConversationStatus,
    Interaction,
    MessageAttachment,
    OutboundEmail,
    User,
)
from crm.permissions import Actor
from crm.conversation_types import AttachmentInfo, ConversationView, InboxRow, MessageView
from crm.services import outbox
from crm.services.conversations.access import require_access, require_agent


RECENTLY_CLOSED_DAYS = 7  # how far back the inbox's "recently closed" looks


def inbox(session: Session, actor: Actor, *, mine: bool = True, queues: Iterable[str] | None = None,
          channel: str | None = None, include_closed: bool = False, text: str | None = None,
          only: str | None = None, offset: int = 0, limit: int = 100, now: datetime | None = None
          ) -> list[InboxRow]:
    """The agent's own conversations, or the group inbox of `queues`: due first.

    `only`: "failed", conversations with an email that could not be sent (the
    agent's own emails in his list), closed ones too; "closed", those closed
    in the last RECENTLY_CLOSED_DAYS, latest first."""
    require_agent(actor)
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
    require_access(actor, conversation)
    email_ids = [m.outbound_email_id for m in conversation.messages if m.outbound_email_id]
    deliveries: dict[int | None, OutboundEmail] = {
        e.id: e for e in session.scalars(select(OutboundEmail).where(OutboundEmail.id.in_(email_ids)))
    } if email_ids else {}
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
    require_access(actor, attachment.message.conversation)
    return attachment.filename, attachment.content_type, attachment.content


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
    conversation_id = int((record.external_id or "").split(":", 1)[1])
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
