"""The agent time report and the timeline of one agent's day (docs/reports.md, "The agent time
report"), read from the event log for a Period of crm.reports.queue_report, for the console's
pages and `cicada report agents|agent-day` alike.

Each agent's logged-in time is cut into states (ready, offered, talk, hold, wrap-up, not ready
per reason code) by a walk over his events in time order (`AgentWalk`); the states are split at
the intervals' boundaries and summed per agent and interval, then per org unit above him.
Occupancy and utilization come from crm.reports.definitions. The walk reads a stretch of
intervals at a time and carries each agent's state from one stretch into the next.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crm.errors import ValidationError
from crm.models import Channel, EventKind, LoggedEvent, OrgUnit, OrgUnitKind, User
from crm.permissions import Actor, Permission
from crm.reports import definitions as d
from crm.reports.queue_report import (
    READ_BATCH,
    Filters,
    Period,
    chosen_agents,
    epoch,
    intervals,
    naive_utc,
    period,
    stretches,
)
from crm.services.supervision import WatchScope, watch_scope
from crm.services.supervisor_actions import team_scope

STATES = ("ready", "offered", "talk", "hold", "wrap_up", "not_ready")
CONTACT_STATES = frozenset({"offered", "talk", "hold", "wrap_up"})  # states spent on one contact
MODES = frozenset({"ready", "not_ready", "offered", "busy", "wrap_up"})  # work modes of a logged-in agent
AGENT_KINDS = (EventKind.LOGGED_IN, EventKind.LOGGED_OUT, EventKind.WORK_MODE, EventKind.HELD, EventKind.RETRIEVED,
               EventKind.OFFERED, EventKind.ANSWERED)
MAIL_STATE = "email_chat"  # at least one email or chat conversation open (beside the phone's states)
MAIL_KINDS = (EventKind.ANSWERED, EventKind.RESOLVED, EventKind.TRANSFERRED, EventKind.ENTERED)
MAIL_CHANNELS = (Channel.EMAIL.value, Channel.CHAT.value)
# the kinds' names as plain strings: compared once per event read
_LOGGED_IN, _LOGGED_OUT, _WORK_MODE, _HELD, _RETRIEVED, _OFFERED, _ANSWERED = (kind.value for kind in AGENT_KINDS)
GATEWAY_RUN = ("gw-", 15)  # the gateway's event keys start with its run's id: "gw-" and 12 hex digits
LONGEST_SESSION = timedelta(days=7)  # a login older than this before the range, not logged out, is stale
T = TypeVar("T")
UNIT_LEVELS = (OrgUnitKind.TEAM.value, OrgUnitKind.SITE.value, OrgUnitKind.CONTACT_CENTER.value)


# --- one agent's states ------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A stretch of time [start, end) (seconds since the epoch) an agent spent in one state."""

    start: float
    end: float
    state: str  # one of STATES
    reason: str | None  # the not-ready reason code
    contact: str | None  # the call (contact id) of an offered, talk, hold or wrap-up segment


@dataclass
class _Open:
    start: float
    state: str
    reason: str | None
    contact: str | None


class AgentWalk:
    """One agent's states made from his events in time order: the closed segments gather in
    `done`. A session ends at its logout; one whose logout is missing (the gateway crashed and
    could not tell when) at his next login, or at the start of a later gateway run (`restarted`)."""

    def __init__(self) -> None:
        self.open: _Open | None = None  # None: logged out
        self.run: str | None = None  # the gateway run his session belongs to, when the log tells it
        self.held = False
        self.done: list[Segment] = []

    def event(self, at: float, kind: str, key: str, contact: str | None, mode: str | None = None,
              reason: str | None = None) -> None:
        """One event of his: `mode` and `reason` are a work mode's."""
        if kind == _WORK_MODE:
            self._mode(at, key, mode, reason)
        elif kind == _LOGGED_IN:
            self.end(at)  # still logged in: his logout is missing
            self.open, self.run = _Open(at, "not_ready", None, None), gateway_run(key)
        elif kind == _LOGGED_OUT:
            self.end(at)
        elif kind in (_HELD, _RETRIEVED):
            self._hold(at, kind == _HELD)
        elif self.open is not None and self.open.state in CONTACT_STATES and contact is not None:
            self.open.contact = contact  # offered or answered: the call this segment is spent on

    def _mode(self, at: float, key: str, mode: str | None, reason: str | None) -> None:
        if mode == "logged_out":
            self.end(at)
            return
        if mode not in MODES:
            return
        if self.open is None:  # his login is not in the log (older records): he works from here
            self.open, self.run = _Open(at, "not_ready", None, None), gateway_run(key)
        self.held = self.held and mode == "busy"
        state = ("hold" if self.held else "talk") if mode == "busy" else mode
        same_contact = state in CONTACT_STATES and self.open.state in CONTACT_STATES
        self._switch(at, state, reason if state == "not_ready" and reason else None,
                     self.open.contact if same_contact else None)

    def _hold(self, at: float, held: bool) -> None:
        self.held = held
        if self.open is not None and self.open.state in ("talk", "hold"):
            self._switch(at, "hold" if held else "talk", None, self.open.contact)

    def _switch(self, at: float, state: str, reason: str | None, contact: str | None) -> None:
        if self.open is not None and (self.open.state, self.open.reason) == (state, reason):
            return
        self._close(at)
        self.open = _Open(at, state, reason, contact)

    def _close(self, at: float) -> None:
        o = self.open
        if o is not None and at > o.start:
            self.done.append(Segment(o.start, at, o.state, o.reason, o.contact))

    def end(self, at: float) -> None:
        """His session ends at `at` (a logout, or one missing)."""
        self._close(at)
        self.open, self.run, self.held = None, None, False

    def restarted(self, at: float, run: str) -> None:
        """Another gateway run started at `at` after his session's run ended: so did his session."""
        if self.open is not None and self.run is not None and self.run != run:
            self.end(at)

    def cut(self, at: float) -> None:
        """Close the open segment at `at` (the end of a stretch), to go on from there."""
        o = self.open
        if o is not None and at > o.start:
            self._close(at)
            self.open = _Open(at, o.state, o.reason, o.contact)

    def take(self) -> list[Segment]:
        done, self.done = self.done, []
        return done


def gateway_run(key: str) -> str | None:
    prefix, length = GATEWAY_RUN
    return key[:length] if key.startswith(prefix) and len(key) > length else None


class MailWork:
    """The email and chat conversations each agent has open, from their steps in time order. One
    is his from his `answered` (he took it) to its next step: resolved, transferred, back in a
    queue (`entered`: requeued, transferred) or taken by another. Per agent, the time with at
    least one open gathers in `done` (state MAIL_STATE), each conversation's in `conversations`."""

    def __init__(self, agents: Iterable[int], *, conversations: bool = False) -> None:
        self.agents = frozenset(agents)
        self.keep_conversations = conversations  # a day's timeline shows each; a report only the time
        self.holders: dict[tuple[str, str], tuple[int, float]] = {}  # (channel, number): (user id, since)
        self.counts: dict[int, int] = {}
        self.since: dict[int, float] = {}  # since when each agent has one open
        self.done: list[tuple[int, Segment]] = []
        self.conversations: list[tuple[int, Segment]] = []

    def step(self, at: float, kind: str, channel: str, contact: str, user_id: int | None) -> None:
        key = (channel, contact)
        if key in self.holders:
            self._release(at, key)
        if kind == _ANSWERED and user_id in self.agents:
            self.holders[key] = (user_id, at)
            self.counts[user_id] = self.counts.get(user_id, 0) + 1
            self.since.setdefault(user_id, at)

    def _release(self, at: float, key: tuple[str, str]) -> None:
        user_id, start = self.holders.pop(key)
        if at > start and self.keep_conversations:
            self.conversations.append((user_id, Segment(start, at, key[0], None, key[1])))
        self.counts[user_id] -= 1
        if not self.counts[user_id]:
            self._close(user_id, at)
            del self.since[user_id]

    def _close(self, user_id: int, at: float) -> None:
        start = self.since[user_id]
        if at > start:
            self.done.append((user_id, Segment(start, at, MAIL_STATE, None, None)))

    def cut(self, at: float) -> None:
        """Close each agent's time with one open at `at` (the end of a stretch), to go on from there."""
        for user_id in self.since:
            self._close(user_id, at)
            self.since[user_id] = max(at, self.since[user_id])

    def end(self, at: float) -> None:
        """Every conversation still open counts to `at` (the range's end, or now)."""
        for key in list(self.holders):
            self._release(at, key)

    def take(self) -> list[tuple[int, Segment]]:
        done, self.done = self.done, []
        return done


# --- whose agents ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agent:
    user_id: int
    name: str
    unit_id: int | None


@dataclass(frozen=True)
class Unit:
    id: int
    kind: str
    code: str
    name: str


@dataclass(frozen=True)
class AgentScope:
    agents: tuple[Agent, ...]  # the agents asked for and readable, by name
    units: dict[int, Unit]  # the org units the report rolls up to, with their agents below
    members: dict[int, frozenset[int]]  # org unit id: the user ids of the agents in it or below


def resolve_agents(session: Session, actor: Actor, filters: Filters) -> AgentScope:
    """The agents `actor` asks for and may read (a supervisor his org units' agents, an
    administrator all), and the org units above them that he may read. ValidationError for an
    unknown agent, team or a filter the agent report has not; PermissionDenied for one not his."""
    actor.require(Permission.AGENT_WATCH, "read agent reports")
    if filters.queues:
        raise ValidationError("the agent time report is not per queue: filter by --team or --agent")
    watched = watch_scope(session, actor)
    if filters.team is not None:
        watched = team_scope(session, actor, filters.team)
    names = chosen_agents(session, actor, watch_scope(session, actor), Filters(agents=filters.agents))
    query = select(User.id, User.username, User.org_unit_id).order_by(User.username)
    if names is not None:
        query = query.where(User.username.in_(sorted(names)))
    agents = tuple(Agent(*row) for row in session.execute(query) if watched.covers(row[2]))
    return AgentScope(agents, *_units(session, agents, watched))


def _units(session: Session, agents: Sequence[Agent],
           watched: WatchScope) -> tuple[dict[int, Unit], dict[int, frozenset[int]]]:
    """The org units above the agents (their own and each parent) that `watched` covers, with
    the agents in each."""
    rows = session.execute(select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.kind, OrgUnit.code, OrgUnit.name)).all()
    parents = {row.id: row.parent_id for row in rows}
    units = {row.id: Unit(row.id, row.kind, row.code, row.name) for row in rows}
    members: dict[int, set[int]] = {}
    for agent in agents:
        unit, seen = agent.unit_id, set()
        while unit is not None and unit not in seen:  # a cycle in the table must not loop forever
            seen.add(unit)
            if watched.covers(unit):
                members.setdefault(unit, set()).add(agent.user_id)
            unit = parents.get(unit)
    return {unit: units[unit] for unit in members}, {unit: frozenset(ids) for unit, ids in members.items()}


# --- the rows ---------------------------------------------------------------------------------


@dataclass
class Times:
    """Seconds per state, per not-ready reason code, and with an email or chat open."""

    states: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STATES, 0.0))
    reasons: dict[str, float] = field(default_factory=dict)
    email_chat: float = 0.0

    def add(self, state: str, reason: str | None, seconds: float) -> None:
        if state == MAIL_STATE:
            self.email_chat += seconds
            return
        self.states[state] += seconds
        if state == "not_ready":
            key = reason or ""
            self.reasons[key] = self.reasons.get(key, 0.0) + seconds

    def add_all(self, other: Times) -> None:
        self.email_chat += other.email_chat
        for state, seconds in other.states.items():
            self.states[state] += seconds
        for reason, seconds in other.reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0.0) + seconds


@dataclass(frozen=True)
class AgentTimeRow:
    """One agent, or one org unit's agents, over one interval: seconds per state."""

    level: str  # "agent", or the org unit's kind: team, site, contact_center
    unit: str | None  # the org unit's code (an agent's own unit)
    agent: str | None  # the agent's user name; None on an org unit's row
    start: datetime  # in the report's zone
    end: datetime
    times: Times

    def seconds(self, state: str) -> float:
        """Seconds in one of STATES, or logged in, busy or handling."""
        return getattr(self, state) if state in ("logged_in", "busy", "handling") else self.times.states[state]

    @property
    def busy(self) -> float:
        return d.busy_time(self.times.states["talk"], self.times.states["hold"])

    @property
    def handling(self) -> float:
        return d.handling_time(self.times.states["talk"], self.times.states["hold"], self.times.states["wrap_up"])

    @property
    def ready_idle(self) -> float:
        return d.ready_idle_time(self.times.states["ready"], self.times.states["offered"])

    @property
    def logged_in(self) -> float:
        states = self.times.states
        return d.logged_in_time(states["ready"], states["offered"], self.busy, states["wrap_up"],
                                states["not_ready"])

    @property
    def occupancy(self) -> float | None:
        return d.occupancy(self.handling, self.ready_idle)

    @property
    def utilization(self) -> float | None:
        return d.utilization(self.handling, self.logged_in)


class AgentTimeReport:
    """The agent time report's rows for one user, Period and filters, checked when made, read a
    stretch of intervals at a time when iterated. `now` ends a login still open (default: now)."""

    def __init__(self, session: Session, actor: Actor, p: Period, filters: Filters = Filters(),
                 now: datetime | None = None):
        self.session, self.period = session, p
        self.scope = resolve_agents(session, actor, filters)
        self.stretches = stretches(intervals(p), p.interval)
        until = min(p.end, now or datetime.now(UTC))
        self._reader = _Reader(session, self.scope.agents, p.start.timestamp(), until.timestamp())
        # those with a row: the agents named, else those who worked in the range
        self.agents = list(self.scope.agents) if filters.agents else self._reader.worked()
        self.reasons = self._reader.reasons()  # the not-ready reason codes, each a column of the exports

    def rows(self, progress: Callable[[], None] = lambda: None) -> Iterator[AgentTimeRow]:
        """Per interval: each agent who was logged in during the range, then each org unit
        above them (teams, sites, the center) with the sum of its agents. Read once."""
        for stretch in self.stretches:
            times = _per_interval(stretch, self._reader.segments(stretch[-1][1].timestamp()))
            for index, (start, end) in enumerate(stretch):
                yield from self._interval_rows(start, end, times[index], self.agents)
            progress()

    def _interval_rows(self, start: datetime, end: datetime, times: dict[int, Times],
                       shown: Sequence[Agent]) -> Iterator[AgentTimeRow]:
        for level, unit, agent, total in rolled_up(self.scope, shown, times, Times, Times.add_all):
            yield AgentTimeRow(level, unit, agent, start, end, total)


def rolled_up(scope: AgentScope, shown: Sequence[Agent], per_agent: Mapping[int, T], empty: Callable[[], T],
                 add: Callable[[T, T], None]) -> Iterator[tuple[str, str | None, str | None, T]]:
    """(level, org unit code, agent, value): each agent shown, then each org unit above them
    (teams, sites, the center) with the sum of its agents shown; `empty` makes a zero value,
    `add(total, one)` adds one into a total."""
    units = {agent.user_id: agent.unit_id for agent in shown}
    codes = {unit.id: unit.code for unit in scope.units.values()}
    for agent in shown:
        yield "agent", codes.get(agent.unit_id or -1), agent.name, per_agent.get(agent.user_id, empty())
    for unit in sorted(scope.units.values(), key=lambda u: (_level(u.kind), u.code)):
        members = [user_id for user_id in scope.members[unit.id] if user_id in units]
        if members:
            total = empty()
            for user_id in members:
                add(total, per_agent.get(user_id, empty()))
            yield unit.kind, unit.code, None, total


def _level(kind: str) -> int:
    return UNIT_LEVELS.index(kind) if kind in UNIT_LEVELS else len(UNIT_LEVELS)


def _per_interval(stretch: Sequence[tuple[datetime, datetime]],
                  segments: Iterator[tuple[int, Segment]]) -> list[dict[int, Times]]:
    """Each agent's seconds per state in each interval of the stretch: a segment across an
    interval's boundary is split at it."""
    starts = [start.timestamp() for start, _ in stretch]
    ends = [end.timestamp() for _, end in stretch]
    found: list[dict[int, Times]] = [{} for _ in stretch]
    for user_id, segment in segments:
        index = max(0, bisect_right(starts, segment.start) - 1)
        while index < len(stretch) and starts[index] < segment.end:
            seconds = min(segment.end, ends[index]) - max(segment.start, starts[index])
            if seconds > 0:
                found[index].setdefault(user_id, Times()).add(segment.state, segment.reason, seconds)
            index += 1
    return found


# --- the timeline of one agent's day -------------------------------------------------------------


def agent_day(session: Session, actor: Actor, agent: str, day: date, zone: ZoneInfo,
              now: datetime | None = None) -> list[Segment]:
    """The agent's states on one local day, in time order, cut to the day (and to now): when he
    logged in, was ready, was offered, talked and held each call, wrapped up, was not ready and
    why; and each email or chat conversation he had open (state: its channel), which may overlap
    them. ValidationError for an unknown agent, PermissionDenied for one not `actor`'s."""
    if not agent:
        raise ValidationError("name the agent whose day to show")
    p = period(datetime.combine(day, datetime.min.time()), datetime.combine(day + timedelta(days=1),
                                                                            datetime.min.time()), zone)
    scope = resolve_agents(session, actor, Filters(agents=(agent,)))
    until = min(p.end, now or datetime.now(UTC))
    start, end = p.start.timestamp(), until.timestamp()
    reader = _Reader(session, scope.agents, start, end, conversations=True)
    found = [segment for _, segment in reader.segments(p.end.timestamp()) if segment.state != MAIL_STATE]
    found += [replace(segment, start=max(segment.start, start)) for _, segment in reader.mail.conversations
              if segment.end > start]
    return sorted(found, key=lambda segment: (segment.start, segment.end))


# --- reading the event log ---------------------------------------------------------------------


class _Reader:
    """The agents' segments from `start` on, a stretch at a time, each agent's walk carried from
    one stretch into the next; everything still open ends at `until`."""

    def __init__(self, session: Session, agents: Sequence[Agent], start: float, until: float, *,
                 conversations: bool = False):
        self.session, self.start, self.until = session, start, until
        self.agents = {agent.user_id: agent for agent in agents}
        self.walks = {user_id: AgentWalk() for user_id in self.agents}
        self.mail = MailWork(self.agents, conversations=conversations)
        self.read_to = start
        opened = {user_id: at for user_id in self.walks if (at := self._session_open(user_id)) is not None}
        self.runs = self._gateway_runs(min(opened.values(), default=start))
        for user_id, since in opened.items():  # his state when the range starts
            self._walk(self._events(since, start, (user_id,)), since, start, (user_id,))
        for walk in self.walks.values():
            walk.cut(start)
            walk.take()
        self._read_mail(start - LONGEST_SESSION.total_seconds(), start)  # the conversations open at the start
        self.mail.cut(start)
        self.mail.take()

    def worked(self) -> list[Agent]:
        """The agents logged in at the start of the range or with an event of their time in it."""
        if not self.agents:
            return []
        end = datetime.fromtimestamp(self.until, UTC).replace(tzinfo=None)
        active = set(self.session.scalars(
            select(LoggedEvent.agent_id).distinct()
            .where(LoggedEvent.kind.in_([EventKind.LOGGED_IN.value, EventKind.WORK_MODE.value]),
                   LoggedEvent.at >= _naive(self.start), LoggedEvent.at < end,
                   LoggedEvent.agent_id.in_(sorted(self.agents)))))
        active |= {user_id for user_id, walk in self.walks.items() if walk.open is not None}
        active |= set(self.session.scalars(
            select(LoggedEvent.agent_id).distinct()
            .where(LoggedEvent.kind == EventKind.ANSWERED.value, LoggedEvent.channel.in_(MAIL_CHANNELS),
                   LoggedEvent.at >= _naive(self.start), LoggedEvent.at < end,
                   LoggedEvent.agent_id.in_(sorted(self.agents)))))
        active |= set(self.mail.since)
        return [agent for user_id, agent in self.agents.items() if user_id in active]

    def reasons(self) -> tuple[str, ...]:
        """The not-ready reason codes of the range (and of a not-ready state open at its start)."""
        reason = LoggedEvent.detail["reason"].as_string()
        found = {walk.open.reason for walk in self.walks.values()
                 if walk.open is not None and walk.open.state == "not_ready"}
        if self.agents:
            found |= set(self.session.scalars(
                select(reason).distinct().where(
                    LoggedEvent.kind == EventKind.WORK_MODE.value, LoggedEvent.at >= _naive(self.start),
                    LoggedEvent.at < _naive(self.until), LoggedEvent.agent_id.in_(sorted(self.agents)),
                    LoggedEvent.detail["mode"].as_string() == "not_ready")))
        return tuple(sorted(r or "" for r in found))

    def segments(self, end: float) -> Iterator[tuple[int, Segment]]:
        """The segments from where the last call ended to `end` (cut there, or at `until`)."""
        stop = min(end, self.until)
        if stop > self.read_to:
            self._walk(self._events(self.read_to, stop, tuple(self.agents)), self.read_to, stop, tuple(self.agents))
            self._read_mail(self.read_to, stop)
            self.read_to = stop
        for user_id, walk in self.walks.items():
            if end >= self.until:
                walk.end(self.until)  # a login still open counts to the range's end, or now
            else:
                walk.cut(stop)
            yield from ((user_id, segment) for segment in walk.take())
        if end >= self.until:
            self.mail.end(self.until)
        else:
            self.mail.cut(stop)
        yield from self.mail.take()

    def _read_mail(self, start: float, end: float) -> None:
        """The email and chat conversations' steps from `start` to `end`: whoever wrote them, as
        a step that ends an agent's part (requeued) names no agent."""
        if not self.agents:
            return
        query = (select(LoggedEvent.at, LoggedEvent.kind, LoggedEvent.channel, LoggedEvent.contact_id,
                        LoggedEvent.agent_id)
                 .where(LoggedEvent.at >= _naive(start), LoggedEvent.at < _naive(end),
                        LoggedEvent.channel.in_(MAIL_CHANNELS), LoggedEvent.contact_id.is_not(None),
                        LoggedEvent.kind.in_([kind.value for kind in MAIL_KINDS]))
                 .order_by(LoggedEvent.at, LoggedEvent.id))
        for at, kind, channel, contact, user_id in self.session.connection().execution_options(
                yield_per=READ_BATCH).execute(query):
            self.mail.step((at - _EPOCH).total_seconds(), kind, channel or "", contact or "", user_id)

    def _walk(self, events: Iterator[tuple], start: float, stop: float, agents: Sequence[int]) -> None:
        """Feed the agents' events from `start` to `stop` to their walks, with the gateway's
        restarts in that time between them."""
        walks = [self.walks[user_id] for user_id in agents]
        restarts = iter([run for run in self.runs if start <= run[0] < stop])
        run = next(restarts, None)
        for at, user_id, kind, key, contact, mode, reason in events:
            while run is not None and run[0] <= at:
                _restart(walks, *run)
                run = next(restarts, None)
            self.walks[user_id].event(at, kind, key, contact, mode, reason)
        while run is not None:
            _restart(walks, *run)
            run = next(restarts, None)

    def _events(self, start: float, end: float, agents: Sequence[int]) -> Iterator[tuple]:
        # the work mode and its reason taken out of the detail by the database, not by Python's json
        query = (select(LoggedEvent.at, LoggedEvent.agent_id, LoggedEvent.kind, LoggedEvent.event_key,
                        LoggedEvent.contact_id, LoggedEvent.detail["mode"].as_string(),
                        LoggedEvent.detail["reason"].as_string())
                 .where(LoggedEvent.at >= _naive(start), LoggedEvent.at < _naive(end),
                        LoggedEvent.agent_id.in_(sorted(agents)),
                        LoggedEvent.kind.in_([kind.value for kind in AGENT_KINDS]),
                        or_(LoggedEvent.channel.is_(None), LoggedEvent.channel == Channel.PHONE.value))
                 .order_by(LoggedEvent.at, LoggedEvent.id))
        rows = self.session.connection().execution_options(yield_per=READ_BATCH).execute(query)  # no ORM: plain rows
        for at, user_id, kind, key, contact, mode, reason in rows:
            yield (at - _EPOCH).total_seconds(), user_id, kind, key, contact, mode, reason

    def _session_open(self, user_id: int) -> float | None:
        """When his latest login before the range was, if no logout followed it and it is at
        most LONGEST_SESSION before the range (an older one lost its logout: it is not read)."""
        latest = self.session.execute(
            select(LoggedEvent.kind, LoggedEvent.at)
            .where(LoggedEvent.agent_id == user_id, LoggedEvent.at < _naive(self.start),
                   LoggedEvent.at >= _naive(self.start) - LONGEST_SESSION,
                   LoggedEvent.kind.in_([EventKind.LOGGED_IN.value, EventKind.LOGGED_OUT.value]))
            .order_by(LoggedEvent.at.desc(), LoggedEvent.id.desc()).limit(1)).first()
        return epoch(latest.at) if latest is not None and latest.kind == EventKind.LOGGED_IN.value else None

    def _gateway_runs(self, start: float) -> list[tuple[float, str, dict[str, float]]]:
        """Each gateway run's first event from `start` to `until`, in time order, with when
        every run before it wrote its last: a run that starts after another's last event is
        that gateway's restart."""
        prefix, length = GATEWAY_RUN
        run = func.substr(LoggedEvent.event_key, 1, length)
        rows = self.session.execute(
            select(run, func.min(LoggedEvent.at), func.max(LoggedEvent.at))
            .where(LoggedEvent.event_key.like(f"{prefix}%"), LoggedEvent.at >= _naive(start),
                   LoggedEvent.at < _naive(self.until)).group_by(run)).all()
        last = {name: epoch(latest) for name, _, latest in rows}
        return sorted((epoch(first), name, last) for name, first, _ in rows)


def _restart(walks: Sequence[AgentWalk], at: float, run: str, ended: dict[str, float]) -> None:
    """The gateway run `run` starts at `at`: the sessions of a run whose last event came before
    it end there (a run still writing is another gateway beside it, not a restart)."""
    for walk in walks:
        if walk.run is not None and ended.get(walk.run, at) <= at:
            walk.restarted(at, run)


_EPOCH = datetime(1970, 1, 1)  # the log's times are naive UTC


def _naive(seconds: float) -> datetime:
    return naive_utc(datetime.fromtimestamp(seconds, UTC))


# --- rows as plain records (exports) ---------------------------------------------------------


def agent_columns(reasons: Sequence[str]) -> tuple[str, ...]:
    """The export's columns: one not-ready column per reason code of the range."""
    return ("level", "unit", "agent", "start", "end", "logged_in", "ready", "offered", "busy", "talk", "hold",
            "wrap_up", "not_ready", *(f"not_ready_{reason or 'none'}" for reason in reasons), "handling",
            "occupancy", "utilization", "email_chat_open")


def agent_record(row: AgentTimeRow, reasons: Sequence[str]) -> dict[str, object]:
    """A row as the exports write it: times in ISO 8601 with their offset, seconds to three
    decimals, ratios as fractions (empty where nothing was measured)."""
    record: dict[str, object] = {"level": row.level, "unit": row.unit, "agent": row.agent,
                                 "start": row.start.isoformat(), "end": row.end.isoformat()}
    for name in ("logged_in", "ready", "offered", "busy", "talk", "hold", "wrap_up", "not_ready"):
        record[name] = round(row.seconds(name), 3)
    for reason in reasons:
        record[f"not_ready_{reason or 'none'}"] = round(row.times.reasons.get(reason, 0.0), 3)
    record["handling"] = round(row.handling, 3)
    for name in ("occupancy", "utilization"):
        value = getattr(row, name)
        record[name] = None if value is None else round(value, 6)
    record["email_chat_open"] = round(row.times.email_chat, 3)
    return record


SEGMENT_COLUMNS = ("agent", "start", "end", "seconds", "state", "reason", "contact")


def segment_record(agent: str, segment: Segment, zone: ZoneInfo) -> dict[str, object]:
    return {"agent": agent, "start": datetime.fromtimestamp(segment.start, zone).isoformat(),
            "end": datetime.fromtimestamp(segment.end, zone).isoformat(),
            "seconds": round(segment.end - segment.start, 3), "state": segment.state, "reason": segment.reason,
            "contact": segment.contact}
