"""May a number be called now? In the called person's local time, from the
zones phonenumbers gives for the number: a number that could be in several
zones (a US toll-free number, a country across zones) is called only when it
is inside a window in every one of them. Plain Python; the clock is an argument."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_zones

from crm.outbound.settings import CampaignSettings

_UNKNOWN_ZONE = "Etc/Unknown"


@dataclass(frozen=True)
class WindowDecision:
    allowed: bool
    reason: str  # why not, in words for a supervisor ("" when allowed)
    zones: tuple[str, ...]


@lru_cache(maxsize=4096)
def zones_of(e164: str) -> tuple[str, ...]:
    """The time zones a number may be in; () when phonenumbers cannot place it."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return ()
    return tuple(z for z in phone_zones.time_zones_for_number(number) if z != _UNKNOWN_ZONE)


def may_call(e164: str, settings: CampaignSettings, now: datetime) -> WindowDecision:
    """Whether `e164` may be called at `now` (naive UTC, as the CRM keeps times) under the
    campaign's weekday windows and holidays, read in each of the number's zones."""
    zones = zones_of(e164) or (settings.time_zone,)
    spans = settings.weekday_spans()
    holidays = frozenset(settings.holidays)
    instant = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    for zone in zones:
        local = instant.astimezone(ZoneInfo(zone))
        reason = _closed_reason(local, spans, holidays)
        if reason:
            return WindowDecision(False, f"{reason} in {zone} ({local:%a %H:%M} there)", zones)
    return WindowDecision(True, "", zones)


def _closed_reason(local: datetime, spans: dict[int, tuple[tuple[time, time], ...]],
                   holidays: frozenset[date]) -> str:
    if local.date() in holidays:
        return "a holiday"
    clock = local.time().replace(tzinfo=None)
    if any(start <= clock < end for start, end in spans.get(local.weekday(), ())):
        return ""
    return "outside the calling windows"
