"""The SIP test toolkit: SIPp processes and a test's own RTP endpoint.

`Sipp` runs one SIPp process on 127.0.0.1 with a scenario from tests/sipp/
(see tests/sipp/README.md), in a directory of its own, and reads back what
happened: successful and failed calls, the error log, and the events the
scenarios write with <log> (e.g. which X-Cicada-Call-Id an agent's phone got).

`RtpPeer` is the media of a customer or of an agent's phone: one UDP socket
that sends a steady tone as G.711 and analyses what it receives, so a test can
prove that audio crossed a bridge, and that RFC 2833 digits arrived.

`Kamailio` runs a proxy from a test's own kamailio.cfg, as a child process.

    with RtpPeer(tone_hz=1000) as agent_media, Sipp("agent", rtp=agent_media) as agent_phone:
        with RtpPeer(tone_hz=440) as customer_media:
            customer = Sipp("customer", remote=gateway_address, rtp=customer_media,
                            service="4008001001", keys={"hold_ms": 3000}, calls=1).start()
            assert customer_media.wait_for_tone(1000, min_seconds=1.0), customer_media.describe()
            result = customer.wait(10)
            assert result.ok, result.describe()
        assert agent_phone.call_ids() == [...]
"""

from __future__ import annotations

import atexit
import csv
import math
import os
import random
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import ports
from conftest import missing_external

LOCALHOST = "127.0.0.1"
SCENARIO_DIR = Path(__file__).resolve().parent / "sipp"

Address = tuple[str, int]


# --- ports -------------------------------------------------------------------

def free_udp_port(host: str = LOCALHOST) -> int:
    """A port nobody holds right now, from this test process's own share (tests/ports.py)."""
    return ports.free_port()


def sipp_media_ports() -> range:
    """Where this test process picks SIPp's media ports (tests/ports.py)."""
    return ports.worker_share(ports.sipp_media_region())


def gateway_rtp_ports() -> range:
    """Where this test process's gateways take their RTP ports: below SIPp's media ports."""
    return ports.worker_share(ports.gateway_rtp_region())


def free_udp_port_pair(host: str = LOCALHOST, gap: int = 2) -> int:
    """A free port whose neighbours up to `gap` + 1 above are free too (SIPp binds -mp
    and -mp+2 for audio and video, each with its RTCP port, when a call starts).

    Picked below the kernel's ephemeral range: SIPp binds them only when the call
    starts, and a port there may meanwhile go to any socket bound to port 0 (an RTP
    peer, a SIP worker); and from this test process's share, above the gateways' RTP ports.
    """
    media = sipp_media_ports()
    for _ in range(200):
        port = random.randrange(media.start + media.start % 2, media.stop - gap - 2, 2)
        if all(_udp_port_free(host, port + i) for i in range(gap + 2)):
            return port
    raise RuntimeError("no pair of free UDP ports found")


def udp_port_bound(port: int) -> bool:
    """Whether any socket is bound to this UDP port (read from /proc, never by binding it)."""
    return port in udp_ports_bound()


def udp_ports_bound() -> set[int]:
    """The UDP ports that sockets on this machine are bound to (read from /proc)."""
    bound = set()
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        bound.update(int(line.split()[1].rsplit(":", 1)[1], 16) for line in lines)
    return bound


def _udp_port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_udp_port(port: int, timeout: float, alive=lambda: True) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if udp_port_bound(port):
            return True
        if not alive():
            return False
        time.sleep(0.01)
    return False


# --- SIPp --------------------------------------------------------------------

def sipp_path() -> str | None:
    return shutil.which("sipp")


def require_sipp() -> str:
    """The sipp binary; skips the test without it (fails it when CICADA_REQUIRE_EXTERNAL=1)."""
    path = sipp_path()
    if path is None:
        missing_external("SIPp (Debian package sip-tester)")
    return path


def scenario_path(scenario: str | Path) -> Path:
    """A scenario by name ("agent") from tests/sipp/, or any path to a SIPp XML file."""
    path = Path(scenario)
    if path.suffix != ".xml":
        path = SCENARIO_DIR / f"{scenario}.xml"
    if not path.is_file():
        raise FileNotFoundError(f"no SIPp scenario {path}")
    return path


_KEY_LINE = re.compile(r'^\s*key (\w+)=("[^"]*"|\S+)', re.MULTILINE)


def scenario_defaults(path: Path) -> dict[str, str]:
    """The `key NAME=DEFAULT` lines of a scenario's header comment.

    SIPp refuses to start when a [key] of the scenario has no -key value, so
    every key is passed, with these defaults for the ones a test leaves out.
    """
    head = path.read_text(encoding="latin-1").split("<scenario", 1)[0]
    return {name: value.strip('"') for name, value in _KEY_LINE.findall(head)}


_SIPP_NOISE = re.compile(r"receive timeout on message \S+ without label|jumping to label")
_running: set = set()  # SIPp and Kamailio processes to end at exit if a test did not


@dataclass
class SippResult:
    """How a SIPp run ended, with everything an assertion message needs."""

    name: str
    returncode: int | None
    successful: int
    failed: int
    timed_out: bool
    workdir: Path
    command: list[str]
    error_log: Path
    event_log: Path
    message_log: Path | None
    stat_file: Path
    output_file: Path

    @property
    def ok(self) -> bool:
        """SIPp ended by itself with every call successful (exit code 0)."""
        return self.returncode == 0 and self.failed == 0 and not self.timed_out

    def errors(self, last: int = 40) -> list[str]:
        return _tail(self.error_log, last)

    def describe(self) -> str:
        state = "timed out and was stopped" if self.timed_out else f"exit code {self.returncode}"
        lines = [
            f"SIPp {self.name}: {state}, {self.successful} successful and {self.failed} failed calls",
            f"  in {self.workdir}",
            f"  command: {' '.join(self.command)}",
        ]
        sections = [("errors", self.errors()), ("events", _tail(self.event_log, 20))]
        if not self.ok and not sections[0][1]:
            sections.append(("output", _tail(self.output_file, 10)))
        for title, text in sections:
            if text:
                lines.append(f"  last {title}:")
                lines.extend(f"    {line}" for line in text)
        return "\n".join(lines)


class Sipp:
    """One SIPp process on 127.0.0.1, in a directory of its own.

    scenario: a name from tests/sipp/ ("customer", "agent", ...) or a path.
    remote:   (host, port) or "host:port" to send to (uac scenarios).
    port:     local SIP port; a free one by default (see .port / .address).
    keys:     -key values; the scenario's own defaults fill the rest.
    rtp:      an RtpPeer (or (ip, port)) whose address goes into the SDP as
              keys rtp_ip/rtp_port.
    service:  -s, the Request-URI user of a uac scenario.
    calls, rate, limit: -m, -r, -l.   rate_period_ms: -rp.
    trace_messages: also write every SIP message to messages.log.
    workdir:  where SIPp runs and writes its logs; pass pytest's tmp_path / "name"
              to keep them after the test (else a directory removed at exit).
    lifetime: SIPp's own -timeout, so that it dies even if the test is killed.
    """

    def __init__(
        self,
        scenario: str | Path,
        *,
        remote: Address | str | None = None,
        port: int | None = None,
        keys: Mapping[str, object] | None = None,
        rtp: RtpPeer | Address | None = None,
        service: str | None = None,
        calls: int | None = None,
        rate: float | None = None,
        rate_period_ms: int | None = None,
        limit: int | None = None,
        trace_messages: bool = True,
        extra_args: Iterable[str] = (),
        workdir: Path | None = None,
        name: str | None = None,
        lifetime: float = 120.0,
    ):
        self.scenario = scenario_path(scenario)
        self.name = name or self.scenario.stem
        self.remote = _address_text(remote) if remote is not None else None
        self.port = port or free_udp_port()
        self.media_port = free_udp_port_pair()
        self.control_port = free_udp_port("0.0.0.0")
        self.keys = self._all_keys(keys or {}, rtp)
        self.service = service
        self.calls, self.rate, self.rate_period_ms, self.limit = calls, rate, rate_period_ms, limit
        self.trace_messages = trace_messages
        self.extra_args = list(extra_args)
        self.lifetime = lifetime
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix=f"{self.name}-", dir=_session_dir()))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen | None = None
        self.result: SippResult | None = None

    @property
    def address(self) -> Address:
        return (LOCALHOST, self.port)

    @property
    def uri(self) -> str:
        return f"sip:{LOCALHOST}:{self.port}"

    def _all_keys(self, keys: Mapping[str, object], rtp) -> dict[str, str]:
        media = {"media_ip": LOCALHOST, "media_port": str(self.media_port)}
        merged = {k: v.format(**media) for k, v in scenario_defaults(self.scenario).items()}
        if rtp is not None:
            rtp_ip, rtp_port = rtp.address if isinstance(rtp, RtpPeer) else rtp
            merged.update(rtp_ip=rtp_ip, rtp_port=str(rtp_port))
        merged.update({k: str(v) for k, v in keys.items()})
        return merged

    def command(self) -> list[str]:
        cmd = [
            require_sipp(), "-sf", str(self.scenario),
            "-i", LOCALHOST, "-p", str(self.port),
            "-mi", LOCALHOST, "-mp", str(self.media_port), "-cp", str(self.control_port),
            "-nostdin", "-timeout", f"{int(self.lifetime)}s",
            "-trace_err", "-error_file", "errors.log",
            "-trace_stat", "-stf", "stat.csv", "-fd", "1",
            "-trace_logs", "-log_file", "events.log",
        ]
        if self.trace_messages:
            cmd += ["-trace_msg", "-message_file", "messages.log"]
        for key, value in self.keys.items():
            cmd += ["-key", key, value]
        for flag, value in (("-s", self.service), ("-m", self.calls), ("-r", self.rate),
                            ("-rp", self.rate_period_ms), ("-l", self.limit)):
            if value is not None:
                cmd += [flag, str(value)]
        cmd += self.extra_args
        if self.remote:
            cmd.append(self.remote)
        return cmd

    def start(self, ready_timeout: float = 5.0) -> Sipp:
        """Start SIPp and return once its SIP port is bound (so a uas is ready for calls)."""
        if self.process is not None:
            return self
        self._command = self.command()
        with open(self.workdir / "output.log", "wb") as output:
            self.process = subprocess.Popen(
                self._command, cwd=self.workdir, stdin=subprocess.DEVNULL,
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )
        _running.add(self)
        if not wait_for_udp_port(self.port, ready_timeout, alive=self.running):
            result = self.stop()
            raise RuntimeError(f"SIPp did not start listening on {self.port}\n{result.describe()}")
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait(self, timeout: float) -> SippResult:
        """Wait for SIPp to finish its -m calls; past the timeout it is stopped."""
        assert self.process is not None, "start() first"
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return self.stop(timed_out=True)
        return self._finish(timed_out=False)

    def stop(self, grace: float = 2.0, timed_out: bool = False) -> SippResult:
        """End SIPp: SIGUSR1 lets the calls in progress finish (SIPp takes no new
        ones), then SIGKILL after `grace` seconds; killed calls get no BYE."""
        if self.result is not None:
            return self.result
        if self.running():
            self.process.send_signal(signal.SIGUSR1)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self._finish(timed_out)

    def _finish(self, timed_out: bool) -> SippResult:
        _running.discard(self)
        successful, failed = self.counts()
        self.result = SippResult(
            name=self.name, returncode=self.process.returncode if self.process else None,
            successful=successful, failed=failed, timed_out=timed_out, workdir=self.workdir,
            command=getattr(self, "_command", []), error_log=self.workdir / "errors.log",
            event_log=self.workdir / "events.log",
            message_log=self.workdir / "messages.log" if self.trace_messages else None,
            stat_file=self.workdir / "stat.csv", output_file=self.workdir / "output.log",
        )
        return self.result

    def counts(self) -> tuple[int, int]:
        """(successful, failed) calls so far, from the statistics SIPp writes every second."""
        return read_call_counts(self.workdir / "stat.csv")

    def events(self) -> list[dict[str, str]]:
        """The scenario's <log> lines as dicts, e.g. {"event": "invite", "cicada_call_id": "42", ...}."""
        return read_events(self.workdir / "events.log")

    def call_ids(self) -> list[str]:
        """The X-Cicada-Call-Id of every INVITE this agent's phone got, in order."""
        return [e["cicada_call_id"] for e in self.events()
                if e.get("event") in ("invite", "busy") and e.get("cicada_call_id")]

    def wait_for_event(self, event: str, count: int = 1, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum(e.get("event") == event for e in self.events()) >= count:
                return True
            time.sleep(0.02)
        return False

    def __enter__(self) -> Sipp:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


_session_root: list[str] = []


def _session_dir() -> str:
    """A temporary directory for runs given no workdir, removed when the tests end."""
    if not _session_root:
        _session_root.append(tempfile.mkdtemp(prefix="cicada-sipp-"))
        atexit.register(_remove_session_dir)
    return _session_root[0]


def _remove_session_dir() -> None:
    _stop_forgotten_processes()
    shutil.rmtree(_session_root[0], ignore_errors=True)


def read_call_counts(stat_file: Path) -> tuple[int, int]:
    try:
        rows = list(csv.reader(stat_file.read_text().splitlines(), delimiter=";"))
    except OSError:
        return (0, 0)
    if len(rows) < 2:
        return (0, 0)
    last = dict(zip(rows[0], rows[-1]))
    return (int(last.get("SuccessfulCall(C)") or 0), int(last.get("FailedCall(C)") or 0))


def read_events(event_log: Path) -> list[dict[str, str]]:
    try:
        text = event_log.read_text(errors="replace")
    except OSError:
        return []
    events = []
    for line in text.splitlines():
        if line.startswith("event="):
            events.append(dict(part.split("=", 1) for part in line.split() if "=" in part))
    return events


def _tail(path: Path, count: int) -> list[str]:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    # SIPp writes its error entries without line breaks; split on their timestamps.
    text = re.sub(r"(\d{4}-\d\d-\d\d\t\d\d:\d\d:\d\d\.\d+\t)", r"\n\1", text)
    lines = [line for line in text.splitlines() if line.strip() and not _SIPP_NOISE.search(line)]
    return lines[-count:]


def _address_text(address: Address | str) -> str:
    if isinstance(address, str):
        return address
    host, port = address
    return f"{host}:{port}"


@atexit.register
def _stop_forgotten_processes() -> None:
    for process in list(_running):
        process.stop(grace=0.5)


# --- Kamailio ----------------------------------------------------------------

def kamailio_path() -> str | None:
    return shutil.which("kamailio") or next(
        (p for p in ("/usr/sbin/kamailio", "/usr/local/sbin/kamailio") if os.access(p, os.X_OK)), None)


def require_kamailio() -> str:
    """The kamailio binary; skips the test without it (fails it when CICADA_REQUIRE_EXTERNAL=1)."""
    path = kamailio_path()
    if path is None:
        missing_external("Kamailio (Debian package kamailio)")
    return path


class Kamailio:
    """Kamailio as a child process on 127.0.0.1, its runtime files in a directory of its own.

    config: the whole kamailio.cfg; it must listen on udp:127.0.0.1:{port}
    (format it with .port, a free port chosen here, before passing it, or
    pass port= yourself). Log lines (stderr) go to kamailio.log.
    """

    def __init__(self, config: str, *, port: int, workdir: Path, shared_memory_mb: int = 64):
        self.port = port
        self.workdir = Path(workdir)
        self.rundir = self.workdir / "run"
        self.config_file = self.workdir / "kamailio.cfg"
        self.log_file = self.workdir / "kamailio.log"
        self.shared_memory_mb = shared_memory_mb
        self.process: subprocess.Popen | None = None
        self.rundir.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(config)

    @property
    def address(self) -> Address:
        return (LOCALHOST, self.port)

    def start(self, ready_timeout: float = 10.0) -> Kamailio:
        binary = require_kamailio()
        # A second Kamailio binds the same port without complaint: refuse instead.
        if udp_port_bound(self.port):
            raise RuntimeError(f"UDP port {self.port} is taken; Kamailio not started")
        check = subprocess.run([binary, "-c", "-f", str(self.config_file)],
                               capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            raise RuntimeError(f"kamailio.cfg rejected:\n{check.stderr[-3000:]}")
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(
                [binary, "-DD", "-E", "-Y", str(self.rundir), "-P", str(self.rundir / "kamailio.pid"),
                 "-m", str(self.shared_memory_mb), "-f", str(self.config_file)],
                cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _running.add(self)
        if not wait_for_udp_port(self.port, ready_timeout, alive=self.running):
            self.stop()
            raise RuntimeError(f"Kamailio did not start listening on {self.port}:\n{self.log()[-3000:]}")
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM to the main process (it ends its children), then SIGKILL to its process group."""
        _running.discard(self)
        if not self.running():
            return
        self.process.terminate()
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> Kamailio:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- G.711 -------------------------------------------------------------------

PCMU, PCMA = 0, 8
SAMPLE_RATE = 8000
FRAME_SAMPLES = 160  # 20 ms


def _alaw_to_linear(code: int) -> int:
    code ^= 0x55
    magnitude = (code & 0x0F) << 4
    segment = (code & 0x70) >> 4
    if segment == 0:
        magnitude += 8
    elif segment == 1:
        magnitude += 0x108
    else:
        magnitude = (magnitude + 0x108) << (segment - 1)
    return magnitude if code & 0x80 else -magnitude


def _ulaw_to_linear(code: int) -> int:
    code = ~code & 0xFF
    magnitude = (((code & 0x0F) << 3) + 0x84) << ((code & 0x70) >> 4)
    return 0x84 - magnitude if code & 0x80 else magnitude - 0x84


ALAW_TO_LINEAR = tuple(_alaw_to_linear(c) for c in range(256))
ULAW_TO_LINEAR = tuple(_ulaw_to_linear(c) for c in range(256))
_ALAW_SEGMENT_ENDS = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)
_ULAW_SEGMENT_ENDS = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)


def linear_to_alaw(sample: int) -> int:
    value = sample >> 3
    if value >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        value = -value - 1
    segment = next((i for i, end in enumerate(_ALAW_SEGMENT_ENDS) if value <= end), 8)
    if segment == 8:
        return 0x7F ^ mask
    code = segment << 4
    code |= (value >> (1 if segment < 2 else segment)) & 0x0F
    return code ^ mask


def linear_to_ulaw(sample: int) -> int:
    value = sample >> 2
    if value < 0:
        value, mask = -value, 0x7F
    else:
        mask = 0xFF
    value = min(value, 8159) + (0x84 >> 2)
    segment = next((i for i, end in enumerate(_ULAW_SEGMENT_ENDS) if value <= end), 8)
    if segment == 8:
        return 0x7F ^ mask
    return ((segment << 4) | ((value >> (segment + 1)) & 0x0F)) ^ mask


def encode_g711(samples: Iterable[int], payload_type: int) -> bytes:
    encode = linear_to_alaw if payload_type == PCMA else linear_to_ulaw
    return bytes(encode(s) for s in samples)


def decode_g711(payload: bytes, payload_type: int) -> array:
    table = ALAW_TO_LINEAR if payload_type == PCMA else ULAW_TO_LINEAR
    return array("h", (table[b] for b in payload))


def tone_samples(freq_hz: float, seconds: float = 1.0, amplitude: float = 0.3) -> array:
    count = int(SAMPLE_RATE * seconds)
    peak = amplitude * 32767
    step = 2 * math.pi * freq_hz / SAMPLE_RATE
    return array("h", (int(round(peak * math.sin(step * n))) for n in range(count)))


# --- signal analysis ---------------------------------------------------------

def tone_share(samples: array, freq_hz: float) -> float:
    """Share (0..1) of the block's power that sits at freq_hz (Goertzel)."""
    n = len(samples)
    total = sum(s * s for s in samples)
    if n == 0 or total == 0:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * freq_hz / SAMPLE_RATE)
    s1 = s2 = 0.0
    for sample in samples:
        s1, s2 = sample + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return min(1.0, (2 * power / n) / total)


def rms(samples: array) -> float:
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0


# --- RTP peer ------------------------------------------------------------------

WINDOW_SAMPLES = 800  # 100 ms
DTMF_EVENTS = "0123456789*#ABCD"


@dataclass
class _Window:
    """100 ms of received audio, stamped with the arrival time of its last packet."""

    at: float
    samples: array
    rms: float
    shares: dict[float, float] = field(default_factory=dict)


@dataclass
class _OutgoingDigit:
    code: int
    timestamp: int
    frames: int
    sent: int = 0
    end_packets_left: int = 3


class RtpPeer:
    """A test's own RTP endpoint on one UDP socket (pjmedia latches on to the
    address RTP comes from, so it must send from the address its SDP names).

    It sends a continuous tone (or silence with tone_hz=None) as G.711, 20 ms
    frames, to the address set with send_to() or else to the source of the
    latest packet it received (symmetric RTP). It decodes PCMA and PCMU by
    payload type, keeps the audio in 100 ms windows for tone analysis, and
    records RFC 2833 digits. Times are time.monotonic() values.
    """

    def __init__(
        self,
        tone_hz: float | None = 440.0,
        *,
        host: str = LOCALHOST,
        payload_type: int = PCMA,
        dtmf_payload_type: int = 101,
        amplitude: float = 0.3,
        silence_rms: float = 100.0,
        min_share: float = 0.6,
        remote: Address | None = None,
    ):
        self.payload_type = payload_type
        self.dtmf_payload_type = dtmf_payload_type
        self.silence_rms = silence_rms
        self.min_share = min_share
        self.amplitude = amplitude
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((host, 0))
        self._remote: Address | None = remote
        self._remote_fixed = remote is not None
        self._lock = threading.Lock()
        self._windows: list[_Window] = []
        self._pending = array("h")
        self._digits: list[tuple[float, str]] = []
        self._seen_events: set[tuple[int, int]] = set()
        self._outgoing_digits: list[str] = []
        self._digit: _OutgoingDigit | None = None
        self._next_digit_at = 0.0
        self.packets_received = 0
        self.packets_sent = 0
        self.last_packet_at: float | None = None
        self.set_tone(tone_hz)
        self._seq = random.randrange(1 << 16)
        self._timestamp = random.randrange(1 << 32)
        self._ssrc = random.randrange(1 << 32)
        self._marker = True
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rtp-peer-{self.port}", daemon=True)
        self._thread.start()

    # where it is
    @property
    def address(self) -> Address:
        return self._sock.getsockname()

    @property
    def ip(self) -> str:
        return self.address[0]

    @property
    def port(self) -> int:
        return self.address[1]

    @property
    def remote(self) -> Address | None:
        return self._remote

    def send_to(self, address: Address) -> None:
        """Send to this address from now on, whatever the source of incoming RTP."""
        self._remote, self._remote_fixed = tuple(address), True

    # what it sends
    def set_tone(self, tone_hz: float | None) -> None:
        """Change the tone; None sends silence (packets keep flowing)."""
        self.tone_hz = tone_hz
        samples = tone_samples(tone_hz, 1.0, self.amplitude) if tone_hz else array("h", [0] * SAMPLE_RATE)
        self._tone_payload = encode_g711(samples, self.payload_type)
        self._tone_offset = 0

    def send_dtmf(self, digits: str, duration_ms: int = 100, gap_ms: int = 100) -> None:
        """Queue RFC 2833 events (0-9 * # A-D); they go out one after another
        in place of audio, each ending with three end-of-event packets."""
        unknown = set(digits) - set(DTMF_EVENTS)
        if unknown:
            raise ValueError(f"not DTMF digits: {''.join(sorted(unknown))}")
        self._dtmf_frames = max(1, duration_ms // 20)
        self._dtmf_gap = gap_ms / 1000
        with self._lock:
            self._outgoing_digits.extend(digits)

    @property
    def dtmf_pending(self) -> bool:
        with self._lock:
            return bool(self._outgoing_digits) or self._digit is not None

    # what it heard
    @property
    def digits_received(self) -> str:
        with self._lock:
            return "".join(d for _, d in self._digits)

    def digits_since(self, since: float) -> str:
        with self._lock:
            return "".join(d for at, d in self._digits if at >= since)

    def tone_seconds(self, freq_hz: float, since: float | None = None) -> float:
        """Seconds of received audio in which freq_hz held at least min_share of the power."""
        return sum(0.1 for w in self._windows_since(since)
                   if w.rms >= self.silence_rms and self._share(w, freq_hz) >= self.min_share)

    def heard(self, freq_hz: float, min_seconds: float = 0.5, since: float | None = None) -> bool:
        """The tone was present, clearly above everything else, for min_seconds in
        total (since a time.monotonic() value, if given)."""
        return self.tone_seconds(freq_hz, since) >= min_seconds - 1e-9

    def sound_seconds(self, since: float | None = None) -> float:
        """Seconds of received audio louder than silence_rms, whatever it was."""
        return sum(0.1 for w in self._windows_since(since) if w.rms >= self.silence_rms)

    def silent_seconds(self, since: float | None = None) -> float:
        """Seconds of received audio quieter than silence_rms."""
        return sum(0.1 for w in self._windows_since(since) if w.rms < self.silence_rms)

    def silent_since(self, since: float) -> bool:
        """Nothing audible arrived since then (silent packets, or none at all)."""
        return self.sound_seconds(since) == 0

    def wait_for_tone(self, freq_hz: float, min_seconds: float = 0.5, timeout: float = 5.0,
                      since: float | None = None) -> bool:
        return _wait_until(lambda: self.heard(freq_hz, min_seconds, since), timeout)

    def wait_for_digits(self, digits: str, timeout: float = 5.0, since: float | None = None) -> bool:
        received = (lambda: self.digits_since(since)) if since is not None else (lambda: self.digits_received)
        return _wait_until(lambda: digits in received(), timeout)

    def wait_for_packets(self, count: int = 1, timeout: float = 5.0) -> bool:
        return _wait_until(lambda: self.packets_received >= count, timeout)

    def wait_until_dtmf_sent(self, timeout: float = 5.0) -> bool:
        return _wait_until(lambda: not self.dtmf_pending, timeout)

    def describe(self, freqs: Iterable[float] = (440, 1000)) -> str:
        """A summary for assertion messages."""
        heard = ", ".join(f"{f:g} Hz {self.tone_seconds(f):.1f} s" for f in freqs)
        return (f"RtpPeer {self.ip}:{self.port} (sends {self.tone_hz} Hz to {self._remote}): "
                f"{self.packets_sent} packets sent, {self.packets_received} received, "
                f"{self.sound_seconds():.1f} s sound, {self.silent_seconds():.1f} s silence, "
                f"heard {heard}, digits {self.digits_received!r}")

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(2)
        self._sock.close()

    def __enter__(self) -> RtpPeer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # the thread: one socket, sends every 20 ms, receives in between
    def _run(self) -> None:
        next_send = time.monotonic()
        while not self._stopping.is_set():
            wait = max(0.0, next_send - time.monotonic())
            readable, _, _ = select.select([self._sock], [], [], wait)
            if readable:
                self._receive()
            now = time.monotonic()
            if now >= next_send:
                self._send_frame(now)
                # keep the 50/s cadence, but do not burst after a stall
                next_send = max(next_send + 0.02, now - 0.02)

    def _receive(self) -> None:
        try:
            data, source = self._sock.recvfrom(2048)
        except OSError:
            return
        packet = _parse_rtp(data)
        if packet is None:
            return
        payload_type, timestamp, ssrc, payload = packet
        now = time.monotonic()
        self.packets_received += 1
        self.last_packet_at = now
        if not self._remote_fixed:
            self._remote = source
        if payload_type in (PCMA, PCMU):
            self._add_audio(decode_g711(payload, payload_type), now)
        elif payload_type >= 96 and len(payload) == 4:
            self._add_event(payload, timestamp, ssrc, now)

    def _add_audio(self, samples: array, now: float) -> None:
        self._pending.extend(samples)
        while len(self._pending) >= WINDOW_SAMPLES:
            block = self._pending[:WINDOW_SAMPLES]
            del self._pending[:WINDOW_SAMPLES]
            with self._lock:
                self._windows.append(_Window(now, block, rms(block)))

    def _add_event(self, payload: bytes, timestamp: int, ssrc: int, now: float) -> None:
        event = payload[0]
        if event >= len(DTMF_EVENTS) or (ssrc, timestamp) in self._seen_events:
            return
        self._seen_events.add((ssrc, timestamp))
        with self._lock:
            self._digits.append((now, DTMF_EVENTS[event]))

    def _send_frame(self, now: float) -> None:
        remote = self._remote
        timestamp = self._timestamp
        self._timestamp = (self._timestamp + FRAME_SAMPLES) & 0xFFFFFFFF
        if remote is None:
            return
        event = self._dtmf_packet(now, timestamp)
        if event is not None:
            for payload, event_timestamp, marker in event:
                self._send(remote, self.dtmf_payload_type, event_timestamp, marker, payload)
            return
        start = self._tone_offset
        self._tone_offset = (start + FRAME_SAMPLES) % len(self._tone_payload)
        self._send(remote, self.payload_type, timestamp, self._marker,
                   self._tone_payload[start:start + FRAME_SAMPLES])
        self._marker = False

    def _dtmf_packet(self, now: float, timestamp: int) -> list[tuple[bytes, int, bool]] | None:
        """The event packets to send in this 20 ms slot instead of audio, if any."""
        with self._lock:
            if self._digit is None:
                if not self._outgoing_digits or now < self._next_digit_at:
                    return None
                code = DTMF_EVENTS.index(self._outgoing_digits.pop(0))
                self._digit = _OutgoingDigit(code, timestamp, self._dtmf_frames)
            digit = self._digit
        if digit.sent < digit.frames:
            digit.sent += 1
            ended = digit.sent == digit.frames
            marker = digit.sent == 1
        else:
            ended, marker = True, False
        if ended:
            digit.end_packets_left -= 1
            if digit.end_packets_left == 0:
                with self._lock:
                    self._digit = None
                self._next_digit_at = now + self._dtmf_gap
        payload = struct.pack("!BBH", digit.code, (0x80 if ended else 0) | 10,
                              digit.sent * FRAME_SAMPLES)
        return [(payload, digit.timestamp, marker)]

    def _send(self, remote: Address, payload_type: int, timestamp: int, marker: bool, payload: bytes) -> None:
        header = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | payload_type,
                             self._seq, timestamp, self._ssrc)
        self._seq = (self._seq + 1) & 0xFFFF
        try:
            self._sock.sendto(header + payload, remote)
            self.packets_sent += 1
        except OSError:
            pass

    def _windows_since(self, since: float | None) -> list[_Window]:
        with self._lock:
            windows = list(self._windows)
        return windows if since is None else [w for w in windows if w.at >= since]

    def _share(self, window: _Window, freq_hz: float) -> float:
        share = window.shares.get(freq_hz)
        if share is None:
            share = window.shares[freq_hz] = tone_share(window.samples, freq_hz)
        return share


def _parse_rtp(data: bytes) -> tuple[int, int, int, bytes] | None:
    """(payload type, timestamp, ssrc, payload) of an RTP packet, None for anything else."""
    if len(data) < 12 or data[0] >> 6 != 2:
        return None
    payload_type = data[1] & 0x7F
    if 72 <= payload_type <= 76:  # RTCP sent to the RTP port
        return None
    _, timestamp, ssrc = struct.unpack("!HII", data[2:12])
    offset = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10 and len(data) >= offset + 4:
        offset += 4 + 4 * struct.unpack("!H", data[offset + 2:offset + 4])[0]
    end = len(data) - (data[-1] if data[0] & 0x20 else 0)
    return payload_type, timestamp, ssrc, data[offset:end]


def _wait_until(condition, timeout: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)
