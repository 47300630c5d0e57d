"""`cicada phone` stops on SIGINT and SIGTERM every time: idle, and with a call up (when the
signal may arrive inside one of pjsua2's callbacks), hanging the call up as it goes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bus.keys import new_keypair
from gateway_harness import free_tcp_port
from sipp_tools import Sipp, free_udp_port, require_sipp

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture
def start_phone(tmp_path):
    """`cicada phone --auto-answer` on a free port, with a gateway that is never there."""
    config = tmp_path / "cicada.toml"
    config.write_text(
        "[gateway]\n"
        f'commands = "tcp://127.0.0.1:{free_tcp_port()}"\n'
        f'events = "tcp://127.0.0.1:{free_tcp_port()}"\n'
        f'public_key = "{new_keypair().public.decode()}"\n')
    env = {**os.environ, "CICADA_CONFIG": str(config), "PYTHONUNBUFFERED": "1"}
    env.pop("CICADA_AGENT_PASSWORD", None)
    started: list[subprocess.Popen] = []

    def start() -> tuple[subprocess.Popen, int, Path]:
        port = free_udp_port()
        log = tmp_path / f"phone-{port}.log"
        phone = subprocess.Popen(
            [sys.executable, "-m", "cicada.cli", "phone", "--agent", "agent1", "--auto-answer",
             "--address", f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
        started.append(phone)
        wait_for(lambda: "waiting for calls" in log.read_text(errors="replace"), 30, phone, log)
        return phone, port, log

    yield start
    for phone in started:
        if phone.poll() is None:
            os.killpg(phone.pid, signal.SIGKILL)
            phone.wait()


def wait_for(condition, timeout: float, phone: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        assert phone.poll() is None, f"the phone ended early:\n{log.read_text(errors='replace')}"
        time.sleep(0.05)
    raise AssertionError(f"not reached within {timeout} s:\n{log.read_text(errors='replace')}")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_idle_phone_stops_on_the_signal_every_time(start_phone, signum):
    for _ in range(3):
        phone, _port, log = start_phone()
        os.killpg(phone.pid, signum)
        assert phone.wait(10) == 0, log.read_text(errors="replace")


def test_a_second_signal_ends_the_phone_at_once(start_phone):
    phone, _port, log = start_phone()
    os.killpg(phone.pid, signal.SIGINT)  # Ctrl-C, then `cicada demo` stopping its children
    os.killpg(phone.pid, signal.SIGTERM)
    assert phone.wait(10) in (0, 128 + signal.SIGTERM), log.read_text(errors="replace")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_phone_in_a_call_stops_on_the_signal_and_hangs_up(start_phone, signum, tmp_path):
    require_sipp()
    phone, port, log = start_phone()
    caller = Sipp("customer", remote=("127.0.0.1", port), service="agent1", calls=1,
                  keys={"hold_ms": 30000}, workdir=tmp_path / "caller", name="caller").start()
    try:
        wait_for(lambda: "answered" in log.read_text(errors="replace"), 15, phone, log)
        os.killpg(phone.pid, signum)
        assert phone.wait(10) == 0, log.read_text(errors="replace")
        result = caller.wait(10)
    finally:
        caller.stop()
    assert any(e.get("event") == "bye_received" for e in caller.events()), result.describe()
