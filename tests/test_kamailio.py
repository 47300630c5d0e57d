"""Kamailio as the gateway's front door (cti_gateway/sip/kamailio.py), with SIPp
playing both the customers and the SIP workers behind it.

agent.xml stands in for a worker: it answers calls and Kamailio's OPTIONS
pings, and follows the route set, as a pjsua2 worker does.
"""

from __future__ import annotations

import socket
import subprocess
import time

import pytest

from cti_gateway.sip.kamailio import (
    Destination,
    KamailioError,
    KamailioFront,
    find_kamailio,
    options_ping,
    render_config,
    render_dispatcher_list,
)
from sipp_tools import LOCALHOST, Sipp, free_udp_port, require_kamailio, require_sipp

SERVICE = "4008001001"


@pytest.fixture
def kamailio():
    require_sipp()
    return require_kamailio()


def make_front(tmp_path, workers, *, max_calls=2, trusted=("127.0.0.1",), ping_interval=1):
    destinations = [Destination(LOCALHOST, port, max_calls) for port in workers]
    return KamailioFront(listen_host=LOCALHOST, listen_port=free_udp_port(), destinations=destinations,
                         trusted_sources=list(trusted), rundir=tmp_path / "kamailio",
                         ping_interval=ping_interval)


def worker(tmp_path, name, scenario="agent", **keys):
    return Sipp(scenario, keys={"answer_ms": 50, **keys}, workdir=tmp_path / name, name=name)


def invites(phone: Sipp) -> int:
    return sum(e.get("event") in ("invite", "busy") for e in phone.events())


def loads(front: KamailioFront) -> dict[str, int]:
    return {uri: state["load"] for uri, state in front.destination_states().items()}


def wait_until(condition, timeout=5.0, step=0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


# --- the generated configuration --------------------------------------------------

def test_generated_configuration_passes_kamailios_own_check(kamailio, tmp_path):
    config = tmp_path / "kamailio.cfg"
    config.write_text(render_config(
        listen_host=LOCALHOST, listen_port=5060, trusted_sources=["127.0.0.1", "::1", "10.20.0.0/16"],
        dispatcher_list=tmp_path / "dispatcher.list", rpc_socket=tmp_path / "rpc.sock"))
    check = subprocess.run([kamailio, "-c", "-f", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr[-3000:]
    assert 'is_in_subnet("$si", "127.0.0.1/32,::1/128,10.20.0.0/16")' in config.read_text()


def test_dispatcher_list_caps_each_worker_and_names_it():
    text = render_dispatcher_list([Destination("127.0.0.1", 5080, 2), Destination("::1", 5081, 3)])
    assert "1 sip:127.0.0.1:5080 0 0 duid=worker0;maxload=2" in text
    assert "1 sip:[::1]:5081 0 0 duid=worker1;maxload=3" in text
    with pytest.raises(KamailioError, match="takes no calls"):
        render_dispatcher_list([Destination("127.0.0.1", 5080, 0)])


def test_bad_trusted_source_is_a_clear_error(tmp_path):
    with pytest.raises(KamailioError, match="'trunk.example' is not an IP address"):
        make_front(tmp_path, [5080], trusted=["trunk.example"])


def test_a_configured_program_that_does_not_exist_is_not_found(tmp_path):
    assert find_kamailio(str(tmp_path / "no-such-kamailio")) is None
    front = make_front(tmp_path, [5080])
    front.binary = str(tmp_path / "no-such-kamailio")
    with pytest.raises(KamailioError, match="not installed"):
        front.start()


def test_a_taken_port_is_refused_rather_than_shared(kamailio, tmp_path):
    front = make_front(tmp_path, [free_udp_port()])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind((LOCALHOST, front.listen_port))
        with pytest.raises(KamailioError, match="is taken"):
            front.start()
    assert not front.running()


# --- calls through it --------------------------------------------------------------

def test_calls_are_spread_by_active_calls_and_the_overflow_gets_503(kamailio, tmp_path):
    with worker(tmp_path, "w0") as w0, worker(tmp_path, "w1") as w1:
        front = make_front(tmp_path, [w0.port, w1.port], max_calls=2)
        front.start()
        try:
            assert options_ping(LOCALHOST, front.listen_port) == 200
            callers = Sipp("customer", remote=(LOCALHOST, front.listen_port), service=SERVICE,
                           calls=4, rate=50, limit=4, keys={"hold_ms": 3000},
                           workdir=tmp_path / "callers").start()
            assert wait_until(lambda: invites(w0) + invites(w1) == 4), (invites(w0), invites(w1))
            assert (invites(w0), invites(w1)) == (2, 2)
            assert wait_until(lambda: sorted(loads(front).values()) == [2, 2]), loads(front)
            overflow = Sipp("customer", remote=(LOCALHOST, front.listen_port), service=SERVICE,
                            calls=1, keys={"expect_status": 503}, workdir=tmp_path / "overflow").start()
            overflow_result = overflow.wait(5)
            result = callers.wait(15)
            assert result.ok, result.describe()
            assert overflow_result.ok, overflow_result.describe()
            assert (invites(w0), invites(w1)) == (2, 2), "the 503 call reached a worker"
            # Every BYE released its call: the load is back to zero, nothing leaked.
            assert wait_until(lambda: set(loads(front).values()) == {0}), loads(front)
        finally:
            front.stop()


def test_a_busy_worker_fails_over_to_the_next_without_leaking_load(kamailio, tmp_path):
    with worker(tmp_path, "busy", "agent_busy") as busy, worker(tmp_path, "free") as free:
        front = make_front(tmp_path, [busy.port, free.port], max_calls=4, ping_interval=0)
        front.start()
        try:
            callers = Sipp("customer", remote=(LOCALHOST, front.listen_port), service=SERVICE,
                           calls=4, rate=4, limit=2, keys={"hold_ms": 300},
                           workdir=tmp_path / "callers").start()
            result = callers.wait(15)
            assert result.ok, result.describe()
            assert invites(free) == 4
            assert invites(busy) >= 1, "algorithm 10 should have tried the idle busy worker first"
            assert wait_until(lambda: set(loads(front).values()) == {0}), loads(front)
        finally:
            front.stop()


def test_a_caller_who_hangs_up_while_ringing_releases_the_worker(kamailio, tmp_path):
    with worker(tmp_path, "w0", answer_ms=5000) as w0:
        front = make_front(tmp_path, [w0.port], max_calls=1)
        front.start()
        try:
            caller = Sipp("customer", remote=(LOCALHOST, front.listen_port), service=SERVICE,
                          calls=1, keys={"cancel_ms": 300}, workdir=tmp_path / "abandons").start()
            result = caller.wait(10)
            assert result.ok, result.describe()
            assert w0.wait_for_event("cancelled")
            assert wait_until(lambda: set(loads(front).values()) == {0}), loads(front)
            # The single line is free again for the next caller.
            again = Sipp("customer", remote=(LOCALHOST, front.listen_port), service=SERVICE,
                         calls=1, keys={"hold_ms": 200}, workdir=tmp_path / "next").start()
            assert again.wait(15).ok, again.result.describe()
        finally:
            front.stop()


def test_an_untrusted_source_gets_403_and_reaches_no_worker(kamailio, tmp_path):
    with worker(tmp_path, "w0") as w0:
        front = make_front(tmp_path, [w0.port], trusted=["192.0.2.10", "10.0.0.0/8"])
        front.start()
        try:
            caller = Sipp("customer", remote=(LOCALHOST, front.listen_port), service=SERVICE, calls=1,
                          keys={"expect_status": 403}, workdir=tmp_path / "stranger").start()
            result = caller.wait(5)
            assert result.ok, result.describe()
            assert invites(w0) == 0
            assert "from untrusted 127.0.0.1" in front.log_tail(50)
        finally:
            front.stop()


def test_a_worker_turned_off_gets_no_calls_until_turned_on(kamailio, tmp_path):
    with worker(tmp_path, "w0") as w0, worker(tmp_path, "w1") as w1:
        front = make_front(tmp_path, [w0.port, w1.port], max_calls=4)
        front.start()
        try:
            front.set_destination_active(0, False)
            assert front.destination_states()[f"sip:{LOCALHOST}:{w0.port}"]["flags"].startswith("I")
            first = Sipp("customer", remote=(LOCALHOST, front.listen_port), service=SERVICE, calls=3,
                         rate=10, keys={"hold_ms": 200}, workdir=tmp_path / "first").start()
            assert first.wait(15).ok, first.result.describe()
            assert (invites(w0), invites(w1)) == (0, 3)
            # The last BYE may still be on its way through: balance from an idle front.
            assert wait_until(lambda: set(loads(front).values()) == {0}), loads(front)
            front.set_destination_active(0, True)
            second = Sipp("customer", remote=(LOCALHOST, front.listen_port), service=SERVICE, calls=2,
                          rate=50, limit=2, keys={"hold_ms": 1500}, workdir=tmp_path / "second").start()
            assert second.wait(15).ok, second.result.describe()
            assert (invites(w0), invites(w1)) == (1, 4)
        finally:
            front.stop()


def test_a_silent_worker_is_found_by_pings_and_avoided(kamailio, tmp_path):
    silent_port = free_udp_port()  # nothing listens there
    with worker(tmp_path, "w1") as w1:
        front = make_front(tmp_path, [silent_port, w1.port], max_calls=4)
        front.start()
        try:
            silent = f"sip:{LOCALHOST}:{silent_port}"
            assert wait_until(lambda: front.destination_states()[silent]["flags"].startswith("I"),
                              timeout=8), front.destination_states()
            callers = Sipp("customer", remote=(LOCALHOST, front.listen_port), service=SERVICE,
                           calls=3, rate=10, keys={"hold_ms": 200}, workdir=tmp_path / "callers").start()
            assert callers.wait(15).ok, callers.result.describe()
            assert invites(w1) == 3
        finally:
            front.stop()


def test_it_starts_again_after_being_killed(kamailio, tmp_path):
    with worker(tmp_path, "w0") as w0:
        front = make_front(tmp_path, [w0.port])
        front.start()
        try:
            front.process.kill()  # the main process only: its children keep the port
            assert wait_until(lambda: front.poll() is not None)
            front.start()
            assert front.running()
            assert options_ping(LOCALHOST, front.listen_port) == 200
            assert front.destination_states()  # the control socket answers again
        finally:
            front.stop()
