"""The live picture of the email and chat queues and agents that one mail queue watch sees.

Seeded from the mail queue's status (a supervisor's: every queue's counts per channel, and the
seats of the agents of his org units), then kept by the watch's events: `mail.queue_changed`
carries a queue's whole counts, `mail.seat_changed` an agent's whole seat. The mail queue beats
every second: silence longer than `silence` seconds, a lost connection or another run of the
mail queue turn it offline, and its view then carries no figure.

Plain Python with an injectable clock; the feed calls it from one thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from admin_console.wallboard.model import SILENCE_SECONDS, LiveModel
from bus import mailq


class MailBoard(LiveModel):
    def __init__(self, clock: Callable[[], float] = time.time, silence: float = SILENCE_SECONDS):
        super().__init__(clock, silence)
        self.run = ""  # the mail queue's run seeded from: another run knows nothing of this watch
        self.queues: dict[str, mailq.QueueView] = {}
        self.queue_seen: dict[str, float] = {}  # when each queue's counts were taken
        self.seats: dict[str, mailq.SupervisedSeatView] = {}

    # --- fed by the mail queue ----------------------------------------------------------------

    def seed(self, status: mailq.StatusResult) -> None:
        now = self._seeded()
        self.run = status.run
        self.queues = {q.name: q for q in status.queues}
        self.queue_seen = dict.fromkeys(self.queues, now)
        self.seats = {seat.agent: seat for seat in status.seats}

    def apply(self, event: Any) -> None:
        """One event of the watch; those the wallboard does not show only prove the mail queue alive."""
        if isinstance(event, mailq.MailqHeartbeat) and self.online and event.run != self.run:
            self.lost("restarted")  # its sessions are gone: the feed logs in again and seeds afresh
            return
        self.heard_at = self.clock()
        if not self.online:
            return  # not seeded: a snapshot comes first
        if isinstance(event, mailq.QueueChanged):
            self.queues[event.queue.name] = event.queue
            self.queue_seen[event.queue.name] = self.heard_at
            self.version += 1
        elif isinstance(event, mailq.SeatChanged):
            if event.seat is None:
                self.seats.pop(event.agent, None)
            else:
                self.seats[event.agent] = event.seat
            self.version += 1

    # --- what browsers get --------------------------------------------------------------------

    def view(self) -> dict:
        """Plain data for the page: one row per queue and channel, one per agent logged in."""
        if not self.online:
            return self.offline_view()
        return {"online": True, "problem": "", "now": self.clock(),
                "queues": [row for name, queue in sorted(self.queues.items()) for row in self._rows(queue)],
                "agents": [self._agent(seat) for seat in sorted(self.seats.values(),
                                                                key=lambda s: (s.name.casefold(), s.agent))]}

    def _rows(self, queue: mailq.QueueView) -> list[dict]:
        seen = self.queue_seen.get(queue.name, self.clock())
        if not queue.channels:  # a mail queue older than the per-channel counts: the queue's alone
            return [{"queue": queue.name, "channel": None, "mode": queue.mode, "waiting": queue.waiting,
                     "oldest_since": seen - queue.oldest_wait if queue.waiting else None,
                     "serving": None, "available": None, "busy": None}]
        return [{"queue": queue.name, "channel": c.channel, "mode": queue.mode, "waiting": c.waiting,
                 # the oldest arrival, so that the longest wait ticks on between events
                 "oldest_since": seen - c.oldest_wait if c.waiting else None,
                 "serving": c.serving, "available": c.available, "busy": c.busy} for c in queue.channels]

    @staticmethod
    def _agent(seat: mailq.SupervisedSeatView) -> dict:
        return {
            "agent": seat.agent,
            "name": seat.name,
            "queues": list(seat.queues),
            "available": dict(seat.available),
            "since": seat.since,
            "work": [{"channel": w.channel, "queue": w.queue, "state": w.state, "since": w.since}
                     for w in sorted(seat.work, key=lambda w: (w.since, w.conversation_id))],
        }
