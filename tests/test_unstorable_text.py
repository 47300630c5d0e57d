"""Text the database cannot store, NUL and lone surrogates, typed by an agent
or sent by a customer, on SQLite and PostgreSQL: every service refuses it
with a ValidationError naming the field, never a traceback; an email holding
it is stored all the same, cleaned."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

import factories
from desktop_harness import app_of, signed_in_client, url_of  # noqa: F401 - fixture
from agent_desktop import crm_access
from crm import texts
from crm.errors import AuthenticationFailed, ValidationError
from crm.models import BusinessPartner, ConversationMessage, RawEmail, User
from crm.permissions import Actor
from crm.services import identify, interactions, outbox, transactions
from crm.services.conversations import answering, chat_in, email_in, handling, queueing, reading
from crm.services.conversations.queueing import Route
from crm.services.partners import PartnerDraft, create_partner, update_partner
from crm.services.scripts import RunAnswer, RunRecord, add_version, save_run
from crm.services.search import search_partners
from crm.services.users import authenticate
from email_queue.parse import UNSTORABLE_DEFECT, parse_email

SYSTEM = Actor.system()
NUL, SURROGATE = "\x00", "\ud800"
BAD = [pytest.param(NUL, id="NUL"), pytest.param(SURROGATE, id="surrogate")]


def refused(what: str):
    """What each refusal says: the field, and what is wrong with it."""
    return pytest.raises(ValidationError, match=f"^There is a character that cannot be stored in {re.escape(what)} ")


def route(_facts) -> Route:
    return Route("service", 5, timedelta(hours=4))


@pytest.fixture
def world(db):
    with db.unit_of_work() as session:
        ann = factories.user(session, "ann")
        customer = factories.person(session, first="伟", last="张", phones=["13800138000"],
                                    emails=["zw@example.cn"], city="北京").id
        opened = chat_in.open_chat(session, name="Mei Lin", email="mei@example.com", phone=None, page=None,
                                   language="en", route=route)
        queueing.set_assignment(session, opened.conversation_id, "assigned", "ann")
    return {"ann": ann, "customer": customer, "chat": opened}


def test_the_check_names_the_field_and_the_character_and_cleaning_replaces_it():
    with refused("the notes"):
        texts.check(f"call back{NUL}", "the notes")
    with pytest.raises(ValidationError, match=r"U\+D800, at position 3"):
        texts.check(["ok", {"k": f"ab{SURROGATE}"}], "the answers")
    assert texts.check("张伟 ✓ 😀", "the name") == "张伟 ✓ 😀"  # a real pair is fine
    assert texts.storable(f"a{NUL}b{SURROGATE}c") == "a\ufffdb\ufffdc"


@pytest.mark.parametrize("bad", BAD)
def test_searching_and_identifying_refuse_it(db, world, bad, app_of):
    ann = world["ann"]
    with db.reading() as session:
        with refused("the search text"):
            search_partners(session, ann, f"zhang{bad}")
        with refused("the phone number"):
            identify.identify_by_phone(session, ann, f"138{bad}00138000")
        with refused("the email address"):
            identify.identify_by_email(session, ann, f"zw{bad}@example.cn")
        with refused("the customer number"):
            identify.identify_by_number(session, ann, f"C{bad}1")
    with signed_in_client(app_of(url_of(db)), "ann", factories.PASSWORD) as desk:
        with refused("the search text"):
            crm_access.search(desk, f"{bad}")  # the desktop's search
        with refused("the phone number"):
            crm_access.identify_caller(desk, f"138{bad}00138000")  # the desktop's screen pop


@pytest.mark.parametrize("bad", BAD)
def test_a_partner_holding_it_is_neither_created_nor_changed(db, world, bad, app_of):
    ann = world["ann"]
    with db.unit_of_work() as session:
        with refused("the last name"):
            create_partner(session, ann, PartnerDraft(kind="person", last_name=f"李{bad}", first_name="雷"))
        with refused("the phone number"):
            create_partner(session, ann, PartnerDraft(kind="person", last_name="李", phones=[f"139{bad}"]))
        with refused("the segment"):
            update_partner(session, SYSTEM, world["customer"], segment=f"A{bad}")
        with refused("the email address"):
            update_partner(session, SYSTEM, world["customer"], add_emails=[f"x{bad}@example.cn"])
    with signed_in_client(app_of(url_of(db)), "ann", factories.PASSWORD) as desk:  # the desktop's new customer
        # A NUL reaches the CRM, which names the field; a lone surrogate is no valid text for the API already.
        with refused("the address's city") if bad == NUL else pytest.raises(ValidationError, match=r"body\.city: "):
            crm_access.create_customer(desk, crm_access.NewPartner(last_name="李", city=f"北{bad}京"))
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(BusinessPartner)
                              .where(BusinessPartner.name.like("李%"))) == 0


@pytest.mark.parametrize("bad", BAD)
def test_notes_chat_lines_and_replies_holding_it_are_refused(db, world, bad):
    ann, chat = world["ann"], world["chat"]
    with db.unit_of_work() as session:
        with refused("your message"):
            chat_in.customer_wrote(session, chat.token, f"refund{bad}", "c-1")
        with refused("your name"):
            chat_in.open_chat(session, name=f"Mei{bad}", email="mei@example.com", phone=None, page=None,
                              language="en", route=route)
        with refused("the chat message"):
            answering.chat_reply(session, ann, chat.conversation_id, f"ok{bad}")
        with refused("the note"):
            answering.add_note(session, ann, chat.conversation_id, f"note{bad}")
        with refused("the notes"):
            handling.close(session, ann, chat.conversation_id, notes=f"done{bad}")
        with refused("the transfer note"):
            handling.transfer_note(f"for you{bad}")
        with refused("the search text"):
            reading.inbox(session, ann, text=f"mei{bad}")
        with refused("the text"):
            outbox.queue_email(session, ann, sender="service@cicada.example", to="zw@example.cn",
                               subject="Your order", body=f"Dear{bad}")
        record = interactions.create_interaction(session, ann, channel="phone", direction="inbound")
        with refused("the notes"):
            interactions.save_interaction(session, ann, record.id, interactions.InteractionDraft(notes=f"x{bad}"))
        with refused("the caller's number (ANI)"):
            interactions.create_interaction(session, ann, channel="phone", direction="inbound", ani=f"138{bad}")
    with db.reading() as session:  # a token holding it is no chat's
        assert chat_in.chat_by_token(session, f"{chat.token[:10]}{bad}") is None


@pytest.mark.parametrize("bad", BAD)
def test_follow_ups_and_script_answers_holding_it_are_refused(db, world, bad):
    ann = world["ann"]
    with db.unit_of_work() as session:
        with refused("the description"):
            transactions.create_complaint(session, ann, partner_id=world["customer"], category="billing",
                                          description=f"charged twice{bad}")
        with refused("the number to call"):
            transactions.create_callback(session, ann, partner_id=world["customer"], phone=f"138{bad}",
                                         window_start=datetime.now(UTC) + timedelta(hours=1),
                                         window_end=datetime.now(UTC) + timedelta(hours=2))
        stored = add_version(session, SYSTEM, name="greet", kind="interactive", document={"nodes": []})
        now = datetime.now(UTC)
        run = RunRecord(run_key="run-1", script="greet", version=stored.version, started_at=now, last_node="q1",
                        state={}, answers=[RunAnswer("q1", ["yes", f"no{bad}"], now)])
        with refused("the answers"):
            save_run(session, ann, run)


@pytest.mark.parametrize("bad", BAD)
def test_a_login_holding_it_is_a_wrong_login(db, world, bad):
    with db.reading() as session:
        with pytest.raises(AuthenticationFailed, match="^Wrong user name or password.$"):
            authenticate(session, f"ann{bad}", factories.PASSWORD)
        with pytest.raises(AuthenticationFailed, match="^Wrong user name or password.$"):
            authenticate(session, "ann", f"{factories.PASSWORD}{bad}")


@pytest.mark.parametrize("bad", BAD)
def test_a_row_no_service_checked_is_still_refused_before_the_database_sees_it(db, bad):
    with refused("the column app_user.display_name"), db.unit_of_work() as session:
        session.add(User(username="x", display_name=f"X{bad}", password_hash="-", role="agent"))
        session.flush()


def test_an_email_holding_them_is_stored_cleaned_with_a_defect_saying_so(db):
    raw = ("From: li.na@example.cn\r\nTo: service@cicada.example\r\nMessage-ID: <n@x>\r\n"
           "Subject: =?utf-8?B?6YCA5qy+?= =?utf-7?Q?+2AA-?=\r\n"  # a UTF-7 word decoding to a lone surrogate
           "Content-Type: text/plain; charset=utf-7\r\n\r\n"
           "Refund +2AA- please\x00\r\n").encode()
    with db.unit_of_work() as session:
        received = email_in.receive_email(session, raw=raw, parsed=parse_email(raw),
                                          mailbox="service@cicada.example", via="smtp", route=route,
                                          envelope_from=f"li.na{SURROGATE}@example.cn")
    with db.reading() as session:
        stored = session.scalar(select(ConversationMessage).where(ConversationMessage.id == received.message_id))
        assert stored.body_text == "Refund \ufffd please" and stored.subject == "退款\ufffd"
        assert UNSTORABLE_DEFECT in stored.defects
        assert session.scalar(select(RawEmail.source)) == raw  # the bytes as they came
        assert session.scalar(select(RawEmail.envelope_from)) == "li.na\ufffd@example.cn"
