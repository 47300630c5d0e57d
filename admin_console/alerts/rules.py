"""Each queue's service-level target and alert thresholds, from the `[console]` section:

    [console.queues.default]        # every queue, unless its own table says otherwise
    target_level = 80               # the staffing advice aims at 80 % answered ...
    target_seconds = 20             # ... within 20 s (T: today's service level is measured against it)
    short_abandon_seconds = 5       # τ: an abandon within 5 s is a short abandon
    service_level_variant = "abandons_against"  # or abandons_within_ignored, abandons_within_for
    alert_longest_wait = 60         # alert when a caller has waited longer (seconds)
    alert_waiting = 10              # alert when more callers wait
    alert_service_level = 70        # alert when today's service level is under this (%)
    alert_message = false           # tell the queue's agents (a broadcast) when one of its alerts starts
    [console.queues.billing]
    alert_longest_wait = 30
    [console.queues.default.email]  # an email or chat queue's channel (the mail queue's queues)
    alert_longest_wait = 3600       # alert when an email has waited longer (seconds)
    alert_waiting = 50              # alert when more emails wait
    alert_within_due = 80           # alert when today's share answered within due time is under this (%)
    [console.queues.web-chat.chat]  # one queue's channel; what it leaves out comes from default's
    alert_longest_wait = 30
    [console.not_ready_limits]      # alert when an agent is not ready longer, per reason (minutes)
    break = 15

An alert left out (or 0) is not raised. A phone queue's thresholds are not an email or chat
queue's (an email waits hours where a caller waits seconds), even under the same queue name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from admin_console.alerts.book import MAIL_CHANNELS
from admin_console.staffing import ServiceTarget
from crm.reports.definitions import SHORT_ABANDON_SECONDS, QueueThresholds, ServiceLevelVariant

DEFAULT_QUEUE = "default"


class ChannelSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An email or chat queue's channel: `[console.queues.NAME.email]` or `.chat`."""

    alert_longest_wait: float | None = None
    alert_waiting: int | None = None
    alert_within_due: float | None = None
    alert_message: bool | None = None  # refused with a reason: the mail queue sends its agents no message


class QueueSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    target_level: float | None = None
    target_seconds: float | None = None
    alert_longest_wait: float | None = None
    alert_waiting: int | None = None
    alert_service_level: float | None = None
    alert_message: bool | None = None
    short_abandon_seconds: float | None = None
    service_level_variant: str | None = None
    email: ChannelSection | None = None
    chat: ChannelSection | None = None


@dataclass(frozen=True)
class ChannelRules:
    """An email or chat queue's thresholds for one channel; 0: no alert."""

    alert_longest_wait: float = 0.0  # seconds
    alert_waiting: int = 0
    alert_within_due: float = 0.0  # %


@dataclass(frozen=True)
class QueueRules:
    target_level: float = 80.0   # %
    target_seconds: float = 20.0
    alert_longest_wait: float = 0.0  # seconds; 0: no alert
    alert_waiting: int = 0
    alert_service_level: float = 0.0  # %
    alert_message: bool = False  # tell the queue's agents when one of its alerts starts
    short_abandon_seconds: float = SHORT_ABANDON_SECONDS  # τ
    service_level_variant: str = ServiceLevelVariant.ABANDONS_AGAINST.value
    email: ChannelRules = ChannelRules()  # the queue's email, when it is a mail queue
    chat: ChannelRules = ChannelRules()

    def channel(self, channel: str) -> ChannelRules:
        return self.chat if channel == "chat" else self.email

    @property
    def target(self) -> ServiceTarget:
        return ServiceTarget(self.target_level / 100, self.target_seconds)

    @property
    def thresholds(self) -> QueueThresholds:
        """What today's figures are measured with (crm/reports/definitions.py)."""
        return QueueThresholds(self.target_seconds, self.short_abandon_seconds,
                               ServiceLevelVariant(self.service_level_variant))


@dataclass(frozen=True)
class AlertRules:
    default: QueueRules = QueueRules()
    queues: dict[str, QueueRules] = field(default_factory=dict)
    not_ready_limits: dict[str, float] = field(default_factory=dict)  # reason -> seconds

    def of(self, queue: str) -> QueueRules:
        return self.queues.get(queue, self.default)

    def thresholds(self, queue: str) -> QueueThresholds:
        return self.of(queue).thresholds


def load_rules(queues: dict[str, QueueSection], not_ready_minutes: dict[str, float], where: str) -> AlertRules:
    """The rules of a read `[console]` section; a ValueError says which value is wrong and where."""
    for name, section in queues.items():
        _check(section, f"{where}.queues.{name}")
    for reason, minutes in not_ready_minutes.items():
        if not minutes > 0:
            raise ValueError(f"{where}.not_ready_limits: {reason} = {minutes!r}: give minutes, more than 0")
    default = _merged(QueueRules(), queues.get(DEFAULT_QUEUE))
    return AlertRules(default, {name: _merged(default, section) for name, section in queues.items()
                                if name != DEFAULT_QUEUE},
                      {reason: minutes * 60 for reason, minutes in not_ready_minutes.items()})


def _check(section: QueueSection, where: str) -> None:
    if section.target_level is not None and not 0 < section.target_level < 100:
        raise ValueError(f"{where}: target_level must be between 0 and 100 (a percentage)")
    if section.alert_service_level is not None and not 0 <= section.alert_service_level <= 100:
        raise ValueError(f"{where}: alert_service_level must be between 0 and 100 (a percentage)")
    variant = section.service_level_variant
    if variant is not None and variant not in ServiceLevelVariant.values():
        raise ValueError(f"{where}: service_level_variant = {variant!r}: use one of "
                         f"{', '.join(ServiceLevelVariant.values())}")
    for name in ("target_seconds", "alert_longest_wait", "alert_waiting", "short_abandon_seconds"):
        value = getattr(section, name)
        if value is not None and value < 0:
            raise ValueError(f"{where}: {name} cannot be negative")
    for channel in MAIL_CHANNELS:
        if (channel_section := getattr(section, channel)) is not None:
            _check_channel(channel_section, f"{where}.{channel}")


def _check_channel(section: ChannelSection, where: str) -> None:
    if section.alert_message:
        raise ValueError(f"{where}: alert_message: the mail queue cannot send a message to its agents, so an "
                         f"email or chat queue's alerts go to the supervisors only (leave it out)")
    if section.alert_within_due is not None and not 0 <= section.alert_within_due <= 100:
        raise ValueError(f"{where}: alert_within_due must be between 0 and 100 (a percentage)")
    for name in ("alert_longest_wait", "alert_waiting"):
        value = getattr(section, name)
        if value is not None and value < 0:
            raise ValueError(f"{where}: {name} cannot be negative")


def _merged(base: QueueRules, section: QueueSection | None) -> QueueRules:
    if section is None:
        return base
    given = {name: value for name in QueueSection.__struct_fields__
             if name not in MAIL_CHANNELS and (value := getattr(section, name)) is not None}
    channels = {channel: _given(getattr(base, channel), getattr(section, channel)) for channel in MAIL_CHANNELS}
    return QueueRules(**{**base.__dict__, **given, **channels})


def _given(base: ChannelRules, section: ChannelSection | None) -> ChannelRules:
    """A channel's rules: what its section gives over `base` (the default queue's channel)."""
    if section is None:
        return base
    given = {name: value for name in ("alert_longest_wait", "alert_waiting", "alert_within_due")
             if (value := getattr(section, name)) is not None}
    return ChannelRules(**{**base.__dict__, **given})
