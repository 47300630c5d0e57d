"""The `[console]` section of the configuration: where the console listens, how long an idle
sign-in lasts, each queue's service-level target and alert thresholds (alerts/rules.py), and when
an agent's times turn to a warning on the wallboard (wallboard/agents.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from admin_console.alerts.rules import AlertRules, QueueSection, load_rules
from admin_console.wallboard.agents import AgentLimits


class ConsoleConfigError(ValueError):
    """The [console] section cannot be used; the message says what and where."""


class AgentsSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """[console.agents]: the agents table's warnings (0: none); not ready uses [console.not_ready_limits]."""

    ready_minutes: float = 0  # ready, waiting for a call, longer than this
    contact_minutes: float = 0  # on one contact longer than this
    wrap_up_seconds: float = 0  # in wrap-up longer than this
    away_minutes: float = 0  # an email and chat agent away from both channels longer than this
    email_open_minutes: float = 0  # one email conversation open (assigned) longer than this
    chat_open_minutes: float = 0  # one chat open (assigned) longer than this


class ConsoleSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    address: str = "127.0.0.1:8030"  # HOST:PORT; supervisors open http://HOST:PORT/
    idle_minutes: float = 30  # a sign-in with no page or form asked for this long ends
    secure_cookies: bool = False  # behind an HTTPS reverse proxy: cookies only over TLS
    queues: dict[str, QueueSection] = {}  # queue name (or "default") -> its target and alert thresholds
    not_ready_limits: dict[str, float] = {}  # not-ready reason -> minutes before an alert
    agents: AgentsSection = AgentsSection()  # when an agent's times turn to a warning


@dataclass(frozen=True)
class ConsoleConfig:
    host: str
    port: int
    idle_seconds: float
    secure_cookies: bool
    alert_rules: AlertRules = field(default_factory=AlertRules)
    agent_limits: AgentLimits = field(default_factory=AgentLimits)

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/"


def load_console_config(section: dict | None, source: Path | None = None) -> ConsoleConfig:
    where = f"{source or 'configuration'}: [console]"
    try:
        raw = msgspec.convert(section or {}, ConsoleSection)
    except msgspec.ValidationError as exc:
        raise ConsoleConfigError(f"{where}: {exc}") from None
    host, sep, port = raw.address.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ConsoleConfigError(f"{where}: address = {raw.address!r}: write it as HOST:PORT, e.g. 127.0.0.1:8030")
    if raw.idle_minutes <= 0:
        raise ConsoleConfigError(f"{where}: idle_minutes must be more than 0")
    try:
        rules = load_rules(raw.queues, raw.not_ready_limits, where)
    except ValueError as exc:
        raise ConsoleConfigError(str(exc)) from None
    for name in AgentsSection.__struct_fields__:
        if getattr(raw.agents, name) < 0:
            raise ConsoleConfigError(f"{where}.agents: {name} cannot be negative (0: no warning)")
    agents = raw.agents
    limits = AgentLimits(ready=agents.ready_minutes * 60, contact=agents.contact_minutes * 60,
                         wrap_up=agents.wrap_up_seconds, not_ready=rules.not_ready_limits,
                         away=agents.away_minutes * 60,
                         conversation={channel: minutes * 60 for channel, minutes in
                                       (("email", agents.email_open_minutes), ("chat", agents.chat_open_minutes))
                                       if minutes})
    return ConsoleConfig(host.strip("[]"), int(port), raw.idle_minutes * 60, raw.secure_cookies, rules, limits)
