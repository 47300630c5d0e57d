"""Sending the outbox (crm.services.outbox) through the SMTP relay.

Each due email is sent as UTF-8 text with its stored Message-ID (and
In-Reply-To / References when it answers another), then marked sent. A
4xx answer or an unreachable relay is temporary: the email is due again
later. A 5xx answer fails it for good, with the relay's words, for the
agent to see.
"""

from __future__ import annotations

import logging
import smtplib
import socket
from dataclasses import dataclass
from datetime import UTC
from email.message import EmailMessage
from email.utils import format_datetime

from crm.db import Database
from crm.services import outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Relay:
    host: str = "127.0.0.1"
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 15.0

    @classmethod
    def parse(cls, address: str, **extra) -> Relay:
        host, _, port = address.rpartition(":")
        if not host:
            return cls(host=address, **extra)
        return cls(host=host.strip("[]"), port=int(port), **extra)


@dataclass(frozen=True)
class Delivery:
    email_id: int
    status: str  # sent, queued (to try again), failed
    error: str | None = None


def build_message(email, attachments=()) -> EmailMessage:
    message = EmailMessage()
    message["From"] = email.sender
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Message-ID"] = email.message_id
    message["Date"] = format_datetime(email.created_at.replace(tzinfo=UTC))
    if email.cc:
        message["Cc"] = email.cc
    if email.in_reply_to:
        message["In-Reply-To"] = email.in_reply_to
        message["References"] = email.reference_ids or email.in_reply_to
    message.set_content(email.body_text, charset="utf-8")
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(attachment.content, maintype=maintype or "application",
                               subtype=subtype or "octet-stream", filename=attachment.filename)
    return message


def send_due(database: Database, relay: Relay, *, created_by: int | None = None, limit: int = 50,
             ids: list[int] | None = None) -> list[Delivery]:
    """Send what is due (only `ids`, or one user's, if given); one connection for all."""
    with database.reading() as session:
        pending = outbox.due(session, limit=limit, created_by=created_by)
        if ids is not None:
            pending = [e for e in pending if e.id in ids]
        attachments = outbox.attachments_of(session, [e.id for e in pending])
        messages = [(e.id, e.sender, [e.to_address, *outbox.copies(e)], build_message(e, attachments.get(e.id, ())))
                    for e in pending]
    if not messages:
        return []
    results: list[Delivery] = []
    try:
        client = _connect(relay)
    except (OSError, smtplib.SMTPException) as exc:
        error = f"the mail relay {relay.host}:{relay.port} cannot be reached: {exc}"
        log.warning("%s", error)
        for email_id, *_ in messages:
            results.append(_record(database, email_id, error, temporary=True))
        return results
    try:
        for email_id, sender, to, message in messages:
            try:
                refused = client.send_message(message, from_addr=sender, to_addrs=to)
            except smtplib.SMTPResponseException as exc:
                temporary = 400 <= exc.smtp_code < 500
                text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
                results.append(_record(database, email_id, f"{exc.smtp_code} {text}", temporary=temporary))
                continue
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()))
                results.append(_record(database, email_id, f"{code} {text.decode(errors='replace')}",
                                       temporary=400 <= code < 500))
                continue
            except (OSError, smtplib.SMTPException) as exc:
                results.append(_record(database, email_id, f"sending failed: {exc}", temporary=True))
                break  # the connection is gone; the rest stay due
            if refused:
                code, text = next(iter(refused.values()))
                results.append(_record(database, email_id, f"{code} {text.decode(errors='replace')}",
                                       temporary=400 <= code < 500))
                continue
            with database.unit_of_work() as session:
                outbox.mark_sent(session, email_id)
            results.append(Delivery(email_id, outbox.SENT))
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return results


def _connect(relay: Relay) -> smtplib.SMTP:
    client = smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout, local_hostname=socket.getfqdn())
    if relay.starttls:
        client.starttls()
    if relay.username:
        client.login(relay.username, relay.password or "")
    return client


def _record(database: Database, email_id: int, error: str, *, temporary: bool) -> Delivery:
    with database.unit_of_work() as session:
        outbox.mark_failed(session, email_id, error, temporary=temporary)
        status = outbox.status_of(session, [email_id])[0].status
    return Delivery(email_id, status, error)
