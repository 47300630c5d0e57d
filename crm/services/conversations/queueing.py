"""What the mail queue's router sees of a conversation and decides for it: the facts routing
rules look at, the route they choose, the work item it queues, and the assignment it stores."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.clock import utcnow
from crm.errors import Conflict, NotFound
from crm.models import Conversation, ConversationStatus, Interaction, User
from crm.services.conversations.access import conversation_or_404, user_named


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


def open_work(session: Session) -> list[WorkItem]:
    """Every conversation not closed: what the router rebuilds its queues from."""
    rows = session.execute(select(Conversation, User.username).outerjoin(User, User.id == Conversation.assigned_to_id)
                           .where(Conversation.status != ConversationStatus.CLOSED.value)
                           .order_by(Conversation.id))
    return [work_item_of(c, username) for c, username in rows]


def work_item(session: Session, conversation_id: int) -> WorkItem:
    conversation = conversation_or_404(session, conversation_id)
    return work_item_of(conversation, conversation.assigned_to.username if conversation.assigned_to else None)


def work_item_of(c: Conversation, username: str | None) -> WorkItem:
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
    user = user_named(session, agent) if agent else None
    conversation.status = status
    conversation.assigned_to_id = user.id if user and status == ConversationStatus.ASSIGNED else None
    if status == ConversationStatus.ASSIGNED and user is not None:
        interaction = session.get(Interaction, conversation.interaction_id) if conversation.interaction_id else None
        if interaction is not None:
            interaction.agent_id = user.id
            interaction.answered_at = interaction.answered_at or (now or utcnow())
    return conversation
