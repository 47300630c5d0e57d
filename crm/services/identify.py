"""Account identification: which partner is calling or writing?

The gateway feeds it the ANI, the mail queue the sender address, the agent a
customer number. The answer is zero, one or many partners, each with its
contact persons (for an organization) or the organizations it is contact
person of (for a person), so the agent can confirm who is on the line.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BindParameter, bindparam, func, or_, select
from sqlalchemy.orm import Session, aliased

from crm import texts
from crm.clock import utcnow
from crm.errors import ValidationError
from crm.models import (
    BusinessPartner,
    EmailAddress,
    PartnerRelationship,
    PhoneNumber,
    RelationshipKind,
)
from crm.permissions import Actor, Permission, visible_partners_clause
from crm.phones import normalize_phone

MAX_MATCHES = 50
# Built once: constructing an alias costs more than the query it serves.
_PERSON = aliased(BusinessPartner, name="person")
_ORG = aliased(BusinessPartner, name="org")


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


# Statements are built once, at import: on this hot path (every call that
# arrives) building them would cost more than running them.
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_BY_E164 = select(PhoneNumber.partner_id).where(PhoneNumber.e164 == bindparam("value")).limit(MAX_MATCHES)
_BY_DIGITS = select(PhoneNumber.partner_id).where(
    PhoneNumber.digits == bindparam("value"), PhoneNumber.is_valid.is_(False)).limit(MAX_MATCHES)
_BY_EMAIL = select(EmailAddress.partner_id).where(EmailAddress.address_lower == bindparam("value")).limit(MAX_MATCHES)
_BY_NUMBER = select(BusinessPartner.id).where(BusinessPartner.partner_no == bindparam("value")).limit(MAX_MATCHES)
_PARTNERS = (
    select(BusinessPartner.id, BusinessPartner.partner_no, BusinessPartner.name, BusinessPartner.kind)
    .where(BusinessPartner.id.in_(_IDS), BusinessPartner.is_archived.is_(False))
    .order_by(BusinessPartner.name)
)


def identify_by_phone(session: Session, actor: Actor, number: str,
                      region: str = "CN") -> list[Identified]:
    phone = normalize_phone(texts.check(number, "the phone number"), region)
    if not phone.digits:
        raise ValidationError(f"{number!r} contains no digits to look up")
    if phone.e164:
        ids = _partner_ids(session, _BY_E164, phone.e164)
        if ids:
            return _identified(session, actor, ids, "phone")
    # Numbers stored as typed because they could not be normalized.
    ids = _partner_ids(session, _BY_DIGITS, phone.digits)
    return _identified(session, actor, ids, "phone digits")


def identify_by_email(session: Session, actor: Actor, address: str) -> list[Identified]:
    address = texts.check(address, "the email address").strip().lower()
    if "@" not in address:
        raise ValidationError(f"{address!r} is not an email address")
    return _identified(session, actor, _partner_ids(session, _BY_EMAIL, address), "email")


def identify_by_number(session: Session, actor: Actor, partner_no: str) -> list[Identified]:
    value = texts.check(partner_no, "the customer number").strip().upper()
    if not value:
        raise ValidationError("a customer number is needed")
    return _identified(session, actor, _partner_ids(session, _BY_NUMBER, value), "customer number")


def customers_by_email(db, address: str) -> list:
    """(id, value_class) of the partners not archived with this address: for
    callers that need no more than that, such as the mail queue's hot path."""
    return db.execute(_LIVE_BY_EMAIL, {"value": address.strip().lower()}).all()


def customers_by_phone(db, number: str, region: str = "CN") -> list:
    phone = normalize_phone(number, region)
    if not phone.digits:
        return []
    return ((phone.e164 and db.execute(_LIVE_BY_E164, {"value": phone.e164}).all())
            or db.execute(_LIVE_BY_DIGITS, {"value": phone.digits}).all())


_LIVE = select(BusinessPartner.id, BusinessPartner.value_class).where(BusinessPartner.is_archived.is_(False))
_LIVE_BY_EMAIL = (_LIVE.join(EmailAddress, EmailAddress.partner_id == BusinessPartner.id)
                  .where(EmailAddress.address_lower == bindparam("value")).distinct().limit(MAX_MATCHES))
_LIVE_BY_E164 = (_LIVE.join(PhoneNumber, PhoneNumber.partner_id == BusinessPartner.id)
                 .where(PhoneNumber.e164 == bindparam("value")).distinct().limit(MAX_MATCHES))
_LIVE_BY_DIGITS = (_LIVE.join(PhoneNumber, PhoneNumber.partner_id == BusinessPartner.id)
                   .where(PhoneNumber.digits == bindparam("value"), PhoneNumber.is_valid.is_(False))
                   .distinct().limit(MAX_MATCHES))


def _partner_ids(session: Session, stmt, value: str) -> list[int]:
    return list(dict.fromkeys(session.scalars(stmt, {"value": value})))


def _identified(session: Session, actor: Actor, ids: list[int], matched_by: str) -> list[Identified]:
    if not ids:
        return []
    stmt = _PARTNERS
    if not actor.can(Permission.PARTNER_READ_ANY):
        stmt = stmt.where(visible_partners_clause(actor))
    partners = session.execute(stmt, {"ids": ids}).all()
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


_RELATED = (
    select(PartnerRelationship.partner_id, PartnerRelationship.related_partner_id,
           PartnerRelationship.function,
           _PERSON.partner_no, _PERSON.name, _PERSON.kind,
           _ORG.partner_no.label("org_no"), _ORG.name.label("org_name"), _ORG.kind.label("org_kind"))
    .join(_PERSON, _PERSON.id == PartnerRelationship.partner_id)
    .join(_ORG, _ORG.id == PartnerRelationship.related_partner_id)
    .where(
        PartnerRelationship.kind == RelationshipKind.CONTACT_PERSON_OF.value,
        or_(PartnerRelationship.partner_id.in_(_IDS), PartnerRelationship.related_partner_id.in_(_IDS)),
        or_(PartnerRelationship.valid_from.is_(None), PartnerRelationship.valid_from <= bindparam("today")),
        or_(PartnerRelationship.valid_to.is_(None), PartnerRelationship.valid_to >= bindparam("today")),
    )
    .order_by(func.lower(_PERSON.name))
)


def related_partners(session: Session, ids: list[int]):
    """Currently valid contact-person relationships touching `ids`, both ways:
    ({organization id: [its contact persons]}, {person id: [its organizations]})."""
    if not ids:
        return {}, {}
    rows = session.execute(_RELATED, {"ids": ids, "today": utcnow().date()}).all()
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
