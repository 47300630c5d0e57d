"""Drafts of interaction records on the agent's disk, so nothing typed is
lost when a call drops, the gateway restarts, the database is away or the
window is closed. One JSON file per contact, written atomically on every
change and removed once the record is saved in the CRM.

In the desktop the writes run on a thread of their own (`background=True`):
a slow or network-mounted home directory must not stall typing or a screen
pop. Each contact's latest state is written as soon as the thread is free;
states overtaken while it was busy are skipped, never reordered.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def default_draft_dir() -> Path:
    return Path(platformdirs.user_state_dir("cicada")) / "drafts"


_DISCARD = object()


class DraftStore:
    """`save` and `discard` by contact key. With `background`, they return at
    once and a writer thread does the work; `on_error(exc)` is called on that
    thread when a write fails, and `flush()` waits until all is on disk."""

    def __init__(self, directory: Path, agent: str, *, background: bool = False,
                 on_error: Callable[[OSError], None] | None = None):
        self.directory = Path(directory) / _safe(agent)
        self.on_error = on_error
        self._background = background
        self._queued: dict[str, object] = {}  # key -> data, or _DISCARD
        self._busy = False
        self._closed = False
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None

    def _path(self, contact_key: str) -> Path:
        return self.directory / f"{_safe(contact_key)}.json"

    def save(self, contact_key: str, data: dict) -> None:
        if self._background:
            self._enqueue(contact_key, data)
        else:
            self._write(contact_key, data)

    def discard(self, contact_key: str) -> None:
        if self._background:
            self._enqueue(contact_key, _DISCARD)
        else:
            self._path(contact_key).unlink(missing_ok=True)

    def flush(self) -> None:
        with self._lock:
            while self._queued or self._busy:
                self._lock.wait()

    def close(self) -> None:
        """Write what is queued, then stop the writer."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _enqueue(self, contact_key: str, item: object) -> None:
        with self._lock:
            if self._closed:  # after close: write here rather than lose it
                self._apply(contact_key, item)
                return
            self._queued.pop(contact_key, None)  # re-insert: keys are served oldest first
            self._queued[contact_key] = item
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="desktop-drafts", daemon=True)
                self._thread.start()
            self._lock.notify_all()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queued and not self._closed:
                    self._lock.wait()
                if not self._queued:
                    return
                key = next(iter(self._queued))
                item = self._queued.pop(key)
                self._busy = True
            try:
                self._apply(key, item)
            finally:
                with self._lock:
                    self._busy = False
                    self._lock.notify_all()

    def _apply(self, contact_key: str, item: object) -> None:
        try:
            if item is _DISCARD:
                self._path(contact_key).unlink(missing_ok=True)
            else:
                self._write(contact_key, item)
        except OSError as exc:
            log.error("draft %s could not be written: %s", contact_key, exc)
            if self.on_error is not None:
                self.on_error(exc)

    def _write(self, contact_key: str, data: dict) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".draft-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self._path(contact_key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load(self, contact_key: str) -> dict | None:
        """The draft of one contact, or None; call it off the GUI thread."""
        self.flush()
        try:
            return json.loads(self._path(contact_key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.error("draft %s cannot be read (%s); it is left in place", contact_key, exc)
            return None

    def pending(self) -> list[dict]:
        """Every draft not saved yet, oldest first; unreadable files are kept aside."""
        self.flush()
        if not self.directory.exists():
            return []
        drafts = []
        for path in sorted(self.directory.glob("*.json"), key=lambda p: p.stat().st_mtime):
            try:
                drafts.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError) as exc:
                log.error("draft %s cannot be read (%s); it is left in place", path, exc)
        return drafts


def _safe(text: str) -> str:
    return _SAFE.sub("_", text) or "_"
