"""The gateway's call records: how much CPU the record writer spends per call.

Writes the records of N calls (a segment opened, updated four times as the call
goes on, and five queue events, as the gateway writes them) through the spool
and the writer thread into a fresh SQLite or PostgreSQL database, and prints the
writer's CPU time per call and the calls written per second. The writer shares the
gateway's interpreter (and its lock) with the event loop that switches calls, so
every millisecond here is one the gateway's loop may wait for.

    .venv/bin/python bench/record_writer.py --calls 2000
    .venv/bin/python bench/record_writer.py --calls 2000 --db-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from crm.db import Database, make_engine, upgrade
from crm.models import User
from cti_gateway.record_spool import RecordSpool
from cti_gateway.records import CallRecords, RecordWriter


def _thread_cpu(thread: threading.Thread) -> float:
    """CPU seconds of one thread (Linux: its clock)."""
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


def record_call(records: CallRecords, n: int, t0: datetime, *, one_by_one: bool = False) -> None:
    call = f"bench-{n}"
    at = t0 + timedelta(seconds=n)
    if one_by_one:
        records = _Waiting(records)
    records.queue_event("entered", at=at, contact_id=call, queue="support")
    records.segment_opened(call, 1, direction="inbound", queue="support", ani="+8613800138000",
                           dnis="4001", started_at=at, queued_at=at, agent="amy")
    records.queue_event("offered", at=at, contact_id=call, queue="support", agent="amy")
    records.segment_updated(call, 1, offered_at=at, agent="amy")
    records.queue_event("answered", at=at, contact_id=call, queue="support", agent="amy", wait=1.25)
    records.segment_updated(call, 1, answered_at=at, wait_seconds=1.25)
    records.queue_event("ended", at=at, contact_id=call, queue="support", agent="amy", cause="caller_hangup")
    records.segment_updated(call, 1, ended_at=at, talk_seconds=30, end_cause="caller_hangup", status="wrap_up")
    records.queue_event("work_mode", at=at, agent="amy", mode="wrap_up")
    records.segment_updated(call, 1, wrapup_seconds=5, status="closed")


class _Waiting:
    """CallRecords whose every record is written before the call returns."""

    def __init__(self, records: CallRecords):
        self._records = records

    def __getattr__(self, name):
        method = getattr(self._records, name)

        def written(*args, **kwargs):
            method(*args, **kwargs)
            self._records.writer.flush()
        return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--db-url", help="an empty database to migrate (default: a new SQLite file)")
    parser.add_argument("--one-by-one", action="store_true",
                        help="wait for each record to be written before the next, as at a quiet hour "
                             "(a transaction per record) instead of batches")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        url = args.db_url or f"sqlite:///{Path(work) / 'crm.db'}"
        engine = make_engine(url)
        upgrade(engine)
        database = Database(engine)
        with database.unit_of_work() as session:
            session.add(User(username="amy", display_name="Amy", password_hash="-", role="agent"))
        writer = RecordWriter(database, spool=RecordSpool(Path(work) / "state"))
        records = CallRecords(writer)
        cpu_before = _thread_cpu(writer._thread)
        started = time.perf_counter()
        t0 = datetime(2026, 3, 2, 9, 0, 0)
        for n in range(args.calls):
            record_call(records, n, t0, one_by_one=args.one_by_one)
        writer.flush()
        elapsed = time.perf_counter() - started
        cpu = _thread_cpu(writer._thread) - cpu_before
        writer.stop(10)
        writer.spool.close()
        engine.dispose()
    batches = "a transaction per record" if args.one_by_one else "in batches"
    print(f"{args.calls} calls (10 records each, {batches}) on {engine.dialect.name}: writer CPU "
          f"{cpu / args.calls * 1000:.2f} ms per call, {args.calls / elapsed:.0f} calls/s written")


if __name__ == "__main__":
    main()
