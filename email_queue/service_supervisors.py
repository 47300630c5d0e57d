"""What supervisors do to email and chat agents: set them Away on a channel or on both.

Nothing new is offered to an Away agent on that channel; the conversations he holds stay his
(a supervisor's action never cuts a customer off). The supervisor's CRM session is checked as a
login is (the login guard, then the CRM), he may act only on the agents of his org units
(crm.services.supervisor_actions, the gateway's rule), and every action, refusals included, goes
to the CRM's audit trail.
"""

from __future__ import annotations

import logging

from bus import mailq
from bus.envelope import encode_error, encode_reply
from crm.errors import CrmError, DatabaseUnavailable, NotFound, PermissionDenied
from crm.login_guard import LoginRefused
from crm.permissions import Actor
from crm.services import sessions, supervisor_actions
from email_queue.routing import CHANNELS, RoutingError
from email_queue.service_base import to_agent

log = logging.getLogger("email_queue.service")

ACTION = "away"


class Supervisors:
    """The part of MailqService that carries out supervisors' actions on agents."""

    async def _supervisor_away(self, envelope: list[bytes], request_id: str, command: mailq.SupervisorAway,
                               source: str) -> None:
        try:
            reply = encode_reply(request_id, await self._set_away(command, source))
        except LoginRefused as exc:
            reply = encode_error(request_id, exc.code, exc.message)
        except sessions.SessionEnded as exc:
            reply = encode_error(request_id, "session_ended", str(exc))
        except PermissionDenied as exc:
            reply = encode_error(request_id, "forbidden", str(exc))
        except NotFound as exc:
            reply = encode_error(request_id, "unknown_agent", str(exc))
        except RoutingError as exc:
            reply = encode_error(request_id, exc.code, exc.message)
        except DatabaseUnavailable as exc:
            reply = encode_error(request_id, "crm_unavailable", str(exc))
        except CrmError as exc:
            reply = encode_error(request_id, type(exc).__name__.lower(), str(exc))
        except Exception:  # one bad action must cost itself only
            log.exception("a supervisor's action from %s failed", source)
            reply = encode_error(request_id, "internal", "The mail queue failed; see its log.")
        self._reply(envelope, reply)

    async def _set_away(self, command: mailq.SupervisorAway, source: str) -> mailq.SupervisedSeatView:
        channels = [command.channel] if command.channel else list(CHANNELS)
        detail = {"agent": command.agent, "reason": "+".join(channels)}
        # checked as a login is: the login guard, then the CRM (the refusals on his rights in the trail)
        acting = await self._check_session(command.token, source, self._acting_in_crm, command.agent, detail)
        detail["agent_user_id"] = acting.agent_user_id
        if command.agent not in self.router.seats:
            self._record_supervisor_action(acting.actor, "not_logged_in", detail)
            raise RoutingError("not_logged_in", f"{command.agent} is not logged in to the mail queue")
        for channel in channels:
            await self.apply(self.router.set_available(command.agent, channel, False))
        self.seat_changed(command.agent)
        self.publish(to_agent(command.agent), mailq.SetAway(agent=command.agent, channels=channels,
                                                            by=acting.display_name))
        self._record_supervisor_action(acting.actor, "done", detail)
        log.info("%s set %s away on %s", acting.actor.username, command.agent, " and ".join(channels))
        seat = self.supervised_seat(command.agent)
        assert seat is not None  # seated above, and nothing awaited since that could log him off
        return seat

    def _acting_in_crm(self, token: str, agent: str, detail: dict) -> supervisor_actions.Acting:
        with self.database.unit_of_work() as session:
            found = supervisor_actions.acting_by_session(session, token, ACTION, **detail)
        if isinstance(found, supervisor_actions.Acting):
            return found
        raise found

    def _record_supervisor_action(self, actor: Actor, outcome: str, detail: dict) -> None:
        """In the audit trail, on the pool; a database away costs the entry and a log line."""
        def write() -> None:
            try:
                with self.database.unit_of_work() as session:
                    supervisor_actions.record(session, actor, ACTION, outcome, **detail)
            except Exception as exc:
                log.error("%s's action %s (%s) not in the audit trail: %s", actor.username, ACTION, outcome, exc)

        self.pool.submit(write)
