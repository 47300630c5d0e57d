"""The console's sign-ins: a CRM session each (crm.services.sessions, the one the desktop gets
from the application service), held on the server; the browser holds a cookie sealed with the
console's secret (AES-GCM: it can neither read nor change it) that names the sign-in and carries
its CRM session, so that a console restarted with the same secret takes the sign-ins back whose
CRM sessions are still open: a wall screen or a supervisor's page goes on after an upgrade.

The console runs beside the other services and reaches the CRM directly, so the password is
checked here with the same login guard (crm.login_guard: rate limit, lockouts in the log) and
the CRM session it opens is one that every service accepts and ends with the account.

Agents are refused before any session is opened. A sign-in idle longer than `idle_seconds`
(no page or form asked for) ends, and so does its CRM session.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

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
COOKIE_CONTEXT = b"cicada console sign-in 1"  # bound to each sealed cookie: nothing else opens as one
MAX_COOKIE_CHARS = 400
NONCE_BYTES = 12
FORGOTTEN_KEPT = 1000  # cookies found not to name an open sign-in, not looked up again


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
        self.secret = secret or secrets.token_bytes(32)  # none given: the sign-ins end with the process
        self._cipher = AESGCM(hashlib.sha256(b"cicada console cookies\0" + self.secret).digest())
        self._forgotten: dict[str, None] = {}  # sign-in ids not taken back, oldest first
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
        nonce = secrets.token_bytes(NONCE_BYTES)
        plain = json.dumps([signed.id, signed.token, signed.csrf]).encode()
        sealed = nonce + self._cipher.encrypt(nonce, plain, COOKIE_CONTEXT)
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def _opened(self, value: str | None) -> tuple[str, str, str] | None:
        """The sign-in id, CRM token and CSRF token a cookie of this console's secret carries."""
        if not value or len(value) > MAX_COOKIE_CHARS:
            return None
        try:
            sealed = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            carried = json.loads(self._cipher.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], COOKIE_CONTEXT))
        except (ValueError, InvalidTag):  # binascii.Error and JSONDecodeError are ValueErrors
            return None
        if not (isinstance(carried, list) and len(carried) == 3 and all(isinstance(v, str) for v in carried)):
            return None
        sid, token, csrf = carried
        return sid, token, csrf

    def from_cookie(self, value: str | None, *, touch: bool = True, wall: bool = False) -> SignIn | None:
        """The sign-in a cookie names, if it is this console's and still open (not idle; for a
        wall screen's stream, idle too while a wall screen keeps it)."""
        opened = self._opened(value)
        signed = self.open.get(opened[0]) if opened else None
        if signed is None or not secrets.compare_digest(signed.token, opened[1]):
            return None
        now = self.clock()
        if self.idle(signed, now) and not (wall and self.kept_by_wall(signed, now)):
            return None  # ended by the next sweep
        if touch and not wall:  # a wall screen's stream is nobody's activity
            signed.last_seen = now
        return signed

    async def take_back(self, value: str | None) -> None:
        """After a restart: the sign-in a cookie names again, if its CRM session is still open and
        its user may still watch agents (the role, the account and the org unit read anew)."""
        opened = self._opened(value)
        if opened is None or opened[0] in self.open or opened[0] in self._forgotten:
            return
        sid, token, csrf = opened
        try:
            signed = await anyio.to_thread.run_sync(self._taken_back, sid, token, csrf)
        except SQLAlchemyError as exc:  # the database is away: asked again at the next page
            log.warning("a console sign-in from before a restart cannot be checked now: %s", exc)
            return
        except (CrmError, NotASupervisor) as exc:
            log.info("a console sign-in from before a restart was not taken back: %s", exc)
            self._forgotten[sid] = None
            while len(self._forgotten) > FORGOTTEN_KEPT:
                del self._forgotten[next(iter(self._forgotten))]
            return
        if self.open.setdefault(sid, signed) is signed:
            log.info("%s's console sign-in was taken back after a restart", signed.username)

    def _taken_back(self, sid: str, token: str, csrf: str) -> SignIn:
        with self.database.reading() as session:
            opened = sessions.actor_of(session, token)
            actor = opened.actor
            if opened.client != CLIENT:
                raise SessionEnded("unknown")
            if not actor.can(Permission.AGENT_WATCH):
                raise NotASupervisor(actor.username)
            user = session.scalar(select(User).where(User.id == actor.user_id))
            return SignIn(sid, token, actor.username, (user.display_name if user else None) or actor.username,
                          actor.role, (user.language if user else None) or "en", watch_scope(session, actor),
                          csrf, self.clock())

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
