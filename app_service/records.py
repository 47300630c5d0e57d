"""The work behind saving the agent's contact: its interaction record, the call
script run with it, and the Action Box's transactions and emails linked to it,
in one transaction."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from crm.errors import NotFound, PermissionDenied, ValidationError
from crm.models import OutboundEmail
from crm.permissions import Actor
from crm.services import interactions as interaction_service
from crm.services import scripts as script_service
from crm.services.transactions import link_to_interaction
from app_service.record_results import ContactRecord, ScriptState

log = logging.getLogger("cicada.app")


def save_contact(session: Session, actor: Actor, record: ContactRecord) -> int:
    """Write the agent's part of the record; the record's id. crm's NotFound while the
    gateway has not written the call's segment (the desktop tries again)."""
    draft = interaction_service.InteractionDraft(
        partner_id=record.partner_id, contact_person_id=record.contact_person_id,
        reason_code=record.reason_code or None, outcome_code=record.outcome_code or None,
        notes=record.notes or None)
    record_id = None
    if record.interaction_id:  # an email or chat: the mail queue made its record
        record_id = interaction_service.save_interaction(session, actor, record.interaction_id, draft, close=True).id
    elif record.call_id:
        try:
            record_id = interaction_service.save_call_interaction(session, actor, record.call_id, draft).id
        except NotFound:
            if not record.lost:
                raise
            # The gateway lost the call before writing it: keep the agent's work anyway.
    if record_id is None:
        made = interaction_service.create_interaction(
            session, actor, channel="phone", direction="outbound" if record.kind == "outbound" else "inbound",
            partner_id=draft.partner_id, ani=record.ani or None, dnis=record.dnis or None, queue=record.queue,
            started_at=datetime.utcfromtimestamp(record.offered_at) if record.offered_at else None)
        record_id = interaction_service.save_interaction(session, actor, made.id, draft, close=True).id
    if record.script is not None:
        try:
            save_script_run(session, actor, record.script, call_id=record.call_id, partner_id=record.partner_id,
                            interaction_id=record_id)
        except script_service.RunHandedOver as exc:
            # The colleague's newer answers stay; the record is linked to the run all the same.
            log.info("the script run is not saved with the record: %s", exc)
    _link_actions(session, actor, record, record_id)
    return record_id


def _link_actions(session: Session, actor: Actor, record: ContactRecord, record_id: int) -> None:
    """What the Action Box created during the contact, linked to its record (again:
    linking twice is harmless). Only the agent's own emails are linked."""
    for done in record.actions_done:
        if done.transaction_id:
            try:
                link_to_interaction(session, actor, record_id, done.transaction_id)
            except NotFound:
                log.warning("the transaction %s of this contact is gone", done.transaction_id)
        if done.email_id:
            email = session.get(OutboundEmail, done.email_id)
            if email is None:
                continue
            if email.created_by_id != actor.user_id:
                raise PermissionDenied(f"The email {done.email_id} is not one you wrote.")
            if email.interaction_id is None:
                email.interaction_id = record_id


def save_script_run(session: Session, actor: Actor, script: ScriptState, *, call_id: str | None,
                    partner_id: int | None, interaction_id: int | None = None) -> int:
    """Write a script run as it stands; crm's NotFound while the gateway has not recorded
    the call for this agent."""
    from scripting.document import from_builtins
    from scripting.records import run_record
    from scripting.runner import RunError, ScriptRun
    from scripting.templates import make_context

    stored = script_service.get_version(session, actor, script.name, script.version)
    try:
        run = ScriptRun.from_state(from_builtins(stored.document), script.state, make_context())
    except (RunError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValidationError(f"the script run's state does not fit {script.name} v{script.version}: {exc}") from None
    return script_service.save_run(session, actor, run_record(run, partner_id=partner_id),
                                   contact_id=call_id, interaction_id=interaction_id)
