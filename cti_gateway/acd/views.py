"""What the engine's state looks like to desktops: the views in `bus.cti`."""

from __future__ import annotations

from typing import cast

from bus import cti
from cti_gateway.acd.core import AcdCore
from cti_gateway.acd.model import Agent, AgentMode, Call, CallState, Queue


def agent_view(acd: AcdCore, agent: Agent) -> cti.AgentView:
    wrap_up_until = None
    if agent.wrap_up is not None and agent.wrap_up.until is not None:
        wrap_up_until = acd.clock.epoch() + (agent.wrap_up.until - acd.now())
    pending_mode, pending_reason = agent.pending if agent.pending else (None, None)
    return cti.AgentView(
        agent=agent.name, name=agent.profile.display_name, mode=agent.mode.value,
        reason=agent.reason, since=agent.since_epoch, queues=list(agent.queues),
        device=agent.device, pending_mode=pending_mode.value if pending_mode else None,
        pending_reason=pending_reason, wrap_up_until=wrap_up_until,
        calls=[call_view(acd, call, agent) for call in agent.calls])


def call_view(acd: AcdCore, call: Call, agent: Agent) -> cti.CallView:
    now = acd.now()
    consulted = call.consult is not None and call.consult.agent is agent
    held_since = None
    if call.held_since is not None:
        held_since = acd.clock.epoch() - (now - call.held_since)
    return cti.CallView(
        call_id=call.id, role="consulted" if consulted else "handler",
        state=_state(call, agent, consulted), direction=call.direction, ani=call.ani,
        dnis=call.dnis, queue=call.queue, waited=call.waited(now),
        offered_at=call.offered_epoch, answered_at=call.answered_epoch, held_since=held_since,
        hold_seconds=call.hold_total(now), consult=_consult_view(call), data=dict(call.data))


def _state(call: Call, agent: Agent, consulted: bool) -> cti.CallState:
    if consulted:
        consult = call.current_consult
        if consult.conference:
            return "conference"
        return "connected" if consult.connected else "offered"
    if call.state is CallState.CONNECTED:
        if call.consult is not None:
            return "conference" if call.consult.conference else "consulting"
        return "held" if call.held_since is not None else "connected"
    return cast(cti.CallState, call.state.value)  # the engine's states are the bus's


def _consult_view(call: Call) -> cti.ConsultView | None:
    consult = call.consult
    if consult is None:
        return None
    state: cti.ConsultState = "conference" if consult.conference else "connected" if consult.connected else "ringing"
    return cti.ConsultView(target=cti.Target(kind=consult.target_kind, value=consult.target_value),
                           state=state)


def queue_stats(acd: AcdCore, queue: Queue) -> cti.QueueStats:
    members = [a for a in acd.agents.values() if queue.name in a.queues]
    modes = [a.mode for a in members]
    now = acd.now()
    longest = max((now - c.queued_since for c in queue.waiting if c.queued_since is not None), default=0.0)
    decided = queue.answered + queue.abandoned
    return cti.QueueStats(
        queue=queue.name, waiting=len(queue.waiting), longest_wait=longest,
        agents_logged_in=len(members),
        agents_ready=modes.count(AgentMode.READY), agents_offered=modes.count(AgentMode.OFFERED),
        agents_busy=modes.count(AgentMode.BUSY), agents_wrap_up=modes.count(AgentMode.WRAP_UP),
        agents_not_ready=modes.count(AgentMode.NOT_READY),
        entered=queue.entered, answered=queue.answered, abandoned=queue.abandoned,
        overflowed=queue.overflowed, answered_in_service_level=queue.answered_in_time,
        service_level_seconds=queue.config.service_level_seconds,
        service_level=(queue.answered_in_time / decided) if decided else None,
        org_units=list(queue.config.org_units))
