"""A SIP worker's own decisions, without pjsua2 running: a dial waits for a
line that a call being refused or ending still holds, rather than failing
the agent's phone."""

from __future__ import annotations

import argparse

import pytest

from bus import sipworker as msg
from bus.keys import new_keypair
from cti_gateway.sip import worker as worker_module
from cti_gateway.sip.pool import WORKER_KEY_VARIABLE, ControlKeys
from cti_gateway.sip.worker import DIAL_WAIT_SECONDS, Worker, parse_args


class Clock:
    def __init__(self):
        self.now = 100.0

    def monotonic(self):
        return self.now


@pytest.fixture
def worker(monkeypatch):
    """A worker with four lines, of which `worker.slots_in_use` are taken in pjsua."""
    keys = ControlKeys(server=new_keypair().public, worker=new_keypair())
    monkeypatch.setenv(WORKER_KEY_VARIABLE, keys.worker_secret_text())
    worker = Worker(parse_args(["--name", "w1", "--sip", "127.0.0.1:5999", "--control", "tcp://127.0.0.1:9",
                                "--control-key=" + keys.server.decode()]))
    worker.lines, worker.slots_in_use = 4, 0
    worker.clock = Clock()
    worker.sent, worker.placed = [], []
    monkeypatch.setattr(worker_module, "calls_in_use", lambda: worker.slots_in_use)
    monkeypatch.setattr(worker_module, "time", worker.clock)
    monkeypatch.setattr(worker, "send", worker.sent.append)

    def make_call(order):
        worker.placed.append(order.leg)
        worker.slots_in_use += 1

    monkeypatch.setattr(worker, "_make_call", make_call)
    yield worker
    worker.control.close(0)
    worker.context.term()


def dial(leg):
    return msg.Dial(leg=leg, uri=f"sip:{leg}@127.0.0.1:5062")


def test_a_dial_with_a_line_free_is_placed_at_once(worker):
    worker.slots_in_use = 3
    worker.dial(dial("g1"))
    assert worker.placed == ["g1"] and worker.sent == []


def test_a_dial_waits_for_a_line_and_is_placed_when_one_frees(worker):
    worker.slots_in_use = 4  # say a call being refused holds the last one a moment
    worker.dial(dial("g1"))
    worker.dial(dial("g2"))
    worker.clock.now += 0.5
    worker._dial_waiting()
    assert worker.placed == [] and worker.sent == []
    worker.slots_in_use = 3
    worker._dial_waiting()
    assert worker.placed == ["g1"]  # in order; g2 waits for the next line
    worker.slots_in_use -= 1
    worker._dial_waiting()
    assert worker.placed == ["g1", "g2"] and worker.sent == []


def test_a_dial_no_line_frees_for_fails_with_503(worker):
    worker.slots_in_use = 4
    worker.dial(dial("g1"))
    worker.clock.now += DIAL_WAIT_SECONDS + 0.1
    worker._dial_waiting()
    assert worker.placed == []
    assert worker.sent == [msg.LegFailed(leg="g1", code=503, reason="no free line in this worker")]


def test_a_waiting_dial_hung_up_is_never_placed(worker):
    worker.slots_in_use = 4
    worker.dial(dial("g1"))
    worker._carry_out(msg.Hangup(leg="g1"))
    assert worker.sent == [msg.LegFailed(leg="g1", code=487, reason="Request Terminated")]
    worker.slots_in_use = 0
    worker._dial_waiting()
    assert worker.placed == []


def test_rtp_ports_on_the_command_line():
    args = parse_args(["--name", "w1", "--sip", "127.0.0.1:5999", "--control", "tcp://x:1",
                       "--rtp-ports", "10000-10179"])
    assert args.rtp_ports == (10000, 10179)
    with pytest.raises(argparse.ArgumentTypeError, match="not a range of ports"):
        worker_module.port_range("20000-10000")


def test_a_worker_without_its_keys_refuses_to_start(monkeypatch):
    monkeypatch.delenv(WORKER_KEY_VARIABLE, raising=False)
    with pytest.raises(SystemExit, match="never in clear"):
        Worker(parse_args(["--name", "w1", "--sip", "127.0.0.1:5999", "--control", "tcp://127.0.0.1:9"]))
