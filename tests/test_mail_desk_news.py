"""The desktop's model of the mail queue's news (no Qt): queue counts from
the login's status and from events, and deliveries that failed or were sent."""

from __future__ import annotations

from agent_desktop.mail_desk import MailDesk
from bus import mailq


def queue(name, waiting):
    return mailq.QueueView(name=name, mode="pull", waiting=waiting, oldest_wait=0.0)


def delivery(email_id, status, cid=7):
    return mailq.DeliveryDone(agent="ann", conversation_id=cid, email_id=email_id, status=status,
                              to_address="li@example.cn", subject="Re: hi", error="550 no" if status == "failed" else None)


def test_queue_counts_come_from_the_status_then_from_events_for_the_agents_queues_only():
    desk, changes = MailDesk(), []
    desk.subscribe(changes.append)
    desk.queues = ["sales", "service"]
    desk.apply_queues([queue("sales", 2), queue("service", 1), queue("vip", 9)])
    assert (desk.waiting(), desk.waiting("sales"), desk.waiting("vip")) == (3, 2, 9)
    desk.apply_event(None, mailq.QueueChanged(queue=queue("sales", 5)))
    assert desk.waiting() == 6 and changes == ["queue", "queue"]


def test_a_failed_delivery_is_kept_until_it_is_sent():
    desk, changes = MailDesk(), []
    desk.subscribe(changes.append)
    desk.apply_event(None, delivery(1, "failed"))
    assert list(desk.failed_deliveries) == [1] and changes == ["delivery:7"]
    desk.apply_event(None, delivery(1, "sent"))
    assert desk.failed_deliveries == {}
    desk.apply_event(None, delivery(2, "failed", cid=None))  # a follow-up email of no conversation
    assert changes[-1] == "delivery:0"
