"""The Action Box on the service: the verified context of a contact
(`POST /v1/action-context`) and running an action
(`POST /v1/actions/{action_id}/runs`), the agent's follow-ups, and the status
of the emails he queued.

The desktop sends the facts of the contact (whom it is for, the call, the
script's answers) and the form's values; the context is read again here
with the session's actor, and the action, its plugins and its templates run
here (templates in their sandbox), so nothing the desktop says is taken for
what the CRM holds. The layout and email templates are the agent's profile's,
the emails' sender is the service's ([mail] sender). Queued emails are sent
by the mail queue with the rest of the outbox.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from action_box.model import CallFacts, Context, Done
from app_service.actions_results import CompletedFollowUp
from app_service.app import Token, reply, signed_in
from crm.errors import NotFound
from crm.permissions import Actor
from crm.services.outbox import EmailStatus
from crm.services.transactions import FollowUp

router = APIRouter(prefix="/v1", tags=["action box"])

MAX_EMAIL_IDS = 200


class CallFactsIn(BaseModel):
    call_id: str | None = Field(default=None, max_length=200)
    ani: str = Field(default="", max_length=200)
    dnis: str = Field(default="", max_length=200)
    queue: str | None = Field(default=None, max_length=200)
    active: bool = False  # the call is still in progress


class ActionFacts(BaseModel):
    """Whom and what the actions are for; the service reads the rest from the CRM."""

    partner_id: int | None = Field(default=None, ge=1)
    contact_person_id: int | None = Field(default=None, ge=1)
    call: CallFactsIn | None = None
    answers: dict[str, Any] = Field(default_factory=dict, max_length=500,
                                    description="The call script's answers by question id")
    language: str = Field(default="en", max_length=16, pattern=r"^[A-Za-z_-]*$")


class ActionRun(BaseModel):
    facts: ActionFacts
    values: dict[str, Any] = Field(default_factory=dict, max_length=100, description="The form's values by field")


@router.post("/action-context", response_model=Context,
             summary="The verified context of the Action Box for a contact: what its forms offer and need")
def action_context(body: ActionFacts, request: Request, token: str = Token):
    with signed_in(request, token) as (session, who):
        context, _actions = _context(request, session, who.actor, body)
        return reply(context)


@router.post("/actions/{action_id}/runs", response_model=Done,
             summary="Run an action with the form's values; what it created is linked to the call's record")
def run_action(body: ActionRun, request: Request, action_id: str = Path(max_length=80), token: str = Token):
    from action_box import execute

    with signed_in(request, token, writing=True) as (session, who):
        context, actions = _context(request, session, who.actor, body.facts)
        action = actions.get(action_id)
        if action is None:
            raise NotFound(f"No action {action_id!r} is installed on the application service.")
        values = _typed_values(action.fields(context), body.values)
        return reply(execute.perform(session, who.actor, action, context, values))


def _context(request: Request, session, actor: Actor, facts: ActionFacts) -> tuple[Context, dict]:
    """The context read from the CRM, and the actions of the agent's layout."""
    from action_box.context import load_context
    from action_box.layout import effective
    from action_box.registry import all_actions
    from crm.services.profiles import agent_profile

    layout = effective(agent_profile(session, actor).action_box)
    call = CallFacts(**facts.call.model_dump()) if facts.call is not None else None
    context = load_context(session, actor, partner_id=facts.partner_id, contact_person_id=facts.contact_person_id,
                           call=call, answers=facts.answers, sender=request.app.state.mail_sender,
                           language=facts.language or "en",
                           email_templates=tuple(layout.get("email_templates", ())))
    return context, all_actions(layout)


def _typed_values(fields, values: dict[str, Any]) -> dict[str, Any]:
    """Dates and times arrive as ISO text; the action's checks want them as dates and times
    (a text that is neither stays text, and the checks say so)."""
    typed = dict(values)
    for field in fields:
        value = typed.get(field.name)
        if not isinstance(value, str) or not value:
            continue
        try:
            if field.kind == "date":
                typed[field.name] = date.fromisoformat(value)
            elif field.kind == "time":
                typed[field.name] = time.fromisoformat(value)
        except ValueError:
            pass
    return typed


# --- follow-ups ---------------------------------------------------------------------------------


@router.get("/follow-ups", response_model=list[FollowUp],
            summary="The open callbacks and tasks of the agent and his team, the most urgent first")
def follow_ups(request: Request, token: str = Token):
    from crm.services import transactions

    with signed_in(request, token) as (session, who):
        return reply(transactions.follow_ups_for(session, who.actor))


@router.post("/follow-ups/{transaction_id}/complete", response_model=CompletedFollowUp,
             summary="Mark one's own (or one's team's) callback or task done")
def complete_follow_up(request: Request, transaction_id: int = Path(ge=1), token: str = Token):
    from crm.services import transactions

    with signed_in(request, token, writing=True) as (session, who):
        done = transactions.complete_follow_up(session, who.actor, transaction_id)
        return reply(CompletedFollowUp(done.id, done.number))


# --- the outbox -----------------------------------------------------------------------------------


@router.get("/outbox", response_model=list[EmailStatus],
            summary="How the emails one queued are doing (the mail queue sends the outbox)")
def email_status(request: Request, ids: list[int] = Query(max_length=MAX_EMAIL_IDS), token: str = Token):
    from crm.services import outbox

    with signed_in(request, token) as (session, who):
        return reply(outbox.statuses_for(session, who.actor, ids))
