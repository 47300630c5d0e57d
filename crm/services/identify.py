"""Account identification: which partner is calling or writing?

The gateway feeds it the ANI, the mail queue the sender address, the agent a
customer number. The answer is zero, one or many partners, each with its
contact persons (for an organization) or the organizations it is contact
person of (for a person), so the agent can confirm who is on the line.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from crm.clock import utcnow
from crm.errors import ValidationError
from crm.models import (
    BusinessPartner,
    EmailAddress,
    PartnerRelationship,
    PhoneNumber,
    RelationshipKind,
)
from crm.permissions import Actor, visible_partners_clause
from crm.phones import normalize_phone

MAX_MATCHES = 50


@dataclass(frozen=True)
class PartnerRef:
    partner_id: int
    partner_no: str
    name: str
    kind: str
    function: str | None = None  # the contact person's function at the organization


@dataclass(frozen=True)
class Identified:
    partner: PartnerRef
    matched_by: str  # "phone", "phone digits", "email", "customer number"
    contact_persons: tuple[PartnerRef, ...] = ()
    organizations: tuple[PartnerRef, ...] = ()


def identify_by_phone(session: Session, actor: Actor, number: str,
                      region: str = "CN") -> list[Identified]:
    phone = normalize_phone(number, region)
    if not phone.digits:
        raise ValidationError(f"{number!r} contains no digits to look up")
    if phone.e164:
        ids = _partner_ids(session, select(PhoneNumber.partner_id).where(PhoneNumber.e164 == phone.e164))
        if ids:
            return _identified(session, actor, ids, "phone")
    # Numbers stored as typed because they could not be normalized.
    ids = _partner_ids(session, select(PhoneNumber.partner_id).where(
        PhoneNumber.digits == phone.digits, PhoneNumber.is_valid.is_(False)))
    return _identified(session, actor, ids, "phone digits")


def identify_by_email(session: Session, actor: Actor, address: str) -> list[Identified]:
    address = address.strip().lower()
    if "@" not in address:
        raise ValidationError(f"{address!r} is not an email address")
    ids = _partner_ids(session, select(EmailAddress.partner_id).where(EmailAddress.address_lower == address))
    return _identified(session, actor, ids, "email")


def identify_by_number(session: Session, actor: Actor, partner_no: str) -> list[Identified]:
    value = partner_no.strip().upper()
    if not value:
        raise ValidationError("a customer number is needed")
    ids = _partner_ids(session, select(BusinessPartner.id).where(BusinessPartner.partner_no == value))
    return _identified(session, actor, ids, "customer number")


def _partner_ids(session: Session, stmt) -> list[int]:
    return list(dict.fromkeys(session.scalars(stmt.limit(MAX_MATCHES))))


def _identified(session: Session, actor: Actor, ids: list[int], matched_by: str) -> list[Identified]:
    if not ids:
        return []
    partners = session.execute(
        select(BusinessPartner.id, BusinessPartner.partner_no, BusinessPartner.name, BusinessPartner.kind)
        .where(BusinessPartner.id.in_(ids), BusinessPartner.is_archived.is_(False),
               visible_partners_clause(actor))
        .order_by(BusinessPartner.name)
    ).all()
    contacts, orgs = related_partners(session, [p.id for p in partners])
    return [
        Identified(
            partner=PartnerRef(p.id, p.partner_no, p.name, p.kind),
            matched_by=matched_by,
            contact_persons=tuple(contacts.get(p.id, ())),
            organizations=tuple(orgs.get(p.id, ())),
        )
        for p in partners
    ]


def related_partners(session: Session, ids: list[int]):
    """Currently valid contact-person relationships touching `ids`, both ways:
    ({organization id: [its contact persons]}, {person id: [its organizations]})."""
    if not ids:
        return {}, {}
    today = utcnow().date()
    person = aliased(BusinessPartner)
    org = aliased(BusinessPartner)
    rows = session.execute(
        select(PartnerRelationship.partner_id, PartnerRelationship.related_partner_id,
               PartnerRelationship.function,
               person.partner_no, person.name, person.kind,
               org.partner_no.label("org_no"), org.name.label("org_name"), org.kind.label("org_kind"))
        .join(person, person.id == PartnerRelationship.partner_id)
        .join(org, org.id == PartnerRelationship.related_partner_id)
        .where(
            PartnerRelationship.kind == RelationshipKind.CONTACT_PERSON_OF.value,
            or_(PartnerRelationship.partner_id.in_(ids), PartnerRelationship.related_partner_id.in_(ids)),
            or_(PartnerRelationship.valid_from.is_(None), PartnerRelationship.valid_from <= today),
            or_(PartnerRelationship.valid_to.is_(None), PartnerRelationship.valid_to >= today),
        )
        .order_by(func.lower(person.name))
    ).all()
    contacts: dict[int, list[PartnerRef]] = {}
    orgs: dict[int, list[PartnerRef]] = {}
    wanted = set(ids)
    for r in rows:
        if r.related_partner_id in wanted:
            contacts.setdefault(r.related_partner_id, []).append(
                PartnerRef(r.partner_id, r.partner_no, r.name, r.kind, r.function))
        if r.partner_id in wanted:
            orgs.setdefault(r.partner_id, []).append(
                PartnerRef(r.related_partner_id, r.org_no, r.org_name, r.org_kind, r.function))
    return contacts, orgs
