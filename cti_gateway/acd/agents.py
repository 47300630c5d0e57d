"""Agents' own commands: log in and out, change work mode, ask for a snapshot.

A part of `Acd` (over `core.AcdCore`); the password was checked against the CRM before `login`
is called, which receives the agent's profile.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from bus import cti
from cti_gateway.acd import views
from cti_gateway.acd.core import AcdCore
from cti_gateway.acd.errors import CommandError
from cti_gateway.acd.model import Agent, AgentMode, AgentProfile, CallState
from cti_gateway.acd.routing import qualifies

SIP_URI = re.compile(r"^sips?:([^@\s]+@)?[A-Za-z0-9.\-\[\]:]+(;[^\s]*)?$")


class AgentCommands(AcdCore):
    def agent_for(self, session: str) -> Agent:
        agent = self.sessions.get(session)
        if agent is None:
            raise CommandError("not_logged_in",
                               "This desktop is not logged in to the gateway (the gateway may have "
                               "restarted, or another desktop took over); log in again.")
        return agent

    def login(self, profile: AgentProfile, *, device: str | None, queues: list[str] | None,
              takeover: bool = False, client: str = "") -> tuple[str, cti.AgentView]:
        with self.operation():
            device = (device or profile.extension or "").strip()
            self._check_device(profile, device)
            queue_names = self._login_queues(profile, queues)
            existing = self.agents.get(profile.username)
            if existing is not None:
                return self._second_login(existing, device, queue_names, takeover, client)
            now = self.now()
            agent = Agent(profile=profile, session=secrets.token_urlsafe(18), client=client,
                          device=device, queues=queue_names, mode=AgentMode.LOGGED_OUT,
                          since=now, since_epoch=self.clock.epoch(), idle_since=now)
            self.agents[agent.name] = agent
            self.sessions[agent.session] = agent
            self.records.queue_event("logged_in", at=self.clock.utc(), agent=agent.name,
                                     queues=queue_names, channels=["phone"], device=device)
            self.set_mode(agent, AgentMode.NOT_READY, "login")
            return agent.session, views.agent_view(self, agent)

    def _check_device(self, profile: AgentProfile, device: str) -> None:
        if not device:
            raise CommandError("no_device", f"{profile.username} has no phone: give the SIP "
                                            "address where your phone answers (e.g. sip:1001@10.0.0.5).")
        if not SIP_URI.match(device):
            raise CommandError("invalid_argument",
                               f"{device!r} is not a SIP address (e.g. sip:1001@10.0.0.5:5060).")
        for other in self.agents.values():
            if other.device == device and other.name != profile.username:
                raise CommandError("device_in_use",
                                   f"The phone {device} is in use by {other.name}.")

    def _login_queues(self, profile: AgentProfile, wanted: list[str] | None) -> list[str]:
        probe = Agent(profile=profile, session="", client="", device="", queues=[],
                      mode=AgentMode.LOGGED_OUT, since=0, since_epoch=0)
        if wanted is None:
            return [q.name for q in self.queues.values() if qualifies(probe, q)]
        names = []
        for name in wanted:
            queue = self.queues.get(name)
            if queue is None:
                raise CommandError("unknown_queue", f"There is no queue {name!r}; queues: "
                                                    f"{', '.join(sorted(self.queues))}.")
            if not qualifies(probe, queue):
                needs = ", ".join(f"{s} ≥ {lvl}" for s, lvl in queue.config.skills.items())
                raise CommandError("missing_skills",
                                   f"{profile.username} lacks the skills queue {name} needs ({needs}).")
            if name not in names:
                names.append(name)
        return names

    def _second_login(self, agent: Agent, device: str, queues: list[str], takeover: bool,
                      client: str) -> tuple[str, cti.AgentView]:
        if not takeover:
            since = self.clock.epoch() - (self.now() - agent.since)
            raise CommandError(
                "already_logged_in",
                f"{agent.name} is already logged in{' from ' + agent.client if agent.client else ''} "
                f"(in this mode since {_clock_time(since)}). Log in with takeover to move "
                "the session here.")
        old = agent.session
        self.sessions.pop(old, None)
        agent.session = secrets.token_urlsafe(18)
        agent.client = client
        self.sessions[agent.session] = agent
        self.publisher.publish([cti.agent_topic(agent.name)], cti.AgentSessionEnded(
            agent=agent.name, session=old, reason=f"taken over by {client or 'another desktop'}"))
        if not agent.calls:
            agent.device = device
        old_queues, agent.queues = agent.queues, queues
        self._dirty_queues.update(q for q in set(old_queues) | set(queues) if q in self.queues)
        self.publish_agent_state(agent)
        return agent.session, views.agent_view(self, agent)

    def logout(self, session: str, reason: str = "logged out") -> None:
        with self.operation():
            agent = self.agent_for(session)
            if any(c.handler is agent or (c.consult and c.consult.agent is agent)
                   for c in agent.calls):
                raise CommandError("invalid_state", "Hang up your call before logging out.")
            for call in list(agent.calls):
                if call.offer is not None and call.offer.agent is agent:
                    self.withdraw_offer(call, "logged_out", AgentMode.LOGGED_OUT)
                    self.requeue(call)
            self.finish_wrap_up(agent, (AgentMode.LOGGED_OUT, None))
            self.set_mode(agent, AgentMode.LOGGED_OUT, reason)
            if agent.timer:
                agent.timer.cancel()
            self.agents.pop(agent.name, None)
            self.sessions.pop(agent.session, None)
            self.records.queue_event("logged_out", at=self.clock.utc(), agent=agent.name, reason=reason)

    def log_out_all(self, agent: Agent, reason: str) -> None:
        """The gateway stops: the agent's wrap-up and session end in the records. His desktop is
        not told he logged out: it sees the gateway go, and logs in again when it is back, in
        the mode he had."""
        wrap_up, agent.wrap_up = agent.wrap_up, None
        if wrap_up is not None:
            self.records.segment_updated(wrap_up.call_id, wrap_up.segment_no, status="closed",
                                         wrapup_seconds=self.now() - wrap_up.started)
        if agent.timer:
            agent.timer.cancel()
            agent.timer = None
        at = self.clock.utc()
        self.records.queue_event("work_mode", at=at, agent=agent.name, mode=AgentMode.LOGGED_OUT.value,
                                 reason=reason)
        self.records.queue_event("logged_out", at=at, agent=agent.name, reason=reason)
        self.agents.pop(agent.name, None)
        self.sessions.pop(agent.session, None)

    def set_agent_mode(self, session: str, mode: str, reason: str | None = None) -> cti.AgentView:
        with self.operation():
            agent = self.agent_for(session)
            if agent.pending is not None and agent.pending[0] is AgentMode.LOGGED_OUT:
                raise CommandError("invalid_state", "Your supervisor logs you off when this call ends.")
            wanted = AgentMode(mode)
            reason = self._check_reason(wanted, reason)
            if agent.mode in (AgentMode.BUSY, AgentMode.OFFERED) or _in_call(agent):
                if agent.mode is AgentMode.OFFERED and wanted is AgentMode.NOT_READY:
                    raise CommandError("invalid_state",
                                       "A call is being offered to you: accept or reject it first.")
                agent.pending = (wanted, reason)
                self.publish_agent_state(agent)
            elif agent.mode is AgentMode.WRAP_UP:
                self._leave_wrap_up(agent, wanted, reason)
            elif wanted is AgentMode.WRAP_UP:
                raise CommandError("invalid_state", "Wrap-up follows a call; you have none to wrap up.")
            else:
                self.set_mode(agent, wanted, reason)
            return views.agent_view(self, agent)

    def _check_reason(self, mode: AgentMode, reason: str | None) -> str | None:
        if mode is not AgentMode.NOT_READY:
            return None
        reasons = self.settings.not_ready_reasons
        if not reason:
            raise CommandError("invalid_argument",
                               f"Say why you are not ready: one of {', '.join(reasons)}.")
        if reasons and reason not in reasons:
            raise CommandError("invalid_argument",
                               f"Unknown not-ready reason {reason!r}; use one of {', '.join(reasons)}.")
        return reason

    def _leave_wrap_up(self, agent: Agent, mode: AgentMode, reason: str | None) -> None:
        if mode is AgentMode.WRAP_UP:  # stay in wrap-up until the agent chooses a mode
            if agent.timer:
                agent.timer.cancel()
                agent.timer = None
            if agent.wrap_up is not None:
                agent.wrap_up.until = None
            self.publish_agent_state(agent)
            return
        self.finish_wrap_up(agent, (mode, reason))

    # --- a supervisor's commands (the CRM has checked that he may act on the agent) -------------

    def logged_in(self, name: str) -> Agent:
        agent = self.agents.get(name)
        if agent is None:
            raise CommandError("unknown_agent", f"{name} is not logged in (he may have logged off meanwhile).")
        return agent

    def supervisor_not_ready(self, name: str, reason: str, supervisor: str) -> bool:
        """Set the agent Not ready now, or when his call ends (False) as his own pending mode."""
        with self.operation():
            agent = self.logged_in(name)
            reason = self._check_reason(AgentMode.NOT_READY, reason) or reason
            if agent.mode is AgentMode.OFFERED:
                raise CommandError("invalid_state", f"A call is being offered to {name}; try again in a moment.")
            if agent.pending is not None and agent.pending[0] is AgentMode.LOGGED_OUT:
                raise CommandError("invalid_state", f"{name} is already logged off when his call ends.")
            now = not (agent.mode in (AgentMode.BUSY, AgentMode.OFFERED) or _in_call(agent))
            if not now:
                agent.pending = (AgentMode.NOT_READY, reason)
                self.publish_agent_state(agent)
            elif agent.mode is AgentMode.WRAP_UP:
                self.finish_wrap_up(agent, (AgentMode.NOT_READY, reason))
            else:
                self.set_mode(agent, AgentMode.NOT_READY, reason)
            self.notify(agent, "info", f"{supervisor} set you Not ready ({reason})"
                                       f"{'' if now else ' once your call ends'}.",
                        code="supervisor_not_ready" if now else "supervisor_not_ready_after_call",
                        supervisor=supervisor, reason=reason)
            return now

    def supervisor_log_off(self, name: str, supervisor: str) -> bool:
        """Log the agent off now, or when his call ends (False): his wrap-up ends with it."""
        with self.operation():
            agent = self.logged_in(name)
            if any(c.handler is agent or (c.consult and c.consult.agent is agent) for c in agent.calls):
                agent.pending = (AgentMode.LOGGED_OUT, None)
                self.publish_agent_state(agent)
                self.notify(agent, "warning", f"{supervisor} logs you off once your call ends.",
                            code="supervisor_log_off_after_call", supervisor=supervisor)
                return False
            self.notify(agent, "warning", f"{supervisor} logged you off.", code="supervisor_logged_off",
                        supervisor=supervisor)
            self.logout(agent.session, reason=f"logged off by {supervisor}")
            return True

    def broadcast(self, sender: str, sender_name: str, text: str,
                  queue: str | None = None, agent: str | None = None,
                  visible: Callable[[str], bool] = lambda name: True) -> list[str]:
        """A supervisor's message to every agent logged in, to the agents
        logged into `queue`, or to one agent, among those `visible` to the
        sender; returns who it went to. The CRM has checked the sender's
        permission."""
        if queue is not None and queue not in self.queues:
            raise CommandError("unknown_queue", f"There is no queue {queue!r}; queues: "
                                                f"{', '.join(sorted(self.queues))}.")
        if agent is not None:
            self.logged_in(agent)
        agents = sorted(a.name for a in self.agents.values()
                        if (queue is None or queue in a.queues) and (agent is None or a.name == agent)
                        and visible(a.name))
        sent_at = self.clock.epoch()
        for name in agents:
            self.publisher.publish([cti.agent_topic(name)], cti.AgentBroadcast(
                agent=name, sender=sender, sender_name=sender_name, text=text, sent_at=sent_at, queue=queue))
        return agents

    def snapshot(self, session: str) -> cti.AgentView:
        return views.agent_view(self, self.agent_for(session))

    def agent_views(self) -> list[cti.AgentView]:
        return [views.agent_view(self, a) for a in sorted(self.agents.values(), key=lambda a: a.name)]

    def queue_views(self) -> list[cti.QueueStats]:
        return [views.queue_stats(self, q) for q in self.queues.values()]


def _in_call(agent: Agent) -> bool:
    return any(c.state is not CallState.ENDED for c in agent.calls)


def _clock_time(epoch: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(epoch).strftime("%H:%M")
