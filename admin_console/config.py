"""The `[console]` section of the configuration: where the console listens, how long an idle
sign-in lasts, and each queue's service-level target and alert thresholds (alerts/rules.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from admin_console.alerts.rules import AlertRules, QueueSection, load_rules


class ConsoleConfigError(ValueError):
    """The [console] section cannot be used; the message says what and where."""


class ConsoleSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    address: str = "127.0.0.1:8030"  # HOST:PORT; supervisors open http://HOST:PORT/
    idle_minutes: float = 30  # a sign-in with no page or form asked for this long ends
    secure_cookies: bool = False  # behind an HTTPS reverse proxy: cookies only over TLS
    queues: dict[str, QueueSection] = {}  # queue name (or "default") -> its target and alert thresholds
    not_ready_limits: dict[str, float] = {}  # not-ready reason -> minutes before an alert


@dataclass(frozen=True)
class ConsoleConfig:
    host: str
    port: int
    idle_seconds: float
    secure_cookies: bool
    alert_rules: AlertRules = field(default_factory=AlertRules)

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
    return ConsoleConfig(host.strip("[]"), int(port), raw.idle_minutes * 60, raw.secure_cookies, rules)
