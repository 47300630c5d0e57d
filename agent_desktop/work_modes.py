"""The agent's work mode as the desktop decides it: which Not ready reasons he may
pick, the mode he chose while the gateway was away, the mode he gets back after a
re-login, and the next mode after End.

Plain Python (no Qt): the controller gives it a port that sends a mode to the
gateway and tells it when the gateway has set one, so every rule here is tested
without a window or a gateway.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bus import cti

Mode = tuple[str, str | None]  # work mode, and its reason when it is not_ready
SendMode = Callable[[str, str | None], None]

FALLBACK_REASON = "after_call_work"  # the reason after End when the profile's is not allowed


def allowed_reasons(profile_reasons: Sequence[str], gateway_reasons: Sequence[str]) -> list[str]:
    """The Not ready reasons the agent may pick: the profile's that the gateway accepts, or the
    gateway's own when the profile names none (no list from the gateway: the profile's)."""
    if not gateway_reasons:
        return list(profile_reasons)
    if not profile_reasons:
        return list(gateway_reasons)
    allowed = set(gateway_reasons)
    return [reason for reason in profile_reasons if reason in allowed]


def mode_to_restore(previous: cti.AgentView | None, *, reasons: Sequence[str], contact_open: bool) -> Mode | None:
    """After a restart or a lost session, the mode the agent had: Ready, or Not ready for a
    reason he may still pick. Nothing while a contact is open (its End sets the next mode)."""
    if previous is None or contact_open:
        return None
    if previous.mode == "ready":
        return ("ready", None)
    if previous.mode == "not_ready" and previous.reason in reasons:
        return ("not_ready", previous.reason)
    return None


def mode_after_end(channel: str, agent: cti.AgentView | None, *, after_wrap_up: str | None,
                   after_wrap_up_reason: str | None, reasons: Sequence[str]) -> Mode | None:
    """The next mode when the agent ends a call's contact, per his profile: Not ready (for the
    profile's reason, or one he may pick, as the gateway does) or Ready. Emails and chats, and
    an agent in a call or logged out, keep theirs."""
    if channel != "phone" or agent is None or agent.mode not in ("wrap_up", "not_ready", "ready"):
        return None
    if after_wrap_up == "not_ready":
        reason = after_wrap_up_reason
        if reasons and reason not in reasons:
            reason = FALLBACK_REASON if FALLBACK_REASON in reasons else reasons[0]
        return ("not_ready", reason)
    if agent.mode != "ready":
        return ("ready", None)
    return None


class WorkModes:
    """The modes the desktop asks the gateway for. A mode chosen while the gateway is away
    (`wanted`) is asked for again when it answers, until it confirms one."""

    def __init__(self, send: SendMode, *, profile_reasons: Sequence[str] | None = None,
                 after_wrap_up: str | None = None, after_wrap_up_reason: str | None = None):
        self._send = send
        self._profile_reasons = list(profile_reasons or [])
        self.not_ready_reasons = list(self._profile_reasons)
        self.after_wrap_up, self.after_wrap_up_reason = after_wrap_up, after_wrap_up_reason
        self.wanted: Mode | None = None
        self._had_session = False

    def set(self, mode: str, reason: str | None = None) -> None:
        self.wanted = (mode, reason)
        self._send(mode, reason)

    def confirmed(self) -> None:
        """The gateway set the mode asked for."""
        self.wanted = None

    def logged_in(self, previous: cti.AgentView | None, *, gateway_reasons: Sequence[str],
                  contact_open: bool) -> None:
        """Logged in to the gateway (again); `previous` is the agent's state before this login.
        The mode chosen meanwhile is asked for, else the one he had before a re-login."""
        if gateway_reasons:  # else the gateway says nothing new of them
            self.not_ready_reasons = allowed_reasons(self._profile_reasons, gateway_reasons)
        previous = previous if self._had_session else None
        self._had_session = True
        if self.wanted is not None:
            self.set(*self.wanted)
            return
        restored = mode_to_restore(previous, reasons=self.not_ready_reasons, contact_open=contact_open)
        if restored is not None:
            self.set(*restored)

    def resynced(self) -> None:
        """The gateway answered a snapshot: the mode chosen while it was away (End) is asked for."""
        if self.wanted is not None:
            self.set(*self.wanted)

    def contact_ended(self, channel: str, agent: cti.AgentView | None, *, connected: bool) -> None:
        """End: the next mode, at once, or as soon as the gateway is back."""
        wanted = mode_after_end(channel, agent, after_wrap_up=self.after_wrap_up,
                                after_wrap_up_reason=self.after_wrap_up_reason, reasons=self.not_ready_reasons)
        if wanted is None:
            return
        if connected:
            self.set(*wanted)
        else:
            self.wanted = wanted
