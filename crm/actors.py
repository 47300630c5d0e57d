"""Who is asking and what each role may do: plain values, free of the database's
library, so that a client (the agent's desktop) holds its own Actor without
SQLAlchemy. crm.permissions adds the rules that query the database."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from crm.errors import AccountDisabled, PermissionDenied

ADMINISTRATOR = "administrator"  # crm.models.UserRole's values, which this module cannot import


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
    CAMPAIGN_MANAGE = "campaign.manage"  # outbound campaigns, their call lists and do-not-call lists
    DO_NOT_CALL_ADD = "do_not_call.add"  # put a number on a do-not-call list (a customer's wish at wrap-up)


_AGENT = {
    Permission.PARTNER_READ_ANY,
    Permission.PARTNER_CREATE,
    Permission.PARTNER_EDIT_POOL,
    Permission.PARTNER_CLAIM,
    Permission.DO_NOT_CALL_ADD,
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
    Permission.CAMPAIGN_MANAGE,
}
_ADMINISTRATOR = _SUPERVISOR | {
    Permission.USER_MANAGE,
    Permission.SYSTEM_CONFIGURE,
    Permission.CALL_RECORD,
}

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "agent": frozenset(_AGENT),
    "sales_rep": frozenset(_SALES_REP),
    "supervisor": frozenset(_SUPERVISOR),
    "administrator": frozenset(_ADMINISTRATOR),
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
        return cls(None, "system", ADMINISTRATOR, ROLE_PERMISSIONS[ADMINISTRATOR])

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission, doing: str) -> None:
        if not self.can(permission):
            raise PermissionDenied(
                f"{self.username} ({self.role}) may not {doing}: "
                f"the role lacks the permission {permission.value}."
            )
