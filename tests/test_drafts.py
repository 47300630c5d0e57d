"""Drafts of interaction records on disk: written atomically, in order, and
with the background writer the desktop uses, never lost on close."""

from __future__ import annotations

import os
import threading

import pytest

from agent_desktop.drafts import DraftStore


@pytest.fixture(params=[False, True], ids=["inline", "background"])
def store(request, tmp_path):
    drafts = DraftStore(tmp_path, "ann", background=request.param)
    yield drafts
    drafts.close()


def test_the_latest_save_of_each_contact_is_what_the_disk_holds(store):
    for i in range(50):
        store.save("c1", {"key": "c1", "notes": f"typed {i}"})
    store.save("c2", {"key": "c2", "notes": "other"})
    assert sorted(d["notes"] for d in store.pending()) == ["other", "typed 49"]


def test_a_discard_after_a_save_leaves_nothing_and_a_save_after_it_comes_back(store):
    store.save("c1", {"key": "c1", "notes": "x"})
    store.discard("c1")
    assert store.pending() == []
    store.save("c1", {"key": "c1", "notes": "again"})
    assert [d["notes"] for d in store.pending()] == ["again"]


def test_chinese_text_and_odd_contact_keys_stay_inside_the_agents_folder(store, tmp_path):
    store.save("../../etc/passwd", {"key": "../../etc/passwd", "notes": "客户要求回电"})
    store.flush()
    files = list((tmp_path / "ann").iterdir())
    assert len(files) == 1 and files[0].parent == tmp_path / "ann"
    assert store.pending()[0]["notes"] == "客户要求回电"


def test_the_background_writer_does_not_make_the_caller_wait(tmp_path, monkeypatch):
    store = DraftStore(tmp_path, "ann", background=True)
    entered, gate = threading.Event(), threading.Event()
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (entered.set(), gate.wait(10), real_fsync(fd)))
    store.save("c1", {"key": "c1", "notes": "first"})
    assert entered.wait(10)  # the writer is stuck on a slow disk
    for i in range(20):  # returns at once; only the last one is still to write
        store.save("c1", {"key": "c1", "notes": f"typed {i}"})
    assert store._queued == {"c1": {"key": "c1", "notes": "typed 19"}}
    gate.set()
    store.close()
    assert [d["notes"] for d in DraftStore(tmp_path, "ann").pending()] == ["typed 19"]


def test_close_writes_what_is_queued_and_later_saves_are_written_at_once(tmp_path):
    store = DraftStore(tmp_path, "ann", background=True)
    store.save("c1", {"key": "c1", "notes": "before close"})
    store.close()
    assert DraftStore(tmp_path, "ann").pending()[0]["notes"] == "before close"
    store.save("c2", {"key": "c2", "notes": "after close"})
    assert len(DraftStore(tmp_path, "ann").pending()) == 2


def test_a_failed_write_is_reported_and_the_writer_goes_on(tmp_path):
    errors = []
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = DraftStore(blocker, "ann", background=True, on_error=errors.append)
    store.save("c1", {"key": "c1"})
    store.flush()
    assert len(errors) == 1 and isinstance(errors[0], OSError)
    store.directory = tmp_path / "ann"  # the disk is back
    store.save("c1", {"key": "c1", "notes": "kept"})
    assert store.pending()[0]["notes"] == "kept"
    store.close()
