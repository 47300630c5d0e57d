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

from sqlalchemy import false, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm import texts
from crm.errors import NotFound, ValidationError
from crm.models import OrgUnit, ProfileSetting, User
from crm.permissions import Actor, Permission
from crm.profile_types import (  # noqa: F401 - named as this module's too
    AFTER_WRAP_UP_MODES,
    AgentProfile,
    CAPACITY_CHANNELS,
    CODE_LENGTH,
    DEFAULTS,
    IDENTIFICATION_MODES,
    LAYOUT_LISTS,
    MAX_CAPACITY,
    NEEDS,
    OUTCOME_CODES,
    QUEUE_LENGTH,
    REASON_CODES,
    VALIDATORS,
    merge_action_box,
    validate_setting,
)
from crm.services import audit
from crm.services.users import org_path, user_by_name

log = logging.getLogger(__name__)

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
