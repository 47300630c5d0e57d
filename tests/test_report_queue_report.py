"""The queue report per interval and the contact detail (crm/reports/queue_report.py) on a
hand-computed event log, on SQLite and PostgreSQL.

Queue "support", T = 20 s, τ = 5 s, in Europe/Berlin over 28 and 29 March 2026: summer time
starts on the 29th at 02:00 (01:00 UTC), so that day has 23 hours. Times below are UTC.

Day 1, 28 March (23:00 UTC on the 27th to 23:00 UTC on the 28th):

| contact | entered  | outcome                        | wait | agent | handle | notes                          |
| ------- | -------- | ------------------------------ | ---- | ----- | ------ | ------------------------------ |
| c1      | 08:00:00 | answered                       | 10   | amy   | 150    | within T                       |
| c2      | 08:05:00 | abandoned                      | 5    |       |        | exactly τ: short               |
| c3      | 08:10:00 | abandoned                      | 6    |       |        | just over τ, within T          |
| c4      | 08:15:00 | answered, transferred          | 20   | bob   | 70     | exactly T: within              |
| c5      | 08:20:00 | answered                       | 21   | amy   | 250    | just over T                    |
| c6      | 08:25:00 | abandoned                      | 21   |       |        | just over T                    |
| c7      | 08:30:00 | abandoned                      | 20   |       |        | exactly T: within T            |
| c8      | 08:40:00 | overflowed                     | 60   |       |        | left otherwise                 |
| c10     | 09:00:00 | ended unanswered (no_answer)   | 300  |       |        | left otherwise, longest wait   |
| c9      | 22:59:50 | answered at 23:00:25, next day | 35   | amy   | 95     | crosses midnight: day 1's      |

entered 10, answered 4, abandoned 4, short abandons 1, left otherwise 2 (overflowed 1), left the
queue 10, answered within T 2 (c1, c4), abandoned within T 3 (c2, c3, c7); ASA 86 / 4 = 21.5;
longest wait 300; service level: abandons against 2 / (10 − 1), abandons within T ignored
2 / (10 − 3), abandons within T count for (2 + 3 − 1) / (10 − 1), answered only 2 / 4;
abandonment rate (4 − 1) / (10 − 1); handled 4, AHT 565 / 4 = 141.25; transfers 1.

Day 2, 29 March (23:00 UTC on the 28th to 22:00 UTC on the 29th): c11 enters at 00:30 (01:30
winter time) and is answered after 12 s by bob, still in wrap-up; c12 enters at 01:30 (03:30
summer time) and abandons after 3 s (short); c13 enters at 21:59 and is still waiting at the end
of the range. Not counted: c0 entered before the range (answered in it), c14 entered at 22:00
(midnight, the 30th).
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import factories
from crm.errors import PermissionDenied, ValidationError
from crm.models import User, UserRole
from crm.permissions import Actor
from crm.reports.definitions import QueueThresholds, ServiceLevelVariant
from crm.reports.queue_report import COUNTS, Filters, QueueReport, intervals, period
from crm.services.calls import log_event
from crm.services.users import create_org_unit

BERLIN = ZoneInfo("Europe/Berlin")
SYSTEM = Actor.system()
T, TAU = 20.0, 5.0
_KEYS = itertools.count(1)


def utc(day: int, clock: str) -> datetime:
    """A naive UTC time in March 2026."""
    return datetime.fromisoformat(f"2026-03-{day:02d}T{clock}")


# (day, time, kind, contact, agent, detail), UTC
SUPPORT = [
    (27, "22:59:00", "entered", "c0", None, None),
    (27, "23:00:30", "answered", "c0", "amy", {"wait": 90}),
    (28, "08:00:00", "entered", "c1", None, None),
    (28, "08:00:05", "offered", "c1", "amy", None),
    (28, "08:00:10", "answered", "c1", "amy", {"wait": 10}),
    (28, "08:02:10", "ended", "c1", "amy", {"by": "customer", "cause": "normal", "talk": 120}),
    (28, "08:02:40", "wrapped_up", "c1", "amy", {"talk": 120, "wrap_up": 30, "handle": 150}),
    (28, "08:05:00", "entered", "c2", None, None),
    (28, "08:05:05", "abandoned", "c2", None, {"wait": 5.0, "cause": "caller_hangup"}),
    (28, "08:10:00", "entered", "c3", None, None),
    (28, "08:10:06", "abandoned", "c3", None, {"wait": 6.0}),
    (28, "08:15:00", "entered", "c4", None, None),
    (28, "08:15:20", "answered", "c4", "bob", {"wait": 20.0}),
    (28, "08:15:40", "held", "c4", "bob", None),
    (28, "08:15:50", "retrieved", "c4", "bob", None),
    (28, "08:16:00", "transferred", "c4", "bob", {"target": "queue:billing", "attended": False}),
    (28, "08:16:30", "wrapped_up", "c4", "bob", {"talk": 40, "wrap_up": 30, "handle": 70}),
    (28, "08:20:00", "entered", "c5", None, None),
    (28, "08:20:21", "answered", "c5", "amy", {"wait": 21.0}),
    (28, "08:25:00", "wrapped_up", "c5", "amy", {"talk": 200, "wrap_up": 50, "handle": 250}),
    (28, "08:25:00", "entered", "c6", None, None),
    (28, "08:25:21", "abandoned", "c6", None, {"wait": 21.0}),
    (28, "08:30:00", "entered", "c7", None, None),
    (28, "08:30:20", "abandoned", "c7", None, {"wait": 20.0}),
    (28, "08:40:00", "entered", "c8", None, None),
    (28, "08:41:00", "overflowed", "c8", None, {"wait": 60.0, "reason": "wait", "target": "queue:general"}),
    (28, "09:00:00", "entered", "c10", None, None),
    (28, "09:01:00", "offered", "c10", "bob", None),
    (28, "09:01:15", "ring_no_answer", "c10", "bob", None),
    (28, "09:05:00", "ended", "c10", None, {"wait": 300.0, "cause": "no_answer", "by": "system"}),
    (28, "22:59:50", "entered", "c9", None, None),
    (28, "23:00:25", "answered", "c9", "amy", {"wait": 35.0}),
    (28, "23:02:00", "wrapped_up", "c9", "amy", {"talk": 60, "wrap_up": 35, "handle": 95}),
    (29, "00:30:00", "entered", "c11", None, None),
    (29, "00:30:12", "answered", "c11", "bob", {"wait": 12.0}),
    (29, "01:30:00", "entered", "c12", None, None),
    (29, "01:30:03", "abandoned", "c12", None, {"wait": 3.0}),
    (29, "21:59:00", "entered", "c13", None, None),
    (29, "22:00:00", "entered", "c14", None, None),
]
SALES = [(28, "10:00:00", "entered", "s1", None, None), (28, "10:00:30", "answered", "s1", "carl", {"wait": 30})]

DAY_1 = dict(entered=10, answered=4, abandoned=4, short_abandons=1, left_otherwise=2, overflowed=1, answered_within=2,
             asa=21.5, longest_wait=300.0, service_level=2 / 9, service_level_answered_only=0.5,
             abandonment_rate=3 / 9, handled=4, aht=141.25, transfers=1,
             answered_waits=(1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0), abandoned_waits=(2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0))
DAY_2 = dict(entered=3, answered=1, abandoned=1, short_abandons=1, left_otherwise=0, overflowed=0, answered_within=1,
             asa=12.0, longest_wait=12.0, service_level=1.0, service_level_answered_only=1.0, abandonment_rate=0.0,
             handled=0, aht=None, transfers=0,
             answered_waits=(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), abandoned_waits=(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))


def write(session, events, queue: str) -> None:
    for day, clock, kind, contact, agent, detail in events:
        log_event(session, SYSTEM, key=f"test:{next(_KEYS)}", kind=kind, at=utc(day, clock), contact_id=contact,
                  queue=queue, agent=agent, detail=detail)


def fill(db) -> dict[str, Actor]:
    """Team A (amy, bob, their supervisor sue) and team B (carl, ted) under one center, an
    administrator, and the event log above (with carl's sales queue and an email he took in the
    mail queue's "support"); the users by name."""
    with db.unit_of_work() as s:
        center = create_org_unit(s, SYSTEM, kind="contact_center", code="CC", name="Center")
        site = create_org_unit(s, SYSTEM, kind="site", code="S", name="Site", parent=center)
        units = {code: create_org_unit(s, SYSTEM, kind="team", code=code, name=code, parent=site)
                 for code in ("A", "B")}
        found = {}
        for name, role, code in (("amy", UserRole.AGENT, "A"), ("bob", UserRole.AGENT, "A"),
                                 ("sue", UserRole.SUPERVISOR, "A"), ("carl", UserRole.AGENT, "B"),
                                 ("ted", UserRole.SUPERVISOR, "B"), ("ann", UserRole.AGENT, None)):
            found[name] = factories.user(s, name, role)
            if code:
                s.get(User, found[name].user_id).org_unit_id = units[code].id
        found["admin"] = factories.user(s, "admin", UserRole.ADMINISTRATOR)
    with db.unit_of_work() as s:
        write(s, SUPPORT, "support")
        write(s, SALES, "sales")
        log_event(s, SYSTEM, key="test:carl-login", kind="logged_in", at=utc(28, "07:00:00"), agent="carl",
                  detail={"queues": ["sales"], "channels": ["phone"]})
        # carl takes an email in the mail queue's "support": not a phone queue of his, nor a call
        for key, kind, clock in (("e", "entered", "09:00:00"), ("a", "answered", "09:00:40")):
            log_event(s, SYSTEM, key=f"test:mail-{key}", kind=kind, at=utc(28, clock), channel="email",
                      contact_id="77", queue="support", agent="carl" if kind == "answered" else None,
                      detail={"wait": 40} if kind == "answered" else None)
    return found


@pytest.fixture
def people(db):
    return fill(db)


def march(interval: str = "day", last_day: int = 29) -> object:
    return period(datetime(2026, 3, 28), datetime(2026, 3, last_day + 1), BERLIN, interval)


def thresholds(variant=ServiceLevelVariant.ABANDONS_AGAINST):
    return lambda queue: QueueThresholds(T, TAU, variant)


def rows(db, actor, p=None, filters=None, variant=ServiceLevelVariant.ABANDONS_AGAINST):
    with db.reading() as s:
        return list(QueueReport(s, actor, p or march(), filters or Filters(), thresholds(variant)).queue_rows())


def figures(row) -> dict:
    return rounded({name: getattr(row, name) for name in DAY_1})


def rounded(values: dict) -> dict:
    return {name: round(value, 9) if isinstance(value, float) else value for name, value in values.items()}


def test_every_figure_of_each_day_including_one_of_23_hours(db, people):
    day_1, day_2 = [row for row in rows(db, people["admin"]) if row.queue == "support"]
    assert (day_1.start.isoformat(), day_1.end.isoformat()) == ("2026-03-28T00:00:00+01:00",
                                                                "2026-03-29T00:00:00+01:00")
    assert (day_2.start.isoformat(), day_2.end.isoformat()) == ("2026-03-29T00:00:00+01:00",
                                                                "2026-03-30T00:00:00+02:00")
    assert day_2.end.timestamp() - day_2.start.timestamp() == timedelta(hours=23).total_seconds()
    assert figures(day_1) == rounded(DAY_1)
    assert figures(day_2) == rounded(DAY_2)


@pytest.mark.parametrize("variant, expected", [
    (ServiceLevelVariant.ABANDONS_AGAINST, 2 / 9),
    (ServiceLevelVariant.ABANDONS_WITHIN_IGNORED, 2 / 7),
    (ServiceLevelVariant.ABANDONS_WITHIN_FOR, 4 / 9),
])
def test_the_service_level_is_in_the_queues_variant(db, people, variant, expected):
    day_1 = rows(db, people["admin"], variant=variant)[1]
    assert (day_1.queue, day_1.service_level, day_1.service_level_answered_only) == (
        "support", pytest.approx(expected), 0.5)


def test_hours_of_the_day_summer_time_starts_skip_two_oclock(db, people):
    hours = [row for row in rows(db, people["admin"], march("60min")) if row.queue == "support"][24:]
    assert len(hours) == 23
    assert [row.start.strftime("%H:%M%z") for row in hours[:3]] == ["00:00+0100", "01:00+0100", "03:00+0200"]
    assert [row.entered for row in hours[:4]] == [0, 1, 1, 0]  # c11 at 01:30 winter time, c12 at 03:30 summer time
    assert hours[-1].entered == 1 and hours[-1].answered == 0  # c13, still waiting


def test_a_contact_belongs_to_the_quarter_hour_it_entered_in(db, people):
    quarters = [row for row in rows(db, people["admin"], march("15min", 28)) if row.queue == "support"]
    assert len(quarters) == 96
    last, before = quarters[-1], quarters[-2]
    assert (last.start.strftime("%H:%M"), last.entered, last.answered, last.asa) == ("23:45", 1, 1, 35.0)  # c9
    assert before.entered == 0 and before.asa is None
    nine = quarters[9 * 4]  # 09:00 local: c1, c2 and c3 (08:00 to 08:10 UTC)
    assert (nine.start.strftime("%H:%M"), nine.entered, nine.answered, nine.abandoned) == ("09:00", 3, 1, 2)


def test_the_contact_detail_has_every_time_and_code(db, people):
    with db.reading() as s:
        found = {row.contact_id: row for row in
                 QueueReport(s, people["admin"], march(), Filters(queues=("support",)), thresholds()).contact_rows()}
    assert sorted(found) == sorted(f"c{n}" for n in range(1, 14))
    c1, c4, c10, c9, c13 = found["c1"], found["c4"], found["c10"], found["c9"], found["c13"]
    assert (c1.outcome, c1.wait, c1.agent, c1.talk, c1.wrap_up, c1.handle, c1.ended_by) == (
        "answered", 10.0, "amy", 120.0, 30.0, 150.0, "customer")
    assert (c1.entered_at.isoformat(), c1.offered_at.isoformat(), c1.answered_at.isoformat()) == (
        "2026-03-28T09:00:00+01:00", "2026-03-28T09:00:05+01:00", "2026-03-28T09:00:10+01:00")
    assert (c4.transferred, c4.target, c4.holds, c4.agent) == (True, "queue:billing", 1, "bob")
    assert (c10.outcome, c10.left_by, c10.cause, c10.offers, c10.not_answered, c10.wait) == (
        "left", "ended", "no_answer", 1, 1, 300.0)
    assert c10.left_at.isoformat() == "2026-03-28T10:05:00+01:00"
    assert c9.answered_at.isoformat() == "2026-03-29T00:00:25+01:00"
    assert (c13.outcome, c13.wait, c13.agent) == ("waiting", None, None)
    assert found["c8"].target == "queue:general"


# the contacts behind each count of day 1 (support), by hand from the table above
BEHIND_DAY_1 = {"entered": [f"c{n}" for n in range(1, 11)], "answered": ["c1", "c4", "c5", "c9"],
                "abandoned": ["c2", "c3", "c6", "c7"], "short_abandons": ["c2"], "left_otherwise": ["c8", "c10"],
                "overflowed": ["c8"], "answered_within": ["c1", "c4"], "handled": ["c1", "c4", "c5", "c9"],
                "transfers": ["c4"]}


def test_the_contacts_behind_each_count_are_those_it_counts(db, people):
    day_1 = period(datetime(2026, 3, 28), datetime(2026, 3, 29), BERLIN, "day")
    with db.reading() as s:
        report = QueueReport(s, people["admin"], day_1, Filters(queues=("support",)), thresholds())
        behind = {name: sorted(row.contact_id for row in report.contact_rows(counted_in=name))
                  for name in COUNTS}
    assert behind == {name: sorted(ids) for name, ids in BEHIND_DAY_1.items()}
    assert {name: len(ids) for name, ids in behind.items()} == {name: DAY_1[name] for name in COUNTS}


def test_an_agent_filter_keeps_the_contacts_he_answered(db, people):
    day_1 = rows(db, people["admin"], filters=Filters(queues=("support",), agents=("amy",)))[0]
    assert (day_1.entered, day_1.answered, day_1.abandoned, day_1.asa) == (3, 3, 0, pytest.approx(66 / 3))


def test_a_supervisor_reads_the_queues_his_agents_worked_in(db, people):
    assert {row.queue for row in rows(db, people["sue"])} == {"support"}
    assert {row.queue for row in rows(db, people["ted"])} == {"sales"}  # carl logged in to it, answered s1
    assert {row.queue for row in rows(db, people["admin"])} == {"sales", "support"}
    team = rows(db, people["sue"], filters=Filters(team="A"))[0]
    assert (team.queue, team.answered) == ("support", 4)


def test_a_supervisor_reads_the_queues_of_his_org_units_as_the_gateway_configures_them(db, people):
    configured = {"sales": ("A",), "support": ("B",)}  # sue's team A has sales, whose agents never worked in it

    def queues(who: str, asked: tuple[str, ...] = ()) -> set[str]:
        with db.reading() as s:
            report = QueueReport(s, people[who], march(), Filters(queues=asked), thresholds(), configured)
            return {row.queue for row in report.queue_rows()}

    assert queues("sue") == {"sales"}  # support is team B's, though her agents worked in it
    assert queues("ted") == {"support"}
    assert queues("admin") == {"sales", "support"}
    assert queues("sue", ("sales",)) == {"sales"}
    with db.reading() as s, pytest.raises(PermissionDenied, match="belongs to none of his org units"):
        QueueReport(s, people["sue"], march(), Filters(queues=("support",)), thresholds(), configured)


@pytest.mark.parametrize("filters, error, message", [
    (Filters(queues=("sales",)), PermissionDenied, "not one of sue's"),
    (Filters(agents=("carl",)), PermissionDenied, "not in sue's org units"),
    (Filters(team="B"), PermissionDenied, "not one of sue's"),
    (Filters(queues=("nowhere",)), ValidationError, "There is no queue 'nowhere'"),
    (Filters(agents=("nobody",)), ValidationError, "There is no agent 'nobody'"),
    (Filters(team="Z"), ValidationError, "There is no org unit 'Z'"),
    (Filters(channel="email"), ValidationError, "phone channel only"),
    (Filters(channel="fax"), ValidationError, "unknown channel 'fax'"),
])
def test_what_a_supervisor_may_not_read_or_that_does_not_exist_is_refused(db, people, filters, error, message):
    with db.reading() as s, pytest.raises(error, match=message):
        QueueReport(s, people["sue"], march(), filters, thresholds())


def test_agents_may_not_read_queue_reports(db, people):
    with db.reading() as s, pytest.raises(PermissionDenied, match="read queue reports"):
        QueueReport(s, people["amy"], march(), Filters(), thresholds())


def test_bad_ranges_are_refused():
    with pytest.raises(ValidationError, match="ends .* before it starts"):
        period(datetime(2026, 3, 29), datetime(2026, 3, 28), BERLIN)
    with pytest.raises(ValidationError, match="at most 92 days"):
        period(datetime(2025, 1, 1), datetime(2026, 2, 1), BERLIN, "15min")
    with pytest.raises(ValidationError, match="at most 400 days"):
        period(datetime(2024, 1, 1), datetime(2026, 2, 1), BERLIN, "month")
    with pytest.raises(ValidationError, match="unknown interval"):
        period(datetime(2026, 3, 1), datetime(2026, 3, 2), BERLIN, "fortnight")


def test_the_day_winter_time_returns_has_25_hours_and_weeks_and_months_keep_local_boundaries():
    autumn = intervals(period(datetime(2026, 10, 25), datetime(2026, 10, 26), BERLIN, "60min"))
    assert len(autumn) == 25
    assert [start.strftime("%H:%M%z") for start, _ in autumn[1:4]] == ["01:00+0200", "02:00+0200", "02:00+0100"]
    weeks = intervals(period(datetime(2026, 3, 25), datetime(2026, 4, 8), BERLIN, "week"))
    assert [(a.isoformat(), b.isoformat()) for a, b in weeks] == [
        ("2026-03-25T00:00:00+01:00", "2026-03-30T00:00:00+02:00"),  # cut to the range; 5 days minus an hour
        ("2026-03-30T00:00:00+02:00", "2026-04-06T00:00:00+02:00"),
        ("2026-04-06T00:00:00+02:00", "2026-04-08T00:00:00+02:00")]
    months = intervals(period(datetime(2026, 11, 15), datetime(2027, 2, 1), BERLIN, "month"))
    assert [a.date().isoformat() for a, _ in months] == ["2026-11-15", "2026-12-01", "2027-01-01"]


def test_memory_holds_one_stretch_of_contacts_not_the_whole_range(db):
    """Four weeks of contacts exported one by one need no more memory at their peak than one
    week: the report reads a week of days at a time."""
    import gc
    import tracemalloc

    from sqlalchemy import insert

    from crm.models import LoggedEvent

    start = datetime(2026, 3, 2)  # a Monday, UTC
    with db.unit_of_work() as s:
        rows = []
        for n in range(28 * 150):  # 150 a day for four weeks
            entered = start + timedelta(seconds=n * 576)
            rows += [dict(event_key=f"m:{n}:e", at=entered, kind="entered", channel="phone", contact_id=f"m{n}",
                          queue="bulk", detail={}),
                     dict(event_key=f"m:{n}:a", at=entered + timedelta(seconds=9), kind="answered", channel="phone",
                          contact_id=f"m{n}", queue="bulk", detail={"wait": 9})]
        s.execute(insert(LoggedEvent), rows)

    def peak(days: int) -> tuple[int, int]:
        p = period(start, start + timedelta(days=days), ZoneInfo("UTC"))
        with db.reading() as s:
            report = QueueReport(s, SYSTEM, p, Filters(), thresholds())
            gc.collect()  # garbage left by what ran before is not this report's
            tracemalloc.start()
            count = sum(1 for _ in report.contact_rows())
            _, top = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        return count, top

    peak(7)  # statements compiled and caches filled once, outside what is compared
    week, month = peak(7), peak(28)
    assert (week[0], month[0]) == (7 * 150, 28 * 150)
    assert month[1] < 1.5 * week[1], (week, month)
