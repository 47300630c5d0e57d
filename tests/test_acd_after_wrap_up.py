"""The work mode after wrap-up, when its time runs out: the agent's IC
profile decides, as it does when the agent presses End (fake clock)."""

from __future__ import annotations

import dataclasses

from acd_harness import Center, profile, queue


def login_with(center: Center, name: str, **settings) -> None:
    session, _ = center.acd.login(dataclasses.replace(profile(name), **settings), device=None, queues=None)
    center.sessions[name] = session
    center.acd.set_agent_mode(session, "ready")


def a_call_ends_and_wrap_up_runs_out(center: Center, name: str) -> None:
    leg = center.call_in()
    center.pick_up(name)
    center.wait(10)
    center.acd.leg_ended(leg)
    assert center.mode(name) == "wrap_up"
    center.wait(21)


def test_a_profile_saying_not_ready_after_wrap_up_wins_when_the_time_runs_out():
    center = Center([queue(wrap_up_seconds=20)])
    login_with(center, "ann", after_wrap_up="not_ready", after_wrap_up_reason="meeting")
    a_call_ends_and_wrap_up_runs_out(center, "ann")
    assert (center.mode("ann"), center.reason("ann")) == ("not_ready", "meeting")


def test_a_reason_the_gateway_does_not_know_falls_back_to_after_call_work():
    center = Center([queue(wrap_up_seconds=20)])
    login_with(center, "ann", after_wrap_up="not_ready", after_wrap_up_reason="coffee")
    a_call_ends_and_wrap_up_runs_out(center, "ann")
    assert (center.mode("ann"), center.reason("ann")) == ("not_ready", "after_call_work")


def test_ready_stays_the_default_and_a_mode_asked_during_the_call_still_comes_first():
    center = Center([queue(wrap_up_seconds=20)])
    login_with(center, "ann")
    a_call_ends_and_wrap_up_runs_out(center, "ann")
    assert center.mode("ann") == "ready"
    other = Center([queue(wrap_up_seconds=20)])
    login_with(other, "bob", after_wrap_up="not_ready", after_wrap_up_reason="meeting")
    leg = other.call_in()
    other.pick_up("bob")
    other.acd.set_agent_mode(other.sessions["bob"], "ready")  # asked during the call: applies after it
    other.acd.leg_ended(leg)
    other.wait(21)
    assert other.mode("bob") == "ready"
