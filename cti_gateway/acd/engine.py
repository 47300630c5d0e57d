"""The ACD engine: calls enter queues, are offered to agents and connected.

Entry points are of three kinds and each runs to completion: telephony
reports (`incoming_call`, `leg_answered`, `leg_failed`, `leg_ended`, ...),
agents' commands (in `agents.py` and `control.py`) and `tick`, which fires
due timers (ring-no-answer, wrap-up end, maximum wait, announcements) and
publishes queue statistics every few seconds.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import secrets
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import final

from bus import cti
from bus.sipworker import Announcement
from cti_gateway.acd import views
from cti_gateway.acd.agents import AgentCommands
from cti_gateway.acd.clock import Clock
from cti_gateway.acd.control import CallControl
from cti_gateway.acd.model import (
    Agent,
    AgentMode,
    Call,
    CallState,
    Leg,
    LegRole,
    Offer,
    Queue,
    QueueConfig,
    Timer,
    WrapUp,
)
from cti_gateway.acd.ports import Publisher, Records, Switch
from cti_gateway.acd.routing import choose_agent, qualifies

log = logging.getLogger(__name__)

CALL_ID_HEADER = "X-Cicada-Call-Id"
# Who ended a call, for the event log's "ended": the customer, the agent, or the system (every
# other cause: a timeout, no agents, a failure, the gateway stopping).
_ENDED_BY = {"caller_hangup": "customer", "abandoned": "customer", "agent_hangup": "agent"}


@dataclass(frozen=True)
class AcdSettings:
    ring_timeout: float = 15.0
    wrap_up_seconds: float = 30.0  # 0: agents are ready again as soon as a call ends
    not_ready_reasons: tuple[str, ...] = ("break", "lunch", "meeting", "training",
                                          "after_call_work", "technical_problem")
    external_uri: str = "sip:{number}@127.0.0.1:5062"  # how external numbers are dialled
    caller_ids: tuple[str, ...] = ("4008001234",)  # outbound caller IDs; the first is the default
    external_transfer: str = "bridge"  # or "refer": hand the customer to the trunk
    outbound_ring_timeout: float = 40.0
    stats_interval: float = 5.0
    default_queue: str | None = None  # for calls whose number leads to no queue
    max_data_bytes: int = 16_384
    handle_time_estimate: float = 180.0  # seconds, until the queue has measured its own


@final  # and so mypy checks that it provides all of AcdCore
class Acd(AgentCommands, CallControl):
    def __init__(self, queues: list[QueueConfig], *, clock: Clock, switch: Switch,
                 publisher: Publisher, records: Records, settings: AcdSettings = AcdSettings()):
        self.clock = clock
        self.switch = switch
        self.publisher = publisher
        self.records = records
        self.settings = settings
        self.queues: dict[str, Queue] = {}
        self.queue_by_dnis: dict[str, Queue] = {}
        for config in queues:
            self._add_queue(config)
        self.agents: dict[str, Agent] = {}
        self.sessions: dict[str, Agent] = {}
        self.calls: dict[str, Call] = {}
        self.legs: dict[str, Leg] = {}
        self._timers: list[tuple[float, int, Timer]] = []
        self._timer_seq = itertools.count()
        self._leg_seq = itertools.count(1)
        self._depth = 0
        self.shutting_down = False
        self._dirty_queues: set[str] = set()
        self._dispatch_wanted = False
        self._next_stats = clock.monotonic() + settings.stats_interval

    def _add_queue(self, config: QueueConfig) -> None:
        if config.name in self.queues:
            raise ValueError(f"queue {config.name!r} is configured twice")
        queue = Queue(config, handle_time=self.settings.handle_time_estimate)
        self.queues[config.name] = queue
        for number in config.dnis:
            if number in self.queue_by_dnis:
                raise ValueError(f"number {number} leads to two queues: "
                                 f"{self.queue_by_dnis[number].name} and {config.name}")
            self.queue_by_dnis[number] = queue
        for config_queue in self.queues.values():
            target = config_queue.config.overflow.queue
            if target and target in self.queues and target == config_queue.name:
                raise ValueError(f"queue {target!r} overflows into itself")

    def check_configuration(self) -> None:
        """Refuse overflow targets and a default queue that do not exist."""
        for queue in self.queues.values():
            target = queue.config.overflow.queue
            if target and target not in self.queues:
                raise ValueError(f"queue {queue.name!r} overflows to unknown queue {target!r}")
        if self.settings.default_queue and self.settings.default_queue not in self.queues:
            raise ValueError(f"the default queue {self.settings.default_queue!r} is not configured")

    # --- running entry points to completion ------------------------------------

    @contextmanager
    def operation(self):
        """Wrap every entry point: afterwards waiting calls are matched with
        ready agents and changed queues publish their statistics."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._settle()

    def _settle(self) -> None:
        self._depth += 1
        try:
            while self._dispatch_wanted:
                self._dispatch_wanted = False
                self._dispatch()
            for name in sorted(self._dirty_queues):
                self._publish_stats(self.queues[name])
            self._dirty_queues.clear()
        finally:
            self._depth -= 1

    # --- time ------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.monotonic()

    def schedule(self, delay: float, action: Callable[[], None]) -> Timer:
        timer = Timer(self.now() + delay, action)
        heapq.heappush(self._timers, (timer.due, next(self._timer_seq), timer))
        return timer

    def tick(self) -> None:
        with self.operation():
            now = self.now()
            while self._timers and self._timers[0][0] <= now:
                _, _, timer = heapq.heappop(self._timers)
                if not timer.cancelled:
                    timer.cancelled = True
                    timer.action()
            if now >= self._next_stats:
                self._next_stats = now + self.settings.stats_interval
                self._dirty_queues.update(self.queues)

    def next_timer_in(self) -> float | None:
        while self._timers and self._timers[0][2].cancelled:
            heapq.heappop(self._timers)
        if not self._timers:
            return None
        return max(0.0, self._timers[0][0] - self.now())

    # --- incoming calls ----------------------------------------------------------

    def incoming_call(self, worker: str, leg_id: str, *, ani: str, dnis: str,
                      x_queue: str | None = None) -> None:
        with self.operation():
            if self.shutting_down:
                self.switch.reject(leg_id, 503, "Service stopping")
                return
            queue = self._queue_for(dnis, x_queue)
            if queue is None:
                log.info("call from %s to %s: no queue for this number", ani, dnis)
                self.switch.reject(leg_id, 404, "No queue for this number")
                return
            call = Call(id=secrets.token_hex(8), direction="inbound", ani=ani, dnis=dnis,
                        worker=worker, customer=None, arrived=self.now(),
                        arrived_epoch=self.clock.epoch(), state=CallState.QUEUED)
            call.customer = self._leg(leg_id, worker, LegRole.CUSTOMER, call)
            call.segment_started = call.arrived
            self.calls[call.id] = call
            self.switch.answer(leg_id)
            call.customer.answered = True  # the gateway answers every caller it queues
            self.records.segment_opened(call.id, 1, direction="inbound", queue=queue.name, ani=ani,
                                        dnis=dnis, started_at=self.clock.utc(),
                                        queued_at=self.clock.utc())
            self.enqueue(call, queue, welcome=True)

    def _queue_for(self, dnis: str, x_queue: str | None) -> Queue | None:
        if x_queue and x_queue in self.queues:
            return self.queues[x_queue]
        queue = self.queue_by_dnis.get(dnis)
        if queue is None and self.settings.default_queue:
            queue = self.queues[self.settings.default_queue]
        return queue

    def _leg(self, leg_id: str, worker: str, role: LegRole, call: Call,
             agent: Agent | None = None) -> Leg:
        leg = Leg(leg_id, worker, role, call, agent)
        self.legs[leg_id] = leg
        return leg

    def new_leg(self, call: Call, role: LegRole, agent: Agent | None = None) -> Leg:
        return self._leg(f"g{next(self._leg_seq)}", call.worker, role, call, agent)

    # --- queueing ----------------------------------------------------------------

    def enqueue(self, call: Call, queue: Queue, *, welcome: bool = False) -> None:
        """A call enters a queue (on arrival, overflow or transfer), or
        overflows at once if the queue is full."""
        call.queues_visited.append(queue.name)
        call.queue = queue.name
        if queue.config.max_length is not None and len(queue.waiting) >= queue.config.max_length:
            self.overflow(call, queue, why="full")
            return
        call.state = CallState.QUEUED
        call.queued_since = self.now()
        queue.waiting.append(call)
        queue.entered += 1
        self.queue_step("entered", call.id, queue.name, ani=call.ani, dnis=call.dnis)
        self._arm_queue_timers(call, queue)
        self._greet(call, queue, welcome)
        self._dirty_queues.add(queue.name)
        self._dispatch_wanted = True

    def requeue_at_head(self, call: Call, queue: Queue) -> None:
        """An offer failed: the call goes back to the head of its queue."""
        call.state = CallState.QUEUED
        queue.waiting.appendleft(call)
        if not call.timers:
            self._arm_queue_timers(call, queue)
        self._dirty_queues.add(queue.name)
        self._dispatch_wanted = True

    def _greet(self, call: Call, queue: Queue, welcome: bool) -> None:
        leg = call.customer_leg.id
        if welcome and queue.config.welcome:
            self.switch.announce(leg, Announcement(kind="welcome", language=queue.config.language),
                                 "music", queue.config.music)
        else:
            self.switch.play_music(leg, queue.config.music)

    def _arm_queue_timers(self, call: Call, queue: Queue) -> None:
        self.cancel_call_timers(call)
        if queue.config.max_wait is not None:
            call.timers.append(self.schedule(queue.config.max_wait,
                                             lambda: self._max_wait_reached(call, queue)))
        if queue.config.announce_every:
            call.timers.append(self.schedule(queue.config.announce_every,
                                             lambda: self._announce_position(call, queue)))

    def cancel_call_timers(self, call: Call) -> None:
        for timer in call.timers:
            timer.cancel()
        call.timers.clear()

    def _announce_position(self, call: Call, queue: Queue) -> None:
        if call.state is not CallState.QUEUED or call.queue != queue.name:
            return
        position = self.position(call)
        if position:
            announcement = Announcement(kind="position", language=queue.config.language,
                                        position=position,
                                        expected_wait=self.expected_wait(queue, position))
            self.switch.announce(call.customer_leg.id, announcement, "music", queue.config.music)
        if queue.config.announce_every:  # always, as it was armed: for the type checker
            call.timers.append(self.schedule(queue.config.announce_every,
                                             lambda: self._announce_position(call, queue)))

    def position(self, call: Call) -> int | None:
        queue = self.queues.get(call.queue or "")
        if queue is None or call not in queue.waiting:
            return None
        return queue.waiting.index(call) + 1

    def expected_wait(self, queue: Queue, position: int) -> float | None:
        """Position times the average handle time, shared by the queue's
        staffed agents; unknown while nobody is logged into the queue."""
        staffed = sum(1 for a in self.agents.values()
                      if queue.name in a.queues and a.mode is not AgentMode.NOT_READY)
        if staffed == 0:
            return None
        return position * queue.handle_time / staffed

    def _max_wait_reached(self, call: Call, queue: Queue) -> None:
        if call.queue != queue.name:
            return
        if call.state is CallState.OFFERED:  # about to be answered: look again shortly
            call.timers.append(self.schedule(1.0, lambda: self._max_wait_reached(call, queue)))
            return
        if call.state is CallState.QUEUED:
            self.overflow(call, queue, why="max_wait")

    def remove_from_queue(self, call: Call) -> None:
        queue = self.queues.get(call.queue or "")
        if queue is not None and call in queue.waiting:
            queue.waiting.remove(call)
            self._dirty_queues.add(queue.name)

    def overflow(self, call: Call, queue: Queue, *, why: str) -> None:
        self.remove_from_queue(call)
        queue.overflowed += 1
        target = queue.config.overflow.queue
        self.queue_step("overflowed", call.id, queue.name, reason=why,
                        target=str(queue.config.overflow), wait=call.waited(self.now()))
        self._dirty_queues.add(queue.name)
        if target and target not in call.queues_visited:
            self.records.segment_updated(call.id, call.segment_no, queue=target)
            self.enqueue(call, self.queues[target])
        else:
            self.overflow_to_closing(call, queue)

    def overflow_to_closing(self, call: Call, queue: Queue) -> None:
        """No queue will take the call: say so, then hang up."""
        self.remove_from_queue(call)
        self.cancel_call_timers(call)
        call.state = CallState.ENDING
        self.switch.announce(call.customer_leg.id,
                             Announcement(kind="closing", language=queue.config.language),
                             "hangup")
        self.end_call(call, "overflow")

    # --- matching calls and agents ---------------------------------------------------

    def _dispatch(self) -> None:
        ready = [a for a in self.agents.values() if a.mode is AgentMode.READY]
        if not ready:
            return
        unserved_queues: set[str] = set()
        for call in self._waiting_in_order():
            if not ready:
                return
            queue = self.queues[call.queue]
            plain = call.target_agent is None and not call.rejected_by
            if (plain and queue.name in unserved_queues) or self.switch.free_lines(call.worker) < 1:
                continue
            agent = choose_agent(queue, [a for a in ready if self._may_take(a, call, queue)])
            if agent is None:
                if plain:  # no later call of this queue can be served either
                    unserved_queues.add(queue.name)
                continue
            ready.remove(agent)
            self.remove_from_queue(call)
            self.offer(call, agent, "transfer" if call.target_agent else "inbound")

    def _waiting_in_order(self):
        """Waiting calls, each queue in its own order, and across queues the
        call whose queue head has waited longest first."""
        lines = [list(q.waiting) for q in self.queues.values() if q.waiting]
        heads = [0] * len(lines)
        while True:
            best = None
            for i, line in enumerate(lines):
                if heads[i] < len(line) and (
                        best is None or line[heads[i]].queued_since < lines[best][heads[best]].queued_since):
                    best = i
            if best is None:
                return
            yield lines[best][heads[best]]
            heads[best] += 1

    def _may_take(self, agent: Agent, call: Call, queue: Queue) -> bool:
        if call.target_agent:
            return agent.name == call.target_agent
        return (queue.name in agent.queues and agent.name not in call.rejected_by
                and qualifies(agent, queue))

    def offer(self, call: Call, agent: Agent, kind: cti.OfferKind) -> None:
        """Ring the agent's phone and show the call in the agent's desktop."""
        queue = self.queues.get(call.queue or "")
        leg = self.new_leg(call, LegRole.AGENT, agent)
        offer = Offer(agent, leg, kind, self.now())
        call.offer = offer
        call.state = CallState.OFFERED
        call.offered_epoch = self.clock.epoch()
        agent.calls.append(call)
        self.set_mode(agent, AgentMode.OFFERED)
        ring = self.ring_timeout(queue)
        agent.timer = self.schedule(ring, lambda: self._ring_no_answer(call, offer))
        self.switch.dial(call.worker, leg.id, agent.device, caller_id=call.ani,
                         headers={CALL_ID_HEADER: call.id, "X-Cicada-Queue": call.queue or ""})
        if queue is not None:
            self._dirty_queues.add(queue.name)
        self.records.queue_event("offered", at=self.clock.utc(), contact_id=call.id,
                                 queue=call.queue, agent=agent.name, wait=call.waited(self.now()))
        self.records.segment_updated(call.id, call.segment_no, agent=agent.name,
                                     offered_at=self.clock.utc())
        self.publish_call(call, cti.CallOffered(
            call_id=call.id, agent=agent.name, kind=kind, ani=call.ani, dnis=call.dnis,
            queue=call.queue, waited=call.waited(self.now()), ring_timeout=ring,
            data=dict(call.data)), [agent])

    def ring_timeout(self, queue: Queue | None) -> float:
        if queue is not None and queue.config.ring_timeout is not None:
            return queue.config.ring_timeout
        return self.settings.ring_timeout

    def _ring_no_answer(self, call: Call, offer: Offer) -> None:
        if call.offer is not offer:
            return
        agent = offer.agent
        log.info("call %s: %s did not answer within the ring timeout", call.id, agent.name)
        self.records.queue_event("ring_no_answer", at=self.clock.utc(), contact_id=call.id,
                                 queue=call.queue, agent=agent.name)
        self.withdraw_offer(call, "ring_no_answer", AgentMode.NOT_READY, "ring_no_answer")
        self.notify(agent, "warning", "You did not answer a call in time; you are now Not ready.",
                    code="ring_no_answer")
        self.requeue(call)

    def withdraw_offer(self, call: Call, reason: cti.WithdrawReason, mode: AgentMode,
                       mode_reason: str | None = None) -> None:
        """Take the offer back from its agent and hang up the agent's leg."""
        offer = call.offer
        if offer is None:
            return
        call.offer = None
        self.drop_leg(offer.leg)
        agent = offer.agent
        if agent.timer:
            agent.timer.cancel()
            agent.timer = None
        if call in agent.calls:
            agent.calls.remove(call)
        self.publish_call(call, cti.CallOfferWithdrawn(call_id=call.id, agent=agent.name,
                                                       reason=reason), [agent])
        if agent.mode is AgentMode.OFFERED:
            self.set_mode(agent, mode, mode_reason)

    def requeue(self, call: Call) -> None:
        """An offer failed: back to the head of its queue, or to its queue
        after a transfer to one agent who did not answer."""
        call.target_agent = None
        queue = self.queues.get(call.queue or "")
        if queue is None:
            self.end_call(call, "no_answer")
            return
        self.requeue_at_head(call, queue)

    # --- telephony reports --------------------------------------------------------------

    def leg_answered(self, leg_id: str) -> None:
        with self.operation():
            leg = self.legs.get(leg_id)
            if leg is None or leg.ended or leg.call is None:
                log.debug("answer of unknown leg %s", leg_id)
                return
            leg.answered = True
            call = leg.call
            if call.offer is not None and call.offer.leg is leg:
                self._offer_answered(call)
            elif call.consult is not None and call.consult.leg is leg:
                self.consult_answered(call)
            elif leg.role is LegRole.AGENT and call.state is CallState.DIALING:
                self.outbound_agent_answered(call)
            elif leg is call.customer and call.state is CallState.DIALING:
                self.outbound_customer_answered(call)
            elif leg is call.external:
                log.info("call %s: external number answered", call.id)

    def _offer_answered(self, call: Call) -> None:
        offer = call.current_offer
        agent, leg = offer.agent, offer.leg
        call.offer = None
        if agent.timer:
            agent.timer.cancel()
            agent.timer = None
        self.cancel_call_timers(call)
        now = self.now()
        call.state = CallState.CONNECTED
        call.handler, call.handler_leg = agent, leg
        call.answered_at, call.answered_epoch = now, self.clock.epoch()
        call.segment_started = now
        self.switch.connect([call.customer_leg.id, leg.id])
        agent.calls_taken += 1
        self.set_mode(agent, AgentMode.BUSY)
        waited = call.waited(now)
        queue = self.queues.get(call.queue or "")
        if queue is not None:
            queue.answered += 1
            queue.last_agent = agent.name
            if waited <= queue.config.service_level_seconds:
                queue.answered_in_time += 1
            self._dirty_queues.add(queue.name)
        self.queue_step("answered", call.id, call.queue, agent=agent.name, wait=waited)
        self.records.segment_updated(call.id, call.segment_no, agent=agent.name,
                                     answered_at=self.clock.utc(), wait_seconds=waited)
        self.publish_call(call, cti.CallAnswered(call_id=call.id, agent=agent.name, waited=waited,
                                                 call=views.call_view(self, call, agent)), [agent])

    def leg_failed(self, leg_id: str, code: int, reason: str) -> None:
        """A leg the gateway dialled was not answered (busy, unreachable, ...)."""
        with self.operation():
            leg = self.legs.pop(leg_id, None)
            if leg is None or leg.ended or leg.call is None:
                return
            leg.ended = True
            call = leg.call
            if call.offer is not None and call.offer.leg is leg:
                self._offer_failed(call, code, reason)
            elif call.consult is not None and call.consult.leg is leg:
                self.consult_failed(call, "no_answer" if code in (408, 480, 487) else "failed")
            elif leg.role is LegRole.AGENT and call.state is CallState.DIALING:
                agent = leg.agent
                assert agent is not None  # an agent's leg has its agent
                self.end_call(call, "failure", handler_mode=(AgentMode.NOT_READY, "device_failed"))
                self.notify(agent, "error", f"Your phone {agent.device} could not be reached "
                                            f"({code} {reason}).", code="phone_unreachable",
                            device=agent.device, status=f"{code} {reason}")
            elif leg is call.customer and call.state is CallState.DIALING:
                self.end_call(call, _failure_cause(code))
            elif leg is call.external:
                self.external_failed(call, code, reason)

    def _offer_failed(self, call: Call, code: int, reason: str) -> None:
        offer = call.current_offer
        agent = offer.agent
        log.warning("call %s: the phone of %s (%s) failed: %s %s", call.id, agent.name,
                    agent.device, code, reason)
        self.records.queue_event("ring_no_answer", at=self.clock.utc(), contact_id=call.id,
                                 queue=call.queue, agent=agent.name, code=code)
        offer.leg.ended = True
        self.withdraw_offer(call, "device_failed", AgentMode.NOT_READY, "device_failed")
        self.notify(agent, "error", f"Your phone {agent.device} did not take the call "
                                    f"({code} {reason}); you are now Not ready.", code="phone_failed",
                    device=agent.device, status=f"{code} {reason}")
        self.requeue(call)

    def leg_ended(self, leg_id: str, code: int = 200, reason: str = "", by_remote: bool = True) -> None:
        """An established leg hung up, or the worker dropped it."""
        with self.operation():
            leg = self.legs.pop(leg_id, None)
            if leg is None or leg.ended or leg.call is None:
                return
            leg.ended = True
            call = leg.call
            if leg is call.customer:
                self._customer_left(call)
            elif call.offer is not None and call.offer.leg is leg:
                self._offer_failed(call, code, reason or "hung up while ringing")
            elif leg is call.handler_leg:
                self.handler_left(call)
            elif call.consult is not None and call.consult.leg is leg:
                self.consult_left(call)
            elif leg is call.external:
                self.end_call(call, "transferred")

    def _customer_left(self, call: Call) -> None:
        if call.state in (CallState.QUEUED, CallState.OFFERED):
            self.end_call(call, "abandoned")
        elif call.state is CallState.DIALING:
            self.end_call(call, "no_answer")
        elif call.state is CallState.EXTERNAL:
            self.end_call(call, "transferred")
        elif call.state is not CallState.ENDED:
            self.end_call(call, "caller_hangup")

    def dtmf_received(self, leg_id: str, digit: str) -> None:
        with self.operation():
            leg = self.legs.get(leg_id)
            if leg is None or leg.call is None or leg is not leg.call.customer:
                return
            call = leg.call
            agents = [a for a in (call.handler,) if a is not None]
            self.publish_call(call, cti.CallDtmfReceived(call_id=call.id, digit=digit), agents)

    def announcement_done(self, leg_id: str) -> None:
        """Nothing to do: the worker goes on with music, or hangs up, as ordered."""

    def worker_lost(self, worker: str, reason: str) -> int:
        """A SIP worker died: its calls are gone. Returns how many calls were lost."""
        with self.operation():
            lost = [c for c in self.calls.values() if c.worker == worker]
            for call in lost:
                for leg in self.legs_of(call):
                    leg.ended = True
                    self.legs.pop(leg.id, None)
                agents = [a for a in self.agents_of(call)]
                self.end_call(call, "failure", detail=reason)
                for agent in agents:
                    self.notify(agent, "error",
                                f"The call from {call.ani} was lost: the telephony process "
                                f"handling it failed ({reason}).", code="call_lost", ani=call.ani,
                                reason=reason)
            return len(lost)

    def shut_down(self, reason: str = "the gateway is stopping") -> list[str]:
        """The gateway stops: every caller hears a goodbye and is hung up, every call's record
        closes (cause gateway_stopped), every agent is logged out, and new calls are refused.
        Returns the customer legs playing the goodbye, for the gateway to wait for."""
        with self.operation():
            self.shutting_down = True
            goodbyes = []
            for call in list(self.calls.values()):
                customer = call.external or call.customer
                if (customer is not None and customer.answered and not customer.ended
                        and call.state is not CallState.ENDING):
                    self.remove_from_queue(call)
                    self.cancel_call_timers(call)
                    call.state = CallState.ENDING
                    self.switch.announce(customer.id, Announcement(kind="goodbye", language=self._language(call)),
                                         "hangup")
                    goodbyes.append(customer.id)
                agents = self.agents_of(call)
                self.end_call(call, "gateway_stopped", detail=reason)
                for agent in agents:
                    self.notify(agent, "warning", f"The CTI gateway is stopping ({reason}): your call with "
                                f"{call.ani} was ended.", code="gateway_stopping", ani=call.ani, reason=reason)
            for agent in list(self.agents.values()):
                self.log_out_all(agent, reason)
            return goodbyes

    def _language(self, call: Call) -> str:
        queue = self.queues.get(call.queue or "")
        if queue is not None:
            return queue.config.language
        return next(iter(self.queues.values())).config.language if self.queues else "en"

    # --- ending calls ------------------------------------------------------------------------

    def end_call(self, call: Call, cause: cti.EndCause, *, detail: str = "",
                 handler_mode: tuple[AgentMode, str | None] | None = None) -> None:
        """Hang up what is left of a call, free its agents and close its record."""
        if call.state is CallState.ENDED:
            return
        now = self.now()
        self.remove_from_queue(call)
        self.cancel_call_timers(call)
        if call.offer is not None:
            offer_reason: cti.WithdrawReason = "abandoned" if cause == "abandoned" else "failure"
            self.withdraw_offer(call, offer_reason, AgentMode.READY)
        if call.consult is not None:
            self.end_consult(call, "hung_up")
        handler = call.handler
        talk = (now - call.answered_at) if call.answered_at is not None else 0.0
        hold = call.hold_total(now)
        for leg in (call.handler_leg, call.external):
            if leg is not None:
                self.drop_leg(leg)
        if call.customer is not None and call.state is not CallState.ENDING:
            self.drop_leg(call.customer)
        call.state = CallState.ENDED
        self.calls.pop(call.id, None)
        self._count_abandon(call, cause)
        self._record_end(call, cause, handler, talk, hold, detail)
        self.publish_call(call, cti.CallEnded(
            call_id=call.id, agent=handler.name if handler else None, cause=cause,
            talk_seconds=talk, hold_seconds=hold, waited=call.waited(now)),
            [handler] if handler else [])
        if handler is not None:
            self.release_handler(call, handler, handler_mode)

    def _count_abandon(self, call: Call, cause: str) -> None:
        queue = self.queues.get(call.queue or "")
        if queue is not None and cause == "abandoned":
            queue.abandoned += 1
            self._dirty_queues.add(queue.name)

    def _record_end(self, call: Call, cause: str, handler: Agent | None, talk: float, hold: float,
                    detail: str) -> None:
        at = self.clock.utc()
        if call.segment_open:
            call.segment_open = False
            fields = dict(ended_at=at, end_cause=cause, talk_seconds=talk, hold_seconds=hold,
                          status="wrap_up" if handler else "closed")
            if call.answered_at is None:
                fields["wait_seconds"] = call.waited(self.now())
            self.records.segment_updated(call.id, call.segment_no, **fields)
        kind: cti.QueueStep = "abandoned" if cause == "abandoned" else "ended"
        extra = {"reason": detail} if detail else {}
        self.queue_step(kind, call.id, call.queue, at=at, agent=handler.name if handler else None, cause=cause,
                        by=_ENDED_BY.get(cause, "system"), wait=call.waited(self.now()), talk=talk, **extra)

    def release_handler(self, call: Call, agent: Agent,
                        mode: tuple[AgentMode, str | None] | None = None) -> None:
        """The agent's part of the call is over: wrap-up, or the mode asked for."""
        if call in agent.calls:
            agent.calls.remove(call)
        if call.handler is agent:
            call.handler, call.handler_leg = None, None
        queue = self.queues.get(call.queue or "")
        if call.answered_at is not None and queue is not None:
            handled = self.now() - call.answered_at
            queue.handle_time = 0.8 * queue.handle_time + 0.2 * (handled + self.wrap_up_seconds(queue))
        if agent.mode is AgentMode.LOGGED_OUT:
            return
        if mode is not None:
            self.records.segment_updated(call.id, call.segment_no, status="closed")
            if call.answered_at is not None:
                self._wrapped_up(call.id, call.queue, agent, self.now() - call.answered_at, 0.0)
            self.set_mode(agent, *mode)
            return
        self.start_wrap_up(agent, call, queue)

    def wrap_up_seconds(self, queue: Queue | None, agent: Agent | None = None) -> float:
        """The agent's IC profile first, then the queue, then the gateway."""
        if agent is not None and agent.profile.wrap_up_seconds is not None:
            return agent.profile.wrap_up_seconds
        if queue is not None and queue.config.wrap_up_seconds is not None:
            return queue.config.wrap_up_seconds
        return self.settings.wrap_up_seconds

    def start_wrap_up(self, agent: Agent, call: Call, queue: Queue | None) -> None:
        seconds = self.wrap_up_seconds(queue, agent)
        keep_open = agent.pending is not None and agent.pending[0] is AgentMode.WRAP_UP
        until = None if keep_open else self.now() + seconds
        talk = self.now() - call.answered_at if call.answered_at is not None else None
        agent.wrap_up = WrapUp(call.id, call.segment_no, self.now(), until, call.queue, talk)
        if until is not None and seconds <= 0:
            self.finish_wrap_up(agent)
            return
        self.set_mode(agent, AgentMode.WRAP_UP)
        if until is not None:
            agent.timer = self.schedule(seconds, lambda: self.finish_wrap_up(agent))

    def finish_wrap_up(self, agent: Agent, mode: tuple[AgentMode, str | None] | None = None) -> None:
        wrap_up = agent.wrap_up
        if wrap_up is None:
            return
        agent.wrap_up = None
        if agent.timer:
            agent.timer.cancel()
            agent.timer = None
        self.records.segment_updated(wrap_up.call_id, wrap_up.segment_no, status="closed",
                                     wrapup_seconds=self.now() - wrap_up.started)
        if wrap_up.talk is not None:
            self._wrapped_up(wrap_up.call_id, wrap_up.queue, agent, wrap_up.talk, self.now() - wrap_up.started)
        if agent.mode is AgentMode.LOGGED_OUT:
            return
        pending, agent.pending = agent.pending, None
        if mode is None and pending is not None and pending[0] is AgentMode.LOGGED_OUT:
            self.logout(agent.session, reason="logged off by a supervisor")  # asked during his call
            return
        if mode is None:
            mode = pending if pending and pending[0] is not AgentMode.WRAP_UP else self.after_wrap_up(agent)
        self.set_mode(agent, *mode)

    def after_wrap_up(self, agent: Agent) -> tuple[AgentMode, str | None]:
        """The work mode the agent's IC profile sets when wrap-up ends by itself:
        Ready, or Not ready with the profile's reason (else after-call work, else
        the first reason the gateway knows)."""
        profile = agent.profile
        if profile.after_wrap_up != AgentMode.NOT_READY.value:
            return AgentMode.READY, None
        reasons = self.settings.not_ready_reasons
        reason = profile.after_wrap_up_reason
        if reasons and reason not in reasons:
            reason = "after_call_work" if "after_call_work" in reasons else reasons[0]
        return AgentMode.NOT_READY, reason

    def drop_leg(self, leg: Leg) -> None:
        if not leg.ended:
            leg.ended = True
            self.legs.pop(leg.id, None)
            self.switch.hangup(leg.id)

    def legs_of(self, call: Call) -> list[Leg]:
        legs = [call.customer, call.handler_leg, call.external,
                call.offer.leg if call.offer else None, call.consult.leg if call.consult else None]
        return [leg for leg in legs if leg is not None and not leg.ended]

    def agents_of(self, call: Call) -> list[Agent]:
        agents = [call.handler, call.offer.agent if call.offer else None,
                  call.consult.agent if call.consult else None]
        return [a for a in agents if a is not None]

    # --- agents' modes and what they are told ---------------------------------------------------

    def set_mode(self, agent: Agent, mode: AgentMode, reason: str | None = None) -> None:
        if agent.mode is mode and agent.reason == reason:
            return
        agent.mode, agent.reason = mode, reason
        agent.since, agent.since_epoch = self.now(), self.clock.epoch()
        if mode is AgentMode.READY:
            agent.idle_since = agent.since
            self._dispatch_wanted = True
        self.records.queue_event("work_mode", at=self.clock.utc(), agent=agent.name,
                                 mode=mode.value, reason=reason)
        self._dirty_queues.update(q for q in agent.queues if q in self.queues)
        self.publish_agent_state(agent)

    def queue_step(self, kind: cti.QueueStep, contact_id: str, queue: str | None, *, at=None, agent: str | None = None,
                   **detail) -> None:
        """A contact's step through a queue: written to the CRM's queue events and told to the
        supervisors' watches of the queue (`queue.contact`) with the same time and seconds
        (rounded as the records are), so that the console counts what a report counts."""
        at = at or self.clock.utc()
        detail = {k: round(v, 3) if isinstance(v, float) else v for k, v in detail.items()}
        self.records.queue_event(kind, at=at, contact_id=contact_id, queue=queue, agent=agent, **detail)
        if queue is not None:
            self.publisher.publish([cti.queue_watch_topic(queue)], cti.QueueContactStep(
                queue=queue, contact_id=contact_id, step=kind, at=_epoch(at),
                waited=float(detail.get("wait") or 0.0), handle_seconds=float(detail.get("handle") or 0.0)))

    def _wrapped_up(self, contact_id: str, queue: str | None, agent: Agent, talk: float, wrap_up: float) -> None:
        """The agent who answered is done with a queue's contact: its handle time is known."""
        if queue is not None:
            self.queue_step("wrapped_up", contact_id, queue, agent=agent.name, talk=talk, wrap_up=wrap_up,
                            handle=round(talk, 3) + round(wrap_up, 3))

    def publish_agent_state(self, agent: Agent) -> None:
        self.publisher.publish([cti.agent_topic(agent.name)],
                               cti.AgentStateChanged(state=views.agent_view(self, agent)))

    def notify(self, agent: Agent | None, level: cti.NoticeLevel, text: str, *, code: str = "", **params) -> None:
        """`text` in English for any desktop; `code` and `params` for a desktop
        that says it in the agent's language."""
        if agent is not None:
            self.publisher.publish([cti.agent_topic(agent.name)], cti.AgentNotice(
                agent=agent.name, level=level, text=text, code=code, params=params))

    def publish_call(self, call: Call, event, agents: list[Agent]) -> None:
        topics = [cti.agent_topic(a.name) for a in agents] + [cti.CALL_TOPIC]
        self.publisher.publish(topics, event)

    def _publish_stats(self, queue: Queue) -> None:
        self.publisher.publish([cti.queue_topic(queue.name)],
                               cti.QueueStatsChanged(stats=views.queue_stats(self, queue)))


def _epoch(at: datetime) -> float:
    """A naive UTC time (the records') in seconds since the epoch."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def _failure_cause(code: int) -> cti.EndCause:
    if code in (486, 600):
        return "busy"
    if code in (408, 480, 487, 603):
        return "no_answer"
    return "failure"
