"""The gateway's call records on local disk before they are anywhere else.

Every record (a call segment opened or changed, a queue event) is appended to
a spool file in the gateway's state directory, numbered, before it is queued
for the database. The write reaches the operating system at once, so a
gateway killed at any moment loses nothing; a thread syncs the file to the
disk right behind the writes, a group of records at a time, so that a power
cut loses at most the records of the last few milliseconds.

The database keeps, for each spool, the number of the last record committed,
in the same transaction as the records themselves. At start the gateway
queues the whole spool again and the writer skips what the database already
has: each record is written exactly once, however the gateway stopped. Once
everything in the spool is written, the file starts over (atomically, under
a header that carries the next number on).

One line per record: JSON, a header line first.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

log = logging.getLogger(__name__)

COMPACT_BYTES = 1 << 20  # start the file over once it is this big and all of it is written
SPOOL_NAME = "records.spool"


# --- what the spool holds ------------------------------------------------------


class SpooledRecord(msgspec.Struct, tag_field="kind", kw_only=True):
    pass


class SegmentOpened(SpooledRecord, tag="segment_opened"):
    contact_id: str
    segment_no: int
    direction: str
    queue: str | None
    ani: str | None
    dnis: str | None
    started_at: datetime
    queued_at: datetime | None = None
    agent: str | None = None


class SegmentUpdated(SpooledRecord, tag="segment_updated"):
    contact_id: str
    segment_no: int
    # The changed fields only; times travel as ISO text (see _TIME_FIELDS in records).
    fields: dict[str, Any]


class QueueEventLogged(SpooledRecord, tag="queue_event"):
    """An event of the event log (the tag is older than the log: spools keep it)."""

    event: str
    at: datetime
    contact_id: str | None = None
    queue: str | None = None
    agent: str | None = None
    detail: dict[str, Any] = {}
    key: str = ""  # the event's key in the log; "" in spools written before there was one


class _Header(msgspec.Struct, tag="header", tag_field="kind"):
    spool_id: str
    next_seq: int


class _Entry(msgspec.Struct, array_like=True):
    seq: int
    record: SegmentOpened | SegmentUpdated | QueueEventLogged


_encoder = msgspec.json.Encoder()
_header_decoder = msgspec.json.Decoder(_Header)
_entry_decoder = msgspec.json.Decoder(_Entry)


class SpoolError(Exception):
    """The spool cannot be opened or written; the message says where and why."""


class RecordSpool:
    def __init__(self, directory: Path, *, compact_bytes: int = COMPACT_BYTES):
        self.path = Path(directory) / SPOOL_NAME
        self.compact_bytes = compact_bytes
        self._lock = threading.Lock()
        self._synced = threading.Condition(self._lock)
        self._dirty = False
        self._closed = False
        self._written_seq = 0  # the last number the database has
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.spool_id, self._next_seq, self._pending = self._load()
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        except OSError as exc:
            raise SpoolError(f"cannot open the record spool {self.path}: {exc.strerror or exc}") from None
        self._size = os.fstat(self._fd).st_size
        self._sync_thread = threading.Thread(target=self._sync_loop, name="cicada-spool-sync", daemon=True)
        self._sync_thread.start()

    # --- start --------------------------------------------------------------------------

    def _load(self) -> tuple[str, int, list[tuple[int, SpooledRecord]]]:
        if not self.path.exists() or self.path.stat().st_size == 0:
            spool_id = secrets.token_hex(8)
            self._write_fresh(spool_id, 1)
            return spool_id, 1, []
        return read_spool(self.path)

    def _write_fresh(self, spool_id: str, next_seq: int) -> None:
        """Replace the file by a header alone, atomically, and make it durable."""
        fresh = self.path.with_suffix(".new")
        with open(fresh, "wb") as file:
            file.write(_encoder.encode(_Header(spool_id, next_seq)) + b"\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(fresh, self.path)
        _sync_directory(self.path.parent)

    def replay(self) -> list[tuple[int, SpooledRecord]]:
        """What the spool held at start, to be queued again (the writer skips what is written)."""
        pending, self._pending = self._pending, []
        return pending

    # --- records --------------------------------------------------------------------------

    def append(self, record: SpooledRecord) -> int:
        """Write `record` to the spool; its number. Raises SpoolError if the disk refuses it."""
        with self._lock:
            if self._closed:
                raise SpoolError("the record spool is closed")
            seq = self._next_seq
            line = _encoder.encode(_Entry(seq, record)) + b"\n"
            try:
                _write_all(self._fd, line)
            except OSError as exc:
                raise SpoolError(f"cannot write to the record spool {self.path}: {exc.strerror}") from None
            self._next_seq += 1
            self._size += len(line)
            self._dirty = True
            self._synced.notify_all()
            return seq

    def written(self, seq: int) -> None:
        """The database has every record up to `seq`: start the file over once it holds nothing else."""
        with self._lock:
            self._written_seq = max(self._written_seq, seq)
            if (self._written_seq == self._next_seq - 1 and self._size >= self.compact_bytes
                    and not self._closed):
                self._start_over()

    def _start_over(self) -> None:
        try:
            self._write_fresh(self.spool_id, self._next_seq)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        except OSError as exc:  # keep the long file; it only costs a longer replay
            log.warning("record spool %s could not start over: %s", self.path, exc)
            return
        os.close(self._fd)
        self._fd, self._size, self._dirty = fd, os.fstat(fd).st_size, False

    @property
    def unwritten(self) -> int:
        """Records in the spool the database does not have yet (as far as this run knows)."""
        with self._lock:
            return max(0, self._next_seq - 1 - self._written_seq)

    # --- durability -----------------------------------------------------------------------

    def _sync_loop(self) -> None:
        while True:
            with self._lock:
                while not self._dirty and not self._closed:
                    self._synced.wait()
                if self._closed and not self._dirty:
                    return
                self._dirty, fd = False, self._fd
            try:
                os.fdatasync(fd)
            except OSError as exc:
                if not self._closed:
                    log.error("record spool %s cannot be synced to disk: %s", self.path, exc.strerror)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._synced.notify_all()
        self._sync_thread.join(10)
        with self._lock:
            try:
                os.fsync(self._fd)
            except OSError:
                pass
            os.close(self._fd)



def read_spool(path: Path) -> tuple[str, int, list[tuple[int, SpooledRecord]]]:
    """(spool id, next number, the numbered records) of a spool file."""
    with open(path, "rb") as file:
        lines = file.read().split(b"\n")
    try:
        header = _header_decoder.decode(lines[0])
    except msgspec.DecodeError as exc:
        raise OSError(f"its first line is not a spool header ({exc})") from None
    entries, next_seq = [], header.next_seq
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        try:
            entry = _entry_decoder.decode(line)
        except msgspec.DecodeError as exc:  # a line cut short by a power cut
            log.error("record spool %s line %d cannot be read and is skipped: %s", path, number, exc)
            continue
        entries.append((entry.seq, entry.record))
        next_seq = max(next_seq, entry.seq + 1)
    return header.spool_id, next_seq, entries


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
