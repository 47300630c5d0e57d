"""Agents as the CRM knows them: whose session a login presents, and the
profile (skills, extension, wrap-up time and the mode after it) the ACD routes
by. Called off the gateway's event loop: the database may be remote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from crm.db import Database, DatabaseOnDemand
from crm.errors import PermissionDenied
from crm.models import Skill, User, UserSkill
from crm.permissions import Actor
from crm.services import sessions, supervisor_actions
from crm.services.broadcasts import BroadcastSender, broadcast_sender
from crm.services.profiles import profile_for_user
from crm.services.supervision import WatchScope, checked_queue_org_units, watch_scope
from crm.services.supervisor_actions import Acting
from crm.services.users import disabled_among
from cti_gateway.acd import AgentProfile

# Sessions ended at any time count: the gateway asks only about those it holds.
SINCE_EVER = datetime(2000, 1, 1)


@dataclass(frozen=True)
class SessionAgent:
    profile: AgentProfile
    token_hash: str  # what `ended_among` is asked about
    org_unit_id: int | None  # whose supervisors watch him


@dataclass(frozen=True)
class MessageSender:
    sender: BroadcastSender
    actor: Actor
    scope: WatchScope  # the agents his message may reach
    agent_user_id: int | None  # the one agent's, for a message to one agent


@dataclass(frozen=True)
class SessionWatcher:
    username: str
    scope: WatchScope | None  # None: an agent, who watches himself only
    token_hash: str


class CrmDirectory:
    def __init__(self, database: Database | DatabaseOnDemand):
        self.database = database

    def agent_of_session(self, token: str) -> SessionAgent:
        """The agent whose session `token` is; crm's SessionEnded if it is not open."""
        with self.database.reading() as session:
            opened = sessions.actor_of(session, token)
            user = session.get(User, opened.actor.user_id)
            skills = dict(session.execute(
                select(Skill.name, UserSkill.level).join(UserSkill, UserSkill.skill_id == Skill.id)
                .where(UserSkill.user_id == user.id)).all())
            settings = profile_for_user(session, user.username)
            profile = AgentProfile(username=user.username, user_id=user.id,
                                   display_name=user.display_name, skills=skills,
                                   extension=user.extension, wrap_up_seconds=settings.wrap_up_seconds,
                                   after_wrap_up=settings.after_wrap_up,
                                   after_wrap_up_reason=settings.after_wrap_up_reason)
            return SessionAgent(profile, opened.token_hash, user.org_unit_id)

    def watcher_of_session(self, token: str) -> SessionWatcher:
        """Who watches events with this session, and whose (SessionEnded if it is not open)."""
        with self.database.reading() as session:
            opened = sessions.actor_of(session, token)
            try:
                scope = watch_scope(session, opened.actor)
            except PermissionDenied:
                scope = None
            return SessionWatcher(opened.actor.username, scope, opened.token_hash)

    def supervisor_scope(self, token: str) -> WatchScope:
        """The agents a supervisor's session may see (SessionEnded, PermissionDenied)."""
        with self.database.reading() as session:
            return watch_scope(session, sessions.actor_of(session, token).actor)

    def checked_queue_org_units(self, queue_org_units: dict[str, tuple[str, ...]], demo: bool) -> dict[str, tuple[str, ...]]:
        """The queues' org units as the CRM has them (crm.services.supervision)."""
        with self.database.reading() as session:
            return checked_queue_org_units(session, queue_org_units, demo=demo)

    def ended_among(self, token_hashes: list[str]) -> dict[str, str]:
        """token hash → why, for those of these sessions that have ended."""
        with self.database.reading() as session:
            return sessions.ended_since(session, SINCE_EVER, token_hashes)

    def disabled_among(self, usernames: list[str]) -> list[str]:
        with self.database.reading() as session:
            return disabled_among(session, usernames)

    def broadcast_sender(self, token: str, text: str) -> BroadcastSender:
        """Who sends a broadcast, if his session is open (SessionEnded) and the CRM lets him
        (PermissionDenied or ValidationError otherwise)."""
        with self.database.reading() as session:
            return broadcast_sender(session, sessions.actor_of(session, token).actor, text)

    def message_sender(self, token: str, text: str, agent: str | None, queue: str | None,
                       team: str | None = None) -> MessageSender:
        """Who sends a message to agents, and whom it may reach: the agents of his org units, of
        `team` only if it is one of them, `agent` only if he is one of them (SessionEnded,
        PermissionDenied, NotFound, ValidationError)."""
        refusal = None
        with self.database.unit_of_work() as session:
            actor = sessions.actor_of(session, token).actor
            sender = broadcast_sender(session, actor, text)
            try:
                scope = supervisor_actions.team_scope(session, actor, team) if team else watch_scope(session, actor)
            except PermissionDenied as exc:
                refusal = exc
                supervisor_actions.record(session, actor, "message", "forbidden", team=team, queue=queue,
                                          text=text.strip())
        if refusal is not None:
            raise refusal
        agent_user_id = None
        if agent is not None:
            agent_user_id = self.supervisor_acting(token, "message", agent, queue=queue,
                                                   text=text.strip()).agent_user_id
        return MessageSender(sender, actor, scope, agent_user_id)

    def supervisor_acting(self, token: str, action: str, agent: str, **details) -> Acting:
        """The supervisor whose session `token` is, allowed to act on `agent` (SessionEnded,
        PermissionDenied, NotFound); a refusal on his rights goes to the audit trail."""
        with self.database.unit_of_work() as session:
            found = supervisor_actions.acting_by_session(session, token, action, agent, **details)
        if isinstance(found, Acting):
            return found
        raise found

    def record_action(self, actor: Actor, action: str, outcome: str, **details) -> None:
        """A supervisor's action and its outcome, in the CRM's audit trail."""
        with self.database.unit_of_work() as session:
            supervisor_actions.record(session, actor, action, outcome, **details)
