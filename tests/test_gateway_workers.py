"""The gateway's SIP workers on a real machine: each takes its RTP ports in
its own part of `rtp_ports`, keeps them when it is replaced, and is replaced
when it dies or hangs, but not when it is only late."""

from __future__ import annotations

import pytest

import os
import re
import signal
import time
from pathlib import Path

from bus import cti
from gateway_harness import (  # noqa: F401 - fixtures
    CUSTOMER_TONE,
    customer,
    event,
    make_gateway,
    media,
    offered,
    phone,
)
from sipp_tools import gateway_rtp_ports, require_kamailio, sipp_media_ports

TONES = {"ann": 1000, "bob": 1400}


def worker_rtp_ports(gateway) -> dict[str, tuple[int, int]]:
    """Each worker's RTP ports, as the pool logged them at its last start."""
    found = re.findall(r"started SIP worker (w\d+) \(pid \d+\) on \S+, RTP ports (\d+)-(\d+)",
                       gateway.log_path.read_text())
    return {name: (int(first), int(last)) for name, first, last in found}


def udp_ports_of(pid: int) -> set[int]:
    """The UDP ports the sockets of process `pid` are bound to."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


@pytest.mark.service_errors_expected("SIP worker w\\d+ \\(pid \\d+\\) lost")
def test_each_worker_takes_rtp_ports_in_its_own_slice_and_keeps_it_when_replaced(
        make_gateway, media, phone, tmp_path):
    require_kamailio()
    gateway = make_gateway(concurrent_calls=4, lines_per_call=2,
                           agents={name: {"billing": 5} for name in TONES})
    first, last = (int(p) for p in gateway.settings["rtp_ports"].split("-"))
    assert first in gateway_rtp_ports() and last in gateway_rtp_ports()
    assert not set(range(first, last + 1)) & set(sipp_media_ports())  # the tests' SIPp media ports
    slices = worker_rtp_ports(gateway)
    assert sorted(slices) == ["w1", "w2"]
    (a_first, a_last), (b_first, b_last) = slices["w1"], slices["w2"]
    assert first <= a_first < a_last < b_first < b_last <= last

    watcher = gateway.watcher()  # an administrator's session: every event
    callers = {}
    for name, tone in TONES.items():
        desk = gateway.desktop(name, phone(name, media(tone)).uri)
        rtp = media(CUSTOMER_TONE)
        sipp = customer(gateway, tmp_path, rtp, hold_ms=6000, name=f"caller-{name}")
        event(desk, cti.CallAnswered, call_id=offered(desk).call_id)
        assert rtp.wait_for_tone(tone, min_seconds=0.5), rtp.describe()
        callers[name] = (sipp, rtp)
    workers = {w.name: w for w in gateway.status().workers}
    assert [w.customer_calls for w in workers.values()] == [1, 1]
    for name, worker in workers.items():
        media_ports = udp_ports_of(worker.pid) - {int(worker.sip_address.rsplit(":", 1)[1])}
        low, high = slices[name]
        assert len(media_ports) >= 4, media_ports  # a customer and an agent leg, RTP and RTCP each
        assert all(low <= port <= high for port in media_ports), (name, slices[name], media_ports)
    for _, rtp in callers.values():  # where each customer's RTP comes from
        assert any(low <= rtp.remote[1] <= high for low, high in slices.values()), rtp.remote

    doomed = workers["w1"]
    os.kill(doomed.pid, signal.SIGKILL)
    down = event(watcher, cti.WorkerStateChanged, timeout=5)
    assert down.worker.name == "w1" and down.worker.state == "down"
    up = event(watcher, cti.WorkerStateChanged, timeout=10)
    assert up.worker.name == "w1" and up.worker.state == "up" and up.worker.pid != doomed.pid
    assert worker_rtp_ports(gateway) == slices
    assert "SIP worker w1 (pid %d) lost: the process was killed by SIGKILL" % doomed.pid in gateway.log()
    for sipp, _ in callers.values():
        sipp.stop()


@pytest.mark.service_errors_expected("SIP worker w\\d+ \\(pid \\d+\\) lost: it sent nothing")
def test_a_worker_stopped_briefly_is_kept_and_one_hung_is_replaced(make_gateway):
    gateway = make_gateway(worker_silence_timeout=3)
    watcher = gateway.watcher()  # an administrator's session: every event
    worker = gateway.status().workers[0]

    os.kill(worker.pid, signal.SIGSTOP)  # late: its loop does not run for 1.5 s
    time.sleep(1.5)
    os.kill(worker.pid, signal.SIGCONT)
    time.sleep(2.0)
    after = gateway.status().workers[0]
    assert (after.pid, after.state, after.restarts) == (worker.pid, "up", 0)

    os.kill(worker.pid, signal.SIGSTOP)  # hung for good
    stopped = time.monotonic()
    down = event(watcher, cti.WorkerStateChanged, timeout=10)
    waited = time.monotonic() - stopped
    # Its silence began at its last heartbeat, up to a second before it stopped.
    assert down.worker.state == "down" and 2.0 < waited < 6.0, waited
    assert "it sent nothing for" in down.reason and "count against it (limit 3 s" in down.reason
    up = event(watcher, cti.WorkerStateChanged, timeout=10)
    assert up.worker.state == "up" and up.worker.pid != worker.pid and up.worker.restarts == 1
    assert f"SIP worker w1 (pid {worker.pid}) lost: it sent nothing for" in gateway.log()


def test_a_call_that_takes_the_line_of_one_just_ended_is_not_hung_up(make_gateway, tmp_path):
    """pjsua hands out its four call slots in turn: with the worker stopped, the first call's
    BYE and a new INVITE wait together, and the new call gets the slot the first one frees
    in the same pass of the worker's loop. The ended call's object must not touch it."""
    gateway = make_gateway(concurrent_calls=2, lines_per_call=2)  # one worker, two customers
    first = customer(gateway, tmp_path, hold_ms=9000, name="first")  # slot 0
    assert first.wait_for_event("answered", timeout=10)
    answered = time.monotonic()
    for index in range(3):  # slots 1, 2 and 3, each freed again: the next call takes slot 0
        short = customer(gateway, tmp_path, hold_ms=100, name=f"short{index}")
        assert short.wait(10).ok, short.result.describe()
    assert time.monotonic() < answered + 7.5, "the short calls took too long for this test"
    worker = gateway.status().workers[0]

    time.sleep(max(0.0, answered + 8.0 - time.monotonic()))
    os.kill(worker.pid, signal.SIGSTOP)
    try:
        time.sleep(max(0.0, answered + 9.6 - time.monotonic()))  # the first's BYE waits,
        second = customer(gateway, tmp_path, hold_ms=1000, name="second")  # then this INVITE
        time.sleep(0.5)
    finally:
        os.kill(worker.pid, signal.SIGCONT)
    assert first.wait(10).ok, first.result.describe()
    assert second.wait(10).ok, second.result.describe()
    gateway.wait_until(lambda: gateway.status().workers[0].lines_in_use == 0, what="no line in use")
    third = customer(gateway, tmp_path, hold_ms=100, name="third")
    assert third.wait(10).ok, third.result.describe()
    assert "Traceback" not in gateway.log()
