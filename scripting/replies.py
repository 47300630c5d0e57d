"""Reply templates for emails and chats, rendered in the script sandbox with the
customer's data and the conversation's: what the agent inserts into an answer."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crm.models import User
from crm.permissions import Actor
from crm.services.conversations import reading
from crm.conversation_types import ConversationView
from scripting.context import contact_person_values, partner_values
from scripting.templates import Rendered, make_context, render


def render_reply(session: Session, actor: Actor, conversation_id: int, body: str, *, partner_id: int | None,
                 contact_person_id: int | None = None) -> Rendered:
    """`body` rendered for the conversation (read afresh: the actor must be allowed to read it)
    and the customer the agent confirmed, or else the conversation's own (he must be allowed
    to read him too)."""
    view = reading.conversation_view(session, actor, conversation_id)
    partner_id = partner_id if partner_id is not None else view.partner_id
    partner = partner_values(session, actor, partner_id) if partner_id else None
    person = (contact_person_values(session, actor, contact_person_id, organization_id=partner_id)
              if contact_person_id else None)
    user = session.get(User, actor.user_id) if actor.user_id else None
    agent_name = user.display_name if user else actor.username
    return render(body, make_context(partner=partner, contact_person=person,
                                     agent={"name": agent_name, "username": actor.username},
                                     conversation=conversation_values(view)))


def conversation_values(view: ConversationView) -> dict:
    """What a reply template may say about the conversation (CONTEXT['conversation'])."""
    first = next((m for m in view.messages if m.kind == "inbound"), None)
    return {"subject": view.subject, "customer": view.customer_name or view.customer_address or "",
            "address": view.customer_address or view.customer_phone or "", "channel": view.channel,
            "received": first.at.strftime("%Y-%m-%d") if first else "", "mailbox": view.mailbox}
