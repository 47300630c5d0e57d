"""Whom a supervisor may act on (set Not ready, log off, send a message): the agents he may
watch, his org unit and those below it; an administrator everyone; an agent nobody. Every
action goes to the audit trail with its outcome, listed newest first, a supervisor seeing his
own units' and an administrator all."""

from __future__ import annotations

import pytest

import factories
from sqlalchemy import select

from crm.errors import NotFound, PermissionDenied, ValidationError
from crm.models import OrgUnit, User
from crm.permissions import Actor
from crm.services import supervisor_actions
from crm.services.users import create_org_unit


@pytest.fixture
def center(db):
    with db.unit_of_work() as session:
        top = create_org_unit(session, Actor.system(), kind="contact_center", code="CC", name="CC")
        north = create_org_unit(session, Actor.system(), kind="site", code="N", name="North", parent=top)
        south = create_org_unit(session, Actor.system(), kind="site", code="S", name="South", parent=top)
        team = create_org_unit(session, Actor.system(), kind="team", code="N1", name="N1", parent=north)
        people = {name: factories.user(session, name, role) for name, role in
                  (("sue", "supervisor"), ("sol", "supervisor"), ("ann", "agent"), ("amy", "agent"),
                   ("bob", "agent"), ("ada", "administrator"))}
        for name, unit in (("sue", north), ("ann", team), ("amy", north), ("sol", south), ("bob", south)):
            session.get(User, people[name].user_id).org_unit_id = unit.id
    return people


def test_a_supervisor_acts_on_the_agents_of_his_units_and_below_and_no_one_else(db, center):
    with db.reading() as session:
        acting = supervisor_actions.acting_on(session, center["sue"], "ann")
        assert acting.display_name == "Sue" and acting.agent_user_id == center["ann"].user_id
        assert supervisor_actions.acting_on(session, center["sue"], "amy").agent_user_id == center["amy"].user_id
        with pytest.raises(PermissionDenied, match="not in sue's org units"):
            supervisor_actions.acting_on(session, center["sue"], "bob")
        with pytest.raises(PermissionDenied):
            supervisor_actions.acting_on(session, center["sol"], "ann")
        assert supervisor_actions.acting_on(session, center["ada"], "bob").agent_user_id == center["bob"].user_id
        with pytest.raises(PermissionDenied, match="may not act on agents"):
            supervisor_actions.acting_on(session, center["ann"], "amy")  # an agent's own session
        with pytest.raises(NotFound):
            supervisor_actions.acting_on(session, center["ada"], "nobody")


def test_the_trail_lists_each_action_newest_first_to_the_supervisors_of_its_units(db, center):
    with db.unit_of_work() as session:
        supervisor_actions.record(session, center["sue"], "not_ready", "done", agent="ann",
                                  agent_user_id=center["ann"].user_id, reason="meeting")
        supervisor_actions.record(session, center["sol"], "log_off", "after_call", agent="bob",
                                  agent_user_id=center["bob"].user_id)
        supervisor_actions.record(session, center["sue"], "log_off", "forbidden", agent="bob",
                                  agent_user_id=center["bob"].user_id)
        supervisor_actions.record(session, center["sue"], "message", "done", queue="billing", text="Meeting at 3")
    with db.reading() as session:
        sue = supervisor_actions.list_actions(session, center["sue"])
        assert [(e.action, e.outcome) for e in sue.entries] == [
            ("message", "done"), ("log_off", "forbidden"), ("not_ready", "done")]  # his, and on his agents
        assert sue.entries[0].queue == "billing" and sue.entries[0].text == "Meeting at 3"
        assert sue.entries[2].by == "Sue" and sue.entries[2].reason == "meeting" and sue.entries[2].agent == "ann"
        sol = supervisor_actions.list_actions(session, center["sol"])
        assert [(e.action, e.agent) for e in sol.entries] == [("log_off", "bob"), ("log_off", "bob")]
        everything = supervisor_actions.list_actions(session, center["ada"], per_page=3)
        assert len(everything.entries) == 3 and everything.more
        last = supervisor_actions.list_actions(session, center["ada"], page=2, per_page=3)
        assert [e.action for e in last.entries] == ["not_ready"] and not last.more
        with pytest.raises(PermissionDenied):
            supervisor_actions.list_actions(session, center["ann"])


def test_a_supervisor_messages_the_teams_of_his_units_only(db, center):
    with db.reading() as session:
        assert [t.code for t in supervisor_actions.teams(session, center["sue"])] == ["N1", "N"]  # by name
        assert [t.code for t in supervisor_actions.teams(session, center["ada"])] == ["CC", "N1", "N", "S"]
        team = supervisor_actions.team_scope(session, center["sue"], "N1")
        north = supervisor_actions.team_scope(session, center["sue"], "N")
        ids = {code: session.scalar(select(OrgUnit.id).where(OrgUnit.code == code)) for code in ("N", "N1", "S")}
        assert team.covers(ids["N1"]) and not team.covers(ids["N"])
        assert north.covers(ids["N"]) and north.covers(ids["N1"]) and not north.covers(ids["S"])
        with pytest.raises(PermissionDenied):
            supervisor_actions.team_scope(session, center["sue"], "S")
        with pytest.raises(PermissionDenied):
            supervisor_actions.team_scope(session, center["sue"], "CC")  # above her unit
        with pytest.raises(ValidationError):
            supervisor_actions.team_scope(session, center["sue"], "nowhere")
