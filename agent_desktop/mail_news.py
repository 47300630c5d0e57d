"""Which of the mail queue's events the agent hears of, and in what words: a new email
or chat offered to him, one a colleague transferred to him, and work that left him by
no doing of his own. An offer going round and round (it ran out and he is the only one
free) is told once, not every time it comes back.

Plain Python (no Qt): the clock is a port, and what to tell comes back as a `News` for
the controller to put among the workbench's notices.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from agent_desktop.workbench import QT_TRANSLATE_NOOP
from bus import mailq

# An offer that comes back within this time of the last notice about it is not news
# (it ran out and he is the only one free); later it is (a thread the customer reopened).
TOLD_SECONDS = 600.0
KEEP_TOLD = 500  # remembered notices before the old ones are dropped (work that went to colleagues never closes here)

# Notices are translated in the Workbench context, as the workbench's own.
OFFERED = {
    "email": QT_TRANSLATE_NOOP("Workbench", "New email from {customer}: {subject}"),
    "chat": QT_TRANSLATE_NOOP("Workbench", "New chat from {customer}: {subject}"),
}
TRANSFERRED = QT_TRANSLATE_NOOP("Workbench", "{agent} transferred to you: {subject}")
# Why work left the agent (mailq.WorkWithdrawn.cause); what he rejected, transferred or logged off from is not told.
NOT_ANSWERED = {
    "email": QT_TRANSLATE_NOOP("Workbench", "The email from {customer} ({subject}) went back to the queue: it "
                                            "was not accepted in time."),
    "chat": QT_TRANSLATE_NOOP("Workbench", "The chat from {customer} went back to the queue: it was not accepted "
                                           "in time."),
}
WITHDRAWN = {
    "customer_ended": QT_TRANSLATE_NOOP("Workbench", "The chat from {customer} ended before it was accepted: "
                                                     "the customer closed it."),
    "customer_left": QT_TRANSLATE_NOOP("Workbench", "The chat from {customer} ended before it was accepted: "
                                                    "the customer left the page."),
    "rerouted": QT_TRANSLATE_NOOP("Workbench", "The chat from {customer} went to another queue: the "
                                               "customer's first message asked for it."),
}


@dataclass(frozen=True)
class News:
    """A notice for the agent: its level, English template (the key of its translation) and values."""

    level: str
    template: str
    params: dict = field(default_factory=dict)


class MailNews:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        # ("offered" | "missed", conversation) -> when last told or kept quiet, see TOLD_SECONDS
        self._told: dict[tuple[str, int], float] = {}

    def heard(self, event, known: mailq.WorkView | None) -> News | None:
        """What to tell the agent of `event`; `known` is the desk's work for its conversation
        before the event (an offer made again is the same offer told more: no new notice)."""
        if isinstance(event, mailq.WorkWithdrawn):
            return self._withdrawn(event, known)
        if isinstance(event, mailq.WorkAssigned):
            self._settled(event.work.conversation_id)
        elif isinstance(event, mailq.WorkClosed):
            self._settled(event.conversation_id)
        elif isinstance(event, mailq.WorkOffered) and not (known is not None and known.state == "offered"):
            return self._offered(event.work)
        return None

    def _offered(self, work: mailq.WorkView) -> News | None:
        if not self._news(("offered", work.conversation_id)) and not work.transferred_by:
            return None
        template = TRANSFERRED if work.transferred_by else OFFERED["email" if work.channel == "email" else "chat"]
        return News("info", template, {"customer": work.customer, "subject": work.subject or "—",
                                       "agent": work.transferred_by or ""})

    def _withdrawn(self, event: mailq.WorkWithdrawn, work: mailq.WorkView | None) -> News | None:
        if work is None:
            return None
        if event.cause == "not_answered":
            if not self._news(("missed", event.conversation_id)):
                return None
            template = NOT_ANSWERED["email" if work.channel == "email" else "chat"]
        elif event.cause in WITHDRAWN:
            template = WITHDRAWN[event.cause]
        else:
            return None
        return News("warning", template, {"customer": work.customer, "subject": work.subject or "—"})

    def _settled(self, conversation_id: int) -> None:
        """The work is the agent's, or closed: whatever comes of it later is news again."""
        self._told.pop(("offered", conversation_id), None)
        self._told.pop(("missed", conversation_id), None)

    def _news(self, key: tuple[str, int]) -> bool:
        """Whether a notice about `key` is news: none within TOLD_SECONDS. Either way the
        clock starts again, so an offer going round and round stays quiet."""
        now = self.clock()
        if len(self._told) > KEEP_TOLD:
            self._told = {k: t for k, t in self._told.items() if now - t <= TOLD_SECONDS}
        last, self._told[key] = self._told.get(key), now
        return last is None or now - last > TOLD_SECONDS
