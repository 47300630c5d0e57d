"""Roles, permissions and the visibility rules of customer ownership.

Contact-center agents must be able to identify any caller, so they read every
partner; sales reps, as in a sales CRM's customer pool, see their own
customers, those shared with them and the pool. Editing follows ownership:
the owner edits, a colleague a customer is shared with only reads.
See docs/permissions.md for the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import exists, false, or_, select, true
from sqlalchemy.orm import Session

from crm.errors import AccountDisabled, PermissionDenied
from crm.models import BusinessPartner, PartnerShare, UserRole


class Permission(StrEnum):
    PARTNER_READ_ANY = "partner.read.any"  # else: own, shared with me, pool
    PARTNER_CREATE = "partner.create"
    PARTNER_EDIT_POOL = "partner.edit.pool"  # pool customers, besides own
    PARTNER_EDIT_ANY = "partner.edit.any"
    PARTNER_CLAIM = "partner.claim"  # take a customer from the pool
    PARTNER_ASSIGN_ANY = "partner.assign.any"  # move anyone's customer
    PARTNER_SHARE_ANY = "partner.share.any"
    INTERACTION_READ_ANY = "interaction.read.any"
    USER_MANAGE = "user.manage"
    SYSTEM_CONFIGURE = "system.configure"
    CALL_RECORD = "call.record"  # write call segments and queue events (the CTI gateway)
    SCRIPT_MANAGE = "script.manage"  # import, activate and deactivate call scripts
    AGENT_BROADCAST = "agent.broadcast"  # send a message to the agents' desktops
    AGENT_WATCH = "agent.watch"  # see the live work of the agents of one's org units (crm.services.supervision)


_AGENT = {
    Permission.PARTNER_READ_ANY,
    Permission.PARTNER_CREATE,
    Permission.PARTNER_EDIT_POOL,
    Permission.PARTNER_CLAIM,
}
_SALES_REP = {Permission.PARTNER_CREATE, Permission.PARTNER_CLAIM}
_SUPERVISOR = _AGENT | {
    Permission.PARTNER_EDIT_ANY,
    Permission.PARTNER_ASSIGN_ANY,
    Permission.PARTNER_SHARE_ANY,
    Permission.INTERACTION_READ_ANY,
    Permission.SCRIPT_MANAGE,
    Permission.AGENT_BROADCAST,
    Permission.AGENT_WATCH,
}
_ADMINISTRATOR = _SUPERVISOR | {
    Permission.USER_MANAGE,
    Permission.SYSTEM_CONFIGURE,
    Permission.CALL_RECORD,
}

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    UserRole.AGENT: frozenset(_AGENT),
    UserRole.SALES_REP: frozenset(_SALES_REP),
    UserRole.SUPERVISOR: frozenset(_SUPERVISOR),
    UserRole.ADMINISTRATOR: frozenset(_ADMINISTRATOR),
}


@dataclass(frozen=True)
class Actor:
    """Who is asking: a logged-in user, or the local system administrator."""

    user_id: int | None
    username: str
    role: str
    permissions: frozenset[Permission]

    @classmethod
    def for_user(cls, user) -> Actor:
        """The actor of a user of the CRM; AccountDisabled when the account is disabled."""
        if not user.is_active:
            raise AccountDisabled(user.username)
        return cls(user.id, user.username, user.role, ROLE_PERMISSIONS[user.role])

    @classmethod
    def system(cls) -> Actor:
        """The command line run by whoever holds the database itself."""
        return cls(None, "system", UserRole.ADMINISTRATOR, ROLE_PERMISSIONS[UserRole.ADMINISTRATOR])

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission, doing: str) -> None:
        if not self.can(permission):
            raise PermissionDenied(
                f"{self.username} ({self.role}) may not {doing}: "
                f"the role lacks the permission {permission.value}."
            )


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
