"""Do-not-call lists: the contact center's and a campaign's, checked at the moment of dialing, audited."""

import pytest
from sqlalchemy import select

import factories
from crm.errors import NotFound, PermissionDenied, ValidationError
from crm.models import AuditEntry, DoNotCall
from crm.permissions import Actor
from crm.services import campaigns, do_not_call


@pytest.fixture
def setup(db):
    with db.unit_of_work() as s:
        spring = campaigns.save_campaign(s, Actor.system(), "name: Spring\n")[0]
        autumn = campaigns.save_campaign(s, Actor.system(), "name: Autumn\n")[0]
        supervisor = factories.user(s, "sue", "supervisor")
        agent = factories.user(s, "amy", "agent")
    return spring.id, autumn.id, supervisor, agent


def test_a_number_is_blocked_by_the_center_list_everywhere_and_by_a_campaign_list_there_only(db, setup):
    spring, autumn, supervisor, agent = setup
    with db.unit_of_work() as s:
        do_not_call.add(s, agent, "138 0013 8000", "asked at wrap-up")  # the agent at wrap-up
        do_not_call.add(s, supervisor, "+86 10 6552 9988", "complained", campaign="Spring")
    with db.reading() as s:
        assert do_not_call.blocked(s, "+8613800138000", spring).reason == "asked at wrap-up"
        assert do_not_call.blocked(s, "+8613800138000", autumn) is not None
        assert do_not_call.blocked(s, "+8613800138000", None) is not None
        assert do_not_call.blocked(s, "+861065529988", spring).reason == "complained"
        assert do_not_call.blocked(s, "+861065529988", autumn) is None
        assert do_not_call.blocked(s, "+8613900139000", spring) is None
        assert do_not_call.blocked_numbers(s, ["+8613800138000", "+861065529988", "+8613900139000"],
                                           autumn) == {"+8613800138000"}


def test_each_addition_and_removal_is_audited_with_who_and_why(db, setup):
    _, _, supervisor, agent = setup
    with db.unit_of_work() as s:
        do_not_call.add(s, agent, "13800138000", "asked at wrap-up")
        do_not_call.add(s, agent, "+86 138 0013 8000", "again")  # already there: nothing new
    with db.unit_of_work() as s:
        do_not_call.remove(s, supervisor, "13800138000")
    with db.reading() as s:
        trail = [(a.action, a.user_id, a.changes) for a in s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "do_not_call").order_by(AuditEntry.id))]
        assert s.scalars(select(DoNotCall)).all() == []
    assert trail == [
        ("add", agent.user_id, {"number": "+8613800138000", "campaign": None, "reason": "asked at wrap-up"}),
        ("remove", supervisor.user_id, {"number": "+8613800138000", "campaign": None,
                                        "reason": "asked at wrap-up"}),
    ]


def test_agents_add_but_only_supervisors_remove_import_and_read(db, setup):
    _, _, _, agent = setup
    with db.unit_of_work() as s:
        do_not_call.add(s, agent, "13800138000", "asked")
        with pytest.raises(PermissionDenied, match="campaign.manage"):
            do_not_call.remove(s, agent, "13800138000")
        with pytest.raises(PermissionDenied):
            do_not_call.import_csv(s, agent, "number\n13900139000\n")
        with pytest.raises(PermissionDenied):
            do_not_call.export_csv(s, agent)
        sales = factories.user(s, "rep", "sales_rep")
        with pytest.raises(PermissionDenied, match="do_not_call.add"):
            do_not_call.add(s, sales, "13900139000", "asked")


@pytest.mark.parametrize("number, reason, campaign, message", [
    ("12345", "asked", None, "'12345' is not a phone number that can be dialed"),
    ("13800138000", "   ", None, "a reason"),
    ("13800138000", "x" * 201, None, "longer than 200"),
    ("13800138000", "asked", "Winter", "no campaign 'Winter'"),
    ("1380013\x008000", "asked", None, "NUL"),
])
def test_a_bad_entry_is_refused_with_a_clear_message(db, setup, number, reason, campaign, message):
    with db.unit_of_work() as s, pytest.raises((ValidationError, NotFound), match=message):
        do_not_call.add(s, Actor.system(), number, reason, campaign=campaign)


def test_import_adds_every_number_or_none_and_export_gives_them_back(db, setup):
    _, _, supervisor, _ = setup
    with db.unit_of_work() as s:
        added = do_not_call.import_csv(s, supervisor, "number,reason\n13800138000,court order\n"
                                                      "010-65529988,\n+86 138 0013 8000,twice\n",
                                       campaign="Spring")
    assert added == 2
    # the unit of work commits what the session holds: the service must add nothing before it has read all
    with db.unit_of_work() as s, pytest.raises(ValidationError, match="line 3: 'not a number'"):
        do_not_call.import_csv(s, supervisor, "number\n13900139000\nnot a number\n")
    with db.reading() as s:
        assert do_not_call.entries(s, supervisor) == []  # the bad file added nothing
        exported = do_not_call.export_csv(s, supervisor, campaign="Spring").splitlines()
    assert exported[0] == "number,campaign,reason,added_at,added_by"
    assert [line.split(",")[:3] for line in exported[1:]] == [
        ["+861065529988", "Spring", "imported"], ["+8613800138000", "Spring", "court order"]]
    assert all(line.endswith(",sue") for line in exported[1:])
    with db.reading() as s:
        trail = [(a.action, a.user_id, a.changes["number"], a.changes["reason"]) for a in s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "do_not_call").order_by(AuditEntry.id))]
    assert trail == [("add", supervisor.user_id, "+8613800138000", "court order"),
                     ("add", supervisor.user_id, "+861065529988", "imported")]
    with db.unit_of_work() as s, pytest.raises(ValidationError, match="'number' column"):
        do_not_call.import_csv(s, supervisor, "phone\n13900139000\n")


def test_removing_a_number_that_is_not_there_says_so(db, setup):
    with db.unit_of_work() as s, pytest.raises(NotFound, match="not on the do-not-call list of Spring"):
        do_not_call.remove(s, Actor.system(), "13800138000", campaign="Spring")
