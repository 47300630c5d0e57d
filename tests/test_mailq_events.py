"""A real `cicada mailq` writes its conversations' steps into the event log (docs/reports.md,
"The event log"): each step once, in order, with its contact, queue and agent, also when
the database goes away while the router decides and comes back."""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from mailq_harness import SERVICE, make_mailq  # noqa: F401 - fixture
from private_pg import private_pg  # noqa: F401 - fixture
from sqlalchemy import select

from bus import mailq as bus
from crm.db import Database
from crm.models import LoggedEvent, User
from crm.services.conversations import answering
from crm.services.users import actor_for

pytestmark = pytest.mark.slow


def mail(subject: str, message_id: str | None = None, **headers) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "li.na@example.cn", SERVICE, subject
    message["Message-ID"] = message_id or make_msgid(domain="example.cn")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("路由器每小时重启一次。")
    return message


def send(mailq, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", mailq.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


def offered(client, timeout: float = 10.0) -> bus.WorkView:
    return client.wait_for(lambda e: isinstance(e, bus.WorkOffered), timeout).work


def steps(db_url: str, cid: int) -> list[tuple]:
    """The contact's steps in the log's order: (kind, channel, queue, agent, detail, key)."""
    database = Database.open(db_url)
    try:
        with database.reading() as session:
            rows = session.execute(
                select(LoggedEvent, User.username).outerjoin(User, User.id == LoggedEvent.agent_id)
                .where(LoggedEvent.contact_id == str(cid)).order_by(LoggedEvent.at, LoggedEvent.id)).all()
            return [(e.kind, e.channel, e.queue, name, e.detail or {}, e.event_key) for e, name in rows]
    finally:
        database.dispose()


def reply(db_url: str, agent: str, cid: int, body: str) -> int:
    database = Database.open(db_url)
    try:
        with database.unit_of_work() as session:
            return answering.reply(session, actor_for(session, agent), cid, body=body).id
    finally:
        database.dispose()


def test_an_email_offered_taken_answered_twice_closed_and_reopened_is_those_steps_in_order(make_mailq):
    mailq = make_mailq()
    ann = mailq.desktop("ann", channels=("email",))
    first = mail("路由器坏了")
    send(mailq, first)
    cid = offered(ann).conversation_id
    ann.accept(cid)
    first_reply = reply(mailq.db_url, "ann", cid, "我们明天派工程师上门。")
    later_reply = reply(mailq.db_url, "ann", cid, "工程师九点到。")
    ann.close_work(cid, outcome="resolved")
    log = steps(mailq.db_url, cid)
    assert [(kind, channel, queue, agent) for kind, channel, queue, agent, _, _ in log] == [
        ("entered", "email", "service", None), ("offered", "email", "service", "ann"),
        ("answered", "email", "service", "ann"), ("first_reply", "email", "service", "ann"),
        ("replied", "email", "service", "ann"), ("resolved", "email", "service", "ann")]
    details, keys = [s[4] for s in log], [s[5] for s in log]
    assert details[0] == {"via": "new"} and 0 <= details[2]["wait"] < 60 and details[5] == {"outcome": "resolved"}
    assert keys[0].startswith("message:") and keys[0].endswith(":entered")
    assert keys[1].startswith("mq-") and keys[2].startswith("mq-") and keys[1] != keys[2]
    assert keys[3:5] == [f"message:{first_reply}:reply", f"message:{later_reply}:reply"]
    assert keys[5].startswith("interaction:") and keys[5].endswith(":resolved")

    # the customer writes again on the closed thread: reopened, queued, offered; a first reply again
    send(mailq, mail("Re: 路由器坏了", In_Reply_To=first["Message-ID"]))
    assert offered(ann).conversation_id == cid
    ann.accept(cid)
    reply(mailq.db_url, "ann", cid, "我们再看一下。")
    again = [(kind, detail.get("via")) for kind, _, _, _, detail, _ in steps(mailq.db_url, cid)[6:]]
    assert again == [("reopened", None), ("entered", "reopened"), ("offered", None), ("answered", None),
                     ("first_reply", None)]


def test_an_offer_rejected_and_one_run_out_are_steps_of_the_same_visit(make_mailq):
    mailq = make_mailq(offer_seconds=1.0)
    clients = {name: mailq.desktop(name, channels=("email",)) for name in ("ann", "bob")}
    send(mailq, mail("发票有误"))
    first, work = first_offer(clients)
    second = "bob" if first == "ann" else "ann"
    clients[first].reject(work.conversation_id)
    cid = work.conversation_id
    assert offered(clients[second]).conversation_id == cid  # his turn, and he lets it run out
    assert offered(clients[first], 15).conversation_id == cid  # everyone said no: the round starts again
    mailq.wait_until(lambda: len(steps(mailq.db_url, cid)) >= 6, what="the steps in the log")
    log = [(kind, agent, detail.get("cause")) for kind, _, _, agent, detail, _ in steps(mailq.db_url, cid)]
    assert log[:6] == [("entered", None, None), ("offered", first, None), ("rejected", first, "rejected"),
                       ("offered", second, None), ("ring_no_answer", second, "not_answered"),
                       ("offered", first, None)]


def first_offer(clients: dict, timeout: float = 10.0) -> tuple[str, bus.WorkView]:
    """Which agent got the first offer, and what."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, client in clients.items():
            got = client.next_event(0.1)
            if got is not None and isinstance(got[1], bus.WorkOffered):
                return name, got[1].work
    raise TimeoutError("no offer came")


def test_steps_decided_while_the_database_is_down_are_in_the_log_once_each_when_it_is_back(make_mailq, private_pg):
    mailq = make_mailq(db_url=private_pg.url, offer_seconds=2.0, silent_seconds=60.0)
    ann = mailq.desktop("ann", channels=("email",))
    send(mailq, mail("路由器坏了"))
    cid = offered(ann).conversation_id
    bob = mailq.desktop("bob", channels=("email",))
    watcher = mailq.supervisor("sue")

    private_pg.stop()  # as in a crash, while the offer runs
    assert offered(bob, 10).conversation_id == cid  # ann's offer ran out: bob's now, kept in memory
    assert bob.accept(cid).state == "assigned"
    private_pg.start()
    watcher.wait_for(lambda e: isinstance(e, bus.MailqHeartbeat) and e.database_available, 15)
    mailq.wait_until(lambda: watcher.status().unsaved_decisions == 0, what="the decisions stored")
    bob.close_work(cid, outcome="resolved")
    log = steps(private_pg.url, cid)
    assert [(kind, agent) for kind, _, _, agent, _, _ in log] == [
        ("entered", None), ("offered", "ann"), ("ring_no_answer", "ann"), ("offered", "bob"), ("answered", "bob"),
        ("resolved", "bob")]
    assert len({key for *_, key in log}) == len(log)


def test_a_chat_its_customer_ends_before_anyone_takes_it_is_one_abandoned_contact(make_mailq):
    from test_mailq_faults import ChatCustomer

    mailq = make_mailq(silent_seconds=30.0)  # nobody available for chat: it waits
    customer = ChatCustomer(mailq)
    try:
        cid = customer.start()["conversation"]
        customer.say("Is anyone there?", "c-1")
        time.sleep(1.2)
        customer.socket.send('{"type": "end"}')
        mailq.wait_until(lambda: any(step[0] == "abandoned" for step in steps(mailq.db_url, cid)), 10,
                         "the abandoned chat in the log")
    finally:
        customer.close()
    logged = steps(mailq.db_url, cid)
    assert [(kind, channel) for kind, channel, *_ in logged] == [("entered", "chat"), ("abandoned", "chat")]
    (_, _, queue, _, entered, key), (_, _, same_queue, agent, abandoned, _) = logged
    assert entered == {"via": "new"} and key == f"conversation:{cid}:entered"
    assert queue == same_queue and agent is None
    assert 1.0 <= abandoned["wait"] < 10  # waited since the chat opened
