"""Call records: one interaction per agent segment of a call, and the event log (contacts'
steps through the queues, agents' working time) that queue and agent reports are computed
from.

The CTI gateway writes them, acting as the system (Permission.CALL_RECORD),
through a writer thread that may deliver an update before the open it
follows. What the gateway sends is kept whenever it can be: an unknown agent
or customer number is logged, not refused, so a renamed user never costs a
record. What cannot be right (an unknown field, end cause or event kind) is
refused with ValidationError.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal, cast, overload

from sqlalchemy import CursorResult, Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm import texts
from crm.clock import utcnow
from crm.errors import ValidationError
from crm.models import (
    BusinessPartner,
    Channel,
    Direction,
    EndCause,
    EventKind,
    Interaction,
    InteractionStatus,
    LoggedEvent,
    RecordSpoolProgress,
    User,
)
from crm.permissions import Actor, Permission
from crm.reports.definitions import (
    SHORT_ABANDON_SECONDS,
    QueueFigures,
    QueueThresholds,
    ServiceLevelVariant,
    entered_in,
    queue_figures,
)
from crm.reports.queue_contacts import epoch, read_visits

log = logging.getLogger(__name__)

SEGMENT_FIELDS = frozenset({
    "queue", "agent", "offered_at", "answered_at", "ended_at", "wait_seconds", "talk_seconds",
    "hold_seconds", "wrapup_seconds", "end_cause", "status", "partner_no", "notes",
})
_TIME_FIELDS = ("offered_at", "answered_at", "ended_at")
_SECONDS_FIELDS = ("wait_seconds", "talk_seconds", "hold_seconds", "wrapup_seconds")

# The gateway writes several of these for every call, all day: they are Core
# statements on the tables (compiled once, no unit of work), not ORM objects.
_SEGMENTS = cast(Table, Interaction.__table__)
_EVENTS = cast(Table, LoggedEvent.__table__)
_USER_ID = select(User.id).where(User.username == bindparam("username"))
_PARTNER_ID = select(BusinessPartner.id).where(BusinessPartner.partner_no == bindparam("partner_no"))
_SEGMENT_ID = select(_SEGMENTS.c.id).where(_SEGMENTS.c.contact_id == bindparam("contact_id"),
                                           _SEGMENTS.c.segment_no == bindparam("segment_no"))
_UPDATE_SEGMENT = update(_SEGMENTS).where(_SEGMENTS.c.id == bindparam("segment_id"))
_INSERT_SEGMENT = insert(_SEGMENTS)
# An event whose key is there already was written before (a retried commit): nothing is added.
# Whether a row was: SQLite counts it; on PostgreSQL the id comes back (its rowcount is -1
# behind the RETURNING SQLAlchemy adds for the key).
_INSERT_EVENT = {
    "sqlite": sqlite.insert(_EVENTS).on_conflict_do_nothing(index_elements=["event_key"]),
    "postgresql": postgresql.insert(_EVENTS).on_conflict_do_nothing(index_elements=["event_key"])
    .returning(_EVENTS.c.id),
}
_EVENT_ID = select(_EVENTS.c.id).where(_EVENTS.c.event_key == bindparam("event_key"))
_SPOOLS = cast(Table, RecordSpoolProgress.__table__)
_SPOOL_PROGRESS = select(_SPOOLS.c.last_seq).where(_SPOOLS.c.spool_id == bindparam("spool_id"))
_UPDATE_SPOOL_PROGRESS = (update(_SPOOLS).where(_SPOOLS.c.spool_id == bindparam("b_spool_id"))
                          .values(last_seq=bindparam("last_seq"), updated_at=bindparam("updated_at")))


# --- call segments ------------------------------------------------------------


def open_call_segment(session: Session, actor: Actor, *, contact_id: str, segment_no: int,
                      channel: str = Channel.PHONE.value, direction: str, queue: str | None,
                      ani: str | None, dnis: str | None, started_at: datetime,
                      queued_at: datetime | None = None, agent: str | None = None) -> Interaction:
    """Create the interaction record of one agent segment of a call (status
    open). Opening a segment that exists already updates it with what is given."""
    segment_id = record_segment_opened(
        session, actor, contact_id=contact_id, segment_no=segment_no, channel=channel, direction=direction,
        queue=queue, ani=ani, dnis=dnis, started_at=started_at, queued_at=queued_at, agent=agent)
    return _segment(session, segment_id)


def record_segment_opened(session: Session, actor: Actor, *, contact_id: str, segment_no: int,
                          channel: str = Channel.PHONE.value, direction: str, queue: str | None,
                          ani: str | None, dnis: str | None, started_at: datetime,
                          queued_at: datetime | None = None, agent: str | None = None) -> int:
    """`open_call_segment` for the gateway's writer: the segment's id, no object."""
    actor.require(Permission.CALL_RECORD, "record calls")
    _check_segment_key(contact_id, segment_no)
    values: dict[str, object] = {
        "channel": _choice(channel, Channel, "channel"),
        "direction": _choice(direction, Direction, "direction"),
        "queue": _text(queue, 80, "queue"),
        "ani": _text(_cut(ani, 254), 254, "ani"),
        "dnis": _text(_cut(dnis, 254), 254, "dnis"),
        "started_at": _time(started_at, "started_at", required=True),
    }
    if queued_at is not None:
        values["queued_at"] = _time(queued_at, "queued_at")
    session.flush()  # rows the caller added through the ORM (a user, say) are seen below
    if agent is not None:
        values["agent_id"] = _segment_agent_id(session, agent, contact_id, segment_no)
    segment_id = _segment_id(session, contact_id, segment_no)
    if segment_id is None:
        return _insert_segment(session, contact_id, segment_no,
                               {"status": InteractionStatus.OPEN.value, **values})
    _update_segment(session, segment_id, values)
    return segment_id


def update_call_segment(session: Session, actor: Actor, contact_id: str, segment_no: int,
                        **fields) -> Interaction:
    """Change fields of a call segment (see SEGMENT_FIELDS). A segment whose
    open has not arrived is created with what is known, not refused."""
    return _segment(session, record_segment_updated(session, actor, contact_id, segment_no, **fields))


def record_segment_updated(session: Session, actor: Actor, contact_id: str, segment_no: int,
                           **fields) -> int:
    """`update_call_segment` for the gateway's writer: the segment's id, no object."""
    actor.require(Permission.CALL_RECORD, "record calls")
    _check_segment_key(contact_id, segment_no)
    values = _segment_values(fields)
    session.flush()
    columns = _segment_columns(session, contact_id, segment_no, values)
    segment_id = _segment_id(session, contact_id, segment_no)
    if segment_id is None:
        return _insert_segment(session, contact_id, segment_no,
                               _segment_before_its_open(contact_id, segment_no, values) | columns)
    if columns:
        _update_segment(session, segment_id, columns)
    return segment_id


def _segment(session: Session, segment_id: int) -> Interaction:
    # populate_existing: the row was written past the ORM, which may hold it from before.
    segment = session.get(Interaction, segment_id, populate_existing=True)
    assert segment is not None  # written in this transaction
    return segment


def _segment_id(session: Session, contact_id: str, segment_no: int) -> int | None:
    known = _known_ids(session)
    key = ("segment", contact_id, segment_no)
    if key not in known:
        found = session.execute(_SEGMENT_ID, {"contact_id": contact_id, "segment_no": segment_no}).scalar()
        if found is None:
            return None
        known[key] = found
    return known[key]


def _insert_segment(session: Session, contact_id: str, segment_no: int, values: dict) -> int:
    row = {"contact_id": contact_id, "segment_no": segment_no, **values}
    segment_id = _inserted_id(session, _INSERT_SEGMENT, row)
    _known_ids(session)[("segment", contact_id, segment_no)] = segment_id
    return segment_id


def _known_ids(session: Session) -> dict:
    """Ids looked up or made in the session's current transaction (a batch of the gateway's
    records asks for the same segments and agents again and again); forgotten with it, so
    that a rolled-back insert is never taken for a row."""
    transaction = session.get_transaction()
    cached = session.info.get("call_record_ids")
    if cached is None or cached[0] is not transaction:
        cached = session.info["call_record_ids"] = (transaction, {})
    return cached[1]


def _inserted_id(session: Session, statement, row: dict) -> int:
    key = cast(CursorResult, session.execute(statement, row)).inserted_primary_key
    assert key is not None  # a single-row INSERT
    return key[0]


def _update_segment(session: Session, segment_id: int, values: dict) -> None:
    session.execute(_UPDATE_SEGMENT, {"segment_id": segment_id, **values})


def _segment_before_its_open(contact_id: str, segment_no: int, values: dict) -> dict:
    log.warning("call %s segment %s was updated before it was opened; "
                "recording it with what is known", contact_id, segment_no)
    known_times = [values[f] for f in _TIME_FIELDS if values.get(f) is not None]
    return {
        "channel": Channel.PHONE.value, "direction": Direction.INBOUND.value,
        "status": InteractionStatus.OPEN.value,
        # The open, when it comes, sets the real direction and start.
        "started_at": min(known_times) if known_times else utcnow(),
    }


def _segment_values(fields: dict) -> dict:
    unknown = sorted(set(fields) - SEGMENT_FIELDS)
    if unknown:
        raise ValidationError(
            f"unknown call segment field(s) {', '.join(unknown)}; "
            f"use {', '.join(sorted(SEGMENT_FIELDS))}")
    return {name: _segment_value(name, value) for name, value in fields.items()}


def _segment_value(name: str, value):
    if name in _TIME_FIELDS:
        return _time(value, name)
    if name in _SECONDS_FIELDS:
        return _whole_seconds(value, name)
    if name == "end_cause":
        return None if value is None else _choice(value, EndCause, name)
    if name == "status":
        return _choice(value, InteractionStatus, name)
    if name == "queue":
        return _text(value, 80, name)
    return _text(value, None, name)  # agent, partner_no, notes


def _segment_columns(session: Session, contact_id: str, segment_no: int, values: dict) -> dict:
    """The segment's columns for checked field values: an agent's name becomes his id, a
    customer number the customer's (an unknown one leaves the customer as it is)."""
    columns = {}
    for name, value in values.items():
        if name == "agent":
            columns["agent_id"] = (None if value is None else
                                   _segment_agent_id(session, value, contact_id, segment_no))
        elif name == "partner_no":
            if value is None:
                columns["partner_id"] = None
            elif (partner_id := _partner_id(session, value, contact_id, segment_no)) is not None:
                columns["partner_id"] = partner_id
        else:
            columns[name] = value
    return columns


def _segment_agent_id(session: Session, username: str, contact_id: str | None, segment_no: int | None) -> int | None:
    user_id = _user_id(session, username)
    if user_id is None:
        log.warning("call %s segment %s: there is no user %r; the segment is recorded "
                    "without its agent", contact_id, segment_no, username)
    return user_id


def _partner_id(session: Session, partner_no: str, contact_id: str, segment_no: int) -> int | None:
    partner_id = session.execute(_PARTNER_ID, {"partner_no": partner_no.strip().upper()}).scalar()
    if partner_id is None:
        log.warning("call %s segment %s: there is no customer number %r; the segment "
                    "keeps its customer", contact_id, segment_no, partner_no)
    return partner_id


# --- the event log ---------------------------------------------------------------


def log_event(session: Session, actor: Actor, *, key: str, kind: str, at: datetime,
              channel: str | None = None, contact_id: str | None = None, queue: str | None = None,
              agent: str | None = None, detail: dict | None = None) -> LoggedEvent:
    """Append one event to the event log (once: see `record_event`); the event with `key`."""
    record_event(session, actor, key=key, kind=kind, at=at, channel=channel, contact_id=contact_id,
                 queue=queue, agent=agent, detail=detail)
    event_id = session.execute(_EVENT_ID, {"event_key": key}).scalar()
    event = session.get(LoggedEvent, event_id, populate_existing=True)
    assert event is not None  # written in this transaction or before
    return event


def record_event(session: Session, actor: Actor, *, key: str, kind: str, at: datetime,
                 channel: str | None = None, contact_id: str | None = None, queue: str | None = None,
                 agent: str | None = None, detail: dict | None = None) -> bool:
    """`log_event` for the gateway's writer: whether the event was added. `key` names the event
    once and for all (its source's run and number); an event whose key the log holds already
    is not added again, so a commit retried after its outcome was lost cannot duplicate it.
    A contact's channel is the phone unless told. An unknown agent is kept by name in the
    detail."""
    actor.require(Permission.CALL_RECORD, "record events")
    return write_event(session, key=key, kind=kind, at=at, channel=channel, contact_id=contact_id,
                       queue=queue, agent=agent, detail=detail)


def write_event(session: Session, *, key: str, kind: str, at: datetime, channel: str | None = None,
                contact_id: str | None = None, queue: str | None = None, agent: str | None = None,
                detail: dict | None = None) -> bool:
    """`record_event` for a service that checked already what its caller may do (the mail queue
    writing its conversations' steps beside the change that made them): whether it was added."""
    detail = _json_detail(detail)
    agent_id = None
    if agent is not None:
        agent = _text(agent, None, "agent")
        session.flush()
        agent_id = _user_id(session, agent)
        if agent_id is None:
            detail["agent"] = agent
    if not isinstance(key, str) or not key:
        raise ValidationError("an event needs its key (its source and number)")
    contact_id = _text(contact_id, 64, "contact_id")
    if channel is None and contact_id is not None:
        channel = Channel.PHONE.value
    row = {
        "event_key": _text(key, 100, "event key"),
        "kind": _choice(kind, EventKind, "event kind"),
        "at": _time(at, "at", required=True),
        "channel": None if channel is None else _choice(channel, Channel, "channel"),
        "contact_id": contact_id,
        "queue": _text(queue, 80, "queue"),
        "agent_id": agent_id,
        "detail": detail or None,
    }
    return _insert_event(session, row)


def _insert_event(session: Session, row: dict) -> bool:
    dialect = session.get_bind().dialect.name
    result = cast(CursorResult, session.execute(_INSERT_EVENT[dialect], row))
    return result.rowcount == 1 if dialect == "sqlite" else result.scalar() is not None


def _json_detail(detail: dict | None) -> dict:
    if detail is None:
        return {}
    if not isinstance(detail, dict):
        raise ValidationError(f"an event's detail is a dict, not {type(detail).__name__}")
    detail = {str(k): _jsonable(v) for k, v in detail.items()}
    try:
        json.dumps(detail)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"an event's detail must be JSON: {exc}") from None
    return detail


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


# --- after the gateway stopped ---------------------------------------------------


def spool_progress(session: Session, spool_id: str) -> int:
    """The number of the last record of a gateway's spool that is written (0: none)."""
    return session.execute(_SPOOL_PROGRESS, {"spool_id": spool_id}).scalar() or 0


def set_spool_progress(session: Session, spool_id: str, last_seq: int) -> None:
    """Part of the transaction that writes the records up to `last_seq`."""
    row = {"spool_id": spool_id, "last_seq": last_seq, "updated_at": utcnow()}
    updated = cast(CursorResult, session.execute(_UPDATE_SPOOL_PROGRESS, {"b_spool_id": spool_id, **row}))
    if updated.rowcount == 0:
        session.execute(insert(_SPOOLS), row)


@dataclass(frozen=True)
class InterruptedCalls:
    segments_closed: int
    wrap_ups_closed: int
    agents_logged_out: int


def close_interrupted_calls(session: Session, actor: Actor, *, started_before: datetime,
                            ended_at: datetime, cause: str) -> InterruptedCalls:
    """Close what a gateway that stopped left open: call segments still in
    progress end at `ended_at` with `cause` (and an "ended" event each),
    wrap-ups running are closed, and agents still logged in are logged out.
    Only what started before `started_before` (the new gateway's start) is
    touched, so the new run's own calls never are."""
    actor.require(Permission.CALL_RECORD, "record calls")
    cause = _choice(cause, EndCause, "end cause")
    ended_at = _time(ended_at, "ended_at", required=True)
    started_before = _time(started_before, "started_before", required=True)
    segments = _interrupted_segments(session, started_before, InteractionStatus.OPEN)
    for segment in segments:
        _end_interrupted(session, segment, ended_at, cause)
    wrap_ups = _interrupted_segments(session, started_before, InteractionStatus.WRAP_UP)
    for segment in wrap_ups:
        end = max(ended_at, segment.ended_at or ended_at)
        segment.wrapup_seconds = _whole_seconds((end - (segment.ended_at or end)).total_seconds(),
                                                "wrapup_seconds")
        segment.status = InteractionStatus.CLOSED.value
    agents = _logged_in_agents(session, started_before)
    for agent_id in agents:
        _insert_event(session, {"event_key": f"interrupted:{agent_id}:{ended_at.isoformat()}:logged_out",
                                "kind": EventKind.LOGGED_OUT.value, "at": ended_at, "agent_id": agent_id,
                                "detail": {"reason": cause}})
    session.flush()
    return InterruptedCalls(len(segments), len(wrap_ups), len(agents))


def _interrupted_segments(session: Session, started_before: datetime,
                          status: InteractionStatus) -> list[Interaction]:
    return list(session.scalars(select(Interaction).where(
        Interaction.channel == Channel.PHONE.value, Interaction.status == status.value,
        Interaction.contact_id.is_not(None), Interaction.started_at < started_before)))


def _end_interrupted(session: Session, segment: Interaction, ended_at: datetime, cause: str) -> None:
    end = max(ended_at, segment.started_at)
    segment.ended_at, segment.end_cause = end, cause
    segment.status = InteractionStatus.CLOSED.value
    if segment.answered_at is not None:
        segment.talk_seconds = _whole_seconds(max(0.0, (end - segment.answered_at).total_seconds()), "talk_seconds")
    else:
        waited_from = segment.queued_at or segment.started_at
        segment.wait_seconds = _whole_seconds(max(0.0, (end - waited_from).total_seconds()), "wait_seconds")
    _insert_event(session, {
        "event_key": f"interrupted:{segment.contact_id}:{segment.segment_no}:ended", "kind": EventKind.ENDED.value,
        "at": end, "channel": segment.channel, "contact_id": segment.contact_id, "queue": segment.queue,
        "agent_id": segment.agent_id, "detail": {"cause": cause, "by": "system"}})


def _logged_in_agents(session: Session, before: datetime) -> list[int]:
    """Agents whose latest login or logout before `before` is a login."""
    latest = (select(LoggedEvent.agent_id, func.max(LoggedEvent.id).label("last_id"))
              .where(LoggedEvent.kind.in_([EventKind.LOGGED_IN.value, EventKind.LOGGED_OUT.value]),
                     LoggedEvent.agent_id.is_not(None), LoggedEvent.at < before)
              .group_by(LoggedEvent.agent_id).subquery())
    return list(session.scalars(select(LoggedEvent.agent_id).join(latest, LoggedEvent.id == latest.c.last_id)
                                .where(LoggedEvent.kind == EventKind.LOGGED_IN.value)))


# --- queue report -------------------------------------------------------------


@dataclass(frozen=True)
class QueueSummary:
    """What happened in one queue to the contacts that entered it from `start` (inclusive) to
    `end` (exclusive), whenever they were answered, abandoned or left, by the definitions of
    crm/reports/definitions.py (docs/reports.md). Waits are in seconds."""

    queue: str
    start: datetime
    end: datetime
    thresholds: QueueThresholds
    figures: QueueFigures
    overflowed: int
    transferred_out: int

    @property
    def service_level_seconds(self) -> float:
        return self.thresholds.service_level_seconds

    @property
    def entered(self) -> int:
        return self.figures.entered

    @property
    def answered(self) -> int:
        return self.figures.answered

    @property
    def abandoned(self) -> int:
        return self.figures.abandoned

    @property
    def average_wait(self) -> float | None:
        return self.figures.asa

    @property
    def longest_wait(self) -> float | None:
        return self.figures.longest_wait

    @property
    def answered_within_service_level(self) -> int:
        return self.figures.answered_within

    @property
    def service_level(self) -> float | None:
        """Percent, in the queue's variant; None without a contact that left the queue."""
        level = self.figures.service_level
        return None if level is None else 100.0 * level


def queue_summary(session: Session, actor: Actor, *, queue: str, start: datetime, end: datetime,
                  service_level_seconds: float, short_abandon_seconds: float = SHORT_ABANDON_SECONDS,
                  variant: str = ServiceLevelVariant.ABANDONS_AGAINST) -> QueueSummary:
    actor.require(Permission.INTERACTION_READ_ANY, "read queue reports")
    start, end = _time(start, "start", required=True), _time(end, "end", required=True)
    if end <= start:
        raise ValidationError("the report period ends before it starts")
    if service_level_seconds < 0:
        raise ValidationError("the service level threshold cannot be negative")
    if short_abandon_seconds < 0:
        raise ValidationError("the short abandon threshold cannot be negative")
    if variant not in ServiceLevelVariant.values():
        raise ValidationError(f"unknown service level variant {variant!r} "
                              f"(use {', '.join(ServiceLevelVariant.values())})")
    thresholds = QueueThresholds(service_level_seconds, short_abandon_seconds, ServiceLevelVariant(variant))
    contacts = entered_in(read_visits(session, start, end, queue).contacts(queue), epoch(start), epoch(end))
    return QueueSummary(queue=queue, start=start, end=end, thresholds=thresholds,
                        figures=queue_figures(contacts, thresholds),
                        overflowed=sum(1 for c in contacts if c.left_by == "overflowed"),
                        transferred_out=sum(1 for c in contacts if c.transferred))


# --- checks -------------------------------------------------------------------


def _user_id(session: Session, username: str) -> int | None:
    known = _known_ids(session)
    key = ("user", username.strip())
    if key not in known:
        found = session.execute(_USER_ID, {"username": key[1]}).scalar()
        if found is None:
            return None
        known[key] = found
    return known[key]


def _check_segment_key(contact_id, segment_no) -> None:
    if not isinstance(contact_id, str) or not contact_id.strip():
        raise ValidationError("a call segment needs the call's contact id")
    _text(contact_id, 64, "contact_id")
    texts.check(contact_id, "the call's contact id")  # it names the record: never changed
    if not isinstance(segment_no, int) or isinstance(segment_no, bool) or segment_no < 1:
        raise ValidationError(f"segment_no is a number from 1, not {segment_no!r}")


def _choice(value, enum, name: str) -> str:
    # The enum's own map: listing its values for every record cost the gateway's writer more
    # than the check is worth.
    if not isinstance(value, str) or value not in enum._value2member_map_:
        raise ValidationError(f"unknown {name} {value!r} (use {', '.join(enum.values())})")
    return str(value)


@overload
def _text(value: str, limit: int | None, name: str) -> str: ...


@overload
def _text(value: object, limit: int | None, name: str) -> str | None: ...


def _text(value, limit: int | None, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{name} is text, not {type(value).__name__}")
    if limit is not None and len(value) > limit:
        raise ValidationError(f"{name} is longer than {limit} characters: {value[:40]!r}...")
    return texts.storable(value)  # a caller's odd number or name is kept, never the reason a record is lost


def _cut(value, limit: int):
    """What a caller sent (his number, the number he dialled) cut to its column: a caller's
    number of any length is kept, never the reason his call's record is lost."""
    return value[:limit] if isinstance(value, str) else value


@overload
def _time(value, name: str, *, required: Literal[True]) -> datetime: ...


@overload
def _time(value, name: str, *, required: bool = False) -> datetime | None: ...


def _time(value, name: str, *, required: bool = False) -> datetime | None:
    """A naive UTC datetime; an aware one is converted."""
    if value is None and not required:
        return None
    if not isinstance(value, datetime):
        raise ValidationError(f"{name} is a date and time, not {value!r}")
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _whole_seconds(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(f"{name} is a number of seconds, not {value!r}")
    if value < 0:
        raise ValidationError(f"{name} cannot be negative ({value})")
    return math.floor(value + 0.5)  # half up: 12.5 s is 13, not the even 12
