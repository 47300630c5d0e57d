"""Account identification around the CRM's lookups: which lookup a new contact
needs (the partner a previous agent confirmed, else the number that called or
was dialled), the contact person a transfer names (how a partner read for the picker
joins the matches is the workbench's `match_loaded`), and whose data fills in
an answer to an email or chat.

Plain Python (no Qt): the controller runs the lookups off the GUI thread and
hands their results to the workbench, which applies these rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from app_service.partner_results import PartnerMatch, PartnerRef
from agent_desktop.workbench import DATA_CONTACT_PERSON, DATA_PARTNER, Contact, Workbench


@dataclass(frozen=True)
class Lookup:
    """How to identify a contact's customer: by the partner number a previous agent confirmed
    (with the contact person he chose), or by a phone number."""

    partner_no: str | None = None
    contact_person_no: str | None = None
    number: str = ""


def lookup_for(contact: Contact) -> Lookup:
    """The offer's data names the partner a previous agent confirmed; else an outbound call's
    customer is the number dialled, and an inbound caller's the ANI."""
    partner_no = contact.offer_data.get(DATA_PARTNER)
    if partner_no:
        return Lookup(partner_no=str(partner_no), contact_person_no=contact.offer_data.get(DATA_CONTACT_PERSON))
    return Lookup(number=contact.dnis if contact.kind == "outbound" else contact.ani)


def person_named(found: list[PartnerMatch], contact_person_no: str | None) -> PartnerRef | None:
    """The contact person of the partner found whom a transfer's data names, if he is one."""
    if not contact_person_no or not found:
        return None
    return next((p for p in found[0].contact_persons if p.partner_no == contact_person_no), None)


def confirmed_for(bench: Workbench, conversation_id: int) -> tuple[int | None, int | None]:
    """The partner (and contact person) the agent confirmed, when this conversation is the
    workspace's contact; another contact's customer must never fill in its answer (None, None:
    the conversation's own customer, as the CRM knows him)."""
    contact, partner = bench.contact, bench.confirmed_partner
    if contact is None or partner is None or contact.conversation_id != conversation_id:
        return None, None
    person = contact.identification.contact_person
    return partner.partner_id, person.partner_id if person else None


class ConversationLinks:
    """The agent confirmed who the customer of an email or chat is: the conversation and its
    interaction record are linked to him (once per partner), so later mail finds him."""

    def __init__(self) -> None:
        self._linked: dict[int, int] = {}  # conversation -> the partner stored as its customer

    def due(self, bench: Workbench) -> tuple[int, int] | None:
        """The conversation and partner to link now, if the workspace's contact is an email or
        chat whose confirmed partner is not stored with it yet; from then on it counts as linked."""
        contact, partner = bench.contact, bench.confirmed_partner
        if contact is None or contact.conversation_id is None or partner is None:
            return None
        if self._linked.get(contact.conversation_id) == partner.partner_id:
            return None
        self._linked[contact.conversation_id] = partner.partner_id
        return contact.conversation_id, partner.partner_id

    def failed(self, conversation_id: int) -> None:
        """The link was not stored: the next confirmation tries again."""
        self._linked.pop(conversation_id, None)
