"""Users, their passwords (argon2) and the organization they work in."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import texts
from crm.errors import AccountDisabled, AuthenticationFailed, NotFound, ValidationError
from crm.models import OrgUnit, OrgUnitKind, Skill, User, UserRole, UserSkill
from crm.permissions import Actor, Permission

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 8
_PARENT_KIND = {
    OrgUnitKind.CONTACT_CENTER: None,
    OrgUnitKind.SITE: OrgUnitKind.CONTACT_CENTER,
    OrgUnitKind.TEAM: OrgUnitKind.SITE,
}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(session: Session, actor: Actor, *, username: str, password: str, role: str,
                display_name: str | None = None, email: str | None = None,
                org_unit: OrgUnit | None = None, extension: str | None = None,
                language: str = "en", password_hash: str | None = None) -> User:
    actor.require(Permission.USER_MANAGE, "create users")
    texts.check_each({"the user name": username, "the password": password, "the display name": display_name,
                      "the email address": email, "the extension": extension, "the language": language})
    username = username.strip()
    if not username:
        raise ValidationError("a user name is needed")
    if role not in UserRole.values():
        raise ValidationError(f"unknown role {role!r} (use {', '.join(UserRole.values())})")
    if password_hash is None and len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationError(f"the user name {username!r} is taken")
    user = User(username=username, display_name=display_name or username, email=email,
                password_hash=password_hash or hash_password(password), role=role,
                org_unit=org_unit, extension=extension, language=language, is_active=True)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> Actor:
    """The actor for a user name and password; one message for every failure,
    so that a caller cannot learn which user names exist."""
    failure = AuthenticationFailed("Wrong user name or password.")
    if not (texts.is_storable(username) and texts.is_storable(password)):
        raise failure  # no user has such a name, nor such a password
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        _hasher.hash(password)  # spend the same time as a real check
        raise failure
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise failure from None
    actor = Actor.for_user(user)  # AccountDisabled: told only to who knows the password
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return actor


def actor_for(session: Session, username: str) -> Actor:
    """The actor of a user name, without a password (the command line's --as):
    NotFound, or AccountDisabled for a disabled account."""
    return Actor.for_user(user_by_name(session, username))


def require_active(session: Session, actor: Actor) -> None:
    """AccountDisabled when the actor's account was disabled (or removed) since
    it logged in; a check of one row, made where an agent acts, so that a
    disabled agent loses access at his next step. The system actor passes."""
    if actor.user_id is None:
        return
    user = session.get(User, actor.user_id)
    if user is None or not user.is_active:
        raise AccountDisabled(actor.username)


def set_active(session: Session, actor: Actor, username: str, active: bool) -> User:
    """Enable or disable an account; disabling ends every session of it, everywhere."""
    actor.require(Permission.USER_MANAGE, "enable or disable users")
    user = user_by_name(session, username)
    if user.id == actor.user_id and not active:
        raise ValidationError("you cannot disable your own account")
    user.is_active = active
    if not active:
        from crm.services.sessions import end_sessions_of  # sessions builds on this module

        end_sessions_of(session, user.id, "account_disabled")
    session.flush()
    return user


def set_password(session: Session, actor: Actor, username: str, password: str) -> User:
    """A new password, set by the user himself or by whoever manages users; every session
    of the account ends, so that a stolen one is worth nothing after the change."""
    user = user_by_name(session, username)
    if user.id != actor.user_id:
        actor.require(Permission.USER_MANAGE, "change other users' passwords")
    texts.check(password, "the password")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = hash_password(password)
    from crm.services.sessions import end_sessions_of  # sessions builds on this module

    end_sessions_of(session, user.id, "password_changed")
    session.flush()
    return user


def disabled_among(session: Session, usernames: list[str]) -> list[str]:
    """Which of these users are disabled (or gone): services end their sessions."""
    if not usernames:
        return []
    active = set(session.scalars(select(User.username).where(User.username.in_(usernames),
                                                             User.is_active.is_(True))))
    return sorted(set(usernames) - active)


def user_by_name(session: Session, username: str) -> User:
    texts.check(username, "the user name")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user {username!r}.")
    return user


def create_org_unit(session: Session, actor: Actor, *, kind: str, code: str, name: str,
                    parent: OrgUnit | None = None) -> OrgUnit:
    actor.require(Permission.SYSTEM_CONFIGURE, "change the organization")
    if kind not in OrgUnitKind.values():
        raise ValidationError(f"unknown org unit kind {kind!r}")
    expected = _PARENT_KIND[OrgUnitKind(kind)]
    if (parent.kind if parent else None) != (expected.value if expected else None):
        raise ValidationError(f"a {kind} belongs under a {expected or 'nothing'}, "
                              f"not under {parent.kind if parent else 'nothing'}")
    unit = OrgUnit(kind=kind, code=code, name=name, parent=parent)
    session.add(unit)
    session.flush()
    return unit


def org_path(unit: OrgUnit | None) -> list[OrgUnit]:
    """Contact center first, down to `unit`: the order profile settings inherit in."""
    path = []
    while unit is not None:
        path.append(unit)
        unit = unit.parent
    return list(reversed(path))


def set_skill(session: Session, actor: Actor, user: User, skill_name: str, level: int) -> None:
    actor.require(Permission.SYSTEM_CONFIGURE, "change agents' skills")
    if not 1 <= level <= 10:
        raise ValidationError("a skill level is between 1 and 10")
    skill = session.scalar(select(Skill).where(Skill.name == skill_name))
    if skill is None:
        skill = Skill(name=skill_name)
        session.add(skill)
        session.flush()
    existing = session.get(UserSkill, (user.id, skill.id))
    if existing:
        existing.level = level
    else:
        session.add(UserSkill(user_id=user.id, skill_id=skill.id, level=level))
    session.flush()
