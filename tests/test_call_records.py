"""Call records: one interaction per agent segment of a call, the event log, and a queue
report computed from that log."""

import itertools
import logging
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

import factories
from crm.errors import PermissionDenied, ValidationError
from crm.models import Interaction, LoggedEvent, UserRole
from crm.permissions import Actor
from crm.services.calls import (
    log_event,
    open_call_segment,
    queue_summary,
    update_call_segment,
)

SYSTEM = Actor.system()
T0 = datetime(2026, 3, 2, 9, 0, 0)


_KEYS = itertools.count(1)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def log(session, actor, **fields):
    """An event with a key of its own."""
    return log_event(session, actor, key=f"test:{next(_KEYS)}", **fields)


def open_segment(session, contact_id="call-1", segment_no=1, **overrides):
    values = dict(contact_id=contact_id, segment_no=segment_no, direction="inbound",
                  queue="support", ani="+8613800138000", dnis="4001", started_at=T0,
                  queued_at=at(1))
    return open_call_segment(session, SYSTEM, **values | overrides)


def segments(db, contact_id="call-1") -> list[dict]:
    names = ("segment_no", "channel", "direction", "status", "queue", "agent_id", "partner_id",
             "ani", "dnis", "started_at", "queued_at", "offered_at", "answered_at", "ended_at",
             "wait_seconds", "talk_seconds", "hold_seconds", "wrapup_seconds", "end_cause", "notes")
    with db.reading() as s:
        rows = s.scalars(select(Interaction).where(Interaction.contact_id == contact_id)
                         .order_by(Interaction.segment_no))
        return [{n: getattr(r, n) for n in names} for r in rows]


def events(db) -> list[tuple]:
    with db.reading() as s:
        rows = s.scalars(select(LoggedEvent).order_by(LoggedEvent.id))
        return [(e.kind, e.at, e.contact_id, e.queue, e.agent_id, e.detail) for e in rows]


@pytest.fixture
def amy(db):
    with db.unit_of_work() as s:
        return factories.user(s, "amy")


def test_a_segment_is_opened_then_updated_as_the_call_goes_on(db, amy):
    with db.unit_of_work() as s:
        open_segment(s)
    [opened] = segments(db)
    assert (opened["channel"], opened["direction"], opened["status"], opened["queue"]) == (
        "phone", "inbound", "open", "support")
    assert (opened["ani"], opened["dnis"], opened["started_at"], opened["queued_at"]) == (
        "+8613800138000", "4001", T0, at(1))
    assert opened["agent_id"] is None

    with db.unit_of_work() as s:
        update_call_segment(s, SYSTEM, "call-1", 1, agent="amy", offered_at=at(10),
                            answered_at=at(13), wait_seconds=12.5)
        update_call_segment(s, SYSTEM, "call-1", 1, ended_at=at(200), talk_seconds=180.4,
                            hold_seconds=6.6, end_cause="caller_hangup", status="wrap_up")
    with db.unit_of_work() as s:
        update_call_segment(s, SYSTEM, "call-1", 1, wrapup_seconds=29.5, status="closed",
                            notes="wants a callback")
    [done] = segments(db)
    assert done["agent_id"] == amy.user_id
    assert (done["offered_at"], done["answered_at"], done["ended_at"]) == (at(10), at(13), at(200))
    # whole seconds, halves rounded up
    assert (done["wait_seconds"], done["talk_seconds"], done["hold_seconds"],
            done["wrapup_seconds"]) == (13, 180, 7, 30)
    assert (done["end_cause"], done["status"], done["notes"]) == (
        "caller_hangup", "closed", "wants a callback")


def test_opening_a_segment_again_updates_it_instead_of_adding_one(db, amy):
    with db.unit_of_work() as s:
        open_segment(s)
    with db.unit_of_work() as s:
        open_segment(s, queue="sales", agent="amy", queued_at=None)
    [segment] = segments(db)
    assert (segment["queue"], segment["agent_id"]) == ("sales", amy.user_id)
    assert segment["queued_at"] == at(1)  # not given the second time: kept


def test_a_session_that_rolled_back_a_new_segment_writes_it_again_after(db, amy):
    """The writer remembers the segments and agents of a transaction; a retry of the same
    records in the same session after a rollback must insert again, not update a row that
    was never kept."""
    session = db.sessions()
    try:
        open_segment(session, agent="amy")
        session.rollback()
        open_segment(session, agent="amy")
        update_call_segment(session, SYSTEM, "call-1", 1, answered_at=at(13))
        session.commit()
    finally:
        session.close()
    [segment] = segments(db)
    assert (segment["agent_id"], segment["answered_at"]) == (amy.user_id, at(13))


def test_an_update_that_arrives_before_its_open_is_kept_and_completed_by_the_open(db):
    with db.unit_of_work() as s:
        update_call_segment(s, SYSTEM, "call-1", 1, answered_at=at(13), wait_seconds=12)
    [early] = segments(db)
    assert (early["answered_at"], early["wait_seconds"], early["status"]) == (at(13), 12, "open")
    with db.unit_of_work() as s:
        open_segment(s, direction="outbound")
    [segment] = segments(db)
    assert (segment["direction"], segment["started_at"], segment["ani"]) == (
        "outbound", T0, "+8613800138000")
    assert (segment["answered_at"], segment["wait_seconds"]) == (at(13), 12)


def test_each_agent_of_a_transferred_call_has_a_segment_with_his_own_times(db, amy):
    with db.unit_of_work() as s:
        bob = factories.user(s, "bob")
        open_segment(s, agent="amy")
        update_call_segment(s, SYSTEM, "call-1", 1, answered_at=at(5), ended_at=at(65),
                            talk_seconds=60, end_cause="transferred")
        open_segment(s, segment_no=2, agent="bob", started_at=at(65), queued_at=None)
        update_call_segment(s, SYSTEM, "call-1", 2, answered_at=at(70), ended_at=at(100),
                            talk_seconds=30, end_cause="caller_hangup")
    first, second = segments(db)
    assert (first["segment_no"], first["agent_id"], first["talk_seconds"], first["end_cause"]) == (
        1, amy.user_id, 60, "transferred")
    assert (second["segment_no"], second["agent_id"], second["talk_seconds"],
            second["end_cause"]) == (2, bob.user_id, 30, "caller_hangup")


def test_the_confirmed_customer_is_linked_by_number_and_an_unknown_number_is_ignored(db, caplog):
    with db.unit_of_work() as s:
        partner = factories.person(s, first="伟", last="张", phones=["13800138000"])
        partner_id, partner_no = partner.id, partner.partner_no
        open_segment(s)
    with db.unit_of_work() as s:
        update_call_segment(s, SYSTEM, "call-1", 1, partner_no=partner_no.lower())
    assert segments(db)[0]["partner_id"] == partner_id

    with caplog.at_level(logging.WARNING, logger="crm.services.calls"):
        with db.unit_of_work() as s:
            update_call_segment(s, SYSTEM, "call-1", 1, partner_no="C99999999", notes="asked twice")
    segment = segments(db)[0]
    assert (segment["partner_id"], segment["notes"]) == (partner_id, "asked twice")
    assert "C99999999" in caplog.text


def test_an_unknown_agent_never_costs_a_record(db, amy, caplog):
    with caplog.at_level(logging.WARNING, logger="crm.services.calls"):
        with db.unit_of_work() as s:
            open_segment(s, agent="renamed-agent")
            log(s, SYSTEM, kind="answered", at=at(13), contact_id="call-1",
                            queue="support", agent="renamed-agent", detail={"wait": 12.5})
            log(s, SYSTEM, kind="work_mode", at=at(14), agent="amy",
                            detail={"mode": "not_ready", "reason": "lunch"})
    assert segments(db)[0]["agent_id"] is None
    assert "renamed-agent" in caplog.text
    assert events(db) == [
        ("answered", at(13), "call-1", "support", None, {"wait": 12.5, "agent": "renamed-agent"}),
        ("work_mode", at(14), None, None, amy.user_id, {"mode": "not_ready", "reason": "lunch"}),
    ]


def test_event_times_keep_their_microseconds_and_aware_times_become_utc(db):
    precise = datetime(2026, 3, 2, 9, 0, 0, 123456)
    beijing = datetime(2026, 3, 2, 17, 0, 1, tzinfo=timezone(timedelta(hours=8)))
    with db.unit_of_work() as s:
        log(s, SYSTEM, kind="entered", at=precise, contact_id="call-1", queue="support")
        log(s, SYSTEM, kind="offered", at=beijing, contact_id="call-1", queue="support")
    assert [e[1] for e in events(db)] == [precise, datetime(2026, 3, 2, 9, 0, 1)]


@pytest.mark.parametrize("fields, complaint", [
    ({"talk_time": 12}, "unknown call segment field"),
    ({"end_cause": "teleported"}, "unknown end_cause"),
    ({"status": "lost"}, "unknown status"),
    ({"talk_seconds": -3}, "cannot be negative"),
    ({"talk_seconds": "12"}, "number of seconds"),
    ({"answered_at": "09:00"}, "date and time"),
])
def test_wrong_fields_and_values_are_refused_and_change_nothing(db, fields, complaint):
    with db.unit_of_work() as s:
        open_segment(s)
    before = segments(db)
    with db.unit_of_work() as s, pytest.raises(ValidationError, match=complaint):
        update_call_segment(s, SYSTEM, "call-1", 1, **fields)
    assert segments(db) == before


def test_an_unknown_event_kind_is_refused(db):
    with db.unit_of_work() as s, pytest.raises(ValidationError, match="unknown event kind"):
        log(s, SYSTEM, kind="teleported", at=T0, contact_id="call-1")
    assert events(db) == []


def test_an_event_written_again_with_its_key_is_not_added_again(db, amy):
    from crm.services.calls import record_event

    answered = dict(kind="answered", at=at(13), contact_id="call-1", queue="support", agent="amy",
                    detail={"wait": 12.5})
    with db.unit_of_work() as s:
        assert record_event(s, SYSTEM, key="gw-1:7", **answered) is True
    with db.unit_of_work() as s:  # the same event, committed again
        assert record_event(s, SYSTEM, key="gw-1:7", **answered) is False
        assert record_event(s, SYSTEM, key="gw-1:8", **answered) is True  # another event, alike
    assert events(db) == [("answered", at(13), "call-1", "support", amy.user_id, {"wait": 12.5})] * 2
    with db.reading() as s:
        channels = set(s.scalars(select(LoggedEvent.channel)))
        recorded = list(s.scalars(select(LoggedEvent.recorded_at)))
    assert channels == {"phone"}  # a contact's channel, the phone unless told
    assert all(r is not None and abs((r - datetime.utcnow()).total_seconds()) < 3600 for r in recorded)


@pytest.mark.parametrize("key, complaint", [("", "needs its key"), (None, "needs its key"),
                                            ("k" * 101, "longer than 100")])
def test_an_event_without_a_usable_key_is_refused(db, key, complaint):
    from crm.services.calls import record_event

    with db.unit_of_work() as s, pytest.raises(ValidationError, match=complaint):
        record_event(s, SYSTEM, key=key, kind="entered", at=T0, contact_id="call-1")
    assert events(db) == []


@pytest.mark.parametrize("role", [UserRole.AGENT, UserRole.SUPERVISOR])
def test_only_the_system_records_calls(db, role):
    with db.unit_of_work() as s:
        user = factories.user(s, "someone", role)
    with db.unit_of_work() as s:
        with pytest.raises(PermissionDenied, match="call.record"):
            open_call_segment(s, user, contact_id="call-1", segment_no=1, direction="inbound",
                              queue="support", ani=None, dnis=None, started_at=T0)
        with pytest.raises(PermissionDenied, match="call.record"):
            update_call_segment(s, user, "call-1", 1, talk_seconds=1)
        with pytest.raises(PermissionDenied, match="call.record"):
            log(s, user, kind="entered", at=T0, contact_id="call-1")
    assert segments(db) == [] and events(db) == []


# --- the queue report ---------------------------------------------------------

EVENT_LOG = [
    # (seconds after 09:00, kind, call, queue, detail)
    (-10, "entered", "c6", "support", None),  # entered before the period, answered in it
    (0, "entered", "c1", "support", None),
    (5, "answered", "c6", "support", None),  # 15 s since it entered: within
    (12.5, "answered", "c1", "support", {"wait": 12.5}),  # within, as the gateway measured it
    (60, "entered", "c2", "support", None),
    (61, "offered", "c2", "support", None),
    (76, "ring_no_answer", "c2", "support", None),
    (105, "answered", "c2", "support", None),  # 45 s: beyond
    (120, "entered", "c3", "support", None),
    (150, "abandoned", "c3", "support", {"wait": 30}),
    (180, "entered", "c4", "support", None),
    (220, "overflowed", "c4", "support", {"target": "queue:sales"}),
    (220, "entered", "c4", "sales", None),
    (230, "answered", "c4", "sales", None),  # another queue
    (240, "entered", "c5", "support", None),
    (260, "answered", "c5", "support", None),  # exactly 20 s: within
    (600, "transferred", "c5", "support", {"target": "queue:billing"}),
    (3600, "answered", "c7", "support", {"wait": 1}),  # at the end: the next period's
]


def build_event_log(db) -> None:
    with db.unit_of_work() as s:
        for seconds, kind, call, queue, detail in EVENT_LOG:
            log(s, SYSTEM, kind=kind, at=at(seconds), contact_id=call, queue=queue,
                            detail=detail)
        log(s, SYSTEM, kind="work_mode", at=at(30), agent="amy",
                        detail={"mode": "ready"})


def test_queue_summary_is_computed_from_the_event_log(db, amy):
    """A contact belongs to the period it entered the queue in: c6 (entered before) and c7 (its
    entering not in the log) are not this period's; c4 overflowed; c5 was transferred."""
    build_event_log(db)
    with db.reading() as s:
        summary = queue_summary(s, SYSTEM, queue="support", start=T0, end=at(3600),
                                service_level_seconds=20)
    assert (summary.entered, summary.answered, summary.abandoned, summary.overflowed,
            summary.transferred_out) == (5, 3, 1, 1, 1)
    assert summary.average_wait == pytest.approx((12.5 + 45 + 20) / 3)
    assert summary.longest_wait == pytest.approx(45)
    assert summary.answered_within_service_level == 2
    # abandons count against: answered within T / (left the queue - short abandons)
    assert summary.service_level == pytest.approx(100 * 2 / (5 - 0))
    assert summary.figures.service_level_answered_only == pytest.approx(2 / 3)


def test_an_email_queue_of_the_same_name_counts_nothing_in_the_phone_queues_summary(db, amy):
    build_event_log(db)
    with db.unit_of_work() as s:  # the mail queue's "support", an email taken in it
        for seconds, kind in ((10, "entered"), (20, "offered"), (30, "answered")):
            log(s, SYSTEM, kind=kind, at=at(seconds), channel="email", contact_id="77", queue="support",
                detail={"wait": 20} if kind == "answered" else None)
    with db.reading() as s:
        summary = queue_summary(s, SYSTEM, queue="support", start=T0, end=at(3600), service_level_seconds=20)
    assert (summary.entered, summary.answered) == (5, 3)  # the calls' only


def test_queue_summary_takes_the_short_abandon_threshold_and_the_variant(db, amy):
    build_event_log(db)
    with db.reading() as s:
        summary = queue_summary(s, SYSTEM, queue="support", start=T0, end=at(3600), service_level_seconds=20,
                                short_abandon_seconds=30, variant="abandons_within_for")
        with pytest.raises(ValidationError, match="unknown service level variant"):
            queue_summary(s, SYSTEM, queue="support", start=T0, end=at(3600), service_level_seconds=20,
                          variant="generous")
        with pytest.raises(ValidationError, match="short abandon threshold"):
            queue_summary(s, SYSTEM, queue="support", start=T0, end=at(3600), service_level_seconds=20,
                          short_abandon_seconds=-1)
    assert summary.figures.short_abandons == 1  # c3 abandoned after exactly 30 s
    assert summary.figures.abandonment_rate == 0.0
    # (answered within T + abandoned within T - short abandons) / (left the queue - short abandons)
    assert summary.service_level == pytest.approx(100 * (2 + 0 - 1) / (5 - 1))


def test_queue_summary_of_a_quiet_period_has_no_averages(db):
    build_event_log(db)
    with db.reading() as s:
        summary = queue_summary(s, SYSTEM, queue="support", start=at(7200), end=at(10800),
                                service_level_seconds=20)
    assert (summary.entered, summary.answered, summary.abandoned) == (0, 0, 0)
    assert (summary.average_wait, summary.longest_wait, summary.service_level) == (None, None, None)


def test_queue_reports_are_for_supervisors(db):
    with db.unit_of_work() as s:
        agent = factories.user(s, "agent", UserRole.AGENT)
        supervisor = factories.user(s, "boss", UserRole.SUPERVISOR)
    with db.reading() as s:
        with pytest.raises(PermissionDenied):
            queue_summary(s, agent, queue="support", start=T0, end=at(60), service_level_seconds=20)
        queue_summary(s, supervisor, queue="support", start=T0, end=at(60), service_level_seconds=20)
        with pytest.raises(ValidationError, match="ends before it starts"):
            queue_summary(s, supervisor, queue="support", start=at(60), end=T0,
                          service_level_seconds=20)


def test_a_restart_closes_what_the_gateway_that_died_left_open(db, amy):
    """Calls in progress, a wrap-up and a login of the run that died are closed at the next
    start with the cause; what the new run records is not touched."""
    from crm.services.calls import close_interrupted_calls

    with db.unit_of_work() as s:
        open_segment(s, "talking", agent="amy")
        update_call_segment(s, SYSTEM, "talking", 1, answered_at=at(10))
        open_segment(s, "waiting")
        open_segment(s, "wrapping", agent="amy")
        update_call_segment(s, SYSTEM, "wrapping", 1, answered_at=at(5), ended_at=at(20), status="wrap_up")
        open_segment(s, "done")
        update_call_segment(s, SYSTEM, "done", 1, ended_at=at(8), status="closed", end_cause="caller_hangup")
        log(s, SYSTEM, kind="logged_in", at=at(0), agent="amy")
        open_segment(s, "new-run", started_at=at(200), queued_at=at(200))
    with db.unit_of_work() as s:
        closed = close_interrupted_calls(s, SYSTEM, started_before=at(100), ended_at=at(70),
                                         cause="gateway_restarted")
    assert (closed.segments_closed, closed.wrap_ups_closed, closed.agents_logged_out) == (2, 1, 1)
    talking, = segments(db, "talking")
    assert (talking["status"], talking["end_cause"], talking["ended_at"], talking["talk_seconds"]) == (
        "closed", "gateway_restarted", at(70), 60)
    waiting, = segments(db, "waiting")
    assert (waiting["status"], waiting["end_cause"], waiting["wait_seconds"]) == ("closed", "gateway_restarted", 69)
    wrapping, = segments(db, "wrapping")
    assert (wrapping["status"], wrapping["end_cause"], wrapping["wrapup_seconds"]) == ("closed", None, 50)
    assert segments(db, "done")[0]["end_cause"] == "caller_hangup"
    assert segments(db, "new-run")[0]["status"] == "open"
    kinds = [(kind, contact, detail) for kind, _, contact, _, _, detail in events(db)]
    assert ("ended", "talking", {"cause": "gateway_restarted", "by": "system"}) in kinds
    assert ("ended", "waiting", {"cause": "gateway_restarted", "by": "system"}) in kinds
    assert ("logged_out", None, {"reason": "gateway_restarted"}) in kinds
    with db.unit_of_work() as s:  # a second start finds nothing left
        again = close_interrupted_calls(s, SYSTEM, started_before=at(300), ended_at=at(250),
                                        cause="gateway_restarted")
    assert (again.segments_closed, again.agents_logged_out) == (1, 0)  # only the new run's call
