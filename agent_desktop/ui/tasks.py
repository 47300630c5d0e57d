"""Work off the GUI thread: CRM queries and saves run on a small thread pool
and their results come back to the GUI thread through a queued signal.

Work that waits on servers outside Cicada (a sender's image host, an SMTP relay)
runs on a pool of its own (`run_remote`): however slow they are, the CRM work of
the next screen pop finds a worker free."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)


class TaskRunner(QObject):
    _finished = Signal(object, object, object)  # callback, value, error

    def __init__(self, parent: QObject | None = None, workers: int = 3, remote_workers: int = 2):
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="desktop-crm")
        self._remote = ThreadPoolExecutor(max_workers=remote_workers, thread_name_prefix="desktop-remote")
        self._finished.connect(self._deliver)
        self.pending = 0
        self.closed = False

    def run(self, fn: Callable, *args, on_done: Callable | None = None,
            on_error: Callable[[BaseException], None] | None = None, **kwargs) -> Future | None:
        """`fn(*args, **kwargs)` on the CRM workers; `on_done(result)` or `on_error(exception)`
        on the GUI thread."""
        return self._submit(self._pool, fn, args, kwargs, on_done, on_error)

    def run_remote(self, fn: Callable, *args, on_done: Callable | None = None,
                   on_error: Callable[[BaseException], None] | None = None, **kwargs) -> Future | None:
        """As `run`, on the workers for servers outside Cicada (remote images, SMTP)."""
        return self._submit(self._remote, fn, args, kwargs, on_done, on_error)

    def _submit(self, pool: ThreadPoolExecutor, fn: Callable, args: tuple, kwargs: dict,
                on_done: Callable | None, on_error: Callable[[BaseException], None] | None) -> Future | None:
        if self.closed:  # a timer or late signal while the desktop closes: nothing to do it for
            log.debug("%s not started: the desktop is closing", getattr(fn, "__name__", fn))
            return None
        self.pending += 1

        def done(future: Future) -> None:
            error = future.exception()
            value = None if error else future.result()
            self._finished.emit((on_done, on_error), value, error)

        future = pool.submit(fn, *args, **kwargs)
        future.add_done_callback(done)
        return future

    @Slot(object, object, object)
    def _deliver(self, callbacks, value, error) -> None:
        self.pending -= 1
        on_done, on_error = callbacks
        try:
            if error is not None:
                if on_error is not None:
                    on_error(error)
                else:
                    log.error("background task failed: %s", error, exc_info=error)
            elif on_done is not None:
                on_done(value)
        except Exception:  # a view's bug must not take the desktop down
            log.exception("handling a background task's result failed")

    def shutdown(self) -> None:
        self.closed = True
        # A remote server may keep its worker for its whole timeout: the desktop does not wait for it.
        self._remote.shutdown(wait=False, cancel_futures=True)
        self._pool.shutdown(wait=True, cancel_futures=True)
