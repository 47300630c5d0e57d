"""What a report page asks for, read from its address: the range (local days, the last one
included), the interval, queues, team and agents, and for the contacts behind a count its queue,
interval and figure. A value that cannot be read is an AskError with the supervisor's words."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.datastructures import QueryParams

from crm.reports.queue_report import COUNTS, INTERVALS, Filters, Period, period

DEFAULT_INTERVAL = "60min"


class AskError(Exception):
    """A value of the address that cannot be read: `text` (to translate) with its `values`."""

    def __init__(self, text: str, **values: str):
        super().__init__(text)
        self.text, self.values = text, values


@dataclass(frozen=True)
class Drill:
    """The contacts behind one count: its queue, interval [start, end) and figure (a COUNTS name)."""

    queue: str
    start: datetime
    end: datetime
    figure: str


@dataclass(frozen=True)
class Ask:
    first: date
    last: date  # included
    interval: str = DEFAULT_INTERVAL
    queues: tuple[str, ...] = ()
    team: str | None = None
    agents: tuple[str, ...] = ()
    drill: Drill | None = None
    channel: str = ""  # the email and chat report's: email, chat, or both

    def period(self, zone: ZoneInfo) -> Period:
        """The range's Period (ValidationError for a bad range); the count's interval when drilled."""
        if self.drill is not None:
            return period(self.drill.start, self.drill.end, zone, "day")
        start = datetime.combine(self.first, datetime.min.time(), zone)
        end = datetime.combine(self.last + timedelta(days=1), datetime.min.time(), zone)
        return period(start, end, zone, self.interval)

    def filters(self) -> Filters:
        queues = (self.drill.queue,) if self.drill is not None else self.queues
        return Filters(queues, self.team, self.agents)

    def params(self) -> list[tuple[str, str]]:
        """The report's own address parameters (without a drill-down)."""
        found = [("from", self.first.isoformat()), ("to", self.last.isoformat()), ("interval", self.interval)]
        found += [("queue", name) for name in self.queues]
        found += [("team", self.team)] if self.team else []
        found += [("agent", name) for name in self.agents]
        return found + ([("channel", self.channel)] if self.channel else [])

    def query(self) -> str:
        return urlencode(self.params() + self._drill_params())

    def report_query(self) -> str:
        """The address parameters of the report itself (back from a drill-down)."""
        return urlencode(self.params())

    def drilled(self, queue: str, start: datetime, end: datetime, figure: str) -> str:
        """The address parameters of the contacts behind one count of the report."""
        return replace(self, drill=Drill(queue, start, end, figure)).query()

    def _drill_params(self) -> list[tuple[str, str]]:
        if self.drill is None:
            return []
        return [("count", self.drill.figure), ("in", self.drill.queue), ("start", self.drill.start.isoformat()),
                ("end", self.drill.end.isoformat())]


@dataclass(frozen=True)
class DayAsk:
    """The timeline of one agent's day: his user name and the local day."""

    agent: str
    day: date

    def query(self) -> str:
        return urlencode([("agent", self.agent), ("day", self.day.isoformat())])


def read_day_ask(params: QueryParams, today: date) -> DayAsk:
    return DayAsk((params.get("agent") or "").strip(), _day(params.get("day"), today))


def read_ask(params: QueryParams, today: date, *, drilled: bool = False) -> Ask:
    first = _day(params.get("from"), today)
    last = _day(params.get("to"), first)
    interval = params.get("interval") or DEFAULT_INTERVAL
    if interval not in INTERVALS:
        raise AskError("Unknown interval: {value}.", value=interval)
    queues = tuple(name for name in params.getlist("queue") if name)
    agents = tuple(name.strip() for value in params.getlist("agent") for name in value.split(",") if name.strip())
    ask = Ask(first, last, interval, queues, params.get("team") or None, agents,
              channel=(params.get("channel") or "").strip())
    return replace(ask, drill=_drill(params)) if drilled else ask


def _day(text: str | None, default: date) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise AskError("Not a day: {value}. Write it as 2026-03-29.", value=text) from None


def _drill(params: QueryParams) -> Drill:
    figure = params.get("count") or ""
    if figure not in COUNTS:
        raise AskError("Unknown figure: {value}.", value=figure)
    return Drill(params.get("in") or "", _time(params.get("start")), _time(params.get("end")), figure)


def _time(text: str | None) -> datetime:
    try:
        when = datetime.fromisoformat(text or "")
    except ValueError:
        raise AskError("Not a time: {value}.", value=text or "") from None
    if when.tzinfo is None:
        raise AskError("Not a time: {value}.", value=text or "")
    return when
