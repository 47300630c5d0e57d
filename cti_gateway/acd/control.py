"""Call control: what an agent does with a call, and how consult calls,
transfers, conferences and outbound calls unfold. A part of `Acd`, over `core.AcdCore`."""

from __future__ import annotations

import json
import re
import secrets

from bus import cti
from cti_gateway.acd import views
from cti_gateway.acd.core import AcdCore
from cti_gateway.acd.errors import CommandError
from cti_gateway.acd.model import (
    Agent,
    AgentMode,
    Call,
    CallState,
    Consult,
    LegRole,
    Queue,
)
from cti_gateway.acd.routing import choose_agent, qualifies

DIALABLE = re.compile(r"^\+?[0-9*#]{2,32}$")
DTMF_DIGITS = re.compile(r"^[0-9*#A-Da-d]{1,32}$")


def normalize_number(number: str) -> str:
    """Digits as a trunk wants them; spaces, dashes, dots and brackets dropped."""
    cleaned = re.sub(r"[\s\-.()]", "", number or "")
    if not DIALABLE.match(cleaned):
        raise CommandError("invalid_argument",
                           f"{number!r} is not a phone number (digits, optionally a leading +).")
    return cleaned


class CallControl(AcdCore):
    # --- finding the call an agent means -------------------------------------------------

    def _call_of(self, agent: Agent, call_id: str) -> Call:
        call = self.calls.get(call_id)
        if call is None or call not in agent.calls:
            raise CommandError("unknown_call", f"You have no call {call_id}; it may have ended.")
        return call

    def _handled_call(self, session: str, call_id: str) -> tuple[Agent, Call]:
        agent = self.agent_for(session)
        call = self._call_of(agent, call_id)
        if call.handler is not agent or call.state is not CallState.CONNECTED:
            raise CommandError("invalid_state", "Only the agent talking to the customer can do this.")
        return agent, call

    # --- offered calls -------------------------------------------------------------------

    def accept(self, session: str, call_id: str) -> None:
        with self.operation():
            agent = self.agent_for(session)
            call = self._call_of(agent, call_id)
            offer = self._offer_to(agent, call)
            if offer is None:
                if call.handler is agent:
                    return  # the phone answered first: nothing left to accept
                raise CommandError("invalid_state", "This call is not being offered to you.")
            offer.accepted = True
            self.publish_call(call, cti.CallAccepted(call_id=call.id, agent=agent.name), [agent])

    def _offer_to(self, agent: Agent, call: Call):
        if call.offer is not None and call.offer.agent is agent:
            return call.offer
        consult = call.consult
        if consult is not None and consult.agent is agent and not consult.connected:
            return consult
        return None

    def reject(self, session: str, call_id: str) -> None:
        with self.operation():
            agent = self.agent_for(session)
            call = self._call_of(agent, call_id)
            if call.consult is not None and call.consult.agent is agent and not call.consult.connected:
                self.consult_failed(call, "failed", agent_mode=(AgentMode.READY, None))
                return
            if call.offer is None or call.offer.agent is not agent:
                raise CommandError("invalid_state", "This call is not being offered to you.")
            call.rejected_by.add(agent.name)
            self.records.queue_event("rejected", at=self.clock.utc(), contact_id=call.id,
                                     queue=call.queue, agent=agent.name)
            self.withdraw_offer(call, "rejected", AgentMode.READY)
            self.requeue(call)

    # --- hanging up ------------------------------------------------------------------------

    def hangup(self, session: str, call_id: str) -> None:
        with self.operation():
            agent = self.agent_for(session)
            call = self._call_of(agent, call_id)
            if call.consult is not None and call.consult.agent is agent:
                self.drop_leg(call.consult.leg)
                self.consult_left(call)
            elif call.handler is agent:
                if call.handler_leg is not None:
                    self.drop_leg(call.handler_leg)
                self.handler_left(call)
            elif call.offer is not None and call.offer.agent is agent:
                self.reject(session, call_id)
            else:
                raise CommandError("invalid_state", "This call is not yours to hang up.")

    def handler_left(self, call: Call) -> None:
        """The handling agent hung up: with a consulted party on the line the
        call passes to it (the classic attended transfer); otherwise it ends."""
        consult = call.consult
        if consult is not None and consult.connected and call.state is CallState.CONNECTED:
            self._hand_over_to_consulted(call, attended=True)
            return
        self.end_call(call, "agent_hangup")

    # --- hold ---------------------------------------------------------------------------------

    def hold(self, session: str, call_id: str) -> None:
        with self.operation():
            agent, call = self._handled_call(session, call_id)
            if call.consult is not None:
                raise CommandError("invalid_state", "The customer is already on hold during a consult.")
            if call.held_since is not None:
                raise CommandError("invalid_state", "The call is already on hold.")
            self._hold_customer(call)
            self.publish_call(call, cti.CallHeld(call_id=call.id, agent=agent.name), [agent])
            self.publish_agent_state(agent)

    def _hold_customer(self, call: Call) -> None:
        if call.held_since is None:
            call.held_since = self.now()
            self.records.queue_event("held", at=self.clock.utc(), contact_id=call.id, queue=call.queue,
                                     agent=call.handler.name if call.handler else None)
            queue = self.queues.get(call.queue or "")
            self.switch.isolate(call.agent_leg.id)
            self.switch.play_music(call.customer_leg.id, queue.config.music if queue else None)

    def retrieve(self, session: str, call_id: str) -> None:
        with self.operation():
            agent, call = self._handled_call(session, call_id)
            if call.consult is not None:
                raise CommandError("invalid_state",
                                   "End the consult first (cancel it, transfer or conference).")
            if call.held_since is None:
                raise CommandError("invalid_state", "The call is not on hold.")
            self._reconnect_customer(call)
            self.publish_call(call, cti.CallRetrieved(call_id=call.id, agent=agent.name), [agent])
            self.publish_agent_state(agent)

    def _reconnect_customer(self, call: Call) -> None:
        if call.held_since is not None:
            self.records.queue_event("retrieved", at=self.clock.utc(), contact_id=call.id, queue=call.queue,
                                     agent=call.handler.name if call.handler else None)
        self._end_hold(call)
        self.switch.connect([call.customer_leg.id, call.agent_leg.id])

    def _end_hold(self, call: Call) -> None:
        if call.held_since is not None:
            call.hold_seconds += self.now() - call.held_since
            call.held_since = None

    # --- blind transfer ---------------------------------------------------------------------------

    def transfer(self, session: str, call_id: str, target: cti.Target) -> None:
        with self.operation():
            agent, call = self._handled_call(session, call_id)
            if call.consult is not None:
                raise CommandError("invalid_state", "Cancel the consult before a blind transfer.")
            if target.kind == "agent":
                destination = self._ready_agent(target.value, agent)
                self._leave_for_transfer(call, agent, target)
                self._open_next_segment(call)
                self.offer(call, destination, "transfer")
                call.target_agent = destination.name
            elif target.kind == "queue":
                queue = self._queue_named(target.value)
                self._leave_for_transfer(call, agent, target)
                self._open_next_segment(call)
                self.enqueue(call, queue)
            else:
                number = normalize_number(target.value)
                self._leave_for_transfer(call, agent, target)
                self._to_external(call, number)

    def _ready_agent(self, name: str, me: Agent) -> Agent:
        other = self.agents.get(name)
        if other is None:
            raise CommandError("unknown_agent", f"{name} is not logged in.")
        if other is me:
            raise CommandError("invalid_argument", "You cannot transfer a call to yourself.")
        if other.mode is not AgentMode.READY:
            raise CommandError("agent_not_ready",
                               f"{name} is not ready (now: {other.mode.value.replace('_', ' ')}).")
        return other

    def _queue_named(self, name: str) -> Queue:
        queue = self.queues.get(name)
        if queue is None:
            raise CommandError("unknown_queue", f"There is no queue {name!r}.")
        return queue

    def _leave_for_transfer(self, call: Call, agent: Agent, target: cti.Target,
                            attended: bool = False) -> None:
        """The agent's part ends with the transfer; the customer hears music
        until the target takes over."""
        now = self.now()
        self._end_hold(call)
        self._close_segment(call, agent, "transferred")
        self.records.queue_event("transferred", at=self.clock.utc(), contact_id=call.id,
                                 queue=call.queue, agent=agent.name,
                                 target=f"{target.kind}:{target.value}", attended=attended)
        self.publish_call(call, cti.CallTransferred(call_id=call.id, agent=agent.name, target=target,
                                                    attended=attended), [agent])
        leg = call.handler_leg
        call.handler_leg = None
        if not attended:
            queue = self.queues.get(call.queue or "")
            self.switch.play_music(call.customer_leg.id, queue.config.music if queue else None)
            call.state = CallState.QUEUED
            call.queued_since = now
            call.answered_at = call.answered_epoch = None
        if leg is not None:
            self.drop_leg(leg)
        self.release_handler(call, agent)

    def _close_segment(self, call: Call, agent: Agent, cause: str) -> None:
        now = self.now()
        talk = now - call.answered_at if call.answered_at is not None else 0.0
        self.records.segment_updated(call.id, call.segment_no, ended_at=self.clock.utc(),
                                     end_cause=cause, talk_seconds=talk,
                                     hold_seconds=call.hold_total(now), status="wrap_up")
        call.hold_seconds = 0.0
        call.segment_open = False

    def _open_next_segment(self, call: Call, agent: Agent | None = None) -> None:
        call.segment_no += 1
        call.segment_open = True
        call.segment_started = self.now()
        self.records.segment_opened(call.id, call.segment_no, direction=call.direction,
                                    queue=call.queue, ani=call.ani, dnis=call.dnis,
                                    started_at=self.clock.utc(),
                                    queued_at=None if agent else self.clock.utc(),
                                    agent=agent.name if agent else None)
        if call.data.get("partner_no"):
            self.records.segment_updated(call.id, call.segment_no,
                                         partner_no=str(call.data["partner_no"]))

    def _to_external(self, call: Call, number: str) -> None:
        uri = self.settings.external_uri.format(number=number)
        if self.settings.external_transfer == "refer":
            call.state = CallState.EXTERNAL
            self.switch.refer(call.customer_leg.id, uri)
            return
        leg = self.new_leg(call, LegRole.EXTERNAL)
        call.external = leg
        call.state = CallState.EXTERNAL
        self.switch.dial(call.worker, leg.id, uri, caller_id=call.ani,
                         headers={"X-Cicada-Call-Id": call.id}, connect_to=call.customer_leg.id)

    def external_failed(self, call: Call, code: int, reason: str) -> None:
        call.external = None
        self.end_call(call, "failure", detail=f"transfer target failed: {code} {reason}")

    def refer_done(self, leg_id: str, ok: bool, code: int) -> None:
        with self.operation():
            leg = self.legs.get(leg_id)
            if leg is None or leg.call is None:
                return
            call = leg.call
            if ok:
                self.drop_leg(leg)
                self.end_call(call, "transferred")
            else:
                self.end_call(call, "failure", detail=f"the trunk refused the transfer ({code})")

    # --- consult, attended transfer, conference ------------------------------------------------------

    def consult(self, session: str, call_id: str, target: cti.Target) -> None:
        with self.operation():
            agent, call = self._handled_call(session, call_id)
            if call.consult is not None:
                raise CommandError("invalid_state", "A consult call is already in progress.")
            if self.switch.free_lines(call.worker) < 1:
                raise CommandError("no_line", "No line is free for a consult call right now; "
                                              "use a blind transfer instead.")
            consulted, uri = self._consult_destination(target, agent)
            self._hold_customer(call)
            leg = self.new_leg(call, LegRole.CONSULT, consulted)
            call.consult = Consult(target.kind, target.value, leg, consulted)
            self.switch.dial(call.worker, leg.id, uri, caller_id=agent.name if consulted else None,
                             headers={"X-Cicada-Call-Id": call.id, "X-Cicada-Consult": agent.name})
            if consulted is not None:
                self._offer_consult(call, consulted, agent)
            self.publish_call(call, cti.ConsultStarted(call_id=call.id, agent=agent.name,
                                                       target=target), [agent])
            self.publish_agent_state(agent)

    def _consult_destination(self, target: cti.Target, me: Agent) -> tuple[Agent | None, str]:
        if target.kind == "agent":
            other = self._ready_agent(target.value, me)
            return other, other.device
        if target.kind == "queue":
            queue = self._queue_named(target.value)
            ready = [a for a in self.agents.values() if a.mode is AgentMode.READY and a is not me
                     and queue.name in a.queues and qualifies(a, queue)]
            chosen = choose_agent(queue, ready)
            if chosen is None:
                raise CommandError("agent_not_ready", f"Nobody is ready in queue {queue.name}.")
            return chosen, chosen.device
        number = normalize_number(target.value)
        return None, self.settings.external_uri.format(number=number)

    def _offer_consult(self, call: Call, consulted: Agent, by: Agent) -> None:
        consult = call.current_consult
        consulted.calls.append(call)
        self.set_mode(consulted, AgentMode.OFFERED)
        ring = self.settings.ring_timeout
        consulted.timer = self.schedule(ring, lambda: self._consult_not_answered(call, consult))
        self.publish_call(call, cti.CallOffered(
            call_id=call.id, agent=consulted.name, kind="consult", ani=call.ani, dnis=call.dnis,
            queue=call.queue, waited=0.0, ring_timeout=ring, offered_by=by.name,
            data=dict(call.data)), [consulted])

    def _consult_not_answered(self, call: Call, consult: Consult) -> None:
        if call.consult is consult and not consult.connected:
            self.consult_failed(call, "no_answer", agent_mode=(AgentMode.NOT_READY, "ring_no_answer"))

    def consult_answered(self, call: Call) -> None:
        consult = call.current_consult
        consult.connected = True
        self.switch.connect([call.agent_leg.id, consult.leg.id])
        target = cti.Target(kind=consult.target_kind, value=consult.target_value)
        agents = [call.handling_agent]
        if consult.agent is not None:
            if consult.agent.timer:
                consult.agent.timer.cancel()
                consult.agent.timer = None
            self.set_mode(consult.agent, AgentMode.BUSY)
            agents.append(consult.agent)
        self.publish_call(call, cti.ConsultConnected(call_id=call.id, agent=call.handling_agent.name,
                                                     target=target), agents)
        self.publish_agent_state(call.handling_agent)

    def consult_failed(self, call: Call, reason: cti.ConsultEndReason,
                       agent_mode: tuple[AgentMode, str | None] = (AgentMode.NOT_READY, "device_failed")) -> None:
        """The consulted party never answered; the customer stays on hold."""
        consult = call.current_consult
        self.end_consult(call, reason, agent_mode=agent_mode)
        if consult.agent is not None and agent_mode[0] is AgentMode.NOT_READY:
            self.notify(consult.agent, "warning",
                        "You did not answer a consult call; you are now Not ready.", code="consult_no_answer")

    def consult_left(self, call: Call) -> None:
        """The consulted party hung up. After a conference the agent and the
        customer simply go on; after a consult the customer stays on hold."""
        consult = call.current_consult
        was_conference = consult.conference
        self.end_consult(call, "hung_up")
        if was_conference and call.handler_leg is not None:
            self.switch.connect([call.customer_leg.id, call.agent_leg.id])

    def end_consult(self, call: Call, reason: cti.ConsultEndReason,
                    agent_mode: tuple[AgentMode, str | None] = (AgentMode.READY, None)) -> None:
        consult = call.consult
        if consult is None:
            return
        call.consult = None
        self.drop_leg(consult.leg)
        agents = [a for a in (call.handler,) if a is not None]
        consulted = consult.agent
        if consulted is not None:
            if consulted.timer:
                consulted.timer.cancel()
                consulted.timer = None
            if call in consulted.calls:
                consulted.calls.remove(call)
            agents.append(consulted)
            if consulted.mode in (AgentMode.OFFERED, AgentMode.BUSY):
                self.set_mode(consulted, *agent_mode)
        if call.handler is not None:
            self.publish_call(call, cti.ConsultEnded(call_id=call.id, agent=call.handler.name,
                                                     reason=reason), agents)
            self.publish_agent_state(call.handler)

    def cancel_consult(self, session: str, call_id: str) -> None:
        with self.operation():
            agent, call = self._handled_call(session, call_id)
            if call.consult is None:
                raise CommandError("invalid_state", "There is no consult call to cancel.")
            self.end_consult(call, "cancelled")
            self._reconnect_customer(call)
            self.publish_agent_state(agent)

    def complete_transfer(self, session: str, call_id: str) -> None:
        with self.operation():
            agent, call = self._handled_call(session, call_id)
            consult = call.consult
            if consult is None:
                raise CommandError("invalid_state", "Start a consult call first.")
            if not consult.connected:
                raise CommandError("invalid_state",
                                   "The consulted party has not answered yet; wait, or cancel "
                                   "the consult and transfer blind.")
            self._hand_over_to_consulted(call, attended=True)

    def _hand_over_to_consulted(self, call: Call, *, attended: bool) -> None:
        """The consulted party takes the customer; the handling agent leaves."""
        agent, consult = call.handling_agent, call.current_consult
        target = cti.Target(kind=consult.target_kind, value=consult.target_value)
        call.consult = None
        self.switch.connect([call.customer_leg.id, consult.leg.id])
        self._leave_for_transfer(call, agent, target, attended=attended)
        self._end_hold(call)
        if consult.agent is None:  # an external number keeps the customer
            call.external = consult.leg
            call.state = CallState.EXTERNAL
            return
        receiver = consult.agent
        now = self.now()
        call.handler, call.handler_leg = receiver, consult.leg
        call.state = CallState.CONNECTED
        call.answered_at, call.answered_epoch = now, self.clock.epoch()
        receiver.calls_taken += 1
        self._open_next_segment(call, receiver)
        self.records.segment_updated(call.id, call.segment_no, answered_at=self.clock.utc(),
                                     wait_seconds=0)
        self.publish_call(call, cti.CallTransferred(call_id=call.id, agent=agent.name,
                                                    target=target, attended=attended), [receiver])
        self.publish_agent_state(receiver)

    def conference(self, session: str, call_id: str) -> None:
        with self.operation():
            agent, call = self._handled_call(session, call_id)
            consult = call.consult
            if consult is None or not consult.connected:
                raise CommandError("invalid_state", "A conference needs an answered consult call.")
            if consult.conference:
                raise CommandError("invalid_state", "The conference is already on.")
            consult.conference = True
            self._end_hold(call)
            self.switch.connect([call.customer_leg.id, call.agent_leg.id, consult.leg.id])
            agents = [agent] + ([consult.agent] if consult.agent else [])
            external = consult.target_value if consult.agent is None else None
            self.publish_call(call, cti.CallConferenced(call_id=call.id, agents=[a.name for a in agents],
                                                        external=external), agents)
            for each in agents:
                self.publish_agent_state(each)

    # --- DTMF and attached data --------------------------------------------------------------------

    def dtmf(self, session: str, call_id: str, digits: str) -> None:
        with self.operation():
            agent, call = self._handled_call(session, call_id)
            if not DTMF_DIGITS.match(digits or ""):
                raise CommandError("invalid_argument", f"{digits!r}: DTMF digits are 0-9, *, # and A-D.")
            consult = call.consult
            leg = consult.leg if consult is not None and consult.connected else call.customer_leg
            self.switch.send_dtmf(leg.id, digits.upper())

    def set_data(self, session: str, call_id: str, data: dict, replace: bool = False) -> dict:
        with self.operation():
            agent = self.agent_for(session)
            call = self._call_of(agent, call_id)
            merged = dict(data) if replace else {**call.data, **data}
            merged = {k: v for k, v in merged.items() if v is not None}
            size = len(json.dumps(merged, ensure_ascii=False).encode())
            if size > self.settings.max_data_bytes:
                raise CommandError("too_large", f"Attached data may hold {self.settings.max_data_bytes} "
                                                f"bytes; this would be {size}.")
            call.data = merged
            if data.get("partner_no"):
                self.records.segment_updated(call.id, call.segment_no, partner_no=str(data["partner_no"]))
            self.publish_call(call, cti.CallDataChanged(call_id=call.id, data=dict(merged),
                                                        by=agent.name), self.agents_of(call))
            return dict(merged)

    def get_data(self, session: str, call_id: str) -> dict:
        agent = self.agent_for(session)
        return dict(self._call_of(agent, call_id).data)

    # --- outbound calls ------------------------------------------------------------------------------

    def dial(self, session: str, number: str, caller_id: str | None = None,
             data: dict | None = None) -> str:
        """Ring the agent's phone first (it answers by itself), then the customer."""
        with self.operation():
            agent = self.agent_for(session)
            if agent.mode not in (AgentMode.READY, AgentMode.NOT_READY, AgentMode.WRAP_UP) or agent.calls:
                raise CommandError("invalid_state", "Finish your current call before dialling.")
            number = normalize_number(number)
            caller_id = self._caller_id(caller_id)
            worker = self.switch.worker_for_new_call()
            if worker is None:
                raise CommandError("no_line", "All lines are busy; try again in a moment.")
            if agent.mode is AgentMode.WRAP_UP:
                self.finish_wrap_up(agent, (AgentMode.NOT_READY, "after_call_work")
                                    if "after_call_work" in self.settings.not_ready_reasons
                                    else (AgentMode.READY, None))
            call = self._outbound_call(agent, number, caller_id, worker, data or {})
            return call.id

    def _caller_id(self, wanted: str | None) -> str:
        allowed = self.settings.caller_ids
        if wanted is None:
            return allowed[0] if allowed else ""
        if wanted not in allowed:
            raise CommandError("invalid_argument",
                               f"Caller ID {wanted} is not configured; use one of {', '.join(allowed)}.")
        return wanted

    def _outbound_call(self, agent: Agent, number: str, caller_id: str, worker: str,
                       data: dict) -> Call:
        now = self.now()
        call = Call(id=secrets.token_hex(8), direction="outbound", ani=caller_id, dnis=number,
                    worker=worker, customer=None, arrived=now, arrived_epoch=self.clock.epoch(),
                    state=CallState.DIALING, data=dict(data))
        call.segment_started = now
        self.calls[call.id] = call
        leg = self.new_leg(call, LegRole.AGENT, agent)
        call.handler, call.handler_leg = agent, leg
        agent.calls.append(call)
        self.set_mode(agent, AgentMode.BUSY)
        self.records.segment_opened(call.id, 1, direction="outbound", queue=None, ani=caller_id,
                                    dnis=number, started_at=self.clock.utc(), agent=agent.name)
        self.switch.dial(worker, leg.id, agent.device, caller_id=number,
                         headers={"X-Cicada-Call-Id": call.id, "X-Cicada-Direction": "outbound",
                                  "Call-Info": "<sip:cicada>;answer-after=0"})
        self.publish_call(call, cti.CallOffered(
            call_id=call.id, agent=agent.name, kind="outbound", ani=caller_id, dnis=number,
            queue=None, waited=0.0, ring_timeout=self.settings.ring_timeout, data=dict(call.data)),
            [agent])
        self.publish_call(call, cti.CallAccepted(call_id=call.id, agent=agent.name), [agent])
        call.timers.append(self.schedule(self.settings.ring_timeout + self.settings.outbound_ring_timeout,
                                         lambda: self._outbound_not_answered(call)))
        return call

    def outbound_agent_answered(self, call: Call) -> None:
        leg = self.new_leg(call, LegRole.CUSTOMER)
        call.customer = leg
        uri = self.settings.external_uri.format(number=call.dnis)
        self.switch.dial(call.worker, leg.id, uri, caller_id=call.ani,
                         headers={"X-Cicada-Call-Id": call.id}, connect_to=call.agent_leg.id)

    def outbound_customer_answered(self, call: Call) -> None:
        self.cancel_call_timers(call)
        now = self.now()
        agent = call.handling_agent
        call.state = CallState.CONNECTED
        call.answered_at, call.answered_epoch = now, self.clock.epoch()
        agent.calls_taken += 1
        self.records.segment_updated(call.id, 1, answered_at=self.clock.utc())
        self.publish_call(call, cti.CallAnswered(call_id=call.id, agent=agent.name, waited=0.0,
                                                 call=views.call_view(self, call, agent)), [agent])
        self.publish_agent_state(agent)

    def _outbound_not_answered(self, call: Call) -> None:
        if call.state is CallState.DIALING:
            self.end_call(call, "no_answer")
