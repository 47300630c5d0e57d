"""Supervisors' broadcasts to the agents' desktops: who may send one and what
it may say. The CTI gateway delivers them; the CRM decides who may send."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from crm import texts
from crm.errors import ValidationError
from crm.models import User
from crm.permissions import Actor, Permission
from crm.services.users import authenticate

MAX_BROADCAST_LENGTH = 500  # characters: a line or two in the desktop's message area


@dataclass(frozen=True)
class BroadcastSender:
    username: str
    display_name: str


def authorize_broadcast(session: Session, username: str, password: str, text: str) -> BroadcastSender:
    """The sender of a broadcast after checking the password and the
    permission; AuthenticationFailed, PermissionDenied or ValidationError."""
    return broadcast_sender(session, authenticate(session, username, password), text)


def broadcast_sender(session: Session, actor: Actor, text: str) -> BroadcastSender:
    """The sender of a broadcast, the actor of a checked session, if he may send it
    (PermissionDenied or ValidationError otherwise)."""
    actor.require(Permission.AGENT_BROADCAST, "broadcast to the agents' desktops")
    clean = texts.check(text, "the broadcast").strip()
    if not clean:
        raise ValidationError("A broadcast needs a text.")
    if len(clean) > MAX_BROADCAST_LENGTH:
        raise ValidationError(f"A broadcast holds at most {MAX_BROADCAST_LENGTH} characters, not {len(clean)}.")
    user = session.get(User, actor.user_id)
    return BroadcastSender(actor.username, (user.display_name if user else None) or actor.username)
