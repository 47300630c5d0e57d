"""A campaign's settings: one document, written in YAML by supervisors
(docs/outbound.md) and kept as JSON in campaign.settings. Validated with
msgspec, as call scripts are; every error names where it is."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import yaml

from crm.errors import ValidationError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
OUTCOMES = ("no_answer", "busy", "failed_number", "answering_machine", "dropped")  # RetryRules' fields
DIALING_MODES = ("preview", "progressive", "predictive")
MIN_RING_SECONDS = 15
MIN_RETRY_DELAY_MINUTES = 2
_MAX_SOURCE = 200_000  # bytes: a campaign is a page of settings
_SPAN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
Code = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_][a-z0-9_.-]{0,39}$")]


class RetryRule(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """After an attempt with this outcome, try again after `delay_minutes`, at most `max_attempts` in all."""

    delay_minutes: Annotated[int, msgspec.Meta(ge=MIN_RETRY_DELAY_MINUTES, le=60 * 24 * 30)]
    max_attempts: Annotated[int, msgspec.Meta(ge=1, le=50)]


class Disposition(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What an agent chooses at wrap-up, and what it means for the contact."""

    code: Code
    label: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    person_answered: bool = False
    contact_made: bool = False
    sale: bool = False
    do_not_call: bool = False  # the customer asked not to be called again: his number goes on the list
    callback: bool = False  # the agent schedules a callback
    final: bool = False  # the contact is not called again


def _default_windows() -> dict[str, list[str]]:
    return {day: ["09:00-20:00"] for day in WEEKDAYS[:5]} | {"saturday": ["10:00-18:00"]}


class RetryRules(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A rule per outcome of an attempt that reached nobody; an outcome left out keeps its default."""

    no_answer: RetryRule = msgspec.field(default_factory=lambda: RetryRule(delay_minutes=120, max_attempts=3))
    busy: RetryRule = msgspec.field(default_factory=lambda: RetryRule(delay_minutes=10, max_attempts=3))
    failed_number: RetryRule = msgspec.field(default_factory=lambda: RetryRule(delay_minutes=1440, max_attempts=1))
    answering_machine: RetryRule = msgspec.field(
        default_factory=lambda: RetryRule(delay_minutes=240, max_attempts=2))
    dropped: RetryRule = msgspec.field(default_factory=lambda: RetryRule(delay_minutes=30, max_attempts=2))

    def for_outcome(self, outcome: str) -> RetryRule:
        return getattr(self, outcome)


def _default_dispositions() -> list[Disposition]:
    return [
        Disposition(code="sale", label="Sale", person_answered=True, contact_made=True, sale=True, final=True),
        Disposition(code="not_interested", label="Not interested", person_answered=True, contact_made=True,
                    final=True),
        Disposition(code="callback", label="Call back", person_answered=True, contact_made=True, callback=True),
        Disposition(code="do_not_call", label="Do not call again", person_answered=True, contact_made=True,
                    do_not_call=True, final=True),
        Disposition(code="wrong_person", label="Wrong person", person_answered=True, final=True),
    ]


class CampaignSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name
    dialing_mode: str = "preview"
    preview_dial_after_seconds: Annotated[int, msgspec.Meta(ge=1, le=600)] | None = None
    script: Annotated[str, msgspec.Meta(max_length=60)] | None = None  # the call script's name
    caller_id: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    teams: list[Annotated[str, msgspec.Meta(max_length=40)]] = msgspec.field(default_factory=list)
    agents: list[Annotated[str, msgspec.Meta(max_length=80)]] = msgspec.field(default_factory=list)
    ring_seconds: Annotated[int, msgspec.Meta(ge=MIN_RING_SECONDS, le=120)] = 25
    max_calls_per_number_per_day: Annotated[int, msgspec.Meta(ge=1, le=20)] = 3
    # The zone of a number phonenumbers cannot place (a local time is still needed for the windows).
    time_zone: str = "Asia/Shanghai"
    windows: dict[str, list[str]] = msgspec.field(default_factory=_default_windows)
    holidays: list[date] = msgspec.field(default_factory=list)
    retries: RetryRules = msgspec.field(default_factory=RetryRules)
    dispositions: list[Disposition] = msgspec.field(default_factory=_default_dispositions)

    def to_builtins(self) -> dict[str, Any]:
        return msgspec.to_builtins(self)

    def weekday_spans(self) -> dict[int, tuple[tuple[time, time], ...]]:
        """{0 (Monday) .. 6: ((start, end), ...)}; a day not named has no window."""
        return {WEEKDAYS.index(day): tuple(parse_span(s) for s in spans) for day, spans in self.windows.items()}

    def disposition(self, code: str) -> Disposition | None:
        return next((d for d in self.dispositions if d.code == code), None)


def parse_span(text: str) -> tuple[time, time]:
    """"09:00-12:30" → (09:00, 12:30); "24:00" may end a day."""
    match = _SPAN.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a window: write it HH:MM-HH:MM, e.g. 09:00-12:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
        raise ValueError(f"{text!r} holds a time that does not exist")
    start, end = time(h1, m1), (time.max if h2 == 24 else time(h2, m2))
    if end <= start:
        raise ValueError(f"{text!r} ends before it starts")
    return start, end


def load_yaml(source: str | bytes, *, origin: str = "the campaign") -> CampaignSettings:
    """A campaign from YAML text; ValidationError saying what and where."""
    if len(source) > _MAX_SOURCE:
        raise ValidationError(f"{origin} is larger than {_MAX_SOURCE // 1000} kB")
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"{origin} is not UTF-8 text (byte {exc.start})") from None
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValidationError(f"{origin} is not valid YAML{where}: {problem}") from None
    return from_builtins(data, origin=origin)


def from_builtins(data: Any, *, origin: str = "the campaign") -> CampaignSettings:
    """Settings from plain data (parsed YAML or the stored JSON), checked throughout."""
    if not isinstance(data, dict):
        raise ValidationError(f"{origin} must be a mapping with at least a name, not {type(data).__name__}")
    try:
        settings = msgspec.convert(data, CampaignSettings, str_keys=True)
    except msgspec.ValidationError as exc:
        text, _, path = str(exc).partition(" - at `")
        raise ValidationError(f"{origin}: {path.rstrip('`').removeprefix('$.') or 'the document'}: "
                              f"{text}") from None
    problems = _problems(settings)
    if problems:
        raise ValidationError(f"{origin}: " + "; ".join(problems))
    return settings


def dump_yaml(settings: CampaignSettings) -> str:
    """The document as a supervisor writes it: every setting shown, those not set left out."""
    data = msgspec.to_builtins(settings, builtin_types=(date,))
    return yaml.safe_dump({k: v for k, v in data.items() if v is not None}, allow_unicode=True, sort_keys=False)


def _problems(settings: CampaignSettings) -> list[str]:
    problems = []
    if settings.dialing_mode not in DIALING_MODES:
        problems.append(f"dialing_mode {settings.dialing_mode!r} is not one of {', '.join(DIALING_MODES)}")
    if settings.preview_dial_after_seconds is not None and settings.dialing_mode != "preview":
        problems.append("preview_dial_after_seconds applies to the preview mode only")
    try:
        ZoneInfo(settings.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"time_zone {settings.time_zone!r} is not a time zone (e.g. Asia/Shanghai)")
    for day, spans in settings.windows.items():
        if day not in WEEKDAYS:
            problems.append(f"windows: {day!r} is not a weekday ({', '.join(WEEKDAYS)})")
            continue
        problems += [f"windows.{day}: {p}" for p in _span_problems(spans)]
    codes = [d.code for d in settings.dispositions]
    if not codes:
        problems.append("dispositions: a campaign needs at least one")
    problems += [f"dispositions: {code!r} is given twice" for code in sorted({c for c in codes if codes.count(c) > 1})]
    for name, values in (("teams", settings.teams), ("agents", settings.agents)):
        problems += [f"{name}: {v!r} is given twice" for v in sorted({v for v in values if values.count(v) > 1})]
    return problems


def _span_problems(spans: list[str]) -> list[str]:
    problems, parsed = [], []
    for span in spans:
        try:
            parsed.append(parse_span(span))
        except ValueError as exc:
            problems.append(str(exc))
    parsed.sort()
    for (_, end), (start, _) in zip(parsed, parsed[1:], strict=False):
        if start < end:
            problems.append("two windows overlap")
    return problems
