"""A partner's interaction history and one interaction's detail through the
application service over real HTTPS, with the desktop's own functions: pages by
keyset, filters in the reader's days, typed fields, what was created in the
contact; nothing without a session, nobody else's records, bad input refused."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import factories
from agent_desktop import crm_access
from crm.errors import NotFound, PermissionDenied, ValidationError
from crm.models import UserRole
from crm.services import interactions, transactions
from crm.services.history import HistoryFilter
from crm.services.sessions import SessionEnded
from desktop_harness import app_of, signed_in_client, url_of  # noqa: F401 - fixture

T0 = datetime(2025, 3, 1, 8, 0)


@pytest.fixture
def world(db):
    with db.unit_of_work() as s:
        ann = factories.user(s, "ann")
        factories.user(s, "bob")
        rep = factories.user(s, "rep", UserRole.SALES_REP)
        factories.user(s, "other_rep", UserRole.SALES_REP)
        wang = factories.person(s, rep, first="芳", last="王", phones=["13911112222"])
        ids = []
        for i in range(7):
            record = interactions.create_interaction(s, ann, channel="email" if i % 2 else "phone",
                                                     direction="inbound", partner_id=wang.id,
                                                     started_at=T0 + timedelta(hours=i))
            interactions.save_interaction(s, ann, record.id, interactions.InteractionDraft(
                partner_id=wang.id, outcome_code="solved", notes=f"note {i}"), close=True)
            ids.append(record.id)
        lead = transactions.create_lead(s, ann, partner_id=wang.id, subject="Fibre for the office")
        transactions.link_to_interaction(s, ann, ids[-1], lead.id)
        loose = interactions.create_interaction(s, ann, channel="phone", direction="outbound")  # no customer
        return {"wang": wang.id, "records": ids, "lead": lead.number, "loose": loose.id}


@pytest.fixture
def app(db, world, app_of):
    return app_of(url_of(db))


def test_the_history_pages_newest_first_and_filters(app, world):
    with signed_in_client(app, "ann", factories.PASSWORD) as desk:
        first = crm_access.history_page(desk, world["wang"], filters=HistoryFilter(), before=None, page_size=3)
        assert [r.interaction_id for r in first.items] == world["records"][::-1][:3] and first.has_more
        assert isinstance(first.items[0].started_at, datetime)
        last = first.items[-1]
        second = crm_access.history_page(desk, world["wang"], filters=HistoryFilter(),
                                         before=(last.started_at, last.interaction_id), page_size=3)
        assert [r.interaction_id for r in second.items] == world["records"][::-1][3:6]
        emails = crm_access.history_page(desk, world["wang"], filters=HistoryFilter(channels=("email",)), before=None)
        assert {r.channel for r in emails.items} == {"email"} and len(emails.items) == 3
        # the reader's day: 1 March in UTC+14 ends at 10:00 UTC, so only records of 08:00 and 09:00 count
        kiribati = timezone(timedelta(hours=14))
        day = crm_access.history_page(desk, world["wang"], before=None, filters=HistoryFilter(
            since=T0.date(), until=T0.date(), zone=kiribati))
        assert [r.interaction_id for r in day.items] == world["records"][1::-1]


def test_the_detail_has_typed_fields_and_what_was_created_in_the_contact(app, world):
    with signed_in_client(app, "ann", factories.PASSWORD) as desk:
        detail = dict(crm_access.interaction_detail(desk, world["records"][-1]))
    assert detail["started_at"] == T0 + timedelta(hours=6) and detail["notes"] == "note 6"
    assert detail["outcome_code"] == "solved" and detail["agent"] == "Ann"
    line, = detail["linked"]
    assert (line.kind, line.reference, line.subject, line.link) == ("lead", world["lead"], "Fibre for the office",
                                                                    "created")


def test_nobody_reads_the_records_of_customers_or_contacts_not_his(app, world):
    with signed_in_client(app, "other_rep", factories.PASSWORD) as other:
        with pytest.raises((PermissionDenied, NotFound)):
            crm_access.history_page(other, world["wang"], filters=HistoryFilter(), before=None)
        with pytest.raises((PermissionDenied, NotFound)):
            crm_access.interaction_detail(other, world["records"][0])
    with signed_in_client(app, "bob", factories.PASSWORD) as bob:  # an agent, but not the loose record's
        with pytest.raises(PermissionDenied):
            crm_access.interaction_detail(bob, world["loose"])
        with pytest.raises(NotFound):
            crm_access.interaction_detail(bob, world["loose"] + 1000)


def test_nothing_without_a_session_and_bad_input_refused(app, world):
    with app.client() as nobody:
        for path in (f"/v1/partners/{world['wang']}/history", f"/v1/interactions/{world['records'][0]}"):
            with pytest.raises(SessionEnded):
                nobody.call("GET", path, dict)
    with signed_in_client(app, "ann", factories.PASSWORD) as desk:
        path = f"/v1/partners/{world['wang']}/history"
        for params in ({"before_at": "2025-03-01T08:00:00"}, {"page_size": 0}, {"page_size": 501},
                       {"utc_offset": 5000}, {"channel": "fax"}, {"since": "2025-03-02", "until": "2025-03-01"}):
            with pytest.raises(ValidationError):
                desk.call("GET", path, dict, params=params)


def test_a_disabled_agent_reads_nothing_more(db, app, world):
    from sqlalchemy import update

    from crm.models import User

    with signed_in_client(app, "ann", factories.PASSWORD) as desk:
        with db.unit_of_work() as s:
            s.execute(update(User).where(User.username == "ann").values(is_active=False))
        with pytest.raises(SessionEnded, match="disabled"):
            crm_access.history_page(desk, world["wang"], filters=HistoryFilter(), before=None)
