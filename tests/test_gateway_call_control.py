"""Call control through the real gateway: hold, transfers, consult,
conference, DTMF, outbound calls, and a desktop that reconnects."""

from __future__ import annotations

import time

import pytest

from bus import cti
from cti_gateway.client import CtiError
from gateway_harness import (  # noqa: F401 - fixtures
    ANN_TONE,
    BOB_TONE,
    CUSTOMER_TONE,
    customer,
    event,
    make_gateway,
    media,
    offered,
    phone,
)

OUTSIDE_TONE = 700


def talking(gateway, tmp_path, media, phone, *, hold_ms=20000):
    """A customer talking to ann; bob Ready. Returns the peers, phones, desks and call id."""
    peers = {"customer": media(CUSTOMER_TONE), "ann": media(ANN_TONE), "bob": media(BOB_TONE)}
    phones = {"ann": phone("ann", peers["ann"]), "bob": phone("bob", peers["bob"])}
    ann = gateway.desktop("ann", phones["ann"].uri)
    time.sleep(0.3)
    bob = gateway.desktop("bob", phones["bob"].uri)
    caller = customer(gateway, tmp_path, peers["customer"], hold_ms=hold_ms)
    call_id = offered(ann).call_id
    event(ann, cti.CallAnswered)
    assert peers["customer"].wait_for_tone(ANN_TONE, 0.5), peers["customer"].describe()
    return peers, phones, ann, bob, caller, call_id


def test_hold_plays_music_and_retrieve_brings_the_agent_back(make_gateway, media, phone, tmp_path):
    gateway = make_gateway()
    peers, phones, ann, _, caller, call_id = talking(gateway, tmp_path, media, phone)
    ann.command(cti.CallHold, call_id=call_id)
    held = time.monotonic()
    time.sleep(2.5)
    assert not peers["customer"].heard(ANN_TONE, 0.2, since=held + 0.3)
    assert peers["customer"].sound_seconds(since=held + 0.3) >= 1.5  # music on hold
    assert not peers["ann"].heard(CUSTOMER_TONE, 0.2, since=held + 0.3)
    assert ann.snapshot().state.calls[0].state == "held"
    with pytest.raises(CtiError, match="already on hold"):
        ann.command(cti.CallHold, call_id=call_id)
    ann.command(cti.CallRetrieve, call_id=call_id)
    back = time.monotonic()
    assert peers["customer"].wait_for_tone(ANN_TONE, 0.5, since=back), peers["customer"].describe()
    ann.command(cti.CallHangup, call_id=call_id)
    assert caller.wait(10).ok
    segment, = gateway.wait_for_record(call_id, lambda s: s[0].end_cause is not None)
    assert segment.end_cause == "agent_hangup" and segment.hold_seconds in (2, 3, 4)
    events = gateway.wait_until(lambda: (e := gateway.queue_events(call_id)) and "ended" in e and e)
    assert events[events.index("answered"):events.index("ended") + 1] == ["answered", "held", "retrieved", "ended"]


def test_blind_transfer_to_an_agent_carries_the_attached_data(make_gateway, media, phone, tmp_path):
    gateway = make_gateway()
    peers, phones, ann, bob, caller, call_id = talking(gateway, tmp_path, media, phone)
    ann.command(cti.CallSetData, call_id=call_id, data={"note": "refund for May", "priority": 2})
    ann.command(cti.CallTransfer, call_id=call_id, target=cti.Target(kind="agent", value="bob"))
    bob_offer = offered(bob)
    assert bob_offer.kind == "transfer" and bob_offer.data == {"note": "refund for May", "priority": 2}
    assert phones["ann"].wait_for_event("bye_received")
    moved = time.monotonic()
    assert peers["customer"].wait_for_tone(BOB_TONE, 0.5, since=moved), peers["customer"].describe()
    assert ann.snapshot().state.mode == "wrap_up"
    bob.command(cti.CallHangup, call_id=call_id)
    assert caller.wait(10).ok
    first, second = gateway.wait_for_record(
        call_id, lambda s: len(s) == 2 and s[1].end_cause is not None)
    assert first.end_cause == "transferred" and second.end_cause == "agent_hangup"
    assert first.agent_id != second.agent_id


def test_blind_transfer_to_a_queue(make_gateway, media, phone, tmp_path):
    gateway = make_gateway(queues=[{"name": "billing", "numbers": ["4001"], "skills": {"billing": 1}},
                                   {"name": "sales", "numbers": ["4003"], "skills": {"sales": 1}}],
                           agents={"ann": {"billing": 5}, "bob": {"sales": 5}})
    peers = {"customer": media(CUSTOMER_TONE), "ann": media(ANN_TONE), "bob": media(BOB_TONE)}
    ann = gateway.desktop("ann", phone("ann", peers["ann"]).uri)
    bob = gateway.desktop("bob", phone("bob", peers["bob"]).uri)
    caller = customer(gateway, tmp_path, peers["customer"])
    call_id = offered(ann).call_id
    event(ann, cti.CallAnswered)
    ann.command(cti.CallTransfer, call_id=call_id, target=cti.Target(kind="queue", value="sales"))
    assert offered(bob).queue == "sales"
    assert peers["customer"].wait_for_tone(BOB_TONE, 0.5, since=time.monotonic())
    bob.command(cti.CallHangup, call_id=call_id)
    assert caller.wait(10).ok


def test_consult_then_complete_the_transfer(make_gateway, media, phone, tmp_path):
    gateway = make_gateway()
    peers, phones, ann, bob, caller, call_id = talking(gateway, tmp_path, media, phone)
    ann.command(cti.CallConsult, call_id=call_id, target=cti.Target(kind="agent", value="bob"))
    assert offered(bob).kind == "consult"
    event(ann, cti.ConsultConnected)
    consulting = time.monotonic()
    assert peers["ann"].wait_for_tone(BOB_TONE, 0.5, since=consulting), peers["ann"].describe()
    assert peers["bob"].wait_for_tone(ANN_TONE, 0.5, since=consulting), peers["bob"].describe()
    assert not peers["customer"].heard(ANN_TONE, 0.2, since=consulting + 0.3)
    assert not peers["customer"].heard(BOB_TONE, 0.2, since=consulting)
    ann.command(cti.CallCompleteTransfer, call_id=call_id)
    done = time.monotonic()
    assert peers["customer"].wait_for_tone(BOB_TONE, 0.5, since=done), peers["customer"].describe()
    assert peers["bob"].wait_for_tone(CUSTOMER_TONE, 0.5, since=done)
    assert phones["ann"].wait_for_event("bye_received")
    assert event(bob, cti.CallTransferred).attended
    bob.command(cti.CallHangup, call_id=call_id)
    assert caller.wait(10).ok
    segments = gateway.wait_for_record(call_id, lambda s: len(s) == 2 and s[1].end_cause)
    assert [s.end_cause for s in segments] == ["transferred", "agent_hangup"]


def test_conference_of_three_then_the_first_agent_leaves(make_gateway, media, phone, tmp_path):
    gateway = make_gateway()
    peers, phones, ann, bob, caller, call_id = talking(gateway, tmp_path, media, phone)
    ann.command(cti.CallConsult, call_id=call_id, target=cti.Target(kind="agent", value="bob"))
    event(ann, cti.ConsultConnected)
    ann.command(cti.CallConference, call_id=call_id)
    assert event(bob, cti.CallConferenced).agents == ["ann", "bob"]
    # Two of the three keep quiet in turn, so that each one is heard alone by the others.
    for speaker, tone in (("ann", ANN_TONE), ("bob", BOB_TONE), ("customer", CUSTOMER_TONE)):
        for name, peer in peers.items():
            peer.set_tone(tone if name == speaker else None)
        since = time.monotonic() + 0.3
        for listener in (n for n in peers if n != speaker):
            assert peers[listener].wait_for_tone(tone, 0.5, since=since), (
                f"{listener} does not hear {speaker}: {peers[listener].describe()}")
    ann.command(cti.CallHangup, call_id=call_id)
    assert phones["ann"].wait_for_event("bye_received")
    assert bob.snapshot().state.calls[0].role == "handler"
    left = time.monotonic()
    assert peers["bob"].wait_for_tone(CUSTOMER_TONE, 0.5, since=left + 0.3)
    bob.command(cti.CallHangup, call_id=call_id)
    assert caller.wait(10).ok


def test_cancel_consult_returns_to_the_customer(make_gateway, media, phone, tmp_path):
    outside_media = media(OUTSIDE_TONE)
    outside = phone("outside", outside_media)
    gateway = make_gateway(external_uri=f"sip:{{number}}@127.0.0.1:{outside.port}")
    peers, phones, ann, _, caller, call_id = talking(gateway, tmp_path, media, phone)
    ann.command(cti.CallConsult, call_id=call_id, target=cti.Target(kind="number", value="5550001"))
    event(ann, cti.ConsultConnected)
    assert peers["ann"].wait_for_tone(OUTSIDE_TONE, 0.5, since=time.monotonic())
    ann.command(cti.CallCancelConsult, call_id=call_id)
    back = time.monotonic()
    assert outside.wait_for_event("bye_received")
    assert peers["customer"].wait_for_tone(ANN_TONE, 0.5, since=back), peers["customer"].describe()
    assert event(ann, cti.ConsultEnded).reason == "cancelled"
    ann.command(cti.CallHangup, call_id=call_id)
    assert caller.wait(10).ok


def test_blind_transfer_to_an_external_number_bridges_it(make_gateway, media, phone, tmp_path):
    outside_media = media(OUTSIDE_TONE)
    outside = phone("outside", outside_media, talk_ms=3000)
    gateway = make_gateway(external_uri=f"sip:{{number}}@127.0.0.1:{outside.port}")
    peers, phones, ann, _, caller, call_id = talking(gateway, tmp_path, media, phone)
    ann.command(cti.CallTransfer, call_id=call_id,
                target=cti.Target(kind="number", value="010-6552 9988"))
    moved = time.monotonic()
    assert peers["customer"].wait_for_tone(OUTSIDE_TONE, 0.5, since=moved), peers["customer"].describe()
    assert outside_media.wait_for_tone(CUSTOMER_TONE, 0.5, since=moved)
    assert ann.snapshot().state.mode == "wrap_up"
    assert caller.wait(15).ok  # the outside party hangs up after 3 s; the customer follows
    assert "01065529988" in (outside.workdir / "messages.log").read_text()


def test_blind_transfer_by_refer_hands_the_customer_to_the_trunk(make_gateway, media, phone, tmp_path):
    gateway = make_gateway(external_transfer="refer", external_uri="sip:{number}@127.0.0.1:5999")
    ann_media = media(ANN_TONE)
    ann = gateway.desktop("ann", phone("ann", ann_media).uri)
    from sipp_tools import Sipp

    caller = Sipp("customer_refer", remote=gateway.sip_address, rtp=media(CUSTOMER_TONE),
                  service="4001", calls=1, workdir=tmp_path / "customer").start()
    call_id = offered(ann).call_id
    event(ann, cti.CallAnswered)
    ann.command(cti.CallTransfer, call_id=call_id, target=cti.Target(kind="number", value="5551234"))
    result = caller.wait(15)
    assert result.ok, result.describe()
    referred = [e for e in caller.events() if e["event"] == "referred"]
    assert referred and "5551234@127.0.0.1:5999" in referred[0]["refer_to"]
    assert gateway.wait_for_record(call_id, lambda s: s[0].end_cause == "transferred")


def test_dtmf_from_the_customer_reaches_the_desktop_and_the_agent_can_send_some(
        make_gateway, media, phone, tmp_path):
    gateway = make_gateway()
    peers, phones, ann, _, caller, call_id = talking(gateway, tmp_path, media, phone)
    peers["customer"].send_dtmf("12#")
    digits = [event(ann, cti.CallDtmfReceived).digit for _ in range(3)]
    assert digits == ["1", "2", "#"]
    sent = time.monotonic()
    ann.command(cti.CallDtmf, call_id=call_id, digits="47")
    assert peers["customer"].wait_for_digits("47", since=sent), peers["customer"].describe()
    with pytest.raises(CtiError, match="DTMF digits"):
        ann.command(cti.CallDtmf, call_id=call_id, digits="4x")
    ann.command(cti.CallHangup, call_id=call_id)
    assert caller.wait(10).ok


def test_an_outbound_call_rings_the_agent_then_the_customer(make_gateway, media, phone, tmp_path):
    outside_media = media(OUTSIDE_TONE)
    outside = phone("outside", outside_media)
    gateway = make_gateway(external_uri=f"sip:{{number}}@127.0.0.1:{outside.port}",
                           caller_ids=["4008001234", "4008005678"])
    ann_media = media(ANN_TONE)
    ann_phone = phone("ann", ann_media)
    ann = gateway.desktop("ann", ann_phone.uri, ready=False)
    call_id = ann.command(cti.CallDial, cti.DialResult, number="138 0013 8000",
                          caller_id="4008005678").call_id
    assert event(ann, cti.CallAnswered).call_id == call_id
    assert ann_media.wait_for_tone(OUTSIDE_TONE, 0.5), ann_media.describe()
    assert outside_media.wait_for_tone(ANN_TONE, 0.5)
    assert outside.call_ids() == [call_id]
    invite = (outside.workdir / "messages.log").read_text()
    assert "sip:13800138000@" in invite and "4008005678" in invite
    ann.command(cti.CallHangup, call_id=call_id)
    assert outside.wait_for_event("bye_received")
    segment, = gateway.wait_for_record(call_id, lambda s: s[0].end_cause is not None)
    assert (segment.direction, segment.dnis, segment.end_cause) == ("outbound", "13800138000",
                                                                    "agent_hangup")


def test_a_desktop_that_reconnects_gets_its_snapshot_and_a_second_login_takes_over(
        make_gateway, media, phone, tmp_path):
    gateway = make_gateway()
    peers, phones, ann, _, caller, call_id = talking(gateway, tmp_path, media, phone)
    ann.close()  # the desktop goes away
    again = gateway.client()
    again.session, again.agent = ann.session, "ann"
    snapshot = again.snapshot()
    assert snapshot.state.mode == "busy" and snapshot.state.calls[0].call_id == call_id
    assert snapshot.state.calls[0].state == "connected" and snapshot.seq > 0
    with pytest.raises(CtiError) as refused:
        gateway.client().login(gateway.sign_in("ann"), device=phones["ann"].uri)
    assert refused.value.code == "already_logged_in"
    other = gateway.client()
    result = other.login(gateway.sign_in("ann"), device=phones["ann"].uri, takeover=True,
                         client="desk 2")
    assert result.state.calls[0].call_id == call_id
    with pytest.raises(CtiError) as stale:
        again.snapshot()
    assert stale.value.code == "not_logged_in"
    with pytest.raises(CtiError) as wrong:
        gateway.client().login("not a session")
    assert wrong.value.code == "session_ended"
    other.command(cti.CallHangup, call_id=call_id)
    assert caller.wait(10).ok
