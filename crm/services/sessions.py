"""One sign-in: a user's session, issued once and accepted by every service.

The application service signs a user in (password checked here) and hands
out a token; the desktop presents that token to the gateway and the mail
queue instead of a password. A session ends when the user signs out, when it
expires, when his account is disabled or his password changed (every one of
his sessions, everywhere), or when a service ends it. Services that keep a
session open (the gateway, the mail queue) ask `ended_since` every few
seconds and end theirs.

Only the SHA-256 of a token is stored: a copy of the table lets nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from typing import cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from crm import texts
from crm.clock import utcnow
from crm.errors import SessionEnded, ValidationError  # noqa: F401 - SessionEnded: named as this module's too
from crm.models import User, UserSession
from crm.permissions import Actor
from crm.services.users import authenticate

SESSION_LIFETIME = timedelta(hours=12)  # a long shift; signing in again after it is no hardship
TOKEN_BYTES = 32


@dataclass(frozen=True)
class SignedIn:
    token: str  # given to the client once; never stored
    token_hash: str
    actor: Actor
    expires_at: datetime


@dataclass(frozen=True)
class OpenSession:
    token_hash: str
    actor: Actor
    client: str
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def sign_in(session: Session, username: str, password: str, *, client: str, source: str,
            lifetime: timedelta = SESSION_LIFETIME) -> SignedIn:
    """Check the password and open a session (AuthenticationFailed, AccountDisabled)."""
    actor = authenticate(session, username, password)
    return open_session(session, actor, client=client, source=source, lifetime=lifetime)


def open_session(session: Session, actor: Actor, *, client: str, source: str,
                 lifetime: timedelta = SESSION_LIFETIME) -> SignedIn:
    if actor.user_id is None:
        raise ValidationError("the system has no session")
    texts.check_each({"the client's name": client, "the source address": source})
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    row = UserSession(token_hash=token_hash(token), user_id=actor.user_id, client=client[:80] or "client",
                      source=source[:64], created_at=now, expires_at=now + lifetime)
    session.add(row)
    session.flush()
    return SignedIn(token, row.token_hash, actor, row.expires_at)


def actor_of(session: Session, token: str) -> OpenSession:
    """Whose session `token` is, if it is open: SessionEnded otherwise. The account is
    checked each time, so a disabled user's session opens nothing even before it is ended."""
    if not isinstance(token, str) or not token or len(token) > 200 or not texts.is_storable(token):
        raise SessionEnded("unknown")
    return open_session_by_hash(session, token_hash(token))


def open_session_by_hash(session: Session, hashed: str) -> OpenSession:
    # One query for the session and its user: this runs before every request of every desktop.
    found = session.execute(select(UserSession, User).outerjoin(User, User.id == UserSession.user_id)
                            .where(UserSession.token_hash == hashed)).first()
    if found is None:
        raise SessionEnded("unknown")
    row, user = found
    if row.ended_at is not None:
        raise SessionEnded(row.end_reason or "ended")
    if row.expires_at <= utcnow():
        raise SessionEnded("expired")
    if user is None or not user.is_active:
        raise SessionEnded("account_disabled")
    return OpenSession(row.token_hash, Actor.for_user(user), row.client, row.expires_at)


def end_session(session: Session, token: str, reason: str = "signed_out") -> bool:
    """End one session (signing out); False if it was not open."""
    return end_session_by_hash(session, token_hash(token), reason)


def end_session_by_hash(session: Session, hashed: str, reason: str) -> bool:
    result = cast(CursorResult, session.execute(update(UserSession).where(
        UserSession.token_hash == hashed, UserSession.ended_at.is_(None)).values(
        ended_at=utcnow(), end_reason=reason[:40])))
    return result.rowcount > 0


def end_sessions_of(session: Session, user_id: int, reason: str) -> int:
    """End every open session of a user (disabled, password changed); how many."""
    result = cast(CursorResult, session.execute(update(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None)).values(
        ended_at=utcnow(), end_reason=reason[:40])))
    return result.rowcount


def ended_since(session: Session, since: datetime, hashes: list[str] | None = None) -> dict[str, str]:
    """token hash → reason, for sessions ended or expired since `since` (among `hashes`, if
    given): what a service holding sessions open must end too."""
    now = utcnow()
    query = select(UserSession.token_hash, UserSession.end_reason, UserSession.ended_at).where(or_(
        UserSession.ended_at >= since,
        (UserSession.expires_at >= since) & (UserSession.expires_at <= now)))
    if hashes is not None:
        query = query.where(UserSession.token_hash.in_(hashes))
    return {hashed: (reason or "ended") if ended else "expired" for hashed, reason, ended in session.execute(query)}


def purge_ended(session: Session, older_than: timedelta = timedelta(days=30)) -> int:
    """Forget sessions ended or expired long ago."""
    cutoff = utcnow() - older_than
    rows = session.scalars(select(UserSession).where(or_(
        UserSession.ended_at < cutoff, UserSession.expires_at < cutoff))).all()
    for row in rows:
        session.delete(row)
    return len(rows)
