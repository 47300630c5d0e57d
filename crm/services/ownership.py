"""Customer ownership as sales teams use it: the pool, claim, return, assign, share.

Every customer is in the pool (no owner) or owned by one user. Each change
closes the current OwnershipRecord and opens the next, so the history says who
held the customer when.
"""

from __future__ import annotations

from dataclasses import dataclass

from typing import cast

from sqlalchemy import CursorResult, Table, delete, func, select
from sqlalchemy.orm import Session

from crm.clock import utcnow
from crm.errors import NotFound, OwnershipConflict, PermissionDenied, ValidationError
from crm.models import BusinessPartner, OwnershipRecord, PartnerShare, User
from crm.paging import Page, check_paging
from crm.permissions import Actor, Permission
from crm.services import audit


@dataclass(frozen=True)
class CustomerRow:
    partner_id: int
    partner_no: str
    name: str
    owner: str | None


def _partner_for_update(session: Session, partner_id: int) -> BusinessPartner:
    partner = session.execute(
        select(BusinessPartner).where(BusinessPartner.id == partner_id).with_for_update()
    ).scalar_one_or_none()
    if partner is None:
        raise NotFound(f"No business partner with id {partner_id}.")
    return partner


def _active_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user with id {user_id} to hand the customer to.")
    if not user.is_active:
        raise ValidationError(f"{user.username} is disabled and cannot own customers.")
    return user


def _move(session: Session, actor: Actor, partner: BusinessPartner, new_owner_id: int | None,
          action: str) -> None:
    now = utcnow()
    session.execute(
        cast(Table, OwnershipRecord.__table__).update()
        .where(OwnershipRecord.partner_id == partner.id, OwnershipRecord.ended_at.is_(None))
        .values(ended_at=now)
    )
    old_owner = partner.owner_id
    partner.owner_id = new_owner_id
    partner.updated_at = now
    session.add(OwnershipRecord(partner_id=partner.id, owner_id=new_owner_id, action=action,
                                by_user_id=actor.user_id, started_at=now))
    if new_owner_id is not None:  # the new owner no longer needs a share
        session.execute(delete(PartnerShare).where(
            PartnerShare.partner_id == partner.id, PartnerShare.user_id == new_owner_id))
    audit.record(session, actor, entity="business_partner", entity_id=partner.id,
                 partner_id=partner.id, action=action, changes={"owner_id": [old_owner, new_owner_id]})
    session.flush()


def claim(session: Session, actor: Actor, partner_id: int) -> None:
    actor.require(Permission.PARTNER_CLAIM, "claim customers from the pool")
    if actor.user_id is None:
        raise ValidationError("only a user can own customers; use assign")
    partner = _partner_for_update(session, partner_id)
    if partner.owner_id == actor.user_id:
        raise OwnershipConflict(f"{partner.partner_no} is already yours.")
    if partner.owner_id is not None:
        owner = session.get(User, partner.owner_id)
        raise OwnershipConflict(
            f"{partner.partner_no} is owned by {owner.display_name if owner else 'another user'}; only customers in the "
            "pool can be claimed. Ask the owner or a supervisor to assign it.")
    _move(session, actor, partner, actor.user_id, "claim")


def return_to_pool(session: Session, actor: Actor, partner_id: int) -> None:
    partner = _partner_for_update(session, partner_id)
    if partner.owner_id is None:
        raise OwnershipConflict(f"{partner.partner_no} is already in the pool.")
    if partner.owner_id != actor.user_id and not actor.can(Permission.PARTNER_ASSIGN_ANY):
        raise PermissionDenied(f"Only the owner or a supervisor can return {partner.partner_no} to the pool.")
    _move(session, actor, partner, None, "return")


def assign(session: Session, actor: Actor, partner_id: int, to_user_id: int) -> None:
    partner = _partner_for_update(session, partner_id)
    if partner.owner_id != actor.user_id and not actor.can(Permission.PARTNER_ASSIGN_ANY):
        raise PermissionDenied(
            f"Only the owner or a supervisor can assign {partner.partner_no} to someone else.")
    user = _active_user(session, to_user_id)
    if partner.owner_id == user.id:
        raise OwnershipConflict(f"{partner.partner_no} is already owned by {user.display_name}.")
    _move(session, actor, partner, user.id, "assign")


def share(session: Session, actor: Actor, partner_id: int, with_user_id: int) -> None:
    partner = _partner_for_update(session, partner_id)
    if partner.owner_id != actor.user_id and not actor.can(Permission.PARTNER_SHARE_ANY):
        raise PermissionDenied(f"Only the owner or a supervisor can share {partner.partner_no}.")
    if partner.owner_id is None:
        raise ValidationError(f"{partner.partner_no} is in the pool, where everyone sees it already.")
    user = _active_user(session, with_user_id)
    if user.id == partner.owner_id:
        raise ValidationError(f"{user.display_name} owns {partner.partner_no} already.")
    if session.get(PartnerShare, (partner.id, user.id)) is not None:
        return
    session.add(PartnerShare(partner_id=partner.id, user_id=user.id, shared_by_id=actor.user_id))
    audit.record(session, actor, entity="partner_share", entity_id=user.id, partner_id=partner.id,
                 action="share", changes={"user": user.username})
    session.flush()


def unshare(session: Session, actor: Actor, partner_id: int, with_user_id: int) -> None:
    partner = _partner_for_update(session, partner_id)
    if partner.owner_id != actor.user_id and not actor.can(Permission.PARTNER_SHARE_ANY):
        raise PermissionDenied(f"Only the owner or a supervisor can stop sharing {partner.partner_no}.")
    deleted = cast(CursorResult, session.execute(delete(PartnerShare).where(
        PartnerShare.partner_id == partner.id, PartnerShare.user_id == with_user_id))).rowcount
    if deleted:
        audit.record(session, actor, entity="partner_share", entity_id=with_user_id,
                     partner_id=partner.id, action="unshare")


def history(session: Session, partner_id: int) -> list[OwnershipRecord]:
    return list(session.scalars(
        select(OwnershipRecord).where(OwnershipRecord.partner_id == partner_id)
        .order_by(OwnershipRecord.started_at, OwnershipRecord.id)))


def my_customers(session: Session, actor: Actor, *, page: int = 1, page_size: int = 50) -> Page[CustomerRow]:
    return _list(session, BusinessPartner.owner_id == actor.user_id, page, page_size)


def shared_with_me(session: Session, actor: Actor, *, page: int = 1, page_size: int = 50) -> Page[CustomerRow]:
    shared = select(PartnerShare.partner_id).where(PartnerShare.user_id == actor.user_id)
    return _list(session, BusinessPartner.id.in_(shared), page, page_size)


def pool(session: Session, actor: Actor, *, page: int = 1, page_size: int = 50) -> Page[CustomerRow]:
    return _list(session, BusinessPartner.owner_id.is_(None), page, page_size)


def _list(session: Session, condition, page: int, page_size: int) -> Page[CustomerRow]:
    offset = check_paging(page, page_size)
    condition = condition & BusinessPartner.is_archived.is_(False)
    rows = session.execute(
        select(BusinessPartner.id, BusinessPartner.partner_no, BusinessPartner.name,
               User.display_name)
        .outerjoin(User, User.id == BusinessPartner.owner_id)
        .where(condition).order_by(BusinessPartner.name, BusinessPartner.id)
        .offset(offset).limit(page_size + 1)
    ).all()
    total = session.scalar(select(func.count()).select_from(BusinessPartner).where(condition))
    items = [CustomerRow(*r) for r in rows[:page_size]]
    return Page(items=items, page=page, page_size=page_size, total=total, has_more=len(rows) > page_size)
