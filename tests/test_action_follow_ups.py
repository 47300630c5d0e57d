"""Callbacks and tasks reach whoever must act on them: the follow-ups of a
user and his team, the most urgent first, marked done with an audit entry;
a task is not given to someone who could not read its customer."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

import factories
from crm.errors import NotFound, PermissionDenied, ValidationError
from crm.models import AuditEntry, BusinessTransaction, User, UserRole
from crm.permissions import Actor
from crm.services import transactions
from crm.services.users import create_org_unit

SYSTEM = Actor.system()
NOW = datetime(2026, 12, 1, 10, 0)


@pytest.fixture
def office(db):
    """ann and carl in team BJ-1, bob in BJ-2, sam a sales rep; a customer owned by
    nobody (the pool) and one owned by ann."""
    with db.unit_of_work() as s:
        cc = create_org_unit(s, SYSTEM, kind="contact_center", code="CC", name="Contact center")
        site = create_org_unit(s, SYSTEM, kind="site", code="BJ", name="Beijing", parent=cc)
        one = create_org_unit(s, SYSTEM, kind="team", code="BJ-1", name="Billing team", parent=site)
        two = create_org_unit(s, SYSTEM, kind="team", code="BJ-2", name="Sales team", parent=site)
        people = {name: factories.user(s, name) for name in ("ann", "bob", "carl")}
        people["sam"] = factories.user(s, "sam", UserRole.SALES_REP)
        for name, team in (("ann", one), ("carl", one), ("bob", two), ("sam", two)):
            s.get(User, people[name].user_id).org_unit_id = team.id
        pool = factories.person(s, first="伟", last="张", phones=["13800138000"], city="北京")
        owned = factories.person(s, people["ann"], first="芳", last="李", city="上海")
        s.flush()
        return {**people, "pool": pool.id, "owned": owned.id}


def callback(s, actor, partner_id, hours: int, team: str | None = None):
    return transactions.create_callback(
        s, actor, partner_id=partner_id, phone="13800138000", window_start=NOW + timedelta(hours=hours),
        window_end=NOW + timedelta(hours=hours + 2), to_team=team, now=NOW)


def test_my_follow_ups_are_mine_and_my_teams_open_ones_the_most_urgent_first(db, office):
    ann, bob, carl = office["ann"], office["bob"], office["carl"]
    with db.unit_of_work() as s:
        later = callback(s, ann, office["pool"], 48).number
        team = callback(s, bob, office["pool"], 5, team="BJ-1").number
        task = transactions.create_task(s, bob, partner_id=office["pool"], subject="Send the contract",
                                        assignee="ann", due=NOW + timedelta(hours=20), now=NOW).number
        undated = transactions.create_task(s, bob, partner_id=office["pool"], subject="Call the bank",
                                           team="BJ-1").number
        callback(s, bob, office["pool"], 1)  # bob's own
        callback(s, bob, office["pool"], 1, team="BJ-2")  # another team's
        done = callback(s, ann, office["pool"], 2)
        transactions.complete_follow_up(s, ann, done.id)
    with db.reading() as s:
        mine = transactions.follow_ups_for(s, ann)
        assert [f.number for f in mine] == [team, task, later, undated]
        first = mine[0]
        assert (first.kind, first.phone, first.partner_name, first.for_team) == (
            "callback", "13800138000", "张伟", "Billing team")
        assert mine[1].for_team is None and mine[1].subject == "Send the contract"
        assert [f.number for f in transactions.follow_ups_for(s, carl)] == [team, undated]  # the team's only


def test_done_marks_it_completed_once_in_the_audit_trail_and_only_for_its_people(db, office):
    ann, bob, carl = office["ann"], office["bob"], office["carl"]
    with db.unit_of_work() as s:
        team_callback = callback(s, ann, office["pool"], 3, team="BJ-1").id
        anns_task = transactions.create_task(s, bob, partner_id=office["pool"], subject="Check", assignee="ann").id
    with db.unit_of_work() as s, pytest.raises(PermissionDenied, match="not assigned to bob"):
        transactions.complete_follow_up(s, bob, team_callback)
    with db.unit_of_work() as s, pytest.raises(PermissionDenied, match="not assigned to carl"):
        transactions.complete_follow_up(s, carl, anns_task)
    with db.unit_of_work() as s:
        transactions.complete_follow_up(s, carl, team_callback, now=NOW)  # a colleague of the team
    with db.unit_of_work() as s, pytest.raises(ValidationError, match="completed already"):
        transactions.complete_follow_up(s, ann, team_callback)
    with db.unit_of_work() as s, pytest.raises(NotFound):
        transactions.complete_follow_up(s, ann, 999_999)
    with db.reading() as s:
        row = s.get(BusinessTransaction, team_callback)
        assert (row.status, row.closed_at) == ("completed", NOW)
        entry = s.scalar(select(AuditEntry).where(AuditEntry.entity_id == team_callback,
                                                  AuditEntry.action == "complete"))
        assert entry.user_id == carl.user_id and entry.changes["status"] == ["open", "completed"]
        assert transactions.follow_ups_for(s, ann)[0].transaction_id == anns_task


def test_a_task_for_a_colleague_who_may_not_read_the_customer_is_refused_with_what_to_do(db, office):
    ann = office["ann"]
    with db.unit_of_work() as s, pytest.raises(ValidationError,
                                               match="Sam may not read the customer .* share it with them"):
        transactions.create_task(s, ann, partner_id=office["owned"], subject="Quote", assignee="sam")
    with db.unit_of_work() as s:  # a pool customer every user reads: fine
        transactions.create_task(s, ann, partner_id=office["pool"], subject="Quote", assignee="sam")
    with db.reading() as s:
        assert [f.subject for f in transactions.follow_ups_for(s, office["sam"])] == ["Quote"]


def test_follow_ups_of_customers_the_user_may_not_read_are_not_listed(db, office):
    with db.unit_of_work() as s:  # a team task on ann's own customer: sam of BJ-2 may not read it
        transactions.create_task(s, office["ann"], partner_id=office["owned"], subject="Visit", team="BJ-2")
    with db.reading() as s:
        assert transactions.follow_ups_for(s, office["sam"]) == []
        assert [f.subject for f in transactions.follow_ups_for(s, office["bob"])] == ["Visit"]


def test_the_system_has_no_follow_ups(db, office):
    with db.reading() as s, pytest.raises(ValidationError, match="not a user"):
        transactions.follow_ups_for(s, SYSTEM)
