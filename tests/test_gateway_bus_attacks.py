"""The gateway's sockets tried as an attacker on the network would: deep,
huge and malformed messages get an error (or a cut connection) and the
gateway goes on; a flood of logins neither stops nor slows the agents who
are logged in, and ends in a lockout the log shows."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import zmq

from bus import cti
from bus.envelope import decode_reply, encode_request
from cti_gateway.client import CtiClient, CtiError
from gateway_harness import PASSWORD, make_gateway  # noqa: F401 - fixtures


def raw_socket(address: str, source: str | None = None, identity: bytes | None = None) -> zmq.Socket:
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    if identity:
        sock.setsockopt(zmq.IDENTITY, identity)
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
    attacker = raw_socket(gateway.commands)
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
    attacker = raw_socket(gateway.commands)
    attacker.send(b"[" * (200 * 2**20))
    time.sleep(3)  # time to transfer it, were it read
    still_serving(gateway)
    assert rss_mib(gateway.process.pid) < before + 30
    attacker.close(0)


def test_the_workers_socket_takes_only_reports_it_can_read(make_gateway):
    gateway = make_gateway()
    address = re.search(r"SIP workers report to (tcp://\S+)", gateway.log()).group(1)
    intruder = raw_socket(address, identity=b"w9")
    intruder.send(b'{"type":"heartbeat","worker":"w9","legs":' + b"[" * 3000 + b"]" * 3000 + b"}")
    intruder.send(b'{"type":"incoming","leg":"x"}')
    intruder.send_multipart([b"1", b"2", b"3"])
    time.sleep(1)
    still_serving(gateway)
    assert "bad report from worker b'w9'" in gateway.log()
    assert gateway.status().queues[0].entered == 0


def flood_logins(address: str, account: str, attempts: int, source: str, codes: list[str]) -> None:
    """Guess passwords as fast as the gateway answers, four at a time."""
    sock = raw_socket(address, source=source)
    try:
        for first in range(0, attempts, 4):
            batch = range(first, min(first + 4, attempts))
            for n in batch:
                sock.send(encode_request(f"f{n}", cti.AgentLogin(agent=account, password=f"guess{n}")))
            for _ in batch:
                if not sock.poll(30_000):
                    return
                codes.append(decode_reply(sock.recv()).error.code)
    finally:
        sock.close(0)


def test_a_login_flood_does_not_disturb_agents_and_ends_in_a_lockout(make_gateway):
    gateway = make_gateway()
    ann = gateway.desktop("ann", "sip:ann@127.0.0.1:5999")
    codes: list[str] = []
    flood = threading.Thread(target=flood_logins, args=(gateway.commands, "bob", 300, "127.0.0.2", codes))
    flood.start()
    # Ann works on during the flood: every command answered within the client's timeout.
    while flood.is_alive():
        assert ann.set_mode("not_ready", "break").mode == "not_ready"
        assert ann.set_mode("ready").mode == "ready"
    assert len(codes) == 300
    assert codes.count("auth_failed") <= 8, codes  # only a few passwords were ever checked
    assert set(codes) - {"auth_failed"} <= {"rate_limited", "busy", "locked"}
    assert codes.count("locked") > 200
    assert "login of 'bob' from 127.0.0.2 locked" in gateway.log()
    # Bob himself, from his own PC, still gets in; Ann's session is intact.
    bob = gateway.client()
    bob.login("bob", PASSWORD, device="sip:bob@127.0.0.1:5998")
    assert ann.snapshot().state.mode == "ready"


def test_a_flood_of_logins_from_many_accounts_is_rate_limited_per_source(make_gateway):
    gateway = make_gateway()
    sock = raw_socket(gateway.commands, source="127.0.0.3")
    for n in range(100):
        sock.send(encode_request(f"g{n}", cti.AgentLogin(agent=f"user{n}", password="x")))
    codes = []
    while len(codes) < 100 and sock.poll(30_000):
        codes.append(decode_reply(sock.recv()).error.code)
    assert len(codes) == 100 and codes.count("auth_failed") <= 4
    assert set(codes) - {"auth_failed"} <= {"rate_limited", "busy"}
    ann = gateway.client()  # another source is served at once
    ann.login("ann", PASSWORD, device="sip:ann@127.0.0.1:5999")
    with_error = gateway.client()
    try:
        with_error.login("ann", "wrong", device="sip:ann@127.0.0.1:5999")
    except CtiError as exc:
        assert exc.code == "auth_failed"
    else:
        raise AssertionError("a wrong password was accepted")
