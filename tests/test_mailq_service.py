"""`cicada mailq` as it runs: emails over real SMTP stored before 250,
refused for unknown addresses and when too big, threaded, matched to the
customer, routed to a desktop's bus client, answered through a real SMTP
relay with threading headers, and requeued when the agent leaves."""

from __future__ import annotations

import asyncio
import smtplib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from desktop_harness import add_person
from imap_harness import dovecot_fixture
from mail_harness import relay
from mailq_harness import SALES, SERVICE, make_mailq
from sqlalchemy import select

from bus import mailq as bus
from crm.db import Database
from crm.models import BusinessPartner, ConversationMessage, Interaction, RawEmail
from crm.services.conversations import answering, reading
from crm.services.conversations.queueing import WorkItem
from crm.services.users import actor_for
from bus.keys import new_keypair
from email_queue.client import MailqError
from email_queue.config import load_mailq_config
from email_queue.service import MailqService
from email_queue.service_base import work_of

pytestmark = pytest.mark.slow


def mail(sender: str, to: str, subject: str, body: str, **headers) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = headers.pop("message_id", make_msgid(domain="example.cn"))
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def send(mailq, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", mailq.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


def event_of(client, kind, timeout=10.0):
    return client.wait_for(lambda e: isinstance(e, kind), timeout)


def test_mail_is_stored_before_250_and_refused_for_strangers_and_when_too_big(make_mailq):
    mailq = make_mailq(max_message_mb=0.05)
    send(mailq, mail("li.na@example.cn", SERVICE, "发票有误", "您好，十一月的发票金额不对。"))
    stored = mailq.conversations()  # right after the 250: already in the database
    assert [(c.subject, c.queue, c.status) for c in stored] == [("发票有误", "service", "queued")]
    with smtplib.SMTP("127.0.0.1", mailq.smtp_port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.send_message(mail("li.na@example.cn", "nobody@cicada.example", "hi", "text"))
        assert refused.value.recipients["nobody@cicada.example"][0] == 550
        with pytest.raises(smtplib.SMTPResponseException) as too_big:
            smtp.send_message(mail("li.na@example.cn", SERVICE, "big", "x" * 200_000))
        assert too_big.value.smtp_code == 552
    assert len(mailq.conversations()) == 1
    database = Database.open(mailq.db_url)
    with database.reading() as session:
        raw = session.scalar(select(RawEmail))
        assert b"Subject:" in raw.source and raw.via == "smtp" and raw.mailbox == SERVICE
    database.dispose()


def test_an_email_reaches_an_agent_is_answered_and_the_reply_threads(make_mailq, relay):
    inbox, smtp_relay = relay
    mailq = make_mailq(relay_port=smtp_relay.port)
    partner_id = add_person(mailq.db_url, "王", "芳", emails=["wang.fang@example.cn"], phones=["13900001111"])
    ann = mailq.desktop("ann")
    first = mail("Wang Fang <wang.fang@example.cn>", SERVICE, "路由器坏了", "路由器每小时重启一次。")
    send(mailq, first)
    offer = event_of(ann, bus.WorkOffered)
    assert (offer.work.channel, offer.work.queue, offer.work.subject) == ("email", "service", "路由器坏了")
    assert offer.work.customer == "Wang Fang"
    ann.accept(offer.work.conversation_id)
    cid = offer.work.conversation_id

    database = Database.open(mailq.db_url)
    with database.unit_of_work() as session:
        actor = actor_for(session, "ann")
        view = reading.conversation_view(session, actor, cid)
        assert view.partner_id == partner_id and view.assigned_to == "ann"
        answering.reply(session, actor, cid, body="我们明天派工程师上门。")
    ann.command(bus.SendNow)
    mailq.wait_until(lambda: len(inbox.messages) == 1, what="the reply at the relay")
    answer = inbox.messages[0]
    assert answer["To"] == "wang.fang@example.cn" and answer["From"] == SERVICE
    assert answer["Subject"] == "Re: 路由器坏了"
    assert answer["In-Reply-To"] == first["Message-ID"] and first["Message-ID"] in answer["References"]

    # the customer answers the reply: same conversation, and ann hears of it
    send(mailq, mail("wang.fang@example.cn", SERVICE, "Re: 路由器坏了", "好的，谢谢。",
                     In_Reply_To=answer["Message-ID"], References=f"{first['Message-ID']} {answer['Message-ID']}"))
    news = event_of(ann, bus.NewMessage)
    assert news.conversation_id == cid
    # the same message again (a retrying server) is stored once
    send(mailq, mail("wang.fang@example.cn", SERVICE, "Re: 路由器坏了", "好的，谢谢。", message_id=first["Message-ID"]))
    with database.reading() as session:
        kinds = list(session.scalars(select(ConversationMessage.kind).where(
            ConversationMessage.conversation_id == cid).order_by(ConversationMessage.id)))
        assert kinds == ["inbound", "outbound", "inbound"]
    ann.close_work(cid, outcome="resolved", notes="engineer booked")
    with database.reading() as session:
        record = session.scalar(select(Interaction).where(Interaction.external_id == f"conversation:{cid}"))
        assert (record.channel, record.status, record.partner_id, record.outcome_code) == (
            "email", "closed", partner_id, "resolved")
        assert record.agent_id is not None
    database.dispose()


def test_routing_rules_and_the_group_inbox(make_mailq):
    mailq = make_mailq()
    vip = add_person(mailq.db_url, "赵", "强", emails=["zhao@example.cn"])
    database = Database.open(mailq.db_url)
    with database.unit_of_work() as session:
        session.get(BusinessPartner, vip).value_class = "A"
    database.dispose()
    send(mailq, mail("zhao@example.cn", SERVICE, "hello", "question"))
    send(mailq, mail("someone@example.com", SERVICE, "About my refund", "where is it"))
    send(mailq, mail("buyer@example.com", SALES, "Offer for 20 routers", "please quote"))
    rows = {c.subject: (c.queue, c.priority) for c in mailq.conversations()}
    assert rows == {"hello": ("vip", 1), "About my refund": ("service", 2), "Offer for 20 routers": ("sales", 5)}
    bob = mailq.desktop("bob", queues=["sales"])
    pushed = []
    while (got := bob.next_event(0.5)) is not None:
        pushed.append(got[1])
    assert not any(isinstance(e, bus.WorkOffered) for e in pushed)  # a pull queue waits to be taken
    sales = next(c for c in mailq.conversations() if c.queue == "sales")
    assert sales.status == "queued"
    taken = bob.pull(sales.id)
    assert taken.state == "assigned"
    ann = mailq.desktop("ann", queues=["sales"])
    with pytest.raises(MailqError) as refused:
        ann.pull(sales.id)
    assert refused.value.code == "taken"


def test_work_goes_back_when_the_agent_logs_off_or_goes_silent(make_mailq):
    mailq = make_mailq()
    ann = mailq.desktop("ann")
    send(mailq, mail("a@example.com", SERVICE, "one", "text"))
    offer = event_of(ann, bus.WorkOffered)
    ann.accept(offer.work.conversation_id)
    ann.logout()
    mailq.wait_until(lambda: mailq.conversations()[0].status == "queued", what="requeued after log off")
    bob = mailq.desktop("bob")
    again = event_of(bob, bus.WorkOffered)
    assert again.work.conversation_id == offer.work.conversation_id
    bob.accept(again.work.conversation_id)
    # bob's desktop dies without a word: after silent_seconds his work is free again
    mailq.wait_until(lambda: mailq.conversations()[0].status == "queued", timeout=10,
                     what="requeued after silence")


def test_assigned_work_survives_a_restart_of_the_queue(make_mailq):
    mailq = make_mailq(silent_seconds=30.0)
    ann = mailq.desktop("ann")
    send(mailq, mail("a@example.com", SERVICE, "one", "text"))
    cid = event_of(ann, bus.WorkOffered).work.conversation_id
    ann.accept(cid)
    mailq.restart()
    ann = mailq.desktop("ann")
    assert [w.conversation_id for w in ann.snapshot().work] == [cid]
    assert mailq.conversations()[0].status == "assigned"


def test_mail_polled_from_an_imap_mailbox_is_stored_then_moved(make_mailq, dovecot):
    dovecot.append(mail("zhou@example.cn", "support@cicada.example", "账单问题", "请回电。").as_bytes())
    mailq = make_mailq(imap=[{"host": "127.0.0.1", "port": dovecot.port, "username": dovecot.user,
                              "password": dovecot.password, "ssl": False, "address": "support@cicada.example",
                              "poll_seconds": 1.0}])
    mailq.wait_until(lambda: len(mailq.conversations()) == 1, what="the IMAP message stored")
    assert mailq.conversations()[0].mailbox == "support@cicada.example"
    mailq.wait_until(lambda: not dovecot.messages("INBOX") and len(dovecot.messages("Processed")) == 1,
                     what="the message moved to Processed")
    assert dovecot.password not in mailq.log()


def test_the_demo_customers_email_is_answered_into_the_sent_folder(make_mailq, tmp_path):
    from agent_desktop.demo import DemoCalls, send_email

    sent = tmp_path / "sent-mail"
    mailq = make_mailq(args=("--sent-folder", str(sent)))
    calls = DemoCalls(sip_address="127.0.0.1:5060", dnis="4001", smtp_address=f"127.0.0.1:{mailq.smtp_port}")
    subject = send_email(calls, "张伟", "zhang.wei@example.cn")
    ann = mailq.desktop("ann")
    offer = event_of(ann, bus.WorkOffered)
    assert offer.work.subject == subject and offer.work.customer == "张伟"
    ann.accept(offer.work.conversation_id)
    database = Database.open(mailq.db_url)
    with database.unit_of_work() as session:
        answering.reply(session, actor_for(session, "ann"), offer.work.conversation_id, body="已收到。")
    database.dispose()
    ann.command(bus.SendNow)
    delivered = mailq.wait_until(lambda: list(sent.glob("*.eml")), what="the reply in the sent folder")
    assert b"zhang.wei@example.cn" in delivered[0].read_bytes()


def assigned_email(mailq, client, subject: str) -> int:
    send(mailq, mail("li.na@example.cn", SERVICE, subject, "text"))
    offer = event_of(client, bus.WorkOffered)
    client.accept(offer.work.conversation_id)
    return offer.work.conversation_id


def test_an_email_transferred_to_a_colleague_with_a_note_becomes_his(make_mailq):
    mailq = make_mailq()
    ann = mailq.desktop("ann")
    cid = assigned_email(mailq, ann, "发票有误")
    bob = mailq.desktop("bob", channels=())
    with pytest.raises(MailqError) as unavailable:
        ann.transfer(cid, agent="bob")
    assert unavailable.value.code == "target_not_available"
    bob.set_available("email", True)
    targets = ann.transfer_targets()
    assert targets.queues == ["service", "vip", "sales", "web-chat"]
    assert [(a.agent, a.room) for a in targets.agents] == [("bob", {"email": True, "chat": False})]
    with pytest.raises(MailqError) as not_hers:
        bob.transfer(cid, queue="sales")
    assert not_hers.value.code == "not_assigned"

    with pytest.raises(MailqError) as too_long:
        ann.transfer(cid, agent="bob", note="x" * 501)
    assert too_long.value.code == "validationerror"
    assert [w.conversation_id for w in ann.snapshot().work] == [cid]  # refused before anything moved
    ann.transfer(cid, agent="bob", note="customer wants a quote")
    assert event_of(ann, bus.WorkWithdrawn).conversation_id == cid
    offer = event_of(bob, bus.WorkOffered)
    assert (offer.work.conversation_id, offer.work.transferred_by, offer.work.transfer_note) == (
        cid, "Ann", "customer wants a quote")
    assert ann.snapshot().work == []  # her capacity is free at once
    assert bob.accept(cid).state == "assigned"
    database = Database.open(mailq.db_url)
    with database.reading() as session:
        view = reading.conversation_view(session, actor_for(session, "bob"), cid)
        assert (view.assigned_to, view.queue, view.status) == ("bob", "service", "assigned")
        assert [(m.kind, m.text) for m in view.messages][-1] == (
            "note", "Transferred to Bob by Ann: customer wants a quote")
        record = session.get(Interaction, view.interaction_id)
        assert record.agent_id == actor_for(session, "bob").user_id
    database.dispose()


def test_an_email_transferred_to_a_queue_is_routed_there(make_mailq):
    mailq = make_mailq()
    ann = mailq.desktop("ann", queues=["service", "vip"])
    first, second = assigned_email(mailq, ann, "one"), assigned_email(mailq, ann, "two")
    bob = mailq.desktop("bob", queues=["vip"])
    with pytest.raises(MailqError) as unknown:
        ann.transfer(first, queue="billing")
    assert unknown.value.code == "unknown_queue"
    ann.transfer(first, queue="vip", note="a key account")
    offer = event_of(bob, bus.WorkOffered)  # not back to ann, though she is in vip and has room
    assert (offer.work.conversation_id, offer.work.queue, offer.work.transferred_by) == (first, "vip", "Ann")
    ann.transfer(second, queue="sales")  # a pull queue: it waits in the group inbox
    rows = {c.id: (c.queue, c.status, c.assigned_to_id) for c in mailq.conversations()}
    assert rows[second] == ("sales", "queued", None) and rows[first][:2] == ("vip", "offered")
    assert ann.snapshot().work == []


def test_the_service_forgets_what_it_kept_of_a_conversation_once_closed():
    """What offers show and the chat tokens seen are kept per open conversation
    only: a service that runs for months must not grow with every one it saw."""
    service = MailqService(load_mailq_config({}), "sqlite://", keypair=new_keypair())
    item = WorkItem(7, "chat", "web-chat", 5, "assigned", datetime.now(UTC), None, "ann", "", "Mei Lin")
    service.meta[7], service.chat_ids["a-token"] = item, 7
    service.router.add(work_of(item))
    with ThreadPoolExecutor(1) as thread:  # asyncio.run off this thread: the browser tests keep a loop here
        thread.submit(asyncio.run, service._finished(7)).result()
    service.pool.shutdown()
    assert 7 not in service.meta and service.chat_ids == {} and 7 not in service.router.items
