"""Whom the Action Box acts for, and on what facts: the contact with its confirmed
partner and contact person, the call, the script's answers. The application service
reads the verified context from these facts; when whom it is for changes, the old
context must not be used while the new one loads.

Plain Python (no Qt), read from the workbench model.
"""

from __future__ import annotations

from action_box.model import CallFacts, unavailable
from agent_desktop.workbench import QT_TRANSLATE_NOOP, IdStatus, Phase, Workbench

Identity = tuple[str, int | None, int | None]  # contact key, confirmed partner, contact person


def identity(bench: Workbench) -> Identity | None:
    """Whom the actions are for now: the contact, its confirmed partner and contact person."""
    contact = bench.contact
    if contact is None:
        return None
    ident = contact.identification
    partner = ident.partner if ident.status is IdStatus.CONFIRMED else None
    person = ident.contact_person if partner is not None else None
    return (contact.key, partner.partner_id if partner else None, person.partner_id if person else None)


def facts(bench: Workbench, language: str) -> dict | None:
    """What the context is read from (the arguments of crm_access.action_context), or None
    without a contact. `language`: the agent's, as "zh" or "en"."""
    contact = bench.contact
    if contact is None:
        return None
    ident = contact.identification
    partner = ident.partner if ident.status is IdStatus.CONFIRMED else None
    call = None
    if contact.call_id or contact.ani:
        active = contact.phase is not Phase.WRAP_UP and bench.current_call() is not None
        call = CallFacts(contact.call_id, contact.ani, contact.dnis, contact.queue, active)
    answers = {a.node: a.value for a in contact.script.recorded()} if contact.script else {}
    return dict(partner_id=partner.partner_id if partner else None,
                contact_person_id=ident.contact_person.partner_id if partner and ident.contact_person else None,
                call=call, answers=answers, language=language)


def why_not(bench: Workbench, context, action) -> str | None:
    """Why `action` is disabled now ("confirm the caller first"), or None; `context` is the
    one loaded for the contact (None while it loads)."""
    if bench.contact is None:
        return QT_TRANSLATE_NOOP("actions", "no contact in the workspace")
    if context is None:
        return QT_TRANSLATE_NOOP("actions", "loading the customer's data")
    return unavailable(action, context)


def pending_emails(statuses: dict[int, object]) -> list[int]:
    """The emails of this desktop whose status is not known yet or still queued in the outbox."""
    return [email_id for email_id, status in statuses.items()
            if status is None or getattr(status, "status", None) == "queued"]
