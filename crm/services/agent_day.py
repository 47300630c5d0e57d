"""The agents a supervisor watches, with their team and the phone calls each answered since a
time, for the console's agents table to start from (read once per scope, not per browser)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from crm.models import Channel, Interaction, OrgUnit, User
from crm.services.supervision import WatchScope


@dataclass
class AgentDay:
    team: str | None  # the name of his org unit; None in none
    calls: set[str] = field(default_factory=set)  # the call ids (contact ids) he answered


def agents_day(session: Session, scope: WatchScope, since: float) -> dict[str, AgentDay]:
    """Every user of the scope by user name, with his org unit's name and the phone calls he
    answered since `since` (seconds since the epoch); one query (the interaction's agent index)."""
    after = datetime.fromtimestamp(since, UTC).replace(tzinfo=None)
    answered = and_(Interaction.agent_id == User.id, Interaction.channel == Channel.PHONE.value,
                    Interaction.answered_at.is_not(None), Interaction.answered_at >= after)
    query = (select(User.username, OrgUnit.name, Interaction.contact_id)
             .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
             .outerjoin(Interaction, answered))
    if not scope.everything:
        if not scope.org_unit_ids:
            return {}
        query = query.where(User.org_unit_id.in_(sorted(scope.org_unit_ids)))
    found: dict[str, AgentDay] = {}
    for username, team, call in session.execute(query):
        day = found.setdefault(username, AgentDay(team))
        if call is not None:
            day.calls.add(call)
    return found
