"""Python's cycle collector on the GUI thread only, while a desktop is open.

The collector runs in whichever thread happens to allocate past its
threshold. When that is a worker thread (a CRM query, the gateway link) and
the garbage holds Qt objects of a closed dialog or window, ~QObject runs
there: it takes Qt's signal-slot lock and then PySide asks for the GIL,
while the GUI thread, holding the GIL, waits for that lock to connect a
signal. Both wait for ever. So while a desktop is open automatic collection
is off and a timer on the GUI thread collects as the thresholds say (the
way pyqtgraph's GarbageCollector does).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QTimer

CHECK_MS = 500
_holders = 0
_timer: QTimer | None = None


def hold() -> None:
    """Collect on the GUI thread from now on (until as many release() calls)."""
    global _holders, _timer
    _holders += 1
    if _holders > 1:
        return
    gc.collect()  # what is garbage now goes here, on the GUI thread
    gc.disable()
    _timer = QTimer(QCoreApplication.instance())
    _timer.timeout.connect(collect_due)
    _timer.start(CHECK_MS)


def release() -> None:
    global _holders, _timer
    if _holders == 0:
        return
    _holders -= 1
    if _holders:
        return
    if _timer is not None:
        _timer.stop()
        _timer.deleteLater()
        _timer = None
    gc.collect()
    gc.enable()


def collect_due() -> None:
    """A collection of the oldest generation whose threshold is passed, as the collector would."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    for generation in (2, 1, 0):
        if counts[generation] > thresholds[generation]:
            gc.collect(generation)
            return


def settle() -> None:
    """Once the desktop program is up: what lives now (modules, the window, phone metadata)
    lives as long as the program, so no later full collection, which runs on the GUI thread
    and may come in the middle of a screen pop, need walk it."""
    gc.collect()
    gc.freeze()
