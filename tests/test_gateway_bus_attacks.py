"""The gateway's sockets tried as an attacker on the network would: deep,
huge and malformed messages get an error (or a cut connection) and the
gateway goes on; the workers' socket admits no one but the gateway's own
workers; a flood of made-up sessions neither stops nor slows the agents who
are logged in, and ends in a block of its source the log shows."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
import zmq

from bus import cti
from bus.curve import make_client
from bus.envelope import decode_reply, encode_request
from bus.keys import new_keypair
from cti_gateway.client import CtiError
from gateway_harness import make_gateway  # noqa: F401 - fixtures


def raw_socket(address: str, server_key: bytes | None, source: str | None = None,
               identity: bytes | None = None) -> zmq.Socket:
    """A socket of the attacker's: a CURVE client of the gateway's public key (anyone may have
    it), or with `server_key` None, in clear."""
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    if identity:
        sock.setsockopt(zmq.IDENTITY, identity)
    if server_key is not None:
        make_client(sock, server_key)
    host_port = address.removeprefix("tcp://")
    sock.connect(f"tcp://{source}:0;{host_port}" if source else address)
    return sock


def reply_to(sock: zmq.Socket, data: bytes | list[bytes], timeout: float = 5.0):
    if isinstance(data, list):
        sock.send_multipart(data)
    else:
        sock.send(data)
    assert sock.poll(int(timeout * 1000)), "no reply"
    return decode_reply(sock.recv())


def rss_mib(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * 4096 / 2**20


def still_serving(gateway) -> None:
    status = gateway.status()
    assert status.workers[0].state == "up"
    assert gateway.process.poll() is None


def test_deep_huge_and_malformed_commands_get_an_error_and_the_gateway_goes_on(make_gateway):
    gateway = make_gateway()
    attacker = raw_socket(gateway.commands, gateway.public_key)
    deep = b"[" * 1000 + b"]" * 1000  # about 2 KB
    reply = reply_to(attacker, b'{"v":1,"id":"x1","cmd":{"type":"call.set_data","session":"s",'
                               b'"call_id":"c","data":' + deep + b"}}")
    assert (reply.ok, reply.error.code, reply.id) == (False, "too_deep", "")
    for garbage in (b"", b"\xff\x00\xfe", b"{", b'{"v":1,"id":"x2","cmd":{"type":"no.such"}}',
                    b'{"v":7,"id":"x3","cmd":{"type":"gateway.status"}}'):
        reply = reply_to(attacker, garbage)
        assert not reply.ok and reply.error.code in ("malformed", "unknown_type", "unsupported_version")
    reply = reply_to(attacker, b"x" * 200_000)
    assert reply.error.code == "too_large"
    reply = reply_to(attacker, [b"a", b"b", b"c", b"d", b"e"])
    assert reply.error.code == "malformed"
    still_serving(gateway)
    assert "bad command from 127.0.0.1: the message nests deeper than 32 levels" in gateway.log()


def test_a_200_mb_frame_is_never_read_and_costs_the_gateway_no_memory(make_gateway):
    gateway = make_gateway()
    before = rss_mib(gateway.process.pid)
    attacker = raw_socket(gateway.commands, gateway.public_key)
    attacker.send(b"[" * (200 * 2**20))
    time.sleep(3)  # time to transfer it, were it read
    still_serving(gateway)
    assert rss_mib(gateway.process.pid) < before + 30
    attacker.close(0)


def test_a_command_of_many_frames_is_refused_and_its_memory_given_back(make_gateway):
    """ZeroMQ bounds a frame, not how many a message has, and hands a message over only once
    all of it has arrived: the gateway holds it while it comes, then reads it frame by frame,
    keeps none of the frames past the few a command has, and gives the memory back."""
    gateway = make_gateway()
    before = rss_mib(gateway.process.pid)
    attacker = raw_socket(gateway.commands, gateway.public_key)
    reply = reply_to(attacker, [b"x" * 1_000_000] * 80 + [b"{}"], timeout=30)  # 76 MiB
    assert (reply.ok, reply.error.code) == (False, "malformed")
    deadline = time.monotonic() + 10  # given back at once, or at the next tick when a trim was just made
    while rss_mib(gateway.process.pid) > before + 20 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert rss_mib(gateway.process.pid) < before + 20
    assert "a command from 127.0.0.1 in 82 frames refused" in gateway.log()
    still_serving(gateway)
    attacker.close(0)


def test_the_workers_socket_admits_only_the_gateways_own_workers(make_gateway):
    gateway = make_gateway()
    address = re.search(r"SIP workers report to (tcp://\S+)", gateway.log()).group(1)
    # in clear, and with CURVE but a key of its own: neither gets a report in
    for intruder in (raw_socket(address, None, identity=b"w9"),
                     raw_socket(address, gateway.public_key, identity=b"w1")):
        intruder.send(b'{"type":"heartbeat","worker":"w9","legs":' + b"[" * 3000 + b"]" * 3000 + b"}")
        intruder.send(b'{"type":"incoming","leg":"x","ani":"1","dnis":"4001"}')
        intruder.send_multipart([b"1", b"2", b"3"])
    time.sleep(1.5)
    still_serving(gateway)
    log = gateway.log()
    assert "refused 1 client keys on cicada-known-clients (unknown key: 1)" in log
    assert "bad report" not in log and "frames on the workers' socket" not in log
    assert gateway.status().queues[0].entered == 0


def flood_logins(address: str, server_key: bytes, attempts: int, source: str, codes: list[str]) -> None:
    """Present made-up sessions as fast as the gateway answers, four at a time."""
    sock = raw_socket(address, server_key, source=source)
    try:
        for first in range(0, attempts, 4):
            batch = range(first, min(first + 4, attempts))
            for n in batch:
                sock.send(encode_request(f"f{n}", cti.AgentLogin(token=new_keypair().public.decode())))
            for _ in batch:
                if not sock.poll(30_000):
                    return
                codes.append(decode_reply(sock.recv()).error.code)
    finally:
        sock.close(0)


def test_a_flood_of_made_up_sessions_does_not_disturb_agents_and_ends_in_a_block(make_gateway):
    gateway = make_gateway()
    ann = gateway.desktop("ann", "sip:ann@127.0.0.1:5999")
    codes: list[str] = []
    flood = threading.Thread(target=flood_logins, args=(gateway.commands, gateway.public_key, 300,
                                                         "127.0.0.2", codes))
    flood.start()
    # Ann works on during the flood: every command answered within the client's timeout.
    while flood.is_alive():
        assert ann.set_mode("not_ready", "break").mode == "not_ready"
        assert ann.set_mode("ready").mode == "ready"
    assert len(codes) == 300
    assert codes.count("session_ended") <= 34, codes  # only a few were ever looked up
    assert set(codes) - {"session_ended"} <= {"rate_limited", "busy", "locked"}
    assert codes.count("locked") > 200
    assert "logins from 127.0.0.2 blocked" in gateway.log()
    # Bob himself, from his own PC, still gets in; Ann's session is intact.
    bob = gateway.client()
    bob.login(gateway.sign_in("bob"), device="sip:bob@127.0.0.1:5998")
    assert ann.snapshot().state.mode == "ready"


def test_a_burst_of_logins_is_rate_limited_per_source_and_a_bad_session_refused(make_gateway):
    gateway = make_gateway()
    sock = raw_socket(gateway.commands, gateway.public_key, source="127.0.0.3")
    for n in range(100):
        sock.send(encode_request(f"g{n}", cti.AgentLogin(token=f"made-up-{n}")))
    codes = []
    while len(codes) < 100 and sock.poll(30_000):
        codes.append(decode_reply(sock.recv()).error.code)
    assert len(codes) == 100 and codes.count("session_ended") <= 34
    assert set(codes) - {"session_ended"} <= {"rate_limited", "busy", "locked"}
    ann = gateway.client()  # another source is served at once
    ann.login(gateway.sign_in("ann"), device="sip:ann@127.0.0.1:5999")
    with_error = gateway.client()
    with pytest.raises(CtiError) as refused:
        with_error.login("not-a-session", device="sip:ann@127.0.0.1:5999")
    assert refused.value.code == "session_ended"
