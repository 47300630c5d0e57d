"""Roles, permissions and the visibility rules of customer ownership.

Contact-center agents must be able to identify any caller, so they read every
partner; sales reps, as in a sales CRM's customer pool, see their own
customers, those shared with them and the pool. Editing follows ownership:
the owner edits, a colleague a customer is shared with only reads.
See docs/permissions.md for the table.
"""

from __future__ import annotations

from sqlalchemy import exists, false, or_, select, true
from sqlalchemy.orm import Session

from crm.actors import ROLE_PERMISSIONS, Actor, Permission  # noqa: F401 - named as crm.permissions' too
from crm.errors import PermissionDenied
from crm.models import BusinessPartner, PartnerShare


def visible_partners_clause(actor: Actor):
    """SQL condition on BusinessPartner for the partners `actor` may read."""
    if actor.can(Permission.PARTNER_READ_ANY):
        return true()
    if actor.user_id is None:
        return false()
    shared = exists().where(
        PartnerShare.partner_id == BusinessPartner.id, PartnerShare.user_id == actor.user_id
    )
    return or_(
        BusinessPartner.owner_id == actor.user_id,
        BusinessPartner.owner_id.is_(None),
        shared,
    )


def is_shared_with(session: Session, partner_id: int, user_id: int | None) -> bool:
    if user_id is None:
        return False
    stmt = select(PartnerShare.partner_id).where(
        PartnerShare.partner_id == partner_id, PartnerShare.user_id == user_id
    )
    return session.execute(stmt).first() is not None


def can_read(session: Session, actor: Actor, partner: BusinessPartner) -> bool:
    if actor.can(Permission.PARTNER_READ_ANY):
        return True
    if partner.owner_id is None or partner.owner_id == actor.user_id:
        return True
    return is_shared_with(session, partner.id, actor.user_id)


def require_read(session: Session, actor: Actor, partner: BusinessPartner) -> None:
    if not can_read(session, actor, partner):
        raise PermissionDenied(
            f"{partner.partner_no} belongs to another user and is not shared with "
            f"{actor.username}; ask its owner to share it."
        )


def require_edit(session: Session, actor: Actor, partner: BusinessPartner) -> None:
    if actor.can(Permission.PARTNER_EDIT_ANY):
        return
    if partner.owner_id is not None and partner.owner_id == actor.user_id:
        return
    if partner.owner_id is None and actor.can(Permission.PARTNER_EDIT_POOL):
        return
    if partner.owner_id is None:
        raise PermissionDenied(
            f"{partner.partner_no} is in the customer pool; claim it before changing it."
        )
    if is_shared_with(session, partner.id, actor.user_id):
        raise PermissionDenied(
            f"{partner.partner_no} is shared with {actor.username} read-only; "
            "only its owner or a supervisor can change it."
        )
    raise PermissionDenied(
        f"{partner.partner_no} belongs to another user; only its owner or a "
        "supervisor can change it."
    )
