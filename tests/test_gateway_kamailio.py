"""The gateway with more than one SIP worker: Kamailio is its single SIP
address and spreads the customers' calls over the workers by their active
calls (or, with front = "workers", the site calls each worker itself); every
call is still bridged to its agent inside one worker."""

from __future__ import annotations

import pytest

import os
import signal
import time

from bus import cti
from gateway_harness import (  # noqa: F401 - fixtures
    BILLING,
    CUSTOMER_TONE,
    customer,
    event,
    make_gateway,
    media,
    offered,
    phone,
)
from sipp_tools import Sipp, require_kamailio

AGENTS = {"ann": 1000, "bob": 1400, "cat": 1800, "dan": 2200}  # each agent's phone plays its tone


def two_worker_gateway(make_gateway, **settings):
    """Four customer calls at once, two lines each: more than the four lines one worker has."""
    require_kamailio()
    gateway = make_gateway(concurrent_calls=4, lines_per_call=2,
                           agents={name: {"billing": 5} for name in AGENTS}, **settings)
    assert "Kamailio in front of 2 workers" in gateway.banner, gateway.banner
    status = gateway.status()
    assert status.front == "kamailio" and status.sip_address.endswith(f":{gateway.sip_port}")
    assert [w.max_customer_calls for w in status.workers] == [2, 2]
    return gateway


def test_more_calls_than_one_worker_holds_are_spread_over_two_and_bridged(
        make_gateway, media, phone, tmp_path):
    gateway = two_worker_gateway(make_gateway)
    desks = {}
    for name, tone in AGENTS.items():
        desks[name] = gateway.desktop(name, phone(name, media(tone)).uri)
    callers = {}
    for index in range(4):
        ani = f"1380013800{index}"
        rtp = media(CUSTOMER_TONE)
        callers[ani] = (customer(gateway, tmp_path, rtp, ani=ani, hold_ms=6000, name=f"caller{index}"), rtp)
    agent_of = {}
    for name, desk in desks.items():
        offer = offered(desk)
        event(desk, cti.CallAnswered, call_id=offer.call_id)
        agent_of[offer.ani] = name
    assert sorted(agent_of) == sorted(callers)
    # Each caller hears the agent the gateway gave it, so every bridge is inside one worker.
    for ani, (_, rtp) in callers.items():
        assert rtp.wait_for_tone(AGENTS[agent_of[ani]], min_seconds=1.0), (agent_of[ani], rtp.describe())
    workers = gateway.status().workers
    assert [w.customer_calls for w in workers] == [2, 2], workers
    assert all(w.lines_in_use == 4 for w in workers), workers

    # Every line is taken: the next caller is turned away at the front door.
    overflow = Sipp("customer", remote=gateway.sip_address, service="4001", calls=1,
                    keys={"expect_status": 503}, workdir=tmp_path / "overflow").start()
    assert overflow.wait(10).ok, overflow.result.describe()

    for ani, (sipp, _) in callers.items():
        result = sipp.wait(15)
        assert result.ok, (ani, result.describe())
    for desk in desks.values():
        assert event(desk, cti.CallEnded).cause == "caller_hangup"
    gateway.wait_until(lambda: all(w.lines_in_use == 0 for w in gateway.status().workers),
                       what="all lines free again")
    stats = gateway.status().queues[0]
    assert (stats.entered, stats.answered) == (4, 4)

    # The lines are free again: two more calls are taken (Kamailio released its count on BYE).
    gateway.wait_until(lambda: all(d.snapshot().state.mode == "ready" for d in desks.values()),
                       what="every agent ready after the wrap-up")
    again = [customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=1500, name=f"again{i}")
             for i in range(2)]
    for sipp in again:
        assert sipp.wait(15).ok, sipp.result.describe()


def test_an_untrusted_address_is_refused_by_the_front_door(make_gateway, tmp_path):
    gateway = two_worker_gateway(make_gateway, trusted=["127.0.0.1"])
    stranger = Sipp("customer", remote=gateway.sip_address, service="4001", calls=1,
                    keys={"expect_status": 403}, extra_args=["-i", "127.0.0.2"],
                    workdir=tmp_path / "stranger").start()
    assert stranger.wait(10).ok, stranger.result.describe()
    assert gateway.status().queues[0].entered == 0


@pytest.mark.service_errors_expected("SIP worker w\\d+ \\(pid \\d+\\) lost: the process was killed")
def test_a_worker_killed_behind_kamailio_loses_only_its_calls(make_gateway, media, phone, tmp_path):
    gateway = two_worker_gateway(make_gateway)
    watcher = gateway.watcher()  # an administrator's session: every event
    desks, callers = {}, {}
    for name in ("ann", "bob"):
        desks[name] = gateway.desktop(name, phone(name, media(AGENTS[name])).uri)
        rtp = media(CUSTOMER_TONE)
        sipp = customer(gateway, tmp_path, rtp, hold_ms=8000, name=f"caller-{name}")
        call_id = offered(desks[name]).call_id
        event(desks[name], cti.CallAnswered, call_id=call_id)
        callers[name] = (sipp, rtp, call_id)
    workers = gateway.status().workers
    assert [w.customer_calls for w in workers] == [1, 1], workers  # one call on each

    doomed = workers[0]
    os.kill(doomed.pid, signal.SIGKILL)
    down = event(watcher, cti.WorkerStateChanged, timeout=5)
    assert down.worker.name == doomed.name and down.calls_lost == 1
    ended = {name: desk.wait_for(lambda e: isinstance(e, cti.CallEnded), 0.5)
             if desk.snapshot().state.mode == "wrap_up" else None for name, desk in desks.items()}
    lost = [name for name, e in ended.items() if e is not None]
    assert len(lost) == 1 and ended[lost[0]].cause == "failure", ended
    loser, = lost
    survivor, = set(desks) - {loser}
    callers[loser][0].stop()
    desks[loser].set_mode("not_ready", "break")

    # The other worker's call goes on, and new calls are taken meanwhile.
    since = time.monotonic()
    kept, kept_media, kept_call = callers[survivor]
    assert kept_media.wait_for_tone(AGENTS[survivor], min_seconds=1.0, since=since), \
        kept_media.describe((CUSTOMER_TONE, AGENTS[survivor]))
    cat = gateway.desktop("cat", phone("cat", media(AGENTS["cat"])).uri)
    rtp = media(CUSTOMER_TONE)
    third = customer(gateway, tmp_path, rtp, hold_ms=2000, name="third")
    assert offered(cat).call_id not in (callers["ann"][2], callers["bob"][2])
    assert rtp.wait_for_tone(AGENTS["cat"], min_seconds=1.0), rtp.describe()
    assert third.wait(15).ok, third.result.describe()
    assert kept.wait(15).ok, kept.result.describe()
    assert event(desks[survivor], cti.CallEnded, call_id=kept_call).cause == "caller_hangup"
    up = event(watcher, cti.WorkerStateChanged, timeout=15)
    assert up.worker.name == doomed.name and up.worker.state == "up" and up.worker.restarts == 1
    segment, = gateway.wait_for_record(callers[loser][2], lambda s: s[0].end_cause == "failure")
    assert segment.ended_at is not None


def test_without_kamailio_a_site_calls_each_workers_own_address(make_gateway, media, phone, tmp_path):
    """front = "workers": the site's PBX or trunk spreads the calls itself."""
    gateway = make_gateway(concurrent_calls=4, lines_per_call=2, front="workers",
                           agents={name: {"billing": 5} for name in ("ann", "bob")})
    status = gateway.status()
    assert status.front == "workers" and len(status.workers) == 2
    assert "workers' own addresses" in gateway.banner
    desks = {name: gateway.desktop(name, phone(name, media(AGENTS[name])).uri) for name in ("ann", "bob")}
    callers = []
    for index, worker in enumerate(status.workers):
        host, port = worker.sip_address.rsplit(":", 1)
        rtp = media(CUSTOMER_TONE)
        sipp = Sipp("customer", remote=(host, int(port)), service="4001", calls=1, rtp=rtp,
                    keys={"hold_ms": 3000, "ani": f"1390000000{index}"},
                    workdir=tmp_path / f"via-{worker.name}")
        callers.append((sipp.start(), rtp))
    answered = {name: offered(desk) for name, desk in desks.items()}
    assert sorted(o.ani for o in answered.values()) == ["13900000000", "13900000001"]
    assert [w.customer_calls for w in gateway.status().workers] == [1, 1]
    for (sipp, rtp), ani in zip(callers, ("13900000000", "13900000001")):
        agent = next(name for name, o in answered.items() if o.ani == ani)
        assert rtp.wait_for_tone(AGENTS[agent], min_seconds=1.0), rtp.describe()
        assert sipp.wait(15).ok, sipp.result.describe()
