"""The email outbox through a real SMTP listener (aiosmtpd): stored first,
sent with its Message-ID in UTF-8, kept for later when the relay is away
or answers 4xx, failed with the reason on a 5xx."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm.clock import utcnow
from crm.permissions import Actor
from crm.services import outbox
from email_queue.outbox import Relay, send_due
from mail_harness import free_port, relay  # noqa: F401 - fixture

SYSTEM = Actor.system()


def queue(db, to="zhang.wei@example.cn", subject="您的投诉已登记", body="尊敬的张伟：\n\n您的投诉已登记。"):
    with db.unit_of_work() as s:
        return outbox.queue_email(s, SYSTEM, sender="service@cicada.example", to=to, subject=subject, body=body,
                                  contact_id="call-1").id


def status(db, email_id):
    with db.reading() as s:
        return outbox.status_of(s, [email_id])[0]


def test_queued_emails_are_sent_in_utf8_with_their_message_id(db, relay):
    inbox, address = relay
    first, second = queue(db), queue(db, to="li.na@example.com", subject="Your call", body="Thank you")
    results = send_due(db, address)
    assert [r.status for r in results] == ["sent", "sent"]
    chinese = inbox.messages[0]
    assert chinese["Subject"] == "您的投诉已登记" and chinese["To"] == "zhang.wei@example.cn"
    assert chinese.get_content().startswith("尊敬的张伟") and chinese["Message-ID"].endswith("@cicada.example>")
    assert status(db, first).status == "sent" and status(db, second).sent_at is not None
    assert send_due(db, address) == []  # nothing is sent twice


def test_an_unreachable_relay_keeps_the_email_queued_for_later(db):
    email_id = queue(db)
    result, = send_due(db, Relay("127.0.0.1", free_port(), timeout=2))
    assert result.status == "queued" and "cannot be reached" in result.error
    kept = status(db, email_id)
    assert (kept.status, kept.attempts) == ("queued", 1)
    with db.reading() as s:
        assert outbox.due(s) == []  # due again in a minute
        assert [e.id for e in outbox.due(s, now=utcnow() + timedelta(minutes=2))] == [email_id]


def test_a_4xx_answer_is_tried_again_and_a_5xx_fails_with_the_relays_words(db, relay):
    inbox, address = relay
    inbox.answer = "451 4.3.0 Try again later"
    email_id = queue(db)
    assert send_due(db, address)[0].status == "queued"
    inbox.answer = "550 5.1.1 No such mailbox"
    with db.unit_of_work() as s:  # make it due now
        from crm.models import OutboundEmail
        s.get(OutboundEmail, email_id).next_attempt_at = utcnow()
    result, = send_due(db, address)
    assert result.status == "failed" and "550" in result.error and "No such mailbox" in result.error
    assert status(db, email_id).attempts == 2 and inbox.messages == []


@pytest.mark.parametrize("field, value, complaint", [
    ("to", "zhang.wei@example.cn, boss@example.com", "not an email address"),
    ("to", "zhang.wei@example.cn\r\nBcc: x@y.cn", "not an email address"),
    ("subject", "Hi\r\nBcc: x@y.cn", "one line"),
    ("body", "  ", "text is required"),
])
def test_addresses_and_subjects_that_could_add_headers_are_refused(db, field, value, complaint):
    values = {"to": "zhang.wei@example.cn", "subject": "Hi", "body": "text"} | {field: value}
    from crm.errors import ValidationError

    with pytest.raises(ValidationError, match=complaint), db.unit_of_work() as s:
        outbox.queue_email(s, SYSTEM, sender="service@cicada.example", **values)
