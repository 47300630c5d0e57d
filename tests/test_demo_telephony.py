"""On a fresh machine: `cicada demo` runs the gateway, `cicada phone --login`
takes calls as agent1, and `cicada call` reaches it through a queue, with
audio both ways."""

from __future__ import annotations

import math
import os
import signal
import struct
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from gateway_harness import free_tcp_port, free_udp_range
from sipp_tools import free_udp_port, tone_share

ROOT = Path(__file__).resolve().parent.parent


def write_tone(path: Path, freq: float, seconds: float = 10.0) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(struct.pack("<h", int(9000 * math.sin(2 * math.pi * freq * i / 8000)))
                                 for i in range(int(8000 * seconds))))


def heard_seconds(path: Path, freq: float) -> float:
    """Seconds of the recording in which `freq` dominates."""
    from array import array

    with wave.open(str(path)) as recording:
        rate = recording.getframerate()
        samples = array("h", recording.readframes(recording.getnframes()))
    windows = [samples[i:i + rate // 10] for i in range(0, len(samples) - rate // 10, rate // 10)]
    return sum(0.1 for w in windows if max(abs(s) for s in w) > 500 and tone_share(w, freq) > 0.6)


@pytest.fixture
def fresh_machine(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    config = tmp_path / "cicada.toml"
    config.write_text(
        "[gateway]\n"
        f'sip_address = "127.0.0.1:{free_udp_port()}"\n'
        f'commands = "tcp://127.0.0.1:{free_tcp_port()}"\n'
        f'events = "tcp://127.0.0.1:{free_tcp_port()}"\n'
        f"worker_base_port = {free_udp_range(8)}\n"
        "concurrent_calls = 1\n"
        "[app]\n"
        f'address = "127.0.0.1:{free_tcp_port()}"\n')
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / ".local/share"),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_CACHE_HOME": str(home / ".cache"),
           "CICADA_CONFIG": str(config), "PYTHONUNBUFFERED": "1",
           "CICADA_AGENT_PASSWORD": "agent1-demo"}
    env.pop("CICADA_DB_URL", None)
    processes: list[subprocess.Popen] = []

    def start(*args, log: str) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-m", "cicada.cli", *args], cwd=ROOT, env=env,
                                   stdout=open(tmp_path / log, "wb"), stderr=subprocess.STDOUT,
                                   start_new_session=True)
        processes.append(process)
        return process

    def run(*args, timeout=60) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "cicada.cli", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=timeout)

    yield start, run, tmp_path
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def wait_for_text(path: Path, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear in {path.name}:\n"
                         f"{path.read_text(errors='replace')[-3000:] if path.exists() else ''}")


def test_cicada_call_reaches_an_agents_cicada_phone_through_a_queue(fresh_machine):
    start, run, tmp_path = fresh_machine
    start("demo", "--customers", "40", log="demo.log")
    wait_for_text(tmp_path / "demo.log", "gateway ready", timeout=120)
    phone_tone, caller_tone = tmp_path / "agent.wav", tmp_path / "caller.wav"
    write_tone(phone_tone, 1000)
    write_tone(caller_tone, 440)
    phone_port = free_udp_port()
    phone = start("phone", "--agent", "agent1", "--address", f"127.0.0.1:{phone_port}", "--login",
                  "--play", str(phone_tone), "--record-dir", str(tmp_path), log="phone.log")
    assert phone.poll() is None
    wait_for_text(tmp_path / "phone.log", "agent agent1: ready", timeout=30)
    call = run("call", "--from", "13800138000", "--to", "4008001001", "--hold-for", "5",
               "--play", str(caller_tone), "--record", str(tmp_path / "heard.wav"))
    assert call.returncode == 0, call.stdout + call.stderr
    assert "answered" in call.stdout
    wait_for_text(tmp_path / "phone.log", "call ended", timeout=10)
    phone_log = (tmp_path / "phone.log").read_text()
    assert "offered: call" in phone_log and "in queue billing-zh" in phone_log
    assert heard_seconds(tmp_path / "heard.wav", 1000) >= 2.0  # the caller heard the agent
    recordings = [p for p in tmp_path.glob("*.wav") if p.name not in ("agent.wav", "caller.wav",
                                                                      "heard.wav")]
    assert recordings and heard_seconds(recordings[0], 440) >= 2.0  # and the agent the caller
    os.killpg(phone.pid, signal.SIGINT)
    phone.wait(10)
    assert "logged out" in (tmp_path / "phone.log").read_text()
