"""The gateway's SIP worker processes: started, sized, supervised, replaced.

A worker holds as many calls as its pjsua2 build allows; a customer call
takes `lines_per_call` of them (the customer, the agent and a consult leg),
so the pool runs as many workers as the configured concurrent calls need.
A worker that exits is replaced at once on the same SIP port and RTP
ports; one that stays silent is killed and replaced, but only after
`silence_timeout` seconds that count against it (time the gateway's own
loop stalled and time the worker's loop waited for a CPU are not its
silence), and only when no report waits unread on the gateway's side. The
ACD is told which calls were lost.

`WorkerSwitch` is the ACD's switch: it sends each order to the worker that
holds the leg.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs
import zmq

from bus import cti
from bus import sipworker as msg
from bus.envelope import encode
from bus.keys import KeyPair
from cti_gateway.children import die_with_parent
from cti_gateway.config import PORTS_PER_LINE, RTP_PORT_MARGIN

log = logging.getLogger(__name__)

SILENCE_TIMEOUT = 15.0  # seconds of silence that count against a worker before it is killed
START_TIMEOUT = 20.0  # the same, from its start to its Hello
# Supervision runs every half second; a longer gap between two passes is the gateway's own
# stall, during which the workers' reports waited unread: only this much of a gap counts.
LONGEST_COUNTED_PASS = 1.0
BEHIND_WORTH_A_WORD = 5.0  # the gateway reading reports late for longer than this is logged
# A worker reports every second: its CPU wait is read (from /proc, for every pass) only once it
# has been silent this long, so that supervising a quiet pool reads nothing.
CPU_WAIT_AFTER = 2.0


class PoolError(Exception):
    """The pool cannot start; the message says why."""


@dataclass
class WorkerProcess:
    name: str
    host: str
    port: int
    process: subprocess.Popen | None = None
    state: str = "starting"  # starting, up, down
    rtp_ports: tuple[int, int] | None = None  # its own slice of the gateway's RTP ports
    pid: int | None = None
    lines: int = 0
    last_seen: float = 0.0  # when its last report was read
    silent_for: float = 0.0  # seconds since its last report that count against it
    cpu_waited: float | None = None  # its main thread's time waiting for a CPU, at the last pass
    over_limit: bool = False  # silent too long at the last pass already
    restarts: int = 0
    failures_in_row: int = 0
    restart_at: float | None = None
    legs: set[str] = field(default_factory=set)
    customer_legs: set[str] = field(default_factory=set)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def probe_lines(python: str = sys.executable) -> int:
    """How many calls one worker's pjsua2 build holds (the PyPI wheel: 4)."""
    code = ("import ctypes, pjsua2 as pj\n"
            "ctypes.CDLL(pj._pjsua2.__file__).pj_log_set_level(0)\n"
            "ep = pj.Endpoint(); ep.libCreate(); c = pj.EpConfig()\n"
            "c.uaConfig.maxCalls = 1024; c.uaConfig.threadCnt = 0; c.uaConfig.mainThreadOnly = True\n"
            "c.logConfig.level = 0; c.logConfig.consoleLevel = 0\n"
            "ep.libInit(c)\n"
            "print(ctypes.CDLL(pj._pjsua2.__file__).pjsua_call_get_max_count())\n"
            "ep.libDestroy()\n")
    result = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise PoolError(f"cannot load pjsua2 to read its capacity: {result.stderr.strip()[-500:]}")
    return int(result.stdout.strip().splitlines()[-1])


LINES_CACHE_NAME = "pjsua2-lines.json"


def cached_probe_lines(cache_dir: str | os.PathLike | None = None, python: str = sys.executable) -> int:
    """probe_lines(), remembered in the user's cache directory for this interpreter and this
    pjsua2 build: the probe spends a whole interpreter start and a pjsua2 start, on every
    start of the gateway, for a number that changes only when pjsua2 is installed again."""
    directory = Path(cache_dir) if cache_dir is not None else Path(platformdirs.user_cache_dir("cicada"))
    path = directory / LINES_CACHE_NAME
    key = _pjsua2_build_key(python)
    if key is None:
        return probe_lines(python)
    try:
        known = json.loads(path.read_text())
        if isinstance(known.get(key), int):
            return known[key]
    except (OSError, ValueError, AttributeError):
        known = {}
    lines = probe_lines(python)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        _replace_atomically(path, json.dumps({**known, key: lines}))
    except OSError as exc:  # a read-only cache costs only the next probe
        log.debug("cannot cache pjsua2's capacity in %s: %s", path, exc)
    return lines


def _pjsua2_build_key(python: str) -> str | None:
    """The interpreter and the size and time of each pjsua2 file it would load; None when this
    interpreter is not `python` or has no pjsua2 (then the probe itself says what is wrong)."""
    if os.path.realpath(python) != os.path.realpath(sys.executable):
        return None
    spec = importlib.util.find_spec("pjsua2")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent
    files = sorted(f for f in folder.iterdir() if f.name.startswith(("pjsua2", "_pjsua2")))
    stamps = [f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files]
    return hashlib.sha256("\n".join([python, str(folder), *stamps]).encode()).hexdigest()


def _replace_atomically(path: Path, text: str) -> None:
    """Gateways starting at once must not read a half-written cache."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def workers_needed(concurrent_calls: int, lines: int, lines_per_call: int) -> int:
    per_worker = max(1, lines // lines_per_call)
    return max(1, math.ceil(concurrent_calls / per_worker))


def rtp_slices(ports: tuple[int, int], workers: int, lines: int) -> list[tuple[int, int]]:
    """Each worker's own part of the RTP ports (first, last): disjoint, each starting on an even
    port (RTP even, RTCP odd) and holding every line's two ports twice over."""
    first = ports[0] + ports[0] % 2
    size = (ports[1] - first + 1) // workers // 2 * 2
    needed = lines * PORTS_PER_LINE * RTP_PORT_MARGIN
    if size < needed:
        raise PoolError(f"rtp_ports {ports[0]}-{ports[1]} give each of the {workers} SIP workers "
                        f"{max(size, 0)} ports; each needs {needed} ({lines} calls, RTP and RTCP, "
                        f"twice over): widen rtp_ports to at least {workers * needed} ports")
    return [(first + i * size, first + (i + 1) * size - 1) for i in range(workers)]


def main_thread_cpu_wait(pid: int) -> float | None:
    """Seconds the process's main thread has spent ready to run but waiting for a CPU
    (Linux schedstat); None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/task/{pid}/schedstat") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"the process was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"the process was killed by signal {-code}"
    return f"the process exited with code {code}"


def check_udp_port_free(host: str, port: int, what: str) -> None:
    probe = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.bind((host, port))
    except OSError as exc:
        raise PoolError(f"{what}: UDP port {port} on {host} is in use ({exc.strerror}); "
                        "is another gateway or Kamailio running?") from None
    finally:
        probe.close()


WORKER_KEY_VARIABLE = "CICADA_SIP_WORKER_KEY"


@dataclass(frozen=True)
class ControlKeys:
    """The workers' link is CURVE: the gateway's public key, and the key pair its workers
    present (made for each run; the gateway admits no other client on that socket)."""

    server: bytes
    worker: KeyPair

    def worker_secret_text(self) -> str:
        return (self.worker.public + b" " + self.worker.secret).decode("ascii")


def worker_keypair_from_environment() -> KeyPair | None:
    """In a worker: the key pair its gateway gave it, taken out of the environment."""
    text = os.environ.pop(WORKER_KEY_VARIABLE, "")
    public, _, secret = text.partition(" ")
    if not public or not secret:
        return None
    return KeyPair(public=public.encode("ascii"), secret=secret.encode("ascii"))


class WorkerPool:
    def __init__(self, *, host: str, ports: list[int], control_address: str, trusted: list[str],
                 lines_per_call: int, music_cache: str | None = None, verbose: bool = False,
                 on_report: Callable[[WorkerProcess, msg.Message], None],
                 on_lost: Callable[[WorkerProcess, str], None],
                 on_up: Callable[[WorkerProcess], None],
                 rtp_ports: tuple[int, int] | None = None, lines_per_worker: int = 4,
                 silence_timeout: float = SILENCE_TIMEOUT,
                 clock: Callable[[], float] = time.monotonic,
                 cpu_wait: Callable[[int], float | None] = main_thread_cpu_wait,
                 popen: Callable[..., subprocess.Popen] = subprocess.Popen,
                 control_keys: ControlKeys | None = None):
        self.control_keys = control_keys
        self.workers = {f"w{i + 1}": WorkerProcess(f"w{i + 1}", host, port)
                        for i, port in enumerate(ports)}
        self.rtp_ports, self.lines_per_worker = rtp_ports, lines_per_worker
        self.control_address = control_address
        self.trusted = trusted
        self.lines_per_call = lines_per_call
        self.music_cache = music_cache
        self.verbose = verbose
        self.on_report, self.on_lost, self.on_up = on_report, on_lost, on_up
        self.socket: zmq.Socket | None = None
        self.stopping = False
        self.silence_timeout = silence_timeout
        self.clock, self.cpu_wait, self.popen = clock, cpu_wait, popen
        self.last_pass: float | None = None
        self.behind_since: float | None = None  # reports have waited unread since

    @property
    def customers_per_worker(self) -> int:
        lines = max((w.lines for w in self.workers.values()), default=0)
        return max(1, lines // self.lines_per_call) if lines else 0

    # --- processes --------------------------------------------------------------------------------

    def spawn_all(self) -> None:
        for worker in self.workers.values():
            check_udp_port_free(worker.host, worker.port, f"SIP worker {worker.name}")
        self._share_rtp_ports()
        for worker in self.workers.values():
            self._spawn(worker)

    def _share_rtp_ports(self) -> None:
        """Each worker its own RTP ports, for good: a restarted worker keeps them."""
        if self.rtp_ports:
            slices = rtp_slices(self.rtp_ports, len(self.workers), self.lines_per_worker)
            for worker, ports in zip(self.workers.values(), slices):
                worker.rtp_ports = ports

    def _spawn(self, worker: WorkerProcess) -> None:
        command = [sys.executable, "-m", "cti_gateway.sip.worker", "--name", worker.name,
                   "--sip", worker.address, "--control", self.control_address,
                   "--lines-per-call", str(self.lines_per_call)]
        if worker.rtp_ports:
            command += ["--rtp-ports", "%d-%d" % worker.rtp_ports]
        for trusted in self.trusted:
            command += ["--trusted", trusted]
        if self.music_cache:
            command += ["--music-cache", self.music_cache]
        if self.verbose:
            command.append("--verbose")
        env = None
        if self.control_keys is not None:
            # the secret goes in the environment, which only the gateway's user may read (unlike argv)
            # one argument: a z85 key may begin with "-"
            command.append("--control-key=" + self.control_keys.server.decode("ascii"))
            env = {**os.environ, WORKER_KEY_VARIABLE: self.control_keys.worker_secret_text()}
        worker.process = self.popen(command, stdin=subprocess.DEVNULL, start_new_session=False,
                                    preexec_fn=die_with_parent, env=env)
        worker.pid = worker.process.pid
        worker.state = "starting"
        worker.last_seen = self.clock()
        worker.silent_for, worker.over_limit, worker.cpu_waited = 0.0, False, None
        worker.restart_at = None
        log.info("started SIP worker %s (pid %d) on %s, RTP ports %s", worker.name, worker.pid,
                 worker.address, "%d-%d" % worker.rtp_ports if worker.rtp_ports else "any")

    def all_up(self) -> bool:
        return all(w.state == "up" for w in self.workers.values())

    def failed_to_start(self) -> list[str]:
        return [f"{w.name} on {w.address} (exit code {w.process.returncode})"
                for w in self.workers.values()
                if w.state == "starting" and w.process is not None and w.process.poll() is not None]

    def supervise(self) -> None:
        """Called every half second: replace workers that exited, kill those silent too long,
        restart those whose turn has come."""
        now = self.clock()
        counted = self._counted_time(now)
        behind = self._behind_reading(now)
        for worker in self.workers.values():
            if worker.state == "down":
                if worker.restart_at is not None and now >= worker.restart_at and not self.stopping:
                    self._spawn(worker)
                continue
            code = worker.process.poll() if worker.process else None
            if code is not None:
                self._lost(worker, exit_reason(code))
            else:
                self._judge_silence(worker, counted, now, behind)

    def _counted_time(self, now: float) -> float:
        """The time since the last pass that may count as the workers' silence (none before
        the first pass: the gateway waits for its workers' hello itself while it starts)."""
        elapsed = 0.0 if self.last_pass is None else now - self.last_pass
        self.last_pass = now
        if elapsed > 2 * LONGEST_COUNTED_PASS:
            log.warning("the gateway's loop stalled for %.1f s; workers' reports waited unread", elapsed)
        return min(elapsed, LONGEST_COUNTED_PASS)

    def _behind_reading(self, now: float) -> bool:
        """Whether reports wait unread on the workers' socket (asked without reading them)."""
        waiting = self.socket is not None and bool(self.socket.get(zmq.EVENTS) & zmq.POLLIN)
        if waiting and self.behind_since is None:
            self.behind_since = now
        elif not waiting and self.behind_since is not None:
            if now - self.behind_since > BEHIND_WORTH_A_WORD:
                log.warning("the gateway read its workers' reports late for %.1f s; no worker was "
                            "judged silent meanwhile", now - self.behind_since)
            self.behind_since = None
        return waiting

    def _judge_silence(self, worker: WorkerProcess, counted: float, now: float, behind: bool) -> None:
        """Kill a worker silent too long: over the limit at two passes in a row, with the
        gateway's loop between them, and no report left unread (it may be the worker's)."""
        worker.silent_for += self._fair_share(worker, counted, now)
        limit = self.silence_timeout if worker.state == "up" else START_TIMEOUT
        over_limit = worker.silent_for > limit
        if over_limit and worker.over_limit and not behind:
            what = "sent nothing" if worker.state == "up" else "sent no hello"
            reason = (f"it {what} for {now - worker.last_seen:.1f} s, of which {worker.silent_for:.1f} s "
                      f"count against it (limit {limit:g} s; not counted: time its loop waited for "
                      f"a CPU or the gateway's loop stalled)")
            self._kill(worker)
            self._lost(worker, reason)
            return
        worker.over_limit = over_limit

    def _fair_share(self, worker: WorkerProcess, counted: float, now: float) -> float:
        """`counted`, less the time the worker's main thread waited for a CPU meanwhile: a
        worker starved by a saturated machine is late, not dead."""
        if now - worker.last_seen < CPU_WAIT_AFTER or worker.pid is None:
            worker.cpu_waited = None
            return counted
        waited = self.cpu_wait(worker.pid)
        starved = 0.0
        if waited is not None and worker.cpu_waited is not None:
            starved = max(0.0, waited - worker.cpu_waited)
        worker.cpu_waited = waited
        return max(0.0, counted - starved)

    def _kill(self, worker: WorkerProcess) -> None:
        if worker.process and worker.process.poll() is None:
            worker.process.kill()
            try:
                worker.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log.error("SIP worker %s (pid %s) does not die", worker.name, worker.pid)

    def _lost(self, worker: WorkerProcess, reason: str) -> None:
        was_up = worker.state == "up"
        worker.state = "down"
        worker.failures_in_row = worker.failures_in_row + 1 if not was_up else 1
        delay = min(30.0, 0.5 * 2 ** (worker.failures_in_row - 1))
        worker.restart_at = self.clock() + delay
        worker.restarts += 1
        log.error("SIP worker %s (pid %s) lost: %s; restarting in %.1f s", worker.name,
                  worker.pid, reason, delay)
        worker.legs.clear()
        worker.customer_legs.clear()
        self.on_lost(worker, reason)

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping = True
        for worker in self.workers.values():
            if worker.process and worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for worker in self.workers.values():
            if worker.process is None:
                continue
            try:
                worker.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()

    # --- reports ------------------------------------------------------------------------------------

    def handle_report(self, identity: bytes, report: msg.Message) -> None:
        worker = self.workers.get(identity.decode(errors="replace"))
        if worker is None:
            log.warning("report from an unknown worker %r", identity)
            return
        worker.last_seen = self.clock()
        worker.silent_for, worker.over_limit = 0.0, False
        if isinstance(report, msg.Hello):
            if report.pid != worker.pid:
                log.warning("hello from %s with pid %s, expected %s", worker.name, report.pid, worker.pid)
            worker.lines = report.lines
            worker.state = "up"
            worker.failures_in_row = 0
            self.on_up(worker)
            return
        if worker.state != "up":
            return  # a dying worker's last words
        if isinstance(report, msg.Incoming):
            worker.legs.add(report.leg)
            worker.customer_legs.add(report.leg)
        elif isinstance(report, (msg.LegEnded, msg.LegFailed)):
            worker.legs.discard(report.leg)
            worker.customer_legs.discard(report.leg)
        if not isinstance(report, msg.Heartbeat):
            self.on_report(worker, report)

    # --- orders ---------------------------------------------------------------------------------------

    def send(self, worker_name: str, order: msg.Message) -> None:
        worker = self.workers.get(worker_name)
        if worker is None or worker.state != "up" or self.socket is None:
            log.debug("order %s for %s dropped: the worker is not up", order, worker_name)
            return
        try:
            self.socket.send_multipart([worker_name.encode(), encode(order)], zmq.NOBLOCK)
        except zmq.ZMQError as exc:
            log.error("order for %s not sent: %s", worker_name, exc)

    def views(self) -> list[cti.WorkerView]:
        per_worker = self.customers_per_worker
        return [cti.WorkerView(name=w.name, state=w.state, pid=w.pid, sip_address=w.address,
                               lines=w.lines, lines_in_use=len(w.legs),
                               customer_calls=len(w.customer_legs),
                               max_customer_calls=per_worker, restarts=w.restarts)
                for w in self.workers.values()]


class WorkerSwitch:
    """The ACD's switch over the worker pool: each leg's orders go to the
    worker that holds it."""

    def __init__(self, pool: WorkerPool):
        self.pool = pool
        self.leg_worker: dict[str, str] = {}

    def leg_known(self, worker: str, leg: str) -> None:
        self.leg_worker[leg] = worker

    def leg_gone(self, leg: str) -> None:
        self.leg_worker.pop(leg, None)

    def worker_gone(self, worker: str) -> None:
        for leg in [leg for leg, w in self.leg_worker.items() if w == worker]:
            del self.leg_worker[leg]

    def _send(self, leg: str, order: msg.Message) -> None:
        worker = self.leg_worker.get(leg)
        if worker is not None:
            self.pool.send(worker, order)

    def answer(self, leg):
        self._send(leg, msg.Answer(leg=leg))

    def reject(self, leg, code, reason):
        self._send(leg, msg.Reject(leg=leg, code=code, reason=reason))
        self.leg_gone(leg)

    def hangup(self, leg):
        self._send(leg, msg.Hangup(leg=leg))

    def play_music(self, leg, music):
        self._send(leg, msg.PlayMusic(leg=leg, music=music))

    def announce(self, leg, announcement, then, music=None):
        self._send(leg, msg.Announce(leg=leg, announcement=announcement, then=then, music=music))

    def dial(self, worker, leg, uri, *, caller_id, headers, connect_to=None):
        self.leg_worker[leg] = worker
        process = self.pool.workers.get(worker)
        if process is not None:
            process.legs.add(leg)
        self.pool.send(worker, msg.Dial(leg=leg, uri=uri, caller_id=caller_id, headers=headers,
                                        connect_to=connect_to))

    def connect(self, legs):
        if legs:
            self._send(legs[0], msg.Connect(legs=list(legs)))

    def isolate(self, leg):
        self._send(leg, msg.Isolate(leg=leg))

    def send_dtmf(self, leg, digits):
        self._send(leg, msg.SendDtmf(leg=leg, digits=digits))

    def refer(self, leg, uri):
        self._send(leg, msg.Refer(leg=leg, uri=uri))

    def free_lines(self, worker):
        process = self.pool.workers.get(worker)
        if process is None or process.state != "up":
            return 0
        return process.lines - len(process.legs)

    def worker_for_new_call(self):
        """The up worker with the most room for one more customer call."""
        best, room = None, 0
        for process in self.pool.workers.values():
            if process.state != "up":
                continue
            free = process.lines - len(process.legs)
            customers_left = self.pool.customers_per_worker - len(process.customer_legs)
            if free >= self.pool.lines_per_call and customers_left > 0 and free > room:
                best, room = process.name, free
        return best


def python_executable() -> str:
    return os.environ.get("CICADA_WORKER_PYTHON", sys.executable)
