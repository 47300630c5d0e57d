"""The agent time report and the timeline of one agent's day (crm/reports/agent_time.py) on a
hand-computed event log, on SQLite and PostgreSQL.

Europe/Berlin over 28 and 29 March 2026: summer time starts on the 29th at 02:00 (01:00 UTC),
so that day has 23 hours. Day 1 is 23:00 UTC on the 27th to 23:00 UTC on the 28th, day 2 23:00
UTC on the 28th to 22:00 UTC on the 29th. Times below are UTC. Team A (amy, bob, supervisor
sue) and team B (carl, supervisor ted) are in site S of center CC. The gateway ran as run R1
until 11:50 on the 28th, and as run R2 from 12:00 (its first event, a call entering a queue).

amy, day 1 (R1): logged in 08:00, not ready (login) 60 s, ready 540 s, offered c1 10 s, talks
110 s, holds c1 60 s, talks 120 s (talk 230), wrap-up 60 s, ready 9,840 s, not ready (lunch)
2,700 s, ready 300 s, logged out 11:50: 13,800 s. In R2 she logs in at 22:00 not ready (break)
until 23:30 (a not-ready across midnight: 3,600 s on day 1, 1,800 s on day 2), ready 600 s,
logged out 23:40.
Day 1: logged in 17,400; ready 10,680; offered 10; talk 230; hold 60; wrap-up 60; not ready
6,360 (login 60, lunch 2,700, break 3,600); handling 350; occupancy 350 / (350 + 10,690);
utilization 350 / 17,400. Day 2: not ready (break) 1,800, ready 600.

bob, day 1 (R1): logged in 09:00 ready, not ready (break) from 10:00, no logout: the gateway
crashed; its next run's first event at 12:00 ends his session. Ready 3,600, break 7,200.
Day 2 (R2): logged in 00:00 ready, not ready (break) from 00:30 to 01:30 (01:30 winter time to
03:30 summer time: across the change, 1,800 s in each of the hours 01:00+01 and 03:00+02),
ready, logged out 02:00. Ready 3,600, break 3,600.

carl: logged in on the 27th at 22:30 (R1), not ready (lunch) until he logs out at 00:00 on the
28th: 3,600 s of day 1 (the half hour before the range is not counted). Day 2 (R2): logged in
20:00 ready, offered c2 21:00, answers 21:00:05, still talking when the range ends at 22:00:
ready 3,600, offered 5, talk 3,595 (an open login counts to the range's end).

Email and chat (time with at least one conversation open, beside the phone's states): carl took
email 504 on the 27th at 20:00 and resolved it at 01:00 on the 28th (7,200 s of day 1). amy took
email 501 at 09:00 and chat 502 at 09:30, resolved the chat at 09:45, and 501 went back to the
queue at 10:30 (requeued): 5,400 s. bob took email 503 at 22:30 and transferred it at 08:00 on
the 29th: 1,800 s of day 1, 32,400 of day 2. A taken, B 7,200 and S 14,400 on day 1.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

import factories
from crm.errors import PermissionDenied, ValidationError
from crm.models import User, UserRole
from crm.permissions import Actor
from crm.reports.agent_time import AgentTimeReport, AgentWalk, agent_columns, agent_day, agent_record
from crm.reports.queue_report import Filters, period
from crm.services.calls import log_event
from crm.services.users import create_org_unit

BERLIN = ZoneInfo("Europe/Berlin")
SYSTEM = Actor.system()
R1, R2 = "gw-aaaaaaaaaaaa", "gw-bbbbbbbbbbbb"
_NUMBERS = itertools.count(1)


def utc(day: int, clock: str) -> datetime:
    return datetime.fromisoformat(f"2026-03-{day:02d}T{clock}")


def mode(name: str, reason: str | None = None) -> dict:
    return {"mode": name, "reason": reason}


# (run, day, time, kind, agent, contact, detail), UTC
EVENTS = [
    (R1, 27, "22:30:00", "logged_in", "carl", None, {"queues": ["sales"], "channels": ["phone"]}),
    (R1, 27, "22:30:00", "work_mode", "carl", None, mode("not_ready", "lunch")),
    (R1, 28, "00:00:00", "work_mode", "carl", None, mode("logged_out")),
    (R1, 28, "00:00:00", "logged_out", "carl", None, {"reason": "logged out"}),
    (R1, 28, "08:00:00", "logged_in", "amy", None, {"queues": ["support"], "channels": ["phone"]}),
    (R1, 28, "08:00:00", "work_mode", "amy", None, mode("not_ready", "login")),
    (R1, 28, "08:01:00", "work_mode", "amy", None, mode("ready")),
    (R1, 28, "08:10:00", "work_mode", "amy", None, mode("offered")),
    (R1, 28, "08:10:00", "offered", "amy", "c1", None),
    (R1, 28, "08:10:10", "work_mode", "amy", None, mode("busy")),
    (R1, 28, "08:10:10", "answered", "amy", "c1", {"wait": 20}),
    (R1, 28, "08:12:00", "held", "amy", "c1", None),
    (R1, 28, "08:13:00", "retrieved", "amy", "c1", None),
    (R1, 28, "08:15:00", "work_mode", "amy", None, mode("wrap_up")),
    (R1, 28, "08:16:00", "work_mode", "amy", None, mode("ready")),
    (R1, 28, "09:00:00", "logged_in", "bob", None, {"queues": ["support"], "channels": ["phone"]}),
    (R1, 28, "09:00:00", "work_mode", "bob", None, mode("ready")),
    (R1, 28, "10:00:00", "work_mode", "bob", None, mode("not_ready", "break")),
    (R1, 28, "11:00:00", "work_mode", "amy", None, mode("not_ready", "lunch")),
    (R1, 28, "11:45:00", "work_mode", "amy", None, mode("ready")),
    (R1, 28, "11:50:00", "work_mode", "amy", None, mode("logged_out")),
    (R1, 28, "11:50:00", "logged_out", "amy", None, {"reason": "logged out"}),
    (R2, 28, "12:00:00", "entered", None, "x1", None),  # the gateway's next run starts
    (R2, 28, "22:00:00", "logged_in", "amy", None, {"queues": ["support"], "channels": ["phone"]}),
    (R2, 28, "22:00:00", "work_mode", "amy", None, mode("not_ready", "break")),
    (R2, 28, "23:30:00", "work_mode", "amy", None, mode("ready")),
    (R2, 28, "23:40:00", "logged_out", "amy", None, {"reason": "logged out"}),
    (R2, 29, "00:00:00", "logged_in", "bob", None, {"queues": ["support"], "channels": ["phone"]}),
    (R2, 29, "00:00:00", "work_mode", "bob", None, mode("ready")),
    (R2, 29, "00:30:00", "work_mode", "bob", None, mode("not_ready", "break")),
    (R2, 29, "01:30:00", "work_mode", "bob", None, mode("ready")),
    (R2, 29, "02:00:00", "logged_out", "bob", None, {"reason": "logged out"}),
    (R2, 29, "20:00:00", "logged_in", "carl", None, {"queues": ["sales"], "channels": ["phone"]}),
    (R2, 29, "20:00:00", "work_mode", "carl", None, mode("ready")),
    (R2, 29, "21:00:00", "work_mode", "carl", None, mode("offered")),
    (R2, 29, "21:00:00", "offered", "carl", "c2", None),
    (R2, 29, "21:00:05", "work_mode", "carl", None, mode("busy")),
    (R2, 29, "21:00:05", "answered", "carl", "c2", {"wait": 3}),
]

# (day, time, kind, agent, channel, conversation, detail), UTC
MAIL = [
    (27, "20:00:00", "answered", "carl", "email", "504", {"wait": 60}),
    (28, "01:00:00", "resolved", "carl", "email", "504", None),
    (28, "09:00:00", "answered", "amy", "email", "501", {"wait": 60}),
    (28, "09:30:00", "answered", "amy", "chat", "502", {"wait": 5}),
    (28, "09:40:00", "first_reply", "amy", "chat", "502", None),
    (28, "09:45:00", "resolved", "amy", "chat", "502", None),
    (28, "10:30:00", "entered", None, "email", "501", {"via": "requeued", "agent": "amy", "cause": "logged_off"}),
    (28, "22:30:00", "answered", "bob", "email", "503", {"wait": 60}),
    (29, "08:00:00", "transferred", "bob", "email", "503", {"target": "queue:billing"}),
    (29, "08:00:00", "entered", None, "email", "503", {"via": "transferred"}),
]
EMAIL_CHAT = ({"amy": 5400, "bob": 1800, "carl": 7200, "A": 7200, "B": 7200, "S": 14400, "CC": 14400},
              {"amy": 0, "bob": 32400, "carl": 0, "A": 32400, "B": 0, "S": 32400, "CC": 32400})

STATES = ("logged_in", "ready", "offered", "busy", "talk", "hold", "wrap_up", "not_ready", "handling")
DAY_1 = {
    "amy": dict(logged_in=17400, ready=10680, offered=10, busy=290, talk=230, hold=60, wrap_up=60, not_ready=6360,
                handling=350, reasons={"login": 60, "lunch": 2700, "break": 3600},
                occupancy=350 / 11040, utilization=350 / 17400),
    "bob": dict(logged_in=10800, ready=3600, offered=0, busy=0, talk=0, hold=0, wrap_up=0, not_ready=7200,
                handling=0, reasons={"break": 7200}, occupancy=0.0, utilization=0.0),
    "carl": dict(logged_in=3600, ready=0, offered=0, busy=0, talk=0, hold=0, wrap_up=0, not_ready=3600, handling=0,
                 reasons={"lunch": 3600}, occupancy=None, utilization=0.0),
    "A": dict(logged_in=28200, ready=14280, offered=10, busy=290, talk=230, hold=60, wrap_up=60, not_ready=13560,
              handling=350, reasons={"login": 60, "lunch": 2700, "break": 10800},
              occupancy=350 / (350 + 14290), utilization=350 / 28200),
}
DAY_1["B"] = DAY_1["carl"]
DAY_1["S"] = DAY_1["CC"] = dict(
    logged_in=31800, ready=14280, offered=10, busy=290, talk=230, hold=60, wrap_up=60, not_ready=17160, handling=350,
    reasons={"login": 60, "lunch": 6300, "break": 10800}, occupancy=350 / (350 + 14290), utilization=350 / 31800)
NOTHING = dict(ready=0, offered=0, busy=0, talk=0, hold=0, wrap_up=0, handling=0)
DAY_2 = {
    "amy": NOTHING | dict(logged_in=2400, ready=600, not_ready=1800, reasons={"break": 1800}, occupancy=0.0,
                          utilization=0.0),
    "bob": NOTHING | dict(logged_in=7200, ready=3600, not_ready=3600, reasons={"break": 3600}, occupancy=0.0,
                          utilization=0.0),
    "carl": dict(logged_in=7200, ready=3600, offered=5, busy=3595, talk=3595, hold=0, wrap_up=0, not_ready=0,
                 handling=3595, reasons={}, occupancy=3595 / 7200, utilization=3595 / 7200),
    "A": NOTHING | dict(logged_in=9600, ready=4200, not_ready=5400, reasons={"break": 5400}, occupancy=0.0,
                        utilization=0.0),
}
DAY_2["B"] = DAY_2["carl"]
DAY_2["S"] = DAY_2["CC"] = dict(
    logged_in=16800, ready=7800, offered=5, busy=3595, talk=3595, hold=0, wrap_up=0, not_ready=5400, handling=3595,
    reasons={"break": 5400}, occupancy=3595 / (3595 + 7805), utilization=3595 / 16800)
for _day, _email_chat in zip((DAY_1, DAY_2), EMAIL_CHAT):
    for _name, _seconds in _email_chat.items():
        _day[_name] = _day[_name] | {"email_chat": _seconds}


def fill(db) -> dict[str, Actor]:
    """The org units, users and event log above; the users by name."""
    with db.unit_of_work() as s:
        center = create_org_unit(s, SYSTEM, kind="contact_center", code="CC", name="Center")
        site = create_org_unit(s, SYSTEM, kind="site", code="S", name="Site", parent=center)
        units = {code: create_org_unit(s, SYSTEM, kind="team", code=code, name=f"Team {code}", parent=site)
                 for code in ("A", "B")}
        found = {}
        for name, role, code in (("amy", UserRole.AGENT, "A"), ("bob", UserRole.AGENT, "A"),
                                 ("sue", UserRole.SUPERVISOR, "A"), ("carl", UserRole.AGENT, "B"),
                                 ("ted", UserRole.SUPERVISOR, "B")):
            found[name] = factories.user(s, name, role)
            s.get(User, found[name].user_id).org_unit_id = units[code].id
        found["admin"] = factories.user(s, "admin", UserRole.ADMINISTRATOR)
    with db.unit_of_work() as s:
        for run, day, clock, kind, agent, contact, detail in EVENTS:
            log_event(s, SYSTEM, key=f"{run}:{next(_NUMBERS)}", kind=kind, at=utc(day, clock), agent=agent,
                      contact_id=contact, queue="support" if contact else None, detail=detail)
        for day, clock, kind, agent, channel, number, detail in MAIL:
            log_event(s, SYSTEM, key=f"mq-test:{next(_NUMBERS)}", kind=kind, at=utc(day, clock), agent=agent,
                      channel=channel, contact_id=number, queue="support", detail=detail)
    return found


@pytest.fixture
def people(db):
    return fill(db)


def march(interval: str = "day"):
    return period(datetime(2026, 3, 28), datetime(2026, 3, 30), BERLIN, interval)


def report_rows(db, actor, p=None, filters=Filters(), now=None):
    with db.reading() as s:
        report = AgentTimeReport(s, actor, p or march(), filters, now=now or datetime(2026, 4, 1, tzinfo=BERLIN))
        return list(report.rows()), report.reasons


def figures(row) -> dict:
    found = {name: round(row.seconds(name), 6) for name in STATES}
    found["reasons"] = {reason: round(seconds, 6) for reason, seconds in row.times.reasons.items() if seconds}
    found["occupancy"], found["utilization"] = row.occupancy, row.utilization
    found["email_chat"] = round(row.times.email_chat, 6)
    return found


def expected(values: dict) -> dict:
    return {name: (pytest.approx(value) if isinstance(value, float) else value) for name, value in values.items()}


def name(row) -> str:
    return row.agent or row.unit


def test_every_figure_per_agent_team_site_and_center_on_each_day(db, people):
    rows, reasons = report_rows(db, people["admin"])
    assert reasons == ("break", "login", "lunch")
    day_1, day_2 = rows[:7], rows[7:]
    assert [(row.level, name(row)) for row in day_1] == [
        ("agent", "amy"), ("agent", "bob"), ("agent", "carl"), ("team", "A"), ("team", "B"), ("site", "S"),
        ("contact_center", "CC")]
    assert [row.unit for row in day_1[:3]] == ["A", "A", "B"]
    assert (day_2[0].start.isoformat(), day_2[0].end.isoformat()) == ("2026-03-29T00:00:00+01:00",
                                                                      "2026-03-30T00:00:00+02:00")
    for row in day_1:
        assert figures(row) == expected(DAY_1[name(row)]), name(row)
    for row in day_2:
        assert figures(row) == expected(DAY_2[name(row)]), name(row)


def test_a_state_across_the_change_to_summer_time_is_split_at_the_hours(db, people):
    rows, _ = report_rows(db, people["admin"], march("60min"), Filters(agents=("bob",)))
    bob = [row for row in rows if row.agent == "bob"][24:]  # day 2: 23 hours
    assert len(bob) == 23
    assert [row.start.strftime("%H:%M%z") for row in bob[:3]] == ["00:00+0100", "01:00+0100", "03:00+0200"]
    hour_1, hour_3 = bob[1], bob[2]
    assert (hour_1.seconds("ready"), hour_1.times.reasons, hour_1.seconds("logged_in")) == (1800, {"break": 1800}, 3600)
    assert (hour_3.times.reasons, hour_3.seconds("ready"), hour_3.seconds("logged_in")) == ({"break": 1800}, 1800, 3600)
    assert bob[3].seconds("logged_in") == 0


def test_a_not_ready_across_midnight_is_split_between_the_days_hours(db, people):
    """Hours are read a local day at a time: the break goes on from one day's read to the next."""
    rows, _ = report_rows(db, people["sue"], march("60min"), Filters(agents=("amy",)))
    amy = [row for row in rows if row.agent == "amy"]
    last, first = amy[23], amy[24]
    assert (last.start.strftime("%d %H:%M"), last.times.reasons) == ("28 23:00", {"break": 3600})
    assert (first.start.strftime("%d %H:%M"), first.times.reasons, first.seconds("ready")) == (
        "29 00:00", {"break": 1800}, 600)
    assert sum(row.seconds("logged_in") for row in amy) == 17400 + 2400


def test_a_login_open_at_now_counts_to_now(db, people):
    rows, _ = report_rows(db, people["admin"], now=datetime(2026, 3, 29, 21, 30, tzinfo=ZoneInfo("UTC")))
    carl = [row for row in rows if row.agent == "carl"][1]
    assert (carl.seconds("ready"), carl.seconds("offered"), carl.seconds("talk")) == (3600, 5, 1795)


def test_a_supervisor_reads_his_org_units_agents_and_their_team(db, people):
    rows, _ = report_rows(db, people["sue"])
    assert [(row.level, name(row)) for row in rows[:3]] == [("agent", "amy"), ("agent", "bob"), ("team", "A")]
    assert len(rows) == 6  # no site, no center: their other agents are not hers
    assert figures(rows[2]) == expected(DAY_1["A"])
    rows, _ = report_rows(db, people["ted"], filters=Filters(team="B"))
    assert [name(row) for row in rows] == ["carl", "B"] * 2


def test_the_export_record_has_a_column_per_reason(db, people):
    rows, reasons = report_rows(db, people["admin"])
    record = agent_record(rows[0], reasons)
    assert tuple(record) == agent_columns(reasons)
    assert (record["not_ready_lunch"], record["not_ready_login"], record["not_ready_break"]) == (2700, 60, 3600)
    assert (record["occupancy"], record["start"]) == (round(350 / 11040, 6), "2026-03-28T00:00:00+01:00")
    assert agent_record(rows[2], reasons)["occupancy"] is None  # carl was never ready nor handling


def segments(db, actor, agent, day, now=None):
    with db.reading() as s:
        found = agent_day(s, actor, agent, day, BERLIN, now=now)
    return [(datetime.fromtimestamp(one.start, BERLIN).strftime("%H:%M:%S%z"),
             datetime.fromtimestamp(one.end, BERLIN).strftime("%H:%M:%S%z"), one.state, one.reason, one.contact)
            for one in found]


def test_the_timeline_of_amys_day_has_each_state_and_call(db, people):
    assert segments(db, people["sue"], "amy", date(2026, 3, 28)) == [
        ("09:00:00+0100", "09:01:00+0100", "not_ready", "login", None),
        ("09:01:00+0100", "09:10:00+0100", "ready", None, None),
        ("09:10:00+0100", "09:10:10+0100", "offered", None, "c1"),
        ("09:10:10+0100", "09:12:00+0100", "talk", None, "c1"),
        ("09:12:00+0100", "09:13:00+0100", "hold", None, "c1"),
        ("09:13:00+0100", "09:15:00+0100", "talk", None, "c1"),
        ("09:15:00+0100", "09:16:00+0100", "wrap_up", None, "c1"),
        ("09:16:00+0100", "12:00:00+0100", "ready", None, None),
        ("10:00:00+0100", "11:30:00+0100", "email", None, "501"),  # beside the phone's states
        ("10:30:00+0100", "10:45:00+0100", "chat", None, "502"),
        ("12:00:00+0100", "12:45:00+0100", "not_ready", "lunch", None),
        ("12:45:00+0100", "12:50:00+0100", "ready", None, None),
        ("23:00:00+0100", "00:00:00+0100", "not_ready", "break", None),  # goes on past midnight
    ]
    assert segments(db, people["sue"], "amy", date(2026, 3, 29)) == [
        ("00:00:00+0100", "00:30:00+0100", "not_ready", "break", None),
        ("00:30:00+0100", "00:40:00+0100", "ready", None, None)]


def test_the_timeline_ends_a_session_without_logout_at_the_gateways_restart(db, people):
    assert segments(db, people["admin"], "bob", date(2026, 3, 28)) == [
        ("10:00:00+0100", "11:00:00+0100", "ready", None, None),
        ("11:00:00+0100", "13:00:00+0100", "not_ready", "break", None),
        ("23:30:00+0100", "00:00:00+0100", "email", None, "503")]
    assert segments(db, people["admin"], "bob", date(2026, 3, 29))[:4] == [
        ("00:00:00+0100", "10:00:00+0200", "email", None, "503"),  # taken the day before
        ("01:00:00+0100", "01:30:00+0100", "ready", None, None),
        ("01:30:00+0100", "03:30:00+0200", "not_ready", "break", None),
        ("03:30:00+0200", "04:00:00+0200", "ready", None, None)]


def test_the_timeline_of_a_day_still_going_ends_now(db, people):
    now = datetime(2026, 3, 29, 21, 30, tzinfo=ZoneInfo("UTC"))
    assert segments(db, people["ted"], "carl", date(2026, 3, 29), now) == [
        ("22:00:00+0200", "23:00:00+0200", "ready", None, None),
        ("23:00:00+0200", "23:00:05+0200", "offered", None, "c2"),
        ("23:00:05+0200", "23:30:00+0200", "talk", None, "c2")]


def test_a_missing_logout_ends_at_the_next_login():
    walk = AgentWalk()
    walk.event(100.0, "logged_in", "queue_event:1", None)
    walk.event(100.0, "work_mode", "queue_event:2", None, "ready")
    walk.event(500.0, "logged_in", "queue_event:3", None)
    walk.event(600.0, "logged_out", "queue_event:4", None)
    assert [(s.start, s.end, s.state) for s in walk.take()] == [(100.0, 500.0, "ready"), (500.0, 600.0, "not_ready")]


def test_a_run_still_writing_is_no_restart():
    """Another gateway's run beside his does not end his session; a run after it does."""
    walk = AgentWalk()
    walk.event(0.0, "logged_in", "gw-aaaaaaaaaaaa:1", None)
    walk.restarted(50.0, "gw-aaaaaaaaaaaa")
    assert walk.open is not None
    walk.restarted(60.0, "gw-cccccccccccc")
    assert walk.open is None and [(s.start, s.end) for s in walk.take()] == [(0.0, 60.0)]


@pytest.mark.parametrize("actor, filters, error, message", [
    ("sue", Filters(agents=("carl",)), PermissionDenied, "not in sue's org units"),
    ("sue", Filters(team="B"), PermissionDenied, "not one of sue's"),
    ("sue", Filters(agents=("nobody",)), ValidationError, "There is no agent 'nobody'"),
    ("sue", Filters(team="Z"), ValidationError, "There is no org unit 'Z'"),
    ("admin", Filters(queues=("support",)), ValidationError, "not per queue"),
    ("amy", Filters(), PermissionDenied, "read agent reports"),
])
def test_what_a_user_may_not_read_or_that_does_not_exist_is_refused(db, people, actor, filters, error, message):
    with db.reading() as s, pytest.raises(error, match=message):
        AgentTimeReport(s, people[actor], march(), filters)


def test_a_day_of_an_unknown_agent_or_one_not_his_is_refused(db, people):
    with db.reading() as s:
        with pytest.raises(ValidationError, match="There is no agent 'nobody'"):
            agent_day(s, people["sue"], "nobody", date(2026, 3, 28), BERLIN)
        with pytest.raises(PermissionDenied, match="not in sue's org units"):
            agent_day(s, people["sue"], "carl", date(2026, 3, 28), BERLIN)


def test_a_login_open_since_before_the_range_counts_unless_it_is_stale(db, people):
    """dan's login six days before the range, with no logout since (a run the log cannot name),
    is still open and counts from the range's start; eve's, eight days before, lost its logout."""
    with db.unit_of_work() as s:
        for agent, day in (("dan", 22), ("eve", 20)):
            user = factories.user(s, agent)
            s.get(User, user.user_id).org_unit_id = s.get(User, people["amy"].user_id).org_unit_id
            log_event(s, SYSTEM, key=f"queue_event:{agent}", kind="logged_in", at=utc(day, "08:00:00"), agent=agent)
            log_event(s, SYSTEM, key=f"queue_event:{agent}:mode", kind="work_mode", at=utc(day, "08:00:00"),
                      agent=agent, detail=mode("not_ready", "meeting"))
    rows, reasons = report_rows(db, people["sue"])
    dan = [row for row in rows if row.agent == "dan"]
    assert [row.times.reasons for row in dan] == [{"meeting": 24 * 3600}, {"meeting": 23 * 3600}]
    assert "meeting" in reasons and not any(row.agent == "eve" for row in rows)
