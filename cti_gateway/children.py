"""Child processes that never outlive the process that started them."""

from __future__ import annotations

import ctypes
import signal

PR_SET_PDEATHSIG = 1

_prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up now: nothing may be loaded between fork and exec


def die_with_parent() -> None:
    """For Popen(preexec_fn=...) on Linux: the child gets SIGTERM when the thread that started
    it ends. The gateway starts its children from its main thread, so none of them outlives it,
    however it ends (SIGKILL included)."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
