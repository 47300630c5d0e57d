"""What the application service answers about customers: identification, search,
the 360° view (business data display), interaction history and details. Plain
dataclasses, shared by the service and its clients (no framework here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from crm.history_types import HistoryRow
from app_service.partner_results import PartnerRef


@dataclass(frozen=True)
class Detail:
    """One field of a detail with its value kept typed across JSON (a time, a day and an
    amount would all be strings otherwise): the view formats it in the agent's locale."""

    name: str
    text: str | None = None
    at: datetime | None = None  # the CRM's naive UTC
    day: date | None = None
    amount: Decimal | None = None

    @classmethod
    def of(cls, name: str, value: object) -> Detail:
        if isinstance(value, datetime):
            return cls(name, at=value)
        if isinstance(value, date):
            return cls(name, day=value)
        if isinstance(value, Decimal):
            return cls(name, amount=value)
        return cls(name, text=None if value is None else str(value))

    @property
    def value(self) -> object:
        for value in (self.at, self.day, self.amount):
            if value is not None:
                return value
        return self.text


def details(pairs) -> tuple[Detail, ...]:
    return tuple(Detail.of(name, value) for name, value in pairs)


@dataclass(frozen=True)
class Item:
    """One line of the 360° view; `detail` is what opens read-only in the workspace.
    Its values are raw (datetime in UTC without tzinfo, date, Decimal, str): the
    view formats them in the agent's locale and time zone."""

    kind: str  # contact_person, relationship, service_order, complaint, ..., installed_base, interaction
    title: str
    subtitle: str
    fields: tuple[Detail, ...]
    partner_id: int | None = None
    interaction_id: int | None = None

    @property
    def detail(self) -> tuple[tuple[str, object], ...]:
        return tuple((f.name, f.value) for f in self.fields)


@dataclass(frozen=True)
class Partner360:
    partner: PartnerRef
    segment: str | None
    value_class: str | None
    owner: str | None
    phone: str | None
    email: str | None
    city: str | None
    sections: dict[str, list[Item]] = field(default_factory=dict)
    phones: tuple[str, ...] = ()  # every number of the partner, the main one first


# The 360° view's sections in the order shown: transactions by their kind (crm.models.TransactionKind).
SECTIONS = ("contact_persons", "relationships", "service_order", "complaint", "sales_order", "lead", "opportunity",
            "callback", "task", "installed_base", "interactions")


@dataclass(frozen=True)
class SearchRow:
    partner: PartnerRef
    city: str | None
    phone: str | None
    email: str | None
    owner: str | None


@dataclass(frozen=True)
class SearchResult:
    rows: list[SearchRow]
    has_more: bool
    notes: list[str]


@dataclass(frozen=True)
class NewPartner:
    kind: str = "person"
    last_name: str = ""
    first_name: str = ""
    org_name: str = ""
    phone: str = ""
    email: str = ""
    city: str = ""
    country: str = "CN"


@dataclass(frozen=True)
class HistoryPage:
    """A page of a partner's interaction history, newest first (crm.paging.Page's fields)."""

    items: list[HistoryRow]
    page: int
    page_size: int
    total: int | None = None
    has_more: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LinkedLine:
    """One thing created or looked at in an interaction, or an email sent from it;
    the view words it in the agent's language."""
    kind: str  # a transaction kind, or "email"
    reference: str  # the transaction's number, or the address the email went to
    subject: str
    status: str
    link: str = "created"  # crm.models.LinkKind for transactions


@dataclass(frozen=True)
class InteractionDetail:
    """An interaction record as the history shows it: its fields, the answers of its call
    script runs, its email or chat messages and what was created or looked at in it."""

    fields: tuple[Detail, ...]
    script: str = ""
    messages: str = ""
    linked: tuple[LinkedLine, ...] = ()

