"""Incoming mail parsed in parser processes and stored a batch per
transaction (email_queue.ingest), on SQLite and PostgreSQL: a burst shares
commits, one bad mail fails alone, a dead parser process loses nothing, and
stopping stores what was queued."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest
from sqlalchemy import func, select
from test_conversations import SERVICE, raw_mail, route

from crm.models import Conversation, ConversationMessage, RawEmail
from email_queue.ingest import MailIngest


class CountingWrites:
    """The service's `writing`, counting transactions."""

    def __init__(self, db):
        self.db, self.transactions, self.lock = db, 0, threading.Lock()

    @contextlib.contextmanager
    def __call__(self):
        with self.lock:
            self.transactions += 1
        with self.db.unit_of_work() as session:
            yield session


def make_ingest(db, *, route=route, parse_processes=0, writers=1):
    writes = CountingWrites(db)
    ingest = MailIngest(writes, route, parse_processes=parse_processes, writers=writers)
    ingest.start()
    return ingest, writes


def stored(db, model) -> int:
    with db.reading() as s:
        return s.scalar(select(func.count()).select_from(model))


def burst(count: int, prefix: str = "b") -> list[bytes]:
    return [raw_mail(sender=f"{prefix}{n}@example.cn", subject=f"第{n}封", message_id=f"<{prefix}{n}@example.cn>")
            for n in range(count)]


def run(coroutine):
    """asyncio.run in a thread of its own: the browser tests' session keeps a loop running in this one."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


async def send_all(ingest: MailIngest, mails: list[bytes]):
    return await asyncio.gather(*(ingest.email(raw, SERVICE, "smtp", "x@example.cn") for raw in mails),
                                return_exceptions=True)


def test_a_burst_is_stored_in_fewer_transactions_than_mails(db, backend):
    ingest, writes = make_ingest(db, writers=1 if backend == "sqlite" else 2)
    try:
        mails = burst(60)
        results = run(send_all(ingest, mails))
    finally:
        ingest.stop()
    assert all(r.new_conversation and r.work is not None for r in results)
    assert len({r.conversation_id for r in results}) == 60
    assert stored(db, RawEmail) == stored(db, ConversationMessage) == stored(db, Conversation) == 60
    assert writes.transactions < 60  # mails that arrived together shared a commit


def test_one_mail_that_cannot_be_stored_fails_alone(db):
    def picky_route(facts):
        if "第3封" in facts.subject:
            raise RuntimeError("the routing rules broke on this one")
        return route(facts)

    ingest, _ = make_ingest(db, route=picky_route)
    try:
        results = run(send_all(ingest, burst(8)))
    finally:
        ingest.stop()
    failed = [r for r in results if isinstance(r, Exception)]
    assert [str(e) for e in failed] == ["the routing rules broke on this one"]
    assert stored(db, ConversationMessage) == stored(db, RawEmail) == 7  # the rest of its batch is there


def test_the_same_message_twice_in_one_burst_is_stored_once(db):
    ingest, _ = make_ingest(db)
    raw = raw_mail(message_id="<twice@example.cn>")
    try:
        first, second = run(send_all(ingest, [raw, raw]))
    finally:
        ingest.stop()
    assert first.conversation_id == second.conversation_id
    assert sorted([first.duplicate, second.duplicate]) == [False, True]
    assert stored(db, ConversationMessage) == 1


def test_mail_is_parsed_in_a_parser_process_and_survives_its_death(db):
    ingest, _ = make_ingest(db, parse_processes=1)
    try:
        parsers = [p for p in multiprocessing.active_children() if "SpawnProcess" in p.name]
        assert parsers, "no parser process was started"
        first = run(ingest.email(raw_mail(message_id="<before@example.cn>"), SERVICE, "smtp"))
        for process in parsers:
            os.kill(process.pid, signal.SIGKILL)
            process.join(10)
        after = run(send_all(ingest, burst(3, "after")))  # parsed here while new parsers start
        later = ingest.store_blocking(raw_mail(sender="late@example.cn", message_id="<late@example.cn>"),
                                      SERVICE, "imap")
    finally:
        ingest.stop()
    assert first.message_id and later.message_id
    assert not [r for r in after if isinstance(r, Exception)]
    assert stored(db, ConversationMessage) == 5


def test_stopping_stores_what_was_queued(db):
    gate = threading.Event()

    def slow_route(facts):
        gate.wait(10)
        return route(facts)

    ingest, _ = make_ingest(db, route=slow_route)
    futures = [ingest._queue(raw, _parse(raw), SERVICE, "imap", None) for raw in burst(5, "q")]
    stopper = threading.Thread(target=ingest.stop)
    stopper.start()
    gate.set()
    stopper.join(20)
    assert not stopper.is_alive()
    assert all(f.done() and f.exception() is None for f in futures)
    assert stored(db, ConversationMessage) == 5


def _parse(raw: bytes):
    from email_queue.parse import parse_email

    return parse_email(raw)


@pytest.fixture(autouse=True)
def _no_parser_left_behind():
    yield
    for process in multiprocessing.active_children():
        if "SpawnProcess" in process.name:
            process.join(5)


class _PoolThatCannotStart:
    """A process pool whose processes die at once (as when the machine refuses new ones)."""

    def submit(self, *_args):
        future = Future()
        future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
        return future

    def shutdown(self, **_kwargs):
        pass


def test_mail_is_still_taken_in_when_the_parser_processes_cannot_start(db, monkeypatch, caplog):
    monkeypatch.setattr(MailIngest, "_new_parsers", lambda self: _PoolThatCannotStart())
    ingest, _ = make_ingest(db, parse_processes=1)
    try:
        received = run(ingest.email(raw_mail(message_id="<no-parsers@example.cn>"), SERVICE, "smtp"))
    finally:
        ingest.stop()
    assert received.message_id is not None and stored(db, ConversationMessage) == 1
    assert "parser processes could not start" in caplog.text
