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

import heapq
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sortedcontainers import SortedKeyList

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
    since: float = 0.0  # its state (queued, offered, assigned) since then: what supervisors see

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
    loads: dict[str, int] = field(default_factory=dict)  # len(work) per channel, kept as work comes and goes
    since: float = 0.0  # logged in, or his availability last changed, then: what supervisors see

    def take(self, work: Work) -> None:
        if work.conversation_id not in self.work:
            self.work.add(work.conversation_id)
            self.loads[work.channel] = self.loads.get(work.channel, 0) + 1

    def drop(self, work: Work) -> None:
        if work.conversation_id in self.work:
            self.work.discard(work.conversation_id)
            self.loads[work.channel] -= 1

    def load(self, channel: str) -> int:
        return self.loads.get(channel, 0)

    def has_room(self, channel: str) -> bool:
        return self.available.get(channel, False) and self.load(channel) < self.capacity.get(channel, 0)


@dataclass(frozen=True)
class Decision:
    """What changed: the service stores it and tells the agent."""

    kind: str  # offered, assigned, requeued, withdrawn
    conversation_id: int
    agent: str | None
    reason: str = ""
    deadline: float | None = None
    cause: str = "other"  # bus.mailq.WithdrawnCause, for a requeue
    was: str = ""  # for a requeue: the state it left (offered, assigned)
    queue: str = ""  # for a requeue: the queue it was in (a transfer to a queue changes it)
    target: str = ""  # for a transfer: "queue:<name>" or "agent:<name>"


class Router:
    """Kept so that a new item costs O(log n) whatever waits: waiting work
    sits in one sorted list per queue and channel, each seat counts its load
    per channel, and after every change no waiting item could be offered
    (so new work only needs a seat for itself, and freed room only the
    queues of the seat that has it)."""

    def __init__(self, queues: Iterable[QueueRule], *, default_offer_seconds: float = 30.0,
                 reconnect_grace: float = 120.0, clock: Callable[[], float] = time.time):
        self.queues = {q.name: q for q in queues}
        self.default_offer_seconds = default_offer_seconds
        self.reconnect_grace = reconnect_grace
        self.clock = clock
        self.items: dict[int, Work] = {}
        self.seats: dict[str, Seat] = {}
        self.orphans: dict[int, float] = {}  # assigned work whose agent is not logged in: since when
        self.offers: dict[int, Work] = {}  # offered work, for expire()
        self._waiting: dict[tuple[str, str], SortedKeyList] = {}  # (queue, channel) -> queued work
        self.round_again = False  # work everyone refused waits for the next expire()

    # --- work --------------------------------------------------------------------------------

    def add(self, work: Work) -> list[Decision]:
        """New work (or work known again after a restart, with its state)."""
        if work.conversation_id in self.items:
            self._forget(self.items[work.conversation_id])
        work.enqueued_at = work.enqueued_at or self.clock()
        work.since = self.clock()
        self.items[work.conversation_id] = work
        if work.state == "assigned" and work.agent:
            if work.agent in self.seats:
                self.seats[work.agent].take(work)
            else:  # after a restart: the agent's desktop has a while to come back
                self.orphans[work.conversation_id] = self.clock()
            return []
        if work.state == "offered" and work.agent in self.seats:
            self.seats[work.agent].take(work)
            work.offer_deadline = self.clock() + self._offer_seconds(work.queue)
            self.offers[work.conversation_id] = work
            return []
        work.state, work.agent = "queued", None
        self._enqueue(work)
        decision = self._place(work)
        return [decision] if decision else []

    def finished(self, conversation_id: int) -> list[Decision]:
        """Closed: it leaves the router and frees its agent's capacity."""
        work = self.items.get(conversation_id)
        if work is None:
            return []
        seat = self.seats.get(work.agent) if work.agent else None
        self._forget(work)
        return self._dispatch_for(seat) if seat else []

    def waiting(self, queue: str | None = None) -> list[Work]:
        lists = [lst for (q, _), lst in self._waiting.items() if queue is None or q == queue]
        if len(lists) == 1:
            return list(lists[0])
        return sorted((w for lst in lists for w in lst), key=Work.urgency)

    def waiting_count(self, queue: str) -> tuple[int, float | None]:
        """How many wait in a queue, and since when the longest waiting has."""
        lists = [lst for (q, _), lst in self._waiting.items() if q == queue and lst]
        oldest = min((w.enqueued_at for lst in lists for w in lst), default=None)
        return sum(len(lst) for lst in lists), oldest

    def waiting_count_in(self, queue: str, channel: str) -> tuple[int, float | None]:
        """How many wait in one queue for one channel, and since when the longest waiting has."""
        waiting = self._waiting.get((queue, channel))
        if not waiting:
            return 0, None
        return len(waiting), min(w.enqueued_at for w in waiting)

    def waiting_in_channel(self, channel: str) -> int:
        """How many of a channel wait for an agent: queued in any queue, or offered."""
        queued = sum(len(lst) for (_, c), lst in self._waiting.items() if c == channel)
        return queued + sum(1 for work in self.offers.values() if work.channel == channel)

    # --- agents ------------------------------------------------------------------------------

    def login(self, agent: str, queues: Iterable[str], capacity: dict[str, int]) -> list[Decision]:
        seat = self.seats.get(agent)
        if seat is None:
            seat = self.seats[agent] = Seat(agent, frozenset(queues), dict(capacity), since=self.clock())
            # Work the agent still holds from before (a restart, a reconnect).
            for cid, work in self.items.items():
                if work.agent == agent and work.state == "assigned":
                    seat.take(work)
                    self.orphans.pop(cid, None)
        else:
            seat.queues, seat.capacity = frozenset(queues), dict(capacity)
        return self._dispatch_for(seat)

    def logout(self, agent: str, reason: str = "logged off", cause: str = "logged_off") -> list[Decision]:
        """The agent is gone: everything he was offered or working goes back to the queue."""
        seat = self.seats.pop(agent, None)
        if seat is None:
            return []
        decisions = [self._requeue(self.items[cid], reason, cause) for cid in sorted(seat.work)
                     if cid in self.items]
        return decisions + self.dispatch()

    def set_available(self, agent: str, channel: str, available: bool) -> list[Decision]:
        seat = self._seat(agent)
        if channel not in CHANNELS:
            raise RoutingError("bad_channel", f"{channel!r} is not a channel (use {', '.join(CHANNELS)})")
        if seat.available.get(channel, False) != available:
            seat.since = self.clock()
        seat.available[channel] = available
        return self._dispatch_for(seat)

    # --- offers ------------------------------------------------------------------------------

    def accept(self, agent: str, conversation_id: int) -> list[Decision]:
        work = self._work(conversation_id)
        if work.state != "offered" or work.agent != agent:
            raise RoutingError("not_offered", f"conversation {conversation_id} is not offered to {agent} "
                                              "(any more)")
        return [self._assign(work, agent)]  # the seat's load is unchanged: the offer counted

    def reject(self, agent: str, conversation_id: int) -> list[Decision]:
        work = self._work(conversation_id)
        if work.state != "offered" or work.agent != agent:
            raise RoutingError("not_offered", f"conversation {conversation_id} is not offered to {agent}")
        work.refused_by.add(agent)
        return [self._requeue(work, "rejected", "rejected")] + self.dispatch()

    def pull(self, agent: str, conversation_id: int) -> list[Decision]:
        """The agent takes an item from the group inbox."""
        seat, work = self._seat(agent), self._work(conversation_id)
        if work.state != "queued":
            raise RoutingError("taken", f"conversation {conversation_id} has been taken by {work.agent}")
        if work.queue not in seat.queues:
            raise RoutingError("not_your_queue", f"{agent} is not logged in to the queue {work.queue}")
        if seat.load(work.channel) >= seat.capacity.get(work.channel, 0):
            raise RoutingError("full", f"{agent} already works {seat.capacity.get(work.channel, 0)} "
                                       f"{work.channel}s, the most the profile allows")
        return [self._assign(work, agent)]

    def transfer(self, agent: str, conversation_id: int, *, queue: str | None = None,
                 to_agent: str | None = None) -> list[Decision]:
        """The agent hands his assigned work on: to a queue, where it is routed like
        any waiting work, or offered to one colleague alone. Either way it goes to
        someone else before it comes back to him (he counts as having refused it)."""
        work = self.check_transfer(agent, conversation_id, queue=queue, to_agent=to_agent)
        seat = self.seats[agent]
        work.refused_by = {agent}  # a new round: earlier refusals were about the old queue
        freed = [key for key in self._waiting if key[0] in seat.queues]  # his room is free for these
        if to_agent is not None:
            return [self._requeue(work, f"transferred to {to_agent}", "transferred", target=f"agent:{to_agent}"),
                    self._offer_to(work, to_agent), *self._dispatch(freed)]
        assert queue is not None  # check_transfer: a colleague or a queue, one of the two
        left = work.queue
        work.queue = queue  # before _requeue: it waits in the new queue's list
        decision = self._requeue(work, f"transferred to {queue}", "transferred", queue=left, target=f"queue:{queue}")
        waits_in = (queue, work.channel)
        return [decision, *self._dispatch([waits_in, *(key for key in freed if key != waits_in)])]

    def check_transfer(self, agent: str, conversation_id: int, *, queue: str | None = None,
                       to_agent: str | None = None) -> Work:
        """What transfer() refuses, checked without changing anything."""
        if (queue is None) == (to_agent is None):
            raise RoutingError("bad_transfer", "transfer to a queue or to a colleague: one of the two")
        work = self._work(conversation_id)
        if work.state != "assigned" or work.agent != agent:
            raise RoutingError("not_assigned", f"conversation {conversation_id} is not assigned to {agent}")
        if queue is not None and queue not in self.queues:
            raise RoutingError("unknown_queue", f"no mail queue {queue} (there are {', '.join(self.queues)})")
        if to_agent is not None:
            self._check_transfer_target(work, agent, to_agent)
        return work

    def _check_transfer_target(self, work: Work, agent: str, to_agent: str) -> None:
        if to_agent == agent:
            raise RoutingError("self_transfer", f"conversation {work.conversation_id} is already {agent}'s")
        seat = self.seats.get(to_agent)
        if seat is None:
            raise RoutingError("target_not_logged_in", f"{to_agent} is not logged in to the mail queue")
        if not seat.available.get(work.channel, False):
            raise RoutingError("target_not_available", f"{to_agent} is not available for {work.channel}")
        if not seat.has_room(work.channel):
            raise RoutingError("target_full", f"{to_agent} already works {seat.capacity.get(work.channel, 0)} "
                                              f"{work.channel}s, the most the profile allows")

    def expire(self) -> list[Decision]:
        """Offers not answered in time go to the next agent; work everyone
        refused starts its round again."""
        now = self.clock()
        decisions = []
        for work in list(self.offers.values()):
            if work.offer_deadline is not None and work.offer_deadline <= now:
                if work.agent is not None:  # an offer always has its agent
                    work.refused_by.add(work.agent)
                decisions.append(self._requeue(work, "not answered in time", "not_answered"))
        for cid, since in list(self.orphans.items()):
            if since + self.reconnect_grace <= now:
                del self.orphans[cid]
                if cid in self.items:
                    decisions.append(self._requeue(self.items[cid], "the agent did not come back", "agent_gone"))
        if decisions:
            return decisions + self.dispatch()
        if self.round_again:
            return self.dispatch()
        return []

    def dispatch(self) -> list[Decision]:
        """Offer waiting push work to the best agents who have room, most urgent first."""
        self.round_again = False
        return self._dispatch(list(self._waiting))

    # --- inside -------------------------------------------------------------------------------

    def _dispatch_for(self, seat: Seat) -> list[Decision]:
        """The seat may have room now: only its queues can have work for it."""
        return self._dispatch([key for key in self._waiting if key[0] in seat.queues])

    def _dispatch(self, keys: list[tuple[str, str]]) -> list[Decision]:
        """Merge the queues' sorted lists by urgency, offering while some seat has room."""
        decisions: list[Decision] = []
        cursors: dict[tuple[str, str], int] = {}
        heads: list[tuple[tuple, tuple[str, str]]] = []  # (urgency of its first, queue key)
        for key in keys:
            if self._is_push(key[0]) and self._waiting[key] and self._room_for(key):
                cursors[key] = 0
                heapq.heappush(heads, (self._waiting[key][0].urgency(), key))
        while heads:
            _, key = heapq.heappop(heads)
            waiting, at = self._waiting[key], cursors[key]
            decision = self._place(waiting[at])
            if decision is not None:
                decisions.append(decision)  # it left the list: the next one moved up to `at`
            else:
                cursors[key] = at = at + 1
            if at < len(waiting) and self._room_for(key):
                heapq.heappush(heads, (waiting[at].urgency(), key))
        return decisions

    def _place(self, work: Work) -> Decision | None:
        """Offer one queued item to the best seat, if a seat has room."""
        if not self._is_push(work.queue):
            return None
        seat = self._best_seat(work)
        return self._offer_to(work, seat.agent) if seat is not None else None

    def _offer_to(self, work: Work, agent: str) -> Decision:
        """Offer queued work to this seat: out of the waiting list, so no dispatch
        can give it to anyone else while it is offered."""
        seat = self.seats[agent]
        self._dequeue(work)
        work.state, work.agent, work.since = "offered", seat.agent, self.clock()
        work.offer_deadline = self.clock() + self._offer_seconds(work.queue)
        seat.take(work)
        self.offers[work.conversation_id] = work
        return Decision("offered", work.conversation_id, seat.agent, deadline=work.offer_deadline)

    def _best_seat(self, work: Work) -> Seat | None:
        in_queue = [s for s in self.seats.values() if work.queue in s.queues]
        candidates = [s for s in in_queue if s.agent not in work.refused_by and s.has_room(work.channel)]
        if not candidates:
            if work.refused_by and in_queue:
                work.refused_by.clear()  # everyone said no: start the round again
                self.round_again = True
            return None
        return min(candidates, key=lambda s: (s.load(work.channel) / max(1, s.capacity[work.channel]),
                                              s.last_assigned, s.agent))

    def _room_for(self, key: tuple[str, str]) -> bool:
        queue, channel = key
        return any(queue in s.queues and s.has_room(channel) for s in self.seats.values())

    def _is_push(self, queue: str) -> bool:
        rule = self.queues.get(queue)
        return rule is None or rule.mode == PUSH

    def _assign(self, work: Work, agent: str) -> Decision:
        seat = self.seats[agent]
        if work.state == "queued":
            self._dequeue(work)
        self.offers.pop(work.conversation_id, None)
        work.state, work.agent, work.offer_deadline, work.since = "assigned", agent, None, self.clock()
        seat.take(work)
        seat.last_assigned = self.clock()
        return Decision("assigned", work.conversation_id, agent)

    def _requeue(self, work: Work, reason: str, cause: str = "other", *, queue: str | None = None,
                 target: str = "") -> Decision:
        agent, was = work.agent, work.state
        if agent in self.seats:
            self.seats[agent].drop(work)
        self.offers.pop(work.conversation_id, None)
        work.state, work.agent, work.offer_deadline, work.since = "queued", None, None, self.clock()
        self._enqueue(work)
        return Decision("requeued", work.conversation_id, agent, reason, cause=cause, was=was,
                        queue=queue or work.queue, target=target)

    def _enqueue(self, work: Work) -> None:
        key = (work.queue, work.channel)
        if key not in self._waiting:
            self._waiting[key] = SortedKeyList(key=Work.urgency)
        self._waiting[key].add(work)

    def _dequeue(self, work: Work) -> None:
        self._waiting[(work.queue, work.channel)].remove(work)

    def _forget(self, work: Work) -> None:
        """Take an item out of every index."""
        if work.state == "queued":
            self._dequeue(work)
        if work.agent in self.seats:
            self.seats[work.agent].drop(work)
        self.offers.pop(work.conversation_id, None)
        self.orphans.pop(work.conversation_id, None)
        del self.items[work.conversation_id]

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
