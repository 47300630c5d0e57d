"""What an agent's follow-up work is made of, as his desktop shows it: the choices and
order lines of new transactions, his follow-ups and the emails he queued
(crm.services.transactions, crm.services.outbox). Plain values, free of the
database's library, so that the desktop uses them without SQLAlchemy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

PRIORITIES = ("low", "normal", "high", "urgent")
COMPLAINT_CATEGORIES = ("billing", "service_outage", "installation", "product_defect", "delivery",
                        "staff_behaviour", "contract", "other")


@dataclass(frozen=True)
class OrderLine:
    product_no: str
    quantity: Decimal | float | int | str
    unit_price: Decimal | float | int | str | None = None  # None: the catalogue price


@dataclass(frozen=True)
class FollowUp:
    """An open callback or task of the user or of his team, as his list shows it."""

    transaction_id: int
    number: str
    kind: str  # callback or task
    subject: str
    description: str | None
    due_at: datetime | None  # UTC; a callback: the end of its window
    window_start: datetime | None  # UTC, callbacks only
    phone: str | None  # the number to call back
    partner_id: int
    partner_no: str
    partner_name: str
    for_team: str | None  # the team's name when it is the team's rather than the user's own


@dataclass(frozen=True)
class EmailStatus:
    id: int
    to_address: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None
