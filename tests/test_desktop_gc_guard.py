"""While a desktop is open, Python's cycle collector runs on the GUI thread
only: a collection in a worker thread that frees Qt objects deadlocks with
the GUI thread (see agent_desktop/ui/gc_guard.py)."""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject

from agent_desktop.ui import gc_guard


FREED_IN: list[str] = []


class Cycle:
    """Garbage only the cycle collector frees, holding a Qt object."""

    def __init__(self):
        self.me = self
        self.qt = QObject()

    def __del__(self):
        FREED_IN.append(threading.current_thread().name)


def test_collection_moves_to_the_gui_thread_while_held_and_back_after(qtbot):
    assert gc.isenabled()
    gc_guard.hold()
    gc_guard.hold()  # a second desktop
    try:
        assert not gc.isenabled()
        FREED_IN.clear()

        def worker():
            for _ in range(2000):  # allocations well past the thresholds: no collection here
                Cycle()

        thread = threading.Thread(target=worker, name="desktop-crm_test")
        thread.start()
        thread.join()
        assert gc.get_count()[0] > gc.get_threshold()[0]  # garbage waits for the GUI thread
        qtbot.waitUntil(lambda: len(FREED_IN) == 2000, timeout=3000)
        assert set(FREED_IN) == {"MainThread"}
        gc_guard.release()
        assert not gc.isenabled()  # the other desktop is still open
    finally:
        gc_guard.release()
    assert gc.isenabled()
    gc_guard.release()  # one release too many changes nothing
    assert gc.isenabled()
