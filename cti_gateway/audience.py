"""Who receives each of the gateway's events.

The ACD says what an event concerns with topics (bus.cti: an agent, a queue,
every call, the gateway itself); this module turns them into the event keys
(bus.delivery) of the sessions that may see it:

* an agent's desktop: what concerns him, and the statistics of the queues he
  is logged in to;
* a supervisor's watch: what concerns the agents of his org units
  (crm.services.supervision), and the statistics of the queues they are
  logged in to, with their contacts step by step (`queue.contact`); a
  supervisor who watches everything also gets every call event, queued calls
  included;
* the gateway's heartbeats and SIP workers' changes: every session.

Nothing goes to a connection that has not presented a granted key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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


class Audience:
    def __init__(self, queue_agents: Callable[[str], Iterable[str]]):
        self.queue_agents = queue_agents  # the agents logged in to a queue, now
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
            elif topic.startswith(QUEUE_PREFIX):
                keys |= self._of_agents(self.queue_agents(topic[len(QUEUE_PREFIX):-1]))
                keys |= {key for key, watch in self.watches.items() if watch.everything}
            elif topic.startswith(QUEUE_WATCH_PREFIX):  # the watches that see the queue's figures
                agents = self.queue_agents(topic[len(QUEUE_WATCH_PREFIX):-1])
                keys |= self._of_agents(agents) - self._desktops(agents)
                keys |= {key for key, watch in self.watches.items() if watch.everything}
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

    def visible_to(self, scope: WatchScope, agent: str) -> bool:
        seat = self.agents.get(agent)
        return scope.everything or (seat is not None and scope.covers(seat.org_unit_id))
