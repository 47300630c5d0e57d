"""The gateway's record spool: every record on disk before the database has
it, replayed after any stop, written exactly once."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from crm.models import Interaction, LoggedEvent, RecordSpoolProgress
from cti_gateway.record_spool import SPOOL_NAME, RecordSpool, read_spool
from cti_gateway.records import CallRecords, RecordWriter

T0 = datetime(2026, 3, 2, 9, 0, 0)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def queue_events(db) -> list[str]:
    with db.reading() as session:
        return list(session.scalars(select(LoggedEvent.contact_id).order_by(LoggedEvent.id)))


def record_a_call(records: CallRecords, call_id: str, n: int) -> None:
    records.segment_opened(call_id, 1, direction="inbound", queue="support", ani="13800138000",
                           dnis="4001", started_at=at(n), queued_at=at(n))
    records.queue_event("entered", at=at(n), contact_id=call_id, queue="support")
    records.segment_updated(call_id, 1, answered_at=at(n + 5), agent=None, wait_seconds=5.0)
    records.segment_updated(call_id, 1, ended_at=at(n + 65), end_cause="caller_hangup", talk_seconds=60.2,
                            status="closed")


def test_records_are_in_the_spool_before_the_database_and_survive_a_killed_gateway(db, tmp_path):
    """A gateway killed while its database was away: the next start writes everything, once."""
    spool = RecordSpool(tmp_path)
    away = RecordWriter(f"sqlite:///{tmp_path / 'no such folder' / 'crm.db'}", spool=spool,
                        retry_initial=0.01, retry_max=0.05)
    records = CallRecords(away)
    # The spool has every record as soon as each call returns, whatever the writer does.
    for n in range(3):
        record_a_call(records, f"call-{n}", n * 100)
    spool_id, next_seq, entries = read_spool(tmp_path / SPOOL_NAME)
    assert next_seq == 13 and [seq for seq, _ in entries] == list(range(1, 13))

    assert away.backlog == 12
    away.stop(0)  # as if killed: nothing written
    again = RecordSpool(tmp_path)
    assert again.spool_id == spool_id
    writer2 = RecordWriter(db, spool=again)
    records2 = CallRecords(writer2)
    assert records2.replay_spool() == 12
    assert writer2.stop(10)
    again.close()
    assert queue_events(db) == ["call-0", "call-1", "call-2"]
    with db.reading() as session:
        rows = session.execute(select(Interaction.contact_id, Interaction.talk_seconds, Interaction.end_cause,
                                      Interaction.answered_at).order_by(Interaction.contact_id)).all()
    assert rows == [(f"call-{n}", 60, "caller_hangup", at(n * 100 + 5)) for n in range(3)]


def test_a_spool_replayed_after_part_of_it_was_written_writes_the_rest_only(db, tmp_path):
    spool = RecordSpool(tmp_path)
    writer = RecordWriter(db, spool=spool)
    records = CallRecords(writer)
    for n in range(5):
        records.queue_event("entered", at=at(n), contact_id=f"c{n}", queue="support")
    assert writer.stop(10)  # written, but the gateway "dies" before the spool starts over
    spool.close()
    again = RecordSpool(tmp_path)
    writer = RecordWriter(db, spool=again)
    records = CallRecords(writer)
    assert records.replay_spool() == 5
    records.queue_event("entered", at=at(9), contact_id="c9", queue="support")
    assert writer.stop(10)
    again.close()
    assert queue_events(db) == ["c0", "c1", "c2", "c3", "c4", "c9"]  # no duplicate
    with db.reading() as session:
        assert session.scalar(select(RecordSpoolProgress.last_seq)) == 6


def test_a_line_cut_short_by_a_power_cut_is_skipped_and_the_rest_written(db, tmp_path, caplog):
    spool = RecordSpool(tmp_path)
    records = CallRecords(RecordWriter(db, spool=spool))
    records.writer.stop(0)  # nothing written by this run
    for n in range(3):
        spool.append(records_for_test(n))
    spool.close()
    with open(tmp_path / SPOOL_NAME, "ab") as file:
        file.write(b'[4,{"kind":"queue_event","event":"ent')  # the write the power cut stopped
    again = RecordSpool(tmp_path)
    writer = RecordWriter(db, spool=again)
    assert CallRecords(writer).replay_spool() == 3
    assert writer.stop(10)
    again.close()
    assert queue_events(db) == ["c0", "c1", "c2"]
    assert "cannot be read and is skipped" in caplog.text


def records_for_test(n: int):
    from cti_gateway.record_spool import QueueEventLogged

    return QueueEventLogged(event="entered", at=at(n), contact_id=f"c{n}", queue="support")


def test_the_spool_starts_over_once_everything_in_it_is_written_and_numbers_go_on(db, tmp_path):
    spool = RecordSpool(tmp_path, compact_bytes=2000)
    writer = RecordWriter(db, spool=spool)
    records = CallRecords(writer)
    for n in range(40):
        records.queue_event("entered", at=at(n), contact_id=f"c{n}", queue="support")
    assert writer.flush(10)
    size = os.path.getsize(tmp_path / SPOOL_NAME)
    assert size < 200, "a spool whose records are all written starts over"
    records.queue_event("entered", at=at(41), contact_id="c41", queue="support")
    assert writer.stop(10)
    spool.close()
    _, next_seq, entries = read_spool(tmp_path / SPOOL_NAME)
    assert next_seq == 42 and [seq for seq, _ in entries] == [41]
    assert len(queue_events(db)) == 41


def test_a_record_refused_for_its_data_is_not_replayed_for_ever(db, tmp_path, caplog):
    spool = RecordSpool(tmp_path)
    writer = RecordWriter(db, spool=spool)
    records = CallRecords(writer)
    records.queue_event("teleported", at=at(1), contact_id="bad", queue="support")
    records.queue_event("entered", at=at(2), contact_id="good", queue="support")
    assert writer.stop(10)
    assert writer.dropped == 1
    spool.close()
    again = RecordSpool(tmp_path)
    writer = RecordWriter(db, spool=again)
    CallRecords(writer).replay_spool()
    assert writer.stop(10)
    again.close()
    assert writer.dropped == 0 and queue_events(db) == ["good"]


def test_an_unwritable_spool_is_a_clear_error(tmp_path):
    from cti_gateway.record_spool import SpoolError

    (tmp_path / "file").write_text("x")
    with pytest.raises(SpoolError, match="cannot open the record spool"):
        RecordSpool(tmp_path / "file" / "state")
