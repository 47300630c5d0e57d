"""Which work-mode and call controls make sense in the agent's current state.

Plain Python, so the rules are tested without a screen: the toolbar only
enables what this module allows, and the gateway still refuses anything
that became invalid in the meantime.
"""

from __future__ import annotations

from enum import StrEnum

from bus import cti


class Control(StrEnum):
    READY = "ready"
    NOT_READY = "not_ready"
    WRAP_UP = "wrap_up"  # stay in wrap-up: stops the wrap-up timer
    ACCEPT = "accept"
    REJECT = "reject"
    HANGUP = "hangup"
    HOLD = "hold"
    RETRIEVE = "retrieve"
    TRANSFER = "transfer"  # blind
    CONSULT = "consult"
    COMPLETE_TRANSFER = "complete_transfer"
    CONFERENCE = "conference"
    CANCEL_CONSULT = "cancel_consult"
    DIAL = "dial"
    DTMF = "dtmf"
    END = "end"  # save the interaction record and close the contact


_TALKING = {"connected", "held", "consulting", "conference", "dialing"}


def enabled_controls(agent: cti.AgentView | None, *, connected: bool,
                     contact_open: bool) -> frozenset[Control]:
    """What the agent may do now. `connected`: the gateway answers;
    `contact_open`: an interaction is in the workspace."""
    enabled: set[Control] = set()
    if contact_open and not _active_calls(agent):
        enabled.add(Control.END)
    if not connected or agent is None or agent.mode == "logged_out":
        return frozenset(enabled)
    enabled |= _mode_controls(agent)
    calls = _active_calls(agent)
    if not calls:
        enabled.add(Control.DIAL)
    for call in calls:
        enabled |= call_controls(call)
    return frozenset(enabled)


def _active_calls(agent: cti.AgentView | None) -> list[cti.CallView]:
    if agent is None:
        return []
    return [c for c in agent.calls if c.state != "ended"]


def _mode_controls(agent: cti.AgentView) -> set[Control]:
    controls = {Control.NOT_READY}
    if agent.mode != "ready" or agent.pending_mode not in (None, "ready"):
        controls.add(Control.READY)
    if agent.mode == "wrap_up" and agent.wrap_up_until is not None:
        controls.add(Control.WRAP_UP)
    return controls


def call_controls(call: cti.CallView) -> set[Control]:
    state = call.state
    if state == "offered":
        return {Control.ACCEPT, Control.REJECT}
    if state not in _TALKING:
        return set()
    controls = {Control.HANGUP}
    if call.role == "consulted":
        if state in ("connected", "conference"):
            controls.add(Control.DTMF)
        return controls
    if state == "connected":
        controls |= {Control.HOLD, Control.TRANSFER, Control.CONSULT, Control.DTMF}
    elif state == "held":
        controls |= {Control.RETRIEVE, Control.TRANSFER, Control.CONSULT}
    elif state == "consulting":
        controls.add(Control.CANCEL_CONSULT)
        if call.consult is not None and call.consult.state == "connected":
            controls |= {Control.COMPLETE_TRANSFER, Control.CONFERENCE, Control.DTMF}
    elif state == "conference":
        controls.add(Control.DTMF)
    return controls


def main_call(agent: cti.AgentView | None) -> cti.CallView | None:
    """The call the controls act on: the offered one first, else the one in progress."""
    calls = _active_calls(agent)
    for call in calls:
        if call.state == "offered":
            return call
    return calls[0] if calls else None
