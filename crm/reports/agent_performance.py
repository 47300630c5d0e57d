"""The agent performance report (docs/reports.md, "The agent performance report"): per agent and
interval, rolled up to team, site and center as the agent time report: the contacts he handled
per channel and their AHT, holds, transfers, the reason and outcome codes of his interaction
records, and the callbacks he scheduled and kept. For `cicada report performance`.

A contact counts in the interval in which the agent took it (answered the call, took the email
or chat); its steps are read until a day after (LONGEST_STAY). Phone figures come from
crm.reports.definitions on his calls as QueueContacts; email and chat parts from
crm.reports.agent_time.MailWork (the agent time report's code); codes from the interaction
records and callbacks from the business transactions, read only.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from crm.errors import ValidationError
from crm.models import (
    BusinessTransaction,
    Channel,
    EventKind,
    Interaction,
    LoggedEvent,
    TransactionKind,
    TransactionStatus,
)
from crm.permissions import Actor
from crm.reports import definitions as d
from crm.reports.agent_time import MAIL_CHANNELS, MAIL_KINDS, Agent, MailWork, resolve_agents, rolled_up
from crm.reports.queue_contacts import LONGEST_STAY, epoch
from crm.reports.queue_report import READ_BATCH, Filters, Period, intervals, naive_utc, stretches

PHONE_KINDS = (EventKind.ANSWERED, EventKind.WRAPPED_UP, EventKind.HELD, EventKind.TRANSFERRED)


@dataclass
class Performance:
    """One agent's (or org unit's) contacts and codes over one interval."""

    calls: list[d.QueueContact] = field(default_factory=list)  # his answered calls; entered_at: when answered
    holds: int = 0
    mail_parts: dict[str, list[float | None]] = field(
        default_factory=lambda: {channel: [] for channel in MAIL_CHANNELS})  # seconds of each part; None: open
    mail_transfers: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    callbacks_scheduled: int = 0
    callbacks_kept: int = 0

    def add_all(self, other: Performance) -> None:
        self.calls += other.calls
        self.holds += other.holds
        for channel, parts in other.mail_parts.items():
            self.mail_parts[channel] += parts
        self.mail_transfers += other.mail_transfers
        self.reasons.update(other.reasons)
        self.outcomes.update(other.outcomes)
        self.callbacks_scheduled += other.callbacks_scheduled
        self.callbacks_kept += other.callbacks_kept

    @property
    def transfers(self) -> int:
        """His calls he transferred (definitions.transfers) + the emails and chats he transferred."""
        return d.transfers(self.calls) + self.mail_transfers


@dataclass(frozen=True)
class PerformanceRow:
    level: str  # "agent", or the org unit's kind: team, site, contact_center
    unit: str | None
    agent: str | None
    start: datetime  # in the report's zone
    end: datetime
    performance: Performance


class AgentPerformanceReport:
    """The rows for one user, Period and filters (a team, agents), checked when made, read a
    stretch of intervals at a time when iterated."""

    def __init__(self, session: Session, actor: Actor, p: Period, filters: Filters = Filters()):
        if filters.queues:
            raise ValidationError("the agent performance report is not per queue: filter by --team or --agent")
        self.session, self.period = session, p
        self.scope = resolve_agents(session, actor, filters)
        self.stretches = stretches(intervals(p), p.interval)
        self.ids = sorted(agent.user_id for agent in self.scope.agents)
        # those with a row: the agents named, else those with a contact, a record or a callback in the range
        active = self._active() if not filters.agents else None
        self.agents: list[Agent] = [a for a in self.scope.agents if active is None or a.user_id in active]
        self.reasons, self.outcomes = self._codes()  # each code a column of the exports

    def rows(self, progress: Callable[[], None] = lambda: None) -> Iterator[PerformanceRow]:
        for stretch in self.stretches:
            found = self._read(stretch)
            for (start, end), per_agent in zip(stretch, found):
                for level, unit, agent, total in rolled_up(self.scope, self.agents, per_agent, Performance,
                                                           Performance.add_all):
                    yield PerformanceRow(level, unit, agent, start, end, total)
            progress()

    # --- reading ---------------------------------------------------------------------------

    def _read(self, stretch: Sequence[tuple[datetime, datetime]]) -> list[dict[int, Performance]]:
        starts = [start.timestamp() for start, _ in stretch]
        found: list[dict[int, Performance]] = [{} for _ in stretch]
        first, last = stretch[0][0].timestamp(), stretch[-1][1].timestamp()

        def of(user_id: int | None, at: float) -> Performance | None:
            if user_id is None or not first <= at < last:
                return None
            return found[bisect_right(starts, at) - 1].setdefault(user_id, Performance())

        if self.ids:
            self._calls(stretch, of)
            self._mail(stretch, of)
            self._records(stretch, of)
            self._callbacks(stretch, of)
        return found

    def _calls(self, stretch, of: Callable[[int | None, float], Performance | None]) -> None:
        """Each call he answered, with its handle time (his wrap-up's end), holds and transfer."""
        calls: dict[tuple[int, str], tuple[Performance, int]] = {}  # (agent, call): where its QueueContact is
        for at, kind, user_id, contact, detail in self._events(stretch, PHONE_KINDS, (Channel.PHONE.value,)):
            if kind == EventKind.ANSWERED.value:
                target = of(user_id, at)
                if target is not None:
                    calls[(user_id, contact)] = (target, len(target.calls))
                    target.calls.append(d.QueueContact(at, "answered", contact_id=contact))
                continue
            known = calls.get((user_id, contact))
            if known is None:
                continue  # answered before the stretch, or by someone else
            target, index = known
            call = target.calls[index]
            if kind == EventKind.HELD.value:
                target.holds += 1
            elif kind == EventKind.TRANSFERRED.value:
                target.calls[index] = replace(call, transferred=True)
            elif kind == EventKind.WRAPPED_UP.value and isinstance(handle := (detail or {}).get("handle"),
                                                                    (int, float)):
                target.calls[index] = replace(call, handle_seconds=float(handle))

    def _mail(self, stretch, of: Callable[[int | None, float], Performance | None]) -> None:
        """Each email and chat conversation he took: his part, from taking it to its next step."""
        work = MailWork(self.ids, conversations=True)
        for at, kind, user_id, contact, _ in self._events(stretch, MAIL_KINDS, MAIL_CHANNELS, anyone=True):
            channel, number = contact
            if kind == EventKind.TRANSFERRED.value and user_id in work.agents and \
                    (target := of(user_id, at)) is not None:
                target.mail_transfers += 1
            work.step(at, kind, channel, number, user_id)
        ended = {(user_id, segment.state, segment.contact, segment.start): segment.end - segment.start
                 for user_id, segment in work.conversations}
        open_parts = {(user_id, key[0], key[1], since): None for key, (user_id, since) in work.holders.items()}
        for (user_id, channel, _, since), seconds in (ended | open_parts).items():
            target = of(user_id, since)
            if target is not None:
                target.mail_parts[channel].append(seconds)

    def _events(self, stretch, kinds, channels: Sequence[str], *, anyone: bool = False) -> Iterator[tuple]:
        """The log's steps of these kinds and channels from the stretch's start to a day after
        its end: the agents' own, or (`anyone`) every agent's and none's (a requeue names none)."""
        start, end = naive_utc(stretch[0][0]), naive_utc(stretch[-1][1]) + LONGEST_STAY
        query = (select(LoggedEvent.at, LoggedEvent.kind, LoggedEvent.agent_id, LoggedEvent.channel,
                        LoggedEvent.contact_id, LoggedEvent.detail)
                 .where(LoggedEvent.at >= start, LoggedEvent.at < end, LoggedEvent.contact_id.is_not(None),
                        LoggedEvent.kind.in_([kind.value for kind in kinds]), LoggedEvent.channel.in_(channels))
                 .order_by(LoggedEvent.at, LoggedEvent.id))
        if not anyone:
            query = query.where(LoggedEvent.agent_id.in_(self.ids))
        rows = self.session.connection().execution_options(yield_per=READ_BATCH).execute(query)
        for at, kind, user_id, channel, contact, detail in rows:
            yield epoch(at), kind, user_id, (channel, contact) if anyone else contact, detail

    def _records(self, stretch, of: Callable[[int | None, float], Performance | None]) -> None:
        """The reason and outcome codes of his interaction records started in the stretch."""
        rows = self.session.execute(
            select(Interaction.agent_id, Interaction.started_at, Interaction.reason_code, Interaction.outcome_code)
            .where(Interaction.agent_id.in_(self.ids), Interaction.started_at >= naive_utc(stretch[0][0]),
                   Interaction.started_at < naive_utc(stretch[-1][1])))
        for user_id, started, reason, outcome in rows:
            target = of(user_id, epoch(started))
            if target is not None:
                target.reasons.update([reason] if reason else [])
                target.outcomes.update([outcome] if outcome else [])

    def _callbacks(self, stretch, of: Callable[[int | None, float], Performance | None]) -> None:
        """The callbacks he scheduled in the stretch; kept: completed by the end of their window."""
        rows = self.session.execute(
            select(BusinessTransaction.created_by_id, BusinessTransaction.created_at, BusinessTransaction.status,
                   BusinessTransaction.closed_at, BusinessTransaction.window_end)
            .where(BusinessTransaction.kind == TransactionKind.CALLBACK.value,
                   BusinessTransaction.created_by_id.in_(self.ids),
                   BusinessTransaction.created_at >= naive_utc(stretch[0][0]),
                   BusinessTransaction.created_at < naive_utc(stretch[-1][1])))
        for user_id, created, status, closed, window_end in rows:
            target = of(user_id, epoch(created))
            if target is not None:
                target.callbacks_scheduled += 1
                target.callbacks_kept += callback_kept(status, closed, window_end)

    def _active(self) -> set[int]:
        if not self.ids:
            return set()
        start, end = naive_utc(self.period.start), naive_utc(self.period.end)
        taken = (select(LoggedEvent.agent_id).where(
            LoggedEvent.agent_id.in_(self.ids), LoggedEvent.kind == EventKind.ANSWERED.value,
            LoggedEvent.at >= start, LoggedEvent.at < end))
        records = select(Interaction.agent_id).where(Interaction.agent_id.in_(self.ids),
                                                     Interaction.started_at >= start, Interaction.started_at < end)
        callbacks = select(BusinessTransaction.created_by_id).where(
            BusinessTransaction.kind == TransactionKind.CALLBACK.value, BusinessTransaction.created_by_id.in_(self.ids),
            BusinessTransaction.created_at >= start, BusinessTransaction.created_at < end)
        return {user_id for user_id in self.session.scalars(union(taken, records, callbacks)) if user_id is not None}

    def _codes(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The reason and outcome codes of the shown agents' records in the range."""
        ids = [agent.user_id for agent in self.agents]
        if not ids:
            return (), ()
        rows = self.session.execute(
            select(Interaction.reason_code, Interaction.outcome_code).distinct()
            .where(Interaction.agent_id.in_(ids), Interaction.started_at >= naive_utc(self.period.start),
                   Interaction.started_at < naive_utc(self.period.end))).all()
        return (tuple(sorted({reason for reason, _ in rows if reason})),
                tuple(sorted({outcome for _, outcome in rows if outcome})))


def callback_kept(status: str, closed_at: datetime | None, window_end: datetime | None) -> bool:
    """Kept: the callback was marked done (completed) by the end of its window. The CRM records
    that mark, not the call itself."""
    return status == TransactionStatus.COMPLETED.value and closed_at is not None and (
        window_end is None or closed_at <= window_end)


# --- rows as plain records (exports) ---------------------------------------------------------


def performance_columns(reasons: Sequence[str], outcomes: Sequence[str]) -> tuple[str, ...]:
    """The export's columns: one per reason code and per outcome code of the range."""
    return ("level", "unit", "agent", "start", "end", "phone_handled", "phone_aht", "email_handled", "email_aht",
            "chat_handled", "chat_aht", "holds", "transfers", *(f"reason_{code}" for code in reasons),
            *(f"outcome_{code}" for code in outcomes), "callbacks_scheduled", "callbacks_kept")


def performance_record(row: PerformanceRow, reasons: Sequence[str], outcomes: Sequence[str]) -> dict[str, object]:
    """A row as the exports write it: times in ISO 8601 with their offset, AHT in seconds to
    three decimals (empty where nothing was handled)."""
    p = row.performance
    aht = lambda value: None if value is None else round(value, 3)
    record: dict[str, object] = {
        "level": row.level, "unit": row.unit, "agent": row.agent, "start": row.start.isoformat(),
        "end": row.end.isoformat(), "phone_handled": d.handled(p.calls), "phone_aht": aht(d.aht(p.calls))}
    for channel in MAIL_CHANNELS:
        record[f"{channel}_handled"] = d.mail_handled(p.mail_parts[channel])
        record[f"{channel}_aht"] = aht(d.mail_aht(p.mail_parts[channel]))
    record |= {"holds": p.holds, "transfers": p.transfers}
    record |= {f"reason_{code}": p.reasons[code] for code in reasons}
    record |= {f"outcome_{code}": p.outcomes[code] for code in outcomes}
    return record | {"callbacks_scheduled": p.callbacks_scheduled, "callbacks_kept": p.callbacks_kept}
