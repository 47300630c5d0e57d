"""The email and chat figures (crm/reports/definitions.py, its email and chat section) on
hand-computed cases, and the visits they are measured on (crm/reports/mail_contacts.py) from
steps and from the CRM's event log.

One data set, due time D = 3600 s (60 min), τ = 5 s, looked at when now = 10,000:

| visit | outcome   | after | first reply | resolved | notes                                         |
| ----- | --------- | ----- | ----------- | -------- | --------------------------------------------- |
| e1    | answered  | 600   | 1200        | 1500     | within D; reopened afterwards                 |
| e2    | answered  | 3000  | 4000        |          | over D                                        |
| e3    | answered  | 100   | 3600        |          | exactly D: within                             |
| e4    | waiting   |       |             |          | entered at 300: overdue at 10,000             |
| e5    | waiting   |       |             |          | entered at 9000: not yet due                  |
| e6    | answered  | 100   |             | 500      | resolved within D without a reply: not counted |
| e7    | left      | 50    |             |          | transferred to another queue: not counted     |
| e8    | answered  | 10    |             |          | came by transfer after its first reply        |
| c1    | abandoned | 3     |             |          | short, within D: not counted                  |
| c2    | abandoned | 4000  |             |          | abandoned after D: overdue                    |

entered 10, answered 5, abandoned 2 (1 short), first replies 3 (average (1200 + 4000 + 3600) / 3),
replied within D 2, overdue without a reply 2: share within due time 2 / (3 + 2) = 40 %;
resolved 2 (average (1500 + 500) / 2 = 1000 s), reopened 1.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm.reports import definitions as d
from crm.reports.definitions import MailContact, MailThresholds
from crm.reports.mail_contacts import MailVisits, read_mail_visits
from crm.services.calls import write_event

DUE, TAU, NOW = 3600.0, 5.0, 10_000.0

DAY = [
    MailContact(0.0, "email", "answered", 600.0, first_reply_after=1200.0, resolved_after=1500.0, reopened=True),
    MailContact(100.0, "email", "answered", 3000.0, first_reply_after=4000.0),
    MailContact(200.0, "email", "answered", 100.0, first_reply_after=3600.0),
    MailContact(300.0, "email"),
    MailContact(9000.0, "email"),
    MailContact(400.0, "email", "answered", 100.0, resolved_after=500.0),
    MailContact(500.0, "email", "left", 50.0),
    MailContact(600.0, "email", "answered", 10.0, opened_at=0.0, replied_before=True),
    MailContact(1000.0, "chat", "abandoned", 3.0),
    MailContact(1100.0, "chat", "abandoned", 4000.0),
]


def test_counts():
    assert d.mail_entered(DAY) == 10
    assert d.mail_answered(DAY) == 5
    assert d.mail_abandoned(DAY) == 2
    assert d.mail_short_abandons(DAY, TAU) == 1
    assert d.mail_short_abandons(DAY, 2.9) == 0
    assert d.first_replied(DAY) == 3
    assert d.resolved(DAY) == 2
    assert d.reopened(DAY) == 1


def test_first_response_and_resolution_times():
    assert d.first_response_time(DAY) == pytest.approx((1200 + 4000 + 3600) / 3)
    assert d.resolution_time(DAY) == pytest.approx(1000.0)


def test_share_within_due_time():
    assert d.replied_within_due(DAY, DUE) == 2
    assert d.overdue_unreplied(DAY, DUE, NOW) == 2  # e4 and c2
    assert d.share_within_due(DAY, DUE, NOW) == pytest.approx(0.4)
    # earlier: e4 (entered at 300) is overdue after 3900 only, c2 (entered at 1100) after 4700
    assert d.overdue_unreplied(DAY, DUE, 3900.0) == 0  # exactly D: not yet over
    assert d.overdue_unreplied(DAY, DUE, 3901.0) == 1
    assert d.share_within_due(DAY, None, NOW) is None  # the queue has no due time


def test_a_resolution_after_the_due_time_without_a_reply_is_overdue():
    late = [MailContact(0.0, "email", "answered", 10.0, resolved_after=4000.0)]
    assert d.share_within_due(late, DUE, NOW) == 0.0
    assert d.share_within_due([MailContact(0.0)], DUE, 100.0) is None  # nothing measurable yet: empty, not 0


def test_all_figures_at_once():
    figures = d.mail_figures(DAY, MailThresholds(DUE, TAU), NOW)
    assert figures == d.MailFigures(entered=10, answered=5, abandoned=2, short_abandons=1, first_replies=3,
                                    first_response_time=pytest.approx(8800 / 3), replied_within_due=2,
                                    share_within_due=pytest.approx(0.4), resolved=2, resolution_time=1000.0,
                                    reopened=1)
    assert d.mail_figures([], MailThresholds(), NOW).first_response_time is None
    assert d.mail_entered_in(DAY, 100.0, 600.0) == DAY[1:4] + DAY[5:7]


# --- visits from steps ------------------------------------------------------------------------


def test_an_email_taken_replied_and_resolved():
    visits = MailVisits()
    visits.step("entered", "service", "7", "email", 100.0, via="new")
    visits.step("offered", "service", "7", "email", 101.0)  # not a step that changes a visit
    visits.step("answered", "service", "7", "email", 130.0, wait=30.0)
    visits.step("first_reply", "service", "7", "email", 400.0)
    visits.step("replied", "service", "7", "email", 500.0)
    visits.step("resolved", "service", "7", "email", 600.0)
    assert visits.contacts("service") == [MailContact(100.0, "email", "answered", 30.0, first_reply_after=300.0,
                                                      resolved_after=500.0, contact_id="7")]


def test_a_reopened_email_keeps_its_first_resolution_apart():
    visits = MailVisits()
    visits.step("entered", "service", "7", "email", 100.0, via="new")
    visits.step("answered", "service", "7", "email", 110.0, wait=10.0)
    visits.step("first_reply", "service", "7", "email", 200.0)
    visits.step("resolved", "service", "7", "email", 300.0)
    visits.step("reopened", "service", "7", "email", 1000.0)
    visits.step("entered", "service", "7", "email", 1000.0, via="reopened")
    visits.step("answered", "service", "7", "email", 1050.0, wait=50.0)
    visits.step("first_reply", "service", "7", "email", 1100.0)  # the reopening's first reply
    visits.step("resolved", "service", "7", "email", 1500.0)
    first, second = visits.contacts("service")
    assert (first.first_reply_after, first.resolved_after, first.reopened) == (100.0, 200.0, True)
    assert (second.first_reply_after, second.resolved_after, second.reopened) == (100.0, 500.0, False)


def test_a_transfer_goes_on_measuring_from_the_opening():
    visits = MailVisits()
    visits.step("entered", "service", "7", "email", 100.0, via="new")
    visits.step("transferred", "service", "7", "email", 160.0)  # before anyone took it: left
    visits.step("entered", "vip", "7", "email", 160.0, via="transferred")
    visits.step("answered", "vip", "7", "email", 200.0, wait=40.0)
    visits.step("first_reply", "vip", "7", "email", 400.0)
    visits.step("transferred", "vip", "7", "email", 450.0)  # taken: the visit stays answered
    visits.step("entered", "sales", "7", "email", 450.0, via="transferred")
    assert visits.contacts("service") == [MailContact(100.0, "email", "left", 60.0, contact_id="7")]
    assert visits.contacts("vip") == [MailContact(160.0, "email", "answered", 40.0, opened_at=100.0,
                                                  first_reply_after=300.0, contact_id="7")]
    assert visits.contacts("sales") == [MailContact(450.0, "email", opened_at=100.0, replied_before=True,
                                                    contact_id="7")]


def test_an_abandoned_chat_the_same_steps_twice_and_steps_before_what_was_read():
    visits = MailVisits()
    assert not visits.step("answered", "web-chat", "3", "chat", 5.0, wait=2.0)  # entered before: ignored
    for _ in range(2):  # read from the CRM and told by the mail queue
        visits.step("entered", "web-chat", "9", "chat", 100.0, via="new")
        visits.step("abandoned", "web-chat", "9", "chat", 104.0, wait=4.0)
    assert visits.contacts("web-chat") == [MailContact(100.0, "chat", "abandoned", 4.0, contact_id="9")]
    assert visits.contacts("web-chat", "email") == []


# --- from the CRM's event log -----------------------------------------------------------------


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(1_800_000_000 + seconds, UTC).replace(tzinfo=None)


def test_read_from_the_event_log(db):
    steps = [("entered", "service", "1", "email", 0, {"via": "new"}),
             ("answered", "service", "1", "email", 30, {"wait": 30.0}),
             ("first_reply", "service", "1", "email", 90, None),
             ("resolved", "service", "1", "email", 120, None),
             ("entered", "web-chat", "2", "chat", 10, {"via": "new"}),
             ("abandoned", "web-chat", "2", "chat", 13.5, {"wait": 3.5}),
             ("entered", "billing", "call-1", "phone", 5, None)]  # a phone call: not a mail queue's
    with db.unit_of_work() as session:
        for number, (kind, queue, contact, channel, at, detail) in enumerate(steps):
            write_event(session, key=f"t:{number}", kind=kind, at=_at(at), channel=channel, contact_id=contact,
                        queue=queue, detail=detail)
    with db.reading() as session:
        visits = read_mail_visits(session, _at(0), _at(200))
    base = _at(0).replace(tzinfo=UTC).timestamp()
    assert visits.contacts("service") == [MailContact(base, "email", "answered", 30.0, first_reply_after=90.0,
                                                      resolved_after=120.0, contact_id="1")]
    assert visits.contacts("web-chat") == [MailContact(base + 10, "chat", "abandoned", 3.5, contact_id="2")]
    assert visits.contacts("billing") == []
