"""Conversations as their readers see them: the inbox's rows, a conversation with
its messages and attachments, a new attachment, the limits and the subjects of
answers. Plain Python, without the database's library, so the desktop (which
gets these through the application service) and the services share them;
crm.services.conversations (reading) makes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

NOTE_LENGTH = 20_000
# What one reply may carry: mail servers commonly refuse messages over about 25 MB.
REPLY_ATTACHMENTS = 20
ATTACHMENT_BYTES = 20_000_000  # one file
REPLY_ATTACHMENT_BYTES = 25_000_000  # all the files of one reply
TRANSFER_NOTE_LENGTH = 500  # a line or two for the colleague, shown with the offer
# The client_id of the line stored when the customer ends a chat (the agent's
# to read; the customer's transcript leaves it out); never one of the widget's.
CUSTOMER_ENDED_ID = "cicada:customer-ended"
CUSTOMER_ENDED_TEXT = "The customer ended the chat."
# The line stored when a customer's page has been gone too long (the chat is
# abandoned); for the agent and the record, not shown to the customer.
CUSTOMER_LEFT_ID = "cicada:customer-left"
CUSTOMER_LEFT_TEXT = "The customer left the chat (the page was closed and did not come back)."
AGENT_ONLY_LINES = (CUSTOMER_ENDED_ID, CUSTOMER_LEFT_ID)  # client_ids of lines the customer's transcript leaves out
_REPLY_PREFIX = re.compile(
    r"\s*(?:re|fwd?|aw|wg|sv|vs|antw|tr|rif|enc|res|odp|回复|回覆|答复|答覆|转发|轉發|轉寄)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*[:：]",
    re.IGNORECASE,
)
_SUBJECT_TAG = re.compile(r"\s*(\[[^\[\]]*\])")


def strip_reply_prefixes(subject: str) -> str:
    """The subject without reply and forward prefixes ("Re:", "AW:", "回复：", "Re[2]:"...).

    Bracketed tags such as "[Ticket #12]" stay, and prefixes after them go too.
    """
    tags: list[str] = []
    rest = subject or ""
    while match := _SUBJECT_TAG.match(rest) or _REPLY_PREFIX.match(rest):
        if match.re is _SUBJECT_TAG:
            tags.append(match.group(1))
        rest = rest[match.end():]
    return " ".join(" ".join([*tags, rest]).split())


def answer_subject(subject: str, *, forward: bool = False) -> str:
    """The subject of a reply ("Re: ...") or forward ("Fwd: ..."): one prefix, however many it had."""
    return f"{'Fwd' if forward else 'Re'}: {strip_reply_prefixes(subject)}".strip()


@dataclass(frozen=True)
class InboxRow:
    conversation_id: int
    channel: str
    queue: str
    priority: int
    status: str
    subject: str
    customer: str
    partner_id: int | None
    assigned_to: str | None
    created_at: datetime
    last_message_at: datetime
    due_at: datetime | None
    first_response_at: datetime | None
    messages: int


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    filename: str
    content_type: str
    size: int
    content_id: str | None
    inline: bool


@dataclass(frozen=True)
class MessageView:
    id: int
    kind: str
    author: str
    sender: str | None
    recipients: str | None
    subject: str | None
    text: str
    html: str | None
    has_remote_images: bool
    at: datetime
    message_id: str | None
    defects: str | None
    attachments: tuple[AttachmentInfo, ...]
    delivery: str | None = None  # outbound email: queued, sent, failed
    delivery_error: str | None = None


@dataclass(frozen=True)
class ConversationView:
    id: int
    channel: str
    mailbox: str
    queue: str
    status: str
    subject: str
    customer_name: str
    customer_address: str | None
    customer_phone: str | None
    partner_id: int | None
    interaction_id: int | None
    assigned_to: str | None
    created_at: datetime
    due_at: datetime | None
    first_response_at: datetime | None
    messages: tuple[MessageView, ...] = field(default=())


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content_type: str
    content: bytes
