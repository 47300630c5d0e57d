"""What supervisors do to agents (set Not ready, log off, send a message): whether a supervisor
may act on an agent, and the audit trail of every such action with its outcome.

A supervisor acts on the agents he may watch (crm.services.supervision: his org unit and the
units below it); an administrator on everyone. The CTI gateway asks before it acts and writes
the outcome; the console lists the trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from crm.errors import NotFound, PermissionDenied, ValidationError
from crm.models import AuditEntry, OrgUnit, User
from crm.permissions import Actor, Permission
from crm.services import audit, sessions
from crm.services.supervision import WatchScope, unit_scope, watch_scope

ENTITY = "supervision"  # AuditEntry.entity of a supervisor's action; entity_id: the agent's user id
ACTIONS = ("not_ready", "log_off", "message", "away")  # away: on the mail queue's channels (reason: which)
# Outcomes: "done", "after_call" (applies when the agent's call ends), or the gateway's refusal code.


@dataclass(frozen=True)
class Acting:
    """A supervisor allowed to act on an agent."""

    actor: Actor
    display_name: str
    agent_user_id: int


def acting_on(session: Session, actor: Actor, agent: str) -> Acting:
    """`actor` acting on the agent named `agent`: PermissionDenied when he may not act on agents or
    the agent is outside his org units, NotFound when the CRM has no such user."""
    actor.require(Permission.AGENT_WATCH, "act on agents")
    scope = watch_scope(session, actor)
    user = session.scalar(select(User).where(User.username == agent))
    if user is None:
        raise NotFound(f"There is no user {agent!r}.")
    if not scope.covers(user.org_unit_id):
        raise PermissionDenied(f"{agent} is not in {actor.username}'s org units: {actor.username} may not act on him.")
    return Acting(actor, _display_name(session, actor), user.id)


def acting_by_session(session: Session, token: str, action: str, agent: str,
                      **details) -> Acting | PermissionDenied | NotFound:
    """The supervisor of the CRM session `token` acting on `agent` (SessionEnded if it is not
    open), or his refusal, already written to the audit trail: the caller raises it once the
    trail's entry is committed (a service checking a supervisor's action on an agent)."""
    actor = sessions.actor_of(session, token).actor
    try:
        return acting_on(session, actor, agent)
    except (PermissionDenied, NotFound) as refusal:
        outcome = "forbidden" if isinstance(refusal, PermissionDenied) else "unknown_agent"
        record(session, actor, action, outcome, agent=agent, **details)
        return refusal


def messaging(session: Session, actor: Actor) -> str:
    """The display name of a supervisor who may message agents (PermissionDenied otherwise)."""
    actor.require(Permission.AGENT_BROADCAST, "send messages to agents")
    return _display_name(session, actor)


@dataclass(frozen=True)
class Team:
    code: str
    name: str


def teams(session: Session, actor: Actor) -> list[Team]:
    """The org units a supervisor may message (his own and those below it; every one for an
    administrator), by name."""
    scope = watch_scope(session, actor)
    query = select(OrgUnit.code, OrgUnit.name).order_by(OrgUnit.name, OrgUnit.code)
    if not scope.everything:
        query = query.where(OrgUnit.id.in_(list(scope.org_unit_ids)))
    return [Team(code, name) for code, name in session.execute(query)]


def team_scope(session: Session, actor: Actor, code: str) -> WatchScope:
    """The agents of the org unit `code` and of the units below it, if `actor` may act on them:
    PermissionDenied outside his units, ValidationError for a unit that does not exist."""
    scope = watch_scope(session, actor)
    unit = session.scalar(select(OrgUnit.id).where(OrgUnit.code == code))
    if unit is None:
        raise ValidationError(f"There is no org unit {code!r}.")
    if not scope.covers(unit):
        raise PermissionDenied(f"The org unit {code} is not one of {actor.username}'s.")
    return unit_scope(session, unit)


def record(session: Session, actor: Actor, action: str, outcome: str, *, agent: str | None = None,
           agent_user_id: int | None = None, queue: str | None = None, team: str | None = None,
           reason: str | None = None, text: str | None = None) -> None:
    """One action in the audit trail: who (actor), what, whom (an agent, a queue's agents, a
    team's, or everyone in the supervisor's units), when (now), and the outcome."""
    if action not in ACTIONS:
        raise ValueError(f"unknown supervisor action {action!r}")
    details = {"agent": agent, "queue": queue, "team": team, "reason": reason, "text": text, "outcome": outcome}
    audit.record(session, actor, entity=ENTITY, entity_id=agent_user_id, action=action,
                 changes={k: v for k, v in details.items() if v is not None})


@dataclass(frozen=True)
class ActionEntry:
    at: datetime
    by: str  # the supervisor's display name
    action: str  # one of ACTIONS
    agent: str | None
    queue: str | None
    team: str | None  # an org unit's code
    reason: str | None
    text: str | None
    outcome: str


@dataclass(frozen=True)
class ActionsPage:
    entries: list[ActionEntry]
    page: int
    more: bool  # a next page exists


def list_actions(session: Session, actor: Actor, *, page: int = 1, per_page: int = 50) -> ActionsPage:
    """The supervisors' actions, newest first: those on the agents of `actor`'s org units or
    taken by their supervisors; every one for an administrator (PermissionDenied for those who
    watch nobody)."""
    scope = watch_scope(session, actor)
    page = max(1, page)
    by, agent = aliased(User), aliased(User)
    query = (select(AuditEntry, by.display_name, by.username)
             .outerjoin(by, by.id == AuditEntry.user_id)
             .outerjoin(agent, agent.id == AuditEntry.entity_id)
             .where(AuditEntry.entity == ENTITY)
             .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))
    if not scope.everything:
        units = list(scope.org_unit_ids)
        query = query.where(or_(agent.org_unit_id.in_(units), by.org_unit_id.in_(units)))
    rows = session.execute(query.offset((page - 1) * per_page).limit(per_page + 1)).all()
    entries = [_entry(entry, name or username or "") for entry, name, username in rows[:per_page]]
    return ActionsPage(entries, page, more=len(rows) > per_page)


def _entry(entry: AuditEntry, by: str) -> ActionEntry:
    details = entry.changes or {}
    return ActionEntry(entry.at, by, entry.action, details.get("agent"), details.get("queue"), details.get("team"),
                       details.get("reason"), details.get("text"), details.get("outcome", ""))


def _display_name(session: Session, actor: Actor) -> str:
    name = session.scalar(select(User.display_name).where(User.id == actor.user_id)) if actor.user_id else None
    return name or actor.username
