"""Delivery results in the CRM (SQLite and PostgreSQL): who wrote an email
that was sent or failed, the inbox's failed deliveries and recently closed
conversations, and Retry by the writer only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_conversations import agent, raw_mail, receive

from crm.clock import utcnow
from crm.errors import Conflict, PermissionDenied
from crm.services import outbox
from crm.services.conversations import answering, handling, queueing, reading


def answered(db, ann, subject, sender, message_id, *, now):
    received = receive(db, raw_mail(sender=sender, subject=subject, message_id=message_id), now=now)
    with db.unit_of_work() as s:
        queueing.set_assignment(s, received.conversation_id, "assigned", "ann")
        email_id = answering.reply(s, ann, received.conversation_id, body="answer", now=now).outbound_email_id
    return received.conversation_id, email_id


def test_failed_deliveries_and_recently_closed_are_listed_and_a_failed_email_is_retried_by_its_writer(db):
    ann, bob = agent(db, "ann"), agent(db, "bob")
    now = utcnow()
    failed_cid, failed_email = answered(db, ann, "Bounced", "a@example.com", "<a@example.com>", now=now)
    sent_cid, sent_email = answered(db, ann, "Fine", "b@example.com", "<b@example.com>", now=now)
    old_cid, _ = answered(db, ann, "Long ago", "c@example.com", "<c@example.com>", now=now - timedelta(days=30))
    with db.unit_of_work() as s:
        outbox.mark_failed(s, failed_email, "550 no such user", temporary=False)
        outbox.mark_sent(s, sent_email)
        handling.close(s, ann, failed_cid, now=now)
        handling.close(s, ann, old_cid, now=now - timedelta(days=30))
    with db.reading() as s:
        owners = outbox.owners_of(s, [failed_email, sent_email])
        assert [(o.username, o.conversation_id, o.status, o.error) for o in owners] == [
            ("ann", failed_cid, "failed", "550 no such user"), ("ann", sent_cid, "sent", None)]
        assert [r.conversation_id for r in reading.inbox(s, ann, only="failed")] == [failed_cid]
        assert reading.inbox(s, bob, only="failed") == []  # her emails, not his
        assert [r.conversation_id for r in reading.inbox(s, ann, only="closed")] == [failed_cid]
        assert [r.conversation_id for r in reading.inbox(s, ann)] == [sent_cid]

    with pytest.raises(PermissionDenied), db.unit_of_work() as s:
        outbox.retry(s, bob, failed_email)
    with db.unit_of_work() as s:
        assert answering.retry_failed(s, ann, failed_cid) == [failed_email]
    with db.reading() as s:
        status = outbox.status_of(s, [failed_email])[0]
        assert (status.status, status.attempts, status.last_error) == ("queued", 0, None)
        assert failed_email in [e.id for e in outbox.due(s)]  # due now
        assert reading.inbox(s, ann, only="failed") == []
    with pytest.raises(Conflict), db.unit_of_work() as s:
        answering.retry_failed(s, ann, failed_cid)  # nothing failed any more
