"""IC profiles: the settings of the agent desktop, on the org hierarchy.

A setting is defined on the contact center, a site, a team or a user. Each
level inherits what is above it and may override it: DEFAULTS, then the
contact center, the site, the team (the user's org path, crm.services.users
.org_path) and last the user's own settings. Removing a setting (setting it to
None) makes the level inherit again.

Settings are changed by administrators (Permission.SYSTEM_CONFIGURE); every
change goes to the audit trail. Reading them needs no permission: the desktop
reads its agent's profile, the CTI gateway any agent's.
"""

from __future__ import annotations

import copy
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import false, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm import texts
from crm.errors import NotFound, ValidationError
from crm.models import OrgUnit, ProfileSetting, User
from crm.permissions import Actor, Permission
from crm.services import audit
from crm.services.users import org_path, user_by_name

log = logging.getLogger(__name__)

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


def effective_settings(session: Session, user: User) -> dict:
    """DEFAULTS, overridden down the user's org path (contact center first),
    then by the user's own settings; the Action Box layout is merged rather
    than replaced (merge_action_box). A stored value that is no longer valid
    is skipped with a warning: the level inherits instead."""
    path = org_path(user.org_unit)
    depth = {unit.id: i for i, unit in enumerate(path)}
    rows = session.scalars(select(ProfileSetting).where(or_(
        ProfileSetting.org_unit_id.in_(list(depth)) if depth else false(),
        ProfileSetting.user_id == user.id,
    ))).all()
    # org units from the top down, the user last
    rows = sorted(rows, key=lambda r: len(path) if r.user_id is not None else depth[r.org_unit_id])
    settings = copy.deepcopy(DEFAULTS)
    for row in rows:
        if row.key not in VALIDATORS:
            log.warning("profile setting %s (id %s) is not known here; ignored", row.key, row.id)
            continue
        try:
            value = validate_setting(row.key, row.value)
        except ValidationError as exc:
            log.warning("profile setting id %s is ignored: %s", row.id, exc)
            continue
        if value is None:
            continue
        if row.key == "action_box":  # a level adds to and overrides the layout above, entry by entry
            value = merge_action_box(settings[row.key], value)
        settings[row.key] = value
    return settings


def agent_profile(session: Session, actor: Actor) -> AgentProfile:
    """The logged-in user's own profile."""
    if actor.user_id is None:
        raise ValidationError(
            f"{actor.username} is not a user of the CRM and has no agent profile; "
            "log in as an agent")
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound(f"No user {actor.username!r}.")
    return _profile(session, user)


def profile_for_user(session: Session, username: str) -> AgentProfile:
    """Any user's profile, for the CTI gateway (system use)."""
    return _profile(session, user_by_name(session, username))


def _profile(session: Session, user: User) -> AgentProfile:
    settings = effective_settings(session, user)

    def optional_tuple(value):
        return None if value is None else tuple(value)

    wrap_up = settings["wrap_up_seconds"]
    return AgentProfile(
        user_id=user.id, username=user.username, display_name=user.display_name, role=user.role,
        language=user.language, extension=user.extension,
        org_path=tuple(unit.code for unit in org_path(user.org_unit)),
        identification=settings["identification"],
        after_wrap_up=settings["after_wrap_up"],
        after_wrap_up_reason=settings["after_wrap_up_reason"],
        not_ready_reasons=optional_tuple(settings["not_ready_reasons"]),
        reason_codes=tuple(settings["reason_codes"]),
        outcome_codes=tuple(settings["outcome_codes"]),
        queues=optional_tuple(settings["queues"]),
        wrap_up_seconds=None if wrap_up is None else float(wrap_up),
        action_box=settings["action_box"],
        capacity={**DEFAULTS["capacity"], **settings["capacity"]},
    )


# --- changing and listing settings --------------------------------------------------------


def set_profile_setting(session: Session, actor: Actor, key: str, value, *,
                        org_unit: str | None = None, username: str | None = None) -> None:
    """Set `key` on one level: the org unit with code `org_unit`, or the user
    `username` (exactly one). None removes the setting, so the level inherits."""
    actor.require(Permission.SYSTEM_CONFIGURE, "change IC profiles")
    texts.check_each({"the org unit": org_unit, "the user name": username})
    value = validate_setting(key, value)
    column, level_id, level = _level(session, org_unit, username)
    row = _setting(session, column, level_id, key)
    old = None if row is None else row.value
    if value is None:
        if row is None:
            return
        entity_id = row.id
        session.delete(row)
        session.flush()
    elif row is not None:
        if row.value == value:
            return
        row.value = value
        session.flush()
        entity_id = row.id
    else:
        entity_id = _insert(session, column, level_id, key, value)
    audit.record(session, actor, entity="profile_setting", entity_id=entity_id,
                 action="set" if value is not None else "remove",
                 changes={"level": level, "key": key, "value": [old, value]})
    session.flush()


def profile_settings(session: Session, *, org_unit: str | None = None,
                     username: str | None = None) -> dict:
    """The settings made at exactly that level (not the inherited ones)."""
    column, level_id, _level_name = _level(session, org_unit, username)
    rows = session.scalars(select(ProfileSetting).where(column == level_id)
                           .order_by(ProfileSetting.key))
    return {row.key: row.value for row in rows}


def _level(session: Session, org_unit: str | None, username: str | None):
    """(column, id, description) of the level named by an org unit code or a user name."""
    if (org_unit is None) == (username is None):
        raise ValidationError("name exactly one level: an org unit (by code) or a user")
    if org_unit is not None:
        unit_id = session.scalar(select(OrgUnit.id).where(OrgUnit.code == org_unit))
        if unit_id is None:
            raise NotFound(f"No org unit with code {org_unit!r}.")
        return ProfileSetting.org_unit_id, unit_id, f"org_unit:{org_unit}"
    return ProfileSetting.user_id, user_by_name(session, username).id, f"user:{username}"


def _setting(session: Session, column, level_id: int, key: str) -> ProfileSetting | None:
    return session.scalar(select(ProfileSetting).where(column == level_id,
                                                       ProfileSetting.key == key))


def _insert(session: Session, column, level_id: int, key: str, value) -> int:
    row = ProfileSetting(key=key, value=value, **{column.key: level_id})
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # another administrator set it meanwhile: ours is the later word
        row = _setting(session, column, level_id, key)
        if row is None:
            raise
        row.value = value
        session.flush()
    return row.id
