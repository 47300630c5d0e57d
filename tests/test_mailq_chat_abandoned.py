"""Chats whose customer closed the page and did not come back, against a
real `cicada mailq` with a short chat_abandon_seconds: a waiting chat is
closed and withdrawn from its offer, an assigned one ends for the agent who
has it, both with a line in the transcript; a reload keeps the chat."""

from __future__ import annotations

import time

import pytest
from mailq_harness import make_mailq  # noqa: F401  (fixture)
from test_mailq_chat import Customer, chat_records, events_until

from bus import mailq as bus
from crm.conversation_types import CUSTOMER_LEFT_TEXT

pytestmark = pytest.mark.slow
ABANDON = 1.5


def test_a_waiting_chat_whose_customer_left_is_closed_and_withdrawn_with_a_line_saying_so(make_mailq):
    mailq = make_mailq(chat_abandon_seconds=ABANDON)
    ann = mailq.desktop("ann", channels=("chat",))
    customer = Customer(mailq)
    cid = customer.start()["conversation"]
    assert customer.ask({"type": "message", "text": "Hello?", "client_id": "c-1"})["type"] == "ack"
    assert ann.wait_for(lambda e: isinstance(e, bus.WorkOffered), 10).work.conversation_id == cid
    customer.close()  # the page is closed, and stays closed

    withdrawn = ann.wait_for(lambda e: isinstance(e, bus.WorkWithdrawn), ABANDON + 10)
    assert (withdrawn.conversation_id, withdrawn.reason, withdrawn.cause) == (
        cid, "the customer left the chat", "customer_left")
    mailq.wait_until(lambda: [c.status for c in mailq.conversations()] == ["closed"], what="the chat closed")
    record, lines = chat_records(mailq, cid)
    assert (record.status, record.ended_at is not None) == ("closed", True)
    assert lines == [("inbound", "Hello?"), ("system", CUSTOMER_LEFT_TEXT)]


def test_an_assigned_chat_whose_customer_left_ends_for_the_agent_who_keeps_it_to_close(make_mailq):
    mailq = make_mailq(chat_abandon_seconds=ABANDON)
    ann = mailq.desktop("ann", channels=("chat",))
    customer = Customer(mailq)
    welcome = customer.start()
    cid = welcome["conversation"]
    ann.accept(ann.wait_for(lambda e: isinstance(e, bus.WorkOffered), 10).work.conversation_id)
    ann.chat_send(cid, "How can I help?")
    customer.close()

    seen = events_until(ann, lambda e: isinstance(e, bus.CustomerEndedChat), ABANDON + 10)
    assert [(e.line.sender, e.line.text) for e in seen if isinstance(e, bus.ChatLine)] == [
        ("system", CUSTOMER_LEFT_TEXT)]
    assert [(w.conversation_id, w.customer_ended) for w in ann.snapshot().work] == [(cid, True)]
    later = Customer(mailq)  # coming back too late: the chat is over, the agent's line not shown
    try:
        resumed = later.ask({"type": "hello", "token": welcome["token"]})
        assert [line["text"] for line in resumed["transcript"]] == ["How can I help?"]
        assert later.receive() == {"type": "closed", "by": "customer"}
    finally:
        later.close()
    ann.close_work(cid)
    _record, lines = chat_records(mailq, cid)
    assert lines == [("outbound", "How can I help?"), ("system", CUSTOMER_LEFT_TEXT)]


def test_a_customer_who_reloads_the_page_in_time_keeps_the_chat(make_mailq):
    mailq = make_mailq(chat_abandon_seconds=ABANDON)
    ann = mailq.desktop("ann", channels=("chat",))
    customer = Customer(mailq)
    welcome = customer.start()
    cid = welcome["conversation"]
    ann.accept(ann.wait_for(lambda e: isinstance(e, bus.WorkOffered), 10).work.conversation_id)
    customer.close()
    time.sleep(ABANDON / 3)
    reloaded = Customer(mailq)  # the reload
    try:
        assert reloaded.ask({"type": "hello", "token": welcome["token"]})["type"] == "welcome"
        for _ in range(5):  # well past the limit, with the page open (ann's desktop keeps pinging)
            ann.ping()
            with pytest.raises(TimeoutError):
                ann.wait_for(lambda e: isinstance(e, bus.CustomerEndedChat | bus.WorkWithdrawn), 0.5)
        assert reloaded.ask({"type": "message", "text": "Still here", "client_id": "c-2"})["type"] == "ack"
    finally:
        reloaded.close()
    assert [(c.status, c.customer_ended_at) for c in mailq.conversations()] == [("assigned", None)]
    assert chat_records(mailq, cid)[1] == [("inbound", "Still here")]


def test_after_a_restart_a_chat_whose_page_does_not_come_back_is_abandoned(make_mailq):
    mailq = make_mailq(chat_abandon_seconds=ABANDON)
    customer = Customer(mailq)
    cid = customer.start()["conversation"]
    assert customer.ask({"type": "message", "text": "Hello?", "client_id": "c-1"})["type"] == "ack"
    mailq.restart()  # the page lost its socket with the restart and never reconnects
    customer.close()
    mailq.wait_until(lambda: [c.status for c in mailq.conversations()] == ["closed"], timeout=ABANDON + 10,
                     what="the chat abandoned")
    assert chat_records(mailq, cid)[1] == [("inbound", "Hello?"), ("system", CUSTOMER_LEFT_TEXT)]
