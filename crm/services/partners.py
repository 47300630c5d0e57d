"""Creating and changing business partners, with the duplicate check."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from crm import texts
from crm.clock import utcnow
from crm.errors import (
    DuplicateCustomerNumber,
    NotFound,
    PossibleDuplicates,
    ValidationError,
)
from crm.models import (
    Address,
    BusinessPartner,
    EmailAddress,
    OwnershipRecord,
    PartnerAttribute,
    PartnerKind,
    PartnerRelationship,
    PartnerRole,
    PartnerRoleAssignment,
    PhoneNumber,
    RelationshipKind,
    SearchField,
    SearchToken,
)
from crm.permissions import Actor, Permission, require_edit, require_read, visible_partners_clause
from crm.partner_types import DuplicateCandidate
from crm.phones import normalize_phone
from crm.search_keys import is_cjk, words
from crm.services import audit, numbers
from crm.services.indexing import reindex_partner

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PARTNER_NO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$")
MASTER_FIELDS = ("first_name", "last_name", "org_name", "language", "segment", "value_class")


@dataclass
class AddressDraft:
    country: str
    city: str | None = None
    region: str | None = None
    district: str | None = None
    street: str | None = None
    postal_code: str | None = None
    kind: str = "main"


@dataclass
class PartnerDraft:
    """What a user fills in to create a partner."""

    kind: str = PartnerKind.PERSON.value
    first_name: str | None = None
    last_name: str | None = None
    org_name: str | None = None
    partner_no: str | None = None  # None: the next customer number
    roles: list[str] = field(default_factory=lambda: [PartnerRole.CUSTOMER.value])
    language: str | None = None
    segment: str | None = None
    value_class: str | None = None
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    addresses: list[AddressDraft] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    to_pool: bool = False  # else owned by the creating user


def validate_draft(draft: PartnerDraft) -> None:
    check_draft_texts(draft)
    problems = []
    if draft.kind not in PartnerKind.values():
        problems.append(f"kind must be one of {', '.join(PartnerKind.values())}")
    if draft.kind == PartnerKind.PERSON and not (_clean(draft.first_name) or _clean(draft.last_name)):
        problems.append("a person needs a first or last name")
    if draft.kind != PartnerKind.PERSON and not _clean(draft.org_name):
        problems.append(f"an {draft.kind} needs a name")
    for role in draft.roles:
        if role not in PartnerRole.values():
            problems.append(f"unknown role {role!r} (use {', '.join(PartnerRole.values())})")
    for email in draft.emails:
        if not _EMAIL.match(email.strip()):
            problems.append(f"{email!r} is not an email address")
    if draft.partner_no is not None and not _PARTNER_NO.match(draft.partner_no):
        problems.append(
            f"customer number {draft.partner_no!r} must be 1-20 letters, digits, '.', '_' or '-'"
        )
    for address in draft.addresses:
        if not re.fullmatch(r"[A-Za-z]{2}", address.country or ""):
            problems.append(f"address country {address.country!r} must be a 2-letter ISO code")
    if problems:
        raise ValidationError("; ".join(problems))


def check_draft_texts(draft: PartnerDraft) -> None:
    """ValidationError naming the first field that holds a character the CRM cannot store."""
    texts.check_each({
        "the kind": draft.kind, "the first name": draft.first_name, "the last name": draft.last_name,
        "the organization's name": draft.org_name, "the customer number": draft.partner_no,
        "the roles": draft.roles, "the language": draft.language, "the segment": draft.segment,
        "the value class": draft.value_class, "the phone number": draft.phones, "the email address": draft.emails,
        "the attributes": draft.attributes})
    for address in draft.addresses:
        texts.check_each({f"the address's {name.replace('_', ' ')}": value for name, value in vars(address).items()})


def display_name(kind: str, first_name: str | None, last_name: str | None,
                 org_name: str | None) -> str:
    if kind != PartnerKind.PERSON:
        return _clean(org_name)
    first, last = _clean(first_name), _clean(last_name)
    if any(is_cjk(w) for w in words(last + first)):
        return f"{last}{first}"  # 张伟: surname first, no space
    return " ".join(p for p in (first, last) if p)


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def find_duplicates(session: Session, draft: PartnerDraft, region: str,
                    limit: int = 20) -> list[DuplicateCandidate]:
    """Existing partners with the same name, phone number or email address,
    every one of them (see readable_duplicates for what a user may be shown)."""
    return _ranked(session, _duplicate_reasons(session, draft, region, limit), limit)


def readable_duplicates(session: Session, actor: Actor, draft: PartnerDraft, region: str,
                        limit: int = 20) -> tuple[list[DuplicateCandidate], int]:
    """The duplicates `actor` may read, and how many others he may not: he is
    told that they exist, so that he does not save a duplicate blindly, but
    not who they are."""
    reasons = _duplicate_reasons(session, draft, region, limit)
    if not reasons:
        return [], 0
    readable = set(session.scalars(select(BusinessPartner.id).where(
        BusinessPartner.id.in_(reasons), visible_partners_clause(actor))))
    shown = {pid: why for pid, why in reasons.items() if pid in readable}
    return _ranked(session, shown, limit), len(reasons) - len(shown)


def _duplicate_reasons(session: Session, draft: PartnerDraft, region: str, limit: int) -> dict[int, list[str]]:
    """Why each partner may be the same as the draft, by partner id."""
    reasons: dict[int, list[str]] = {}
    key = name_key(draft.kind, draft.first_name, draft.last_name, draft.org_name)
    if key:
        stmt = select(SearchToken.partner_id).where(
            SearchToken.token == key, SearchToken.field == SearchField.NAME.value
        ).limit(limit)
        for pid in session.scalars(stmt):
            reasons.setdefault(pid, []).append("same name")
    for raw in draft.phones:
        phone = normalize_phone(raw, region)
        column, value = (PhoneNumber.e164, phone.e164) if phone.e164 else (PhoneNumber.digits, phone.digits)
        if value:
            for pid in session.scalars(select(PhoneNumber.partner_id).where(column == value).limit(limit)):
                reasons.setdefault(pid, []).append(f"phone {raw}")
    for email in draft.emails:
        stmt = select(EmailAddress.partner_id).where(
            EmailAddress.address_lower == email.strip().lower()
        ).limit(limit)
        for pid in session.scalars(stmt):
            reasons.setdefault(pid, []).append(f"email {email}")
    return reasons


def _ranked(session: Session, reasons: dict[int, list[str]], limit: int) -> list[DuplicateCandidate]:
    if not reasons:
        return []
    rows = session.execute(
        select(BusinessPartner.id, BusinessPartner.partner_no, BusinessPartner.name)
        .where(BusinessPartner.id.in_(reasons))
    ).all()
    candidates = [DuplicateCandidate(r.id, r.partner_no, r.name, tuple(reasons[r.id])) for r in rows]
    # Matches on phone or email are stronger evidence than a common name.
    candidates.sort(key=lambda c: (-len(c.reasons), c.reasons == ("same name",), c.name))
    return candidates[:limit]


def name_key(kind: str, first_name: str | None, last_name: str | None,
             org_name: str | None) -> str | None:
    """The single search token that holds a partner's whole name."""
    parts = [last_name, first_name] if kind == PartnerKind.PERSON else [org_name]
    all_words = [w for p in parts for w in words(p or "")]
    cjk = "".join(w for w in all_words if is_cjk(w))
    if cjk:
        return cjk
    return "".join(all_words) or None


def create_partner(session: Session, actor: Actor, draft: PartnerDraft, *, region: str = "CN",
                   confirm_duplicates: bool = False) -> BusinessPartner:
    """Create a partner; raises PossibleDuplicates unless the user confirmed them
    (with those he may read, and how many others look like it)."""
    actor.require(Permission.PARTNER_CREATE, "create business partners")
    validate_draft(draft)
    if draft.partner_no:
        draft.partner_no = draft.partner_no.strip().upper()
    if draft.partner_no and _partner_no_taken(session, draft.partner_no):
        raise DuplicateCustomerNumber(f"Customer number {draft.partner_no} is already in use.")
    if not confirm_duplicates:
        candidates, hidden = readable_duplicates(session, actor, draft, region)
        if candidates or hidden:
            raise PossibleDuplicates(candidates, hidden=hidden)
    now = utcnow()
    owner_id = None if draft.to_pool else actor.user_id
    partner = BusinessPartner(
        partner_no=draft.partner_no or numbers.next_number(session, numbers.CUSTOMER),
        kind=draft.kind,
        first_name=_clean(draft.first_name) or None,
        last_name=_clean(draft.last_name) or None,
        org_name=_clean(draft.org_name) or None,
        name=display_name(draft.kind, draft.first_name, draft.last_name, draft.org_name),
        language=draft.language, segment=draft.segment, value_class=draft.value_class,
        owner_id=owner_id, created_at=now, updated_at=now, created_by_id=actor.user_id,
    )
    partner.roles = [PartnerRoleAssignment(role=r) for r in dict.fromkeys(draft.roles)]
    # A national number is read in the partner's own country (415.555.0100 in
    # the US), falling back to the configured region.
    phone_region = draft.addresses[0].country.upper() if draft.addresses else region
    partner.phones = [_phone(raw, phone_region, is_main=i == 0) for i, raw in enumerate(draft.phones)]
    partner.emails = [_email(e, is_main=i == 0) for i, e in enumerate(draft.emails)]
    partner.addresses = [
        Address(**vars(a) | {"country": a.country.upper()}, is_main=i == 0)
        for i, a in enumerate(draft.addresses)
    ]
    partner.attributes = [PartnerAttribute(key=k, value=v) for k, v in draft.attributes.items()]
    session.add(partner)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # another user took the number meanwhile
        raise DuplicateCustomerNumber(f"Customer number {partner.partner_no} is already in use.") from exc
    if owner_id is not None:
        session.add(OwnershipRecord(partner_id=partner.id, owner_id=owner_id, action="create",
                                    by_user_id=actor.user_id, started_at=now))
    reindex_partner(session, partner)
    audit.record(session, actor, entity="business_partner", entity_id=partner.id,
                 partner_id=partner.id, action="create",
                 changes={"name": partner.name, "partner_no": partner.partner_no,
                          "phones": draft.phones, "emails": draft.emails})
    return partner


def _partner_no_taken(session: Session, partner_no: str) -> bool:
    stmt = select(BusinessPartner.id).where(BusinessPartner.partner_no == partner_no)
    return session.execute(stmt).first() is not None


def _phone(raw: str, region: str, *, is_main: bool, kind: str = "mobile") -> PhoneNumber:
    phone = normalize_phone(raw, region)
    return PhoneNumber(raw=raw.strip(), e164=phone.e164, digits=phone.digits,
                       is_valid=phone.is_valid, is_main=is_main, kind=kind)


def _email(address: str, *, is_main: bool) -> EmailAddress:
    address = address.strip()
    return EmailAddress(address=address, address_lower=address.lower(), is_main=is_main)


_PARTNER_DETAILS = ("phones", "emails", "addresses", "roles", "attributes")


def get_partner(session: Session, actor: Actor, partner_id: int,
                details: tuple[str, ...] = _PARTNER_DETAILS) -> BusinessPartner:
    """The partner with `details` loaded at once (one query each); others load when read."""
    partner = session.get(
        BusinessPartner, partner_id,
        options=[selectinload(getattr(BusinessPartner, name)) for name in details],
    )
    if partner is None:
        raise NotFound(f"No business partner with id {partner_id}.")
    require_read(session, actor, partner)
    return partner


def get_partner_by_number(session: Session, actor: Actor, partner_no: str) -> BusinessPartner:
    partner_no = texts.check(partner_no, "the customer number")
    pid = session.scalar(select(BusinessPartner.id).where(
        BusinessPartner.partner_no == partner_no.strip().upper()))
    if pid is None:
        raise NotFound(f"No business partner with customer number {partner_no}.")
    return get_partner(session, actor, pid)


def update_partner(session: Session, actor: Actor, partner_id: int, *, region: str = "CN",
                   add_phones: Sequence[str] = (), add_emails: Sequence[str] = (),
                   attributes: dict[str, str] | None = None, **master) -> BusinessPartner:
    """Change master data; every change is written to the audit trail."""
    unknown = set(master) - set(MASTER_FIELDS)
    if unknown:
        raise ValidationError(f"cannot change {', '.join(sorted(unknown))} this way")
    texts.check_each({f"the {name.replace('_', ' ')}": value for name, value in master.items()})
    texts.check_each({"the phone number": add_phones, "the email address": add_emails,
                      "the attributes": attributes})
    partner = get_partner(session, actor, partner_id)
    require_edit(session, actor, partner)
    for email in add_emails:
        if not _EMAIL.match(email.strip()):
            raise ValidationError(f"{email!r} is not an email address")
    before = {f: getattr(partner, f) for f in MASTER_FIELDS}
    after = {f: (_clean(v) or None) for f, v in master.items()}
    for name, value in after.items():
        setattr(partner, name, value)
    partner.name = display_name(partner.kind, partner.first_name, partner.last_name, partner.org_name)
    if not partner.name:
        raise ValidationError("the partner would have no name")
    changes = audit.diff(before, after)
    phone_region = partner.main_address.country if partner.main_address else region
    for raw in add_phones:
        partner.phones.append(_phone(raw, phone_region, is_main=not partner.phones))
    for email in add_emails:
        partner.emails.append(_email(email, is_main=not partner.emails))
    if add_phones:
        changes["phones"] = [None, list(add_phones)]
    if add_emails:
        changes["emails"] = [None, list(add_emails)]
    for key, value in (attributes or {}).items():
        _set_attribute(partner, key, value, changes)
    if not changes:
        return partner
    partner.updated_at = utcnow()
    reindex_partner(session, partner)
    audit.record(session, actor, entity="business_partner", entity_id=partner.id,
                 partner_id=partner.id, action="update", changes=changes)
    return partner


def _set_attribute(partner: BusinessPartner, key: str, value: str | None, changes: dict) -> None:
    current = next((a for a in partner.attributes if a.key == key), None)
    old = current.value if current else None
    if old == value:
        return
    if value is None:
        if current is not None:  # always: otherwise old == value
            partner.attributes.remove(current)
    elif current:
        current.value = value
    else:
        partner.attributes.append(PartnerAttribute(key=key, value=value))
    changes[f"attribute:{key}"] = [old, value]


def add_relationship(session: Session, actor: Actor, partner_id: int, related_partner_id: int,
                     kind: str, *, function: str | None = None, department: str | None = None,
                     valid_from: date | None = None, valid_to: date | None = None
                     ) -> PartnerRelationship:
    if kind not in RelationshipKind.values():
        raise ValidationError(f"unknown relationship {kind!r} (use {', '.join(RelationshipKind.values())})")
    if partner_id == related_partner_id:
        raise ValidationError("a partner cannot be related to itself")
    if valid_from and valid_to and valid_to < valid_from:
        raise ValidationError("the relationship would end before it starts")
    texts.check_each({"the function": function, "the department": department})
    partner = get_partner(session, actor, partner_id)
    related = get_partner(session, actor, related_partner_id)
    require_edit(session, actor, related)
    rel = PartnerRelationship(partner_id=partner.id, related_partner_id=related.id, kind=kind,
                              function=function, department=department,
                              valid_from=valid_from, valid_to=valid_to)
    session.add(rel)
    if kind == RelationshipKind.CONTACT_PERSON_OF and PartnerRole.CONTACT_PERSON not in partner.role_names:
        partner.roles.append(PartnerRoleAssignment(role=PartnerRole.CONTACT_PERSON.value))
    session.flush()
    audit.record(session, actor, entity="partner_relationship", entity_id=rel.id,
                 partner_id=related.id, action="create",
                 changes={"partner": partner.partner_no, "kind": kind})
    return rel
