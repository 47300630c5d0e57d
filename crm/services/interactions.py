"""What the agent desktop writes into interaction records.

Call segments are created and timed by the CTI gateway (crm.services.calls):
the desktop only fills in what the agent knows, the customer and contact
person, the reason, the outcome and notes, and never touches status or times.
A record without a gateway call (a contact the agent opens, an email answered
by phone) the desktop creates, saves and closes itself.

Who may write a record: its agent. A supervisor or administrator, who may read
every interaction (Permission.INTERACTION_READ_ANY), may also correct one, for
example one whose agent has left. Who may read a record: whoever may read its
customer (crm.permissions.can_read); a record without a customer, its agent and
holders of INTERACTION_READ_ANY.

Each save writes the whole form: a field left None in the draft is cleared.
A change of the linked customer or contact person goes to the audit trail of
each customer concerned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from crm import texts
from crm.clock import utcnow
from crm.errors import NotFound, PermissionDenied, ValidationError
from crm.models import (
    BusinessPartner,
    Channel,
    Direction,
    Interaction,
    InteractionLink,
    InteractionStatus,
)
from crm.permissions import Actor, Permission, require_read
from crm.services import audit

CODE_LENGTH = 40  # interaction.reason_code, outcome_code
NOTES_LENGTH = 20_000
CONTACT_ID_LENGTH = 64


@dataclass(frozen=True)
class InteractionDraft:
    """The agent's part of an interaction record, as the desktop's form holds it."""

    partner_id: int | None = None
    contact_person_id: int | None = None
    reason_code: str | None = None
    outcome_code: str | None = None
    notes: str | None = None


# --- call segments ---------------------------------------------------------------


def my_call_segment(session: Session, actor: Actor, contact_id: str) -> Interaction | None:
    """The actor's latest segment of the call `contact_id` (an agent can have
    two, when the call comes back to him), or None while the gateway has not
    recorded it."""
    user_id = _agent_id(actor)
    _contact_id(contact_id)
    return session.scalar(
        select(Interaction)
        .where(Interaction.contact_id == contact_id, Interaction.agent_id == user_id)
        .order_by(Interaction.segment_no.desc())
        .limit(1))


def save_call_interaction(session: Session, actor: Actor, contact_id: str,
                          draft: InteractionDraft) -> Interaction:
    """Write the draft into the actor's segment of the call. NotFound while the
    gateway has not recorded it (the desktop tries again a little later);
    a draft that cannot be right is refused first, with ValidationError."""
    _agent_id(actor)
    _contact_id(contact_id)
    values = _draft_values(session, actor, draft)
    segment = my_call_segment(session, actor, contact_id)
    if segment is None:
        raise NotFound(f"the gateway has not recorded call {contact_id} for you yet; "
                       "try again in a moment")
    _apply(session, actor, segment, values)
    return segment


# --- records the desktop opens itself ----------------------------------------------


def create_interaction(session: Session, actor: Actor, *, channel: str, direction: str,
                       partner_id: int | None = None, ani: str | None = None,
                       dnis: str | None = None, queue: str | None = None,
                       started_at: datetime | None = None) -> Interaction:
    """Open an interaction record whose agent is the actor (status open)."""
    agent_id = _agent_id(actor)
    if channel not in Channel.values():
        raise ValidationError(f"unknown channel {channel!r} (use {', '.join(Channel.values())})")
    if direction not in Direction.values():
        raise ValidationError(
            f"unknown direction {direction!r} (use {', '.join(Direction.values())})")
    if partner_id is not None:
        _readable_partner(session, actor, partner_id, "customer")
    interaction = Interaction(
        channel=channel, direction=direction, status=InteractionStatus.OPEN.value,
        agent_id=agent_id, partner_id=partner_id,
        ani=_text(ani, 254, "ani"), dnis=_text(dnis, 254, "dnis"),
        queue=_text(queue, 80, "queue"),
        started_at=_time(started_at) if started_at is not None else utcnow(),
    )
    session.add(interaction)
    session.flush()
    if partner_id is not None:
        _audit_links(session, actor, interaction, (None, None), (partner_id, None))
    return interaction


def save_interaction(session: Session, actor: Actor, interaction_id: int,
                     draft: InteractionDraft, *, close: bool = False) -> Interaction:
    """Write the draft into a record the actor may write (see the module's
    docstring); close=True also closes it (status closed, ended_at now unless
    set). A call segment is closed by the gateway, not here."""
    interaction = _interaction(session, interaction_id)
    _require_write(actor, interaction)
    if close and interaction.contact_id is not None:
        raise ValidationError(
            f"interaction {interaction_id} is a segment of call {interaction.contact_id}; "
            "the gateway closes it when wrap-up ends")
    values = _draft_values(session, actor, draft)
    _apply(session, actor, interaction, values)
    if close:
        interaction.status = InteractionStatus.CLOSED.value
        if interaction.ended_at is None:
            interaction.ended_at = utcnow()
        session.flush()
    return interaction


def interaction_detail(session: Session, actor: Actor, interaction_id: int) -> Interaction:
    """One record with its agent and linked transactions, for the history's
    detail pane."""
    interaction = session.scalar(
        select(Interaction).where(Interaction.id == interaction_id)
        .options(selectinload(Interaction.agent),
                 selectinload(Interaction.links).selectinload(InteractionLink.transaction)))
    if interaction is None:
        raise NotFound(f"No interaction with id {interaction_id}.")
    if interaction.partner_id is not None:
        require_read(session, actor, session.get(BusinessPartner, interaction.partner_id))
    elif not _is_agent_or_reader(actor, interaction):
        raise PermissionDenied(
            f"interaction {interaction_id} has no customer and is not yours; "
            f"{actor.username} may read it only with the permission "
            f"{Permission.INTERACTION_READ_ANY.value}")
    return interaction


# --- the draft ---------------------------------------------------------------------


def _draft_values(session: Session, actor: Actor, draft: InteractionDraft) -> dict:
    if draft.partner_id is not None:
        _readable_partner(session, actor, draft.partner_id, "customer")
    if draft.contact_person_id is not None:
        _readable_partner(session, actor, draft.contact_person_id, "contact person")
    return {
        "partner_id": draft.partner_id,
        "contact_person_id": draft.contact_person_id,
        "reason_code": _code(draft.reason_code, "reason_code"),
        "outcome_code": _code(draft.outcome_code, "outcome_code"),
        "notes": _notes(draft.notes),
    }


def _apply(session: Session, actor: Actor, interaction: Interaction, values: dict) -> None:
    before = (interaction.partner_id, interaction.contact_person_id)
    for name, value in values.items():
        setattr(interaction, name, value)
    session.flush()
    after = (interaction.partner_id, interaction.contact_person_id)
    if after != before:
        _audit_links(session, actor, interaction, before, after)


def _audit_links(session: Session, actor: Actor, interaction: Interaction,
                 before: tuple[int | None, int | None],
                 after: tuple[int | None, int | None]) -> None:
    """One entry in the trail of each customer the record was or is now linked to."""
    numbers = _partner_numbers(session, {*before, *after} - {None})
    changes = {}
    if before[0] != after[0]:
        changes["partner"] = [numbers.get(before[0]), numbers.get(after[0])]
    if before[1] != after[1]:
        changes["contact_person"] = [numbers.get(before[1]), numbers.get(after[1])]
    if interaction.contact_id is not None:
        changes["call"] = interaction.contact_id
    for partner_id in dict.fromkeys(p for p in (before[0], after[0]) if p is not None):
        audit.record(session, actor, entity="interaction", entity_id=interaction.id,
                     partner_id=partner_id,
                     action="link" if partner_id == after[0] else "unlink", changes=changes)
    if before[0] is None and after[0] is None:  # a contact person without a customer
        audit.record(session, actor, entity="interaction", entity_id=interaction.id,
                     partner_id=after[1] or before[1],
                     action="link" if after[1] is not None else "unlink", changes=changes)
    session.flush()


def _partner_numbers(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(BusinessPartner.id, BusinessPartner.partner_no)
                                .where(BusinessPartner.id.in_(ids))).all())


def _readable_partner(session: Session, actor: Actor, partner_id, what: str) -> BusinessPartner:
    # ValidationError, not NotFound: NotFound tells the desktop to try again later.
    if isinstance(partner_id, bool) or not isinstance(partner_id, int):
        raise ValidationError(f"the {what} is given by its id, not {partner_id!r}")
    partner = session.get(BusinessPartner, partner_id)
    if partner is None:
        raise ValidationError(f"there is no business partner with id {partner_id} "
                              f"to link as the {what}")
    require_read(session, actor, partner)
    return partner


def _code(value, name: str) -> str | None:
    value = _text(value, None, name)
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > CODE_LENGTH:
        raise ValidationError(f"{name} has at most {CODE_LENGTH} characters: {value[:40]!r}...")
    return value


def _notes(value) -> str | None:
    value = _text(value, None, "notes")
    if value is None or not value.strip():
        return None
    if len(value) > NOTES_LENGTH:
        raise ValidationError(
            f"the notes have {len(value)} characters; at most {NOTES_LENGTH} are kept")
    return value


# --- checks ---------------------------------------------------------------------------


def _agent_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise ValidationError(
            f"{actor.username} is not a user of the CRM; interaction records belong to agents")
    return actor.user_id


def _contact_id(contact_id) -> None:
    if not isinstance(contact_id, str) or not contact_id.strip():
        raise ValidationError("a call is named by its contact id")
    if len(contact_id) > CONTACT_ID_LENGTH:
        raise ValidationError(f"a contact id has at most {CONTACT_ID_LENGTH} characters")
    texts.check(contact_id, "the contact id")


def _interaction(session: Session, interaction_id: int) -> Interaction:
    interaction = session.get(Interaction, interaction_id)
    if interaction is None:
        raise NotFound(f"No interaction with id {interaction_id}.")
    return interaction


def _is_agent_or_reader(actor: Actor, interaction: Interaction) -> bool:
    if actor.user_id is not None and interaction.agent_id == actor.user_id:
        return True
    return actor.can(Permission.INTERACTION_READ_ANY)


def _require_write(actor: Actor, interaction: Interaction) -> None:
    if not _is_agent_or_reader(actor, interaction):
        raise PermissionDenied(
            f"interaction {interaction.id} is another agent's; {actor.username} "
            f"({actor.role}) may change only his own records")


def _text(value, limit: int | None, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{name} is text, not {type(value).__name__}")
    texts.check(value, _FIELD_WORDS.get(name, f"the {name}"))
    if limit is not None and len(value) > limit:
        raise ValidationError(f"{name} is longer than {limit} characters: {value[:40]!r}...")
    return value


_FIELD_WORDS = {"ani": "the caller's number (ANI)", "dnis": "the dialled number (DNIS)",
                "reason_code": "the reason", "outcome_code": "the outcome"}


def _time(value) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(f"started_at is a date and time, not {value!r}")
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value
