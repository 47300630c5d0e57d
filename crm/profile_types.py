"""An agent's desktop settings: their defaults and checks, the Action Box layout's merge,
and the AgentProfile the CRM computes from them (crm.services.profiles, which stores them
on the org hierarchy). Plain values and functions, free of the database's library, so
that the desktop uses them without SQLAlchemy."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from crm import texts
from crm.errors import ValidationError

# Why a customer calls, and how the contact ended: the codes an agent picks in
# the interaction record (the demo data uses the same reasons).
REASON_CODES = ("billing_question", "invoice_dispute", "technical_fault", "order_status",
                "new_contract", "upgrade", "cancellation", "address_change", "complaint",
                "general_inquiry")
OUTCOME_CODES = ("resolved", "follow_up", "escalated", "callback_scheduled", "order_created",
                 "transferred", "not_interested", "no_answer")

IDENTIFICATION_MODES = ("confirm", "propose")  # a single ANI match: confirmed, or only proposed
AFTER_WRAP_UP_MODES = ("ready", "not_ready")  # the work mode when the agent ends wrap-up

CODE_LENGTH = 40  # interaction.reason_code and outcome_code
QUEUE_LENGTH = 80  # interaction.queue

DEFAULTS: dict[str, object] = {
    "identification": "confirm",
    "after_wrap_up": "ready",
    "after_wrap_up_reason": None,
    "not_ready_reasons": None,  # None: the CTI gateway's list
    "reason_codes": list(REASON_CODES),
    "outcome_codes": list(OUTCOME_CODES),
    "queues": None,  # None: every queue the agent's skills qualify for
    "wrap_up_seconds": None,  # None: the gateway's queue setting
    "action_box": None,  # None: action_box's built-in layout
    "capacity": {"email": 10, "chat": 3},  # how many emails / chats an agent works at once
}


# --- validators ------------------------------------------------------------------
# Each takes a value other than None and returns it as stored (JSON), or raises
# ValidationError saying what the key accepts.


def _one_of(key: str, choices: tuple[str, ...]) -> Callable[[object], str]:
    def check(value) -> str:
        if value not in choices:
            raise ValidationError(
                f"{key} is one of {', '.join(repr(c) for c in choices)}, not {value!r}")
        return value
    return check


def _code(key: str, value, limit: int) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{key} holds text codes, not {type(value).__name__} {value!r}")
    code = value.strip()
    if not code:
        raise ValidationError(f"{key} holds codes, and an empty one means nothing")
    if len(code) > limit:
        raise ValidationError(f"{key}: a code has at most {limit} characters: {code[:40]!r}...")
    return code


def _text_code(key: str, limit: int) -> Callable[[object], str]:
    return lambda value: _code(key, value, limit)


def _code_list(key: str, limit: int) -> Callable[[object], list[str]]:
    def check(value) -> list[str]:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ValidationError(
                f"{key} is a list of codes, not {type(value).__name__} {value!r}")
        codes = [_code(key, item, limit) for item in value]
        if not codes:
            raise ValidationError(
                f"{key} needs at least one code; remove the setting to inherit the list")
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValidationError(f"{key} names {', '.join(repeated)} more than once")
        return codes
    return check


def _seconds(key: str) -> Callable[[object], float | int]:
    def check(value):
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not math.isfinite(value)):
            raise ValidationError(f"{key} is a number of seconds, not {value!r}")
        if value < 0:
            raise ValidationError(f"{key} cannot be negative ({value})")
        return value
    return check


_LAYOUT_ID = re.compile(r"^[a-z0-9_.:-]{1,60}$")
NEEDS = ("partner", "contact_person", "call", "installed_base")


def _layout_id(where: str, value) -> str:
    if not isinstance(value, str) or not _LAYOUT_ID.match(value):
        raise ValidationError(f"action_box: {where} is an id of lower-case letters, digits, _ . : - "
                              f"(at most 60), not {value!r}")
    return value


def _label(where: str, value) -> str | dict:
    """A label: one text, or texts by language ({"en": ..., "zh": ...})."""
    if isinstance(value, str) and value.strip() and len(value) <= 80:
        return value.strip()
    if isinstance(value, dict) and value and all(
            isinstance(k, str) and isinstance(v, str) and v.strip() and len(v) <= 80 for k, v in value.items()):
        return {k: v.strip() for k, v in value.items()}
    raise ValidationError(f"action_box: {where} needs a label: a text, or texts by language")


def _entries(where: str, value, fields: dict[str, bool]) -> list[dict]:
    """A list of mappings with these fields (name -> required); ids unique."""
    if not isinstance(value, list):
        raise ValidationError(f"action_box: {where} is a list")
    entries, ids = [], set()
    for n, entry in enumerate(value, 1):
        if not isinstance(entry, dict):
            raise ValidationError(f"action_box: {where} entry {n} is a mapping")
        unknown = set(entry) - set(fields)
        missing = [f for f, required in fields.items() if required and f not in entry]
        if unknown or missing:
            raise ValidationError(f"action_box: {where} entry {n}: "
                                  + (f"unknown {', '.join(sorted(unknown))}" if unknown else "")
                                  + ("; " if unknown and missing else "")
                                  + (f"missing {', '.join(missing)}" if missing else ""))
        entry_id = _layout_id(f"{where} entry {n} id", entry["id"])
        if entry_id in ids:
            raise ValidationError(f"action_box: {where} has {entry_id!r} twice")
        ids.add(entry_id)
        entries.append(dict(entry, label=_label(f"{where} {entry_id!r}", entry.get("label"))))
    return entries


LAYOUT_LISTS = ("tabs", "links", "email_templates", "reply_templates")


def merge_action_box(upper: dict | None, lower: dict | None) -> dict:
    """The Action Box layout of a level below `upper` that sets `lower`: merged
    entry by entry, never replaced whole. `lower` first hides what its
    `hidden` names (tabs, links, templates, and actions from every tab), then
    replaces the tabs, links and templates whose id it repeats, in place, and
    adds its new ones at the end. The ids hidden anywhere above stay hidden
    unless `lower` brings them back."""
    upper, lower = upper or {}, lower or {}
    hide = set(lower.get("hidden", []))
    merged: dict = {}
    for key in LAYOUT_LISTS:
        if key not in upper and key not in lower:
            continue
        entries = [copy.deepcopy(e) for e in upper.get(key, []) if e["id"] not in hide]
        if key == "tabs" and hide:
            for tab in entries:
                tab["actions"] = [a for a in tab["actions"] if a not in hide]
            entries = [tab for tab in entries if tab["actions"]]
        position = {e["id"]: i for i, e in enumerate(entries)}
        for entry in lower.get(key, []):
            if entry["id"] in position:
                entries[position[entry["id"]]] = copy.deepcopy(entry)
            else:
                position[entry["id"]] = len(entries)
                entries.append(copy.deepcopy(entry))
        merged[key] = entries
    shown = {e["id"] for key in LAYOUT_LISTS for e in lower.get(key, [])}
    shown |= {a for tab in lower.get("tabs", []) for a in tab["actions"]}
    hidden = [h for h in dict.fromkeys([*upper.get("hidden", []), *lower.get("hidden", [])]) if h not in shown]
    if hidden:
        merged["hidden"] = hidden
    return merged


def _action_box(value) -> dict:
    """Which tabs and actions the desktop's Action Box shows, in which order;
    links to external transactions; email templates. Action ids are checked
    against the installed actions where the layout is imported (cicada actions)."""
    if not isinstance(value, dict) or set(value) - {*LAYOUT_LISTS, "hidden"}:
        raise ValidationError("action_box is a mapping of tabs, links, email_templates, reply_templates "
                              "and hidden")
    layout = {}
    if "hidden" in value:
        hidden = value["hidden"]
        if not isinstance(hidden, list):
            raise ValidationError("action_box: hidden is a list of the ids of tabs, actions, links and "
                                  "templates this level hides from what it inherits")
        layout["hidden"] = list(dict.fromkeys(_layout_id("hidden entry", h) for h in hidden))
    if "tabs" in value:
        tabs = _entries("tabs", value["tabs"], {"id": True, "label": True, "actions": True})
        for tab in tabs:
            actions = tab["actions"]
            if not isinstance(actions, list) or not actions:
                raise ValidationError(f"action_box: tab {tab['id']!r} lists at least one action")
            tab["actions"] = [_layout_id(f"tab {tab['id']!r} action", a) for a in actions]
        layout["tabs"] = tabs
    if "links" in value:
        links = _entries("links", value["links"], {"id": True, "label": True, "url": True, "needs": False})
        for link in links:
            url = link["url"]
            if not isinstance(url, str) or not url.startswith(("https://", "http://")) or len(url) > 2000:
                raise ValidationError(f"action_box: link {link['id']!r} has a url starting with https:// "
                                      "or http://")
            needs = link.get("needs", ["partner"])
            if not isinstance(needs, list) or any(n not in NEEDS for n in needs):
                raise ValidationError(f"action_box: link {link['id']!r} needs some of {', '.join(NEEDS)}")
            link["needs"] = needs
        layout["links"] = links
    if "email_templates" in value:
        templates = _entries("email_templates", value["email_templates"],
                             {"id": True, "label": True, "subject": True, "body": True, "language": False})
        for template in templates:
            for part in ("subject", "body"):
                if not isinstance(template[part], str) or not template[part].strip():
                    raise ValidationError(f"action_box: email template {template['id']!r} needs a {part}")
        layout["email_templates"] = templates
    if "reply_templates" in value:  # canned answers to emails and chats
        replies = _entries("reply_templates", value["reply_templates"],
                           {"id": True, "label": True, "body": True, "language": False, "channel": False})
        for reply in replies:
            if not isinstance(reply["body"], str) or not reply["body"].strip():
                raise ValidationError(f"action_box: reply template {reply['id']!r} needs a body")
            if reply.get("channel") not in (None, "email", "chat"):
                raise ValidationError(f"action_box: reply template {reply['id']!r}: channel is email or chat")
        layout["reply_templates"] = replies
    return layout


CAPACITY_CHANNELS = ("email", "chat")
MAX_CAPACITY = 100


def _capacity(value) -> dict:
    if not isinstance(value, dict) or not value:
        raise ValidationError(f"capacity is a mapping of {', '.join(CAPACITY_CHANNELS)} to numbers, "
                              "e.g. {\"email\": 10, \"chat\": 3}")
    capacity = {}
    for channel, count in value.items():
        if channel not in CAPACITY_CHANNELS:
            raise ValidationError(f"capacity: {channel!r} is not a channel (use {', '.join(CAPACITY_CHANNELS)})")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_CAPACITY:
            raise ValidationError(f"capacity: {channel} is a whole number from 0 to {MAX_CAPACITY}")
        capacity[channel] = count
    return capacity


VALIDATORS: dict[str, Callable[[object], object]] = {
    "identification": _one_of("identification", IDENTIFICATION_MODES),
    "after_wrap_up": _one_of("after_wrap_up", AFTER_WRAP_UP_MODES),
    "after_wrap_up_reason": _text_code("after_wrap_up_reason", CODE_LENGTH),
    "not_ready_reasons": _code_list("not_ready_reasons", CODE_LENGTH),
    "reason_codes": _code_list("reason_codes", CODE_LENGTH),
    "outcome_codes": _code_list("outcome_codes", CODE_LENGTH),
    "queues": _code_list("queues", QUEUE_LENGTH),
    "wrap_up_seconds": _seconds("wrap_up_seconds"),
    "action_box": _action_box,
    "capacity": _capacity,
}
assert VALIDATORS.keys() == DEFAULTS.keys()


def validate_setting(key: str, value):
    """The value as it is stored, or ValidationError. None is valid for every
    key: it removes the setting (the level inherits)."""
    if key not in VALIDATORS:
        raise ValidationError(f"unknown profile setting {key!r} (use {', '.join(DEFAULTS)})")
    texts.check(value, f"the setting {key}")
    return None if value is None else VALIDATORS[key](value)


# --- the agent's profile ---------------------------------------------------------------



@dataclass(frozen=True)
class AgentProfile:
    """An agent and the effective settings of the agent desktop."""

    user_id: int
    username: str
    display_name: str
    role: str
    language: str
    extension: str | None
    org_path: tuple[str, ...]  # org unit codes from the contact center down
    identification: str
    after_wrap_up: str
    after_wrap_up_reason: str | None
    not_ready_reasons: tuple[str, ...] | None
    reason_codes: tuple[str, ...]
    outcome_codes: tuple[str, ...]
    queues: tuple[str, ...] | None
    wrap_up_seconds: float | None
    action_box: dict | None = None  # None: the built-in layout
    capacity: dict | None = None  # channel -> how many at once; None: DEFAULTS
