"""The web chat end to end: a customer in headless Chromium on the widget the
running `cicada mailq` serves, an agent answering through the bus client;
the chat is routed, stored as it goes, identified and recorded."""

from __future__ import annotations

import time

import pytest
from browser_harness import screenshot_path
from desktop_harness import add_person
from mailq_harness import make_mailq
from sqlalchemy import select

from bus import mailq as bus
from crm.db import Database
from crm.models import ConversationMessage, Interaction
from email_queue.client import MailqError

pytestmark = pytest.mark.slow


def open_widget(page, mailq, name="李娜", email="li.na@example.cn", lang="zh"):
    from playwright.sync_api import expect

    page.goto(f"http://127.0.0.1:{mailq.chat_port}/chat/?lang={lang}")
    page.fill("#name", name)
    page.fill("#email", email)
    page.click("#start-button")
    expect(page.locator("#conversation")).to_be_visible()


def say(page, text: str) -> None:
    from playwright.sync_api import expect

    page.fill("#text", text)
    page.press("#text", "Enter")
    expect(page.locator(".line.pending")).to_have_count(0)  # stored and acknowledged


def test_a_chat_from_the_widget_is_routed_answered_and_recorded(make_mailq, browser_page):
    from playwright.sync_api import expect

    mailq = make_mailq()
    partner_id = add_person(mailq.db_url, "李", "娜", emails=["li.na@example.cn"])
    ann = mailq.desktop("ann", channels=("chat",))
    page = browser_page
    open_widget(page, mailq)
    say(page, "我的宽带断了")
    offer = ann.wait_for(lambda e: isinstance(e, bus.WorkOffered), 10)
    assert (offer.work.channel, offer.work.queue, offer.work.customer) == ("chat", "web-chat", "李娜")
    cid = offer.work.conversation_id
    ann.accept(cid)
    say(page, "从昨天晚上开始")
    line = ann.wait_for(lambda e: isinstance(e, bus.ChatLine), 10)
    assert (line.conversation_id, line.line.text, line.line.sender) == (cid, "从昨天晚上开始", "customer")

    time.sleep(2.1)  # the widget tells of typing at most every 2 s; the last notice was for the line above
    page.type("#text", "请")  # the agent sees the customer typing
    assert ann.wait_for(lambda e: isinstance(e, bus.CustomerTyping), 10).conversation_id == cid
    ann.command(bus.ChatTyping, conversation_id=cid)
    expect(page.locator("#typing")).to_be_visible()
    ann.chat_send(cid, "您好，我是安，马上为您查看线路。")
    expect(page.locator(".line.from-agent .bubble")).to_have_text(["您好，我是安，马上为您查看线路。"])

    page.reload()  # the customer keeps the conversation
    expect(page.locator(".line .bubble")).to_have_count(3)
    page.screenshot(path=str(screenshot_path("chat_widget_with_agent.png")))

    ann.close_work(cid, outcome="resolved")
    expect(page.locator("#closed")).to_be_visible()
    database = Database.open(mailq.db_url)
    with database.reading() as session:
        lines = list(session.scalars(select(ConversationMessage.body_text).where(
            ConversationMessage.conversation_id == cid).order_by(ConversationMessage.id)))
        assert lines == ["我的宽带断了", "从昨天晚上开始", "您好，我是安，马上为您查看线路。"]
        record = session.scalar(select(Interaction).where(Interaction.external_id == f"conversation:{cid}"))
        assert (record.channel, record.partner_id, record.status, record.outcome_code) == (
            "chat", partner_id, "closed", "resolved")
    database.dispose()


def test_chats_wait_for_an_agent_with_room_and_go_back_when_he_leaves(make_mailq, chromium):
    mailq = make_mailq(silent_seconds=30.0)  # ann's client does not ping while two pages open
    contexts = [chromium.new_context() for _ in range(2)]
    try:
        pages = [c.new_page() for c in contexts]
        ann = mailq.client()
        ann.login(mailq.sign_in("ann"))
        ann.command(bus.SetAvailable, channel="chat", available=True)
        for n, page in enumerate(pages):
            open_widget(page, mailq, name=f"Customer {n}", email=f"c{n}@example.com", lang="en")
        first = ann.wait_for(lambda e: isinstance(e, bus.WorkOffered), 10)
        ann.accept(first.work.conversation_id)
        second = ann.wait_for(lambda e: isinstance(e, bus.WorkOffered), 10)
        assert second.work.conversation_id != first.work.conversation_id  # capacity 3 chats by default
        ann.logout()
        mailq.wait_until(lambda: all(c.status == "queued" for c in mailq.conversations()),
                         what="both chats back in the queue")
    finally:
        for context in contexts:
            context.close()


def test_a_line_into_a_chat_the_agent_closed_is_refused_with_closed_and_not_stored(make_mailq):
    """A customer's tab that missed the close (asleep, offline) and sends a
    line later is told the chat is closed; the transcript stays as it was."""
    import json

    from websockets.sync.client import connect

    mailq = make_mailq()
    ann = mailq.desktop("ann", channels=("chat",))

    def ask(socket, frame: dict) -> dict:
        socket.send(json.dumps(frame))
        return json.loads(socket.recv(timeout=10))

    url = f"ws://127.0.0.1:{mailq.chat_port}/chat/ws"
    with connect(url, open_timeout=5) as socket:
        welcome = ask(socket, {"type": "hello", "token": None, "name": "Mei Lin", "email": "mei@example.com",
                               "phone": ""})
        cid = welcome["conversation"]
        assert ask(socket, {"type": "message", "text": "Is my order on its way?", "client_id": "c-1"})["type"] == "ack"
    ann.accept(ann.wait_for(lambda e: isinstance(e, bus.WorkOffered), 10).work.conversation_id)
    ann.chat_send(cid, "It left the warehouse today.")
    ann.close_work(cid, outcome="resolved")
    mailq.wait_until(lambda: [c.status for c in mailq.conversations()] == ["closed"], what="the chat closed")

    with connect(url, open_timeout=5) as stale:
        assert ask(stale, {"type": "hello", "token": welcome["token"]})["type"] == "welcome"
        assert json.loads(stale.recv(timeout=10)) == {"type": "closed", "by": "agent"}
        late_line = {"type": "message", "text": "Thanks! One more thing", "client_id": "c-2"}
        assert ask(stale, late_line) == {"type": "closed", "by": "agent"}
    database = Database.open(mailq.db_url)
    with database.reading() as session:
        lines = list(session.scalars(select(ConversationMessage.body_text).where(
            ConversationMessage.conversation_id == cid).order_by(ConversationMessage.id)))
    database.dispose()
    assert lines == ["Is my order on its way?", "It left the warehouse today."]


class Customer:
    """A customer's tab on the widget's socket, without a browser."""

    def __init__(self, mailq):
        from websockets.sync.client import connect

        self.socket = connect(f"ws://127.0.0.1:{mailq.chat_port}/chat/ws", open_timeout=5).__enter__()

    def ask(self, frame: dict) -> dict:
        import json

        self.socket.send(json.dumps(frame))
        return self.receive()

    def receive(self) -> dict:
        import json

        return json.loads(self.socket.recv(timeout=10))

    def start(self, name="Mei Lin", email="mei@example.com") -> dict:
        return self.ask({"type": "hello", "token": None, "name": name, "email": email, "phone": ""})

    def close(self) -> None:
        self.socket.__exit__(None, None, None)


def events_until(client, predicate, timeout: float = 10.0) -> list:
    """Every event up to and including the first for which `predicate` is true."""
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = client.next_event(0.5)
        if got is not None:
            seen.append(got[1])
            if predicate(got[1]):
                return seen
    raise TimeoutError(f"the expected event did not come; saw {seen}")


def chat_records(mailq, cid):
    database = Database.open(mailq.db_url)
    try:
        with database.reading() as session:
            record = session.scalar(select(Interaction).where(Interaction.external_id == f"conversation:{cid}"))
            lines = list(session.execute(select(ConversationMessage.kind, ConversationMessage.body_text).where(
                ConversationMessage.conversation_id == cid).order_by(ConversationMessage.id)))
            session.expunge_all()
            return record, [tuple(line) for line in lines]
    finally:
        database.dispose()


def test_a_waiting_chat_the_customer_ends_is_closed_and_withdrawn_from_the_agent(make_mailq):
    mailq = make_mailq()
    ann = mailq.desktop("ann", channels=("chat",))
    customer = Customer(mailq)
    try:
        cid = customer.start()["conversation"]
        assert customer.ask({"type": "message", "text": "Hello?", "client_id": "c-1"})["type"] == "ack"
        offer = ann.wait_for(lambda e: isinstance(e, bus.WorkOffered), 10)
        assert offer.work.conversation_id == cid

        assert customer.ask({"type": "end"}) == {"type": "closed", "by": "customer"}
        withdrawn = ann.wait_for(lambda e: isinstance(e, bus.WorkWithdrawn), 10)
        assert (withdrawn.conversation_id, withdrawn.reason, withdrawn.cause) == (
            cid, "the customer ended the chat", "customer_ended")
        late_line = {"type": "message", "text": "Still there?", "client_id": "c-2"}
        assert customer.ask(late_line) == {"type": "closed", "by": "customer"}
    finally:
        customer.close()
    mailq.wait_until(lambda: [c.status for c in mailq.conversations()] == ["closed"], what="the chat closed")
    record, lines = chat_records(mailq, cid)
    assert (record.status, record.ended_at is not None, record.agent_id) == ("closed", True, None)
    assert lines == [("inbound", "Hello?")]
    assert ann.snapshot().work == []  # no longer offered, nor offered again
    with pytest.raises(TimeoutError):
        ann.wait_for(lambda e: isinstance(e, bus.WorkOffered), 1.5)


def test_an_assigned_chat_the_customer_ends_stays_with_the_agent_until_he_closes_it(make_mailq):
    mailq = make_mailq()
    ann = mailq.desktop("ann", channels=("chat",))
    customer, other_tab = Customer(mailq), Customer(mailq)
    try:
        welcome = customer.start()
        cid = welcome["conversation"]
        assert other_tab.ask({"type": "hello", "token": welcome["token"]})["type"] == "welcome"
        ann.accept(ann.wait_for(lambda e: isinstance(e, bus.WorkOffered), 10).work.conversation_id)
        ann.chat_send(cid, "How can I help?")
        assert customer.receive()["line"]["text"] == "How can I help?"
        assert other_tab.receive()["line"]["text"] == "How can I help?"

        assert customer.ask({"type": "end"}) == {"type": "closed", "by": "customer"}
        assert other_tab.receive() == {"type": "closed", "by": "customer"}
        seen = events_until(ann, lambda e: isinstance(e, bus.CustomerEndedChat))
        system = [e for e in seen if isinstance(e, bus.ChatLine)]
        assert [(e.conversation_id, e.line.sender, e.line.text) for e in system] == [
            (cid, "system", "The customer ended the chat.")]
        assert seen[-1] == bus.CustomerEndedChat(agent="ann", conversation_id=cid)
        with pytest.raises(MailqError) as refused:  # nobody would read it
            ann.chat_send(cid, "Are you still there?")
        assert refused.value.code == "conflict"
        assert not any(isinstance(e, bus.WorkWithdrawn | bus.WorkClosed) for e in seen)
        late_line = {"type": "message", "text": "Wait, one more", "client_id": "c-9"}
        assert other_tab.ask(late_line) == {"type": "closed", "by": "customer"}
        assert customer.ask({"type": "end"}) == {"type": "closed", "by": "customer"}  # again: nothing more happens
    finally:
        customer.close()
        other_tab.close()
    assert [(c.status, c.assigned_to_id is not None) for c in mailq.conversations()] == [("assigned", True)]
    assert [(w.conversation_id, w.customer_ended) for w in ann.snapshot().work] == [(cid, True)]
    with pytest.raises(TimeoutError):  # the second end told the agent nothing
        ann.wait_for(lambda e: isinstance(e, bus.CustomerEndedChat | bus.ChatLine), 1.0)

    later = Customer(mailq)  # a reload: the chat is over for the customer, the agent's line is not shown
    try:
        resumed = later.ask({"type": "hello", "token": welcome["token"]})
        assert [line["text"] for line in resumed["transcript"]] == ["How can I help?"]
        assert later.receive() == {"type": "closed", "by": "customer"}
    finally:
        later.close()

    ann.close_work(cid, outcome="resolved", notes="left before asking")
    mailq.wait_until(lambda: [c.status for c in mailq.conversations()] == ["closed"], what="the chat closed")
    record, lines = chat_records(mailq, cid)
    assert (record.status, record.outcome_code, record.notes) == ("closed", "resolved", "left before asking")
    assert lines == [("outbound", "How can I help?"), ("system", "The customer ended the chat.")]
