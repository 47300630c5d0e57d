"""Running a test's coroutine in an event loop of its own."""

from __future__ import annotations

import asyncio
import threading


def run_apart(coroutine, timeout: float = 30.0):
    """asyncio.run(coroutine) in a thread of its own, its result returned or its exception
    raised: a test before this one in the same process may have left an event loop running in
    the main thread (Playwright's sync API does, for the session), where asyncio.run refuses."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = asyncio.run(coroutine)
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            outcome["error"] = exc

    runner = threading.Thread(target=run, name="test-loop")
    runner.start()
    runner.join(timeout)
    if runner.is_alive():
        raise TimeoutError(f"the test's event loop did not finish within {timeout} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
