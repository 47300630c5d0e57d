"""The gateway's state directory: one gateway at a time, and what a previous
run left behind.

The directory holds the record spool, Kamailio's run files (unless run_dir
says otherwise), the music-on-hold cache, a lock that only a living gateway
holds, the list of the child processes it runs, and a file it touches every
second (so that the next start knows when it was last alive).

A gateway killed with SIGKILL cannot clean up: its children are told by the
kernel (they ask for a signal when their parent dies), and whatever still
runs at the next start, Kamailio's children holding the SIP port above all,
is found in the list and ended before anything binds.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("cicada.gateway")

LOCK_NAME = "gateway.lock"
CHILDREN_NAME = "children.json"
ALIVE_NAME = "alive"


class StateError(Exception):
    """The state directory cannot be used; the message says why."""


@dataclass(frozen=True)
class Child:
    pid: int
    role: str  # "kamailio", "sip worker w1", ...
    started: int  # the kernel's start time of the process (clock ticks since boot)
    group: bool  # it leads a process group of its own: end the whole group


class GatewayState:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._lock_file = None
        self._children: dict[int, Child] = {}

    # --- one gateway per directory ---------------------------------------------------------

    def acquire(self) -> None:
        """Take the directory, or StateError if a living gateway has it."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            lock = open(self.directory / LOCK_NAME, "a+")
        except OSError as exc:
            raise StateError(f"cannot use the state directory {self.directory}: {exc.strerror}") from None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "?"
            lock.close()
            raise StateError(f"another gateway (pid {holder}) runs with the state directory "
                             f"{self.directory}; stop it first, or give this one another state_dir") from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        self._lock_file = lock

    def release(self) -> None:
        """After a clean stop: nothing of this run is left running."""
        self._children.clear()
        (self.directory / CHILDREN_NAME).unlink(missing_ok=True)
        if self._lock_file is not None:
            self._lock_file.close()  # closing drops the lock
            self._lock_file = None

    # --- what a previous run left ------------------------------------------------------------

    def end_leftovers(self, grace: float = 3.0) -> list[str]:
        """End the children a previous gateway of this directory left running; what was ended."""
        path = self.directory / CHILDREN_NAME
        try:
            listed = [Child(**entry) for entry in json.loads(path.read_text())]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, TypeError) as exc:
            log.warning("the list of a previous run's processes (%s) cannot be read: %s", path, exc)
            return []
        targets = {}  # pid: (start time, what it is)
        for child in listed:
            for pid, started in _leftovers_of(child):
                targets[pid] = (started, child.role if pid == child.pid else f"a process of {child.role}")
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid, (started, _) in targets.items():
                if _start_time(pid) == started:
                    _kill(pid, sig)
            deadline = time.monotonic() + (grace if sig == signal.SIGTERM else 1.0)
            while time.monotonic() < deadline and any(_start_time(p) == s for p, (s, _) in targets.items()):
                time.sleep(0.05)
        ended = [f"{role} (pid {pid})" for pid, (_, role) in sorted(targets.items())]
        if ended:
            log.warning("ended what a previous gateway left running: %s", ", ".join(ended))
        path.unlink(missing_ok=True)
        return ended

    def last_alive(self) -> float | None:
        """When a previous run was last known alive (epoch seconds), if one ran."""
        try:
            return (self.directory / ALIVE_NAME).stat().st_mtime
        except OSError:
            return None

    # --- this run ------------------------------------------------------------------------------

    def alive(self) -> None:
        path = self.directory / ALIVE_NAME
        try:
            os.utime(path)
        except FileNotFoundError:
            path.touch()
        except OSError:
            pass

    def children_are(self, children: dict[int, tuple[str, bool]]) -> None:
        """The child processes running now (pid: role, leads its group); written when they change."""
        if set(children) == set(self._children):
            return
        current = {}
        for pid, (role, group) in children.items():
            started = _start_time(pid)
            if started is not None:
                current[pid] = self._children.get(pid) or Child(pid, role, started, group)
        self._children = current
        path = self.directory / CHILDREN_NAME
        fresh = path.with_suffix(".new")
        try:
            fresh.write_text(json.dumps([c.__dict__ for c in current.values()]))
            os.replace(fresh, path)
        except OSError as exc:
            log.warning("cannot note the gateway's child processes in %s: %s", path, exc)


def _start_time(pid: int) -> int | None:
    """Field 22 of /proc/PID/stat: tells a process from a later one given the same pid. None
    when it is gone, or a zombie: ended, though nobody reaped it yet (where the container's
    init is slow to, a killed Kamailio stays one, and its pid file still names a live pid)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else int(fields[19])


def _same_process(child: Child) -> bool:
    return child.pid != os.getpid() and _start_time(child.pid) == child.started


def _leftovers_of(child: Child) -> list[tuple[int, int]]:
    """(pid, start time) of the child if it still runs, and, if it led a process group, of the
    processes still in that group that started after it (a dead Kamailio's children)."""
    found = [(child.pid, child.started)] if _same_process(child) else []
    if child.group:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) in (child.pid, os.getpid()):
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == child.pid and int(fields[19]) >= child.started and fields[0] != "Z":
                found.append((int(entry.name), int(fields[19])))
    return found


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
