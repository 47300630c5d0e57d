"""The email and chat report (docs/reports.md, "The email and chat report"): per mail queue,
channel and interval, and per agent who took its conversations, the figures of
crm.reports.definitions' email and chat section, read from the event log for a Period of
crm.reports.queue_report, for `cicada report mail` (and later the console's pages).

The visits come from crm.reports.mail_contacts (the wallboard's code); rows are made a stretch
of intervals at a time, as the queue report's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.errors import PermissionDenied, ValidationError
from crm.models import Channel, EventKind, LoggedEvent, User
from crm.permissions import Actor, Permission
from crm.reports import definitions as d
from crm.reports.mail_contacts import MAIL_CHANNELS, MailVisits, read_mail_visits
from crm.reports.queue_contacts import LONGEST_STAY
from crm.reports.queue_report import Filters, Period, chosen_agents, intervals, naive_utc, stretches
from crm.services.supervision import WatchScope, watch_scope

_MAIL = LoggedEvent.channel.in_(MAIL_CHANNELS)


@dataclass(frozen=True)
class MailQueue:
    """A mail queue as the mail queue's configuration has it ([[mailq.queues]]): the org units
    whose supervisors see it, the channels routed to it, its due time for a first reply."""

    org_units: tuple[str, ...] = ()
    channels: tuple[str, ...] = MAIL_CHANNELS
    due_seconds: float | None = None


MailQueues = Mapping[str, MailQueue]


@dataclass(frozen=True)
class MailScope:
    queues: tuple[str, ...]  # sorted
    channels: tuple[str, ...]  # the channels asked for: email, chat or both
    agents: frozenset[str] | None  # only the visits these agents took; None: all
    shown_agents: frozenset[str] | None  # whose rows `actor` may read; None: everybody's


def resolve_mail(session: Session, actor: Actor, p: Period, filters: Filters,
                 mail_queues: MailQueues | None = None) -> MailScope:
    """The mail queues and agents `actor` asks for and may read, by the queue report's rule
    (WatchScope.sees_queue with each queue's configured org units, else the queues his agents
    worked in over the range). ValidationError for an unknown queue, agent, team or channel;
    PermissionDenied for one that is not his."""
    actor.require(Permission.INTERACTION_READ_ANY, "read queue reports")
    watched = watch_scope(session, actor)
    channels = _channels(filters.channel)
    agents = chosen_agents(session, actor, watched, filters)
    configured = mail_queues or {}
    queues = _queues(session, actor, watched, p, filters.queues, configured)
    shown = None if watched.everything else frozenset(
        name for name, unit in session.execute(select(User.username, User.org_unit_id)) if watched.covers(unit))
    return MailScope(queues, channels, agents, shown)


def _channels(channel: str) -> tuple[str, ...]:
    if not channel:
        return MAIL_CHANNELS
    if channel in MAIL_CHANNELS:
        return (channel,)
    if channel == Channel.PHONE.value:
        raise ValidationError("the email and chat report has no phone channel: the queue report has the calls")
    raise ValidationError(f"unknown channel {channel!r} (use {', '.join(MAIL_CHANNELS)}, or none for both)")


def _queues(session: Session, actor: Actor, watched: WatchScope, p: Period, asked: Sequence[str],
            configured: MailQueues) -> tuple[str, ...]:
    for name in asked:
        if name not in configured and session.scalar(
                select(LoggedEvent.id).where(LoggedEvent.queue == name, _MAIL).limit(1)) is None:
            raise ValidationError(f"There is no email or chat queue {name!r} in the configuration or the event log.")
    if watched.everything:
        return tuple(sorted(set(asked) if asked else set(configured) | _queues_entered(session, p)))
    worked = _queues_worked(session, watched, p)
    his = {queue for queue in worked | {q for q, settings in configured.items() if settings.org_units}
           if watched.sees_queue(configured.get(queue, MailQueue()).org_units, queue in worked)}
    for name in asked:
        if name not in his:
            raise PermissionDenied(f"The queue {name} is not one of {actor.username}'s: it belongs to none of his "
                                   f"org units, nor (having none) did an agent of his work in it in this range.")
    return tuple(sorted(set(asked) if asked else his))


def _queues_entered(session: Session, p: Period) -> set[str]:
    return set(session.scalars(
        select(LoggedEvent.queue).distinct().where(LoggedEvent.kind == EventKind.ENTERED.value, _MAIL,
                                                  LoggedEvent.at >= naive_utc(p.start),
                                                  LoggedEvent.at < naive_utc(p.end))))


def _queues_worked(session: Session, watched: WatchScope, p: Period) -> set[str]:
    """The mail queues whose conversations the scope's agents were offered or took, from a day
    before the range to a day after it."""
    if not watched.org_unit_ids:
        return set()
    return set(session.scalars(
        select(LoggedEvent.queue).distinct().join(User, User.id == LoggedEvent.agent_id)
        .where(User.org_unit_id.in_(sorted(watched.org_unit_ids)), _MAIL, LoggedEvent.queue.is_not(None),
               LoggedEvent.at >= naive_utc(p.start) - LONGEST_STAY, LoggedEvent.at < naive_utc(p.end) + LONGEST_STAY,
               LoggedEvent.kind.in_([EventKind.OFFERED.value, EventKind.ANSWERED.value]))))


# --- the rows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailRow:
    """One mail queue and channel over one interval (level "queue"), or the visits one agent took
    of them (level "agent")."""

    level: str
    queue: str
    channel: str
    agent: str | None
    start: datetime  # in the report's zone
    end: datetime
    thresholds: d.MailThresholds
    figures: d.MailFigures


class MailReport:
    """The email and chat report's rows for one user, Period and filters (`channel` email, chat or
    empty for both), checked when made, read a stretch of intervals at a time when iterated.
    `short_abandon`: a queue's τ ([console.queues.*]). The share within due time counts what is
    overdue as the log stands at the interval's end plus a day (the replies read), or now."""

    def __init__(self, session: Session, actor: Actor, p: Period, filters: Filters = Filters(channel=""),
                 mail_queues: MailQueues | None = None,
                 short_abandon: Callable[[str], float] = lambda queue: d.SHORT_ABANDON_SECONDS,
                 now: datetime | None = None):
        self.session, self.period, self.short_abandon = session, p, short_abandon
        self.mail_queues = dict(mail_queues or {})
        self.scope = resolve_mail(session, actor, p, filters, self.mail_queues)
        self.stretches = stretches(intervals(p), p.interval)
        self.now = (now or datetime.now(UTC)).timestamp()

    def rows(self, progress: Callable[[], None] = lambda: None) -> Iterator[MailRow]:
        """Per interval, queue and channel (every queue of the scope, also where nothing entered),
        each followed by its agents' rows (those who took a visit of it, by name)."""
        for stretch in self.stretches:
            visits = read_mail_visits(self.session, naive_utc(stretch[0][0]), naive_utc(stretch[-1][1]))
            for start, end in stretch:
                for queue in self.scope.queues:
                    yield from self._queue_rows(visits, queue, start, end)
            progress()

    def _queue_rows(self, visits: MailVisits, queue: str, start: datetime, end: datetime) -> Iterator[MailRow]:
        settings = self.mail_queues.get(queue, MailQueue())
        thresholds = d.MailThresholds(settings.due_seconds, self.short_abandon(queue))
        now = min(self.now, end.timestamp() + LONGEST_STAY.total_seconds())
        first, last, agents = start.timestamp(), end.timestamp(), self.scope.agents
        for channel in (c for c in self.scope.channels if c in settings.channels):
            taken = [(visit, agent) for visit, agent in visits.taken(queue, channel)
                     if first <= visit.entered_at < last and (agents is None or agent in agents)]
            yield MailRow("queue", queue, channel, None, start, end, thresholds,
                          d.mail_figures([visit for visit, _ in taken], thresholds, now))
            shown = self.scope.shown_agents
            for agent in sorted({a for _, a in taken if a is not None and (shown is None or a in shown)}):
                his = [visit for visit, taker in taken if taker == agent]
                yield MailRow("agent", queue, channel, agent, start, end, thresholds,
                              d.mail_figures(his, thresholds, now))


# --- rows as plain records (exports) ---------------------------------------------------------

FIGURES = tuple(d.MailFigures.__dataclass_fields__)
MAIL_COLUMNS = ("level", "queue", "channel", "agent", "start", "end", "due_seconds", "short_abandon_seconds",
                *FIGURES)


def mail_record(row: MailRow) -> dict[str, object]:
    """A row as the exports write it: times in ISO 8601 with their offset, seconds and ratios
    (fractions) to six decimals, empty where nothing was measured."""
    figures = {name: _rounded(getattr(row.figures, name)) for name in FIGURES}
    return {"level": row.level, "queue": row.queue, "channel": row.channel, "agent": row.agent,
            "start": row.start.isoformat(), "end": row.end.isoformat(), "due_seconds": row.thresholds.due_seconds,
            "short_abandon_seconds": row.thresholds.short_abandon_seconds} | figures


def _rounded(value):
    return round(value, 6) if isinstance(value, float) else value
