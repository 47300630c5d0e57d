"""The wallboard's agents table in plain Python, with a fake clock: the thresholds a supervisor
set (when each time turns to a warning), the agent's team and the calls he handled today (read
once from the CRM, grown by the calls the watch sees, each counted once), the [console.agents]
section."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from admin_console.config import ConsoleConfigError, load_console_config
from admin_console.alerts.figures import local_midnight
from admin_console.wallboard.agents import AgentLimits, HandledToday
from admin_console.wallboard.model import Wallboard
from bus import cti
from crm.services.agent_day import AgentDay

T0 = time.mktime((2024, 5, 6, 10, 0, 0, 0, 0, -1))  # 10:00 local time
LIMITS = AgentLimits(ready=300, contact=600, wrap_up=60, not_ready={"break": 900})


class Clock:
    def __init__(self, now: float = T0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def call(call_id="c1", answered_at: float | None = T0, role="handler", queue="billing") -> cti.CallView:
    return cti.CallView(call_id=call_id, role=role, state="connected" if answered_at else "ringing",
                        direction="inbound", ani="13900000001", dnis="4001", queue=queue, waited=3,
                        offered_at=T0 - 5, answered_at=answered_at)


def agent(name="ann", mode="ready", since=T0, reason=None, calls=()) -> cti.AgentView:
    return cti.AgentView(agent=name, name=name.title(), mode=mode, reason=reason, since=since, queues=["billing"],
                         device=None, calls=list(calls))


def status(agents=()) -> cti.StatusResult:
    return cti.StatusResult(run="r", started_at=0, sip_address="", front="worker", workers=[], queues=[],
                            agents=list(agents), records_healthy=True, records_backlog=0)


def board(clock: Clock, *agents: cti.AgentView, roster=None, limits=LIMITS) -> Wallboard:
    model = Wallboard(clock, silence=1e9, limits=limits)
    model.seed(status(agents), roster=roster)
    return model


def row(model: Wallboard, name="ann") -> dict:
    return next(a for a in model.view()["agents"] if a["agent"] == name)


# --- thresholds ------------------------------------------------------------------------------

def test_ready_for_longer_than_its_limit_turns_to_a_warning_when_the_time_passes():
    clock = Clock()
    model = board(clock, agent(mode="ready", since=T0))
    assert row(model)["warn"] == {"limit": 300, "at": T0 + 300, "over": False}  # the page turns it at T0 + 300
    clock.now = T0 + 300
    assert row(model)["warn"]["over"] is False  # at the limit, not over it
    clock.now = T0 + 301
    assert row(model)["warn"]["over"] is True


def test_not_ready_uses_its_reasons_limit_and_a_reason_without_one_never_warns():
    clock = Clock(T0 + 901)
    model = board(clock, agent("ann", "not_ready", reason="break"), agent("bob", "not_ready", reason="training"))
    assert row(model, "ann")["warn"] == {"limit": 900, "at": T0 + 900, "over": True}
    assert row(model, "bob")["warn"] is None
    clock.now = T0 + 86_400
    assert row(model, "bob")["warn"] is None


def test_wrap_up_and_one_contact_have_their_own_limits_and_busy_has_none_of_its_own():
    clock = Clock(T0 + 61)
    model = board(clock, agent("ann", "wrap_up"), agent("bob", "busy", calls=[call(answered_at=T0 - 540)]))
    assert row(model, "ann")["warn"]["over"] is True
    bob = row(model, "bob")
    assert bob["warn"] is None  # busy: the contact's time is what is limited
    assert bob["call"]["warn"] == {"limit": 600, "at": T0 + 60, "over": True}
    assert bob["call"]["since"] == T0 - 540


def test_a_contact_ringing_or_consulted_has_no_limit_yet():
    clock = Clock(T0 + 10_000)
    model = board(clock, agent("ann", "offered", calls=[call(answered_at=None)]),
                  agent("bob", "busy", calls=[call(role="consulted")]))
    assert row(model, "ann")["call"]["warn"] is None and row(model, "ann")["warn"] is None
    assert row(model, "bob")["call"]["warn"] is None


def test_without_limits_nothing_warns():
    clock = Clock(T0 + 100_000)
    model = board(clock, agent("ann", "ready"), agent("bob", "busy", calls=[call()]), limits=AgentLimits())
    assert row(model, "ann")["warn"] is None and row(model, "bob")["call"]["warn"] is None


def test_a_new_mode_starts_its_own_time():
    clock = Clock(T0 + 400)
    model = board(clock, agent("ann", "ready"))
    assert row(model)["warn"]["over"] is True
    model.apply(cti.AgentStateChanged(state=agent("ann", "ready", since=T0 + 399)))
    assert row(model)["warn"] == {"limit": 300, "at": T0 + 699, "over": False}


# --- team and calls handled today ------------------------------------------------------------

def test_team_and_calls_today_from_the_crm_then_each_call_seen_answered_counts_once():
    clock = Clock()
    roster = {"ann": AgentDay("North", {"c0", "c1"}), "bob": AgentDay(None)}
    model = board(clock, agent("ann", "busy", calls=[call("c1")]), agent("bob"), roster=roster)
    assert (row(model, "ann")["team"], row(model, "ann")["handled"]) == ("North", 2)  # c1: read and seen
    assert (row(model, "bob")["team"], row(model, "bob")["handled"]) == (None, 0)
    model.apply(cti.AgentStateChanged(state=agent("bob", "offered", calls=[call("c2", answered_at=None)])))
    assert row(model, "bob")["handled"] == 0  # ringing is not handled
    model.apply(cti.AgentStateChanged(state=agent("bob", "busy", calls=[call("c2")])))
    model.apply(cti.AgentStateChanged(state=agent("bob", "busy", calls=[call("c2")])))  # on hold, and so on
    model.apply(cti.AgentStateChanged(state=agent("bob", "wrap_up")))
    assert row(model, "bob")["handled"] == 1
    model.apply(cti.AgentStateChanged(state=agent("bob", "busy", calls=[call("c3", role="consulted")])))
    assert row(model, "bob")["handled"] == 1  # consulted by a colleague: not his call


def test_a_call_answered_while_the_gateway_was_away_counts_at_the_next_snapshot():
    clock = Clock()
    model = board(clock, agent("ann"), roster={"ann": AgentDay("North", {"c1"})})
    model.lost("silent")
    model.seed(status([agent("ann", "busy", calls=[call("c2")])]))  # no new read of the CRM
    assert row(model)["handled"] == 2 and row(model)["team"] == "North"


def test_today_starts_again_at_midnight_and_yesterdays_call_does_not_count():
    clock = Clock()
    model = board(clock, agent("ann", "busy", calls=[call("c1")]))
    assert row(model)["handled"] == 1
    midnight = local_midnight(T0) + 86_400
    clock.now = midnight + 5
    version = model.version
    model.check()
    assert model.version > version  # browsers are told
    assert row(model)["handled"] == 0
    model.apply(cti.AgentStateChanged(state=agent("ann", "busy", calls=[call("c1")])))  # answered yesterday
    assert row(model)["handled"] == 0
    model.apply(cti.AgentStateChanged(state=agent("ann", "busy", calls=[call("c9", answered_at=midnight + 2)])))
    assert row(model)["handled"] == 1


def test_handled_today_alone():
    clock = Clock()
    today = HandledToday(clock)
    today.seed({"ann": ["c1"]})
    assert today.observe(agent(calls=[call("c1")])) is False  # read from the CRM already
    assert today.observe(agent(calls=[call("c2")])) is True
    assert (today.count("ann"), today.count("nobody")) == (2, 0)


def test_the_local_midnight():
    moment = time.localtime(local_midnight(T0))
    assert (moment.tm_mday, moment.tm_hour, moment.tm_min) == (6, 0, 0)


# --- the CRM's side: one query per scope -----------------------------------------------------

def test_the_scopes_agents_with_their_team_and_calls_answered_today(db):
    from crm.models import Interaction
    from crm.permissions import Actor
    from crm.services.agent_day import agents_day
    from crm.services.supervision import WatchScope
    from crm.services.users import create_org_unit, create_user

    def at(seconds: float) -> datetime:
        return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)

    with db.unit_of_work() as session:
        system = Actor.system()
        center = create_org_unit(session, system, kind="contact_center", code="CC", name="CC")
        site = create_org_unit(session, system, kind="site", code="S1", name="Site", parent=center)
        north = create_org_unit(session, system, kind="team", code="north", name="North", parent=site)
        south = create_org_unit(session, system, kind="team", code="south", name="South", parent=site)
        ann = create_user(session, system, username="ann", password="pw-ann-1234", role="agent",
                          display_name="Ann", org_unit=north)
        create_user(session, system, username="bob", password="pw-bob-1234", role="agent",
                    display_name="Bob", org_unit=north)
        sue = create_user(session, system, username="sue", password="pw-sue-1234", role="agent",
                          display_name="Sue", org_unit=south)
        session.flush()
        north_id, ann_id, sue_id = north.id, ann.id, sue.id
        midnight = local_midnight(T0)

        def interaction(agent_id, contact, answered, channel="phone", segment=1):
            return Interaction(channel=channel, direction="inbound", agent_id=agent_id, contact_id=contact,
                               segment_no=segment, started_at=at(answered or T0), answered_at=answered and at(answered))

        session.add_all([interaction(ann_id, "c1", T0 - 60), interaction(ann_id, "c2", midnight + 1),
                         interaction(ann_id, "old", midnight - 1), interaction(ann_id, "missed", None),
                         interaction(ann_id, "mail", T0, channel="email"),
                         interaction(sue_id, "c3", T0 - 30)])
    with db.reading() as session:
        team = agents_day(session, WatchScope(False, frozenset({north_id})), midnight)
        everyone = agents_day(session, WatchScope(True), midnight)
        nobody = agents_day(session, WatchScope(False), midnight)
    assert team == {"ann": AgentDay("North", {"c1", "c2"}), "bob": AgentDay("North", set())}
    assert everyone["sue"] == AgentDay("South", {"c3"}) and set(everyone) == {"ann", "bob", "sue"}
    assert nobody == {}


# --- the configuration -----------------------------------------------------------------------

def test_the_agents_section_and_the_not_ready_limits_give_the_limits():
    config = load_console_config({"agents": {"ready_minutes": 5, "contact_minutes": 10, "wrap_up_seconds": 45},
                                  "not_ready_limits": {"break": 15}})
    assert config.agent_limits == AgentLimits(ready=300, contact=600, wrap_up=45, not_ready={"break": 900})
    assert load_console_config({}).agent_limits == AgentLimits()
    with pytest.raises(ConsoleConfigError, match="ready_minutes cannot be negative"):
        load_console_config({"agents": {"ready_minutes": -1}})
    with pytest.raises(ConsoleConfigError, match="ready_minute"):
        load_console_config({"agents": {"ready_minute": 5}})  # a misspelt key is named, not ignored
    with pytest.raises(ConsoleConfigError, match="agents"):
        load_console_config({"agents": {"contact_minutes": "ten"}})


# --- the feed reads the CRM once per scope ---------------------------------------------------

def test_the_feed_reads_the_scopes_agents_once_and_again_only_after_a_failed_read(caplog):
    from admin_console.wallboard.feed import GatewayFeed

    reads: list[float] = []

    def failing(since: float):
        reads.append(since)
        raise OSError("the CRM is away")

    clock = Clock()
    feed = GatewayFeed(lambda: None, Wallboard(clock), roster=failing)
    assert feed._roster() is None and feed.roster is failing  # tried again before the next snapshot
    assert reads == [local_midnight(T0)] and "could not be read from the CRM" in caplog.text
    feed.roster = lambda since: {"ann": AgentDay("North")}
    assert feed._roster() == {"ann": AgentDay("North")}
    assert feed.roster is None and feed._roster() is None  # read once
