"""Who may read and work a conversation, and the small lookups every capability shares."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.errors import Conflict, NotFound, PermissionDenied, ValidationError
from crm.models import Conversation, ConversationStatus, User
from crm.permissions import Actor, Permission
from crm.services import users


def conversation_or_404(session: Session, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(f"No conversation {conversation_id}.")
    return conversation


def my_conversation(session: Session, actor: Actor, conversation_id: int, channel: str | None = None
                     ) -> Conversation:
    users.require_active(session, actor)  # a disabled agent's session answers nothing more
    conversation = conversation_or_404(session, conversation_id)
    if channel and conversation.channel != channel:
        raise ValidationError(f"conversation {conversation_id} is a {conversation.channel}, not a {channel}")
    if conversation.status == ConversationStatus.CLOSED:
        raise Conflict(f"conversation {conversation_id} is closed")
    if conversation.assigned_to_id != actor.user_id and not actor.can(Permission.INTERACTION_READ_ANY):
        raise PermissionDenied(f"{actor.username} may not work on conversation {conversation_id}: "
                               "it is not assigned to them")
    return conversation


def require_agent(actor: Actor) -> None:
    if actor.user_id is None:
        raise ValidationError(f"{actor.username} is not a user of the CRM; log in as an agent")


def require_access(actor: Actor, conversation: Conversation) -> None:
    if actor.can(Permission.INTERACTION_READ_ANY) or actor.user_id is None:
        return
    if conversation.assigned_to_id in (None, actor.user_id):
        return  # the agent's own, or waiting in a group inbox
    raise PermissionDenied(f"{actor.username} may not read conversation {conversation.id}")


def user_named(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user {username!r}.")
    return user


def display_name(session: Session, actor: Actor) -> str:
    """The agent's name under what he writes; AccountDisabled if his account is disabled."""
    users.require_active(session, actor)
    user = session.get(User, actor.user_id) if actor.user_id else None
    return user.display_name if user else actor.username


def safe_name(name: str) -> str:
    name = re.sub(r"[\x00-\x1f/\\\\]", "_", (name or "").strip()).lstrip(".")
    return (name or "attachment")[:255]
