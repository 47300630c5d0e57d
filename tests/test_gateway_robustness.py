"""Bad input and failures: a malformed INVITE, a caller's number holding anything, a call
from an untrusted address, a SIP worker killed in the middle of a call, a bad command."""

from __future__ import annotations

import pytest

import os
import signal
import socket

import zmq

from bus import cti
from bus.curve import make_client
from gateway_harness import (  # noqa: F401 - fixtures
    ANN_TONE,
    CUSTOMER_TONE,
    customer,
    event,
    make_gateway,
    media,
    offered,
    phone,
)
from sipp_tools import Sipp

MALFORMED = [
    # no Call-ID, no CSeq
    b"INVITE sip:4001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bKx1\r\n"
    b"From: <sip:1@127.0.0.1>;tag=1\r\nTo: <sip:4001@127.0.0.1>\r\nContent-Length: 0\r\n\r\n",
    # a Content-Length far beyond the body
    b"INVITE sip:4001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bKx2\r\n"
    b"From: <sip:1@127.0.0.1>;tag=2\r\nTo: <sip:4001@127.0.0.1>\r\nCall-ID: bad2@x\r\n"
    b"CSeq: 1 INVITE\r\nContact: <sip:1@127.0.0.1:5999>\r\nContent-Type: application/sdp\r\n"
    b"Content-Length: 99999\r\n\r\nv=0\r\n",
    # an SDP that is not one
    b"INVITE sip:4001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bKx3\r\n"
    b"From: <sip:1@127.0.0.1>;tag=3\r\nTo: <sip:4001@127.0.0.1>\r\nCall-ID: bad3@x\r\n"
    b"CSeq: 1 INVITE\r\nContact: <sip:1@127.0.0.1:5999>\r\nContent-Type: application/sdp\r\n"
    b"Content-Length: 12\r\n\r\nnot an sdp!!",
    b"\x00\xff garbage that is not SIP at all \r\n\r\n",
]


def test_malformed_invites_are_refused_and_the_gateway_goes_on(make_gateway, media, phone, tmp_path):
    gateway = make_gateway()
    ann_media = media(ANN_TONE)
    ann = gateway.desktop("ann", phone("ann", ann_media).uri)
    answers = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(1.0)
        for datagram in MALFORMED:
            sock.sendto(datagram, gateway.sip_address)
            try:
                while True:
                    answers.append(sock.recv(4096).split(b"\r\n", 1)[0])
            except TimeoutError:
                pass
    final = [a for a in answers if not a.startswith(b"SIP/2.0 1")]
    assert final, "the malformed INVITEs got no answer at all"
    assert all(a.startswith(b"SIP/2.0 4") for a in final), answers
    assert gateway.status().queues[0].entered == 0  # nothing reached a queue
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=2000)
    assert offered(ann).queue == "billing"
    assert caller.wait(10).ok
    assert gateway.status().workers[0].restarts == 0


def test_a_call_from_an_untrusted_address_gets_403(make_gateway, media, tmp_path):
    gateway = make_gateway(trusted=["127.0.0.1"])
    stranger = Sipp("customer", remote=gateway.sip_address, service="4001", calls=1,
                    keys={"expect_status": 403}, extra_args=["-i", "127.0.0.2"],
                    workdir=tmp_path / "stranger").start()
    result = stranger.wait(10)
    assert result.ok, result.describe()
    assert gateway.status().queues[0].entered == 0
    assert "not a trusted trunk" in gateway.log()


@pytest.mark.service_errors_expected("SIP worker w\\d+ \\(pid \\d+\\) lost: the process was killed")
def test_a_worker_killed_during_a_call_is_replaced_and_the_call_closed(
        make_gateway, media, phone, tmp_path):
    gateway = make_gateway()
    ann_phone = phone("ann", media(ANN_TONE))
    ann = gateway.desktop("ann", ann_phone.uri)
    watcher = gateway.watcher()  # an administrator's session: every event
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=30000)
    call_id = offered(ann).call_id
    event(ann, cti.CallAnswered)
    worker = gateway.status().workers[0]
    os.kill(worker.pid, signal.SIGKILL)
    ended = event(ann, cti.CallEnded, timeout=10)
    assert ended.cause == "failure"
    notice = event(ann, cti.AgentNotice)
    assert "lost" in notice.text and notice.level == "error"
    assert ann.snapshot().state.mode == "wrap_up"
    down = event(watcher, cti.WorkerStateChanged, timeout=5)
    assert down.worker.state == "down" and down.calls_lost == 1
    up = event(watcher, cti.WorkerStateChanged, timeout=15)
    assert up.worker.state == "up" and up.worker.pid != worker.pid and up.worker.restarts == 1
    segment, = gateway.wait_for_record(call_id, lambda s: s[0].end_cause == "failure")
    assert segment.ended_at is not None
    caller.stop()
    gateway.wait_until(lambda: ann.snapshot().state.mode == "ready", what="ann ready after her wrap-up")
    second = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=2000, name="again")
    assert offered(ann).call_id != call_id
    assert second.wait(10).ok


def test_bad_commands_get_clear_errors_and_nothing_breaks(make_gateway):
    gateway = make_gateway()
    context = zmq.Context.instance()
    sock = context.socket(zmq.DEALER)
    make_client(sock, gateway.public_key)  # anyone may have the gateway's public key
    sock.connect(gateway.commands)
    try:
        for payload, code in [
            (b"not json", "malformed"),
            (b'{"v":1,"id":"a","cmd":{"type":"call.fly"}}', "unknown_type"),
            (b'{"v":1,"id":"b","cmd":{"type":"call.hold","session":5}}', "invalid"),
            (b'{"v":2,"id":"c","cmd":{"type":"gateway.status"}}', "unsupported_version"),
            (b'{"v":1,"id":"d","cmd":{"type":"call.hold","session":"x","call_id":"y"}}',
             "not_logged_in"),
        ]:
            sock.send(payload)
            assert sock.poll(5000), f"no reply to {payload!r}"
            reply = sock.recv()
            assert f'"code":"{code}"'.encode() in reply, reply
    finally:
        sock.close(0)
    assert gateway.status().workers[0].state == "up"


def test_a_caller_number_with_any_escaped_character_reaches_the_agent_and_the_record(
        make_gateway, media, phone, tmp_path):
    """A caller's From user may carry any escaped byte (here a space, brackets and NUL): the
    agent's phone still rings with it as the caller id (escaped again: before, pjsip refused the
    URI, the agent was made Not ready and the next one too), and the desktop and the record get
    it cleaned of what no database stores."""
    gateway = make_gateway()
    ann_phone = phone("ann", media(ANN_TONE))
    ann = gateway.desktop("ann", ann_phone.uri)
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=4000, ani="%2B86%20138%3C00%3E%00")
    offer = offered(ann)
    assert offer.ani == "+86 138<00>\ufffd"
    assert event(ann, cti.CallAnswered).call_id == offer.call_id
    assert caller.wait(15).ok
    assert ann_phone.call_ids() == [offer.call_id]
    segment, = gateway.wait_for_record(offer.call_id, lambda s: s[0].status == "closed")
    assert (segment.ani, segment.end_cause) == ("+86 138<00>\ufffd", "caller_hangup")
    assert "failed" not in gateway.log()


def test_a_caller_number_too_long_for_the_record_is_cut_not_the_reason_the_record_is_lost(
        make_gateway, media, phone, tmp_path):
    gateway = make_gateway()
    ann_phone = phone("ann", media(ANN_TONE))
    ann = gateway.desktop("ann", ann_phone.uri)
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=3000, ani="8" * 300)
    offer = offered(ann)
    assert event(ann, cti.CallAnswered).call_id == offer.call_id
    assert caller.wait(15).ok
    segment, = gateway.wait_for_record(offer.call_id, lambda s: s[0].status == "closed")
    assert (segment.ani, segment.queue, segment.end_cause) == ("8" * 254, "billing", "caller_hangup")
    assert segment.started_at and segment.queued_at and segment.answered_at
    assert "Dropped a record" not in gateway.log()
