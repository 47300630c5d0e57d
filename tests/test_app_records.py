"""Saving the agent's contact through the application service over real HTTPS,
with the desktop's own function: the record with its partner, reason, outcome
and notes, the Action Box's follow-ups and emails linked in the same
transaction; a call the gateway has not recorded yet is NotFound (the desktop
tries again), a lost one is kept anyway; nobody links another's email, nothing
without a session, bad input refused."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

import factories
from agent_desktop import crm_access
from agent_desktop.workbench import Contact, IdStatus, PartnerRef, RecordDraft
from crm.errors import NotFound, PermissionDenied, ValidationError
from crm.models import Interaction, InteractionLink, OutboundEmail
from crm.services import outbox, transactions
from crm.services.sessions import SessionEnded
from desktop_harness import app_of, signed_in_client, url_of  # noqa: F401 - fixture


@pytest.fixture
def world(db):
    with db.unit_of_work() as s:
        ann = factories.user(s, "ann")
        bob = factories.user(s, "bob")
        wang = factories.person(s, first="芳", last="王", phones=["13911112222"])
        lead = transactions.create_lead(s, ann, partner_id=wang.id, subject="Fibre for the office")
        mine = outbox.queue_email(s, ann, sender="service@cicada.example", to="wang.fang@example.cn",
                                  subject="Your offer", body="...")
        theirs = outbox.queue_email(s, bob, sender="service@cicada.example", to="li.na@example.cn",
                                    subject="Bob's", body="...")
        return {"wang": PartnerRef(wang.id, wang.partner_no, wang.name), "lead": lead.id, "mine": mine.id,
                "theirs": theirs.id}


@pytest.fixture
def app(db, world, app_of):
    return app_of(url_of(db))


def contact(world, *, call_id: str | None = None, lost: str | None = None, **draft) -> Contact:
    made = Contact(key=call_id or "local-1", call_id=call_id, kind="outbound", ani="13911112222", dnis="4001",
                   queue=None, waited=0, offered_at=time.time() - 60, lost=lost,
                   draft=RecordDraft(**{"reason_code": "question", "outcome_code": "solved", "notes": "asked"} | draft))
    made.identification.status, made.identification.partner = IdStatus.CONFIRMED, world["wang"]
    return made


def test_a_contact_is_saved_with_its_follow_ups_and_emails_linked(db, app, world):
    work = contact(world)
    work.actions_done += [{"action": "lead", "transaction_id": world["lead"]}, {"action": "email",
                                                                                 "email_id": world["mine"]}]
    work.handed_over_notes, work.handed_over_by = "wants fibre", "bob"
    with signed_in_client(app, "ann", factories.PASSWORD) as desk:
        record_id = crm_access.save_contact(desk, work)
        assert crm_access.save_contact(desk, work) != record_id  # a contact without a call: a record each time
    with db.reading() as s:
        record = s.get(Interaction, record_id)
        assert (record.partner_id, record.direction, record.status, record.reason_code, record.outcome_code) == (
            world["wang"].partner_id, "outbound", "closed", "question", "solved")
        assert record.notes == "[handed over (bob)]\nwants fibre\n---\nasked"
        assert s.scalars(select(InteractionLink.transaction_id).where(
            InteractionLink.interaction_id == record_id)).all() == [world["lead"]]
        assert s.get(OutboundEmail, world["mine"]).interaction_id == record_id


def test_a_call_not_recorded_yet_is_not_found_and_a_lost_one_is_kept(db, app, world):
    with signed_in_client(app, "ann", factories.PASSWORD) as desk:
        with pytest.raises(NotFound):
            crm_access.save_contact(desk, contact(world, call_id="call-unknown"))
        record_id = crm_access.save_contact(desk, contact(world, call_id="call-lost", lost="gateway restart"))
    with db.reading() as s:
        assert s.get(Interaction, record_id).notes == "asked"


def test_nobody_links_another_agents_email_and_nothing_is_saved_then(db, app, world):
    work = contact(world, notes="sneaky")
    work.actions_done.append({"action": "email", "email_id": world["theirs"]})
    with signed_in_client(app, "ann", factories.PASSWORD) as desk:
        with pytest.raises(PermissionDenied):
            crm_access.save_contact(desk, work)
    with db.reading() as s:
        assert s.get(OutboundEmail, world["theirs"]).interaction_id is None
        assert s.scalar(select(Interaction).where(Interaction.notes == "sneaky")) is None  # one transaction


def test_a_script_run_must_fit_a_stored_script(app, world):
    with signed_in_client(app, "ann", factories.PASSWORD) as desk:
        with pytest.raises(NotFound):
            crm_access.save_script_run(desk, contact(world, call_id="c1"),
                                       {"name": "no-such-script", "version": 1, "state": {}})
        with pytest.raises(ValidationError):
            desk.call("POST", "/v1/script-runs", dict, json={"script": {"name": "x", "version": 0, "state": {}}})


def test_nothing_without_a_session_and_bad_input_refused(app, world):
    with app.client() as nobody:
        with pytest.raises(SessionEnded):
            crm_access.save_contact(nobody, contact(world))
        with pytest.raises(SessionEnded):
            nobody.call("POST", "/v1/script-runs", dict, json={"script": {"name": "x", "version": 1, "state": {}}})
    with signed_in_client(app, "ann", factories.PASSWORD) as desk:
        for body in ({"notes": "x" * 20_001}, {"kind": "k" * 21}, {"actions_done": [{"email_id": "many"}]},
                     {"offered_at": -1}, {"script": {"name": "x", "version": 1, "state": {"big": "x" * 300_000}}}):
            with pytest.raises(ValidationError):
                desk.call("POST", "/v1/contact-records", dict, json=body)
        with pytest.raises(ValidationError, match="the notes"):  # the CRM's own check
            crm_access.save_contact(desk, contact(world, notes="call back\x00"))
