"""Who works which email or chat: the mail queue's router, in plain Python.

Work waits in queues, most urgent first (priority, then due time, then age).
In a push queue the router offers each item to the best agent who is logged
in to the queue, available for its channel and below his capacity there
(the least loaded, then the one idle longest); the agent accepts, or rejects,
or lets the offer time out, and the item goes to the next agent. A pull queue
is a group inbox: agents take items themselves. An agent who logs off or
disconnects gives his offered and unfinished work back to the queue.

The router decides; its caller (email_queue.service) makes each decision
durable in the CRM and tells desktops. Nothing here touches a socket or the
database, so every rule is tested directly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

PUSH, PULL = "push", "pull"
CHANNELS = ("email", "chat")


class RoutingError(Exception):
    """A request the rules refuse; `code` in a word, the message for the agent."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class QueueRule:
    name: str
    mode: str = PUSH
    offer_seconds: float = 30.0


@dataclass
class Work:
    conversation_id: int
    channel: str
    queue: str
    priority: int = 5
    due_at: float | None = None  # epoch seconds
    enqueued_at: float = 0.0
    agent: str | None = None  # offered to or assigned to
    state: str = "queued"  # queued, offered, assigned
    offer_deadline: float | None = None
    refused_by: set[str] = field(default_factory=set)

    def urgency(self) -> tuple:
        return (self.priority, self.due_at is None, self.due_at or 0.0, self.enqueued_at, self.conversation_id)


@dataclass
class Seat:
    """An agent logged in to the mail queue."""

    agent: str
    queues: frozenset[str]
    capacity: dict[str, int]
    available: dict[str, bool] = field(default_factory=dict)
    work: set[int] = field(default_factory=set)  # offered or assigned conversation ids
    last_assigned: float = 0.0

    def load(self, items: dict[int, Work], channel: str) -> int:
        return sum(1 for cid in self.work if cid in items and items[cid].channel == channel)

    def has_room(self, items: dict[int, Work], channel: str) -> bool:
        return self.available.get(channel, False) and self.load(items, channel) < self.capacity.get(channel, 0)


@dataclass(frozen=True)
class Decision:
    """What changed: the service stores it and tells the agent."""

    kind: str  # offered, assigned, requeued, withdrawn
    conversation_id: int
    agent: str | None
    reason: str = ""
    deadline: float | None = None


class Router:
    def __init__(self, queues: Iterable[QueueRule], *, default_offer_seconds: float = 30.0,
                 reconnect_grace: float = 120.0, clock: Callable[[], float] = time.time):
        self.queues = {q.name: q for q in queues}
        self.default_offer_seconds = default_offer_seconds
        self.reconnect_grace = reconnect_grace
        self.clock = clock
        self.items: dict[int, Work] = {}
        self.seats: dict[str, Seat] = {}
        self.orphans: dict[int, float] = {}  # assigned work whose agent is not logged in: since when

    # --- work --------------------------------------------------------------------------------

    def add(self, work: Work) -> list[Decision]:
        """New work (or work known again after a restart, with its state)."""
        work.enqueued_at = work.enqueued_at or self.clock()
        self.items[work.conversation_id] = work
        if work.state == "assigned" and work.agent:
            if work.agent in self.seats:
                self.seats[work.agent].work.add(work.conversation_id)
            else:  # after a restart: the agent's desktop has a while to come back
                self.orphans[work.conversation_id] = self.clock()
        elif work.state == "offered" and work.agent in self.seats:
            self.seats[work.agent].work.add(work.conversation_id)
            work.offer_deadline = self.clock() + self._offer_seconds(work.queue)
        else:
            work.state, work.agent = "queued", None
        return self.dispatch()

    def finished(self, conversation_id: int) -> list[Decision]:
        """Closed: it leaves the router and frees its agent's capacity."""
        work = self.items.pop(conversation_id, None)
        self.orphans.pop(conversation_id, None)
        if work is not None and work.agent in self.seats:
            self.seats[work.agent].work.discard(conversation_id)
        return self.dispatch()

    def waiting(self, queue: str | None = None) -> list[Work]:
        found = [w for w in self.items.values() if w.state == "queued" and (queue is None or w.queue == queue)]
        return sorted(found, key=Work.urgency)

    # --- agents ------------------------------------------------------------------------------

    def login(self, agent: str, queues: Iterable[str], capacity: dict[str, int]) -> list[Decision]:
        seat = self.seats.get(agent)
        if seat is None:
            seat = self.seats[agent] = Seat(agent, frozenset(queues), dict(capacity))
            # Work the agent still holds from before (a restart, a reconnect).
            seat.work = {cid for cid, w in self.items.items() if w.agent == agent and w.state == "assigned"}
            for cid in seat.work:
                self.orphans.pop(cid, None)
        else:
            seat.queues, seat.capacity = frozenset(queues), dict(capacity)
        return self.dispatch()

    def logout(self, agent: str, reason: str = "logged off") -> list[Decision]:
        """The agent is gone: everything he was offered or working goes back to the queue."""
        seat = self.seats.pop(agent, None)
        if seat is None:
            return []
        decisions = [self._requeue(self.items[cid], reason) for cid in sorted(seat.work) if cid in self.items]
        return decisions + self.dispatch()

    def set_available(self, agent: str, channel: str, available: bool) -> list[Decision]:
        seat = self._seat(agent)
        if channel not in CHANNELS:
            raise RoutingError("bad_channel", f"{channel!r} is not a channel (use {', '.join(CHANNELS)})")
        seat.available[channel] = available
        return self.dispatch()

    # --- offers ------------------------------------------------------------------------------

    def accept(self, agent: str, conversation_id: int) -> list[Decision]:
        work = self._work(conversation_id)
        if work.state != "offered" or work.agent != agent:
            raise RoutingError("not_offered", f"conversation {conversation_id} is not offered to {agent} "
                                              "(any more)")
        return [self._assign(work, agent)] + self.dispatch()

    def reject(self, agent: str, conversation_id: int) -> list[Decision]:
        work = self._work(conversation_id)
        if work.state != "offered" or work.agent != agent:
            raise RoutingError("not_offered", f"conversation {conversation_id} is not offered to {agent}")
        work.refused_by.add(agent)
        return [self._requeue(work, "rejected")] + self.dispatch()

    def pull(self, agent: str, conversation_id: int) -> list[Decision]:
        """The agent takes an item from the group inbox."""
        seat, work = self._seat(agent), self._work(conversation_id)
        if work.state != "queued":
            raise RoutingError("taken", f"conversation {conversation_id} has been taken by {work.agent}")
        if work.queue not in seat.queues:
            raise RoutingError("not_your_queue", f"{agent} is not logged in to the queue {work.queue}")
        if seat.load(self.items, work.channel) >= seat.capacity.get(work.channel, 0):
            raise RoutingError("full", f"{agent} already works {seat.capacity.get(work.channel, 0)} "
                                       f"{work.channel}s, the most the profile allows")
        return [self._assign(work, agent)] + self.dispatch()

    def expire(self) -> list[Decision]:
        """Offers not answered in time go to the next agent."""
        now = self.clock()
        decisions = []
        for work in list(self.items.values()):
            if work.state == "offered" and work.offer_deadline is not None and work.offer_deadline <= now:
                work.refused_by.add(work.agent)
                decisions.append(self._requeue(work, "not answered in time"))
        for cid, since in list(self.orphans.items()):
            if since + self.reconnect_grace <= now:
                del self.orphans[cid]
                if cid in self.items:
                    decisions.append(self._requeue(self.items[cid], "the agent did not come back"))
        return decisions + (self.dispatch() if decisions else [])

    def dispatch(self) -> list[Decision]:
        """Offer waiting push work to the best agents who have room."""
        decisions = []
        for work in self.waiting():
            if self.queues.get(work.queue, QueueRule(work.queue)).mode != PUSH:
                continue
            seat = self._best_seat(work)
            if seat is None:
                continue
            work.state, work.agent = "offered", seat.agent
            work.offer_deadline = self.clock() + self._offer_seconds(work.queue)
            seat.work.add(work.conversation_id)
            decisions.append(Decision("offered", work.conversation_id, seat.agent, deadline=work.offer_deadline))
        return decisions

    # --- inside -------------------------------------------------------------------------------

    def _best_seat(self, work: Work) -> Seat | None:
        candidates = [s for s in self.seats.values()
                      if work.queue in s.queues and s.agent not in work.refused_by and s.has_room(self.items,
                                                                                                   work.channel)]
        if not candidates:
            if work.refused_by and any(work.queue in s.queues for s in self.seats.values()):
                work.refused_by.clear()  # everyone said no: start the round again
            return None
        return min(candidates, key=lambda s: (s.load(self.items, work.channel) / max(1, s.capacity[work.channel]),
                                              s.last_assigned, s.agent))

    def _assign(self, work: Work, agent: str) -> Decision:
        seat = self.seats[agent]
        work.state, work.agent, work.offer_deadline = "assigned", agent, None
        seat.work.add(work.conversation_id)
        seat.last_assigned = self.clock()
        return Decision("assigned", work.conversation_id, agent)

    def _requeue(self, work: Work, reason: str) -> Decision:
        agent = work.agent
        if agent in self.seats:
            self.seats[agent].work.discard(work.conversation_id)
        work.state, work.agent, work.offer_deadline = "queued", None, None
        return Decision("requeued", work.conversation_id, agent, reason)

    def _offer_seconds(self, queue: str) -> float:
        rule = self.queues.get(queue)
        return rule.offer_seconds if rule else self.default_offer_seconds

    def _seat(self, agent: str) -> Seat:
        seat = self.seats.get(agent)
        if seat is None:
            raise RoutingError("not_logged_in", f"{agent} is not logged in to the mail queue")
        return seat

    def _work(self, conversation_id: int) -> Work:
        work = self.items.get(conversation_id)
        if work is None:
            raise RoutingError("unknown", f"conversation {conversation_id} is not waiting or worked "
                                          "(closed, or never there)")
        return work
