"""What the Action Box, follow-up and outbox routes send beside the types of
action_box.model (Context, Done) and the crm services (FollowUp,
EmailStatus). Free of the service's framework."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CompletedFollowUp:
    """A callback or task marked done."""

    transaction_id: int
    number: str
