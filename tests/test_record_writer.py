"""The gateway's record writer: in order, in batches, one bad record dropped
alone, and nothing lost while the database is away."""

import itertools
from contextlib import contextmanager
import logging
import socket
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import make_url, select
from sqlalchemy.exc import OperationalError

from conftest import PgSchema, pg_url
from crm.db import Database, upgrade
from crm.models import Interaction, LoggedEvent
from cti_gateway.records import CallRecords, RecordWriter

T0 = datetime(2026, 3, 2, 9, 0, 0)
WRITER_LOG = "cti_gateway.records"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def event_calls(engine_or_db) -> list[str]:
    """The call ids of the queue events, in the order they were written."""
    engine = getattr(engine_or_db, "engine", engine_or_db)
    with engine.connect() as conn:
        return list(conn.scalars(select(LoggedEvent.contact_id).order_by(LoggedEvent.id)))


def wait_until(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


class Gate:
    """An operation that holds the writer until opened, so that what is
    submitted meanwhile queues up behind it."""

    def __init__(self):
        self.opened = threading.Event()

    def __call__(self, session):
        assert self.opened.wait(10), "the gate was never opened"


@pytest.fixture
def writer(db):
    writer = RecordWriter(db, batch_max=3, retry_initial=0.01, retry_max=0.05)
    yield writer
    writer.stop(10)


def test_operations_are_written_in_order_a_batch_per_transaction(db, writer):
    gate, transactions, next_transaction = Gate(), [], itertools.count()

    def op(n):
        def apply(session):
            transactions.append((session.info.setdefault("transaction", next(next_transaction)), n))
            session.add(LoggedEvent(event_key=f"test:{n}", kind="entered", at=at(n), contact_id=f"c{n}",
                                    queue="support"))
        return apply

    writer.submit(gate, "gate")
    for n in range(8):
        writer.submit(op(n), f"event {n}")
    assert writer.backlog == 9
    gate.opened.set()
    assert writer.flush(10)
    assert writer.backlog == 0
    assert event_calls(db) == [f"c{n}" for n in range(8)]
    sizes = [len(list(group)) for _, group in itertools.groupby(transactions, key=lambda t: t[0])]
    assert max(sizes) == 3 and sum(sizes) == 8  # batch_max operations per transaction at most


def test_a_record_refused_for_its_data_is_dropped_alone(db, writer, caplog):
    caplog.set_level(logging.WARNING, logger=WRITER_LOG)
    records, gate = CallRecords(writer), Gate()

    def duplicate_segment(session):
        session.add(Interaction(contact_id="call-1", segment_no=1, channel="phone",
                                direction="inbound", started_at=T0))
        session.flush()

    writer.submit(gate, "gate")  # everything below lands in the same batches
    records.segment_opened("call-1", 1, direction="inbound", queue="support", ani="+8613800138000",
                           dnis="4001", started_at=T0)
    records.queue_event("entered", at=at(1), contact_id="c1", queue="support")
    records.queue_event("teleported", at=at(2), contact_id="c2", queue="support")
    writer.submit(duplicate_segment, "a second segment 1 of call-1")
    records.queue_event("answered", at=at(3), contact_id="c3", queue="support", wait=2.0)
    records.segment_updated("call-1", 1, talk_seconds=42.4, status="closed")
    gate.opened.set()
    assert writer.flush(10)

    assert event_calls(db) == ["c1", "c3"]
    with db.reading() as s:
        [segment] = s.scalars(select(Interaction))
        assert (segment.talk_seconds, segment.status) == (42, "closed")
    assert writer.dropped == 2 and writer.healthy
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert "event teleported of call c2" in errors[0]
    assert "a second segment 1 of call-1" in errors[1]
    assert "a second segment 1 of call-1" in writer.last_error


class CommitAnswerLost(Database):
    """The CRM database whose first commit is done but its answer lost on the way back (the
    connection dropped just then): the writer cannot tell, and commits the batch again."""

    def __init__(self, engine):
        super().__init__(engine)
        self.lost = 0

    @contextmanager
    def unit_of_work(self):
        with super().unit_of_work() as session:
            yield session
        if self.lost == 0:
            self.lost += 1
            raise OperationalError("COMMIT", None, ConnectionResetError("connection reset by peer"))


def test_a_commit_retried_after_its_answer_was_lost_writes_each_event_once(db):
    """Without a spool (or while it fails), a batch whose commit outcome was lost is written
    again; the log's keys keep each event once."""
    database = CommitAnswerLost(db.engine)
    writer = RecordWriter(database, retry_initial=0.01, retry_max=0.05)
    records = CallRecords(writer)
    records.queue_event("entered", at=at(1), contact_id="c1", queue="support")
    records.queue_event("answered", at=at(3), contact_id="c1", queue="support", wait=2.0)
    assert writer.stop(10)
    assert database.lost == 1 and writer.dropped == 0
    assert event_calls(db) == ["c1", "c1"]  # entered and answered, each once
    with db.reading() as s:
        assert list(s.scalars(select(LoggedEvent.kind).order_by(LoggedEvent.id))) == ["entered", "answered"]


def test_stop_writes_what_is_queued_and_then_takes_no_more(db):
    writer = RecordWriter(db)
    records = CallRecords(writer)
    for n in range(50):
        records.queue_event("entered", at=at(n), contact_id=f"c{n}", queue="support")
    assert writer.stop(10)
    assert event_calls(db) == [f"c{n}" for n in range(50)]
    with pytest.raises(RuntimeError, match="stopped"):
        records.queue_event("entered", at=at(99), contact_id="late", queue="support")


# --- the database goes away and comes back --------------------------------------------


class TcpForwarder:
    """127.0.0.1:port → target, that can be cut (listener and live connections
    closed, so new connections are refused) and restored on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = 0
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._connections: set[socket.socket] = set()
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            doomed = [self._listener, *self._connections] if self._listener else list(self._connections)
            self._listener = None
            self._connections.clear()
        for sock in doomed:
            _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    _close(client), _close(upstream)
                    return
                self._connections |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(source), _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in accept() or recv()
    except OSError:
        pass
    sock.close()


@pytest.fixture
def pg_behind_forwarder():
    """A migrated schema of its own on the test server, reached through a
    forwarder; yields (forwarder, writer URL with a password, engine)."""
    url = make_url(pg_url())
    schema = PgSchema(url.render_as_string(hide_password=False))
    engine = schema.engine()
    upgrade(engine)
    forwarder = TcpForwarder((url.host or "127.0.0.1", url.port or 5432))
    # A password the logs must never show (ignored by a server that trusts us).
    writer_url = url.set(host="127.0.0.1", port=forwarder.port,
                         password=url.password or "never-in-the-logs")
    writer_url = writer_url.update_query_dict({"options": f"-csearch_path={schema.name}"})
    yield forwarder, writer_url, engine
    forwarder.cut()
    engine.dispose()
    schema.drop()


def outage_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == WRITER_LOG and r.levelno == logging.WARNING]


@pytest.mark.postgres
def test_records_wait_out_a_database_outage_and_arrive_in_order(pg_behind_forwarder, caplog):
    caplog.set_level(logging.INFO, logger=WRITER_LOG)
    forwarder, url, engine = pg_behind_forwarder
    writer = RecordWriter(url.render_as_string(hide_password=False), batch_max=4,
                          retry_initial=0.02, retry_max=0.2)
    records = CallRecords(writer)
    try:
        records.segment_opened("call-1", 1, direction="inbound", queue="support",
                               ani="+8613800138000", dnis="4001", started_at=T0)
        for n in range(10):
            records.queue_event("entered", at=at(n), contact_id=f"c{n}", queue="support")
        assert writer.flush(30) and writer.healthy

        forwarder.cut()
        started = time.monotonic()
        for n in range(10, 20):
            records.queue_event("entered", at=at(n), contact_id=f"c{n}", queue="support")
        records.segment_updated("call-1", 1, talk_seconds=61.5, status="closed",
                                end_cause="caller_hangup")
        assert time.monotonic() - started < 0.5, "submit waited for the database"
        assert wait_until(lambda: not writer.healthy), "the writer did not notice the outage"
        assert "unavailable" in writer.last_error
        time.sleep(1.0)  # several retries
        assert writer.backlog == 11
        assert not writer.flush(0.1)

        forwarder.restore()
        assert writer.flush(30), f"{writer.backlog} records still waiting"
        assert writer.healthy
        assert event_calls(engine) == [f"c{n}" for n in range(20)]
        with engine.connect() as conn:
            segment = conn.execute(select(Interaction.talk_seconds, Interaction.status,
                                          Interaction.end_cause)).one()
        assert tuple(segment) == (62, "closed", "caller_hangup")
        assert writer.dropped == 0
    finally:
        writer.stop(10)
    assert len(outage_warnings(caplog)) == 1  # one per outage, not one per retry
    assert any("reachable again" in r.getMessage() for r in caplog.records)
    assert url.password not in caplog.text


@pytest.mark.postgres
def test_a_writer_started_while_the_database_is_away_writes_once_it_is_back(pg_behind_forwarder,
                                                                            caplog):
    caplog.set_level(logging.WARNING, logger=WRITER_LOG)
    forwarder, url, engine = pg_behind_forwarder
    forwarder.cut()
    writer = RecordWriter(url.render_as_string(hide_password=False), retry_initial=0.02,
                          retry_max=0.2)
    records = CallRecords(writer)
    try:
        for n in range(5):
            records.queue_event("entered", at=at(n), contact_id=f"c{n}", queue="support")
        assert wait_until(lambda: not writer.healthy)
        forwarder.restore()
        assert writer.flush(30)
        assert writer.healthy
        assert event_calls(engine) == [f"c{n}" for n in range(5)]
    finally:
        writer.stop(10)
    assert len(outage_warnings(caplog)) == 1
    assert url.password not in caplog.text
