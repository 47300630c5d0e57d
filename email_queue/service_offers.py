"""The router's decisions carried out: stored in the CRM (or kept until the database is
back), and told to the desktops that may see them, with the queues' counts."""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import UTC, datetime
from typing import get_args

import msgspec
import zmq
import zmq.asyncio

from bus import mailq
from bus.envelope import encode_event
from crm.models import EventKind
from crm.services.conversations import queueing
from crm.services.conversations.steps import WrittenStep, log_step
from crm.services.supervision import WatchScope
from email_queue.routing import CHANNELS, Decision
from email_queue.service_base import Audience, epoch, to_agent, to_queue, to_supervisors_of, to_watchers

log = logging.getLogger("email_queue.service")  # the whole service logs as one, as it always has

QUEUE_NEWS_SECONDS = 0.1
MAIL_STEPS = frozenset(get_args(mailq.MailStep))


def naive_utc(at: float) -> datetime:
    """An epoch time as the CRM keeps times: naive UTC."""
    return datetime.fromtimestamp(at, UTC).replace(tzinfo=None)


class Offers:
    """The part of MailqService that carries out the router's decisions and tells them."""

    async def apply(self, decisions: list[Decision]) -> None:
        """Store the conversations the router's decisions changed, then tell the agents. The router
        is the truth: what the database cannot take now is kept, stored when it is back, and told
        now; only what the CRM refuses (a conversation closed meanwhile) is not told."""
        at = time.time()
        refused = set()
        steps: dict[int, list[dict]] = {}
        for decision in decisions:  # made now, in order: their keys go with them through retries
            steps.setdefault(decision.conversation_id, []).extend(self._steps_of(decision, at))
        for conversation_id, made in steps.items():
            if not await self.assignments.store(conversation_id, at, made):
                refused.add(conversation_id)
        for decision in decisions:
            if decision.agent:
                self.seat_changed(decision.agent)
            if decision.conversation_id not in refused:
                try:
                    self._tell(decision)
                except Exception:  # one desktop not told must not keep the others from hearing
                    log.exception("conversation %s: the %s could not be told", decision.conversation_id,
                                  decision.kind)

    def _steps_of(self, decision: Decision, at: float) -> list[dict]:
        """The event log's steps of one decision (docs/reports.md, "Kinds"): an offer, its answer, an
        offer not taken, a transfer, a return to the queue."""
        cid, agent = decision.conversation_id, decision.agent
        work = self.router.items.get(cid)
        if work is None:
            return []
        step = self._step
        if decision.kind == "offered":
            return [step(EventKind.OFFERED, at, work, work.queue, agent)]
        if decision.kind == "assigned":
            wait = at - self.visits.get(cid, work.enqueued_at)
            return [step(EventKind.ANSWERED, at, work, work.queue, agent, {"wait": round(max(wait, 0.0), 3)})]
        if decision.was == "offered":  # an offer not taken: the contact waits on in the same visit
            kind = EventKind.REJECTED if decision.cause == "rejected" else EventKind.RING_NO_ANSWER
            return [step(kind, at, work, decision.queue, agent, {"cause": decision.cause})]
        if decision.cause == "transferred":
            steps = [step(EventKind.TRANSFERRED, at, work, decision.queue, agent, {"target": decision.target})]
            if decision.target.startswith("queue:"):
                self.visits[cid] = at
                steps.append(step(EventKind.ENTERED, at, work, work.queue, None, {"via": "transferred"}))
            return steps
        self.visits[cid] = at  # the agent's work back to the queue: a new visit
        return [step(EventKind.ENTERED, at, work, work.queue, None, {"via": "requeued", "cause": decision.cause,
                                                                      "agent": agent})]

    def _step(self, kind: EventKind, at: float, work, queue: str, agent: str | None,
              detail: dict | None = None) -> dict:
        self.step_no += 1
        return dict(key=f"mq-{self.run_id}:{self.step_no}", kind=kind.value, at=naive_utc(at),
                    channel=work.channel, conversation_id=work.conversation_id, queue=queue, agent=agent,
                    detail=detail)

    async def _write_assignment(self, conversation_id: int, status: str | None, agent: str | None, at: float,
                                steps: list[dict]) -> None:
        decided = naive_utc(at).replace(microsecond=0)  # the CRM keeps its times to the second
        await self.in_db(self._store_decision, conversation_id, status, agent, decided, steps)

    def _store_decision(self, conversation_id: int, status: str | None, agent: str | None, decided: datetime,
                        steps: list[dict]) -> None:
        """The conversation's state (status None: it is closed, only its steps are left) and its steps,
        in one transaction."""
        with self.writing() as session:
            if status is not None:
                queueing.set_assignment(session, conversation_id, status, agent, now=decided)
            for step in steps:
                log_step(session, **step)

    def _tell(self, decision: Decision) -> None:
        agent, cid = decision.agent, decision.conversation_id
        if decision.kind == "requeued":
            if agent:
                self.publish(to_agent(agent), mailq.WorkWithdrawn(
                    agent=agent, conversation_id=cid, reason=decision.reason, cause=decision.cause))
            work = self.router.items.get(cid)
            if work is not None:
                self.queue_changed(work.queue)
            return
        if cid not in self.router.items:  # closed while it was being stored
            return
        view = self.work_view(cid)
        event = mailq.WorkOffered if decision.kind == "offered" else mailq.WorkAssigned
        self.publish(to_agent(agent), event(agent=agent, work=view))
        if decision.kind == "assigned":
            self.queue_changed(view.queue)

    def tell_steps(self, steps: list[WrittenStep]) -> None:
        """From any thread: the conversations' steps just stored in the event log, told to the
        supervisors watching (the console's today), in the order written."""
        if steps and self.watchers:
            with contextlib.suppress(RuntimeError):  # stopping: its loop is closed, nobody is left to tell
                self.loop.call_soon_threadsafe(self._publish_steps, steps)

    def _publish_steps(self, steps: list[WrittenStep]) -> None:
        for step in steps:
            if step.kind not in MAIL_STEPS or step.channel not in CHANNELS:
                continue
            wait = step.detail.get("wait")
            self.publish(to_watchers(step.queue), mailq.QueueContactStep(
                queue=step.queue, channel=step.channel, conversation_id=step.conversation_id, step=step.kind,
                at=epoch(step.at), wait=float(wait) if isinstance(wait, (int, float)) else None,
                via=str(step.detail.get("via") or "")))

    def work_view(self, conversation_id: int) -> mailq.WorkView:
        work = self.router.items[conversation_id]
        meta = self.meta.get(conversation_id)
        return mailq.WorkView(conversation_id=conversation_id, channel=work.channel, queue=work.queue,
                              state=work.state, subject=meta.subject if meta else "",
                              customer=meta.customer if meta else "", priority=work.priority,
                              due_at=work.due_at, offer_deadline=work.offer_deadline,
                              customer_ended=meta.customer_ended if meta else False,
                              transferred_by=meta.transferred_by if meta else None,
                              transfer_note=meta.transfer_note if meta else None)

    def queue_changed(self, queue: str) -> None:
        """Tell desktops a queue's count changed: once per QUEUE_NEWS_SECONDS at
        most, since at hundreds of mails a second one event each is noise."""
        if not self._queues_changed:
            self.loop.call_later(QUEUE_NEWS_SECONDS, self._publish_queues)
        self._queues_changed.add(queue)

    def _publish_queues(self) -> None:
        queues, self._queues_changed = self._queues_changed, set()
        for queue in sorted(queues):
            self.publish(to_queue(queue), mailq.QueueChanged(queue=self.queue_view(queue)))

    def queue_view(self, queue: str) -> mailq.QueueView:
        waiting, since = self.router.waiting_count(queue)
        rule = self.router.queues.get(queue)
        return mailq.QueueView(name=queue, mode=rule.mode if rule else "push", waiting=waiting,
                               oldest_wait=time.time() - since if since is not None else 0.0,
                               channels=self._channel_views(queue),
                               first_response_seconds=self.config.first_response_seconds(queue))

    def _channel_views(self, queue: str) -> list[mailq.QueueChannelView]:
        """Each channel routed to the queue, or with work in it now (a transfer may bring one)."""
        router, now = self.router, time.time()
        serving = [seat for seat in router.seats.values() if queue in seat.queues]
        # from the seats' own work, never a walk over everything waiting: this runs at every count sent
        held = [router.items[cid] for seat in router.seats.values() for cid in seat.work if cid in router.items]
        working = {(w.channel, w.agent) for w in held if w.queue == queue}
        present = {w.channel for w in held if w.queue == queue} | {
            channel for channel in CHANNELS if router.waiting_count_in(queue, channel)[0]}
        views = []
        for channel in CHANNELS:
            if channel not in self.config.channels_of(queue) and channel not in present:
                continue
            waiting, oldest = router.waiting_count_in(queue, channel)
            views.append(mailq.QueueChannelView(
                channel=channel, waiting=waiting, oldest_wait=now - oldest if oldest is not None else 0.0,
                serving=len(serving), available=sum(1 for seat in serving if seat.has_room(channel)),
                busy=sum(1 for seat in serving if (channel, seat.agent) in working)))
        return views

    def seat_changed(self, agent: str) -> None:
        """Tell the supervisors watching an agent that his seat changed (and his queues' counts with
        it): once per QUEUE_NEWS_SECONDS at most, as the queues' counts; nothing while nobody watches
        (a supervisor who logs in to watch reads the seats from the status)."""
        if not self.watchers:
            return
        if not self._seats_changed:
            self.loop.call_later(QUEUE_NEWS_SECONDS, self._publish_seats)
        seat = self.router.seats.get(agent)
        self._seats_changed.setdefault(agent, set()).update(seat.queues if seat else ())

    def _publish_seats(self) -> None:
        changed, self._seats_changed = self._seats_changed, {}
        for agent, queues in sorted(changed.items()):
            seat = self.supervised_seat(agent)
            for queue in queues | set(seat.queues if seat else ()):
                self.queue_changed(queue)
            self.publish(to_supervisors_of(agent), mailq.SeatChanged(agent=agent, seat=seat))

    def _seat_of_work_changed(self, conversation_id: int) -> None:
        """Work leaving the router (closed, routed elsewhere): its agent's seat changes."""
        work = self.router.items.get(conversation_id)
        if work is not None and work.agent:
            self.seat_changed(work.agent)

    def supervised_seat(self, agent: str) -> mailq.SupervisedSeatView | None:
        """An agent's seat as supervisors see it; None when he is not logged in."""
        seat, session = self.router.seats.get(agent), self.seated.get(agent)
        if seat is None:
            return None
        work = [self.router.items[cid] for cid in sorted(seat.work) if cid in self.router.items]
        return mailq.SupervisedSeatView(
            agent=agent, name=session.display_name if session else agent, queues=sorted(seat.queues),
            available={c: seat.available.get(c, False) for c in CHANNELS}, since=seat.since,
            work=[mailq.SeatWorkView(conversation_id=w.conversation_id, channel=w.channel, queue=w.queue,
                                     state=w.state, since=w.since) for w in work if w.state != "queued"])

    def publish(self, audience: Audience, event: msgspec.Struct) -> None:
        """Send an event to the sessions that may see it (see `recipients`), each once."""
        if self.events.closed:
            return  # stopping: a timer's news (the queues' figures) has nobody left to reach
        payload = self._encode(event)
        try:
            self.delivery.publish(self.recipients(audience), payload)
        except zmq.ZMQError:  # desktops catch up from their next snapshot; the service goes on
            self._report_failure("publishing an event")

    def _encode(self, event: msgspec.Struct) -> bytes:
        self.seq += 1
        return encode_event(self.run_id, self.seq, time.time(), event)

    def recipients(self, audience: Audience) -> set[str]:
        """The event keys of the sessions that may see an event about an agent (his own session,
        and supervisors watching his org unit) or about a queue (the agents serving it, and the
        supervisors watching who see it: those of its org units, or every one for a queue with
        none, as its counts name nobody)."""
        kind, name = audience
        if kind == "watchers":
            return self._queue_watchers(name)
        if kind == "supervisors":
            unit = self.org_unit_of.get(name)
            return {w.event_key for w in self.watchers.values() if w.scope.covers(unit)}
        if kind == "agent":
            own = self.seated.get(name)
            unit = self.org_unit_of.get(name)
            keys = {w.event_key for w in self.watchers.values() if w.scope.covers(unit)}
        else:
            own = None
            keys = {s.event_key for agent, s in self.seated.items() if name in self._queues_of(agent)}
            keys |= self._queue_watchers(name)
        if own is not None:
            keys.add(own.event_key)
        return keys

    def _queue_watchers(self, queue: str) -> set[str]:
        return {w.event_key for w in self.watchers.values() if self.sees_queue(w.scope, queue)}

    def sees_queue(self, scope: WatchScope, queue: str) -> bool:
        """The one rule (crm.services.supervision), a queue with no org units being every supervisor's."""
        return scope.sees_queue(self.config.queue_org_units.get(queue, ()), served_by_his_agents=True)

    def _queues_of(self, agent: str) -> set[str]:
        seat = self.router.seats.get(agent)
        return seat.queues if seat is not None else set()
