"""What an action is: its id, label, tab and icon, the context it needs, a
form of fields with defaults computed from that context, and a handler
that performs it. Plain Python: the desktop draws the forms, `execute`
runs the handlers in a unit of work.

Other packages add actions through the entry point group `cicada.actions`
(docs/action_box.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from crm.errors import CrmError

# What an action may need before it can run, and what the agent reads when it is missing.
NEEDS = {
    "partner": "confirm the caller first",
    "contact_person": "pick a contact person first",
    "call": "only during a call",
    "installed_base": "the customer has no installed base",
}
FIELD_KINDS = ("text", "multiline", "choice", "editable_choice", "date", "time", "number", "email",
               "lines")


@dataclass(frozen=True)
class Field:
    """One input of an action's form. `kind` is one of FIELD_KINDS; `choices`
    are (value, label) pairs; `lines` is a list of product lines (product
    number, quantity), offered from the catalogue."""

    name: str
    label: str  # English; the desktop translates it (context "actions")
    kind: str = "text"
    required: bool = False
    default: Any = None
    choices: tuple[tuple[str, str], ...] = ()
    help: str = ""
    max_length: int | None = None
    minimum: float | None = None


@dataclass(frozen=True)
class Outcome:
    """What an action did, for the agent's list of this interaction. `summary` is
    English; `template` and `params` let the desktop say it in the agent's
    language (a plugin may give only the summary)."""

    summary: str
    transaction_id: int | None = None
    number: str | None = None
    email_id: int | None = None
    url: str | None = None  # for the desktop to open
    template: str | None = None
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def said(cls, template: str, params: dict[str, object], **ids) -> Outcome:
        """An outcome told by a template (listed in the desktop's catalogue) and its values."""
        params = {key: str(value) for key, value in params.items()}
        return cls(template.format(**params), template=template, params=params, **ids)


@dataclass(frozen=True)
class PartnerFacts:
    partner_id: int
    partner_no: str
    name: str
    address: str | None
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    installed_base: tuple[tuple[int, str], ...]  # item id, "product serial"
    sales_orders: tuple[tuple[str, str], ...]  # number, "number subject"
    values: dict  # for templates: scripting.context.partner_values
    item_products: dict[int, str] = field(default_factory=dict)  # installed-base item id -> its product number


@dataclass(frozen=True)
class PersonFacts:
    partner_id: int
    partner_no: str
    name: str
    email: str | None
    phone: str | None
    values: dict


@dataclass(frozen=True)
class CallFacts:
    call_id: str | None
    ani: str
    dnis: str
    queue: str | None
    active: bool  # the call is still in progress


@dataclass(frozen=True)
class AgentFacts:
    user_id: int | None
    username: str
    name: str
    email: str | None
    teams: tuple[tuple[str, str], ...] = ()  # org unit code, name: where a callback or task may go
    colleagues: tuple[tuple[str, str], ...] = ()  # user name, display name


@dataclass(frozen=True)
class Context:
    """The verified context an action runs in."""

    agent: AgentFacts
    partner: PartnerFacts | None = None
    contact_person: PersonFacts | None = None
    call: CallFacts | None = None
    answers: dict = field(default_factory=dict)  # the call script's answers by question id
    products: tuple[tuple[str, str], ...] = ()  # product number, "name (price)"
    prices: dict[str, tuple[Decimal, str | None]] = field(default_factory=dict)  # product number -> (unit price, currency)
    sender: str = "service@cicada.example"  # the From of customer emails
    language: str = "en"
    email_templates: tuple[dict, ...] = ()
    now: datetime | None = None

    @property
    def today(self) -> date:
        return (self.now or datetime.now()).date()

    def has(self, need: str) -> bool:
        if need == "partner":
            return self.partner is not None
        if need == "contact_person":
            return self.contact_person is not None
        if need == "call":
            return self.call is not None and self.call.active
        if need == "installed_base":
            return self.partner is not None and bool(self.partner.installed_base)
        return False


class ActionFailed(CrmError):
    """A handler's own error: nothing was written."""


@dataclass(frozen=True)
class Done:
    """An action performed: what it did, and the record it was linked to."""

    action_id: str
    outcome: Outcome
    interaction_id: int | None  # the record it was linked to, if the gateway had written it


@runtime_checkable
class Action(Protocol):
    id: str
    label: str
    tab: str
    icon: str
    needs: frozenset[str]

    def fields(self, context: Context) -> list[Field]: ...

    def perform(self, session, actor, context: Context, values: dict) -> Outcome: ...


def localized(label, language: str) -> str:
    """A label given as one text, or as texts by language ({"en": ..., "zh": ...})."""
    if isinstance(label, dict):
        return (label.get(language) or label.get(language.split("_")[0]) or label.get("en")
                or next(iter(label.values())))
    return str(label)


def unavailable(action: Action, context: Context) -> str | None:
    """Why the action cannot run now ("confirm the caller first"), or None."""
    order = list(NEEDS)
    for need in sorted(action.needs, key=lambda n: order.index(n) if n in order else len(order)):
        if not context.has(need):
            return NEEDS.get(need, f"needs {need}")
    check = getattr(action, "unavailable", None)
    return check(context) if callable(check) else None
