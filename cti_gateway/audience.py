"""Who receives each of the gateway's events.

The ACD says what an event concerns with topics (bus.cti: an agent, a queue,
every call, the gateway itself); this module turns them into the event keys
(bus.delivery) of the sessions that may see it:

* an agent's desktop: what concerns him, and the statistics of the queues he
  is logged in to;
* a supervisor's watch: what concerns the agents of his org units
  (crm.services.supervision), and the statistics of the queues he sees, with
  their contacts step by step (`queue.contact`): a queue configured with org
  units (`org_units`) if his scope covers one of them, whoever is logged in to
  it; a queue with none while one of his agents is logged in to it
  (WatchScope.sees_queue, the one rule); a supervisor who watches everything
  also gets every call event, queued calls included;
* the gateway's heartbeats and SIP workers' changes: every session.

Nothing goes to a connection that has not presented a granted key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from bus import cti
from crm.services.supervision import WatchScope

AGENT_PREFIX, QUEUE_PREFIX = cti.agent_topic("")[:-1], cti.queue_topic("")[:-1]  # "agent/", "queue/"
QUEUE_WATCH_PREFIX = cti.queue_watch_topic("")[:-1]  # "queue_watch/"


@dataclass
class AgentSeat:
    key: str  # his desktop's event key
    org_unit_id: int | None
    token_hash: str  # his CRM session's


@dataclass
class Watch:
    user: str
    scope: WatchScope | None  # None: an agent's other connection, which sees his own events
    token_hash: str

    def covers(self, agent: str, seat: AgentSeat) -> bool:
        return self.scope.covers(seat.org_unit_id) if self.scope else agent == self.user

    @property
    def everything(self) -> bool:
        return self.scope is not None and self.scope.everything

    def sees_queue(self, org_units: tuple[str, ...], serving: Mapping[str, AgentSeat]) -> bool:
        """Whether this watch sees a queue of these org units that these agents are logged in to."""
        if self.scope is None:
            return self.user in serving  # an agent's other connection: the queues he is logged in to
        return self.scope.sees_queue(org_units, any(self.scope.covers(seat.org_unit_id) for seat in serving.values()))


class Audience:
    def __init__(self, queue_agents: Callable[[str], Iterable[str]],
                 queue_org_units: Mapping[str, tuple[str, ...]] | None = None):
        self.queue_agents = queue_agents  # the agents logged in to a queue, now
        self.queue_org_units = queue_org_units or {}  # the configured queues' org units (codes)
        self.agents: dict[str, AgentSeat] = {}
        self.watches: dict[str, Watch] = {}  # event key → the supervisor's watch

    def for_everyone(self, topics: Iterable[str]) -> bool:
        return cti.GATEWAY_TOPIC in topics

    def keys(self, topics: Iterable[str]) -> set[str]:
        """The event keys of the sessions that may see an event on these topics."""
        keys: set[str] = set()
        for topic in topics:
            if topic.startswith(AGENT_PREFIX):
                keys |= self._of_agents([topic[len(AGENT_PREFIX):-1]])
            elif topic.startswith(QUEUE_PREFIX):  # its agents' desktops and the watches that see it
                queue = topic[len(QUEUE_PREFIX):-1]
                keys |= self._desktops(self.queue_agents(queue)) | self._queue_watches(queue)
            elif topic.startswith(QUEUE_WATCH_PREFIX):  # the watches that see the queue, no desktop
                keys |= self._queue_watches(topic[len(QUEUE_WATCH_PREFIX):-1])
            elif topic == cti.CALL_TOPIC:
                keys |= {key for key, watch in self.watches.items() if watch.everything}
        return keys

    def _of_agents(self, names: Iterable[str]) -> set[str]:
        keys: set[str] = set()
        for name in names:
            seat = self.agents.get(name)
            if seat is None:
                continue
            keys.add(seat.key)
            keys |= {key for key, watch in self.watches.items() if watch.covers(name, seat)}
        return keys

    def _desktops(self, names: Iterable[str]) -> set[str]:
        return {seat.key for name in names if (seat := self.agents.get(name)) is not None}

    def _queue_watches(self, queue: str) -> set[str]:
        org_units, serving = self.queue_org_units.get(queue, ()), self._serving(queue)
        return {key for key, watch in self.watches.items() if watch.sees_queue(org_units, serving)}

    def _serving(self, queue: str) -> dict[str, AgentSeat]:
        """The seats of the agents logged in to a queue."""
        return {name: seat for name in self.queue_agents(queue) if (seat := self.agents.get(name)) is not None}

    def visible_to(self, scope: WatchScope, agent: str) -> bool:
        seat = self.agents.get(agent)
        return scope.everything or (seat is not None and scope.covers(seat.org_unit_id))

    def queue_visible_to(self, scope: WatchScope, queue: str) -> bool:
        """Whether a supervisor of this scope sees the queue now (its figures, its place in his status)."""
        return Watch("", scope, "").sees_queue(self.queue_org_units.get(queue, ()), self._serving(queue))
