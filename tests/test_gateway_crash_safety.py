"""A gateway that ends, however it ends, leaves nothing behind: no process,
no taken port, no open record, no temporary folder; a normal stop says
goodbye to the callers and hangs up."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bus import cti
from crm.db import Database
from crm.models import LoggedEvent
from gateway_harness import (  # noqa: F401 - fixtures
    ANN_TONE,
    CUSTOMER_TONE,
    RunningGateway,
    customer,
    event,
    make_gateway,
    media,
    offered,
    phone,
)
from sipp_tools import Sipp, require_kamailio


def children_of(gateway: RunningGateway) -> dict[int, str]:
    """The child processes the gateway noted in its state directory: pid → role."""
    listed = json.loads((gateway.state_dir / "children.json").read_text())
    return {entry["pid"]: entry["role"] for entry in listed}


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[2]) == pgid and stat[0] != "Z":
                members.append(int(entry.name))
    return members


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def udp_port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def kill_only_the_gateway(gateway: RunningGateway) -> None:
    """SIGKILL to the gateway process alone (not its group), as an operator's kill -9 does."""
    gateway.process.send_signal(signal.SIGKILL)
    gateway.process.wait(10)


def connected_call(gateway, media, phone, tmp_path):
    ann_media, customer_media = media(ANN_TONE), media(CUSTOMER_TONE)
    ann_phone = phone("ann", ann_media)
    ann = gateway.desktop("ann", ann_phone.uri)
    caller = customer(gateway, tmp_path, customer_media, hold_ms=60000)
    offer = offered(ann)
    event(ann, cti.CallAnswered)
    assert customer_media.wait_for_tone(ANN_TONE, min_seconds=0.5), customer_media.describe()
    gateway.wait_for_record(offer.call_id, lambda s: s[0].answered_at is not None)
    return offer, ann, ann_phone, caller, customer_media


def test_kill_9_during_a_call_leaves_no_process_and_the_next_start_closes_the_record(
        make_gateway, media, phone, tmp_path):
    require_kamailio()
    gateway = make_gateway(front="kamailio")
    offer, *_ = connected_call(gateway, media, phone, tmp_path)
    children = children_of(gateway)
    assert any(role == "Kamailio" for role in children.values()), children
    assert sum(role.startswith("SIP worker") for role in children.values()) == 1
    kamailio = next(pid for pid, role in children.items() if role == "Kamailio")
    kamailio_processes = group_members(kamailio)
    assert len(kamailio_processes) > 1  # its main process and its children
    time.sleep(2)  # some talk time to account for
    killed_at = time.time()

    kill_only_the_gateway(gateway)

    every = set(children) | set(kamailio_processes)
    assert wait_for(lambda: not any(running(pid) for pid in every), 10), \
        {pid: running(pid) for pid in every}
    assert wait_for(lambda: udp_port_free(gateway.sip_port), 5)
    gateway.restart()
    segment, = gateway.wait_for_record(offer.call_id, lambda s: s[0].status == "closed", timeout=15)
    assert segment.end_cause == "gateway_restarted"
    assert killed_at - 3 <= _epoch(segment.ended_at) <= killed_at + 1  # when it was last alive
    assert 1 <= segment.talk_seconds <= 6
    assert gateway.queue_events(offer.call_id)[-1] == "ended"
    assert "closed what the previous run left open: 1 call record(s)" in gateway.log()
    assert gateway.status().workers[0].state == "up"


def _epoch(naive_utc) -> float:
    from datetime import UTC

    return naive_utc.replace(tzinfo=UTC).timestamp()


def test_a_start_ends_what_a_killed_gateway_left_running_before_it_binds(make_gateway, tmp_path):
    """Children that could not obey the kernel's signal (here: stopped) still hold the ports;
    the next start of the same gateway finds and ends them."""
    require_kamailio()
    gateway = make_gateway(front="kamailio")
    children = children_of(gateway)
    kamailio = next(pid for pid, role in children.items() if role == "Kamailio")
    leftovers = set(group_members(kamailio)) | set(children)
    for pid in leftovers:
        os.kill(pid, signal.SIGSTOP)
    kill_only_the_gateway(gateway)
    time.sleep(0.5)
    assert all(running(pid) for pid in leftovers)
    assert not udp_port_free(gateway.sip_port)

    gateway.restart()

    assert not any(running(pid) for pid in leftovers)
    assert "ended what a previous gateway left running" in gateway.log()
    assert gateway.status().workers[0].state == "up"


def test_a_second_gateway_on_the_same_state_directory_is_refused(make_gateway, tmp_path):
    first = make_gateway()
    second = RunningGateway(tmp_path / "second", queues=first.queues, agents={},
                            state_dir=first.state_dir, **{k: v for k, v in first.settings.items()
                                                          if k != "worker_base_port"})
    with pytest.raises(RuntimeError) as failed:
        second.start(timeout=30)
    assert f"another gateway (pid {first.process.pid}) runs with the state directory" in str(failed.value)
    assert first.status().workers[0].state == "up"


def test_a_normal_stop_says_goodbye_hangs_up_closes_the_records_and_leaves_no_folder(
        make_gateway, media, phone, tmp_path):
    require_kamailio()
    private_tmp = Path(tempfile.mkdtemp(prefix="cicada-tmp-"))
    state_dir = Path(tempfile.mkdtemp(prefix="cicada-st-"))  # short: Kamailio's sockets go in it
    gateway = make_gateway(front="kamailio", state_dir=state_dir, run_dir=None, env={"TMPDIR": str(private_tmp)})
    offer, ann, ann_phone, caller, customer_media = connected_call(gateway, media, phone, tmp_path)
    children = children_of(gateway)
    stopped_at = time.monotonic()

    gateway.process.send_signal(signal.SIGTERM)

    assert ann_phone.wait_for_event("bye_received", timeout=3), "the agent's phone was not hung up"
    result = caller.wait(20)
    assert result.ok, result.describe()
    bye = [e for e in caller.events() if e.get("event") == "bye_received"]
    assert bye, "the caller was not hung up by the gateway"
    assert customer_media.sound_seconds(since=stopped_at + 1.0) >= 2.5, customer_media.describe()
    assert not customer_media.heard(ANN_TONE, 0.3, since=stopped_at + 1.0)  # a goodbye, not the agent
    assert gateway.process.wait(20) == 0
    assert not any(running(pid) for pid in children)
    assert udp_port_free(gateway.sip_port)
    segment, = gateway.segments(offer.call_id)
    assert (segment.status, segment.end_cause) == ("closed", "gateway_stopped")
    database = Database.open(gateway.db_url)
    try:
        with database.reading() as session:
            kinds = list(session.scalars(select(LoggedEvent.kind).order_by(LoggedEvent.id)))
    finally:
        database.dispose()
    assert kinds[-1] == "logged_out"
    assert list(private_tmp.iterdir()) == []
    assert not (state_dir / "children.json").exists()
    assert (state_dir / "run" / "kamailio.cfg").exists()  # Kamailio's files live in the state directory
    shutil.rmtree(state_dir)
    private_tmp.rmdir()


def test_calls_are_refused_while_the_gateway_stops(make_gateway, media, phone, tmp_path):
    require_kamailio()
    gateway = make_gateway(concurrent_calls=2)  # a free worker for the late caller
    offer, ann, ann_phone, caller, customer_media = connected_call(gateway, media, phone, tmp_path)
    gateway.process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    # The worker answers 503; Kamailio, a proxy, passes a 503 on as 500 (RFC 3261, 16.7).
    late = Sipp("customer", remote=gateway.sip_address, service="4001", calls=1,
                keys={"expect_status": 500}, workdir=tmp_path / "late").start()
    result = late.wait(10)
    assert result.ok, result.describe()
    assert caller.wait(20).ok


def test_a_killed_process_nobody_reaped_yet_counts_as_ended(tmp_path):
    """A zombie (killed, not yet reaped: the container's init may be slow to) is not left
    running: the start that ends a previous run's processes does not wait for it, and Kamailio's
    stale pid file is removed before the new one starts."""
    import subprocess
    import sys

    from cti_gateway.state import _start_time

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert _start_time(child.pid) is not None
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
            time.sleep(0.02)
        assert _start_time(child.pid) is None  # a zombie now, its /proc entry still there
    finally:
        child.wait()
