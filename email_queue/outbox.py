"""Sending the outbox (crm.services.outbox) through the SMTP relay.

Each due email is sent as UTF-8 text with its stored Message-ID (and
In-Reply-To / References when it answers another), then marked sent. A
4xx answer or an unreachable relay is temporary: the email is due again
later. A 5xx answer fails it for good, with the relay's words, for the
agent to see.

The relay is reached in plain SMTP, with STARTTLS (`starttls`) or in
implicit TLS (`tls`, SMTPS on port 465); either TLS verifies the relay's
certificate and name against the system's CAs or `ca_file`. A relay that
refuses the login, whose certificate cannot be verified, or that does not
offer STARTTLS or AUTH when they are asked for is a configuration to fix:
the emails stay due, with the reason, and go out once it is fixed. The
password is never shown (repr) nor logged.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from datetime import UTC
from email.message import EmailMessage
from email.utils import format_datetime

from crm.db import Database
from crm.services import outbox

log = logging.getLogger(__name__)


SMTPS_PORT = 465
# OpenSSL's X509_V_ERR_ codes for a certificate no known CA vouches for
# (self-signed: 18, 19; issuer unknown: 20, 21).
UNKNOWN_ISSUER = {18, 19, 20, 21}


@dataclass(frozen=True)
class Relay:
    host: str = "127.0.0.1"
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False  # STARTTLS after connecting, required: never on in plain text
    timeout: float = 15.0
    tls: bool = False  # implicit TLS from the first byte (SMTPS, port 465)
    ca_file: str | None = None  # a private CA bundle for the relay's certificate; None: the system's

    @classmethod
    def parse(cls, address: str, **extra) -> Relay:
        """HOST:PORT or HOST (port 25, or 465 with `tls`)."""
        host, _, port = address.rpartition(":")
        if not host:
            return cls(host=address, port=SMTPS_PORT if extra.get("tls") else 25, **extra)
        return cls(host=host.strip("[]"), port=int(port), **extra)

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"

    def tls_context(self) -> ssl.SSLContext:
        """Verifies the relay's certificate and host name (against `ca_file` if given)."""
        return ssl.create_default_context(cafile=self.ca_file)


class RelayConfigError(Exception):
    """The relay is reached but cannot be used as configured (login, TLS): fix the
    configuration; the emails stay due."""


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
    except (OSError, smtplib.SMTPException, RelayConfigError) as exc:
        error = _connect_error(relay, exc)
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
    """A client ready to send: in TLS if asked for, logged in if a user is given."""
    context = None
    if relay.tls or relay.starttls:
        try:
            context = relay.tls_context()
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise RelayConfigError(f"the CA certificates {relay.ca_file} for the mail relay {relay.name} "
                                   f"cannot be read: {exc}") from None
    local = socket.getfqdn()
    if relay.tls:
        client = smtplib.SMTP_SSL(relay.host, relay.port, timeout=relay.timeout, local_hostname=local,
                                  context=context)
    else:
        client = smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout, local_hostname=local)
    try:
        if relay.starttls:
            client.ehlo_or_helo_if_needed()
            if not client.has_extn("starttls"):
                raise RelayConfigError(f"the mail relay {relay.name} does not offer STARTTLS, which the "
                                       "configuration requires (starttls = true): nothing is sent unencrypted")
            client.starttls(context=context)
        if relay.username:
            client.ehlo_or_helo_if_needed()
            if not client.has_extn("auth"):
                hint = "" if relay.tls or relay.starttls else " (some relays offer it only over TLS: starttls or tls)"
                raise RelayConfigError(f"the mail relay {relay.name} does not offer AUTH for the login of "
                                       f"{relay.username}{hint}")
            client.login(relay.username, relay.password or "")
    except BaseException:
        client.close()
        raise
    return client


def _connect_error(relay: Relay, exc: BaseException) -> str:
    """Why no email could be sent, for the emails (never with the password)."""
    if isinstance(exc, RelayConfigError):
        return str(exc)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"the mail relay {relay.name} refused the login of {relay.username}: {_answer(exc)}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason or str(exc)
        hint = " (a relay with a certificate of a private CA needs its ca_file)" if (
            exc.verify_code in UNKNOWN_ISSUER and not relay.ca_file) else ""
        return f"the certificate of the mail relay {relay.name} could not be verified: {reason}{hint}"
    if isinstance(exc, ssl.SSLError):
        return f"no TLS connection with the mail relay {relay.name}: {exc}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the mail relay {relay.name} answered {_answer(exc)}"
    return f"the mail relay {relay.name} cannot be reached: {exc}"


def _answer(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}"


def _record(database: Database, email_id: int, error: str, *, temporary: bool) -> Delivery:
    with database.unit_of_work() as session:
        outbox.mark_failed(session, email_id, error, temporary=temporary)
        status = outbox.status_of(session, [email_id])[0].status
    return Delivery(email_id, status, error)
