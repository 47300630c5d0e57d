"""ACD rules with a fake clock: queueing, routing strategies, ring-no-answer,
abandon, overflow, announcements, wrap-up, and agents' logins and modes."""

from __future__ import annotations

from datetime import UTC

import pytest

from acd_harness import Center, queue
from bus import cti
from cti_gateway.acd import CommandError, OverflowTarget, Strategy


def test_a_call_goes_to_the_longest_idle_ready_agent():
    center = Center([queue()])
    center.login("ann")
    center.wait(10)
    center.login("bob")
    center.wait(5)
    leg = center.call_in()
    assert center.mode("ann") == "offered" and center.mode("bob") == "ready"
    dial = center.switch.last_dial_to("sip:ann@10.0.0.1")
    assert dial.args["headers"]["X-Cicada-Call-Id"] == center.call_id(leg)
    offered = center.events_for("ann", cti.CallOffered)[-1]
    assert (offered.ani, offered.dnis, offered.queue) == ("13800138000", "4001", "billing")
    center.wait(3)
    center.pick_up("ann")
    assert center.mode("ann") == "busy"
    assert center.switch.of("connect")[-1].args["legs"] == sorted([leg, dial.leg])
    segment = center.records.segments[(center.call_id(leg), 1)]
    assert segment["agent"] == "ann" and segment["wait_seconds"] == pytest.approx(3)


def test_a_call_waits_until_an_agent_is_ready():
    center = Center([queue()])
    center.login("ann", ready=False)
    leg = center.call_in()
    assert center.switch.of("answer", leg) and center.switch.of("music", leg)
    center.wait(7)
    assert center.acd.queue_views()[0].waiting == 1
    center.acd.set_agent_mode(center.sessions["ann"], "ready")
    assert center.offered_to("ann")
    assert center.events_for("ann", cti.CallOffered)[-1].waited == pytest.approx(7)


def test_fewest_calls_prefers_the_agent_who_took_fewer():
    center = Center([queue(strategy=Strategy.FEWEST_CALLS)], wrap_up_seconds=0)
    center.login("ann")
    center.login("bob")
    for _ in range(2):  # ann (idle longest) takes two calls in a row while bob is not ready
        center.acd.set_agent_mode(center.sessions["bob"], "not_ready", "break")
        leg = center.call_in()
        center.pick_up("ann")
        center.acd.leg_ended(leg)
        center.acd.set_agent_mode(center.sessions["bob"], "ready")
    center.wait(30)
    center.call_in()
    assert center.offered_to("bob") and not center.offered_to("ann")


def test_round_robin_remembers_who_had_the_last_call():
    center = Center([queue(strategy=Strategy.ROUND_ROBIN)], wrap_up_seconds=0)
    for name in ("ann", "bob", "cy"):
        center.login(name)
    got = []
    for _ in range(4):
        leg = center.call_in()
        name = next(n for n in ("ann", "bob", "cy") if center.offered_to(n))
        got.append(name)
        center.pick_up(name)
        center.acd.leg_ended(leg)
    assert got == ["ann", "bob", "cy", "ann"]


def test_skills_route_to_the_highest_level_and_only_to_the_qualified():
    center = Center([queue(strategy=Strategy.SKILLS, skills={"billing": 5})])
    center.login("novice", billing=3)  # below the queue's minimum: never offered
    center.login("good", billing=6)
    center.login("expert", billing=9)
    center.call_in()
    assert center.offered_to("expert")
    center.call_in()
    assert center.offered_to("good")
    center.call_in()
    assert center.offered_to("novice") is None
    assert center.acd.queue_views()[0].waiting == 1


def test_login_into_a_queue_without_its_skills_is_refused():
    center = Center([queue(skills={"billing": 5}), queue("sales", dnis=("4002",))])
    with pytest.raises(CommandError, match="lacks the skills"):
        center.login("novice", queues=["billing"], billing=2)
    session = center.login("novice2", billing=2)  # default: the queues the skills allow
    assert center.acd.snapshot(session).queues == ["sales"]


def test_ring_no_answer_requeues_at_the_head_and_sets_the_agent_not_ready():
    center = Center([queue(ring_timeout=10)])
    center.login("ann")
    first = center.call_in()
    center.wait(1)
    second = center.call_in()
    ringing = center.offered_to("ann")
    center.wait(10)
    assert center.switch.of("hangup", ringing)
    assert center.mode("ann") == "not_ready" and center.reason("ann") == "ring_no_answer"
    assert center.events_for("ann", cti.CallOfferWithdrawn)[-1].reason == "ring_no_answer"
    assert [c.customer.id for c in center.acd.queues["billing"].waiting] == [first, second]
    center.login("bob")
    assert center.acd.legs[center.offered_to("bob")].call.customer.id == first
    assert "ring_no_answer" in center.records.kinds(center.call_id(first))


def test_a_device_that_fails_counts_like_ring_no_answer():
    center = Center([queue()])
    center.login("ann")
    center.login("bob")
    leg = center.call_in()
    center.acd.leg_failed(center.offered_to("ann"), 486, "Busy Here")
    assert center.mode("ann") == "not_ready" and center.reason("ann") == "device_failed"
    assert center.acd.legs[center.offered_to("bob")].call.customer.id == leg


def test_a_caller_who_hangs_up_in_queue_is_abandoned():
    center = Center([queue()])
    leg = center.call_in()
    call_id = center.call_id(leg)
    center.wait(12)
    center.acd.leg_ended(leg)
    segment = center.records.segments[(call_id, 1)]
    assert segment["end_cause"] == "abandoned" and segment["wait_seconds"] == pytest.approx(12)
    assert segment["status"] == "closed"
    stats = center.acd.queue_views()[0]
    assert (stats.waiting, stats.abandoned, stats.service_level) == (0, 1, 0.0)
    assert center.records.kinds(call_id) == ["entered", "abandoned"]


def test_a_caller_who_hangs_up_while_offered_frees_the_agent():
    center = Center([queue()])
    center.login("ann")
    leg = center.call_in()
    ringing = center.offered_to("ann")
    center.acd.leg_ended(leg)
    assert center.switch.of("hangup", ringing)
    assert center.mode("ann") == "ready"
    assert center.events_for("ann", cti.CallOfferWithdrawn)[-1].reason == "abandoned"


def test_a_full_queue_overflows_to_its_target_queue():
    center = Center([queue(max_length=1, overflow=OverflowTarget("general")),
                     queue("general", dnis=("4009",))])
    center.call_in()
    leg = center.call_in()
    assert center.acd.legs[leg].call.queue == "general"
    assert center.acd.queue_views()[0].overflowed == 1
    assert "overflowed" in center.records.kinds(center.call_id(leg))


def test_a_full_queue_without_target_says_goodbye_and_hangs_up():
    center = Center([queue(max_length=1)])
    center.call_in()
    leg = center.call_in()
    closing = center.switch.of("announce", leg)[-1]
    assert closing.args["announcement"].kind == "closing" and closing.args["then"] == "hangup"
    assert center.publisher.of(cti.CallEnded)[-1].cause == "overflow"


def test_waiting_too_long_overflows():
    center = Center([queue(max_wait=60, overflow=OverflowTarget("general")),
                     queue("general", dnis=("4009",))])
    leg = center.call_in()
    center.wait(59)
    assert center.acd.legs[leg].call.queue == "billing"
    center.wait(2)
    assert center.acd.legs[leg].call.queue == "general"


def test_overflow_that_comes_back_to_a_visited_queue_ends_the_call():
    center = Center([queue("a", dnis=("1",), max_wait=10, overflow=OverflowTarget("b")),
                     queue("b", dnis=("2",), max_wait=10, overflow=OverflowTarget("a"))])
    leg = center.call_in("1")
    center.wait(21)
    assert center.switch.of("announce", leg)[-1].args["announcement"].kind == "closing"


def test_callers_hear_a_welcome_then_their_position_and_expected_wait():
    center = Center([queue(welcome=True, announce_every=30)])
    center.login("ann", ready=False)
    center.acd.set_agent_mode(center.sessions["ann"], "ready")
    center.acd.set_agent_mode(center.sessions["ann"], "not_ready", "break")
    center.login("bob")
    first = center.call_in()
    center.pick_up("bob")
    leg = center.call_in()
    welcome = center.switch.of("announce", leg)[0]
    assert welcome.args["announcement"].kind == "welcome" and welcome.args["then"] == "music"
    center.wait(30)
    position = center.switch.of("announce", leg)[-1].args["announcement"]
    assert position.kind == "position" and position.position == 1
    assert position.expected_wait == pytest.approx(180)  # one staffed agent, default handle time
    assert len(center.switch.of("announce", first)) == 1  # answered calls hear nothing more


def test_wrap_up_ends_after_its_time_and_the_agent_is_ready_again():
    center = Center([queue(wrap_up_seconds=20)])
    center.login("ann")
    leg = center.call_in()
    call_id = center.call_id(leg)
    center.pick_up("ann")
    center.wait(30)
    center.acd.leg_ended(leg)
    assert center.mode("ann") == "wrap_up"
    assert center.publisher.of(cti.CallEnded)[-1].cause == "caller_hangup"
    center.wait(19)
    assert center.mode("ann") == "wrap_up"
    center.wait(2)
    assert center.mode("ann") == "ready"
    segment = center.records.segments[(call_id, 1)]
    assert segment["status"] == "closed" and segment["wrapup_seconds"] == pytest.approx(20)
    assert segment["talk_seconds"] == pytest.approx(30)


def test_the_agents_profile_sets_his_wrap_up_time_over_the_queues():
    center = Center([queue(wrap_up_seconds=20)])
    center.login("ann", wrap_up_seconds=45)
    leg = center.call_in()
    center.pick_up("ann")
    center.acd.leg_ended(leg)
    center.wait(44)
    assert center.mode("ann") == "wrap_up"
    center.wait(2)
    assert center.mode("ann") == "ready"


def test_not_ready_asked_during_a_call_applies_after_wrap_up():
    center = Center([queue(wrap_up_seconds=5)])
    center.login("ann")
    leg = center.call_in()
    center.pick_up("ann")
    view = center.acd.set_agent_mode(center.sessions["ann"], "not_ready", "lunch")
    assert view.mode == "busy" and view.pending_mode == "not_ready"
    center.acd.leg_ended(leg)
    center.wait(6)
    assert center.mode("ann") == "not_ready" and center.reason("ann") == "lunch"


def test_ready_during_wrap_up_ends_it_at_once():
    center = Center([queue(wrap_up_seconds=60)])
    center.login("ann")
    leg = center.call_in()
    center.pick_up("ann")
    center.acd.leg_ended(leg)
    center.wait(4)
    center.acd.set_agent_mode(center.sessions["ann"], "ready")
    assert center.mode("ann") == "ready"
    assert next(iter(center.records.segments.values()))["wrapup_seconds"] == pytest.approx(4)


def test_wrap_up_asked_again_keeps_it_open_until_the_agent_chooses():
    center = Center([queue(wrap_up_seconds=10)])
    center.login("ann")
    leg = center.call_in()
    center.pick_up("ann")
    center.acd.leg_ended(leg)
    center.acd.set_agent_mode(center.sessions["ann"], "wrap_up")
    center.wait(100)
    assert center.mode("ann") == "wrap_up"


def test_not_ready_needs_a_known_reason():
    center = Center([queue()])
    session = center.login("ann")
    with pytest.raises(CommandError, match="Say why"):
        center.acd.set_agent_mode(session, "not_ready")
    with pytest.raises(CommandError, match="Unknown not-ready reason"):
        center.acd.set_agent_mode(session, "not_ready", "nap")
    with pytest.raises(CommandError, match="Wrap-up follows a call"):
        center.acd.set_agent_mode(session, "wrap_up")


def test_a_second_login_is_refused_unless_it_takes_over():
    center = Center([queue()])
    first = center.login("ann")
    with pytest.raises(CommandError) as refused:
        center.acd.login(center.acd.agents["ann"].profile, device=None, queues=None)
    assert refused.value.code == "already_logged_in"
    second, view = center.acd.login(center.acd.agents["ann"].profile, device=None, queues=None,
                                    takeover=True, client="desk 2")
    assert view.mode == "ready"  # the agent's state survives the takeover
    ended = center.publisher.of(cti.AgentSessionEnded)[-1]
    assert ended.session == first and "desk 2" in ended.reason
    with pytest.raises(CommandError) as stale:
        center.acd.snapshot(first)
    assert stale.value.code == "not_logged_in"
    assert center.acd.snapshot(second).agent == "ann"


def test_a_phone_in_use_by_another_agent_is_refused():
    center = Center([queue()])
    center.login("ann")
    with pytest.raises(CommandError) as refused:
        center.acd.login(center.acd.agents["ann"].profile.__class__(
            username="bob", user_id=None, display_name="Bob", skills={},
            extension="sip:ann@10.0.0.1"), device=None, queues=None)
    assert refused.value.code == "device_in_use"


def test_logout_is_refused_during_a_call_and_requeues_an_offer():
    center = Center([queue()])
    ann = center.login("ann")
    leg = center.call_in()
    center.acd.logout(ann)
    assert center.mode("ann") == "logged_out"
    assert center.acd.legs[leg].call.state.value == "queued"
    bob = center.login("bob")
    center.pick_up("bob")
    with pytest.raises(CommandError, match="Hang up"):
        center.acd.logout(bob)


def test_a_rejected_call_goes_to_another_agent_and_not_back():
    center = Center([queue()])
    ann = center.login("ann")
    center.wait(1)
    center.login("bob")
    leg = center.call_in()
    call_id = center.call_id(leg)
    center.acd.reject(ann, call_id)
    assert center.mode("ann") == "ready"
    assert center.offered_to("bob")
    center.acd.reject(center.sessions["bob"], call_id)
    assert center.offered_to("ann") is None and center.offered_to("bob") is None
    assert center.acd.queue_views()[0].waiting == 1


def test_unknown_numbers_are_refused_and_x_queue_chooses_the_queue():
    center = Center([queue(), queue("sales", dnis=("4002",))])
    center.call_in("9999")
    assert center.switch.of("reject")[-1].args["code"] == 404
    leg = center.call_in("4001", x_queue="sales")
    assert center.acd.legs[leg].call.queue == "sales"


def test_queue_statistics_count_service_level():
    center = Center([queue(service_level_seconds=20)], wrap_up_seconds=0)
    center.login("ann", ready=False)
    fast = center.call_in()
    center.acd.set_agent_mode(center.sessions["ann"], "ready")
    center.wait(5)
    center.pick_up("ann")
    center.acd.leg_ended(fast)
    center.acd.set_agent_mode(center.sessions["ann"], "not_ready", "break")
    slow = center.call_in()
    center.wait(30)
    center.acd.set_agent_mode(center.sessions["ann"], "ready")
    center.pick_up("ann")
    gone = center.call_in()
    center.acd.leg_ended(gone)
    stats = center.acd.queue_views()[0]
    assert (stats.entered, stats.answered, stats.abandoned) == (3, 2, 1)
    assert stats.answered_in_service_level == 1
    assert stats.service_level == pytest.approx(1 / 3)
    assert stats.agents_busy == 1
    published = center.publisher.of(cti.QueueStatsChanged, "queue/billing/")
    assert published and published[-1].stats == stats
    assert slow


def test_statistics_are_published_every_few_seconds_without_changes():
    center = Center([queue()], stats_interval=5)
    before = len(center.publisher.of(cti.QueueStatsChanged))
    center.wait(16)
    assert len(center.publisher.of(cti.QueueStatsChanged)) - before == 3


def test_configuration_errors_are_refused():
    with pytest.raises(ValueError, match="two queues"):
        Center([queue("a", dnis=("1",)), queue("b", dnis=("1",))])
    with pytest.raises(ValueError, match="unknown queue"):
        Center([queue("a", overflow=OverflowTarget("nowhere"))])
    with pytest.raises(ValueError, match="overflow target"):
        OverflowTarget.parse("voicemail")


def test_each_step_of_a_contact_goes_to_the_queue_s_watches_as_it_is_recorded():
    center = Center([queue()], wrap_up_seconds=10)
    center.login("ann", ready=False)
    answered = center.call_in()
    center.wait(7)
    center.acd.set_agent_mode(center.sessions["ann"], "ready")
    center.pick_up("ann")
    center.wait(30)
    center.acd.leg_ended(answered)
    gone = center.call_in()
    center.wait(3)
    center.acd.leg_ended(gone)
    center.wait(11)  # ann's wrap-up ends
    steps = center.publisher.of(cti.QueueContactStep, "queue_watch/billing/")
    recorded = [e for e in center.records.queue_events if e["kind"] in ("entered", "answered", "ended", "abandoned",
                                                                         "wrapped_up")]
    assert [s.step for s in steps] == [e["kind"] for e in recorded] == [
        "entered", "answered", "ended", "entered", "abandoned", "wrapped_up"]
    assert [s.waited for s in steps] == [e.get("wait", 0.0) for e in recorded]
    assert [s.at for s in steps] == [e["at"].replace(tzinfo=UTC).timestamp() for e in recorded]
    assert steps[1].waited == pytest.approx(7.0) and steps[4].waited == pytest.approx(3.0)
    assert steps[-1].handle_seconds == pytest.approx(30.0 + 10.0) == recorded[-1]["handle"]
    assert not center.publisher.of(cti.QueueContactStep, "queue/billing/")  # never to the agents' topic
