"""What a desktop sends to save the agent's contact, and what it gets back. Plain
dataclasses, shared by the application service and its clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ScriptState:
    """A call script run as it stands: the stored version it runs and the runner's state."""

    name: str
    version: int
    state: dict[str, Any]


@dataclass(frozen=True)
class ActionDone:
    """What the Action Box made during the contact, to link to its record."""

    transaction_id: int | None = None
    email_id: int | None = None


@dataclass(frozen=True)
class ContactRecord:
    """The agent's part of an interaction record and where it goes: the mail queue's
    record of an email or chat, the gateway's segment of a call, else a new record."""

    kind: str = "inbound"  # inbound, transfer, consult, outbound
    interaction_id: int | None = None  # an email or chat: the record the mail queue made
    call_id: str | None = None
    lost: bool = False  # the gateway lost the call: keep the agent's work in a record of its own
    ani: str | None = None
    dnis: str | None = None
    queue: str | None = None
    offered_at: float | None = None  # epoch
    partner_id: int | None = None  # confirmed partner
    contact_person_id: int | None = None
    reason_code: str | None = None
    outcome_code: str | None = None
    notes: str | None = None
    script: ScriptState | None = None
    actions_done: list[ActionDone] = field(default_factory=list)


@dataclass(frozen=True)
class RecordSaved:
    interaction_id: int


@dataclass(frozen=True)
class ScriptRunSaved:
    run_id: int
