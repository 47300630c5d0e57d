"""A desktop background task that fails with nobody told is what the autouse check in
tests/conftest.py (no_background_task_failed_unheard) fails a test for; one whose failure
reaches its on_error is not."""

from __future__ import annotations

import pytest

from agent_desktop.ui.tasks import TaskRunner
from logfail import unheard_task_failures


def broken():
    raise RuntimeError("the CRM said no")


@pytest.mark.task_errors_expected
def test_a_failure_nobody_hears_is_found_in_the_log_and_one_told_to_on_error_is_not(qtbot, caplog):
    tasks, told = TaskRunner(), []
    tasks.run(broken, on_error=told.append)
    qtbot.waitUntil(lambda: bool(told), timeout=5000)
    assert unheard_task_failures(caplog.get_records("call")) == []

    tasks.run(broken)  # no on_error: only the log hears of it
    qtbot.waitUntil(lambda: tasks.pending == 0, timeout=5000)
    tasks.run(lambda: 1, on_done=lambda _value: 1 / 0)  # the result's handler fails
    qtbot.waitUntil(lambda: tasks.pending == 0, timeout=5000)
    tasks.shutdown()
    unheard = unheard_task_failures(caplog.get_records("call"))
    assert unheard == ["background task failed: the CRM said no", "handling a background task's result failed"]
