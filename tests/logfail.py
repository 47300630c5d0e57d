"""What a test's log says went wrong unseen (used by conftest's autouse checks)."""

from __future__ import annotations

import logging

TASKS_LOGGER = "agent_desktop.ui.tasks"


def unheard_task_failures(records: list[logging.LogRecord]) -> list[str]:
    """The desktop's background tasks that failed, or whose result's handler failed, with only
    the log told (agent_desktop/ui/tasks.py)."""
    return [record.getMessage() for record in records
            if record.name == TASKS_LOGGER and record.levelno >= logging.ERROR]


# --- the services' own logs ---------------------------------------------------------------
#
# A gateway, mail queue or application service a test starts writes its log to a file. An
# ERROR line or a traceback there that the test did not provoke on purpose is a defect the test
# would otherwise pass over: the harnesses register their logs here, and conftest fails the
# test whose run wrote such lines, unless it is marked `service_errors_expected`.

_watched: dict[str, tuple[int, object]] = {}  # log file -> (bytes checked, the service's process)


def watch_service_log(path, process) -> None:
    """Check what `path` says from its present end on, until `process` (a Popen) has ended and
    its last words are checked (a harness calls this as it starts the service)."""
    import os

    path = str(path)
    try:
        _watched[path] = (os.path.getsize(path), process)
    except OSError:
        _watched[path] = (0, process)


def service_errors() -> list[str]:
    """The ERROR and CRITICAL lines and tracebacks the watched logs gained since the last call.
    Services that have ended are not watched after this."""
    found: list[str] = []
    for path, (checked, process) in list(_watched.items()):
        ended = process.poll() is not None  # before reading: whatever it wrote is in the file
        try:
            with open(path, "rb") as log:
                log.seek(checked)
                text = log.read()
        except OSError:
            text, ended = b"", True
        if ended:
            del _watched[path]
        else:
            _watched[path] = (checked + len(text), process)
        found += [f"{path}: {line}" for line in _error_lines(text.decode(errors="replace"))]
    return found


def _error_lines(text: str) -> list[str]:
    lines = text.splitlines()
    errors = []
    for i, line in enumerate(lines):
        if line.startswith(("ERROR ", "CRITICAL ")):
            errors.append(line)
        elif line.startswith("Traceback (most recent call last)"):
            # the traceback's last line says what was raised
            last = next((lines[j] for j in range(i + 1, len(lines))
                         if lines[j] and not lines[j].startswith((" ", "Traceback"))), line)
            errors.append(f"traceback: {last}")
    return errors
