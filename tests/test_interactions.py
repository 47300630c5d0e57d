"""What the agent desktop writes into interaction records: the agent's part of
the gateway's call segments, and records the desktop opens and closes itself."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

import factories
from crm.clock import utcnow
from crm.errors import NotFound, PermissionDenied, ValidationError
from crm.models import AuditEntry, Interaction, UserRole
from crm.permissions import Actor
from crm.services.calls import open_call_segment, update_call_segment
from crm.services.interactions import (
    InteractionDraft,
    create_interaction,
    interaction_detail,
    my_call_segment,
    save_call_interaction,
    save_interaction,
)

SYSTEM = Actor.system()
T0 = datetime(2026, 3, 2, 9, 0, 0)
GATEWAY_FIELDS = ("status", "started_at", "queued_at", "offered_at", "answered_at", "ended_at",
                  "wait_seconds", "talk_seconds", "hold_seconds", "wrapup_seconds", "end_cause",
                  "agent_id", "queue", "ani", "dnis", "channel", "direction")
DESK_FIELDS = ("partner_id", "contact_person_id", "reason_code", "outcome_code", "notes")


@pytest.fixture
def people(db):
    """Agents amy and bob, a customer and her company's contact person."""
    with db.unit_of_work() as s:
        amy = factories.user(s, "amy")
        bob = factories.user(s, "bob")
        customer = factories.person(s, first="伟", last="张", phones=["13800138000"])
        company = factories.organization(s, name="Acme Trading", to_pool=True)
        contact = factories.person(s, first="Emily", last="Johnson", to_pool=True)
        return {"amy": amy, "bob": bob, "customer": customer.id, "customer_no": customer.partner_no,
                "company": company.id, "company_no": company.partner_no, "contact": contact.id,
                "contact_no": contact.partner_no}


def gateway_opens(db, contact_id="call-1", segment_no=1, agent="amy"):
    """The CTI gateway records a call segment answered by `agent`."""
    with db.unit_of_work() as s:
        open_call_segment(s, SYSTEM, contact_id=contact_id, segment_no=segment_no,
                          direction="inbound", queue="billing-zh", ani="+8613800138000",
                          dnis="4001", started_at=T0, queued_at=T0, agent=agent)
        update_call_segment(s, SYSTEM, contact_id, segment_no, offered_at=T0 + timedelta(seconds=5),
                            answered_at=T0 + timedelta(seconds=8), wait_seconds=8)


def row(db, **where) -> dict:
    with db.reading() as s:
        record = s.scalars(select(Interaction).filter_by(**where)).one()
        return {n: getattr(record, n) for n in ("id", *GATEWAY_FIELDS, *DESK_FIELDS)}


def audit_entries(db) -> list[tuple]:
    with db.reading() as s:
        return s.execute(select(AuditEntry.user_id, AuditEntry.partner_id, AuditEntry.entity,
                                AuditEntry.action, AuditEntry.changes)
                         .where(AuditEntry.entity == "interaction").order_by(AuditEntry.id)).all()


# --- the gateway's call segments -------------------------------------------------------


def test_the_agent_writes_his_part_into_the_gateways_segment_and_leaves_its_times(db, people):
    gateway_opens(db)
    before = row(db, contact_id="call-1")
    draft = InteractionDraft(partner_id=people["company"], contact_person_id=people["contact"],
                             reason_code="billing_question", outcome_code="resolved",
                             notes="Explained the invoice lines.")
    with db.unit_of_work() as s:
        saved = save_call_interaction(s, people["amy"], "call-1", draft)
        assert saved.id == before["id"]
    after = row(db, contact_id="call-1")
    assert {n: after[n] for n in GATEWAY_FIELDS} == {n: before[n] for n in GATEWAY_FIELDS}
    assert {n: after[n] for n in DESK_FIELDS} == {
        "partner_id": people["company"], "contact_person_id": people["contact"],
        "reason_code": "billing_question", "outcome_code": "resolved",
        "notes": "Explained the invoice lines."}
    assert audit_entries(db) == [
        (people["amy"].user_id, people["company"], "interaction", "link",
         {"partner": [None, people["company_no"]], "contact_person": [None, people["contact_no"]],
          "call": "call-1"})]


def test_the_gateway_later_closing_the_segment_keeps_what_the_agent_wrote(db, people):
    gateway_opens(db)
    with db.unit_of_work() as s:
        save_call_interaction(s, people["amy"], "call-1",
                              InteractionDraft(partner_id=people["customer"], reason_code="upgrade"))
    with db.unit_of_work() as s:
        update_call_segment(s, SYSTEM, "call-1", 1, status="closed", wrapup_seconds=12)
    record = row(db, contact_id="call-1")
    assert (record["status"], record["wrapup_seconds"]) == ("closed", 12)
    assert (record["partner_id"], record["reason_code"]) == (people["customer"], "upgrade")


def test_before_the_gateway_has_recorded_the_call_the_desktop_is_told_to_try_again(db, people):
    draft = InteractionDraft(partner_id=people["customer"], notes="wants a callback")
    with db.unit_of_work() as s:
        assert my_call_segment(s, people["amy"], "call-1") is None
        with pytest.raises(NotFound, match="the gateway has not recorded call call-1 for you yet"):
            save_call_interaction(s, people["amy"], "call-1", draft)
    # opened, but not yet offered to amy: still not hers
    gateway_opens(db, agent=None)
    with db.unit_of_work() as s, pytest.raises(NotFound, match="call-1"):
        save_call_interaction(s, people["amy"], "call-1", draft)
    with db.unit_of_work() as s:
        update_call_segment(s, SYSTEM, "call-1", 1, agent="amy")
    with db.unit_of_work() as s:
        save_call_interaction(s, people["amy"], "call-1", draft)
    assert row(db, contact_id="call-1")["notes"] == "wants a callback"


def test_another_agents_segment_cannot_be_written(db, people):
    gateway_opens(db, agent="bob")
    before = row(db, contact_id="call-1")
    with db.unit_of_work() as s:
        with pytest.raises(NotFound, match="for you"):
            save_call_interaction(s, people["amy"], "call-1", InteractionDraft(notes="mine now"))
        with pytest.raises(PermissionDenied, match="another agent's"):
            save_interaction(s, people["amy"], before["id"], InteractionDraft(notes="mine now"))
    assert row(db, contact_id="call-1") == before


def test_after_a_transfer_the_agent_writes_his_own_latest_segment(db, people):
    gateway_opens(db, segment_no=1, agent="amy")
    gateway_opens(db, segment_no=2, agent="bob")
    gateway_opens(db, segment_no=3, agent="amy")  # transferred back to her
    with db.unit_of_work() as s:
        assert my_call_segment(s, people["amy"], "call-1").segment_no == 3
        assert my_call_segment(s, people["bob"], "call-1").segment_no == 2
        save_call_interaction(s, people["amy"], "call-1", InteractionDraft(outcome_code="resolved"))
        save_call_interaction(s, people["bob"], "call-1",
                              InteractionDraft(outcome_code="transferred"))
    outcomes = [row(db, contact_id="call-1", segment_no=n)["outcome_code"] for n in (1, 2, 3)]
    assert outcomes == [None, "transferred", "resolved"]


@pytest.mark.parametrize("draft, complaint", [
    (InteractionDraft(partner_id=999_999),
     "no business partner with id 999999 to link as the customer"),
    (InteractionDraft(contact_person_id=999_999), "to link as the contact person"),
    (InteractionDraft(partner_id="C00000001"), "given by its id"),
    (InteractionDraft(reason_code="r" * 41), "reason_code has at most 40 characters"),
    (InteractionDraft(outcome_code="o" * 41), "outcome_code has at most 40 characters"),
    (InteractionDraft(reason_code=12), "reason_code is text"),
    (InteractionDraft(notes="n" * 20_001), "at most 20000"),
])
def test_a_wrong_draft_is_refused_and_changes_nothing(db, people, draft, complaint):
    gateway_opens(db)
    before = row(db, contact_id="call-1")
    with db.unit_of_work() as s, pytest.raises(ValidationError, match=complaint):
        save_call_interaction(s, people["amy"], "call-1", draft)
    assert row(db, contact_id="call-1") == before
    assert audit_entries(db) == []


def test_a_wrong_draft_is_refused_even_before_the_segment_exists(db, people):
    # ValidationError, not NotFound: trying again would not help
    with db.unit_of_work() as s, pytest.raises(ValidationError, match="no business partner"):
        save_call_interaction(s, people["amy"], "call-1", InteractionDraft(partner_id=999_999))


def test_codes_and_notes_at_their_limits_are_kept_and_blank_ones_cleared(db, people):
    gateway_opens(db)
    draft = InteractionDraft(reason_code=" " + "r" * 40 + " ", outcome_code="o" * 40,
                             notes="n" * 20_000)
    with db.unit_of_work() as s:
        save_call_interaction(s, people["amy"], "call-1", draft)
    record = row(db, contact_id="call-1")
    assert (record["reason_code"], record["outcome_code"], len(record["notes"])) == (
        "r" * 40, "o" * 40, 20_000)
    with db.unit_of_work() as s:
        save_call_interaction(s, people["amy"], "call-1",
                              InteractionDraft(reason_code="  ", outcome_code="", notes="\n"))
    record = row(db, contact_id="call-1")
    assert (record["reason_code"], record["outcome_code"], record["notes"]) == (None, None, None)


def test_a_customer_the_agent_may_not_read_cannot_be_linked(db, people):
    with db.unit_of_work() as s:
        sam = factories.user(s, "sam", UserRole.SALES_REP)
        kim = factories.user(s, "kim", UserRole.SALES_REP)
        kims_customer = factories.person(s, kim, first="Joan", last="Taylor").id
    gateway_opens(db, agent="sam")
    with db.unit_of_work() as s:
        with pytest.raises(PermissionDenied, match="not shared with sam"):
            save_call_interaction(s, sam, "call-1", InteractionDraft(partner_id=kims_customer))
        # a pool customer he may read
        save_call_interaction(s, sam, "call-1", InteractionDraft(partner_id=people["company"]))
    assert row(db, contact_id="call-1")["partner_id"] == people["company"]


def test_each_save_writes_the_whole_form_and_relinking_is_audited_for_both_customers(db, people):
    gateway_opens(db)
    amy = people["amy"]
    with db.unit_of_work() as s:
        save_call_interaction(s, amy, "call-1", InteractionDraft(
            partner_id=people["customer"], reason_code="upgrade", notes="first"))
    with db.unit_of_work() as s:
        save_call_interaction(s, amy, "call-1", InteractionDraft(partner_id=people["company"]))
    record = row(db, contact_id="call-1")
    assert (record["partner_id"], record["reason_code"], record["notes"]) == (
        people["company"], None, None)
    with db.unit_of_work() as s:  # the same customer again: nothing for the trail
        save_call_interaction(s, amy, "call-1", InteractionDraft(partner_id=people["company"]))
    moved = {"partner": [people["customer_no"], people["company_no"]], "call": "call-1"}
    assert audit_entries(db) == [
        (amy.user_id, people["customer"], "interaction", "link",
         {"partner": [None, people["customer_no"]], "call": "call-1"}),
        (amy.user_id, people["customer"], "interaction", "unlink", moved),
        (amy.user_id, people["company"], "interaction", "link", moved),
    ]


def test_the_system_has_no_call_segments(db, people):
    gateway_opens(db, agent=None)  # a segment without agent must not match the system's NULL id
    with db.unit_of_work() as s:
        with pytest.raises(ValidationError, match="belong to agents"):
            my_call_segment(s, SYSTEM, "call-1")
        with pytest.raises(ValidationError, match="belong to agents"):
            save_call_interaction(s, SYSTEM, "call-1", InteractionDraft(notes="x"))


# --- records the desktop opens itself ----------------------------------------------------


def test_create_save_and_close_a_record_of_ones_own(db, people):
    amy = people["amy"]
    beijing = timezone(timedelta(hours=8))
    with db.unit_of_work() as s:
        created = create_interaction(s, amy, channel="phone", direction="outbound",
                                     partner_id=people["customer"], dnis="+8613800138000",
                                     started_at=datetime(2026, 3, 2, 17, 0, tzinfo=beijing))
        record_id = created.id
    record = row(db, id=record_id)
    assert (record["agent_id"], record["status"], record["channel"], record["direction"]) == (
        amy.user_id, "open", "phone", "outbound")
    assert (record["partner_id"], record["dnis"], record["started_at"], record["ended_at"]) == (
        people["customer"], "+8613800138000", datetime(2026, 3, 2, 9, 0), None)

    draft = InteractionDraft(partner_id=people["customer"], reason_code="upgrade",
                             outcome_code="order_created", notes="ordered fibre")
    with db.unit_of_work() as s:
        save_interaction(s, amy, record_id, draft)
    record = row(db, id=record_id)
    assert (record["status"], record["ended_at"], record["outcome_code"], record["notes"]) == (
        "open", None, "order_created", "ordered fibre")

    started = utcnow()
    with db.unit_of_work() as s:
        save_interaction(s, amy, record_id, draft, close=True)
    record = row(db, id=record_id)
    assert record["status"] == "closed"
    assert started <= record["ended_at"] <= utcnow()
    ended = record["ended_at"]
    with db.unit_of_work() as s:  # closing again keeps the first end
        save_interaction(s, amy, record_id, draft, close=True)
    assert row(db, id=record_id)["ended_at"] == ended
    assert [e[3] for e in audit_entries(db)] == ["link"]  # created with its customer


def test_a_record_opened_without_a_start_starts_now_and_closing_keeps_a_given_end(db, people):
    before = utcnow()
    with db.unit_of_work() as s:
        record_id = create_interaction(s, people["amy"], channel="email", direction="inbound",
                                       ani="li.na@huatong-tech.cn").id
    record = row(db, id=record_id)
    assert before <= record["started_at"] <= utcnow()
    assert (record["partner_id"], record["queue"], record["ani"]) == (
        None, None, "li.na@huatong-tech.cn")
    with db.unit_of_work() as s:
        s.get(Interaction, record_id).ended_at = datetime(2026, 3, 2, 9, 30)
    with db.unit_of_work() as s:
        save_interaction(s, people["amy"], record_id, InteractionDraft(), close=True)
    assert row(db, id=record_id)["ended_at"] == datetime(2026, 3, 2, 9, 30)


@pytest.mark.parametrize("fields, error, complaint", [
    ({"channel": "fax"}, ValidationError, "unknown channel 'fax'"),
    ({"direction": "sideways"}, ValidationError, "unknown direction 'sideways'"),
    ({"partner_id": 999_999}, ValidationError, "no business partner with id 999999"),
    ({"queue": "q" * 81}, ValidationError, "queue is longer than 80"),
    ({"started_at": "09:00"}, ValidationError, "date and time"),
])
def test_creating_a_wrong_record_is_refused(db, people, fields, error, complaint):
    values = {"channel": "phone", "direction": "inbound"} | fields
    with db.unit_of_work() as s, pytest.raises(error, match=complaint):
        create_interaction(s, people["amy"], **values)
    with db.reading() as s:
        assert s.scalars(select(Interaction)).all() == []


def test_the_system_cannot_open_a_record_it_would_be_the_agent_of(db, people):
    with db.unit_of_work() as s, pytest.raises(ValidationError, match="belong to agents"):
        create_interaction(s, SYSTEM, channel="phone", direction="inbound")


def test_only_the_agent_or_a_supervisor_saves_a_record(db, people):
    with db.unit_of_work() as s:
        boss = factories.user(s, "boss", UserRole.SUPERVISOR)
        record_id = create_interaction(s, people["amy"], channel="chat", direction="inbound").id
    with db.unit_of_work() as s, pytest.raises(PermissionDenied, match="another agent's"):
        save_interaction(s, people["bob"], record_id, InteractionDraft(notes="bob was here"),
                         close=True)
    assert (row(db, id=record_id)["notes"], row(db, id=record_id)["status"]) == (None, "open")
    with db.unit_of_work() as s:
        save_interaction(s, boss, record_id, InteractionDraft(outcome_code="resolved"), close=True)
    record = row(db, id=record_id)
    assert (record["agent_id"], record["outcome_code"], record["status"]) == (
        people["amy"].user_id, "resolved", "closed")
    with db.unit_of_work() as s, pytest.raises(NotFound, match="No interaction with id 999999"):
        save_interaction(s, people["amy"], 999_999, InteractionDraft())


def test_a_call_segment_is_closed_by_the_gateway_not_by_the_desktop(db, people):
    gateway_opens(db)
    segment_id = row(db, contact_id="call-1")["id"]
    with db.unit_of_work() as s, pytest.raises(ValidationError, match="the gateway closes it"):
        save_interaction(s, people["amy"], segment_id, InteractionDraft(notes="done"), close=True)
    record = row(db, contact_id="call-1")
    assert (record["status"], record["ended_at"], record["notes"]) == ("open", None, None)
    with db.unit_of_work() as s:  # saving without closing is the same as save_call_interaction
        save_interaction(s, people["amy"], segment_id, InteractionDraft(notes="done"))
    assert row(db, contact_id="call-1")["notes"] == "done"


# --- the detail pane ----------------------------------------------------------------------


def test_detail_comes_with_its_agent(db, people):
    gateway_opens(db)
    with db.unit_of_work() as s:
        save_call_interaction(s, people["amy"], "call-1",
                              InteractionDraft(partner_id=people["customer"], notes="ok"))
    segment_id = row(db, contact_id="call-1")["id"]
    with db.unit_of_work() as s:  # commits, and keeps what was loaded (expire_on_commit=False)
        detail = interaction_detail(s, people["bob"], segment_id)  # agents read every customer
    # loaded with the record: a lazy load of the closed session would fail here
    assert (detail.id, detail.agent.username, detail.agent.display_name, detail.notes) == (
        segment_id, "amy", "Amy", "ok")
    assert detail.links == []
    with db.reading() as s, pytest.raises(NotFound, match="No interaction with id 999999"):
        interaction_detail(s, people["amy"], 999_999)


def test_detail_needs_the_right_to_read_the_customer(db, people):
    with db.unit_of_work() as s:
        sam = factories.user(s, "sam", UserRole.SALES_REP)
        kim = factories.user(s, "kim", UserRole.SALES_REP)
        kims_customer = factories.person(s, kim, first="Joan", last="Taylor").id
        kims_record = create_interaction(s, kim, channel="phone", direction="outbound",
                                         partner_id=kims_customer).id
        pool_record = create_interaction(s, kim, channel="phone", direction="outbound",
                                         partner_id=people["company"]).id
    with db.reading() as s:
        with pytest.raises(PermissionDenied, match="not shared with sam"):
            interaction_detail(s, sam, kims_record)
        assert interaction_detail(s, sam, pool_record).partner_id == people["company"]
        assert interaction_detail(s, kim, kims_record).agent.username == "kim"
        assert interaction_detail(s, people["amy"], kims_record).partner_id == kims_customer


def test_detail_of_a_record_without_customer_is_for_its_agent_and_supervisors(db, people):
    with db.unit_of_work() as s:
        boss = factories.user(s, "boss", UserRole.SUPERVISOR)
        record_id = create_interaction(s, people["amy"], channel="chat", direction="inbound").id
    with db.reading() as s:
        assert interaction_detail(s, people["amy"], record_id).agent.username == "amy"
        assert interaction_detail(s, boss, record_id).id == record_id
        with pytest.raises(PermissionDenied, match="has no customer and is not yours"):
            interaction_detail(s, people["bob"], record_id)
