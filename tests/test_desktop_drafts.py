"""Records left by a closed or crashed desktop, on the real window (no gateway
needed): the agent is told at start-up, finds them, and cannot restore one
over a live contact; the disk is read off the GUI thread."""

from __future__ import annotations

import threading

import pytest

import factories
from desktop_harness import app_of, log_in_desktop, url_of  # noqa: F401 - fixture
from agent_desktop.app import Desktop, DesktopSettings
from agent_desktop.drafts import DraftStore
from agent_desktop.ui.tasks import TaskRunner
from bus import cti
from bus.envelope import EventEnvelope
from desktop_harness import UNKNOWN_KEY

NOW = 1_800_000_000.0


@pytest.fixture
def left_draft(tmp_path):
    store = DraftStore(tmp_path, "ann")
    store.save("old-call", {"key": "old-call", "agent": "ann", "call_id": "old-call", "kind": "inbound",
                            "ani": "13800138000", "dnis": "4001", "queue": "billing", "waited": 3,
                            "offered_at": NOW - 3600, "draft": {"notes": "left when it crashed"}})
    return store


@pytest.fixture
def desk(db, qtbot, tmp_path, left_draft, monkeypatch, app_of):
    with db.unit_of_work() as session:
        factories.user(session, "ann")
    readers = []
    original = DraftStore.pending

    def pending(self):
        readers.append(threading.current_thread())
        return original(self)

    monkeypatch.setattr(DraftStore, "pending", pending)
    tasks = TaskRunner()
    settings = DesktopSettings(command_address="tcp://127.0.0.1:9",
                               event_address="tcp://127.0.0.1:9", draft_dir=tmp_path,
                               gateway_public_key=UNKNOWN_KEY)
    session = log_in_desktop(app_of(url_of(db)), "ann", tmp_path / "known", factories.PASSWORD)
    desk = Desktop(settings, session, device=None, queues=None,
                   tasks=tasks)
    desk.readers = readers
    qtbot.addWidget(desk.window)
    desk.window.show()
    yield desk
    desk.close()
    tasks.shutdown()
    desk.controller.crm.close()  # else the application service waits for its connection at stop


def messages(desk) -> list[str]:
    return [desk.window.messages.item(i).text() for i in range(desk.window.messages.count())]


def test_drafts_left_from_earlier_are_announced_and_listed_and_read_off_the_gui_thread(desk, qtbot):
    record = desk.window.record
    qtbot.waitUntil(lambda: record.draft_list.count() == 1, timeout=5000)
    assert not record.drafts_box.isHidden() and record.restore_button.isEnabled()
    # told once the gateway answered (here: it is away), so a call picked up again is not counted
    qtbot.waitUntil(lambda: any("1 unsaved interaction record(s) from an earlier session" in m
                                for m in messages(desk)), timeout=8000)
    assert desk.readers and threading.main_thread() not in desk.readers


def test_restoring_a_draft_is_refused_while_a_contact_is_open(desk, qtbot):
    bench, record = desk.controller.bench, desk.window.record
    qtbot.waitUntil(lambda: record.draft_list.count() == 1, timeout=5000)
    bench.apply_snapshot(cti.AgentView(agent="ann", name="Ann", mode="ready", reason=None, since=NOW,
                                       queues=["billing"], device=None), "run1", 1)
    desk.controller._on_event(EventEnvelope(v=1, run="run1", seq=2, at=NOW, event=None), cti.CallOffered(
        call_id="live", agent="ann", kind="inbound", ani="13900000000", dnis="4001", queue="billing",
        waited=1.0, ring_timeout=15))
    assert bench.contact.call_id == "live"
    assert not record.restore_button.isEnabled()
    desk.controller.restore_draft(record.draft_list.item(0).data(0x0100))  # even if asked: refused
    assert bench.contact.call_id == "live" and bench.unsaved == []
    desk.controller._on_event(EventEnvelope(v=1, run="run1", seq=3, at=NOW, event=None),
                              cti.CallOfferWithdrawn(call_id="live", agent="ann", reason="abandoned"))
    qtbot.waitUntil(lambda: record.restore_button.isEnabled(), timeout=5000)
    record.restore_button.click()
    assert bench.contact.key == "old-call" and bench.contact.draft.notes == "left when it crashed"


def test_the_message_area_shows_the_newest_fifty_notices_newest_first_and_draws_only_new_ones(desk, qtbot):
    bench, area = desk.controller.bench, desk.window.messages
    qtbot.waitUntil(lambda: area.count() >= 1, timeout=8000)  # the drafts left from earlier
    for n in range(60):
        bench.show_prompt(f"prompt {n}")
    shown = messages(desk)
    assert len(shown) == 50
    assert shown[0].endswith("prompt 59") and shown[49].endswith("prompt 10")
    first_item = area.item(0)
    bench.show_prompt("prompt 60")
    assert messages(desk)[0].endswith("prompt 60") and messages(desk)[1].endswith("prompt 59")
    assert area.item(1) is first_item  # kept, not drawn again
    assert len(messages(desk)) == 50 and messages(desk)[-1].endswith("prompt 11")
    bench.notices.clear()  # the list was replaced (none of what is shown is in it): drawn anew
    bench.show_prompt("after")
    assert [m.split("  ", 1)[1] for m in messages(desk)] == ["after"]
