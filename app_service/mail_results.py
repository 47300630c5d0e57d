"""What the mail routes return beside the `crm` services' own dataclasses
(InboxRow, ConversationView); free of any web framework,
so the desktop reads them too."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stored:
    """A message stored in a conversation: a reply (its email waits in the outbox) or a note."""

    id: int


@dataclass(frozen=True)
class Requeued:
    """The emails that had failed for good, due again at once."""

    email_ids: list[int]


@dataclass(frozen=True)
class RenderedText:
    """A reply template rendered in the sandbox; `warnings` say what could not be filled in."""

    text: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Download:
    """A file the service sent: an attachment's name as it was given, its type and its bytes."""

    filename: str
    content_type: str
    content: bytes
