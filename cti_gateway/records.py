"""Call and queue records, written to the CRM database off the gateway's loop.

The gateway must never wait for the database, and must go on switching calls
while the database is briefly away. So every record is first written to the
gateway's local spool (cti_gateway.record_spool), then queued as an
operation to one writer thread, which applies them in order, a batch per
transaction. While the database cannot be reached it keeps them and retries
the same operations, in the same order, with a growing pause; nothing is
dropped. An operation that fails on its data is the only thing ever dropped,
with an error naming it, so that one bad record cannot hold up all the
others. With a spool, each transaction also stores the number of the last
spooled record it holds, so a spool queued again after a crash writes each
record once.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from queue import Empty, SimpleQueue

import msgspec
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from crm.db import Database, make_engine
from crm.errors import CrmError, DatabaseNotMigrated, DatabaseUnavailable
from crm.permissions import Actor
from crm.services import calls
from cti_gateway.record_spool import (
    QueueEventLogged,
    RecordSpool,
    SegmentOpened,
    SegmentUpdated,
    SpooledRecord,
    SpoolError,
)

log = logging.getLogger(__name__)

Operation = Callable[[Session], object]


@dataclass(frozen=True)
class _Queued:
    op: Operation
    what: str  # for the logs: "call 4711 segment 1 opened"
    seq: int | None = None  # its number in the spool, if it is spooled


_STOP = object()


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached now (retry later),
    rather than that the operation itself is wrong."""
    if isinstance(exc, (OperationalError, InterfaceError, DatabaseUnavailable, DatabaseNotMigrated)):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class RecordWriter:
    """A daemon thread writing queued operations to the CRM database.

    `url_or_database` is a database URL (the thread opens its own engine, and
    waits for the database if it is not there yet) or an open crm.db.Database.
    """

    def __init__(self, url_or_database: str | Database, *, spool: RecordSpool | None = None,
                 batch_max: int = 200, retry_initial: float = 0.2, retry_max: float = 5.0):
        if batch_max < 1:
            raise ValueError("batch_max must be at least 1")
        if not isinstance(url_or_database, Database):
            make_url(url_or_database)  # a malformed URL is the caller's error, now
        self._source = url_or_database
        self.spool = spool
        self._database = url_or_database if isinstance(url_or_database, Database) else None
        self._engine = None  # ours to dispose, when we opened it from a URL
        self._batch_max = batch_max
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._queue: SimpleQueue = SimpleQueue()
        self._progress = threading.Condition()
        self._submitted = 0
        self._done = 0  # written or dropped
        self._dropped = 0
        self._stopping = threading.Event()
        self._closed = False
        self._healthy = True
        self._outage_since = 0.0
        self._last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name="cicada-record-writer", daemon=True)
        self._thread.start()

    # --- the gateway's side ---------------------------------------------------

    def submit(self, op: Operation, what: str, seq: int | None = None) -> None:
        """Queue `op(session)`; returns at once, whatever the database does. `seq`: the
        record's number in the spool (the writer skips it if the database has it)."""
        with self._progress:
            if self._closed:
                raise RuntimeError(f"the record writer is stopped; {what} was not recorded")
            self._submitted += 1
            self._queue.put(_Queued(op, what, seq))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted so far is written (or dropped);
        False if that took longer than `timeout` seconds."""
        with self._progress:
            target = self._submitted
            return self._progress.wait_for(lambda: self._done >= target, timeout)

    def stop(self, timeout: float | None = None) -> bool:
        """Flush, then end the thread. False if records were left unwritten."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._progress:
            self._closed = True
        flushed = self.flush(timeout)
        self._stopping.set()
        self._queue.put(_STOP)
        self._thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return flushed

    @property
    def backlog(self) -> int:
        """Operations submitted and not yet written."""
        with self._progress:
            return self._submitted - self._done

    @property
    def healthy(self) -> bool:
        """False while the database cannot be reached and records wait."""
        return self._healthy

    @property
    def last_error(self) -> str | None:
        """The latest problem (unreachable database, dropped record), kept
        after recovery for the gateway's status."""
        return self._last_error

    @property
    def dropped(self) -> int:
        """Operations dropped because their data was refused."""
        return self._dropped

    # --- the writer thread ----------------------------------------------------

    def _run(self) -> None:
        try:
            while (batch := self._next_batch()) is not None:
                if not self._write(batch):
                    break
        finally:
            if self._engine is not None:
                self._engine.dispose()

    def _next_batch(self) -> list[_Queued] | None:
        first = self._queue.get()
        if first is _STOP:
            return None
        batch = [first]
        while len(batch) < self._batch_max:
            try:
                item = self._queue.get_nowait()
            except Empty:
                break
            if item is _STOP:
                self._queue.put(_STOP)  # after this batch
                break
            batch.append(item)
        return batch

    def _write(self, batch: list[_Queued]) -> bool:
        """Write `batch` in order: whole while it can, one by one once an
        operation failed on its data; waiting out unavailability. False if
        the writer was stopped before the database came back."""
        remaining, one_by_one = batch, False
        pause = self._retry_initial
        while remaining:
            chunk = remaining[:1] if one_by_one else remaining
            try:
                self._commit(chunk)
            except Exception as exc:  # noqa: BLE001 - sorted below; the writer must go on
                if is_unavailable(exc):
                    if not self._wait_for_database(exc, pause):
                        return False
                    pause = min(pause * 2, self._retry_max)
                    continue
                if len(chunk) > 1:
                    one_by_one = True
                    continue
                self._drop(chunk[0], exc)
            else:
                self._database_back()
            pause = self._retry_initial
            remaining = remaining[len(chunk):]
            self._count_done(len(chunk))
        return True

    def _commit(self, chunk: list[_Queued]) -> None:
        with self._open_database().unit_of_work() as session:
            if self.spool is None:
                for item in chunk:
                    item.op(session)
                return
            done = calls.spool_progress(session, self.spool.spool_id)
            last = done
            for item in chunk:
                if item.seq is not None and item.seq <= done:
                    continue  # written before the gateway last stopped
                item.op(session)
                last = max(last, item.seq or 0)
            if last > done:
                calls.set_spool_progress(session, self.spool.spool_id, last)
        self._spooled_written(chunk)

    def _spooled_written(self, chunk: list[_Queued]) -> None:
        if self.spool is not None:
            numbers = [item.seq for item in chunk if item.seq is not None]
            if numbers:
                self.spool.written(max(numbers))

    def _open_database(self) -> Database:
        if self._database is None:
            if self._engine is None:
                self._engine = _engine_for(self._source)
            self._database = Database(self._engine)  # raises until reachable and migrated
        return self._database

    def _wait_for_database(self, exc: Exception, pause: float) -> bool:
        """Note the outage (one warning per outage) and pause; False when the
        writer is being stopped meanwhile."""
        if self._healthy:
            self._healthy = False
            self._outage_since = time.monotonic()
            self._last_error = f"CRM database unavailable: {short_reason(exc)}"
            log.warning("The CRM database at %s cannot take records now (%s); keeping them "
                        "and retrying.", self._where(), short_reason(exc))
        if self._stopping.wait(pause):
            if self.spool is not None:
                log.warning("Stopped while the CRM database was unavailable: %d record(s) kept in the "
                            "spool %s, to be written after the next start.", self.backlog, self.spool.path)
            else:
                log.error("Stopped while the CRM database was unavailable: %d record(s) not written.",
                          self.backlog)
            return False
        return True

    def _database_back(self) -> None:
        if not self._healthy:
            self._healthy = True
            log.info("The CRM database is reachable again after %.1f s; writing %d waiting "
                     "record(s).", time.monotonic() - self._outage_since, self.backlog)

    def _drop(self, item: _Queued, exc: Exception) -> None:
        self._spooled_written([item])
        self._dropped += 1
        self._last_error = f"record dropped: {item.what}: {short_reason(exc)}"
        log.error("Dropped a record that cannot be written: %s: %s", item.what, short_reason(exc),
                  exc_info=not isinstance(exc, (DBAPIError, CrmError)))

    def _count_done(self, count: int) -> None:
        with self._progress:
            self._done += count
            self._progress.notify_all()

    def _where(self) -> str:
        if isinstance(self._source, Database):
            url = self._source.engine.url
        else:
            url = make_url(self._source)
        return url.render_as_string(hide_password=True)


def _engine_for(url: str):
    """An engine that gives up on a dead server within seconds instead of
    hanging on TCP timeouts, unless the URL says otherwise."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return make_engine(url)
    limits = {"connect_timeout": 10, "tcp_user_timeout": 15_000}  # seconds; milliseconds
    return make_engine(url, connect_args={k: v for k, v in limits.items() if k not in parsed.query})


def short_reason(exc: BaseException) -> str:
    """A one-line cause, without the SQL and its parameters (customer data)."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}".rstrip(": ")


# --- the gateway's facade -----------------------------------------------------


class CallRecords:
    """What the gateway records about calls; every method returns at once,
    with the record in the spool (if there is one) and queued for the database."""

    def __init__(self, writer: RecordWriter):
        self.writer = writer
        self._actor = Actor.system()
        self._spool_failing = False
        # Each event's key in the log: this run's id and the event's number. It is made here,
        # once, and travels with the record through the spool and every retry, so the log
        # takes each event once however often it is written.
        self._run = f"gw-{secrets.token_hex(6)}"
        self._numbers = itertools.count(1)

    def segment_opened(self, contact_id: str, segment_no: int, *, direction: str,
                       queue: str | None, ani: str | None, dnis: str | None,
                       started_at: datetime, queued_at: datetime | None = None,
                       agent: str | None = None) -> None:
        self._record(SegmentOpened(contact_id=contact_id, segment_no=segment_no, direction=direction,
                                   queue=queue, ani=ani, dnis=dnis, started_at=started_at,
                                   queued_at=queued_at, agent=agent))

    def segment_updated(self, contact_id: str, segment_no: int, **fields) -> None:
        self._record(SegmentUpdated(contact_id=contact_id, segment_no=segment_no, fields=fields))

    def queue_event(self, kind: str, *, at: datetime, contact_id: str | None = None,
                    queue: str | None = None, agent: str | None = None, **detail) -> None:
        detail = {k: round(v, 3) if isinstance(v, float) else v for k, v in detail.items()}
        self._record(QueueEventLogged(event=kind, at=at, contact_id=contact_id, queue=queue, agent=agent,
                                      detail=detail, key=f"{self._run}:{next(self._numbers)}"))

    def replay_spool(self) -> int:
        """Queue what the spool held at start again; the writer skips what the database has."""
        spool = self.writer.spool
        pending = spool.replay() if spool is not None else []
        for seq, record in pending:
            if isinstance(record, QueueEventLogged) and not record.key:  # spooled before events had keys
                record = msgspec.structs.replace(record, key=f"spool-{spool.spool_id}:{seq}")
            self.writer.submit(partial(apply_record, record, self._actor), describe(record), seq)
        return len(pending)

    def _record(self, record: SpooledRecord) -> None:
        seq = None
        spool = self.writer.spool
        if spool is not None:
            try:
                seq = spool.append(record)
                self._spool_failing = False
            except (SpoolError, ValueError, TypeError) as exc:  # the database may still take it
                if not self._spool_failing:
                    log.error("A record could not be spooled (%s); it goes to the database unspooled "
                              "until the spool works again.", exc)
                self._spool_failing = True
        self.writer.submit(partial(apply_record, record, self._actor), describe(record), seq)


_TIME_FIELDS = ("offered_at", "answered_at", "ended_at")
# Agents' events as gateways before the event log named them (their spools may still hold them).
_FORMER_KINDS = {"login": "logged_in", "logout": "logged_out", "agent_state": "work_mode"}


def apply_record(record: SpooledRecord, actor: Actor, session: Session) -> None:
    """Write one spooled record with the crm's call services."""
    if isinstance(record, SegmentOpened):
        calls.record_segment_opened(session, actor, contact_id=record.contact_id, segment_no=record.segment_no,
                                    direction=record.direction, queue=record.queue, ani=record.ani,
                                    dnis=record.dnis, started_at=record.started_at,
                                    queued_at=record.queued_at, agent=record.agent)
    elif isinstance(record, SegmentUpdated):
        fields = {name: _read_time(value) if name in _TIME_FIELDS else value
                  for name, value in record.fields.items()}
        calls.record_segment_updated(session, actor, record.contact_id, record.segment_no, **fields)
    elif isinstance(record, QueueEventLogged):
        calls.record_event(session, actor, key=record.key, kind=_FORMER_KINDS.get(record.event, record.event),
                           at=record.at, contact_id=record.contact_id, queue=record.queue, agent=record.agent,
                           detail=record.detail or None)


def _read_time(value):
    """A time that went through the spool comes back as ISO text."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value  # refused by the service, with the field's name
    return value


def describe(record: SpooledRecord) -> str:
    """For the logs: "call 4711 segment 1 opened"."""
    if isinstance(record, SegmentOpened):
        return f"call {record.contact_id} segment {record.segment_no} opened"
    if isinstance(record, SegmentUpdated):
        names = ", ".join(record.fields)
        return f"call {record.contact_id} segment {record.segment_no} updated ({names})"
    about = (f" of call {record.contact_id}" if record.contact_id else
             f" of {record.agent}" if record.agent else "")
    return f"event {record.event}{about}"
