"""The queue report per interval and the contact detail (docs/reports.md, "The queue report"),
read from the event log for a date range in a time zone, for the console's pages and
`cicada report` alike.

Intervals start at local-time boundaries (a day across a daylight-saving change is 23 or 25
hours). Every figure comes from crm.reports.definitions; the visits from
crm.reports.queue_contacts. Rows are made a stretch of intervals at a time (a day, a week or a
month of contacts in memory, never the whole range), so that an export of a year streams.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.errors import PermissionDenied, ValidationError
from crm.models import Channel, EventKind, LoggedEvent, User
from crm.permissions import Actor, Permission
from crm.reports import definitions as d
from crm.reports.definitions import QueueContact, QueueThresholds
from crm.reports.queue_contacts import LONGEST_STAY, STEP_KINDS, DetailedVisits, VisitDetail
from crm.services.supervision import WatchScope, watch_scope
from crm.services.supervisor_actions import team_scope

MINUTES = {"15min": 15, "30min": 30, "60min": 60}
INTERVALS = (*MINUTES, "day", "week", "month")
LONGEST_RANGE = {"minutes": timedelta(days=92), "days": timedelta(days=400)}  # a quarter; 13 months
READ_KINDS = (*STEP_KINDS, EventKind.OFFERED, EventKind.RING_NO_ANSWER, EventKind.REJECTED, EventKind.HELD)
READ_BATCH = 5000  # event rows fetched at a time

Thresholds = Callable[[str], QueueThresholds]


# --- the range and its intervals --------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A date range [start, end) in a time zone, cut into intervals of one kind."""

    start: datetime  # aware
    end: datetime
    zone: ZoneInfo
    interval: str = "day"


def period(start: datetime, end: datetime, zone: ZoneInfo, interval: str = "day") -> Period:
    """A checked Period: naive times are local times of `zone`; ValidationError for an unknown
    interval, a range that ends before it starts, or one too long for its interval."""
    if interval not in INTERVALS:
        raise ValidationError(f"unknown interval {interval!r} (use {', '.join(INTERVALS)})")
    start, end = (t if t.tzinfo else t.replace(tzinfo=zone) for t in (start, end))
    if end <= start:
        raise ValidationError(f"the report's range ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    longest = LONGEST_RANGE["minutes" if interval in MINUTES else "days"]
    if end - start > longest:
        raise ValidationError(f"a report by {interval} covers at most {longest.days} days; this range has "
                              f"{(end - start).days}: choose a longer interval or a shorter range")
    return Period(start, end, zone, interval)


def intervals(p: Period) -> list[tuple[datetime, datetime]]:
    """The intervals' [start, end) in the period's zone; the first and last cut to the range."""
    if p.interval in MINUTES:
        return _minute_intervals(p, timedelta(minutes=MINUTES[p.interval]))
    found, day = [], p.start.astimezone(p.zone).date()
    while (begin := _midnight(day, p.zone)) < p.end:
        day = _next_boundary(day, p.interval)
        found.append((max(begin, p.start.astimezone(p.zone)), min(_midnight(day, p.zone), p.end.astimezone(p.zone))))
    return found


def _minute_intervals(p: Period, step: timedelta) -> list[tuple[datetime, datetime]]:
    # Stepped in absolute time from a local boundary: the repeated hour of an autumn change
    # has its own intervals (their offsets tell them apart), the skipped one of spring none.
    local = p.start.astimezone(p.zone)
    minutes = step.seconds // 60
    at = local.replace(minute=local.minute - local.minute % minutes, second=0, microsecond=0).astimezone(UTC)
    found = []
    while at < p.end:
        found.append((max(at, p.start).astimezone(p.zone), min(at + step, p.end).astimezone(p.zone)))
        at += step
    return found


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _next_boundary(day: date, interval: str) -> date:
    if interval == "week":  # weeks start on Monday (ISO 8601)
        return day + timedelta(days=7 - day.weekday())
    if interval == "month":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return day + timedelta(days=1)


# --- whose queues and agents --------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    queues: tuple[str, ...] = ()  # none: every queue the user may read
    team: str | None = None  # an org unit's code: the contacts its agents (and those below) answered
    agents: tuple[str, ...] = ()  # the contacts these agents answered
    channel: str = Channel.PHONE.value


@dataclass(frozen=True)
class Scope:
    queues: tuple[str, ...]  # the report's queues, sorted
    agents: frozenset[str] | None  # None: whoever answered


QueueOrgUnits = Mapping[str, tuple[str, ...]]  # a phone queue's org units, as the gateway's configuration names them


def resolve(session: Session, actor: Actor, p: Period, filters: Filters,
            queue_org_units: QueueOrgUnits | None = None) -> Scope:
    """The queues and agents `actor` asks for and may read: a supervisor his org units' agents
    and the queues he sees (WatchScope.sees_queue: those of his org units, and those with none
    that his agents worked in during the range), an administrator all. ValidationError for an
    unknown queue, agent, team or channel; PermissionDenied for one that is not his."""
    actor.require(Permission.INTERACTION_READ_ANY, "read queue reports")
    watched = watch_scope(session, actor)
    if filters.channel != Channel.PHONE.value:
        if filters.channel not in Channel.values():
            raise ValidationError(f"unknown channel {filters.channel!r} (use {', '.join(Channel.values())})")
        raise ValidationError(f"the queue report is defined for the phone channel only so far; "
                              f"{filters.channel} figures come with their own definitions")
    agents = chosen_agents(session, actor, watched, filters)
    return Scope(_queues(session, actor, watched, p, filters.queues, queue_org_units or {}), agents)


def chosen_agents(session: Session, actor: Actor, watched: WatchScope, filters: Filters) -> frozenset[str] | None:
    """The user names of the filters' team and agents (None: no such filter), each checked to be
    `actor`'s: ValidationError for one that does not exist, PermissionDenied for one not his."""
    chosen: set[str] | None = None
    if filters.team is not None:
        team = team_scope(session, actor, filters.team)
        chosen = set(session.scalars(select(User.username).where(User.org_unit_id.in_(sorted(team.org_unit_ids)))))
    if filters.agents:
        for name in filters.agents:
            unit = session.execute(select(User.org_unit_id).where(User.username == name)).first()
            if unit is None:
                raise ValidationError(f"There is no agent {name!r}.")
            if not watched.covers(unit[0]):
                raise PermissionDenied(f"{name} is not in {actor.username}'s org units.")
        chosen = set(filters.agents) if chosen is None else chosen & set(filters.agents)
    return None if chosen is None else frozenset(chosen)


def _queues(session: Session, actor: Actor, watched: WatchScope, p: Period, asked: Sequence[str],
            queue_org_units: QueueOrgUnits) -> tuple[str, ...]:
    for name in asked:  # a configured queue is known before its first contact
        if name not in queue_org_units and session.scalar(
                select(LoggedEvent.id).where(LoggedEvent.queue == name, _PHONE).limit(1)) is None:
            raise ValidationError(f"There is no queue {name!r} in the configuration or the event log.")
    if watched.everything:
        return tuple(sorted(set(asked))) if asked else _queues_entered(session, p)
    worked = _queues_worked(session, watched, p)
    his = {queue for queue in worked | {q for q, units in queue_org_units.items() if units}
           if watched.sees_queue(queue_org_units.get(queue, ()), queue in worked)}
    for name in asked:
        if name not in his:
            raise PermissionDenied(f"The queue {name} is not one of {actor.username}'s: it belongs to none of his "
                                   f"org units, nor (having none) did an agent of his work in it in this range.")
    return tuple(sorted(set(asked) if asked else his))


_PHONE = LoggedEvent.channel == Channel.PHONE.value


def _queues_entered(session: Session, p: Period) -> tuple[str, ...]:
    start, end = naive_utc(p.start), naive_utc(p.end)
    return tuple(sorted(session.scalars(
        select(LoggedEvent.queue).distinct().where(LoggedEvent.kind == EventKind.ENTERED.value, _PHONE,
                                                  LoggedEvent.at >= start, LoggedEvent.at < end))))


def _queues_worked(session: Session, watched: WatchScope, p: Period) -> set[str]:
    """The phone queues the scope's agents logged in to, were offered or answered a call of,
    from a day before the range to a day after it."""
    if not watched.org_unit_ids:
        return set()
    start, end = naive_utc(p.start) - LONGEST_STAY, naive_utc(p.end) + LONGEST_STAY
    rows = session.execute(
        select(LoggedEvent.kind, LoggedEvent.channel, LoggedEvent.queue, LoggedEvent.detail)
        .join(User, User.id == LoggedEvent.agent_id)
        .where(User.org_unit_id.in_(sorted(watched.org_unit_ids)), LoggedEvent.at >= start, LoggedEvent.at < end,
               LoggedEvent.kind.in_([EventKind.LOGGED_IN.value, EventKind.OFFERED.value, EventKind.ANSWERED.value])))
    found: set[str] = set()
    for kind, channel, queue, detail in rows:
        detail = detail or {}
        if kind == EventKind.LOGGED_IN.value and Channel.PHONE.value in detail.get("channels", [Channel.PHONE.value]):
            found.update(str(name) for name in detail.get("queues") or ())
        elif kind != EventKind.LOGGED_IN.value and channel == Channel.PHONE.value and queue is not None:
            found.add(queue)  # a mail queue may have a phone queue's name
    return found


# --- the rows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    """One queue over one interval: every figure of the queue report."""

    queue: str
    start: datetime  # in the report's zone
    end: datetime
    thresholds: QueueThresholds
    entered: int
    answered: int
    abandoned: int
    short_abandons: int
    left_otherwise: int
    overflowed: int
    answered_within: int
    asa: float | None
    longest_wait: float | None
    service_level: float | None  # in the queue's variant
    service_level_answered_only: float | None
    abandonment_rate: float | None
    handled: int
    aht: float | None
    transfers: int
    answered_waits: tuple[int, ...]  # per bucket of definitions.WAIT_BUCKETS, and over the last
    abandoned_waits: tuple[int, ...]


@dataclass(frozen=True)
class ContactRow:
    """One contact's visit to one queue: every time and code the event log has of it."""

    queue: str
    contact_id: str
    channel: str
    entered_at: datetime  # in the report's zone, as the other times
    outcome: str  # waiting, answered, abandoned or left (otherwise)
    left_by: str  # the step that ended the wait: answered, abandoned, overflowed or ended
    wait: float | None  # seconds until that step; None while waiting
    offered_at: datetime | None
    offers: int
    not_answered: int
    agent: str | None
    answered_at: datetime | None
    left_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None
    cause: str | None
    holds: int
    talk: float | None
    wrap_up: float | None
    handle: float | None
    transferred: bool
    target: str | None


def queue_row(queue: str, start: datetime, end: datetime, contacts: Sequence[QueueContact],
              thresholds: QueueThresholds) -> QueueRow:
    """The queue report's row of the contacts that entered `queue` in [start, end)."""
    figures = d.queue_figures(contacts, thresholds)
    return QueueRow(
        queue, start, end, thresholds, figures.entered, figures.answered, figures.abandoned, figures.short_abandons,
        figures.left_otherwise, d.overflowed(contacts), figures.answered_within, figures.asa, figures.longest_wait,
        figures.service_level, figures.service_level_answered_only, figures.abandonment_rate, figures.handled,
        figures.aht, d.transfers(contacts), tuple(d.wait_distribution(contacts, "answered")),
        tuple(d.wait_distribution(contacts, "abandoned")))


# The counts a contact belongs to, by the queue row's field name: a contact counts in one when
# its definition, applied to that contact alone, counts it (the drill-down behind a figure).
COUNTS: dict[str, Callable[[Sequence[QueueContact], QueueThresholds], int]] = {
    "entered": lambda contacts, t: d.entered(contacts),
    "answered": lambda contacts, t: d.answered(contacts),
    "abandoned": lambda contacts, t: d.abandoned(contacts),
    "short_abandons": lambda contacts, t: d.short_abandons(contacts, t.short_abandon_seconds),
    "left_otherwise": lambda contacts, t: d.left_otherwise(contacts),
    "overflowed": lambda contacts, t: d.overflowed(contacts),
    "answered_within": lambda contacts, t: d.answered_within(contacts, t.service_level_seconds),
    "handled": lambda contacts, t: d.handled(contacts),
    "transfers": lambda contacts, t: d.transfers(contacts),
}


class QueueReport:
    """The report's rows for one user, range and filters, checked when made (nothing is written
    before an error can come), read a stretch of intervals at a time when iterated."""

    def __init__(self, session: Session, actor: Actor, p: Period, filters: Filters = Filters(),
                 thresholds: Thresholds = lambda queue: QueueThresholds(),
                 queue_org_units: QueueOrgUnits | None = None):
        self.session, self.period, self.thresholds = session, p, thresholds
        self.scope = resolve(session, actor, p, filters, queue_org_units)
        self.stretches = stretches(intervals(p), p.interval)

    def queue_rows(self, progress: Callable[[], None] = lambda: None) -> Iterator[QueueRow]:
        """Per interval, then per queue (every queue of the scope, also where nothing entered)."""
        for stretch in self.stretches:
            visits = self._visits(stretch[0][0], stretch[-1][1])
            for start, end in stretch:
                for queue in self.scope.queues:
                    contacts = [fact for fact, _ in self._entered(visits, queue, start, end)]
                    yield queue_row(queue, start, end, contacts, self.thresholds(queue))
            progress()

    def contact_rows(self, progress: Callable[[], None] = lambda: None,
                     counted_in: str | None = None) -> Iterator[ContactRow]:
        """Per contact in the order they entered, queue by queue within each stretch; with
        `counted_in` (a name of COUNTS), only the contacts that count in that figure."""
        counts = None if counted_in is None else COUNTS[counted_in]
        for stretch in self.stretches:
            start, end = stretch[0][0], stretch[-1][1]
            visits = self._visits(start, end)
            for queue in self.scope.queues:
                thresholds = self.thresholds(queue)
                for fact, detail in self._entered(visits, queue, start, end):
                    if counts is None or counts([fact], thresholds):
                        yield self._contact_row(fact, detail)
            progress()

    def _entered(self, visits: DetailedVisits, queue: str, start: datetime,
                 end: datetime) -> list[tuple[QueueContact, VisitDetail]]:
        first, last = start.timestamp(), end.timestamp()
        agents = self.scope.agents
        return [(fact, detail) for fact, detail in visits.visits(queue) if first <= fact.entered_at < last
                and (agents is None or detail.agent in agents)]

    def _visits(self, start: datetime, end: datetime) -> DetailedVisits:
        """The visits of the scope's queues from `start`, with their steps until LONGEST_STAY
        after `end`, in one query on the (queue, at) index, fetched in batches."""
        visits = DetailedVisits()
        if not self.scope.queues:
            return visits
        query = (select(LoggedEvent.at, LoggedEvent.kind, LoggedEvent.queue, LoggedEvent.contact_id,
                        LoggedEvent.channel, LoggedEvent.detail, User.username)
                 .outerjoin(User, User.id == LoggedEvent.agent_id)
                 .where(LoggedEvent.at >= naive_utc(start), LoggedEvent.at < naive_utc(end) + LONGEST_STAY,
                        LoggedEvent.kind.in_([str(kind) for kind in READ_KINDS]), _PHONE,
                        LoggedEvent.queue.in_(self.scope.queues), LoggedEvent.contact_id.is_not(None))
                 .order_by(LoggedEvent.at, LoggedEvent.id)
                 .execution_options(yield_per=READ_BATCH))
        for at, kind, queue, contact_id, channel, detail, username in self.session.execute(query):
            agent = username or (detail or {}).get("agent")
            visits.read(kind, queue, contact_id, epoch(at), channel, agent, detail)
        return visits

    def _contact_row(self, fact: QueueContact, detail: VisitDetail) -> ContactRow:
        zone = self.period.zone
        local = lambda seconds: None if seconds is None else datetime.fromtimestamp(seconds, zone)
        return ContactRow(
            detail.queue, detail.contact_id, detail.channel, datetime.fromtimestamp(fact.entered_at, zone),
            fact.outcome, fact.left_by, None if fact.outcome == "waiting" else fact.after, local(detail.offered_at),
            detail.offers, detail.not_answered, detail.agent, local(detail.answered_at), local(detail.left_at),
            local(detail.ended_at), detail.ended_by, detail.cause, detail.holds, detail.talk, detail.wrap_up,
            fact.handle_seconds, fact.transferred, detail.target)


def stretches(found: list[tuple[datetime, datetime]], interval: str) -> list[list[tuple[datetime, datetime]]]:
    """The intervals grouped by the local day (minutes), the week (days) or one by one (weeks,
    months): each group's contacts are read at once."""
    if interval in ("week", "month"):
        return [[one] for one in found]
    key = (lambda i: i[0].isocalendar()[:2]) if interval == "day" else (lambda i: i[0].date())
    groups: list[list[tuple[datetime, datetime]]] = []
    for one in found:
        if groups and key(groups[-1][0]) == key(one):
            groups[-1].append(one)
        else:
            groups.append([one])
    return groups


def default_zone_name() -> str:
    """The zone a report is read in when none is given: $TZ, else the machine's, else UTC."""
    if os.environ.get("TZ"):
        return os.environ["TZ"]
    try:
        return str(Path("/etc/localtime").resolve()).split("zoneinfo/", 1)[1]
    except (OSError, IndexError):
        return "UTC"


def naive_utc(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


def epoch(at: datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


# --- rows as plain records (exports) ---------------------------------------------------------


def _bucket_names(outcome: str) -> list[str]:
    lows = (0, *(int(bound) for bound in d.WAIT_BUCKETS))
    return [*(f"{outcome}_wait_{low}_{high}s" for low, high in zip(lows, lows[1:])),
            f"{outcome}_wait_over_{lows[-1]}s"]


QUEUE_COLUMNS = ("queue", "start", "end", "service_level_seconds", "short_abandon_seconds", "service_level_variant",
                 "entered", "answered", "abandoned", "short_abandons", "left_otherwise", "overflowed",
                 "answered_within", "asa", "longest_wait", "service_level", "service_level_answered_only",
                 "abandonment_rate", "handled", "aht", "transfers",
                 *_bucket_names("answered"), *_bucket_names("abandoned"))
CONTACT_COLUMNS = tuple(ContactRow.__dataclass_fields__)


def queue_record(row: QueueRow) -> dict[str, object]:
    """A row as the exports write it: times in ISO 8601 with their offset, numbers to six
    decimals, ratios as fractions; "answered_wait_15_20s" counts the answered contacts that waited
    over 15 s and up to 20 s, "answered_wait_over_600s" those that waited longer."""
    t = row.thresholds
    head = {"queue": row.queue, "start": row.start.isoformat(), "end": row.end.isoformat(),
            "service_level_seconds": t.service_level_seconds, "short_abandon_seconds": t.short_abandon_seconds,
            "service_level_variant": t.variant.value}
    figures = {name: _rounded(getattr(row, name)) for name in QUEUE_COLUMNS[6:21]}
    buckets = dict(zip(QUEUE_COLUMNS[21:], (*row.answered_waits, *row.abandoned_waits)))
    return head | figures | buckets


def contact_record(row: ContactRow) -> dict[str, object]:
    """A contact row as the exports write it (times in ISO 8601 with their offset)."""
    return {name: _plain(getattr(row, name)) for name in CONTACT_COLUMNS}


def _rounded(value):
    return round(value, 6) if isinstance(value, float) else value


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return _rounded(value)
