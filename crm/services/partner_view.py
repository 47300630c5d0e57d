"""The 360° view of one partner: what the agent needs to know at a glance."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from crm.models import (
    BusinessPartner,
    BusinessTransaction,
    InstalledBaseItem,
    Interaction,
    PartnerRelationship,
    TransactionStatus,
    User,
)
from crm.permissions import Actor
from crm.services.identify import PartnerRef, related_partners
from crm.services.partners import get_partner

LATEST_INTERACTIONS = 10
OPEN_TRANSACTIONS = 50


@dataclass(frozen=True)
class RelationshipRow:
    kind: str
    direction: str  # "to": partner → other ("contact person of X"); "from": other → partner
    other: PartnerRef
    function: str | None
    valid_from: object
    valid_to: object


@dataclass(frozen=True)
class PartnerView:
    partner: BusinessPartner
    owner: str | None
    shared: bool
    contact_persons: list[PartnerRef]
    organizations: list[PartnerRef]
    relationships: list[RelationshipRow]
    open_transactions: list[BusinessTransaction]
    installed_base: list[InstalledBaseItem]
    latest_interactions: list[Interaction]


ALL_SECTIONS = frozenset({"related", "relationships", "open_transactions", "installed_base",
                          "latest_interactions"})


def partner_view(session: Session, actor: Actor, partner_id: int, *,
                 sections: frozenset[str] = ALL_SECTIONS) -> PartnerView:
    """The partner with the `sections` a caller shows (all by default); a section left out is
    an empty list, not read: the Action Box's context, read at every screen pop, needs no
    relationships or history."""
    unknown = sections - ALL_SECTIONS
    if unknown:
        raise ValueError(f"no section {', '.join(sorted(unknown))} in a partner's view")
    # What the 360° view shows at once; roles and attributes load if a caller reads them.
    partner = get_partner(session, actor, partner_id, details=("phones", "emails", "addresses"))
    owner = session.get(User, partner.owner_id) if partner.owner_id else None
    contacts, orgs = related_partners(session, [partner.id]) if "related" in sections else ({}, {})
    return PartnerView(
        partner=partner,
        owner=owner.display_name if owner else None,
        shared=partner.owner_id is not None and partner.owner_id != actor.user_id,
        contact_persons=contacts.get(partner.id, []),
        organizations=orgs.get(partner.id, []),
        relationships=_relationships(session, partner.id) if "relationships" in sections else [],
        open_transactions=list(session.scalars(
            select(BusinessTransaction)
            .where(BusinessTransaction.partner_id == partner.id,
                   BusinessTransaction.status.in_(TransactionStatus.open_values()))
            .order_by(BusinessTransaction.created_at.desc()).limit(OPEN_TRANSACTIONS)))
        if "open_transactions" in sections else [],
        installed_base=list(session.scalars(
            select(InstalledBaseItem).options(selectinload(InstalledBaseItem.product))
            .where(InstalledBaseItem.partner_id == partner.id)
            .order_by(InstalledBaseItem.installed_on.desc())))
        if "installed_base" in sections else [],
        latest_interactions=list(session.scalars(
            select(Interaction).where(Interaction.partner_id == partner.id)
            .order_by(Interaction.started_at.desc(), Interaction.id.desc())
            .limit(LATEST_INTERACTIONS)))
        if "latest_interactions" in sections else [],
    )


def _relationships(session: Session, partner_id: int) -> list[RelationshipRow]:
    other = aliased(BusinessPartner)
    rows = session.execute(
        select(PartnerRelationship, other)
        .join(other, or_(
            (PartnerRelationship.partner_id == partner_id) & (other.id == PartnerRelationship.related_partner_id),
            (PartnerRelationship.related_partner_id == partner_id) & (other.id == PartnerRelationship.partner_id)))
        .where(or_(PartnerRelationship.partner_id == partner_id,
                   PartnerRelationship.related_partner_id == partner_id))
        .order_by(PartnerRelationship.kind, other.name)
    ).all()
    return [
        RelationshipRow(
            kind=rel.kind,
            direction="to" if rel.partner_id == partner_id else "from",
            other=PartnerRef(o.id, o.partner_no, o.name, o.kind),
            function=rel.function, valid_from=rel.valid_from, valid_to=rel.valid_to)
        for rel, o in rows
    ]
