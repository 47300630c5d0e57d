"""The desktop's session at the mail queue, as the desktop decides it: when to log in
(again), which availability to ask for after a login (the agent's choice survives a
restart), when the session is over and the agent is asked to sign in again, and how
often the customer hears that the agent is typing.

Plain Python (no Qt): the controller gives it a `MailPort` that sends to the mail
queue, retries later and tells the window; the state it keeps is the `MailDesk`'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from agent_desktop.mail_desk import MAIL_ERRORS, MailDesk
from agent_desktop.workbench import QT_TRANSLATE_NOOP, Workbench
from bus import mailq

TYPING_EVERY = 2.0  # seconds between typing notices to the customer
RESTARTED = "the mail queue restarted"
# Why the mail queue ended the agent's session (mailq.MailSessionEnded.reason), in the Workbench context.
SESSION_ENDED_TEXTS = {
    "signed_out": QT_TRANSLATE_NOOP("Workbench", "You signed out: emails and chats stop until you sign in again."),
    "expired": QT_TRANSLATE_NOOP("Workbench", "Your session has expired: emails and chats stop until you sign "
                                              "in again."),
    "account_disabled": QT_TRANSLATE_NOOP("Workbench", "Your account was disabled: emails and chats stop. Ask "
                                                       "an administrator."),
    "password_changed": QT_TRANSLATE_NOOP("Workbench", "Your password was changed: emails and chats stop until "
                                                       "you sign in again with the new one."),
    "ended": QT_TRANSLATE_NOOP("Workbench", "Your session has ended: emails and chats stop until you sign in "
                                            "again."),
}


# A supervisor set the agent Away (mailq.SetAway), by the channels, in the Workbench context.
SET_AWAY_TEXTS = {
    ("email",): QT_TRANSLATE_NOOP("Workbench", "{sender} set you Away for emails: no new email is offered to you "
                                               "until you make yourself available again."),
    ("chat",): QT_TRANSLATE_NOOP("Workbench", "{sender} set you Away for chats: no new chat is offered to you "
                                              "until you make yourself available again."),
    ("chat", "email"): QT_TRANSLATE_NOOP("Workbench", "{sender} set you Away for emails and chats: nothing new is "
                                                      "offered to you until you make yourself available again."),
}


class MailPort(Protocol):
    """What the session needs of the link to the mail queue and of the window."""

    session: str | None  # the mail queue session the link sends commands with

    def log_in(self) -> None:
        """Send the login with the CRM session; its reply comes back as `logged_in` or `login_failed`."""

    def set_available(self, channel: str, available: bool) -> None:
        """Ask the mail queue to offer the channel's work to the agent, or not."""

    def retry_later(self) -> None:
        """Call `relogin_if_needed` once, a little later."""

    def sign_in_wanted(self, reason: str) -> None:
        """Ask the agent for his password: his session ended (`reason`)."""

    def failed(self, message: str) -> None:
        """Tell the agent a command failed."""

    def translate(self, template: str) -> str:
        """`template` in the agent's language (Workbench context)."""


class MailSession:
    def __init__(self, desk: MailDesk, bench: Workbench, port: MailPort,
                 clock: Callable[[], float] = time.monotonic):
        self.desk, self.bench, self.port, self.clock = desk, bench, port, clock
        self.wanted = {"email": True, "chat": True}  # the agent's choice, kept across reconnects
        self.run: str | None = None
        self.logging_in = False
        self.over = False  # the CRM session ended: logging in again needs a new sign-in
        self._typing_sent: dict[int, float] = {}
        self._restoring = False  # after a login: the agent's choice is put back until the seat shows it

    # --- logging in ----------------------------------------------------------------------------

    def connect(self) -> None:
        if self.logging_in or self.over:
            return
        self.logging_in = True
        self.port.log_in()

    def logged_in(self, run: str, seat: mailq.SeatView) -> None:
        """The mail queue took the login: its seat is the whole truth, but the availability the
        agent chose (before a restart too) is his."""
        self.logging_in = False
        self.run = run
        self.desk.apply_seat(seat)
        self._restoring = True
        self._restore_choice()

    def _restore_choice(self) -> None:
        """Ask again for the availability the agent chose wherever the mail queue's seat differs
        (after a login, and at each heartbeat until the seat shows it: a restarted mail queue
        may not answer the first time)."""
        differs = [(channel, wanted) for channel, wanted in self.wanted.items()
                   if self.desk.available.get(channel, False) != wanted]
        if not differs:
            self._restoring = False
        for channel, wanted in differs:
            self.port.set_available(channel, wanted)

    def login_failed(self, code: str, message: str) -> None:
        self.logging_in = False
        if code == "session_ended":
            self.session_ended("ended")
            return
        self.desk.connection_lost(message)
        self.port.retry_later()

    def relogin_if_needed(self) -> None:
        if not self.desk.connected:
            self.connect()

    def session_ended(self, reason: str) -> None:
        """The CRM session is over: the mail queue's with it. Said once, in the agent's language;
        no more logins with that session."""
        if self.over:
            return
        self.over = True
        self.port.session = None
        template = SESSION_ENDED_TEXTS.get(reason, SESSION_ENDED_TEXTS["ended"])
        self.desk.connection_lost(self.port.translate(template))
        self.bench.notice("warning", template)
        if reason != "account_disabled":
            self.port.sign_in_wanted(reason)

    def set_away(self, channels: list[str], by: str) -> None:
        """A supervisor set the agent Away: that is his availability now, kept across reconnects
        until he chooses again, and he is told who did it."""
        known = [channel for channel in channels if channel in self.wanted]
        for channel in known:
            self.wanted[channel] = False
        self.desk.set_away(known)
        template = SET_AWAY_TEXTS.get(tuple(sorted(known)))
        if template is not None:
            self.bench.notice("warning", template, sender=by)

    def signed_in_again(self) -> None:
        """The agent signed in again after his session ended: the mail queue with the new one."""
        self.over = False
        self.connect()

    # --- what the link hears -----------------------------------------------------------------------

    def silent(self, why: str) -> None:
        """No heartbeat: the mail queue is gone, or restarted and no longer knows the session (it
        beats only to sessions it knows). Log in again until it answers."""
        self.desk.connection_lost(why)
        if not self.over:
            self.port.retry_later()

    def heartbeat(self, run: str, database_available: bool) -> None:
        self.desk.database_heard(database_available)
        if not self.desk.connected or (self.run is not None and run != self.run):
            self.desk.connection_lost(RESTARTED)
            self.connect()
        elif self._restoring and not self.logging_in:
            self._restore_choice()

    def may_ping(self) -> bool:
        """Whether to tell the mail queue the desktop is alive (or log off): only to a session it gave."""
        return bool(self.port.session) and self.desk.connected

    def session_error(self, code: str, message: str) -> None:
        if code == "session_ended":
            self.session_ended("ended")
        elif code in ("no_session", "unreachable"):
            self.desk.connection_lost(message)
            self.connect()
        else:
            self.port.failed(message)

    def command_failed(self, code: str, message: str) -> None:
        if code in ("no_session", "unreachable"):
            self.session_error(code, message)
            return
        self._restoring = False  # refused, and told: not asked again at every heartbeat
        template = MAIL_ERRORS.get(code)
        if template is None:  # a code every service shares: its text as the mail queue wrote it
            self.port.failed(message)
            self.bench.notice("warning", "{error}", error=message)
            return
        self.port.failed(self.port.translate(template))  # the mail queue's own: in the agent's language
        self.bench.notice("warning", template)

    # --- what the agent does ------------------------------------------------------------------------

    def set_available(self, channel: str, available: bool) -> None:
        self.wanted[channel] = available
        self.port.set_available(channel, available)

    def typing_worth_telling(self, conversation_id: int) -> bool:
        """Whether the customer should hear now that the agent is typing (at most every TYPING_EVERY s)."""
        now = self.clock()
        if now - self._typing_sent.get(conversation_id, 0.0) < TYPING_EVERY:
            return False
        self._typing_sent[conversation_id] = now
        return True
