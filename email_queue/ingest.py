"""Incoming email, parsed beside the service and stored a batch at a time.

The mail queue is one Python process, so its threads share one core. At a
few hundred mails a second two things pay off: parsing (MIME, charsets,
HTML sanitising: about a third of the work) runs in separate processes, and
one writer thread stores the mails that arrived meanwhile in one transaction
(group commit), so a burst costs one commit, not one per mail. A mail alone
is stored alone, at once.

Nothing acknowledged is lost: the caller (the SMTP listener, the IMAP poller)
hears that its mail is stored only after the commit. If one mail of a batch
cannot be stored, the batch is rolled back and each mail stored alone, so
only that one fails.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.services.conversations import email_in
from crm.services.conversations.queueing import Received, Route, RouteFacts
from email_queue.parse import ParsedEmail, end_with_the_mail_queue, parse_email

log = logging.getLogger(__name__)

PARSERS_STOP_SECONDS = 5.0  # at stop: a parse under way is not waited for longer
PARSERS_START_SECONDS = 60.0
MAX_BATCH = 16  # mails per transaction: a batch holds SQLite's write lock, which chat lines wait for


@dataclass
class _Job:
    raw: bytes
    parsed: ParsedEmail
    mailbox: str
    via: str
    envelope_from: str | None
    done: Future  # Received, or the exception that stopped it
    retried: bool = False
    also_to: tuple[str, ...] = ()  # the other service addresses it was sent to


class MailIngest:
    """Parse (`parse`) and store (`store`) incoming emails; both may be called
    from the event loop (`await`) or from any thread (`store_blocking`)."""

    def __init__(self, writing: Callable[[], AbstractContextManager[Session]],
                 route: Callable[[RouteFacts], Route], *, parse_processes: int = 1, writers: int = 1):
        """`writers`: threads storing batches side by side, each on its own
        connection; one for SQLite (it takes one writer at a time anyway),
        more for a database server, whose round trips they overlap."""
        self.writing = writing
        self.route = route
        self.parse_processes = parse_processes
        self._parsers: ProcessPoolExecutor | None = None
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._writers = [threading.Thread(target=self._write, name=f"mailq-ingest-{n}", daemon=True)
                         for n in range(writers)]

    def start(self) -> None:
        if self.parse_processes > 0:
            self._start_parsers()
        for writer in self._writers:
            writer.start()

    def _start_parsers(self) -> None:
        """Spawned and warm before the first mail; if they cannot start, mail is
        parsed in the service itself, slower but taken in all the same."""
        try:
            self._parsers = self._new_parsers()
            self._parsers.submit(parse_email, b"Subject: start\r\n\r\nstarted\r\n").result(PARSERS_START_SECONDS)
        except (BrokenProcessPool, OSError, TimeoutError) as exc:
            log.error("the mail parser processes could not start (%s); parsing in the service instead",
                      exc or type(exc).__name__)
            if self._parsers is not None:
                self._parsers.shutdown(wait=False, cancel_futures=True)
            self._parsers = None

    def stop(self) -> None:
        """Store what is queued, then stop."""
        running = [w for w in self._writers if w.is_alive()]
        for _ in running:
            self._jobs.put(None)
        for writer in running:
            writer.join()
        if self._parsers is not None:
            # The pool's manager thread closes its wake-up pipe as it ends; Python 3.11's exit hook
            # writes to that pipe, racing with it (EBADF in the log at exit). Waiting a moment for
            # the thread, not for the parsers' work, leaves the hook nothing to race with.
            manager = getattr(self._parsers, "_executor_manager_thread", None)
            self._parsers.shutdown(wait=False, cancel_futures=True)
            if manager is not None:
                manager.join(PARSERS_STOP_SECONDS)

    # --- the callers' side ----------------------------------------------------------------------

    async def email(self, raw: bytes, mailbox: str, via: str, envelope_from: str | None = None,
                    also_to: tuple[str, ...] = ()) -> Received:
        parsed = await self._parse(raw)
        return await asyncio.wrap_future(self._queue(raw, parsed, mailbox, via, envelope_from, also_to))

    def store_blocking(self, raw: bytes, mailbox: str, via: str, envelope_from: str | None = None) -> Received:
        """From a thread not the loop's (the IMAP poller)."""
        parsers = self._parsers
        parsed = None
        if parsers is not None:
            try:
                parsed = parsers.submit(parse_email, raw).result()
            except BrokenProcessPool:
                self._replace_parsers(parsers)
        if parsed is None:
            parsed = parse_email(raw)
        return self._queue(raw, parsed, mailbox, via, envelope_from).result()

    async def _parse(self, raw: bytes) -> ParsedEmail:
        parsers = self._parsers
        loop = asyncio.get_running_loop()
        if parsers is not None:
            try:
                return await loop.run_in_executor(parsers, parse_email, raw)
            except BrokenProcessPool:
                self._replace_parsers(parsers)
        return await loop.run_in_executor(None, parse_email, raw)

    def _queue(self, raw, parsed, mailbox, via, envelope_from, also_to: tuple[str, ...] = ()) -> Future:
        job = _Job(raw, parsed, mailbox, via, envelope_from, Future(), also_to=also_to)
        self._jobs.put(job)
        return job.done

    def _new_parsers(self) -> ProcessPoolExecutor:
        # spawn: the service has threads and sockets a forked child must not inherit
        return ProcessPoolExecutor(self.parse_processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=end_with_the_mail_queue)

    def _replace_parsers(self, broken: ProcessPoolExecutor) -> None:
        """A parser process died (a mail that crashed it, or it was killed):
        this mail is parsed here, and later ones by fresh processes."""
        log.error("a mail parser process died; starting new ones")
        if self._parsers is broken:
            self._parsers = self._new_parsers()
        broken.shutdown(wait=False, cancel_futures=True)

    # --- the writer thread ----------------------------------------------------------------------

    def _write(self) -> None:
        stopping = False
        while not stopping:
            job = self._jobs.get()
            if job is None:
                break
            batch = [job]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            self._store(batch)

    def _store(self, batch: list[_Job]) -> None:
        try:
            with self.writing() as session:
                results = [self._receive(session, job) for job in batch]
        except Exception as exc:
            if len(batch) > 1:  # find the one that fails: the others are stored each alone
                for job in batch:
                    self._store([job])
            elif isinstance(exc, IntegrityError) and not batch[0].retried:
                batch[0].retried = True  # the same Message-ID stored by another writer meanwhile: it is there now
                self._store(batch)
            else:
                batch[0].done.set_exception(exc)
            return
        for job, received in zip(batch, results, strict=True):
            job.done.set_result(received)

    def _receive(self, session: Session, job: _Job) -> Received:
        return email_in.receive_email(session, raw=job.raw, parsed=job.parsed, mailbox=job.mailbox,
                                      via=job.via, route=self.route, envelope_from=job.envelope_from,
                                      also_to=job.also_to)
