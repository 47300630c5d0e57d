"""The alerts kept in the CRM (crm.services.console_alerts), written by a thread of their own:
neither the event loop nor a gateway feed waits for the database.

At start, alerts a console that stopped left open are ended (nobody watched them since).
A write that fails is logged and lost: the wallboard goes on.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from collections.abc import Callable, Hashable
from datetime import UTC, datetime

from crm.db import Database
from crm.services import console_alerts
from crm.services.supervision import WatchScope

log = logging.getLogger("cicada.console")


def scope_key(scope: Hashable) -> str:
    """The scope's name in the CRM's alerts: "all", or its org units."""
    if not isinstance(scope, WatchScope) or scope.everything:
        return "all"
    key = "units:" + ",".join(str(unit) for unit in sorted(scope.org_unit_ids))
    return key if len(key) <= 200 else "units#" + hashlib.sha256(key.encode()).hexdigest()


def utc(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC).replace(tzinfo=None)


class AlertStore:
    def __init__(self, database: Database):
        self.database = database
        self.jobs: queue.SimpleQueue[Callable | None] = queue.SimpleQueue()
        self.ids: dict[tuple[str, int], int] = {}  # (scope, the monitor's alert id) -> the CRM's
        self.thread = threading.Thread(target=self._run, name="console-alerts", daemon=True)
        self.thread.start()
        self.jobs.put(self._end_left_open)

    def started(self, scope: str, alert) -> None:
        fields = dict(scope=scope, kind=alert.kind, queue=alert.queue, agent=alert.agent, reason=alert.reason,
                      threshold=alert.threshold, worst=alert.value, at=utc(alert.started_at))

        def write(session):
            self.ids[(scope, alert.id)] = console_alerts.started(session, **fields)
        self.jobs.put(write)

    def ended(self, scope: str, alert) -> None:
        worst, at = alert.value, utc(alert.ended_at)

        def write(session):
            alert_id = self.ids.pop((scope, alert.id), None)
            if alert_id is not None:
                console_alerts.ended(session, alert_id, worst=worst, at=at)
        self.jobs.put(write)

    def recent(self, scope: str) -> list[dict]:
        """A scope's alerts, newest first (called on a worker thread, not the event loop)."""
        with self.database.unit_of_work() as session:
            return [{"kind": a.kind, "queue": a.queue, "agent": a.agent, "reason": a.reason,
                     "threshold": a.threshold, "value": a.worst, "started_at": _epoch(a.started_at),
                     "ended_at": _epoch(a.ended_at)} for a in console_alerts.recent(session, scope)]

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until what was handed in so far is written."""
        done = threading.Event()
        self.jobs.put(lambda session: done.set())
        done.wait(timeout)

    def stop(self) -> None:
        self.jobs.put(None)
        self.thread.join(5)

    def _end_left_open(self, session) -> None:
        ended = console_alerts.end_left_open(session, utc(datetime.now(UTC).timestamp()))
        if ended:
            log.info("%d alerts left open by the console's last run ended", ended)

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            try:
                with self.database.unit_of_work() as session:
                    job(session)
            except Exception:  # one lost alert record must not stop the others
                log.exception("an alert could not be written to the CRM")


def _epoch(at: datetime | None) -> float | None:
    return None if at is None else at.replace(tzinfo=UTC).timestamp()
