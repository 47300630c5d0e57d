"""What a test's log says went wrong unseen (used by conftest's autouse checks)."""

from __future__ import annotations

import logging

TASKS_LOGGER = "agent_desktop.ui.tasks"


def unheard_task_failures(records: list[logging.LogRecord]) -> list[str]:
    """The desktop's background tasks that failed, or whose result's handler failed, with only
    the log told (agent_desktop/ui/tasks.py)."""
    return [record.getMessage() for record in records
            if record.name == TASKS_LOGGER and record.levelno >= logging.ERROR]
