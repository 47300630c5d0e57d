"""The console's sign-ins: a CRM session each (crm.services.sessions, the one the desktop gets
from the application service), held on the server; the browser holds only a signed cookie
that names it.

The console runs beside the other services and reaches the CRM directly, so the password is
checked here with the same login guard (crm.login_guard: rate limit, lockouts in the log) and
the CRM session it opens is one that every service accepts and ends with the account.

Agents are refused before any session is opened. A sign-in idle longer than `idle_seconds`
(no page or form asked for) ends, and so does its CRM session.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio
from sqlalchemy import select

from crm.db import Database
from crm.errors import AuthenticationFailed, CrmError, SessionEnded
from crm.login_guard import LoginGuard
from crm.models import User
from crm.permissions import Permission
from crm.services import sessions
from crm.services.supervision import WatchScope, watch_scope
from crm.services.users import authenticate

log = logging.getLogger("cicada.console")

IDLE_SECONDS = 30 * 60.0
# A wall screen's stream keeps its sign-in from being ended for idleness this long after it was last
# open (a reconnecting stream finds it still there); meanwhile the idle sign-in does nothing else.
WALL_GRACE_SECONDS = 120.0
CLIENT = "console"


class NotASupervisor(Exception):
    """Right password, but the role may not watch agents (an agent, a sales representative)."""


@dataclass
class SignIn:
    id: str
    token: str  # the CRM session's, never sent to the browser
    username: str
    display_name: str
    role: str
    language: str
    scope: WatchScope
    csrf: str  # what every form of this sign-in carries
    last_seen: float
    wall_seen: float = float("-inf")  # when a wall screen's stream of this sign-in was last open


class SignIns:
    def __init__(self, database: Database, *, secret: bytes | None = None, idle_seconds: float = IDLE_SECONDS,
                 guard: LoginGuard | None = None, clock: Callable[[], float] = time.monotonic,
                 on_end: Callable[[SignIn], None] = lambda signed: None):
        self.database = database
        self.secret = secret or secrets.token_bytes(32)
        self.idle_seconds = idle_seconds
        self.guard = guard or LoginGuard(service="console")
        self.clock = clock
        self.on_end = on_end  # told of every sign-in that ends, however
        self.open: dict[str, SignIn] = {}
        self.password_threads = anyio.CapacityLimiter(4)

    # --- the password ---------------------------------------------------------------------------

    async def sign_in(self, username: str, password: str, source: str) -> SignIn:
        """AuthenticationFailed, AccountDisabled, LoginRefused (the guard), NotASupervisor.
        The guard is asked on the event loop's thread (it is not thread-safe), the password
        checked on a worker thread (argon2 takes its time), four at most at once."""
        self.guard.admit(username, source)
        succeeded = None
        try:
            signed = await anyio.to_thread.run_sync(self._check, username, password, source,
                                                    limiter=self.password_threads)
            succeeded = True
        except AuthenticationFailed:
            succeeded = False
            raise
        except NotASupervisor:
            succeeded = True  # the password was right
            raise
        finally:
            self.guard.finished(username, source, succeeded=succeeded)
        self.open[signed.id] = signed
        log.info("%s (%s) signed in to the console from %s", signed.username, signed.role, source)
        return signed

    def _check(self, username: str, password: str, source: str) -> SignIn:
        with self.database.unit_of_work() as session:  # a sign-in may upgrade the password hash
            actor = authenticate(session, username, password)
            if not actor.can(Permission.AGENT_WATCH):
                log.info("%s (%s) was refused the console: not a supervisor", actor.username, actor.role)
                raise NotASupervisor(actor.username)
            scope = watch_scope(session, actor)
            user = session.scalar(select(User).where(User.id == actor.user_id))
            opened = sessions.open_session(session, actor, client=CLIENT, source=source)
            return SignIn(secrets.token_urlsafe(24), opened.token, actor.username,
                          (user.display_name if user else None) or actor.username, actor.role,
                          (user.language if user else None) or "en", scope, secrets.token_urlsafe(24),
                          self.clock())

    # --- the cookie ----------------------------------------------------------------------------

    def cookie_value(self, signed: SignIn) -> str:
        return f"{signed.id}.{self._signature(signed.id)}"

    def _signature(self, value: str) -> str:
        return hmac.new(self.secret, value.encode(), hashlib.sha256).hexdigest()

    def from_cookie(self, value: str | None, *, touch: bool = True, wall: bool = False) -> SignIn | None:
        """The sign-in a cookie names, if its signature holds and it is still open (not idle; for a
        wall screen's stream, idle too while a wall screen keeps it)."""
        if not value or len(value) > 200:
            return None
        sid, _, signature = value.rpartition(".")
        if not sid or not hmac.compare_digest(signature, self._signature(sid)):
            return None
        signed = self.open.get(sid)
        if signed is None:
            return None
        now = self.clock()
        if self.idle(signed, now) and not (wall and self.kept_by_wall(signed, now)):
            return None  # ended by the next sweep
        if touch and not wall:  # a wall screen's stream is nobody's activity
            signed.last_seen = now
        return signed

    def idle(self, signed: SignIn, now: float | None = None) -> bool:
        return (self.clock() if now is None else now) - signed.last_seen > self.idle_seconds

    def kept_by_wall(self, signed: SignIn, now: float | None = None) -> bool:
        """A wall screen (large figures, no controls) is left alone all day: its stream keeps the
        sign-in, idle or not, for the wall only (every other request of it is refused once idle)."""
        return (self.clock() if now is None else now) - signed.wall_seen <= WALL_GRACE_SECONDS

    def sweep(self) -> int:
        """End the sign-ins idle too long, their CRM sessions with them; how many."""
        now = self.clock()
        idle = [signed for signed in list(self.open.values())
                if self.idle(signed, now) and not self.kept_by_wall(signed, now)]
        for signed in idle:
            log.info("%s's console sign-in ended after %.0f min idle", signed.username, self.idle_seconds / 60)
            self.sign_out(signed, "idle")
        return len(idle)

    def still_open_in_crm(self, signed: SignIn) -> bool:
        """Whether the CRM session is open (not signed out elsewhere, expired, or the account disabled)."""
        try:
            with self.database.reading() as session:
                sessions.actor_of(session, signed.token)
            return True
        except SessionEnded as exc:
            log.info("%s's console sign-in ended: %s", signed.username, exc)
            if self.open.pop(signed.id, None) is not None:
                self.on_end(signed)
            return False

    def forget_token(self, token: str) -> None:
        """A CRM session another service found ended: its sign-ins end here too (their pages go
        back to the sign-in)."""
        for signed in [s for s in list(self.open.values()) if s.token == token]:
            if self.open.pop(signed.id, None) is not None:
                log.info("%s's console sign-in ended with its CRM session", signed.username)
                self.on_end(signed)

    def sign_out(self, signed: SignIn, reason: str = "signed_out") -> None:
        if self.open.pop(signed.id, None) is not None:
            self.on_end(signed)
        try:
            with self.database.unit_of_work() as session:
                sessions.end_session(session, signed.token, reason)
        except CrmError as exc:  # gone from here; the CRM session expires by itself
            log.warning("%s's CRM session not ended: %s", signed.username, exc)
        if reason == "signed_out":
            log.info("%s signed out of the console", signed.username)
