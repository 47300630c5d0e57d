"""The `[gateway]` section of the configuration file, and its defaults.

With no section at all the gateway runs the demo contact center: SIP on
127.0.0.1:5060, desktops' commands and events on 127.0.0.1:5570/5571, and
eight queues (billing, technical, sales and general, in Mandarin and in
English) matching the demo data's skills and org units.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import msgspec
import platformdirs

from cti_gateway import prompts
from cti_gateway.acd import AcdSettings, OverflowTarget, QueueConfig, Strategy


class GatewayConfigError(ValueError):
    """The [gateway] section cannot be used; the message says what and where."""


class QueueSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str
    numbers: list[str] = []
    skills: dict[str, int] = {}
    strategy: str = "longest_idle"
    service_level: float = 20.0
    max_length: int | None = None
    max_wait: float | None = None
    overflow: str = "hangup"
    music: str | None = None
    language: str = "en"
    welcome: bool = True
    announce_every: float | None = 30.0
    ring_timeout: float | None = None
    wrap_up_seconds: float | None = None
    org_units: list[str] = []  # CRM org unit codes: their supervisors see the queue (crm.services.supervision)


class GatewaySection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    sip_address: str = "127.0.0.1:5060"
    commands: str = "tcp://127.0.0.1:5570"
    events: str = "tcp://127.0.0.1:5571"
    public_key: str | None = None  # for clients on other hosts: the gateway's (`cicada keys show`)
    concurrent_calls: int = 8
    lines_per_call: int = 3
    worker_base_port: int = 5080
    rtp_ports: str = "10000-19999"  # each worker gets its own slice; below the kernel's ephemeral ports
    worker_silence_timeout: float = 15.0
    front: str = "auto"  # auto: Kamailio when there is more than one worker; workers: none
    trusted: list[str] = msgspec.field(default_factory=lambda: ["127.0.0.1", "::1"])
    kamailio: str | None = None  # the program; default: found on PATH or in /usr/sbin
    kamailio_memory_mb: int = 256
    run_dir: str | None = None  # Kamailio's run files; default: "run" in the state directory
    state_dir: str | None = None  # the record spool, the lock, children; default: in the user data directory
    account_check_seconds: float = 30.0  # how soon an agent whose account is disabled is logged out
    music: str | None = None
    ring_timeout: float = 15.0
    wrap_up_seconds: float = 30.0
    not_ready_reasons: list[str] = msgspec.field(
        default_factory=lambda: list(AcdSettings.not_ready_reasons))
    external_uri: str = "sip:{number}@127.0.0.1:5062"
    caller_ids: list[str] = msgspec.field(default_factory=lambda: list(AcdSettings.caller_ids))
    external_transfer: str = "bridge"
    outbound_ring_timeout: float = 40.0
    stats_interval: float = 5.0
    default_queue: str | None = None
    queues: list[QueueSection] | None = None


@dataclass(frozen=True)
class GatewayConfig:
    sip_host: str
    sip_port: int
    command_address: str
    event_address: str
    concurrent_calls: int
    lines_per_call: int
    worker_base_port: int
    rtp_ports: tuple[int, int]  # first and last port, both included
    worker_silence_timeout: float
    front: str
    trusted: tuple[str, ...]
    kamailio: str | None
    kamailio_memory_mb: int
    run_dir: Path | None
    state_dir: Path
    account_check_seconds: float
    music: str | None
    acd: AcdSettings
    queues: tuple[QueueConfig, ...]
    public_key: str | None = None  # what a desktop trusts; None: the one in the [keys] directory
    where: str = "configuration: [gateway]"  # the file and section, for what is found wrong at start
    demo_queues: bool = False  # the embedded demo queues, no [[gateway.queues]] in the file

    def queue_org_units(self) -> dict[str, tuple[str, ...]]:
        """Each queue's org units (none: its agents' supervisors see it)."""
        return {q.name: q.org_units for q in self.queues}

    def with_changes(self, **changes) -> GatewayConfig:
        return dataclasses.replace(self, **changes)


def _demo_queue(name: str, number: str, skills: dict[str, int], language: str, org_unit: str,
                overflow: str = "hangup", **extra) -> QueueSection:
    return QueueSection(name=name, numbers=[number], skills=skills, language=language,
                        overflow=overflow, org_units=[org_unit], **extra)


# The org units are the demo data's (crm/demo/seed.py): the Mandarin queues are the Beijing
# site's teams', the English ones London's.
DEMO_QUEUES = [
    _demo_queue("billing-zh", "4008001001", {"billing": 1, "mandarin": 1}, "zh", "BJ-SVC",
                "queue:general-zh", max_wait=300),
    _demo_queue("technical-zh", "4008001002", {"technical": 1, "mandarin": 1}, "zh", "BJ-TECH",
                "queue:general-zh", max_wait=300),
    _demo_queue("sales-zh", "4008001003", {"sales": 1, "mandarin": 1}, "zh", "BJ-SALES",
                "queue:general-zh", max_wait=300),
    _demo_queue("general-zh", "4008001000", {"mandarin": 1}, "zh", "BJ", max_wait=900, max_length=50),
    _demo_queue("billing-en", "4008002001", {"billing": 1, "english": 1}, "en", "LDN-SVC",
                "queue:general-en", max_wait=300),
    _demo_queue("technical-en", "4008002002", {"technical": 1, "english": 1}, "en", "LDN-SVC",
                "queue:general-en", max_wait=300),
    _demo_queue("sales-en", "4008002003", {"sales": 1, "english": 1}, "en", "LDN-SALES",
                "queue:general-en", max_wait=300),
    _demo_queue("general-en", "4008002000", {"english": 1}, "en", "LDN", max_wait=900, max_length=50),
]


def load_gateway_config(section: dict | None, source: Path | None = None) -> GatewayConfig:
    where = f"{source or 'configuration'}: [gateway]"
    try:
        raw = msgspec.convert(section or {}, GatewaySection)
    except msgspec.ValidationError as exc:
        raise GatewayConfigError(f"{where}: {exc}") from None
    try:
        return _build(raw).with_changes(where=where)
    except (ValueError, prompts.PromptError) as exc:
        raise GatewayConfigError(f"{where}: {exc}") from None


def _build(raw: GatewaySection) -> GatewayConfig:
    host, port = split_address(raw.sip_address, "sip_address")
    if raw.front not in ("auto", "kamailio", "workers"):
        raise ValueError(f"front = {raw.front!r}: use auto, kamailio or workers")
    if raw.external_transfer not in ("bridge", "refer"):
        raise ValueError(f"external_transfer = {raw.external_transfer!r}: use bridge or refer")
    if "{number}" not in raw.external_uri:
        raise ValueError(f"external_uri = {raw.external_uri!r} must contain {{number}}")
    if raw.account_check_seconds <= 0:
        raise ValueError("account_check_seconds must be more than 0")
    if raw.concurrent_calls < 1 or raw.lines_per_call < 2:
        raise ValueError("concurrent_calls must be at least 1 and lines_per_call at least 2")
    rtp_ports = parse_rtp_ports(raw.rtp_ports, raw.concurrent_calls, raw.lines_per_call)
    if raw.worker_silence_timeout < 2:
        raise ValueError(f"worker_silence_timeout = {raw.worker_silence_timeout:g}: at least 2 seconds "
                         "(workers report every second)")
    if raw.music:
        prompts.validate_wav(Path(raw.music))
    queues = tuple(_queue(q) for q in (raw.queues if raw.queues is not None else DEMO_QUEUES))
    if not queues:
        raise ValueError("at least one queue is needed")
    settings = AcdSettings(
        ring_timeout=raw.ring_timeout, wrap_up_seconds=raw.wrap_up_seconds,
        not_ready_reasons=tuple(raw.not_ready_reasons), external_uri=raw.external_uri,
        caller_ids=tuple(raw.caller_ids), external_transfer=raw.external_transfer,
        outbound_ring_timeout=raw.outbound_ring_timeout, stats_interval=raw.stats_interval,
        default_queue=raw.default_queue)
    return GatewayConfig(
        sip_host=host, sip_port=port, command_address=raw.commands, event_address=raw.events,
        concurrent_calls=raw.concurrent_calls, lines_per_call=raw.lines_per_call,
        worker_base_port=raw.worker_base_port, rtp_ports=rtp_ports,
        worker_silence_timeout=raw.worker_silence_timeout, front=raw.front, trusted=tuple(raw.trusted),
        kamailio=raw.kamailio, kamailio_memory_mb=raw.kamailio_memory_mb,
        run_dir=Path(raw.run_dir).expanduser() if raw.run_dir else None,
        state_dir=Path(raw.state_dir).expanduser() if raw.state_dir else default_state_dir(),
        account_check_seconds=raw.account_check_seconds, music=raw.music,
        acd=settings, queues=queues, public_key=raw.public_key, demo_queues=raw.queues is None)


def _queue(raw: QueueSection) -> QueueConfig:
    try:
        strategy = Strategy(raw.strategy)
    except ValueError:
        raise ValueError(f"queue {raw.name}: strategy {raw.strategy!r}: use one of "
                         f"{', '.join(s.value for s in Strategy)}") from None
    try:
        prompts.check(raw.language)
    except prompts.PromptError as exc:
        raise ValueError(f"queue {raw.name}: {exc}") from None
    if raw.music:
        prompts.validate_wav(Path(raw.music))
    if any(not unit.strip() for unit in raw.org_units) or len(set(raw.org_units)) != len(raw.org_units):
        raise ValueError(f"queue {raw.name}: org_units = {raw.org_units!r}: name each org unit (its code) once")
    return QueueConfig(
        name=raw.name, dnis=tuple(raw.numbers), skills=dict(raw.skills), strategy=strategy,
        service_level_seconds=raw.service_level, max_length=raw.max_length,
        max_wait=raw.max_wait, overflow=OverflowTarget.parse(raw.overflow), music=raw.music,
        language=raw.language, welcome=raw.welcome, announce_every=raw.announce_every,
        ring_timeout=raw.ring_timeout, wrap_up_seconds=raw.wrap_up_seconds, org_units=tuple(raw.org_units))


def default_state_dir() -> Path:
    return Path(platformdirs.user_data_dir("cicada")) / "gateway"


PORTS_PER_LINE = 2  # RTP and RTCP
RTP_PORT_MARGIN = 2  # a slice holds twice what its calls need: a port may be taken, or linger


def parse_rtp_ports(text: str, concurrent_calls: int, lines_per_call: int,
                    ephemeral: tuple[int, int] | None = None) -> tuple[int, int]:
    """`rtp_ports = "FIRST-LAST"`, checked: outside the kernel's ephemeral ports (where any
    socket bound to port 0 may take one) and big enough for the calls it must carry."""
    first, sep, last = text.partition("-")
    if not sep or not first.strip().isdigit() or not last.strip().isdigit():
        raise ValueError(f"rtp_ports = {text!r}: write it as FIRST-LAST, e.g. 10000-19999")
    first, last = int(first), int(last)
    if not 1024 <= first < last <= 65535:
        raise ValueError(f"rtp_ports = {text!r}: the ports must lie in 1024-65535, the first below the last")
    low, high = ephemeral or ephemeral_ports()
    if first <= high and last >= low:
        raise ValueError(f"rtp_ports = {text!r} overlaps the kernel's ephemeral ports {low}-{high} "
                         "(/proc/sys/net/ipv4/ip_local_port_range), which any program may be given: "
                         "choose ports below or above them")
    needed = concurrent_calls * lines_per_call * PORTS_PER_LINE * RTP_PORT_MARGIN
    if last - first + 1 < needed:
        raise ValueError(f"rtp_ports = {text!r} has {last - first + 1} ports; {concurrent_calls} "
                         f"concurrent calls of {lines_per_call} lines need at least {needed} "
                         f"(RTP and RTCP for each line, twice over)")
    return first, last


def ephemeral_ports(path: Path = Path("/proc/sys/net/ipv4/ip_local_port_range")) -> tuple[int, int]:
    """The ports the kernel gives to sockets bound to port 0 (Linux's default where unknown)."""
    try:
        low, high = (int(v) for v in path.read_text().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def split_address(text: str, what: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"{what} = {text!r}: write it as HOST:PORT, e.g. 127.0.0.1:5060")
    return host.strip("[]"), int(port)
