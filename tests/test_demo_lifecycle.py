"""`python3 dev.py demo` stopped with Ctrl-C, as a newcomer stops it: every
process it started ends and every port it took is free for the next demo."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gateway_harness import free_tcp_port, free_udp_range
from sipp_tools import free_udp_port

ROOT = Path(__file__).resolve().parent.parent


def descendants(root: int) -> dict[int, str]:
    """Every process below `root` now: pid → its command line."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = {}, [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            try:
                found[child] = (Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
                                .decode(errors="replace").strip())
            except OSError:
                continue
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def port_free(kind: int, port: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def demo_machine(tmp_path):
    """A fresh home and a configuration whose every port is free."""
    home = tmp_path / "home"
    home.mkdir()
    ports = {"sip": free_udp_port(), "commands": free_tcp_port(), "events": free_tcp_port(),
             "smtp": free_tcp_port(), "chat": free_tcp_port(), "mail_commands": free_tcp_port(),
             "mail_events": free_tcp_port(), "app": free_tcp_port(), "console": free_tcp_port()}
    config = tmp_path / "cicada.toml"
    config.write_text(
        "[gateway]\n"
        f'sip_address = "127.0.0.1:{ports["sip"]}"\n'
        f'commands = "tcp://127.0.0.1:{ports["commands"]}"\n'
        f'events = "tcp://127.0.0.1:{ports["events"]}"\n'
        f"worker_base_port = {free_udp_range(8)}\n"
        "concurrent_calls = 2\n"
        "[mailq]\n"
        f'smtp = "127.0.0.1:{ports["smtp"]}"\n'
        f'chat = "127.0.0.1:{ports["chat"]}"\n'
        f'commands = "tcp://127.0.0.1:{ports["mail_commands"]}"\n'
        f'events = "tcp://127.0.0.1:{ports["mail_events"]}"\n'
        "[app]\n"
        f'address = "127.0.0.1:{ports["app"]}"\n'
        "[console]\n"
        f'address = "127.0.0.1:{ports["console"]}"\n')
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / ".local/share"),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_CACHE_HOME": str(home / ".cache"),
           "CICADA_CONFIG": str(config), "PYTHONUNBUFFERED": "1", "QT_QPA_PLATFORM": "offscreen"}
    env.pop("CICADA_DB_URL", None)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env, ports


def start_demo(env: dict, log: Path, *args: str) -> subprocess.Popen:
    """In a session of its own, as in a terminal: Ctrl-C goes to its whole process group."""
    return subprocess.Popen([sys.executable, str(ROOT / "dev.py"), "demo", "--customers", "20", *args],
                            cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def wait_for_text(path: Path, texts: list[str], timeout: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        if all(t in text for t in texts):
            return
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"{texts} did not all appear:\n{path.read_text(errors='replace')[-4000:]}")


@pytest.mark.parametrize("variant", ["no desktop", "desktop"])
def test_ctrl_c_on_the_demo_leaves_no_process_and_no_port_taken(demo_machine, tmp_path, variant):
    env, ports = demo_machine
    args = ["--no-desktop"] if variant == "no desktop" else []
    if variant == "desktop":
        env = {**env, "DISPLAY": ":0"}  # a display it believes in; Qt draws offscreen
    log = tmp_path / "demo.log"
    demo = start_demo(env, log, *args)
    try:
        wait_for_text(log, ["application service ready", "gateway ready", "mail queue ready",
                            f"console ready: http://127.0.0.1:{ports['console']}/", "sign in as supervisor "
                            "(password supervisor-demo)"], 180, demo)
        time.sleep(2)  # the desktop and the phone start after the services
        started = descendants(demo.pid)
        assert any("mailq" in c for c in started.values()), started
        assert any("gateway" in c for c in started.values()), started
        assert any(c.endswith(" app") for c in started.values()), started
        assert any(c.endswith(" console") for c in started.values()), started
        if variant == "desktop":
            assert any(" desktop " in c for c in started.values()), started

        os.killpg(demo.pid, signal.SIGINT)  # what the terminal does on Ctrl-C

        assert demo.wait(60) in (0, 130), log.read_text()[-3000:]
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
    nothing_left(started, ports)


def test_dev_py_killed_leaves_no_demo_running_on_its_own(demo_machine, tmp_path):
    """kill -9 of dev.py alone: the demo it started is told to stop, and stops everything."""
    env, ports = demo_machine
    log = tmp_path / "demo.log"
    demo = start_demo(env, log, "--no-desktop")
    started: dict[int, str] = {}
    try:
        wait_for_text(log, ["application service ready", "gateway ready", "mail queue ready"], 180, demo)
        started = descendants(demo.pid)
        assert any("mailq" in c for c in started.values()) and any("gateway" in c for c in started.values())

        demo.kill()  # dev.py alone; the demo and its services are in other process groups or below it

        demo.wait(10)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
    nothing_left(started, ports, timeout=60)


def nothing_left(started: dict[int, str], ports: dict[str, int], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(pid) for pid in started):
        time.sleep(0.2)
    left = {pid: command for pid, command in started.items() if alive(pid)}
    for pid in left:
        with contextlib.suppress(ProcessLookupError):  # it may end on its own meanwhile
            os.kill(pid, signal.SIGKILL)
    assert not left, f"left running: {left}"
    assert port_free(socket.SOCK_DGRAM, ports["sip"])
    for name in ("commands", "events", "smtp", "chat", "mail_commands", "mail_events", "app"):
        assert port_free(socket.SOCK_STREAM, ports[name]), name
