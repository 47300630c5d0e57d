"""What a supervisor may watch live (the gateway's and the mail queue's events, their status,
the console, the reports): the agents of his org unit and of every unit below it, and the queues
of those units. An administrator, and the system, watch everything; a supervisor in no org unit
watches nobody."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import OrgUnit, User
from crm.permissions import Actor, Permission


@dataclass(frozen=True)
class WatchScope:
    everything: bool
    org_unit_ids: frozenset[int] = frozenset()
    # the same units by their codes, as the services' configuration names a queue's org units;
    # they follow from the ids, so they take no part in comparing scopes
    org_unit_codes: frozenset[str] = field(default=frozenset(), compare=False)

    def covers(self, org_unit_id: int | None) -> bool:
        """Whether an agent of this org unit (None: of none) is watched."""
        return self.everything or (org_unit_id is not None and org_unit_id in self.org_unit_ids)

    def sees_queue(self, queue_org_units: Collection[str], served_by_his_agents: bool) -> bool:
        """The one rule for the queues a supervisor sees, in every service and the reports: a queue
        that names org units (its `org_units` in the configuration) is seen by the supervisors of
        those units and of the units above them, whoever serves it; a queue that names none by the
        supervisors whose agents serve it (`served_by_his_agents`: the gateway, logged in to it now;
        the reports, worked in it over the range; the mail queue counts every watch). An
        administrator sees every queue."""
        if self.everything:
            return True
        if queue_org_units:
            return not self.org_unit_codes.isdisjoint(queue_org_units)
        return served_by_his_agents


def watch_scope(session: Session, actor: Actor) -> WatchScope:
    """The agents `actor` may watch; PermissionDenied for those who may watch nobody's work."""
    actor.require(Permission.AGENT_WATCH, "watch agents and queues live")
    if actor.user_id is None or Permission.SYSTEM_CONFIGURE in actor.permissions:
        return WatchScope(everything=True)
    unit = session.scalar(select(User.org_unit_id).where(User.id == actor.user_id))
    if unit is None:
        return WatchScope(everything=False)
    return unit_scope(session, unit)


def unit_scope(session: Session, unit_id: int) -> WatchScope:
    """The agents and queues of an org unit and of the units below it."""
    ids = unit_and_below(session, unit_id)
    codes = session.scalars(select(OrgUnit.code).where(OrgUnit.id.in_(sorted(ids))))
    return WatchScope(everything=False, org_unit_ids=frozenset(ids), org_unit_codes=frozenset(codes))


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


class UnknownOrgUnit(ValueError):
    """A queue's configuration names an org unit that the CRM has not got."""


def checked_queue_org_units(session: Session, queue_org_units: Mapping[str, tuple[str, ...]], *,
                            demo: bool = False) -> dict[str, tuple[str, ...]]:
    """Each queue's org units (codes), checked against the CRM's: UnknownOrgUnit names every queue
    and code it has not got. The services' embedded demo queues (`demo`) name the demo data's org
    units, and where the CRM has not got those they name none."""
    known = set(session.scalars(select(OrgUnit.code)))
    unknown = {queue: sorted(set(codes) - known) for queue, codes in queue_org_units.items()}
    if not any(unknown.values()):
        return dict(queue_org_units)
    if demo:
        return {queue: () for queue in queue_org_units}
    raise UnknownOrgUnit("; ".join(
        f"queue {queue}: org_units names {', '.join(map(repr, codes))}, which is not the code of an org unit "
        f"in the CRM" for queue, codes in unknown.items() if codes))


def org_unit_of(session: Session, user_id: int) -> int | None:
    return session.scalar(select(User.org_unit_id).where(User.id == user_id))
