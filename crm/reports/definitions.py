"""Each queue figure, defined once: the reports and the console's wallboard compute them here.

The input is the per-contact facts of one queue and one interval: a contact belongs to the
interval in which it entered the queue (`entered_in`), whatever the time it was answered,
abandoned or left. Each figure is a small function whose docstring gives its formula, the
same formula docs/reports.md shows; a ratio whose denominator is 0 is None (nothing to
measure), never 0. Ratios are fractions (0.8 is 80 %).

"Within N seconds" means after at most N seconds: a call answered after exactly 20 s is
answered within 20 s, as the gateway counts it.

Plain Python, no database: `crm.reports.queue_contacts` makes the facts from the CRM's queue
events, the console from the gateway's events (admin_console/alerts/figures.py).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Outcome = Literal["waiting", "answered", "abandoned", "left"]

SHORT_ABANDON_SECONDS = 5.0  # τ unless the queue says otherwise
# the upper bounds (seconds) of the wait distribution's buckets; a last bucket holds the longer waits
WAIT_BUCKETS = (15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0, 600.0)


class ServiceLevelVariant(StrEnum):
    """How abandoned contacts count in the service level (chosen per queue)."""

    ABANDONS_AGAINST = "abandons_against"          # every abandon but the short ones counts against
    ABANDONS_WITHIN_IGNORED = "abandons_within_ignored"  # abandons within T are left out
    ABANDONS_WITHIN_FOR = "abandons_within_for"    # abandons within T count as met (short ones left out)

    @classmethod
    def values(cls) -> list[str]:
        return [variant.value for variant in cls]


@dataclass(frozen=True)
class QueueContact:
    """One contact's visit to one queue.

    `outcome`: still waiting, answered by an agent, abandoned by the customer, or left the
    queue otherwise (overflowed, timed out, no agents, closed). `after`: seconds from entering
    to that outcome (0 while waiting). `handle_seconds`: talk (holds included) + wrap-up of the
    agent who answered, once his wrap-up ended; None before (not handled yet)."""

    entered_at: float  # seconds since the epoch
    outcome: Outcome = "waiting"
    after: float = 0.0
    handle_seconds: float | None = None
    contact_id: str = ""
    left_by: str = ""  # the step that ended the wait: answered, abandoned, overflowed or ended
    transferred: bool = False  # the answering agent transferred it


@dataclass(frozen=True)
class QueueThresholds:
    """A queue's service-level time T, short-abandon time τ and service-level variant."""

    service_level_seconds: float = 20.0
    short_abandon_seconds: float = SHORT_ABANDON_SECONDS
    variant: ServiceLevelVariant = ServiceLevelVariant.ABANDONS_AGAINST


# --- which contacts --------------------------------------------------------------------------


def entered_in(contacts: Iterable[QueueContact], start: float, end: float) -> list[QueueContact]:
    """The contacts of the interval: start <= entered_at < end."""
    return [contact for contact in contacts if start <= contact.entered_at < end]


# --- counts ----------------------------------------------------------------------------------


def entered(contacts: Sequence[QueueContact]) -> int:
    """Entered: the contacts that entered the queue in the interval."""
    return len(contacts)


def answered(contacts: Sequence[QueueContact]) -> int:
    """Answered: the contacts an agent answered."""
    return sum(1 for c in contacts if c.outcome == "answered")


def abandoned(contacts: Sequence[QueueContact]) -> int:
    """Abandoned: the contacts whose customer hung up while waiting."""
    return sum(1 for c in contacts if c.outcome == "abandoned")


def left_otherwise(contacts: Sequence[QueueContact]) -> int:
    """Left otherwise: the contacts that left the queue unanswered and not abandoned
    (overflowed to another queue or number, timed out, no agents, closed)."""
    return sum(1 for c in contacts if c.outcome == "left")


def overflowed(contacts: Sequence[QueueContact]) -> int:
    """Overflowed: the contacts that left the queue for another queue or number (a part of
    left otherwise)."""
    return sum(1 for c in contacts if c.outcome == "left" and c.left_by == "overflowed")


def left_queue(contacts: Sequence[QueueContact]) -> int:
    """Left the queue = answered + abandoned + left otherwise (those still waiting are not)."""
    return sum(1 for c in contacts if c.outcome != "waiting")


def short_abandons(contacts: Sequence[QueueContact], tau: float) -> int:
    """Short abandons: abandoned within τ seconds (after <= τ)."""
    return sum(1 for c in contacts if c.outcome == "abandoned" and c.after <= tau)


def answered_within(contacts: Sequence[QueueContact], seconds: float) -> int:
    """Answered within T: answered after at most T seconds."""
    return sum(1 for c in contacts if c.outcome == "answered" and c.after <= seconds)


def abandoned_within(contacts: Sequence[QueueContact], seconds: float) -> int:
    """Abandoned within T: abandoned after at most T seconds."""
    return sum(1 for c in contacts if c.outcome == "abandoned" and c.after <= seconds)


def handled(contacts: Sequence[QueueContact]) -> int:
    """Handled: answered contacts whose handling (talk and wrap-up) has ended."""
    return sum(1 for c in contacts if c.outcome == "answered" and c.handle_seconds is not None)


def transfers(contacts: Sequence[QueueContact]) -> int:
    """Transfers: the answered contacts the answering agent transferred (to a queue, an agent or
    a number)."""
    return sum(1 for c in contacts if c.outcome == "answered" and c.transferred)


def wait_distribution(contacts: Sequence[QueueContact], outcome: Outcome,
                      bounds: Sequence[float] = WAIT_BUCKETS) -> list[int]:
    """Wait distribution: the contacts of one outcome (answered or abandoned) per bucket of their
    wait: after <= 15 s, 15 < after <= 20, ..., 300 < after <= 600, and after > 600 s
    (len(bounds) + 1 counts, whose sum is the contacts of that outcome)."""
    counts = [0] * (len(bounds) + 1)
    for contact in contacts:
        if contact.outcome == outcome:
            counts[bisect_left(bounds, contact.after)] += 1
    return counts


# --- ratios and averages ---------------------------------------------------------------------


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def asa(contacts: Sequence[QueueContact]) -> float | None:
    """ASA (average speed of answer) = total wait of answered contacts / answered, in seconds."""
    return _ratio(sum(c.after for c in contacts if c.outcome == "answered"), answered(contacts))


def longest_wait(contacts: Sequence[QueueContact]) -> float | None:
    """Longest wait = the longest time a contact waited before it was answered, abandoned or
    left the queue; None before any left."""
    return max((c.after for c in contacts if c.outcome != "waiting"), default=None)


def service_level_abandons_against(contacts: Sequence[QueueContact], seconds: float, tau: float) -> float | None:
    """Service level, abandons count against =
    answered within T / (left the queue − short abandons)."""
    return _ratio(answered_within(contacts, seconds), left_queue(contacts) - short_abandons(contacts, tau))


def service_level_abandons_within_ignored(contacts: Sequence[QueueContact], seconds: float) -> float | None:
    """Service level, abandons within T ignored =
    answered within T / (left the queue − abandoned within T)."""
    return _ratio(answered_within(contacts, seconds), left_queue(contacts) - abandoned_within(contacts, seconds))


def service_level_abandons_within_for(contacts: Sequence[QueueContact], seconds: float, tau: float) -> float | None:
    """Service level, abandons within T count for =
    (answered within T + abandoned within T − short abandons) / (left the queue − short abandons)."""
    short = short_abandons(contacts, tau)
    return _ratio(answered_within(contacts, seconds) + abandoned_within(contacts, seconds) - short,
                  left_queue(contacts) - short)


def service_level_answered_only(contacts: Sequence[QueueContact], seconds: float) -> float | None:
    """Service level, answered only (to compare with older systems) = answered within T / answered."""
    return _ratio(answered_within(contacts, seconds), answered(contacts))


def service_level(contacts: Sequence[QueueContact], thresholds: QueueThresholds) -> float | None:
    """The service level in the variant the queue chose (one of the three above)."""
    seconds, tau = thresholds.service_level_seconds, thresholds.short_abandon_seconds
    if thresholds.variant is ServiceLevelVariant.ABANDONS_WITHIN_IGNORED:
        return service_level_abandons_within_ignored(contacts, seconds)
    if thresholds.variant is ServiceLevelVariant.ABANDONS_WITHIN_FOR:
        return service_level_abandons_within_for(contacts, seconds, tau)
    return service_level_abandons_against(contacts, seconds, tau)


def abandonment_rate(contacts: Sequence[QueueContact], tau: float) -> float | None:
    """Abandonment rate = (abandoned − short abandons) / (entered − short abandons)."""
    short = short_abandons(contacts, tau)
    return _ratio(abandoned(contacts) - short, entered(contacts) - short)


def aht(contacts: Sequence[QueueContact]) -> float | None:
    """AHT (average handle time) = (talk + hold + wrap-up) / handled, in seconds."""
    return _ratio(sum(c.handle_seconds or 0.0 for c in contacts
                      if c.outcome == "answered" and c.handle_seconds is not None), handled(contacts))


# --- agents' time ----------------------------------------------------------------------------


def logged_in_time(ready: float, offered: float, busy: float, wrap_up: float, not_ready: float) -> float:
    """Logged in = ready + offered + busy (talk + hold) + wrap-up + not ready."""
    return ready + offered + busy + wrap_up + not_ready


def busy_time(talk: float, hold: float) -> float:
    """Busy = talk + hold: on a call, the customer talking or waiting on hold."""
    return talk + hold


def handling_time(talk: float, hold: float, wrap_up: float) -> float:
    """Handling time = talk + hold + wrap-up."""
    return talk + hold + wrap_up


def ready_idle_time(ready: float, offered: float) -> float:
    """Ready and idle time = ready + offered (his phone ringing, not handling yet)."""
    return ready + offered


def occupancy(handling_seconds: float, ready_idle_seconds: float) -> float | None:
    """Occupancy = handling time / (handling time + ready and idle time)."""
    return _ratio(handling_seconds, handling_seconds + ready_idle_seconds)


def utilization(handling_seconds: float, logged_in_seconds: float) -> float | None:
    """Utilization = handling time / logged-in time."""
    return _ratio(handling_seconds, logged_in_seconds)


# --- all of a queue's figures at once --------------------------------------------------------


@dataclass(frozen=True)
class QueueFigures:
    """Every figure of one queue over one interval, as the wallboard and the reports show them."""

    entered: int
    answered: int
    abandoned: int
    short_abandons: int
    left_otherwise: int
    answered_within: int
    asa: float | None
    longest_wait: float | None
    service_level: float | None           # in the queue's variant
    service_level_answered_only: float | None
    abandonment_rate: float | None
    handled: int
    aht: float | None


def queue_figures(contacts: Sequence[QueueContact], thresholds: QueueThresholds) -> QueueFigures:
    seconds, tau = thresholds.service_level_seconds, thresholds.short_abandon_seconds
    return QueueFigures(
        entered=entered(contacts), answered=answered(contacts), abandoned=abandoned(contacts),
        short_abandons=short_abandons(contacts, tau), left_otherwise=left_otherwise(contacts),
        answered_within=answered_within(contacts, seconds), asa=asa(contacts),
        longest_wait=longest_wait(contacts), service_level=service_level(contacts, thresholds),
        service_level_answered_only=service_level_answered_only(contacts, seconds),
        abandonment_rate=abandonment_rate(contacts, tau), handled=handled(contacts), aht=aht(contacts))


# =============================================================================================
# Email and chat
# =============================================================================================
#
# A conversation's visit to a mail queue (`MailContact`), made from its steps in the event log
# by crm.reports.mail_contacts (the same code for the CRM's log and the mail queue's
# `mail.queue_contact` events). The interval's contacts are those that entered the queue in it,
# as for the phone. Times are measured from the conversation's *opening* (`opened_at`): its
# arrival, or the customer's mail that reopened it; a visit that came by a transfer, a requeue or
# a chat's first line routing it elsewhere goes on measuring from there, as the customer has
# waited since then.

MailOutcome = Literal["waiting", "answered", "abandoned", "left"]


@dataclass(frozen=True)
class MailContact:
    """One conversation's visit to one email or chat queue.

    `outcome`: still waiting, taken by an agent (accepted or pulled: `answered`), abandoned (a chat
    its customer left before an agent took it), or left the queue otherwise before an agent took it
    (transferred or routed to another queue). `after`: seconds from entering to that outcome.
    `first_reply_after`: seconds from the opening to the agent's first reply, when it came in this
    visit; `replied_before`: the opening's first reply came in an earlier visit (a transfer after
    it), so this visit has none to measure. `resolved_after`: seconds from the opening to this
    visit's first resolution (the agent closed it); `reopened`: the customer wrote again after it,
    which starts a new visit with a resolution of its own."""

    entered_at: float  # seconds since the epoch
    channel: str = "email"
    outcome: MailOutcome = "waiting"
    after: float = 0.0
    opened_at: float | None = None  # None: entered_at
    first_reply_after: float | None = None
    replied_before: bool = False
    resolved_after: float | None = None
    reopened: bool = False
    contact_id: str = ""

    @property
    def opening(self) -> float:
        return self.entered_at if self.opened_at is None else self.opened_at


@dataclass(frozen=True)
class MailThresholds:
    """A mail queue's due time for the first reply (the mail queue's `first_response_minutes`, in
    seconds; None: the queue has none) and the short-abandon time τ of its chats."""

    due_seconds: float | None = None
    short_abandon_seconds: float = SHORT_ABANDON_SECONDS


def mail_entered_in(contacts: Iterable[MailContact], start: float, end: float) -> list[MailContact]:
    """The contacts of the interval: start <= entered_at < end."""
    return [contact for contact in contacts if start <= contact.entered_at < end]


def mail_entered(contacts: Sequence[MailContact]) -> int:
    """Entered: the conversations that entered the queue in the interval (each visit once)."""
    return len(contacts)


def mail_answered(contacts: Sequence[MailContact]) -> int:
    """Answered: the conversations an agent took (accepted, or pulled from a group inbox)."""
    return sum(1 for c in contacts if c.outcome == "answered")


def mail_abandoned(contacts: Sequence[MailContact]) -> int:
    """Abandoned: the chats whose customer left before an agent took them."""
    return sum(1 for c in contacts if c.outcome == "abandoned")


def mail_short_abandons(contacts: Sequence[MailContact], tau: float) -> int:
    """Short abandons: chats abandoned within τ seconds (after <= τ)."""
    return sum(1 for c in contacts if c.outcome == "abandoned" and c.after <= tau)


def first_replied(contacts: Sequence[MailContact]) -> int:
    """First replies: the visits in which the agent's first reply of the opening came."""
    return sum(1 for c in contacts if c.first_reply_after is not None)


def first_response_time(contacts: Sequence[MailContact]) -> float | None:
    """Average first response time = total (first reply − opening) / first replies, in seconds."""
    return _ratio(sum(c.first_reply_after or 0.0 for c in contacts if c.first_reply_after is not None),
                  first_replied(contacts))


def resolved(contacts: Sequence[MailContact]) -> int:
    """Resolved: the visits an agent closed (a reopened conversation's first resolution counts in
    the visit it closed, its later one in the visit the reopening started)."""
    return sum(1 for c in contacts if c.resolved_after is not None)


def resolution_time(contacts: Sequence[MailContact]) -> float | None:
    """Average resolution time = total (first resolution of the visit − opening) / resolved, in seconds."""
    return _ratio(sum(c.resolved_after or 0.0 for c in contacts if c.resolved_after is not None), resolved(contacts))


def reopened(contacts: Sequence[MailContact]) -> int:
    """Reopened: resolved visits the customer wrote to again."""
    return sum(1 for c in contacts if c.reopened)


def replied_within_due(contacts: Sequence[MailContact], due: float) -> int:
    """Replied within due time: first reply at most `due` seconds after the opening."""
    return sum(1 for c in contacts if c.first_reply_after is not None and c.first_reply_after <= due)


def overdue_unreplied(contacts: Sequence[MailContact], due: float, now: float) -> int:
    """Overdue without a reply: no first reply, the due time passed by `now`, and still the
    queue's to answer then (waiting, or taken and not resolved before its due time), or a chat
    abandoned after its due time."""
    def missed(c: MailContact) -> bool:
        if c.first_reply_after is not None or c.replied_before or now - c.opening <= due:
            return False
        if c.outcome == "abandoned":
            return c.entered_at + c.after - c.opening > due
        if c.outcome == "left":
            return False  # another queue's to answer
        return c.resolved_after is None or c.resolved_after > due
    return sum(1 for c in contacts if missed(c))


def share_within_due(contacts: Sequence[MailContact], due: float | None, now: float) -> float | None:
    """Share answered within due time = replied within due time / (first replies + overdue
    without a reply at `now`); None when the queue has no due time. Not counted: a conversation
    not yet due and not replied, one left for another queue, a chat abandoned within its due time,
    one resolved within its due time without a reply (nothing to answer)."""
    if due is None:
        return None
    return _ratio(replied_within_due(contacts, due), first_replied(contacts) + overdue_unreplied(contacts, due, now))


@dataclass(frozen=True)
class MailFigures:
    """Every figure of one email or chat queue and channel over one interval."""

    entered: int
    answered: int
    abandoned: int
    short_abandons: int
    first_replies: int
    first_response_time: float | None
    replied_within_due: int | None
    share_within_due: float | None
    resolved: int
    resolution_time: float | None
    reopened: int


def mail_figures(contacts: Sequence[MailContact], thresholds: MailThresholds, now: float) -> MailFigures:
    """The figures of `contacts` as they stand at `now` (which decides what is overdue)."""
    due = thresholds.due_seconds
    return MailFigures(
        entered=mail_entered(contacts), answered=mail_answered(contacts), abandoned=mail_abandoned(contacts),
        short_abandons=mail_short_abandons(contacts, thresholds.short_abandon_seconds),
        first_replies=first_replied(contacts), first_response_time=first_response_time(contacts),
        replied_within_due=None if due is None else replied_within_due(contacts, due),
        share_within_due=share_within_due(contacts, due, now), resolved=resolved(contacts),
        resolution_time=resolution_time(contacts), reopened=reopened(contacts))


# --- an agent's email and chat handling --------------------------------------------------------


def mail_handled(part_seconds: Sequence[float | None]) -> int:
    """Handled (email, chat): an agent's parts in conversations that have ended. His part starts
    when he takes the conversation (accepted or pulled) and ends at its next step: he resolves or
    transfers it, it goes back to the queue, or another agent takes it (None: not ended yet)."""
    return sum(1 for seconds in part_seconds if seconds is not None)


def mail_aht(part_seconds: Sequence[float | None]) -> float | None:
    """AHT (email, chat) = total (end of his part − his taking it) / handled, in seconds. An agent
    may have several conversations open at once: each counts its whole time."""
    return _ratio(sum(seconds for seconds in part_seconds if seconds is not None), mail_handled(part_seconds))
