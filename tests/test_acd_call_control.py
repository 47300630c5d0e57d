"""Call control with a fake clock: hold, blind and attended transfer,
conference, DTMF, attached data, outbound calls and a SIP worker's loss."""

from __future__ import annotations

import pytest

from acd_harness import Center, queue
from bus import cti
from cti_gateway.acd import CommandError


def connected_call(center: Center, agent: str = "ann") -> tuple[str, str, str]:
    """A customer talking to `agent`: (customer leg, agent leg, call id)."""
    leg = center.call_in()
    agent_leg = center.pick_up(agent)
    return leg, agent_leg, center.call_id(leg)


def test_hold_plays_music_and_retrieve_reconnects_with_hold_time_recorded():
    center = Center([queue()])
    ann = center.login("ann")
    leg, agent_leg, call_id = connected_call(center)
    center.wait(5)
    center.acd.hold(ann, call_id)
    assert center.switch.of("isolate", agent_leg) and center.switch.of("music", leg)
    assert center.acd.snapshot(ann).calls[0].state == "held"
    with pytest.raises(CommandError, match="already on hold"):
        center.acd.hold(ann, call_id)
    center.wait(8)
    center.acd.retrieve(ann, call_id)
    assert center.switch.of("connect")[-1].args["legs"] == sorted([leg, agent_leg])
    center.wait(2)
    center.acd.hangup(ann, call_id)
    assert center.switch.of("hangup", leg) and center.switch.of("hangup", agent_leg)
    segment = center.records.segments[(call_id, 1)]
    assert segment["hold_seconds"] == pytest.approx(8)
    assert segment["talk_seconds"] == pytest.approx(15)
    assert segment["end_cause"] == "agent_hangup"
    assert [type(e) for e in center.events_for("ann", cti.CallHeld)] == [cti.CallHeld]
    logged = [e for e in center.records.queue_events if e.get("contact_id") == call_id]
    assert [e["kind"] for e in logged][-3:] == ["held", "retrieved", "ended"]  # one hold, logged once
    assert logged[-1]["by"] == "agent" and logged[-2]["agent"] == "ann"


def test_blind_transfer_to_an_agent_carries_the_attached_data():
    center = Center([queue()])
    ann = center.login("ann")
    leg, agent_leg, call_id = connected_call(center)
    center.login("bob")
    center.acd.set_data(ann, call_id, {"partner_no": "1000042", "note": "wants a refund"})
    center.acd.transfer(ann, call_id, cti.Target(kind="agent", value="bob"))
    assert center.switch.of("hangup", agent_leg)
    assert center.mode("ann") == "wrap_up"
    offered = center.events_for("bob", cti.CallOffered)[-1]
    assert offered.kind == "transfer" and offered.data["note"] == "wants a refund"
    center.pick_up("bob")
    assert center.acd.get_data(center.sessions["bob"], call_id)["partner_no"] == "1000042"
    first, second = center.records.segments[(call_id, 1)], center.records.segments[(call_id, 2)]
    assert first["end_cause"] == "transferred" and first["agent"] == "ann"
    assert second["agent"] == "bob" and second["partner_no"] == "1000042"


def test_blind_transfer_to_an_agent_who_is_not_ready_is_refused():
    center = Center([queue()])
    ann = center.login("ann")
    _, _, call_id = connected_call(center)
    center.login("bob", ready=False)
    with pytest.raises(CommandError) as refused:
        center.acd.transfer(ann, call_id, cti.Target(kind="agent", value="bob"))
    assert refused.value.code == "agent_not_ready"
    with pytest.raises(CommandError, match="not logged in"):
        center.acd.transfer(ann, call_id, cti.Target(kind="agent", value="nobody"))


def test_a_transferred_call_not_answered_goes_back_to_its_queue():
    center = Center([queue(ring_timeout=10)])
    ann = center.login("ann")
    _, _, call_id = connected_call(center)
    center.login("bob")
    center.acd.transfer(ann, call_id, cti.Target(kind="agent", value="bob"))
    center.wait(10)
    assert center.mode("bob") == "not_ready"
    assert center.acd.calls[call_id].state.value == "queued"
    center.login("cy")
    assert center.offered_to("cy")


def test_blind_transfer_to_a_queue():
    center = Center([queue(), queue("sales", dnis=("4002",))])
    ann = center.login("ann", queues=["billing"])
    _, _, call_id = connected_call(center)
    center.acd.transfer(ann, call_id, cti.Target(kind="queue", value="sales"))
    assert center.acd.calls[call_id].queue == "sales"
    assert center.acd.queue_views()[1].waiting == 1
    center.login("sam", queues=["sales"])
    center.pick_up("sam")
    with pytest.raises(CommandError, match="no queue"):
        center.acd.transfer(center.sessions["sam"], call_id, cti.Target(kind="queue", value="x"))


def test_blind_transfer_to_a_number_bridges_the_customer_out():
    center = Center([queue()], external_uri="sip:{number}@trunk.example")
    ann = center.login("ann")
    leg, agent_leg, call_id = connected_call(center)
    center.acd.transfer(ann, call_id, cti.Target(kind="number", value="010-6552 9988"))
    dial = center.switch.last_dial_to("sip:01065529988@trunk.example")
    assert dial.args["connect_to"] == leg
    assert center.mode("ann") == "wrap_up"
    center.acd.leg_answered(dial.leg)
    center.wait(60)
    center.acd.leg_ended(leg)
    assert center.switch.of("hangup", dial.leg)
    assert center.publisher.of(cti.CallEnded)[-1].cause == "transferred"
    assert center.records.segments[(call_id, 1)]["end_cause"] == "transferred"
    with pytest.raises(CommandError, match="not a phone number"):
        center.acd.dial(ann, "call me")


def test_blind_transfer_by_refer_hands_the_customer_to_the_trunk():
    center = Center([queue()], external_transfer="refer", external_uri="sip:{number}@trunk")
    ann = center.login("ann")
    leg, _, call_id = connected_call(center)
    center.acd.transfer(ann, call_id, cti.Target(kind="number", value="5551234"))
    assert center.switch.of("refer", leg)[-1].args["uri"] == "sip:5551234@trunk"
    center.acd.refer_done(leg, True, 200)
    assert center.switch.of("hangup", leg)
    assert call_id not in center.acd.calls


def test_consult_then_complete_transfer():
    center = Center([queue()])
    ann = center.login("ann")
    leg, ann_leg, call_id = connected_call(center)
    bob = center.login("bob")
    center.acd.consult(ann, call_id, cti.Target(kind="agent", value="bob"))
    assert center.switch.of("music", leg) and center.switch.of("isolate", ann_leg)
    assert center.events_for("bob", cti.CallOffered)[-1].kind == "consult"
    assert center.acd.snapshot(ann).calls[0].state == "consulting"
    with pytest.raises(CommandError, match="not answered yet"):
        center.acd.complete_transfer(ann, call_id)
    bob_leg = center.pick_up("bob")
    assert center.switch.of("connect")[-1].args["legs"] == sorted([ann_leg, bob_leg])
    assert center.acd.snapshot(bob).calls[0].role == "consulted"
    center.wait(10)
    center.acd.complete_transfer(ann, call_id)
    assert center.switch.of("connect")[-1].args["legs"] == sorted([leg, bob_leg])
    assert center.switch.of("hangup", ann_leg)
    assert center.mode("ann") == "wrap_up" and center.mode("bob") == "busy"
    assert center.acd.snapshot(bob).calls[0].role == "handler"
    assert center.records.segments[(call_id, 1)]["hold_seconds"] == pytest.approx(10)
    assert center.records.segments[(call_id, 2)]["agent"] == "bob"
    assert center.events_for("bob", cti.CallTransferred)[-1].attended


def test_conference_then_the_first_agent_leaves():
    center = Center([queue()])
    ann = center.login("ann")
    leg, ann_leg, call_id = connected_call(center)
    bob = center.login("bob")
    with pytest.raises(CommandError, match="answered consult"):
        center.acd.conference(ann, call_id)
    center.acd.consult(ann, call_id, cti.Target(kind="queue", value="billing"))
    bob_leg = center.pick_up("bob")
    center.acd.conference(ann, call_id)
    assert center.switch.of("connect")[-1].args["legs"] == sorted([leg, ann_leg, bob_leg])
    assert center.acd.snapshot(bob).calls[0].state == "conference"
    assert center.events_for("bob", cti.CallConferenced)[-1].agents == ["ann", "bob"]
    center.acd.leg_ended(ann_leg)  # ann hangs up her phone
    assert center.mode("ann") == "wrap_up" and center.mode("bob") == "busy"
    center.acd.hangup(bob, call_id)
    assert center.switch.of("hangup", leg)
    assert center.records.segments[(call_id, 2)]["end_cause"] == "agent_hangup"


def test_the_consulted_agent_leaving_a_conference_leaves_agent_and_customer_talking():
    center = Center([queue()])
    ann = center.login("ann")
    leg, ann_leg, call_id = connected_call(center)
    bob = center.login("bob")
    center.acd.consult(ann, call_id, cti.Target(kind="agent", value="bob"))
    center.pick_up("bob")
    center.acd.conference(ann, call_id)
    center.acd.hangup(bob, call_id)
    assert center.switch.of("connect")[-1].args["legs"] == sorted([leg, ann_leg])
    assert center.mode("bob") == "ready"
    assert center.acd.snapshot(ann).calls[0].state == "connected"


def test_cancel_consult_returns_to_the_customer():
    center = Center([queue()])
    ann = center.login("ann")
    leg, ann_leg, call_id = connected_call(center)
    center.login("bob")
    center.acd.consult(ann, call_id, cti.Target(kind="number", value="5550001"))
    consult_leg = center.switch.of("dial")[-1].leg
    center.acd.leg_answered(consult_leg)
    center.acd.cancel_consult(ann, call_id)
    assert center.switch.of("hangup", consult_leg)
    assert center.switch.of("connect")[-1].args["legs"] == sorted([leg, ann_leg])
    assert center.events_for("ann", cti.ConsultEnded)[-1].reason == "cancelled"
    assert center.mode("bob") == "ready"


def test_an_unanswered_consult_leaves_the_customer_on_hold():
    center = Center([queue()], ring_timeout=8)
    ann = center.login("ann")
    _, _, call_id = connected_call(center)
    center.login("bob")
    center.acd.consult(ann, call_id, cti.Target(kind="agent", value="bob"))
    center.wait(9)
    assert center.mode("bob") == "not_ready"
    assert center.events_for("ann", cti.ConsultEnded)[-1].reason == "no_answer"
    assert center.acd.snapshot(ann).calls[0].state == "held"
    center.acd.retrieve(ann, call_id)


def test_consult_needs_a_free_line():
    center = Center([queue()])
    ann = center.login("ann")
    _, _, call_id = connected_call(center)
    center.switch.lines["w1"] = 0
    with pytest.raises(CommandError) as refused:
        center.acd.consult(ann, call_id, cti.Target(kind="number", value="5550001"))
    assert refused.value.code == "no_line"


def test_dtmf_goes_to_the_customer_or_the_consulted_number():
    center = Center([queue()])
    ann = center.login("ann")
    leg, _, call_id = connected_call(center)
    center.acd.dtmf(ann, call_id, "12#")
    assert center.switch.of("dtmf", leg)[-1].args["digits"] == "12#"
    with pytest.raises(CommandError, match="DTMF digits"):
        center.acd.dtmf(ann, call_id, "12x")
    center.acd.consult(ann, call_id, cti.Target(kind="number", value="5550001"))
    consult_leg = center.switch.of("dial")[-1].leg
    center.acd.leg_answered(consult_leg)
    center.acd.dtmf(ann, call_id, "9")
    assert center.switch.of("dtmf", consult_leg)


def test_customer_dtmf_reaches_the_agent():
    center = Center([queue()])
    center.login("ann")
    leg, _, call_id = connected_call(center)
    center.acd.dtmf_received(leg, "5")
    assert center.events_for("ann", cti.CallDtmfReceived)[-1].digit == "5"


def test_attached_data_is_limited_and_shared():
    center = Center([queue()], max_data_bytes=100)
    ann = center.login("ann")
    _, _, call_id = connected_call(center)
    assert center.acd.set_data(ann, call_id, {"a": 1}) == {"a": 1}
    assert center.acd.set_data(ann, call_id, {"b": "x", "a": None}) == {"b": "x"}
    with pytest.raises(CommandError) as refused:
        center.acd.set_data(ann, call_id, {"text": "x" * 200})
    assert refused.value.code == "too_large"
    assert center.events_for("ann", cti.CallDataChanged)[-1].data == {"b": "x"}
    with pytest.raises(CommandError) as unknown:
        center.acd.get_data(ann, "nope")
    assert unknown.value.code == "unknown_call"


def test_outbound_call_rings_the_agent_then_the_customer():
    center = Center([queue()], external_uri="sip:{number}@trunk", caller_ids=("4008001234", "4008005678"))
    ann = center.login("ann", ready=False)
    call_id = center.acd.dial(ann, "138 0013 8000", caller_id="4008005678")
    agent_dial = center.switch.last_dial_to("sip:ann@10.0.0.1")
    assert agent_dial.args["headers"]["X-Cicada-Direction"] == "outbound"
    assert center.mode("ann") == "busy"
    center.acd.leg_answered(agent_dial.leg)
    customer_dial = center.switch.last_dial_to("sip:13800138000@trunk")
    assert customer_dial.args["caller_id"] == "4008005678"
    assert customer_dial.args["connect_to"] == agent_dial.leg
    center.acd.leg_answered(customer_dial.leg)
    assert center.acd.snapshot(ann).calls[0].state == "connected"
    center.wait(20)
    center.acd.leg_ended(customer_dial.leg)
    segment = center.records.segments[(call_id, 1)]
    assert segment["direction"] == "outbound" and segment["talk_seconds"] == pytest.approx(20)
    assert segment["end_cause"] == "caller_hangup"
    with pytest.raises(CommandError, match="not configured"):
        center.acd.dial(ann, "5551234", caller_id="110")


def test_a_busy_customer_ends_the_outbound_call():
    center = Center([queue()], external_uri="sip:{number}@trunk")
    ann = center.login("ann", ready=False)
    call_id = center.acd.dial(ann, "5551234")
    center.acd.leg_answered(center.switch.last_dial_to("sip:ann@10.0.0.1").leg)
    center.acd.leg_failed(center.switch.last_dial_to("sip:5551234@trunk").leg, 486, "Busy Here")
    assert center.records.segments[(call_id, 1)]["end_cause"] == "busy"
    assert center.mode("ann") == "wrap_up"


def test_losing_a_worker_ends_its_calls_and_frees_the_agents():
    center = Center([queue()])
    center.switch.lines["w2"] = 4
    center.login("ann")
    center.login("bob")
    center.login("cy", ready=False)
    _, _, lost_call = connected_call(center, "ann")
    center.call_in(worker="w1")  # offered to bob
    center.call_in(worker="w1")  # waiting
    kept = center.call_in(worker="w2")
    lost = center.acd.worker_lost("w1", "process exited")
    assert lost == 3
    assert center.mode("ann") == "wrap_up"
    assert "telephony" in center.events_for("ann", cti.AgentNotice)[-1].text
    assert center.events_for("bob", cti.CallOfferWithdrawn)[-1].reason == "failure"
    assert center.records.segments[(lost_call, 1)]["end_cause"] == "failure"
    # bob was freed, and the call on the healthy worker goes to him
    assert center.acd.legs[center.offered_to("bob")].call is center.acd.legs[kept].call
    assert center.acd.queue_views()[0].waiting == 0


def test_commands_need_a_logged_in_session_and_the_agent_own_call():
    center = Center([queue()])
    center.login("ann")
    bob = center.login("bob", ready=False)
    _, _, call_id = connected_call(center, "ann")
    with pytest.raises(CommandError) as not_logged_in:
        center.acd.hold("forged", call_id)
    assert not_logged_in.value.code == "not_logged_in"
    with pytest.raises(CommandError) as not_his:
        center.acd.hangup(bob, call_id)
    assert not_his.value.code == "unknown_call"
