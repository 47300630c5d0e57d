"""Conversations in the CRM (SQLite and PostgreSQL): threading by headers and
by subject, de-duplication, identification by address and by signature
phone, reopening, chat lines stored once, the agent's rights."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from email.message import EmailMessage

import pytest
from conftest import PgSchema, pg_url
from sqlalchemy import func, select

from crm.clock import utcnow
from crm.db import Database, upgrade
from crm.errors import Conflict, PermissionDenied, ValidationError
from crm.models import Conversation, ConversationMessage, Interaction, RawEmail
from crm.permissions import Actor
from crm.services.conversations import answering, chat_in, email_in, handling, queueing, reading
from crm.services.conversations.queueing import Route
from crm.services.partners import PartnerDraft, create_partner
from crm.services.users import actor_for, create_user
from email_queue.parse import parse_email

SYSTEM = Actor.system()
SERVICE = "service@cicada.example"


def route(facts) -> Route:
    return Route("vip" if facts.value_class == "A" else "service", 1 if facts.value_class == "A" else 5,
                 timedelta(hours=4))


def raw_mail(sender="li.na@example.cn", subject="宽带断了", body="从昨晚开始断网。", message_id="<m1@example.cn>",
             **headers) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, SERVICE, subject
    if message_id:
        message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def receive(db, raw: bytes, now=None):
    with db.unit_of_work() as s:
        return email_in.receive_email(s, raw=raw, parsed=parse_email(raw), mailbox=SERVICE, via="smtp",
                                      route=route, now=now)


def person(db, last, first, **fields) -> int:
    with db.unit_of_work() as s:
        return create_partner(s, SYSTEM, PartnerDraft(kind="person", last_name=last, first_name=first, **fields),
                              confirm_duplicates=True).id


def agent(db, name="ann") -> Actor:
    with db.unit_of_work() as s:
        create_user(s, SYSTEM, username=name, password="a-long-password", role="agent")
        return actor_for(s, name)


def test_a_new_mail_opens_a_conversation_with_its_record_and_due_time(db):
    partner_id = person(db, "李", "娜", emails=["li.na@example.cn"])
    received = receive(db, raw_mail())
    assert received.new_conversation and not received.duplicate
    with db.reading() as s:
        view = reading.conversation_view(s, SYSTEM, received.conversation_id)
        assert (view.channel, view.queue, view.partner_id, view.subject) == ("email", "service", partner_id, "宽带断了")
        assert view.due_at is not None and view.messages[0].text.startswith("从昨晚开始断网")
        record = s.get(Interaction, view.interaction_id)
        assert (record.channel, record.partner_id, record.ani, record.dnis) == (
            "email", partner_id, "li.na@example.cn", SERVICE)


def test_replies_thread_by_headers_then_by_sender_and_subject(db):
    first = receive(db, raw_mail())
    by_header = receive(db, raw_mail(subject="Re: something else", message_id="<m2@example.cn>",
                                     In_Reply_To="<m1@example.cn>"))
    by_subject = receive(db, raw_mail(subject="回复：宽带断了", message_id="<m3@example.cn>"))
    stranger = receive(db, raw_mail(sender="other@example.com", subject="Re: 宽带断了", message_id="<m4@x.cn>"))
    assert by_header.conversation_id == first.conversation_id == by_subject.conversation_id
    assert stranger.conversation_id != first.conversation_id and stranger.new_conversation
    old = receive(db, raw_mail(sender="zhou@example.cn", subject="hello", message_id="<m5@x.cn>"),
                  now=utcnow() - timedelta(days=40))
    late = receive(db, raw_mail(sender="zhou@example.cn", subject="Re: hello", message_id="<m6@x.cn>"))
    assert late.conversation_id != old.conversation_id  # too old to join by subject alone


def test_the_same_message_twice_is_one_message_and_a_missing_id_is_made_from_the_content(db):
    first = receive(db, raw_mail())
    again = receive(db, raw_mail())
    assert again.duplicate and again.conversation_id == first.conversation_id
    no_id = raw_mail(message_id=None, subject="no id")
    assert not receive(db, no_id).duplicate
    assert receive(db, no_id).duplicate
    changed = receive(db, raw_mail(body="the same Message-ID, other words"))
    assert changed.duplicate
    with db.reading() as s:
        assert s.scalar(select(func.count(ConversationMessage.id))) == 2
        assert s.scalar(select(func.count(RawEmail.id))) == 3  # what arrived differently is kept


def test_an_unknown_sender_is_identified_by_the_phone_in_his_signature(db):
    partner_id = person(db, "王", "强", phones=["13912345678"])
    body = "路由器坏了，请尽快处理。\n\n--\n王强\n手机：139 1234 5678\n"
    received = receive(db, raw_mail(sender="wq@unknown.cn", body=body))
    with db.reading() as s:
        assert reading.conversation_view(s, SYSTEM, received.conversation_id).partner_id == partner_id
    assert email_in.signature_numbers("call me: +86 139 1234 5678") == ["+8613912345678"]


def test_the_customers_value_class_routes_and_a_closed_thread_reopens(db):
    vip = person(db, "赵", "敏", emails=["zhao@example.cn"], value_class="A")
    ann = agent(db)
    received = receive(db, raw_mail(sender="zhao@example.cn", subject="合同"))
    with db.unit_of_work() as s:
        conversation = queueing.set_assignment(s, received.conversation_id, "assigned", "ann")
        assert (conversation.queue, conversation.priority, conversation.partner_id) == ("vip", 1, vip)
        handling.close(s, ann, received.conversation_id, outcome="resolved")
    again = receive(db, raw_mail(sender="zhao@example.cn", subject="Re: 合同", message_id="<m9@x.cn>",
                                 In_Reply_To="<m1@example.cn>"))
    assert again.reopened and again.conversation_id == received.conversation_id
    with db.reading() as s:
        view = reading.conversation_view(s, SYSTEM, again.conversation_id)
        assert (view.status, view.assigned_to) == ("queued", None)
        records = s.scalars(select(Interaction.status).where(
            Interaction.external_id == f"conversation:{again.conversation_id}").order_by(Interaction.id)).all()
        assert records == ["closed", "open"]  # one record per contact


def test_a_reply_carries_the_thread_and_meets_the_first_response(db):
    ann = agent(db)
    received = receive(db, raw_mail(References="<older@example.cn>"))
    with db.unit_of_work() as s:
        with pytest.raises(PermissionDenied):
            answering.reply(s, ann, received.conversation_id, body="hello")  # not assigned to ann yet
        queueing.set_assignment(s, received.conversation_id, "assigned", "ann")
        message = answering.reply(s, ann, received.conversation_id, body="我们已安排工程师。",
                                  cc=["boss@example.cn"])
        assert message.in_reply_to == "<m1@example.cn>"
        assert message.reference_ids.split() == ["<older@example.cn>", "<m1@example.cn>"]
        assert message.subject == "Re: 宽带断了"
        with pytest.raises(ValidationError):
            answering.reply(s, ann, received.conversation_id, body="x", cc=["not an address"])
    with db.reading() as s:
        view = reading.conversation_view(s, ann, received.conversation_id)
        assert view.first_response_at is not None and view.messages[-1].delivery == "queued"


def test_chat_lines_are_stored_once_per_client_id_and_a_closed_chat_takes_none(db):
    opened = None
    with db.unit_of_work() as s:
        opened = chat_in.open_chat(s, name=" 梅 林 ", email=None, phone="13800001234", page="/pricing",
                                   language="zh", route=route)
    with db.unit_of_work() as s:
        _, line, new = chat_in.customer_wrote(s, opened.token, "你好", "c-1")
        _, again, new_again = chat_in.customer_wrote(s, opened.token, "你好", "c-1")
        assert new and not new_again and again.id == line.id
    with db.unit_of_work() as s:
        assert chat_in.close_by_customer(s, opened.token) is not None
    with db.unit_of_work() as s, pytest.raises(Conflict):
        chat_in.customer_wrote(s, opened.token, "还在吗", "c-2")
    with db.unit_of_work() as s:
        with pytest.raises(ValidationError):
            chat_in.open_chat(s, name="", email="a@b.cn", phone=None, page=None, language=None, route=route)
        with pytest.raises(ValidationError):
            chat_in.open_chat(s, name="x", email=None, phone=None, page=None, language=None, route=route)


def test_a_chat_the_customer_ended_keeps_its_agent_but_takes_no_more_lines_either_way(db):
    ann = agent(db, "ann")
    with db.unit_of_work() as s:
        opened = chat_in.open_chat(s, name="Mei Lin", email="mei@example.com", phone=None, page=None,
                                   language="en", route=route)
        queueing.set_assignment(s, opened.conversation_id, "assigned", "ann")
        chat_in.customer_wrote(s, opened.token, "Is it shipped?", "c-1")
    with db.unit_of_work() as s:
        conversation, line = chat_in.customer_ended_chat(s, opened.token)
        assert (line.kind, line.body_text) == ("system", "The customer ended the chat.")
        assert conversation.customer_ended_at is not None and conversation.status == "assigned"
    with db.unit_of_work() as s:
        assert chat_in.customer_ended_chat(s, opened.token)[1] is None  # ending twice adds nothing
        with pytest.raises(Conflict):
            chat_in.customer_wrote(s, opened.token, "One more thing", "c-2")
        with pytest.raises(Conflict):
            answering.chat_reply(s, ann, opened.conversation_id, "Still there?")
        assert chat_in.customer_wrote(s, opened.token, "Is it shipped?", "c-1")[2] is False  # a resend
    with db.reading() as s:
        item = next(w for w in queueing.open_work(s) if w.conversation_id == opened.conversation_id)
        assert (item.status, item.assigned_to, item.customer_ended) == ("assigned", "ann", True)
        assert [m.body_text for m in chat_in.transcript(s, opened.conversation_id)] == [
            "Is it shipped?", "The customer ended the chat."]


def test_an_agent_reads_his_own_and_waiting_conversations_only(db):
    ann, bob = agent(db, "ann"), agent(db, "bob")
    mine = receive(db, raw_mail(sender="a@example.cn", subject="one", message_id="<a@x>"))
    waiting = receive(db, raw_mail(sender="b@example.cn", subject="two", message_id="<b@x>"))
    with db.unit_of_work() as s:
        queueing.set_assignment(s, mine.conversation_id, "assigned", "ann")
    with db.reading() as s:
        assert [r.subject for r in reading.inbox(s, ann)] == ["one"]
        assert [r.subject for r in reading.inbox(s, bob, mine=False)] == ["two"]
        reading.conversation_view(s, bob, waiting.conversation_id)  # the group inbox is everyone's
        with pytest.raises(PermissionDenied):
            reading.conversation_view(s, bob, mine.conversation_id)


def test_a_transfer_stores_the_queue_and_a_note_and_only_the_agent_who_has_it_may(db):
    ann, bob = agent(db, "ann"), agent(db, "bob")
    received = receive(db, raw_mail())
    cid = received.conversation_id
    with db.unit_of_work() as s:
        with pytest.raises(PermissionDenied):
            handling.transfer(s, ann, cid, queue="sales", to_agent=None, note=None)  # waiting, not hers
        queueing.set_assignment(s, cid, "assigned", "ann")
    with db.unit_of_work() as s:
        with pytest.raises(PermissionDenied):
            handling.transfer(s, bob, cid, queue="sales", to_agent=None, note=None)
        with pytest.raises(ValidationError):
            handling.transfer(s, ann, cid, queue="sales", to_agent="bob", note=None)
        with pytest.raises(ValidationError):
            handling.transfer(s, ann, cid, queue="sales", to_agent=None, note="x" * 501)
        due = s.get(Conversation, cid).due_at
        item = handling.transfer(s, ann, cid, queue="sales", to_agent=None, note=" wants a quote ")
        assert (item.queue, item.due_at, item.transferred_by, item.transfer_note) == ("sales", due, "ann",
                                                                                       "wants a quote")
    with db.unit_of_work() as s:
        handling.transfer(s, ann, cid, queue=None, to_agent="bob", note=None)
    with db.reading() as s:
        view = reading.conversation_view(s, SYSTEM, cid)
        assert view.queue == "sales" and view.status == "assigned"  # the router's decisions come after
        record = s.get(Interaction, s.get(Conversation, cid).interaction_id)
        assert record.queue == "sales"  # the interaction record follows the queue, not the colleague
        assert [(m.kind, m.author, m.text) for m in view.messages[1:]] == [
            ("note", "ann", "Transferred to sales by ann: wants a quote"), ("note", "ann", "Transferred to bob by ann")]


@pytest.fixture
def pg_db():
    """A migrated database on the PostgreSQL server only."""
    schema = PgSchema(pg_url())
    engine = schema.engine()
    upgrade(engine)
    yield Database(engine)
    engine.dispose()
    schema.drop()


@pytest.mark.postgres
def test_a_customer_ending_a_chat_waits_for_an_assignment_in_progress(pg_db):
    """The router assigns a chat while its customer ends it: the end sees the
    assignment once committed (and so leaves the chat to the agent), never the
    status from before. (SQLite takes one writer at a time: no such race.)"""
    agent(pg_db, "ann")
    with pg_db.unit_of_work() as s:
        opened = chat_in.open_chat(s, name="Mei Lin", email="mei@example.com", phone=None, page=None,
                                   language="en", route=route)
    seen = []

    def customer_ends():
        with pg_db.unit_of_work() as s:
            seen.append(chat_in.chat_by_token(s, opened.token, lock=True).status)

    with pg_db.unit_of_work() as s:
        queueing.set_assignment(s, opened.conversation_id, "assigned", "ann")
        ending = threading.Thread(target=customer_ends)
        ending.start()
        time.sleep(0.5)
        assert ending.is_alive() and seen == []  # held by the assignment's lock
    ending.join(10)
    assert seen == ["assigned"]


@pytest.mark.postgres
def test_an_assignment_waits_for_a_customer_ending_the_chat_and_is_refused(pg_db):
    """The other order: the customer's end is being stored when the router's
    assignment comes; the assignment sees the chat closed, not the status from
    before, and does not undo the close."""
    agent(pg_db, "ann")
    with pg_db.unit_of_work() as s:
        opened = chat_in.open_chat(s, name="Mei Lin", email="mei@example.com", phone=None, page=None,
                                   language="en", route=route)
        queueing.set_assignment(s, opened.conversation_id, "offered", "ann")
    outcome = []

    def router_assigns():
        try:
            with pg_db.unit_of_work() as s:
                queueing.set_assignment(s, opened.conversation_id, "assigned", "ann")
            outcome.append("assigned")
        except Conflict as exc:
            outcome.append(str(exc))

    with pg_db.unit_of_work() as s:
        conversation = chat_in.chat_by_token(s, opened.token, lock=True)
        assert conversation.status == "offered"
        chat_in.close_by_customer(s, opened.token)
        assigning = threading.Thread(target=router_assigns)
        assigning.start()
        time.sleep(0.5)
        assert assigning.is_alive() and outcome == []
    assigning.join(10)
    assert outcome == [f"conversation {opened.conversation_id} is closed"]
    with pg_db.reading() as s:
        assert chat_in.chat_by_token(s, opened.token).status == "closed"
