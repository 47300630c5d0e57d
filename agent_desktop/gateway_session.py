"""The desktop's session at the CTI gateway, as the desktop decides it: when to log
in (again), when a snapshot will do, when to stop trying and ask the agent to sign
in again, and when another desktop holds his session, so that only he decides.

Plain Python (no Qt): the controller gives it a `GatewayPort` that sends the login
and the snapshot request, retries later, runs the rejoin timer and tells the
window, and feeds it the link's news; what the agent reads goes to the workbench.
"""

from __future__ import annotations

from typing import Protocol

from agent_desktop.workbench import QT_TRANSLATE_NOOP, Workbench

RESTARTED = QT_TRANSLATE_NOOP("Workbench", "The CTI gateway restarted; logging in again.")
# The gateway's notice that it logged the agent out because his CRM session ended (its code)
# → the reason to ask him to sign in again with.
SESSION_ENDED_NOTICES = {"signed_out": "ended", "session_expired": "expired", "password_changed": "password_changed",
                         "session_ended": "ended"}


class GatewayPort(Protocol):
    """What the session needs of the link to the gateway and of the window."""

    session: str | None  # the gateway session the link sends commands with
    alive: bool  # the gateway's heartbeats come

    def log_in(self, takeover: bool) -> None:
        """Send the login; its reply comes back as `logged_in` or `login_failed`."""

    def resync(self) -> None:
        """Ask for a snapshot of the agent's state."""

    def retry_later(self) -> None:
        """Call `relogin_if_needed` once, a little later."""

    def rejoining(self, on: bool) -> None:
        """Call `rejoin_tick` every little while (on), or no more (off)."""

    def sign_in_wanted(self, reason: str) -> None:
        """Ask the agent for his password: his session ended (`reason`)."""

    def takeover_asked(self, message: str) -> None:
        """Ask the agent whether to take the session from the desktop that holds it."""


class GatewaySession:
    def __init__(self, bench: Workbench, port: GatewayPort):
        self.bench, self.port = bench, port
        self.logging_in = False
        self.over = False  # the CRM session ended: nothing to log in with any more

    # --- logging in ---------------------------------------------------------------------------

    def connect(self, *, takeover: bool = False) -> None:
        if self.logging_in:
            return
        self.logging_in = True
        self.port.log_in(takeover)

    def logged_in(self, run: str) -> None:
        """The gateway took the login (before its snapshot is applied)."""
        self.logging_in = False
        if self.bench.run is not None and run != self.bench.run:
            self.bench.notice("warning", RESTARTED)

    def login_failed(self, code: str, message: str) -> None:
        self.logging_in = False
        if code == "already_logged_in":
            # Another desktop holds the session: only the agent decides to take it.
            self.bench.session_held_elsewhere(message)
            self.port.takeover_asked(message)
            return
        self.bench.connection_lost(message)
        self.bench.gateway_error(code, message)
        if code == "session_ended":  # it opens nothing however often it is shown: no retries
            self.port.session = None
            self.over = True
            self.port.rejoining(False)
            self.port.sign_in_wanted("ended")
            return
        self.port.retry_later()

    def relogin_if_needed(self) -> None:
        if not self.bench.connected and self.bench.session_elsewhere is None:
            self.connect()

    def signed_in_again(self) -> None:
        """A new CRM session: the ended one's gateway session is gone; this desktop's old one is
        taken over, if the gateway still has it."""
        self.over = False
        self.port.session = None
        self.connect(takeover=True)

    # --- what the link hears -----------------------------------------------------------------------

    def heartbeat(self, run: str, records_healthy: bool) -> None:
        self.bench.gateway_records_heard(records_healthy)
        if self.bench.session_elsewhere is not None:
            return  # another desktop is the agent's now; this one waits for the agent
        if self.bench.run is not None and run != self.bench.run:
            self.bench.notice("warning", RESTARTED)
            self.bench.connection_lost("the gateway restarted")
            self.connect()
        elif not self.bench.connected and not self.logging_in and self.port.session:
            self.port.resync()

    def subscribed(self) -> None:
        """What changed between the login (or the last event) and the confirmation of the
        session's events was sent to no one: the snapshot after it has it."""
        if self.port.session:
            self.port.resync()

    def silent(self, why: str) -> None:
        if self.bench.session_elsewhere is not None:
            return  # taken over: the gateway sends this desktop nothing more, as it said
        self.bench.connection_lost(why)
        self.port.rejoining(True)

    def rejoin_tick(self) -> None:
        """No heartbeat: a snapshot tells whether the gateway still knows this desktop's session
        (then its events come back by themselves) or restarted (`not_logged_in`: log in again)."""
        if self.port.alive or self.bench.session_elsewhere is not None or self.over:
            self.port.rejoining(False)
        elif not self.logging_in and self.port.session:
            self.port.resync()
        elif not self.logging_in:
            self.connect()

    def from_this_run(self, run: str) -> bool:
        """Whether an event comes from the gateway run this desktop is logged in to."""
        return self.bench.run is None or run == self.bench.run

    def notice_heard(self, code: str) -> None:
        """The gateway's notice: one that it logged the agent out as his CRM session ended
        means a new sign-in, not a retry."""
        if code in SESSION_ENDED_NOTICES:
            self.over = True
            self.port.sign_in_wanted(SESSION_ENDED_NOTICES[code])

    def command_failed(self, code: str, message: str) -> None:
        if code == "not_logged_in":
            self.bench.connection_lost(message)
            if self.bench.session_elsewhere is None:
                self.connect()  # a desktop that holds the session is asked about, not overrun
            return
        if code == "unreachable":
            self.bench.connection_lost(message)
        self.bench.gateway_error(code, message)
