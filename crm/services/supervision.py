"""What a supervisor may watch live (the gateway's events, its status): the
agents of his org unit and of every unit below it. An administrator, and the
system, watch everything; a supervisor in no org unit watches nobody."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import OrgUnit, User
from crm.permissions import Actor, Permission


@dataclass(frozen=True)
class WatchScope:
    everything: bool
    org_unit_ids: frozenset[int] = frozenset()

    def covers(self, org_unit_id: int | None) -> bool:
        """Whether an agent of this org unit (None: of none) is watched."""
        return self.everything or (org_unit_id is not None and org_unit_id in self.org_unit_ids)


def watch_scope(session: Session, actor: Actor) -> WatchScope:
    """The agents `actor` may watch; PermissionDenied for those who may watch nobody's work."""
    actor.require(Permission.AGENT_WATCH, "watch agents and queues live")
    if actor.user_id is None or Permission.SYSTEM_CONFIGURE in actor.permissions:
        return WatchScope(everything=True)
    unit = session.scalar(select(User.org_unit_id).where(User.id == actor.user_id))
    if unit is None:
        return WatchScope(everything=False)
    return WatchScope(everything=False, org_unit_ids=frozenset(unit_and_below(session, unit)))


def unit_and_below(session: Session, unit_id: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for unit, parent in session.execute(select(OrgUnit.id, OrgUnit.parent_id)):
        children.setdefault(parent, []).append(unit)
    found, waiting = set(), [unit_id]
    while waiting:
        unit = waiting.pop()
        if unit not in found:  # a cycle in the table must not loop forever
            found.add(unit)
            waiting.extend(children.get(unit, ()))
    return found


def org_unit_of(session: Session, user_id: int) -> int | None:
    return session.scalar(select(User.org_unit_id).where(User.id == user_id))
