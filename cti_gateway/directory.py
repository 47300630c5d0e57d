"""Agents as the CRM knows them: the password check at login, and the
profile (skills, extension, wrap-up time and the mode after it) the ACD routes by. Called off the gateway's
event loop: argon2 is slow on purpose and the database may be remote."""

from __future__ import annotations

from sqlalchemy import select

from crm.db import Database, DatabaseOnDemand
from crm.models import Skill, User, UserSkill
from crm.services.broadcasts import BroadcastSender, authorize_broadcast
from crm.services.profiles import profile_for_user
from crm.services.users import authenticate, disabled_among
from cti_gateway.acd import AgentProfile


class CrmDirectory:
    def __init__(self, database: Database | DatabaseOnDemand):
        self.database = database

    def authenticate(self, username: str, password: str) -> AgentProfile:
        """The agent's profile; crm's AuthenticationFailed on a wrong password."""
        with self.database.unit_of_work() as session:  # a login may upgrade the hash
            actor = authenticate(session, username, password)
            user = session.get(User, actor.user_id)
            skills = dict(session.execute(
                select(Skill.name, UserSkill.level).join(UserSkill, UserSkill.skill_id == Skill.id)
                .where(UserSkill.user_id == user.id)).all())
            settings = profile_for_user(session, user.username)
            return AgentProfile(username=user.username, user_id=user.id,
                                display_name=user.display_name, skills=skills,
                                extension=user.extension, wrap_up_seconds=settings.wrap_up_seconds,
                                after_wrap_up=settings.after_wrap_up,
                                after_wrap_up_reason=settings.after_wrap_up_reason)

    def disabled_among(self, usernames: list[str]) -> list[str]:
        with self.database.reading() as session:
            return disabled_among(session, usernames)

    def broadcast_sender(self, username: str, password: str, text: str) -> BroadcastSender:
        """Who sends a broadcast, if the CRM lets him (AuthenticationFailed,
        PermissionDenied or ValidationError otherwise)."""
        with self.database.unit_of_work() as session:
            return authorize_broadcast(session, username, password, text)
