"""Routing against a real `cicada mailq` (the demo's rules): a mail to two
service addresses goes where the best rule for either says, and is answered
from that address; a chat is routed by keywords in the customer's first
line, even after it was offered; the customer sees the agent's name."""

from __future__ import annotations

import pytest
from mailq_harness import SALES, SERVICE, make_mailq  # noqa: F401  (fixture)
from test_mailq_chat import Customer
from test_mailq_service import event_of, mail, send

from bus import mailq as bus
from crm.models import Interaction

pytestmark = pytest.mark.slow


def test_mail_to_two_service_addresses_follows_the_best_rule_of_either(make_mailq):
    mailq = make_mailq()
    both = mail("buyer@example.com", f"{SERVICE}, {SALES}", "Offer for 20 routers", "please quote")
    send(mailq, both)  # service@ first: its rule is only the default; sales@ has a rule of its own
    send(mailq, mail("other@example.com", f"{SALES}, {SERVICE}", "Another offer", "please quote too"))
    rows = {c.subject: (c.queue, c.mailbox) for c in mailq.conversations()}
    assert rows == {"Offer for 20 routers": ("sales", SALES), "Another offer": ("sales", SALES)}


def test_a_waiting_chat_is_routed_by_the_keywords_of_its_first_line(make_mailq):
    mailq = make_mailq()
    customer = Customer(mailq)
    try:
        cid = customer.start()["conversation"]
        assert [(c.queue, c.priority) for c in mailq.conversations()] == [("web-chat", 5)]
        assert customer.ask({"type": "message", "text": "I want a refund for my order", "client_id": "c-1"}
                            )["type"] == "ack"
        mailq.wait_until(lambda: [(c.queue, c.priority) for c in mailq.conversations()] == [("service", 2)],
                         what="the chat routed by its keyword")
        assert customer.ask({"type": "message", "text": "it is a complaint too", "client_id": "c-2"}
                            )["type"] == "ack"  # only the first line routes
        ann = mailq.desktop("ann", channels=("chat",))
        offer = event_of(ann, bus.WorkOffered)
        assert (offer.work.conversation_id, offer.work.queue, offer.work.priority) == (cid, "service", 2)
    finally:
        customer.close()


def test_an_offered_chat_moves_when_its_first_line_names_a_keyword_and_the_customer_sees_the_agents_name(
        make_mailq):
    mailq = make_mailq()
    ann = mailq.desktop("ann", channels=("chat",))
    customer = Customer(mailq)
    try:
        cid = customer.start()["conversation"]
        first = event_of(ann, bus.WorkOffered)
        assert (first.work.conversation_id, first.work.queue) == (cid, "web-chat")
        customer.ask({"type": "message", "text": "退款什么时候到账？", "client_id": "c-1"})
        withdrawn = event_of(ann, bus.WorkWithdrawn)
        assert (withdrawn.conversation_id, withdrawn.reason, withdrawn.cause) == (
            cid, "routed to service by the customer's first message", "rerouted")
        again = event_of(ann, bus.WorkOffered)
        assert (again.work.conversation_id, again.work.queue, again.work.priority) == (cid, "service", 2)
        assert again.work.subject == "退款什么时候到账？"  # named by its first line
        ann.accept(cid)
        ann.command(bus.ChatTyping, conversation_id=cid)
        while (frame := customer.receive())["type"] != "typing":
            pass
        assert frame["name"] == "Ann"  # her display name, not her login
    finally:
        customer.close()


def test_a_chat_without_a_subject_is_named_by_its_first_line_and_the_offer_says_so(make_mailq):
    mailq = make_mailq()
    ann = mailq.desktop("ann", channels=("chat",))
    customer, with_page = Customer(mailq), Customer(mailq)
    try:
        cid = customer.start()["conversation"]
        assert event_of(ann, bus.WorkOffered).work.subject == ""
        line = "您好，我上周买的洗衣机  一直没有发货，" + "订单号是 A-20261128-0042，" * 5 + "请帮我查一下。"
        customer.ask({"type": "message", "text": line, "client_id": "c-1"})
        renewed = event_of(ann, bus.WorkOffered)  # the same offer, told what it is about
        assert renewed.work.conversation_id == cid and renewed.work.queue == "web-chat"
        subject = renewed.work.subject
        assert subject.startswith("您好，我上周买的洗衣机 一直没有发货，订单号是") and subject.endswith("…")
        assert len(subject) == 80
        customer.ask({"type": "message", "text": "还有一个问题", "client_id": "c-2"})  # only the first line names it
        (row,) = mailq.conversations()
        assert row.subject == subject
        (interaction,) = mailq.rows(Interaction, Interaction.id == row.interaction_id)
        assert interaction.subject == subject  # the interaction history says it too

        ann.accept(cid)
        named = with_page.ask({"type": "hello", "token": None, "name": "Li Lei", "email": "li.lei@example.cn",
                               "phone": "", "page": "Washing machines — returns"})["conversation"]
        with_page.ask({"type": "message", "text": "Where do I send it?", "client_id": "p-1"})
        mailq.wait_until(lambda: len(mailq.conversations()) == 2 and mailq.conversations()[1].subject,
                         what="the second chat stored")
        assert mailq.conversations()[1].id == named
        assert mailq.conversations()[1].subject == "Washing machines — returns"  # the page names it
    finally:
        customer.close()
        with_page.close()
