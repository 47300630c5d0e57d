"""A supervisor's commands in the ACD (fake clock): Not ready and log off act at once on an
agent between calls, and when his call ends on an agent on one, as his own pending mode does;
his desktop is told, by declared notice codes. Whether the supervisor may act on him is the
CRM's (tests/test_supervisor_actions.py)."""

from __future__ import annotations

import pytest

from acd_harness import Center, queue
from bus import cti
from cti_gateway.acd import CommandError


def codes(center: Center, name: str) -> list[str]:
    return [n.code for n in center.events_for(name, cti.AgentNotice)]


def test_not_ready_between_calls_is_at_once_and_the_agent_is_told_who_did_it():
    center = Center([queue(wrap_up_seconds=20)])
    center.login("ann")
    assert center.acd.supervisor_not_ready("ann", "meeting", "Sue") is True
    assert (center.mode("ann"), center.reason("ann")) == ("not_ready", "meeting")
    notice = center.events_for("ann", cti.AgentNotice)[-1]
    assert notice.code == "supervisor_not_ready" and notice.params == {"supervisor": "Sue", "reason": "meeting"}


def test_not_ready_during_a_call_waits_for_its_end_and_its_wrap_up():
    center = Center([queue(wrap_up_seconds=20)])
    center.login("ann")
    leg = center.call_in()
    center.pick_up("ann")
    assert center.acd.supervisor_not_ready("ann", "training", "Sue") is False
    assert center.mode("ann") == "busy" and center.switch.of("hangup", leg) == []  # the call goes on
    assert center.acd.agents["ann"].pending[1] == "training"
    assert "supervisor_not_ready_after_call" in codes(center, "ann")
    center.acd.leg_ended(leg)
    assert center.mode("ann") == "wrap_up"
    center.wait(21)
    assert (center.mode("ann"), center.reason("ann")) == ("not_ready", "training")


def test_not_ready_in_wrap_up_ends_the_wrap_up():
    center = Center([queue(wrap_up_seconds=20)])
    center.login("ann")
    leg = center.call_in()
    center.pick_up("ann")
    center.acd.leg_ended(leg)
    assert center.acd.supervisor_not_ready("ann", "break", "Sue") is True
    assert (center.mode("ann"), center.reason("ann")) == ("not_ready", "break")


def test_log_off_between_calls_is_at_once():
    center = Center([queue()])
    center.login("ann")
    assert center.acd.supervisor_log_off("ann", "Sue") is True
    assert "ann" not in center.acd.agents and center.sessions["ann"] not in center.acd.sessions
    assert codes(center, "ann")[-1] == "supervisor_logged_off"
    assert center.records.kinds().count("logged_out") == 1


def test_log_off_during_a_call_waits_for_its_end_and_the_agent_cannot_undo_it():
    center = Center([queue(wrap_up_seconds=20)])
    center.login("ann")
    leg = center.call_in()
    center.pick_up("ann")
    assert center.acd.supervisor_log_off("ann", "Sue") is False
    assert center.mode("ann") == "busy" and center.switch.of("hangup", leg) == []
    state = center.events_for("ann", cti.AgentStateChanged)[-1].state
    assert state.pending_mode == "logged_out"
    with pytest.raises(CommandError) as refused:
        center.acd.set_agent_mode(center.sessions["ann"], "ready")
    assert refused.value.code == "invalid_state"
    with pytest.raises(CommandError):
        center.acd.supervisor_not_ready("ann", "break", "Sue")
    center.acd.leg_ended(leg)
    assert center.mode("ann") == "wrap_up"  # his wrap-up first
    center.wait(21)
    assert "ann" not in center.acd.agents
    assert center.records.kinds().count("logged_out") == 1


def test_an_agent_not_logged_in_an_unknown_reason_and_an_offer_ringing_are_refused_plainly():
    center = Center([queue()])
    for command in (lambda: center.acd.supervisor_not_ready("ann", "break", "Sue"),
                    lambda: center.acd.supervisor_log_off("ann", "Sue")):
        with pytest.raises(CommandError) as refused:
            command()
        assert refused.value.code == "unknown_agent" and "logged off meanwhile" in refused.value.message
    center.login("ann")
    with pytest.raises(CommandError) as refused:
        center.acd.supervisor_not_ready("ann", "coffee", "Sue")
    assert refused.value.code == "invalid_argument"
    center.call_in()
    assert center.mode("ann") == "offered"
    with pytest.raises(CommandError) as refused:
        center.acd.supervisor_not_ready("ann", "break", "Sue")
    assert refused.value.code == "invalid_state"


def test_a_message_reaches_one_agent_or_the_agents_the_supervisor_may_see():
    center = Center([queue()])
    center.login("ann")
    center.login("bob")
    assert center.acd.broadcast("sue", "Sue", "hello", agent="ann") == ["ann"]
    assert center.acd.broadcast("sue", "Sue", "all", visible=lambda name: name == "bob") == ["bob"]
    with pytest.raises(CommandError) as refused:
        center.acd.broadcast("sue", "Sue", "hi", agent="cid")
    assert refused.value.code == "unknown_agent"
