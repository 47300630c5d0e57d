"""The gateway over real SIP: SIPp customers call in, SIPp phones answer for
the agents, a test's RTP peers prove the audio, and desktops are CTI clients."""

from __future__ import annotations

import time

from bus import cti
from gateway_harness import (  # noqa: F401 - fixtures
    ANN_TONE,
    BILLING,
    BOB_TONE,
    CUSTOMER_TONE,
    customer,
    event,
    make_gateway,
    media,
    offered,
    phone,
)

def test_a_call_queues_goes_to_the_longest_idle_agent_is_bridged_and_recorded(
        make_gateway, media, phone, tmp_path):
    gateway = make_gateway()
    ann_media, bob_media, customer_media = media(ANN_TONE), media(BOB_TONE), media(CUSTOMER_TONE)
    ann_phone, bob_phone = phone("ann", ann_media), phone("bob", bob_media)
    ann = gateway.desktop("ann", ann_phone.uri)
    time.sleep(0.5)
    bob = gateway.desktop("bob", bob_phone.uri)
    caller = customer(gateway, tmp_path, customer_media, hold_ms=4000, ani="13800138000")
    offer = offered(ann)
    assert (offer.ani, offer.dnis, offer.queue) == ("13800138000", "4001", "billing")
    assert event(ann, cti.CallAnswered).call_id == offer.call_id
    assert customer_media.wait_for_tone(ANN_TONE, min_seconds=1.0), customer_media.describe()
    assert ann_media.wait_for_tone(CUSTOMER_TONE, min_seconds=1.0), ann_media.describe()
    assert not customer_media.heard(BOB_TONE, 0.2)
    result = caller.wait(15)
    assert result.ok, result.describe()
    assert event(ann, cti.CallEnded).cause == "caller_hangup"
    assert ann_phone.call_ids() == [offer.call_id] and bob_phone.call_ids() == []
    segment, = gateway.wait_for_record(offer.call_id, lambda s: s[0].status == "closed")
    assert (segment.queue, segment.ani, segment.dnis, segment.end_cause) == (
        "billing", "13800138000", "4001", "caller_hangup")
    assert segment.agent_id is not None and 3 <= segment.talk_seconds <= 5
    assert segment.queued_at and segment.offered_at and segment.answered_at and segment.ended_at
    assert segment.wrapup_seconds == 2
    expected = ["entered", "offered", "answered", "ended", "wrapped_up"]  # the wrap-up's end, for the handle time
    gateway.wait_until(lambda: gateway.queue_events(offer.call_id) == expected, 5, what=f"queue events {expected}")
    assert bob.snapshot().state.mode == "ready"


def test_a_caller_who_hangs_up_in_queue_is_abandoned_after_hearing_music(
        make_gateway, media, tmp_path):
    gateway = make_gateway()
    watcher = gateway.watcher()  # an administrator's session: every event
    customer_media = media(None)
    caller = customer(gateway, tmp_path, customer_media, hold_ms=3000)
    ended = event(watcher, cti.CallEnded, timeout=15)
    assert caller.wait(10).ok
    assert ended.cause == "abandoned" and 2.5 <= ended.waited <= 4
    assert customer_media.sound_seconds() >= 1.5, customer_media.describe()  # music on hold
    segment, = gateway.wait_for_record(ended.call_id, lambda s: s[0].end_cause == "abandoned")
    assert segment.agent_id is None and segment.wait_seconds in (3, 4)
    stats = gateway.status().queues[0]
    assert (stats.entered, stats.abandoned, stats.answered) == (1, 1, 0)


def test_ring_no_answer_sends_the_call_to_the_next_agent(make_gateway, media, phone, tmp_path):
    gateway = make_gateway(ring_timeout=2)
    silent_phone = phone("ann", scenario="agent_no_answer")
    bob_media = media(BOB_TONE)
    bob_phone = phone("bob", bob_media)
    ann = gateway.desktop("ann", silent_phone.uri)
    time.sleep(0.3)
    bob = gateway.desktop("bob", bob_phone.uri)
    customer_media = media(CUSTOMER_TONE)
    caller = customer(gateway, tmp_path, customer_media, hold_ms=6000)
    first = offered(ann)
    withdrawn = event(ann, cti.CallOfferWithdrawn, timeout=6)
    assert withdrawn.reason == "ring_no_answer"
    assert ann.snapshot().state.mode == "not_ready" and ann.snapshot().state.reason == "ring_no_answer"
    assert offered(bob).call_id == first.call_id
    assert customer_media.wait_for_tone(BOB_TONE, 1.0, timeout=6), customer_media.describe()
    assert silent_phone.wait_for_event("cancelled")
    assert caller.wait(15).ok
    assert "ring_no_answer" in gateway.queue_events(first.call_id)


def test_skills_route_the_call_to_the_qualified_agent(make_gateway, media, phone, tmp_path):
    technical = {"name": "technical", "numbers": ["4002"], "skills": {"technical": 6}}
    gateway = make_gateway(queues=[BILLING, technical],
                           agents={"ann": {"billing": 5, "technical": 2},
                                   "bob": {"billing": 5, "technical": 8}})
    ann_phone, bob_phone = phone("ann", media(ANN_TONE)), phone("bob", media(BOB_TONE))
    ann = gateway.desktop("ann", ann_phone.uri)  # idle longest, but lacks the level
    time.sleep(0.3)
    bob = gateway.desktop("bob", bob_phone.uri)
    assert ann.snapshot().state.queues == ["billing"]
    assert bob.snapshot().state.queues == ["billing", "technical"]
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), number="4002", hold_ms=2000)
    assert offered(bob).queue == "technical"
    assert caller.wait(10).ok
    assert ann_phone.call_ids() == []


def test_a_queue_that_waits_too_long_overflows_to_another(make_gateway, media, phone, tmp_path):
    gateway = make_gateway(queues=[{**BILLING, "max_wait": 2, "overflow": "queue:general"},
                                   {"name": "general", "numbers": ["4000"]}],
                           agents={"ann": {"billing": 5}, "gus": {}})
    gus_phone = phone("gus", media(BOB_TONE))
    gus = gateway.desktop("gus", gus_phone.uri)
    assert gus.snapshot().state.queues == ["general"]
    customer_media = media(CUSTOMER_TONE)
    caller = customer(gateway, tmp_path, customer_media, hold_ms=6000)
    offer = offered(gus, timeout=6)
    assert offer.queue == "general" and offer.waited < 1.5
    assert customer_media.wait_for_tone(BOB_TONE, 1.0), customer_media.describe()
    assert caller.wait(10).ok
    events = gateway.wait_until(lambda: (e := gateway.queue_events(offer.call_id)) and "ended" in e and e)
    assert events[:4] == ["entered", "overflowed", "entered", "offered"]
    stats = {q.queue: q for q in gateway.status().queues}
    assert stats["billing"].overflowed == 1 and stats["general"].answered == 1


def test_a_full_queue_without_target_says_goodbye(make_gateway, media, tmp_path):
    gateway = make_gateway(queues=[{**BILLING, "max_length": 0, "language": "en"}])
    customer_media = media(None)
    caller = customer(gateway, tmp_path, customer_media, hold_ms=20000)
    result = caller.wait(20)
    assert result.ok, result.describe()  # the gateway hung up on the caller
    assert caller.events()[-1]["event"] == "bye_received"
    assert customer_media.sound_seconds() >= 1.5  # the closing announcement
