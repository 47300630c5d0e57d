"""Desktops' sessions: a login with the application service's session, checked on threads
of its own behind a login guard; sessions that fall silent, or whose CRM session ended, end
here too and their work goes back to the queue."""

from __future__ import annotations

import logging
import secrets
import time
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError

from bus import mailq
from bus.delivery import new_event_key
from bus.envelope import encode_error, encode_reply
from crm.clock import utcnow
from crm.errors import CrmError, DatabaseUnavailable, PermissionDenied
from crm.login_guard import LoginRefused
from crm.models import User
from crm.permissions import Actor
from crm.services import profiles, sessions, users
from crm.services.supervision import WatchScope, watch_scope
from email_queue.health import is_outage
from email_queue.routing import RoutingError

log = logging.getLogger("email_queue.service")  # the whole service logs as one, as it always has

LOGIN_UNAVAILABLE_TEXT = "The session cannot be checked just now (the CRM database is unavailable); try again in a moment."
SESSION_CHECK_OVERLAP = timedelta(seconds=60)  # the hosts' clocks may differ a little: ask from a bit earlier
SESSION_END_REASONS = typing.get_args(mailq.SessionEndReason)
T = typing.TypeVar("T")
SESSION_ENDED = "session_ended"  # the error code of a login whose CRM session is not open


NOBODY = WatchScope(everything=False)  # an agent's session: it watches no one


@dataclass
class AgentSession:
    token: str  # the mail queue's session
    agent: str
    actor: Actor
    last_seen: float
    display_name: str = ""  # what customers see of the agent (the typing notice)
    crm_session: str = ""  # the hash of the CRM session it was opened with: it ends when that ends
    event_key: str = ""  # what its desktop presents on the event socket (bus.delivery)
    watching: bool = False  # a supervisor watching his org units' agents: no seat, no work
    scope: WatchScope = NOBODY


@dataclass(frozen=True)
class CheckedLogin:
    """A CRM session found open at login, with what the seat needs of its user."""

    session: sessions.OpenSession
    capacity: dict[str, int]
    display_name: str
    org_unit_id: int | None
    scope: WatchScope


class DeskSessions:
    """The part of MailqService that logs desktops in and ends their sessions."""

    async def _login(self, envelope: list[bytes], request_id: str, command: mailq.MailLogin, source: str) -> None:
        try:
            reply = encode_reply(request_id, await self._log_in(command, source))
        except LoginRefused as exc:
            reply = encode_error(request_id, exc.code, exc.message)
        except sessions.SessionEnded as exc:
            log.info("mail queue login from %s refused: session %s", source, exc.reason)
            reply = encode_error(request_id, SESSION_ENDED, str(exc))
        except RoutingError as exc:
            reply = encode_error(request_id, exc.code, exc.message)
        except DatabaseUnavailable as exc:
            reply = encode_error(request_id, "crm_unavailable", str(exc))
        except PermissionDenied as exc:
            reply = encode_error(request_id, "forbidden", str(exc))
        except CrmError as exc:
            reply = encode_error(request_id, type(exc).__name__.lower(), str(exc))
        except Exception:
            log.exception("a login from %s failed", source)
            reply = encode_error(request_id, "internal", "The login failed; see the mail queue's log.")
        self._reply(envelope, reply)

    async def _log_in(self, command: mailq.MailLogin, source: str) -> mailq.LoginResult:
        names = [q.name for q in self.config.queues]
        queues = command.queues if command.queues is not None else names
        unknown = [q for q in queues if q not in names]
        if unknown:  # before the session: a wrong request costs no lookup
            raise RoutingError("unknown_queue", f"no mail queue {', '.join(unknown)} (there are {', '.join(names)})")
        checked = await self._check_session(command.token, source, self._open_session_of, command.watch)
        actor = checked.session.actor
        agent = actor.username
        self.org_unit_of[agent] = checked.org_unit_id
        session = AgentSession(secrets.token_urlsafe(18), agent, actor, time.monotonic(), checked.display_name,
                               checked.session.token_hash, new_event_key(), command.watch, checked.scope)
        if command.watch:
            self._start_session(session)
            log.info("%s watches the mail queue (%s)", agent, command.client[:100] or "a console")
            return mailq.LoginResult(session=session.token, run=self.run_id, agent=agent, events=session.event_key,
                                     seat=mailq.SeatView(agent=agent, queues=[], capacity={}, available={}, work=[]))
        earlier = self.seated.get(agent)
        if earlier is not None:  # a second login replaces the first; the work stays
            self._stop_session(earlier)
        self._start_session(session)
        await self.apply(self.router.login(agent, queues, checked.capacity))
        self.seat_changed(agent)
        log.info("%s logged in to the mail queue (%s)", agent, command.client[:100] or "a desktop")
        return mailq.LoginResult(session=session.token, run=self.run_id, seat=self.seat_view(agent), agent=agent,
                                 events=session.event_key)

    def _start_session(self, session: AgentSession) -> None:
        self.sessions[session.token] = session
        if session.watching:
            self.watchers[session.token] = session
        else:
            self.seated[session.agent] = session
        self.delivery.grant(session.event_key)

    def _stop_session(self, session: AgentSession) -> None:
        """The session opens nothing more: its commands are refused and its events stop at once."""
        self.sessions.pop(session.token, None)
        self.watchers.pop(session.token, None)
        if self.seated.get(session.agent) is session:
            del self.seated[session.agent]
        self.delivery.revoke(session.event_key)

    async def _check_session(self, token: str, source: str, check: Callable[..., T], *args) -> T:
        """`check(token, *args)`, which reads the CRM session, run on a session thread if the guard
        lets it (LoginRefused otherwise): a login, or a supervisor's action. A made-up token counts
        as a failure of its source; one that was open once (ended, expired) does not: that is a
        desktop left open, not a guess."""
        guess_key = sessions.token_hash(token)[:16] if isinstance(token, str) else ""
        self.login_guard.admit(guess_key, source)
        succeeded = None
        try:
            result = await self.loop.run_in_executor(self.session_checks, check, token, *args)
            succeeded = True
            return result
        except sessions.SessionEnded as exc:
            succeeded = False if exc.reason == "unknown" else None
            raise
        except Exception as exc:
            if is_outage(exc):
                self.database_failed(exc)
                raise DatabaseUnavailable(LOGIN_UNAVAILABLE_TEXT) from exc
            raise
        finally:
            self.login_guard.finished(guess_key, source, succeeded=succeeded)

    def _open_session_of(self, token: str, watch: bool) -> CheckedLogin:
        with self.database.reading() as session:
            opened = sessions.actor_of(session, token)
            actor = opened.actor
            profile = profiles.profile_for_user(session, actor.username)
            user = session.get(User, actor.user_id)
            display_name = (user.display_name if user else "") or actor.username
            org_unit_id = user.org_unit_id if user else None
            # one rule for the gateway and the mail queue: who may watch agents, and which (crm.services.supervision)
            scope = watch_scope(session, actor) if watch else NOBODY
        return CheckedLogin(opened, dict(profile.capacity or profiles.DEFAULTS["capacity"]), display_name,
                            org_unit_id, scope)

    async def _end_session(self, session: AgentSession, reason: str, cause: str = "logged_off") -> None:
        self._stop_session(session)
        if not session.watching:
            self.seat_changed(session.agent)  # before the seat goes: its queues are told too
            await self.apply(self.router.logout(session.agent, reason, cause))

    async def _end_silent_sessions(self) -> None:
        now = time.monotonic()
        for session in list(self.sessions.values()):
            if now - session.last_seen > self.config.silent_seconds and session.token in self.sessions:
                log.info("%s's desktop went silent; its work goes back to the queue", session.agent)
                await self._end_session(session, "disconnected", "agent_gone")

    async def _end_ended_sessions(self) -> None:
        """Agents whose CRM session ended (signed out, expired, account disabled, password changed)
        lose their mail queue session too, and their work goes back. While the database is away
        they keep working: it is asked again next time, from where it was last answered."""
        now = time.monotonic()
        if now < self._next_account_check or not self.sessions:
            return
        self._next_account_check = now + self.config.account_check_seconds
        held = {s.crm_session: s.agent for s in self.sessions.values()}
        asked_at = utcnow()
        try:
            ended = await self.in_pool(self._ended_among, self._sessions_checked_at - SESSION_CHECK_OVERLAP, held)
        except (CrmError, DBAPIError):
            return
        self._sessions_checked_at = asked_at
        for session in [s for s in self.sessions.values() if s.crm_session in ended]:
            reason = ended[session.crm_session]
            log.warning("%s's mail queue session ends: the CRM session ended (%s)", session.agent, reason)
            self.delivery.publish([session.event_key], self._encode(mailq.MailSessionEnded(
                agent=session.agent, reason=reason if reason in SESSION_END_REASONS else "ended")))
            await self._end_session(session, f"session ended ({reason})")

    def _ended_among(self, since: datetime, held: dict[str, str]) -> dict[str, str]:
        """CRM session hash -> why it ended, among those held (hash -> agent). An account disabled
        in the database without its sessions being ended counts too."""
        with self.database.reading() as session:
            ended = sessions.ended_since(session, since, sorted(held))
            disabled = set(users.disabled_among(session, sorted(set(held.values()))))
        return {**{hashed: "account_disabled" for hashed, agent in held.items() if agent in disabled}, **ended}

    def _session(self, token: str) -> AgentSession:
        session = self.sessions.get(token)
        if session is None:
            raise RoutingError("no_session", "not logged in to the mail queue (or the session ended); log in again")
        return session

    def seat_view(self, agent: str) -> mailq.SeatView:
        seat = self.router.seats[agent]
        work = [self.work_view(cid) for cid in sorted(seat.work) if cid in self.router.items]
        return mailq.SeatView(agent=agent, queues=sorted(seat.queues), capacity=dict(seat.capacity),
                              available={c: seat.available.get(c, False) for c in ("email", "chat")}, work=work)
