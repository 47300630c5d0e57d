"""The agent's emails and chats as the desktop holds them: availability per
channel, offers waiting for an answer, assigned work, open chats with their
lines and the customer typing. Plain Python (no Qt), fed by the mail
queue's replies and events (bus.mailq) and read by the Inbox page."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bus import mailq

log = logging.getLogger(__name__)

TYPING_SECONDS = 4.0  # "typing…" shows this long after the customer's last key
BACK_SECONDS = 15.0  # how long "the database is back" is news


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 - the name Qt's lupdate looks for
    """Marks a message for translation; the view translates it in context "Workbench"."""
    return text


# What the mail queue's own error codes mean (bus.mailq.ERRORS, every one of them), for the
# view to translate; the codes every service shares mean what bus.envelope and bus.refusals say.
MAIL_ERRORS = {
    "no_session": QT_TRANSLATE_NOOP("Workbench", "The mail queue no longer knows this desktop; it logs in again"),
    "not_logged_in": QT_TRANSLATE_NOOP("Workbench", "You are not logged in to the mail queue"),
    "unknown_agent": QT_TRANSLATE_NOOP("Workbench", "There is no user of that name"),
    "watching": QT_TRANSLATE_NOOP("Workbench", "A supervisor watching takes no emails or chats"),
    "bad_channel": QT_TRANSLATE_NOOP("Workbench", "There is no such channel"),
    "unknown_queue": QT_TRANSLATE_NOOP("Workbench", "There is no such mail queue"),
    "unknown": QT_TRANSLATE_NOOP("Workbench", "This conversation is closed"),
    "not_offered": QT_TRANSLATE_NOOP("Workbench", "This conversation is no longer offered to you"),
    "taken": QT_TRANSLATE_NOOP("Workbench", "A colleague has taken this conversation"),
    "not_your_queue": QT_TRANSLATE_NOOP("Workbench", "You are not logged in to this conversation's queue"),
    "full": QT_TRANSLATE_NOOP("Workbench", "You already work as many conversations of this channel as you may"),
    "not_assigned": QT_TRANSLATE_NOOP("Workbench", "This conversation is not assigned to you"),
    "not_yours": QT_TRANSLATE_NOOP("Workbench", "This conversation is not assigned to you"),
    "bad_transfer": QT_TRANSLATE_NOOP("Workbench", "Transfer to a queue or to a colleague, not both"),
    "self_transfer": QT_TRANSLATE_NOOP("Workbench", "This conversation is already yours"),
    "target_not_logged_in": QT_TRANSLATE_NOOP("Workbench", "The colleague is not logged in to the mail queue"),
    "target_not_available": QT_TRANSLATE_NOOP("Workbench", "The colleague is not available for this channel"),
    "target_full": QT_TRANSLATE_NOOP("Workbench", "The colleague already works as many conversations as he may"),
    "validationerror": QT_TRANSLATE_NOOP("Workbench", "The CRM refused a value"),
    "conflict": QT_TRANSLATE_NOOP("Workbench", "The conversation changed meanwhile"),
    "notfound": QT_TRANSLATE_NOOP("Workbench", "The CRM has no such record"),
    "no_events": QT_TRANSLATE_NOOP("Workbench", "The mail queue did not confirm this desktop's events"),
}

Listener = Callable[[str], None]


@dataclass
class OpenChat:
    conversation_id: int
    customer: str
    lines: list[mailq.ChatLineView] = field(default_factory=list)
    typing_until: float = 0.0
    unread: int = 0
    closed_by: str | None = None  # "customer" (closed or ended by the customer) or "agent" once closed

    def add(self, line: mailq.ChatLineView) -> bool:
        if any(known.id == line.id for known in self.lines):
            return False
        self.lines.append(line)
        self.lines.sort(key=lambda known: known.id)
        return True


class MailDesk:
    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock
        self.connected = False
        self.connection_error: str | None = None
        self.database_available = True  # as the mail queue's heartbeat says
        self.database_back_at: float | None = None
        self.available = {"email": False, "chat": False}
        self.capacity: dict[str, int] = {}
        self.queues: list[str] = []
        self.work: dict[int, mailq.WorkView] = {}  # offered and assigned, by conversation
        self.chats: dict[int, OpenChat] = {}
        self.new_mail: set[int] = set()  # conversations with an email not yet looked at
        self.queue_sizes: dict[str, int] = {}
        self.failed_deliveries: dict[int, mailq.DeliveryDone] = {}  # the agent's emails that failed, by email
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _changed(self, what: str) -> None:
        for listener in list(self._listeners):
            listener(what)

    # --- state from the mail queue -------------------------------------------------------------

    def apply_seat(self, seat: mailq.SeatView) -> None:
        """A login or snapshot reply: the whole truth."""
        self.connected, self.connection_error = True, None
        self.available = {"email": False, "chat": False, **seat.available}
        self.capacity, self.queues = dict(seat.capacity), list(seat.queues)
        self.work = {w.conversation_id: w for w in seat.work}
        for cid in [c for c in self.chats if c not in self.work and self.chats[c].closed_by is None]:
            self.chats[cid].closed_by = "agent"  # closed elsewhere while we were away
        for work in seat.work:
            self._open_chat_for(work)
        self._changed("seat")

    def set_away(self, channels: list[str]) -> None:
        """Away on these channels, as the mail queue says (a supervisor set it)."""
        for channel in channels:
            self.available[channel] = False
        self._changed("seat")

    def connection_lost(self, why: str) -> None:
        if not self.connected and self.connection_error == why:
            return
        self.connected, self.connection_error = False, why
        self._changed("connection")

    def database_heard(self, available: bool) -> None:
        """What the mail queue's heartbeat says of its database; a change is news."""
        if available == self.database_available:
            return
        self.database_available = available
        self.database_back_at = self.clock() if available else None
        self._changed("database")

    def database_news(self) -> str | None:
        """"unavailable" while the mail queue cannot reach its database, "back" for a while after, else None."""
        if not self.database_available:
            return "unavailable"
        if self.database_back_at is not None and self.clock() - self.database_back_at < BACK_SECONDS:
            return "back"
        return None

    def apply_event(self, envelope, event) -> None:
        handler = {
            mailq.WorkOffered: self._on_offered, mailq.WorkAssigned: self._on_assigned,
            mailq.WorkWithdrawn: self._on_withdrawn, mailq.WorkClosed: self._on_closed,
            mailq.NewMessage: self._on_new_message, mailq.ChatLine: self._on_chat_line,
            mailq.CustomerTyping: self._on_typing, mailq.CustomerEndedChat: self._on_customer_ended,
            mailq.QueueChanged: self._on_queue, mailq.DeliveryDone: self._on_delivery,
        }.get(type(event))
        if handler is None:
            log.info("mail queue event %s ignored", type(event).__name__)
            return
        handler(event)

    def _on_offered(self, event: mailq.WorkOffered) -> None:
        self.work[event.work.conversation_id] = event.work
        self._changed("work")

    def _on_assigned(self, event: mailq.WorkAssigned) -> None:
        self.work[event.work.conversation_id] = event.work
        self._open_chat_for(event.work)
        self._changed("work")

    def _on_withdrawn(self, event: mailq.WorkWithdrawn) -> None:
        if self.work.pop(event.conversation_id, None) is not None:
            self._changed("work")

    def _on_closed(self, event: mailq.WorkClosed) -> None:
        self.work.pop(event.conversation_id, None)
        chat = self.chats.get(event.conversation_id)
        if chat is not None:
            chat.closed_by = event.by
        self.new_mail.discard(event.conversation_id)
        self._changed("work")

    def _on_new_message(self, event: mailq.NewMessage) -> None:
        self.new_mail.add(event.conversation_id)
        self._changed(f"message:{event.conversation_id}")

    def _on_chat_line(self, event: mailq.ChatLine) -> None:
        chat = self.chats.get(event.conversation_id)
        if chat is None:
            work = self.work.get(event.conversation_id)
            chat = self.chats[event.conversation_id] = OpenChat(event.conversation_id, work.customer if work else "")
        if chat.add(event.line):
            chat.typing_until = 0.0
            chat.unread += 1
            self._changed(f"chat:{event.conversation_id}")

    def _on_typing(self, event: mailq.CustomerTyping) -> None:
        chat = self.chats.get(event.conversation_id)
        if chat is not None:
            chat.typing_until = self.clock() + TYPING_SECONDS
            self._changed(f"chat:{event.conversation_id}")

    def _on_customer_ended(self, event: mailq.CustomerEndedChat) -> None:
        """The customer has gone; the chat stays the agent's work until Done."""
        chat = self.chats.get(event.conversation_id)
        if chat is None:
            work = self.work.get(event.conversation_id)
            chat = self.chats[event.conversation_id] = OpenChat(event.conversation_id, work.customer if work else "")
        chat.closed_by, chat.typing_until = "customer", 0.0
        self._changed(f"chat:{event.conversation_id}")

    def _on_queue(self, event: mailq.QueueChanged) -> None:
        self.queue_sizes[event.queue.name] = event.queue.waiting
        self._changed("queue")

    def _on_delivery(self, event: mailq.DeliveryDone) -> None:
        if event.status == "failed":
            self.failed_deliveries[event.email_id] = event
        else:
            self.failed_deliveries.pop(event.email_id, None)  # sent after a retry
        self._changed(f"delivery:{event.conversation_id or 0}")

    def apply_queues(self, queues: list[mailq.QueueView]) -> None:
        """The waiting counts as the mail queue's status gives them at login; events keep them up."""
        for queue in queues:
            self.queue_sizes[queue.name] = queue.waiting
        self._changed("queue")

    def waiting(self, queue: str | None = None) -> int:
        """Waiting in one of the agent's queues, or in all of them."""
        return sum(self.queue_sizes.get(q, 0) for q in ([queue] if queue else self.queues))

    def _open_chat_for(self, work: mailq.WorkView) -> None:
        if work.channel != "chat" or work.state != "assigned":
            return
        chat = self.chats.get(work.conversation_id)
        if chat is None:
            chat = self.chats[work.conversation_id] = OpenChat(work.conversation_id, work.customer)
        if work.customer_ended and chat.closed_by is None:  # it ended while this desktop was away
            chat.closed_by = "customer"

    # --- what the agent did -----------------------------------------------------------------------

    def chat_loaded(self, conversation_id: int, lines: list[mailq.ChatLineView]) -> None:
        """The transcript so far, read from the CRM (lines from before this desktop joined)."""
        chat = self.chats.get(conversation_id)
        if chat is None:
            return
        for line in lines:
            chat.add(line)
        self._changed(f"chat:{conversation_id}")

    def chat_sent(self, conversation_id: int, line: mailq.ChatLineView) -> None:
        chat = self.chats.get(conversation_id)
        if chat is not None and chat.add(line):
            self._changed(f"chat:{conversation_id}")

    def chat_read(self, conversation_id: int) -> None:
        chat = self.chats.get(conversation_id)
        if chat is not None and chat.unread:
            chat.unread = 0
            self._changed(f"chat:{conversation_id}")

    def mail_read(self, conversation_id: int) -> None:
        if conversation_id in self.new_mail:
            self.new_mail.discard(conversation_id)
            self._changed(f"message:{conversation_id}")

    def forget_work(self, conversation_id: int) -> None:
        """Handed on to someone else: neither in the agent's work nor among his chats."""
        had = self.work.pop(conversation_id, None) is not None
        self.new_mail.discard(conversation_id)
        if (self.chats.pop(conversation_id, None) is not None) or had:
            self._changed("work")

    def forget_chat(self, conversation_id: int) -> None:
        if self.chats.pop(conversation_id, None) is not None:
            self._changed("work")

    # --- questions the page asks -------------------------------------------------------------------

    def offers(self) -> list[mailq.WorkView]:
        return sorted((w for w in self.work.values() if w.state == "offered"),
                      key=lambda w: (w.offer_deadline or 0.0, w.conversation_id))

    def assigned(self, channel: str | None = None) -> list[mailq.WorkView]:
        return sorted((w for w in self.work.values() if w.state == "assigned"
                       and (channel is None or w.channel == channel)),
                      key=lambda w: (w.priority, w.due_at is None, w.due_at or 0.0, w.conversation_id))

    def load(self, channel: str) -> int:
        return sum(1 for w in self.work.values() if w.channel == channel)

    def typing(self, conversation_id: int) -> bool:
        chat = self.chats.get(conversation_id)
        return chat is not None and chat.typing_until > self.clock()
