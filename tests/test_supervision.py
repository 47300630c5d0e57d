"""Whom a supervisor may watch live: his org unit and those below it, nobody
outside; an administrator everyone; an agent nobody but himself (the gateway
lets him watch his own events)."""

from __future__ import annotations

import pytest

import factories
from crm.errors import PermissionDenied
from crm.models import User
from crm.permissions import Actor
from crm.services.supervision import watch_scope
from crm.services.users import create_org_unit


def test_a_supervisor_watches_his_unit_and_those_below_it_and_nobody_else(db):
    with db.unit_of_work() as session:
        center = create_org_unit(session, Actor.system(), kind="contact_center", code="CC", name="CC")
        north = create_org_unit(session, Actor.system(), kind="site", code="N", name="North", parent=center)
        south = create_org_unit(session, Actor.system(), kind="site", code="S", name="South", parent=center)
        team = create_org_unit(session, Actor.system(), kind="team", code="N1", name="N1", parent=north)
        people = {name: factories.user(session, name, role) for name, role in
                  (("sue", "supervisor"), ("sam", "supervisor"), ("sol", "supervisor"), ("ann", "agent"),
                   ("ada", "administrator"))}
        for name, unit in (("sue", north), ("sam", team)):
            session.get(User, people[name].user_id).org_unit_id = unit.id
        ids = {"north": north.id, "south": south.id, "team": team.id}
    with db.reading() as session:
        sue, sam, sol = (watch_scope(session, people[n]) for n in ("sue", "sam", "sol"))
        assert sue.covers(ids["north"]) and sue.covers(ids["team"]) and not sue.covers(ids["south"])
        assert sam.covers(ids["team"]) and not sam.covers(ids["north"])
        assert not sue.covers(None) and not any(sol.covers(i) for i in ids.values())  # in no unit: nobody
        assert watch_scope(session, people["ada"]).everything
        with pytest.raises(PermissionDenied):
            watch_scope(session, people["ann"])
