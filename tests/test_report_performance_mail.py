"""The agent performance report (crm/reports/agent_performance.py) and the email and chat report
(crm/reports/mail_report.py) on a hand-computed event log, interaction records and callbacks, on
SQLite and PostgreSQL.

UTC, days 28 and 29 March 2026. Team A (amy, bob, supervisor sue) and team B (carl, supervisor
ted) in site S of center CC. Times below are UTC, day 28 unless said.

Calls (queue support): amy answers c1 08:00, holds it twice, wraps up at 08:06 (handle 300); c2
09:00, transfers it 09:02, wraps up (handle 150); c3 23:55, wraps up on the 29th at 00:05 (handle
600: it counts on the 28th, when she answered it). bob answered c0 on the 27th (not counted) and
c4 at 10:00 with no wrap-up yet (not handled). carl answers c5 on the 29th 12:00 (handle 400).
amy, 28: 3 handled, AHT (300 + 150 + 600) / 3 = 350, holds 2.

Email queue service (due 3600 s): 501 enters 09:50 (new), amy takes it 10:00, replies 10:20
(1800 s), resolves 10:30 (2400 s); the customer reopens it at 15:00 (a new visit, never taken).
503 enters 11:00, bob takes it 12:00, it goes back to the queue at 13:00 (requeued: a new visit,
the same opening), amy takes it 13:30 and replies 14:00 (10,800 s after the opening), still
open. 505 enters 16:00, never taken. Entered 5, taken 3, first replies 2 (FRT 6300), within due
1, overdue without a reply 3 (503's visit with bob, 501 reopened, 505): share 1 / 5; resolved 1
(2400), reopened 1. amy: entered 2, share 1 / 2; bob: 1 overdue, share 0.

Chat queue web-chat (due 60 s, τ 5 s): 502 enters 10:59, amy takes it 11:00, replies 11:00:30
(90 s), transfers it 11:10 to vip (where it waits, its reply made before). 507 abandoned after
3 s (short), 508 after 120 s (overdue). 509 enters 13:00, amy takes it 13:00:20, replies
13:00:50 (50 s), resolves 13:05 (300 s). Entered 4, taken 2, abandoned 2 (1 short), FRT 70,
share 1 / (2 + 1), resolved 1 (300). On the 29th carl takes 504 (entered 08:59) at 09:00,
replies at 09:00:40 (100 s), resolves 09:05 (360 s).

amy's email and chat parts: 501 1800 s, 503 open (not handled); 502 600 s (a transfer), 509
280 s: email 1 handled (AHT 1800), chat 2 (AHT 440), transfers 1 + 1. bob: 503 3600 s. carl on
the 29th: 504 300 s.

Interaction records: amy's on the 28th billing/solved, billing/escalated, delivery/-; bob's one
without codes; carl's on the 29th delivery/solved. Callbacks: amy schedules three on the 28th,
one completed within its window (kept), one completed after it, one open; carl one on the 29th,
kept.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

import factories
from crm.errors import PermissionDenied, ValidationError
from crm.models import BusinessTransaction, Interaction, User, UserRole
from crm.permissions import Actor
from crm.reports.agent_performance import AgentPerformanceReport, performance_columns, performance_record
from crm.reports.mail_report import MailQueue, MailReport, mail_record
from crm.reports.queue_report import Filters, period
from crm.services.calls import log_event
from crm.services.users import create_org_unit

UTC_ZONE = ZoneInfo("UTC")
SYSTEM = Actor.system()
_NUMBERS = itertools.count(1)


def utc(day: int, clock: str) -> datetime:
    return datetime.fromisoformat(f"2026-03-{day:02d}T{clock}")


# (day, time, kind, agent, call, detail)
CALLS = [
    (27, "23:50:00", "answered", "bob", "c0", {"wait": 5}),
    (28, "00:10:00", "wrapped_up", "bob", "c0", {"talk": 900, "wrap_up": 300, "handle": 1200}),
    (28, "08:00:00", "answered", "amy", "c1", {"wait": 10}),
    (28, "08:01:00", "held", "amy", "c1", None),
    (28, "08:02:00", "retrieved", "amy", "c1", None),
    (28, "08:03:00", "held", "amy", "c1", None),
    (28, "08:04:00", "retrieved", "amy", "c1", None),
    (28, "08:06:00", "wrapped_up", "amy", "c1", {"talk": 240, "wrap_up": 60, "handle": 300}),
    (28, "09:00:00", "answered", "amy", "c2", {"wait": 4}),
    (28, "09:02:00", "transferred", "amy", "c2", {"target": "queue:sales"}),
    (28, "09:03:00", "wrapped_up", "amy", "c2", {"talk": 120, "wrap_up": 30, "handle": 150}),
    (28, "10:00:00", "answered", "bob", "c4", {"wait": 2}),
    (28, "23:55:00", "answered", "amy", "c3", {"wait": 1}),
    (29, "00:05:00", "wrapped_up", "amy", "c3", {"talk": 500, "wrap_up": 100, "handle": 600}),
    (29, "12:00:00", "answered", "carl", "c5", {"wait": 8}),
    (29, "12:10:00", "wrapped_up", "carl", "c5", {"talk": 300, "wrap_up": 100, "handle": 400}),
]

# (day, time, kind, agent, channel, conversation, queue, detail)
MAIL = [
    (28, "09:50:00", "entered", None, "email", "501", "service", {"via": "new"}),
    (28, "10:00:00", "answered", "amy", "email", "501", "service", {"wait": 600}),
    (28, "10:20:00", "first_reply", "amy", "email", "501", "service", None),
    (28, "10:30:00", "resolved", "amy", "email", "501", "service", {"outcome": "done"}),
    (28, "10:59:00", "entered", None, "chat", "502", "web-chat", {"via": "new"}),
    (28, "11:00:00", "answered", "amy", "chat", "502", "web-chat", {"wait": 60}),
    (28, "11:00:30", "first_reply", "amy", "chat", "502", "web-chat", None),
    (28, "11:00:00", "entered", None, "email", "503", "service", {"via": "new"}),
    (28, "11:10:00", "transferred", "amy", "chat", "502", "web-chat", {"target": "queue:vip"}),
    (28, "11:10:00", "entered", None, "chat", "502", "vip", {"via": "transferred"}),
    (28, "12:00:00", "answered", "bob", "email", "503", "service", {"wait": 3600}),
    (28, "12:00:00", "entered", None, "chat", "507", "web-chat", {"via": "new"}),
    (28, "12:00:03", "abandoned", None, "chat", "507", "web-chat", {"wait": 3}),
    (28, "12:10:00", "entered", None, "chat", "508", "web-chat", {"via": "new"}),
    (28, "12:12:00", "abandoned", None, "chat", "508", "web-chat", {"wait": 120}),
    (28, "13:00:00", "entered", None, "email", "503", "service", {"via": "requeued", "agent": "bob"}),
    (28, "13:00:00", "entered", None, "chat", "509", "web-chat", {"via": "new"}),
    (28, "13:00:20", "answered", "amy", "chat", "509", "web-chat", {"wait": 20}),
    (28, "13:00:50", "first_reply", "amy", "chat", "509", "web-chat", None),
    (28, "13:05:00", "resolved", "amy", "chat", "509", "web-chat", None),
    (28, "13:30:00", "answered", "amy", "email", "503", "service", {"wait": 1800}),
    (28, "14:00:00", "first_reply", "amy", "email", "503", "service", None),
    (28, "15:00:00", "reopened", None, "email", "501", "service", None),
    (28, "15:00:00", "entered", None, "email", "501", "service", {"via": "reopened"}),
    (28, "16:00:00", "entered", None, "email", "505", "service", {"via": "new"}),
    (29, "08:59:00", "entered", None, "chat", "504", "web-chat", {"via": "new"}),
    (29, "09:00:00", "answered", "carl", "chat", "504", "web-chat", {"wait": 60}),
    (29, "09:00:40", "first_reply", "carl", "chat", "504", "web-chat", None),
    (29, "09:05:00", "resolved", "carl", "chat", "504", "web-chat", None),
]

# (agent, day, time, reason, outcome)
RECORDS = [("amy", 28, "08:00:00", "billing", "solved"), ("amy", 28, "09:00:00", "billing", "escalated"),
           ("amy", 28, "10:00:00", "delivery", None), ("bob", 28, "10:00:00", None, None),
           ("carl", 29, "12:00:00", "delivery", "solved")]
# (agent, created, window end, status, closed)
CALLBACKS = [("amy", (28, "08:05:00"), (28, "18:00:00"), "completed", (28, "17:00:00")),
             ("amy", (28, "09:05:00"), (28, "12:00:00"), "completed", (28, "13:00:00")),
             ("amy", (28, "10:05:00"), (29, "18:00:00"), "open", None),
             ("carl", (29, "12:05:00"), (30, "12:00:00"), "completed", (29, "15:00:00"))]

MAIL_QUEUES = {"service": MailQueue(("A",), ("email",), 3600.0), "web-chat": MailQueue((), ("chat",), 60.0),
               "vip": MailQueue(("B",), ("email", "chat"), None)}


def fill(db) -> dict[str, Actor]:
    with db.unit_of_work() as s:
        center = create_org_unit(s, SYSTEM, kind="contact_center", code="CC", name="Center")
        site = create_org_unit(s, SYSTEM, kind="site", code="S", name="Site", parent=center)
        units = {code: create_org_unit(s, SYSTEM, kind="team", code=code, name=f"Team {code}", parent=site)
                 for code in ("A", "B")}
        people = {}
        for name, role, code in (("amy", UserRole.AGENT, "A"), ("bob", UserRole.AGENT, "A"),
                                 ("sue", UserRole.SUPERVISOR, "A"), ("carl", UserRole.AGENT, "B"),
                                 ("ted", UserRole.SUPERVISOR, "B")):
            people[name] = factories.user(s, name, role)
            s.get(User, people[name].user_id).org_unit_id = units[code].id
        people["admin"] = factories.user(s, "admin", UserRole.ADMINISTRATOR)
        ids = {name: actor.user_id for name, actor in people.items()}
        for agent, day, clock, reason, outcome in RECORDS:
            s.add(Interaction(channel="phone", direction="inbound", agent_id=ids[agent], started_at=utc(day, clock),
                              reason_code=reason, outcome_code=outcome))
        for number, (agent, created, window_end, status, closed) in enumerate(CALLBACKS):
            s.add(BusinessTransaction(number=f"CB{number:08d}", kind="callback", subject="Callback",
                                      created_by_id=ids[agent], owner_id=ids[agent], created_at=utc(*created),
                                      window_start=utc(*created), window_end=utc(*window_end), status=status,
                                      closed_at=utc(*closed) if closed else None, callback_phone="+4930123"))
    with db.unit_of_work() as s:
        for day, clock, kind, agent, call, detail in CALLS:
            log_event(s, SYSTEM, key=f"gw-test:{next(_NUMBERS)}", kind=kind, at=utc(day, clock), agent=agent,
                      contact_id=call, queue="support", detail=detail)
        for day, clock, kind, agent, channel, number, queue, detail in sorted(MAIL, key=lambda e: (e[0], e[1])):
            log_event(s, SYSTEM, key=f"mq-test:{next(_NUMBERS)}", kind=kind, at=utc(day, clock), agent=agent,
                      channel=channel, contact_id=number, queue=queue, detail=detail)
    return people


@pytest.fixture
def people(db):
    return fill(db)


def days(interval: str = "day"):
    return period(datetime(2026, 3, 28), datetime(2026, 3, 30), UTC_ZONE, interval)


# --- agent performance -----------------------------------------------------------------------

NONE = dict(phone_handled=0, phone_aht=None, email_handled=0, email_aht=None, chat_handled=0, chat_aht=None,
            holds=0, transfers=0, reason_billing=0, reason_delivery=0, outcome_escalated=0, outcome_solved=0,
            callbacks_scheduled=0, callbacks_kept=0)
AMY_28 = NONE | dict(phone_handled=3, phone_aht=350.0, email_handled=1, email_aht=1800.0, chat_handled=2,
                     chat_aht=440.0, holds=2, transfers=2, reason_billing=2, reason_delivery=1, outcome_escalated=1,
                     outcome_solved=1, callbacks_scheduled=3, callbacks_kept=1)
BOB_28 = NONE | dict(email_handled=1, email_aht=3600.0)
TEAM_A_28 = AMY_28 | dict(email_handled=2, email_aht=2700.0)
CARL_29 = NONE | dict(phone_handled=1, phone_aht=400.0, chat_handled=1, chat_aht=300.0, reason_delivery=1,
                      outcome_solved=1, callbacks_scheduled=1, callbacks_kept=1)
EXPECTED = {
    ("2026-03-28", "amy"): AMY_28, ("2026-03-28", "bob"): BOB_28, ("2026-03-28", "carl"): NONE,
    ("2026-03-28", "A"): TEAM_A_28, ("2026-03-28", "B"): NONE, ("2026-03-28", "S"): TEAM_A_28,
    ("2026-03-28", "CC"): TEAM_A_28,
    ("2026-03-29", "amy"): NONE, ("2026-03-29", "bob"): NONE, ("2026-03-29", "carl"): CARL_29,
    ("2026-03-29", "A"): NONE, ("2026-03-29", "B"): CARL_29, ("2026-03-29", "S"): CARL_29,
    ("2026-03-29", "CC"): CARL_29,
}


def performance(db, actor, p=None, filters=Filters()):
    with db.reading() as s:
        report = AgentPerformanceReport(s, actor, p or days(), filters)
        codes = report.reasons, report.outcomes
        return [performance_record(row, *codes) for row in report.rows()], codes


def test_every_figure_per_agent_team_site_and_center(db, people):
    records, codes = performance(db, people["admin"])
    assert codes == (("billing", "delivery"), ("escalated", "solved"))
    assert list(records[0]) == list(performance_columns(*codes))
    found = {(r["start"][:10], r["agent"] or r["unit"]): {k: r[k] for k in NONE} for r in records}
    assert list(found) == list(EXPECTED)
    assert found == EXPECTED
    assert records[0]["start"] == "2026-03-28T00:00:00+00:00"


def test_a_supervisor_reads_his_agents_and_their_units(db, people):
    records, _ = performance(db, people["sue"])
    assert [r["agent"] or r["unit"] for r in records] == ["amy", "bob", "A"] * 2
    with pytest.raises(PermissionDenied):
        performance(db, people["sue"], filters=Filters(agents=("carl",)))
    with pytest.raises(PermissionDenied):
        performance(db, people["sue"], filters=Filters(team="B"))


def test_hourly_intervals_put_each_call_in_the_hour_he_took_it(db, people):
    records, _ = performance(db, people["admin"], days("60min"), Filters(agents=("amy",)))
    amy = {r["start"][:13]: r for r in records if r["agent"] == "amy"}
    assert (amy["2026-03-28T08"]["phone_handled"], amy["2026-03-28T08"]["phone_aht"],
            amy["2026-03-28T08"]["holds"]) == (1, 300.0, 2)
    assert (amy["2026-03-28T09"]["transfers"], amy["2026-03-28T11"]["transfers"]) == (1, 1)
    assert (amy["2026-03-28T13"]["chat_handled"], amy["2026-03-28T13"]["chat_aht"]) == (1, 280.0)
    assert amy["2026-03-28T23"]["phone_aht"] == 600.0


def test_bad_input_is_refused(db, people):
    with pytest.raises(ValidationError, match="not per queue"):
        performance(db, people["admin"], filters=Filters(queues=("support",)))
    with pytest.raises(ValidationError, match="no agent"):
        performance(db, people["admin"], filters=Filters(agents=("nobody",)))
    with pytest.raises(PermissionDenied):
        performance(db, people["amy"])  # an agent reads no one's performance


# --- email and chat --------------------------------------------------------------------------

FIGURES = ("entered", "answered", "abandoned", "short_abandons", "first_replies", "first_response_time",
           "replied_within_due", "share_within_due", "resolved", "resolution_time", "reopened")


def figures(entered=0, answered=0, abandoned=0, short_abandons=0, first_replies=0, first_response_time=None,
            replied_within_due=0, share_within_due=None, resolved=0, resolution_time=None, reopened=0):
    return dict(zip(FIGURES, (entered, answered, abandoned, short_abandons, first_replies, first_response_time,
                              replied_within_due, share_within_due, resolved, resolution_time, reopened)))


MAIL_28 = {
    ("service", "email", None): figures(5, 3, 0, 0, 2, 6300.0, 1, 0.2, 1, 2400.0, 1),
    ("service", "email", "amy"): figures(2, 2, 0, 0, 2, 6300.0, 1, 0.5, 1, 2400.0, 1),
    ("service", "email", "bob"): figures(1, 1, 0, 0, 0, None, 0, 0.0),
    ("vip", "email", None): figures(replied_within_due=None),
    ("vip", "chat", None): figures(1, replied_within_due=None),
    ("web-chat", "chat", None): figures(4, 2, 2, 1, 2, 70.0, 1, round(1 / 3, 6), 1, 300.0),
    ("web-chat", "chat", "amy"): figures(2, 2, 0, 0, 2, 70.0, 1, 0.5, 1, 300.0),
}
MAIL_29 = {
    ("service", "email", None): figures(),
    ("vip", "email", None): figures(replied_within_due=None),
    ("vip", "chat", None): figures(replied_within_due=None),
    ("web-chat", "chat", None): figures(1, 1, 0, 0, 1, 100.0, 0, 0.0, 1, 360.0),
    ("web-chat", "chat", "carl"): figures(1, 1, 0, 0, 1, 100.0, 0, 0.0, 1, 360.0),
}


def mail(db, actor, filters=Filters(channel=""), p=None):
    with db.reading() as s:
        report = MailReport(s, actor, p or days(), filters, MAIL_QUEUES, lambda queue: 5.0,
                            now=datetime(2026, 4, 10, tzinfo=UTC_ZONE))
        return [mail_record(row) for row in report.rows()]


def by_day(records) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for r in records:
        found.setdefault(r["start"][:10], {})[(r["queue"], r["channel"], r["agent"])] = {k: r[k] for k in FIGURES}
    return found


def test_every_mail_figure_per_queue_channel_and_agent(db, people):
    records = mail(db, people["admin"])
    assert by_day(records) == {"2026-03-28": MAIL_28, "2026-03-29": MAIL_29}
    assert [(r["level"], r["due_seconds"], r["short_abandon_seconds"]) for r in records[:2]] == [
        ("queue", 3600.0, 5.0), ("agent", 3600.0, 5.0)]


def test_an_agent_filter_keeps_the_conversations_he_took(db, people):
    found = by_day(mail(db, people["admin"], Filters(agents=("amy",), channel="email")))
    assert found["2026-03-28"][("service", "email", None)] == MAIL_28[("service", "email", "amy")]
    assert {key[:2] for key in found["2026-03-28"]} == {("service", "email"), ("vip", "email")}


def test_a_supervisor_reads_his_units_queues_and_those_his_agents_worked_in(db, people):
    sue = by_day(mail(db, people["sue"]))
    assert set(sue["2026-03-28"]) == {key for key in MAIL_28 if key[0] in ("service", "web-chat")}
    ted = by_day(mail(db, people["ted"]))  # vip is his unit's; carl worked in web-chat
    assert set(ted["2026-03-28"]) == {("vip", "email", None), ("vip", "chat", None), ("web-chat", "chat", None)}
    assert ted["2026-03-28"][("web-chat", "chat", None)] == MAIL_28[("web-chat", "chat", None)]  # amy's row not his
    with pytest.raises(PermissionDenied, match="vip"):
        mail(db, people["sue"], Filters(queues=("vip",), channel=""))


def test_bad_mail_input_is_refused(db, people):
    admin = people["admin"]
    with pytest.raises(ValidationError, match="no email or chat queue 'nothing'"):
        mail(db, admin, Filters(queues=("nothing",), channel=""))
    with pytest.raises(ValidationError, match="no email or chat queue 'support'"):  # a phone queue
        mail(db, admin, Filters(queues=("support",), channel=""))
    with pytest.raises(ValidationError, match="no phone channel"):
        mail(db, admin, Filters(channel="phone"))
    with pytest.raises(ValidationError, match="unknown channel"):
        mail(db, admin, Filters(channel="fax"))
    with pytest.raises(PermissionDenied):
        mail(db, people["amy"])


def test_the_records_of_the_crm_are_only_read(db, people):
    with db.reading() as s:
        before = s.execute(select(Interaction.id, Interaction.reason_code)).all()
    performance(db, people["admin"])
    with db.reading() as s:
        assert s.execute(select(Interaction.id, Interaction.reason_code)).all() == before
