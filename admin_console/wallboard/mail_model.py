"""The live picture of the email and chat queues and agents that one mail queue watch sees.

Seeded from the mail queue's status (a supervisor's: the counts per channel of every queue he sees, and the
seats of the agents of his org units), then kept by the watch's events: `mail.queue_changed`
carries a queue's whole counts, `mail.seat_changed` an agent's whole seat. The mail queue beats
every second: silence longer than `silence` seconds, a lost connection or another run of the
mail queue turn it offline, and its view then carries no figure.

Today's figures of each queue and channel (the conversations that entered it since local
midnight) are read from the CRM's event log when a watch starts (`seed`'s `today`), then kept by
the watch's `mail.queue_contact` events, both made into visits by crm.reports.mail_contacts and
measured by crm.reports.definitions, as a report over today from the CRM is: the two agree. The
due time of each queue is the mail queue's own (`QueueView.first_response_seconds`), τ the
console's `[console.queues.*]` as for a phone queue.

Each queue's channel is held against its alert thresholds (alerts/mail.py) a few times a second,
and each agent's times against the agents table's (wallboard/agents.py: away, a conversation
open too long), so that the page only switches colours when the times it is given pass.

Plain Python with an injectable clock; the feed calls it from one thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from admin_console.alerts.figures import local_midnight
from admin_console.alerts.mail import MailMonitor, MailQueueNow
from admin_console.wallboard.agents import AgentLimits, warning
from admin_console.wallboard.model import SILENCE_SECONDS, LiveModel
from bus import mailq
from crm.reports.definitions import SHORT_ABANDON_SECONDS, MailThresholds, mail_entered_in, mail_figures
from crm.reports.mail_contacts import MailVisits

# today's share within due time changes as time passes (a conversation falls overdue): the
# picture is made again this often without an event
FIGURES_SECONDS = 10.0


class MailBoard(LiveModel):
    def __init__(self, clock: Callable[[], float] = time.time, silence: float = SILENCE_SECONDS,
                 day_start: Callable[[float], float] = local_midnight,
                 short_abandon: Callable[[str], float] = lambda queue: SHORT_ABANDON_SECONDS,
                 monitor: MailMonitor | None = None, limits: AgentLimits | None = None):
        super().__init__(clock, silence)
        self.monitor = monitor or MailMonitor(clock=clock)  # the queues' alerts (admin_console/alerts)
        self.limits = limits or AgentLimits()  # when an agent's times turn to a warning
        self.run = ""  # the mail queue's run seeded from: another run knows nothing of this watch
        self.queues: dict[str, mailq.QueueView] = {}
        self.queue_seen: dict[str, float] = {}  # when each queue's counts were taken
        self.seats: dict[str, mailq.SupervisedSeatView] = {}
        self.day_start = day_start  # the start of the day of a time: "today" starts again with it
        self.short_abandon = short_abandon  # a queue's τ ([console.queues.*])
        self.today_start = day_start(clock())
        self.today = MailVisits()  # the conversations' visits to the queues since today_start
        self.figured_at = 0.0
        # today's share within due time per queue and channel, as the alerts last measured it
        self.within_due: dict[tuple[str, str], float | None] = {}
        self.within_due_at = -1e18

    # --- fed by the mail queue ----------------------------------------------------------------

    def seed(self, status: mailq.StatusResult, today: tuple[MailVisits, float] | None = None) -> None:
        """`today`: the queues' visits read from the CRM since the day's start (and that start);
        None keeps those the model has (the CRM could not be read)."""
        now = self._seeded()
        self.run = status.run
        self.queues = {q.name: q for q in status.queues}
        self.queue_seen = dict.fromkeys(self.queues, now)
        self.seats = {seat.agent: seat for seat in status.seats}
        self._roll_day()
        if today is not None and today[1] == self.today_start:
            self.today = today[0]

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
        elif isinstance(event, mailq.QueueContactStep):
            self._roll_day()
            if self.today.step(event.step, event.queue, str(event.conversation_id), event.channel, event.at,
                               wait=event.wait, via=event.via):
                self.version += 1
                self.within_due_at = -1e18  # measured again at the next look

    def check(self) -> bool:
        """Offline after `silence` seconds without a word; the figures made again now and then,
        the alerts looked at."""
        if not super().check():
            return False
        if self.clock() - self.figured_at >= FIGURES_SECONDS:
            self.version += 1  # a conversation may have fallen overdue, or midnight passed
        if self.monitor.due() and self.monitor.check(self._now()):
            self.version += 1
        return True

    def _ended(self) -> None:
        self.monitor.end_all()  # nothing can be known of the alerts while the mail queue is out of sight

    def _now(self) -> list[MailQueueNow]:
        """Each shown queue's channel as it stands now, for the alerts; today's share within due
        time measured again every FIGURES_SECONDS or after a step (not at every look)."""
        now = self.clock()
        if now - self.within_due_at >= FIGURES_SECONDS:
            self._roll_day()
            self.within_due_at = now
            self.within_due = {(queue.name, c.channel): self._today(queue, c.channel)["within_due"]
                               for queue in self._shown() for c in queue.channels}
        return [MailQueueNow(queue.name, c.channel, c.waiting,
                             c.oldest_wait + now - self.queue_seen.get(queue.name, now),
                             self.within_due.get((queue.name, c.channel)))
                for queue in self._shown() for c in queue.channels]

    def _shown(self) -> list[mailq.QueueView]:
        """The queues the scope's page shows, by name; their alerts are raised for it alone."""
        return [queue for name, queue in sorted(self.queues.items())]

    def _roll_day(self) -> None:
        start = self.day_start(self.clock())
        if start != self.today_start:  # midnight: today starts again, yesterday's visits are not its
            self.today_start, self.today = start, MailVisits()

    # --- what browsers get --------------------------------------------------------------------

    def view(self) -> dict:
        """Plain data for the page: one row per queue and channel, one per agent logged in."""
        if not self.online:
            return self.offline_view()
        self.figured_at = self.clock()
        self._roll_day()
        return {"online": True, "problem": "", "now": self.clock(),
                "queues": [row for queue in self._shown() for row in self._rows(queue)],
                "agents": [self._agent(seat) for seat in sorted(self.seats.values(),
                                                                key=lambda s: (s.name.casefold(), s.agent))],
                "alerts": self.monitor.active_view()}

    def _rows(self, queue: mailq.QueueView) -> list[dict]:
        seen = self.queue_seen.get(queue.name, self.clock())
        if not queue.channels:  # a mail queue older than the per-channel counts: the queue's alone
            return [{"queue": queue.name, "channel": None, "mode": queue.mode, "waiting": queue.waiting,
                     "oldest_since": seen - queue.oldest_wait if queue.waiting else None,
                     "serving": None, "available": None, "busy": None, "today": self._today(queue, None),
                     "alerting": False}]
        return [{"queue": queue.name, "channel": c.channel, "mode": queue.mode, "waiting": c.waiting,
                 # the oldest arrival, so that the longest wait ticks on between events
                 "oldest_since": seen - c.oldest_wait if c.waiting else None,
                 "serving": c.serving, "available": c.available, "busy": c.busy,
                 "today": self._today(queue, c.channel),
                 "alerting": self.monitor.alerting(queue.name, c.channel)} for c in queue.channels]

    def _today(self, queue: mailq.QueueView, channel: str | None) -> dict:
        """The queue's figures today for one channel (both: None), as crm.reports.definitions
        measures them now."""
        contacts = mail_entered_in(self.today.contacts(queue.name, channel), self.today_start, float("inf"))
        thresholds = MailThresholds(queue.first_response_seconds, self.short_abandon(queue.name))
        f = mail_figures(contacts, thresholds, self.clock())
        return {"entered": f.entered, "answered": f.answered, "abandoned": f.abandoned,
                "short_abandons": f.short_abandons, "first_response": f.first_response_time,
                "within_due": f.share_within_due, "due_seconds": queue.first_response_seconds}

    def _agent(self, seat: mailq.SupervisedSeatView) -> dict:
        """An agent's row; each time it shows carries its threshold (`warn`), as the phone agents'."""
        now = self.clock()
        away = not any(seat.available.values())
        return {
            "agent": seat.agent,
            "name": seat.name,
            "queues": list(seat.queues),
            "available": dict(seat.available),
            "since": seat.since,
            # away from every channel too long (his availability last changed at `since`)
            "warn": warning(seat.since, self.limits.away, now) if away else None,
            "work": [{"channel": w.channel, "queue": w.queue, "state": w.state, "since": w.since,
                      # a conversation's limit counts from its assignment: an offer is not yet his
                      "warn": warning(w.since, self.limits.conversation.get(w.channel, 0.0), now)
                      if w.state == "assigned" else None}
                     for w in sorted(seat.work, key=lambda w: (w.since, w.conversation_id))],
        }
