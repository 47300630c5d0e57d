"""IC profiles: settings on the contact center, sites, teams and users, each
level inheriting from the one above unless it overrides."""

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import factories
from crm.db import Database, upgrade
from crm.demo.seed import seed
from crm.errors import NotFound, PermissionDenied, ValidationError
from crm.models import AuditEntry, OrgUnit, ProfileSetting, User, UserRole
from crm.permissions import Actor
from crm.services.profiles import (
    DEFAULTS,
    OUTCOME_CODES,
    REASON_CODES,
    agent_profile,
    effective_settings,
    profile_for_user,
    profile_settings,
    set_profile_setting,
)
from crm.services.users import create_org_unit, user_by_name

SYSTEM = Actor.system()


@pytest.fixture
def units(db):
    """CC > BJ > BJ-1 and CC > LDN."""
    with db.unit_of_work() as s:
        cc = create_org_unit(s, SYSTEM, kind="contact_center", code="CC", name="Contact center")
        bj = create_org_unit(s, SYSTEM, kind="site", code="BJ", name="Beijing", parent=cc)
        create_org_unit(s, SYSTEM, kind="team", code="BJ-1", name="Billing", parent=bj)
        create_org_unit(s, SYSTEM, kind="site", code="LDN", name="London", parent=cc)


@pytest.fixture
def org(db, units):
    """The units, and users: lina works in BJ-1, tom in LDN, nomad in no unit."""
    with db.unit_of_work() as s:
        lina = factories.user(s, "lina")
        tom = factories.user(s, "tom")
        factories.user(s, "nomad")
        s.get(User, lina.user_id).org_unit_id = unit_id(s, "BJ-1")
        s.get(User, tom.user_id).org_unit_id = unit_id(s, "LDN")
    return {"lina": lina, "tom": tom}


def unit_id(session, code: str) -> int:
    return session.scalar(select(OrgUnit.id).where(OrgUnit.code == code))


def setting(db, key, value, **level):
    with db.unit_of_work() as s:
        set_profile_setting(s, SYSTEM, key, value, **level)


def effective(db, username) -> dict:
    with db.reading() as s:
        return effective_settings(s, user_by_name(s, username))


def stored_rows(db) -> list[tuple]:
    with db.reading() as s:
        return s.execute(select(ProfileSetting.org_unit_id, ProfileSetting.user_id,
                                ProfileSetting.key, ProfileSetting.value)
                         .order_by(ProfileSetting.id)).all()


def test_without_settings_an_agent_has_the_defaults_and_his_org_path(db, org):
    with db.reading() as s:
        profile = agent_profile(s, org["lina"])
    assert (profile.user_id, profile.username, profile.display_name, profile.role) == (
        org["lina"].user_id, "lina", "Lina", "agent")
    assert profile.org_path == ("CC", "BJ", "BJ-1")
    assert (profile.identification, profile.after_wrap_up, profile.after_wrap_up_reason) == (
        "confirm", "ready", None)
    assert profile.reason_codes == REASON_CODES and profile.reason_codes[0] == "billing_question"
    assert profile.outcome_codes == OUTCOME_CODES and "no_answer" in profile.outcome_codes
    assert (profile.not_ready_reasons, profile.queues, profile.wrap_up_seconds) == (None, None, None)


def test_each_level_overrides_the_one_above(db, org):
    # contact center < site < team < user, each on a key of its own and on a shared one
    setting(db, "identification", "propose", org_unit="CC")
    setting(db, "wrap_up_seconds", 60, org_unit="CC")
    setting(db, "after_wrap_up", "not_ready", org_unit="BJ")
    setting(db, "wrap_up_seconds", 45, org_unit="BJ")
    setting(db, "after_wrap_up_reason", "after_call_work", org_unit="BJ-1")
    setting(db, "wrap_up_seconds", 20, org_unit="BJ-1")
    setting(db, "queues", ["billing-zh", "general-zh"], username="lina")
    assert effective(db, "lina")["wrap_up_seconds"] == 20  # the team's: the user sets none yet

    setting(db, "wrap_up_seconds", 5.5, username="lina")
    with db.reading() as s:
        lina = profile_for_user(s, "lina")
        tom = profile_for_user(s, "tom")
    assert (lina.identification, lina.after_wrap_up, lina.after_wrap_up_reason) == (
        "propose", "not_ready", "after_call_work")
    assert (lina.queues, lina.wrap_up_seconds) == (("billing-zh", "general-zh"), 5.5)
    # London inherits only from the contact center
    assert (tom.identification, tom.after_wrap_up, tom.wrap_up_seconds, tom.queues) == (
        "propose", "ready", 60.0, None)


def test_a_lower_level_overrides_a_list_and_removing_it_inherits_again(db, org):
    setting(db, "reason_codes", ["billing_question", "complaint"], org_unit="CC")
    setting(db, "reason_codes", ["technical_fault"], org_unit="BJ")
    assert effective(db, "lina")["reason_codes"] == ["technical_fault"]
    assert effective(db, "tom")["reason_codes"] == ["billing_question", "complaint"]

    setting(db, "reason_codes", None, org_unit="BJ")
    assert effective(db, "lina")["reason_codes"] == ["billing_question", "complaint"]
    setting(db, "reason_codes", None, org_unit="CC")
    assert effective(db, "lina")["reason_codes"] == list(REASON_CODES)
    assert stored_rows(db) == []
    setting(db, "reason_codes", None, org_unit="CC")  # removing what is not there: nothing to do


def test_setting_a_key_again_replaces_its_value(db, org):
    setting(db, "not_ready_reasons", ["break", "lunch"], org_unit="BJ")
    setting(db, "not_ready_reasons", ["lunch", "training"], org_unit="BJ")
    with db.reading() as s:
        assert agent_profile(s, org["lina"]).not_ready_reasons == ("lunch", "training")
        bj_id = s.scalar(select(ProfileSetting.org_unit_id))
    assert stored_rows(db) == [(bj_id, None, "not_ready_reasons", ["lunch", "training"])]


def test_the_defaults_are_not_changed_by_what_a_caller_does_with_the_result(db, org):
    effective(db, "lina")["reason_codes"].append("mine")
    assert effective(db, "lina")["reason_codes"] == list(REASON_CODES) == DEFAULTS["reason_codes"]


def test_profile_settings_lists_only_what_a_level_sets_itself(db, org):
    setting(db, "identification", "propose", org_unit="CC")
    setting(db, "after_wrap_up", "not_ready", org_unit="BJ")
    setting(db, "after_wrap_up_reason", "lunch", org_unit="BJ")
    setting(db, "identification", "confirm", username="lina")
    with db.reading() as s:
        assert profile_settings(s, org_unit="CC") == {"identification": "propose"}
        assert profile_settings(s, org_unit="BJ") == {"after_wrap_up": "not_ready",
                                                      "after_wrap_up_reason": "lunch"}
        assert profile_settings(s, org_unit="BJ-1") == {}
        assert profile_settings(s, username="lina") == {"identification": "confirm"}
        assert profile_settings(s, username="tom") == {}


def test_a_user_without_an_org_unit_has_the_defaults_and_his_own_settings(db, org):
    setting(db, "identification", "propose", org_unit="CC")
    setting(db, "outcome_codes", ["resolved", "follow_up"], username="nomad")
    with db.unit_of_work() as s:
        nomad = Actor.for_user(user_by_name(s, "nomad"))
    with db.reading() as s:
        profile = agent_profile(s, nomad)
    assert profile.org_path == ()
    assert profile.identification == "confirm"  # the contact center's setting does not reach him
    assert profile.outcome_codes == ("resolved", "follow_up")
    assert profile.reason_codes == REASON_CODES


def test_the_system_has_no_profile_and_an_unknown_user_is_not_found(db, org):
    with db.reading() as s:
        with pytest.raises(ValidationError, match="no agent profile"):
            agent_profile(s, SYSTEM)
        with pytest.raises(NotFound, match="ghost"):
            profile_for_user(s, "ghost")


@pytest.mark.parametrize("key, value, complaint", [
    ("identification", "guess", "identification is one of 'confirm', 'propose'"),
    ("identification", True, "identification is one of"),
    ("after_wrap_up", "busy", "after_wrap_up is one of 'ready', 'not_ready'"),
    ("after_wrap_up_reason", "   ", "empty one"),
    ("after_wrap_up_reason", 3, "after_wrap_up_reason holds text codes"),
    ("after_wrap_up_reason", "x" * 41, "at most 40 characters"),
    ("not_ready_reasons", "lunch", "not_ready_reasons is a list of codes"),
    ("not_ready_reasons", [], "needs at least one code"),
    ("not_ready_reasons", ["lunch", "lunch"], "names lunch more than once"),
    ("reason_codes", ["billing_question", ""], "empty one"),
    ("reason_codes", ["y" * 41], "at most 40 characters"),
    ("reason_codes", {"billing_question": 1}, "reason_codes is a list of codes"),
    ("outcome_codes", [1, 2], "outcome_codes holds text codes"),
    ("outcome_codes", [], "needs at least one code"),
    ("queues", "billing-zh", "queues is a list of codes"),
    ("queues", ["q" * 81], "at most 80 characters"),
    ("wrap_up_seconds", -1, "wrap_up_seconds cannot be negative"),
    ("wrap_up_seconds", "30", "wrap_up_seconds is a number of seconds"),
    ("wrap_up_seconds", float("nan"), "number of seconds"),
    ("wrap_up_seconds", True, "number of seconds"),
    ("colour", "green", "unknown profile setting 'colour'"),
])
def test_wrong_values_are_refused_with_what_the_key_takes(db, units, key, value, complaint):
    with db.unit_of_work() as s, pytest.raises(ValidationError, match=complaint):
        set_profile_setting(s, SYSTEM, key, value, org_unit="BJ")
    assert stored_rows(db) == []


def test_valid_values_are_stored_trimmed_and_lists_as_lists(db, org):
    setting(db, "after_wrap_up_reason", " lunch ", org_unit="BJ")
    setting(db, "queues", ("billing-zh", " general-zh"), org_unit="BJ")
    setting(db, "wrap_up_seconds", 0, org_unit="BJ")
    with db.reading() as s:
        assert profile_settings(s, org_unit="BJ") == {
            "after_wrap_up_reason": "lunch", "queues": ["billing-zh", "general-zh"],
            "wrap_up_seconds": 0}
        assert agent_profile(s, org["lina"]).wrap_up_seconds == 0.0


@pytest.mark.parametrize("level, error, complaint", [
    ({}, ValidationError, "exactly one level"),
    ({"org_unit": "BJ", "username": "lina"}, ValidationError, "exactly one level"),
    ({"org_unit": "MARS"}, NotFound, "MARS"),
    ({"username": "ghost"}, NotFound, "ghost"),
])
def test_a_setting_is_made_on_exactly_one_existing_level(db, units, level, error, complaint):
    with db.unit_of_work() as s, pytest.raises(error, match=complaint):
        set_profile_setting(s, SYSTEM, "identification", "propose", **level)
    with db.reading() as s, pytest.raises(error, match=complaint):
        profile_settings(s, **level)
    assert stored_rows(db) == []


@pytest.mark.parametrize("role", [UserRole.AGENT, UserRole.SUPERVISOR, UserRole.SALES_REP])
def test_only_administrators_change_profiles(db, units, role):
    with db.unit_of_work() as s:
        someone = factories.user(s, "someone", role)
    with db.unit_of_work() as s:
        with pytest.raises(PermissionDenied, match="system.configure"):
            set_profile_setting(s, someone, "identification", "propose", username="someone")
    assert stored_rows(db) == []
    with db.unit_of_work() as s:
        admin = factories.user(s, "root", UserRole.ADMINISTRATOR)
        set_profile_setting(s, admin, "identification", "propose", username="someone")
    assert effective(db, "someone")["identification"] == "propose"


def test_every_change_goes_to_the_audit_trail(db, units):
    with db.unit_of_work() as s:
        admin = factories.user(s, "root", UserRole.ADMINISTRATOR)
    for value in ("propose", "propose", "confirm", None):  # the repeated value changes nothing
        with db.unit_of_work() as s:
            set_profile_setting(s, admin, "identification", value, org_unit="BJ")
    with db.reading() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.entity == "profile_setting")
                            .order_by(AuditEntry.id)).all()
        assert [(e.user_id, e.action, e.changes) for e in entries] == [
            (admin.user_id, "set", {"level": "org_unit:BJ", "key": "identification",
                                    "value": [None, "propose"]}),
            (admin.user_id, "set", {"level": "org_unit:BJ", "key": "identification",
                                    "value": ["propose", "confirm"]}),
            (admin.user_id, "remove", {"level": "org_unit:BJ", "key": "identification",
                                       "value": ["confirm", None]}),
        ]


def test_a_stored_value_that_is_no_longer_valid_is_ignored(db, org, caplog):
    setting(db, "identification", "propose", org_unit="CC")
    with db.unit_of_work() as s:
        bj = unit_id(s, "BJ")
        s.add(ProfileSetting(org_unit_id=bj, key="identification", value="telepathy"))
        s.add(ProfileSetting(org_unit_id=bj, key="retired_key", value=1))
    settings = effective(db, "lina")
    assert settings["identification"] == "propose"  # the contact center's, not telepathy
    assert "retired_key" not in settings
    assert "telepathy" in caplog.text


def test_the_database_keeps_one_row_per_level_and_key(db, org):
    with db.unit_of_work() as s:
        lina, bj = org["lina"].user_id, unit_id(s, "BJ-1")
    bad_rows = [
        [ProfileSetting(key="identification", value="propose")],  # no level
        [ProfileSetting(org_unit_id=bj, user_id=lina, key="identification", value="propose")],
        [ProfileSetting(user_id=lina, key="identification", value="propose"),
         ProfileSetting(user_id=lina, key="identification", value="confirm")],
        [ProfileSetting(org_unit_id=bj, key="identification", value="propose"),
         ProfileSetting(org_unit_id=bj, key="identification", value="confirm")],
    ]
    for rows in bad_rows:
        with pytest.raises(IntegrityError), db.unit_of_work() as s:
            for row in rows:
                s.add(row)
                s.flush()
    # the same key on a unit and on a user is fine
    with db.unit_of_work() as s:
        s.add_all([ProfileSetting(org_unit_id=bj, key="identification", value="propose"),
                   ProfileSetting(user_id=lina, key="identification", value="confirm")])
    assert len(stored_rows(db)) == 2


# --- the demo data ----------------------------------------------------------------


def test_the_demo_profiles_show_inheritance_and_use_a_reason_the_gateway_knows(empty_engine):
    from cti_gateway.acd.engine import AcdSettings

    upgrade(empty_engine)
    database = Database(empty_engine)
    seed(database, 0, now=datetime(2026, 6, 1))
    with database.reading() as s:
        profiles = {name: profile_for_user(s, name)
                    for name in ("agent1", "agent4", "agent5", "sales1")}
        assert profile_settings(s, org_unit="CC") == {"reason_codes": list(REASON_CODES),
                                                      "outcome_codes": list(OUTCOME_CODES)}
    assert profiles["agent1"].org_path == ("CC", "BJ", "BJ-SVC")
    agent1 = profiles["agent1"]
    assert (agent1.identification, agent1.after_wrap_up) == ("confirm", "ready")
    assert profiles["agent5"].identification == "propose"  # London site
    assert profiles["agent4"].identification == "confirm"  # London, but her own setting
    sales = profiles["sales1"]
    assert (sales.org_path, sales.after_wrap_up, sales.after_wrap_up_reason) == (
        ("CC", "BJ", "BJ-SALES"), "not_ready", "after_call_work")
    assert sales.after_wrap_up_reason in AcdSettings().not_ready_reasons
    assert sales.reason_codes == REASON_CODES
    # the service writes after the seeded rows (PostgreSQL's id sequence follows them)
    with database.unit_of_work() as s:
        set_profile_setting(s, SYSTEM, "wrap_up_seconds", 90, org_unit="BJ-TECH")
    with database.reading() as s:
        assert profile_for_user(s, "agent3").wrap_up_seconds == 90.0
        assert s.scalar(select(func.count()).select_from(ProfileSetting)) == 7
    database.dispose()


def test_the_cti_gateway_takes_the_agents_wrap_up_time_from_his_profile_at_login(db, org):
    from cti_gateway.directory import CrmDirectory

    from crm.services.sessions import sign_in

    def logged_in(username: str):  # the agent's session, as the gateway takes it at login
        with db.unit_of_work() as session:
            token = sign_in(session, username, factories.PASSWORD, client="desktop", source="test").token
        return directory.agent_of_session(token).profile

    directory = CrmDirectory(db)
    assert logged_in("lina").wrap_up_seconds is None  # the queue's
    setting(db, "wrap_up_seconds", 90, org_unit="BJ")
    assert logged_in("lina").wrap_up_seconds == 90.0
    assert logged_in("tom").wrap_up_seconds is None
