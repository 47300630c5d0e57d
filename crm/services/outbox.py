"""The outbox: emails to customers, stored before they are sent.

An email is written here in the same transaction as whatever asked for it
(a follow-up from the action box, a reply), so an email the agent saw
accepted is never lost. A sender (email_queue.outbox) takes the due ones,
and marks each sent, or due again later after a temporary failure, or
failed with the reason after a permanent one or too many attempts; the
agent sees the status.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import texts
from crm.clock import utcnow
from crm.errors import Conflict, NotFound, PermissionDenied, ValidationError
from crm.models import (
    BusinessPartner,
    ConversationMessage,
    MessageAttachment,
    OutboundEmail,
    User,
)
from crm.permissions import Actor, Permission, require_read
from crm.work_types import EmailStatus

QUEUED, SENT, FAILED = "queued", "sent", "failed"
MAX_ATTEMPTS = 8
SUBJECT_LENGTH = 250
BODY_LENGTH = 200_000
# One address: no spaces, controls, commas or angle brackets (nothing that
# could add a recipient or a header), one @ with a dotted domain.
_ADDRESS = re.compile(r"^[^\s@<>,;:\"()\[\]\\]+@[^\s@<>,;:\"()\[\]\\]+\.[^\s@<>,;:\"()\[\]\\]+$")


def check_address(address: str, what: str = "the address") -> str:
    address = (texts.check(address, what) or "").strip()
    if not _ADDRESS.match(address) or len(address) > 254:
        raise ValidationError(f"{what} is not an email address: {address!r}")
    return address


def queue_email(session: Session, actor: Actor, *, sender: str, to: str, subject: str, body: str,
                partner_id: int | None = None, interaction_id: int | None = None,
                contact_id: str | None = None, in_reply_to: str | None = None,
                cc: list[str] | None = None, references: list[str] | None = None) -> OutboundEmail:
    """Store an email to send; ValidationError for a bad address, subject or body."""
    sender = check_address(sender, "the sender")
    to = check_address(to, "the recipient")
    copies = [check_address(address, "a copy's address") for address in cc or ()]
    texts.check_each({"the subject": subject, "the text": body})
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError("the subject is required")
    if "\n" in subject or "\r" in subject or len(subject) > SUBJECT_LENGTH:
        raise ValidationError(f"the subject is one line of at most {SUBJECT_LENGTH} characters")
    if not (body or "").strip():
        raise ValidationError("the text is required")
    if len(body) > BODY_LENGTH:
        raise ValidationError(f"the text has at most {BODY_LENGTH} characters")
    if partner_id is not None:
        partner = session.get(BusinessPartner, partner_id)
        if partner is None:
            raise NotFound(f"No business partner with id {partner_id}.")
        require_read(session, actor, partner)
    domain = sender.rsplit("@", 1)[1]
    email = OutboundEmail(message_id=f"<{uuid.uuid4().hex}@{domain}>", partner_id=partner_id,
                          interaction_id=interaction_id, contact_id=contact_id, created_by_id=actor.user_id,
                          sender=sender, to_address=to, subject=subject, body_text=body,
                          in_reply_to=in_reply_to, status=QUEUED, cc=", ".join(copies) or None,
                          reference_ids=" ".join(references or ()) or None)
    session.add(email)
    session.flush()
    return email


def copies(email: OutboundEmail) -> list[str]:
    return [address.strip() for address in (email.cc or "").split(",") if address.strip()]


def attachments_of(session: Session, email_ids: list[int]) -> dict[int, list[MessageAttachment]]:
    """The files to send with each email: those of the conversation's reply it carries."""
    if not email_ids:
        return {}
    rows = session.execute(select(ConversationMessage.outbound_email_id, MessageAttachment)
                           .join(MessageAttachment, MessageAttachment.message_id == ConversationMessage.id)
                           .where(ConversationMessage.outbound_email_id.in_(email_ids))
                           .order_by(MessageAttachment.id))
    found: dict[int, list[MessageAttachment]] = {}
    for email_id, attachment in rows:
        if email_id is not None:  # always: the query asks for these ids
            found.setdefault(email_id, []).append(attachment)
    return found


def due(session: Session, *, limit: int = 50, now: datetime | None = None,
        created_by: int | None = None) -> list[OutboundEmail]:
    """Queued emails whose time has come, oldest first (only one user's, if given)."""
    stmt = (select(OutboundEmail)
            .where(OutboundEmail.status == QUEUED, OutboundEmail.next_attempt_at <= (now or utcnow()))
            .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id).limit(limit))
    if created_by is not None:
        stmt = stmt.where(OutboundEmail.created_by_id == created_by)
    return list(session.scalars(stmt))


def mark_sent(session: Session, email_id: int) -> None:
    email = _email(session, email_id)
    email.status, email.sent_at, email.last_error = SENT, utcnow(), None
    email.attempts += 1


def mark_failed(session: Session, email_id: int, error: str, *, temporary: bool,
                now: datetime | None = None) -> None:
    """A failed attempt: due again later (1, 2, 4 ... minutes) if temporary and
    attempts remain, else failed for good."""
    email = _email(session, email_id)
    email.attempts += 1
    email.last_error = error[:500]
    if temporary and email.attempts < MAX_ATTEMPTS:
        email.next_attempt_at = (now or utcnow()) + timedelta(minutes=2 ** (email.attempts - 1))
    else:
        email.status = FAILED


@dataclass(frozen=True)
class DeliveryOwner:
    """Who should hear how an email went: the user who wrote it, and the conversation it answers."""

    email_id: int
    username: str
    conversation_id: int | None
    to_address: str
    subject: str
    status: str
    error: str | None


def owners_of(session: Session, email_ids: list[int]) -> list[DeliveryOwner]:
    """The writers of these emails (emails written by no user, the system's, left out)."""
    if not email_ids:
        return []
    rows = session.execute(
        select(OutboundEmail, User.username, ConversationMessage.conversation_id)
        .join(User, User.id == OutboundEmail.created_by_id)
        .outerjoin(ConversationMessage, ConversationMessage.outbound_email_id == OutboundEmail.id)
        .where(OutboundEmail.id.in_(email_ids)).order_by(OutboundEmail.id))
    return [DeliveryOwner(e.id, username, conversation_id, e.to_address, e.subject, e.status, e.last_error)
            for e, username, conversation_id in rows]


def retry(session: Session, actor: Actor, email_id: int) -> OutboundEmail:
    """A failed email due again at once, with a fresh count of attempts: the agent
    fixed what was wrong (or the relay is back) and tries again."""
    email = _email(session, email_id)
    if email.created_by_id != actor.user_id and not actor.can(Permission.INTERACTION_READ_ANY):
        raise PermissionDenied(f"{actor.username} may not send email {email_id} again: someone else wrote it")
    if email.status != FAILED:
        raise Conflict(f"email {email_id} has not failed (it is {email.status})")
    email.status, email.attempts, email.last_error, email.next_attempt_at = QUEUED, 0, None, utcnow()
    return email


def status_of(session: Session, email_ids: list[int]) -> list[EmailStatus]:
    rows: Iterable[OutboundEmail] = session.scalars(select(OutboundEmail).where(OutboundEmail.id.in_(email_ids))
                           .order_by(OutboundEmail.id)) if email_ids else []
    return [EmailStatus(e.id, e.to_address, e.subject, e.status, e.attempts, e.last_error, e.sent_at)
            for e in rows]


def statuses_for(session: Session, actor: Actor, email_ids: list[int]) -> list[EmailStatus]:
    """The status of emails the actor queued (anyone's, with the right to read every
    interaction); PermissionDenied for another's. Ids of no email are left out."""
    rows = session.scalars(select(OutboundEmail).where(OutboundEmail.id.in_(email_ids))
                           .order_by(OutboundEmail.id)).all() if email_ids else []
    if not actor.can(Permission.INTERACTION_READ_ANY):
        others = [e.id for e in rows if e.created_by_id is None or e.created_by_id != actor.user_id]
        if others:
            raise PermissionDenied(f"{actor.username} may not see email {others[0]}: someone else wrote it")
    return [EmailStatus(e.id, e.to_address, e.subject, e.status, e.attempts, e.last_error, e.sent_at)
            for e in rows]


def _email(session: Session, email_id: int) -> OutboundEmail:
    email = session.get(OutboundEmail, email_id)
    if email is None:
        raise NotFound(f"No outbound email {email_id}.")
    return email
