"""A download made in one worker thread and handed to the response a piece at a time.

The thread holds the database session for the whole download (a session stays on one thread),
runs at most a few pieces ahead of the client, and stops when the client goes away. Whatever
fails before the producer says it is ready (its checks) is raised to the page, which says why;
after that the download breaks off and the log says why.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import AsyncIterator, Callable

import anyio

log = logging.getLogger("cicada.console")

AHEAD = 4  # pieces made before the client takes them

_END = object()


class ThreadStream:
    """A download made in one worker thread (the database session stays on it) and handed to the
    response a piece at a time, at most a few pieces ahead; the client going away stops it."""

    def __init__(self, produce: Callable[[Callable[[bytes], None], Callable[[], None]], None]):
        self.pieces: queue.Queue = queue.Queue(maxsize=AHEAD)
        self.ready = threading.Event()
        self.stopped = threading.Event()
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(produce,), name="report-download", daemon=True)
        self.thread.start()

    def _run(self, produce) -> None:
        try:
            produce(self._put, self.ready.set)
            self._put(_END)
        except _Stopped:
            pass
        except BaseException as exc:
            if not self.ready.is_set():  # refused before any row: the page says why
                self.failure = exc
                self.ready.set()
                return
            log.exception("a report download failed midway")  # the download breaks off
            try:
                self._put(_END)
            except _Stopped:
                pass

    def _put(self, piece) -> None:
        while not self.stopped.is_set():
            try:
                self.pieces.put(piece, timeout=0.5)
                return
            except queue.Full:
                continue
        raise _Stopped

    async def wait_ready(self) -> None:
        await anyio.to_thread.run_sync(self.ready.wait)
        if self.failure is not None:
            raise self.failure

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            while (piece := await anyio.to_thread.run_sync(self.pieces.get)) is not _END:
                yield piece
        finally:
            self.stopped.set()


class _Stopped(Exception):
    """The client went away: the download's thread ends."""
