"""An ACD driven by hand: a fake clock, and ports that record what the engine
orders, publishes and records, with shortcuts for what phones and workers do."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bus import cti
from cti_gateway.acd import Acd, AcdSettings, AgentProfile, FakeClock, QueueConfig


@dataclass
class Order:
    kind: str
    leg: str | None
    args: dict = field(default_factory=dict)


class RecordingSwitch:
    def __init__(self):
        self.orders: list[Order] = []
        self.lines: dict[str, int] = {"w1": 4}

    def _add(self, kind, leg=None, **args):
        self.orders.append(Order(kind, leg, args))

    def answer(self, leg):
        self._add("answer", leg)

    def reject(self, leg, code, reason):
        self._add("reject", leg, code=code, reason=reason)

    def hangup(self, leg):
        self._add("hangup", leg)

    def play_music(self, leg, music):
        self._add("music", leg, music=music)

    def announce(self, leg, announcement, then, music=None):
        self._add("announce", leg, announcement=announcement, then=then)

    def dial(self, worker, leg, uri, *, caller_id, headers, connect_to=None):
        self._add("dial", leg, worker=worker, uri=uri, caller_id=caller_id, headers=headers,
                  connect_to=connect_to)

    def connect(self, legs):
        self._add("connect", None, legs=sorted(legs))

    def isolate(self, leg):
        self._add("isolate", leg)

    def send_dtmf(self, leg, digits):
        self._add("dtmf", leg, digits=digits)

    def refer(self, leg, uri):
        self._add("refer", leg, uri=uri)

    def free_lines(self, worker):
        return self.lines.get(worker, 0)

    def worker_for_new_call(self):
        return next((w for w, n in self.lines.items() if n >= 2), None)

    def of(self, kind: str, leg: str | None = None) -> list[Order]:
        return [o for o in self.orders if o.kind == kind and (leg is None or o.leg == leg)]

    def last_dial_to(self, uri: str) -> Order:
        dials = [o for o in self.orders if o.kind == "dial" and o.args["uri"] == uri]
        assert dials, f"nothing was dialled to {uri}; orders: {self.orders}"
        return dials[-1]


class RecordingPublisher:
    def __init__(self):
        self.events: list[tuple[list[str], object]] = []

    def publish(self, topics, event):
        # the bus's contract: each event on the topics its type declares, each notice by a declared code
        assert all(cti.on_declared_topic(event, topic) for topic in topics), (event, topics)
        assert not isinstance(event, cti.AgentNotice) or event.code in cti.NOTICES, event
        self.events.append((topics, event))

    def of(self, kind: type, topic: str | None = None) -> list:
        return [e for t, e in self.events if isinstance(e, kind) and (topic is None or topic in t)]


class RecordingRecords:
    def __init__(self):
        self.segments: dict[tuple[str, int], dict] = {}
        self.queue_events: list[dict] = []

    def segment_opened(self, contact_id, segment_no, **fields):
        self.segments[(contact_id, segment_no)] = dict(fields)

    def segment_updated(self, contact_id, segment_no, **fields):
        assert (contact_id, segment_no) in self.segments, "update of a segment never opened"
        self.segments[(contact_id, segment_no)].update(fields)

    def queue_event(self, kind, **fields):
        self.queue_events.append({"kind": kind, **fields})

    def kinds(self, contact_id=None) -> list[str]:
        return [e["kind"] for e in self.queue_events
                if contact_id is None or e.get("contact_id") == contact_id]


def profile(name: str, wrap_up_seconds: float | None = None, **skills: int) -> AgentProfile:
    return AgentProfile(username=name, user_id=None, display_name=name.title(), skills=skills,
                        extension=f"sip:{name}@10.0.0.1", wrap_up_seconds=wrap_up_seconds)


class Center:
    """The engine and its recording ports."""

    def __init__(self, queues: list[QueueConfig], **settings):
        self.clock = FakeClock()
        self.switch = RecordingSwitch()
        self.publisher = RecordingPublisher()
        self.records = RecordingRecords()
        self.acd = Acd(queues, clock=self.clock, switch=self.switch, publisher=self.publisher,
                       records=self.records, settings=AcdSettings(**settings))
        self.acd.check_configuration()
        self._legs = itertools.count(1)
        self.sessions: dict[str, str] = {}

    # agents

    def login(self, name: str, *, ready: bool = True, queues=None, wrap_up_seconds=None, **skills) -> str:
        session, _ = self.acd.login(profile(name, wrap_up_seconds, **skills), device=None, queues=queues)
        self.sessions[name] = session
        if ready:
            self.acd.set_agent_mode(session, "ready")
        return session

    def mode(self, name: str) -> str:
        agent = self.acd.agents.get(name)
        return agent.mode.value if agent else "logged_out"

    def reason(self, name: str) -> str | None:
        return self.acd.agents[name].reason

    # time

    def wait(self, seconds: float, step: float = 0.5) -> None:
        end = self.clock.monotonic() + seconds
        while self.clock.monotonic() < end:
            self.clock.advance(min(step, end - self.clock.monotonic()))
            self.acd.tick()

    # customers and phones

    def call_in(self, dnis: str = "4001", ani: str = "13800138000", x_queue=None,
                worker: str = "w1") -> str:
        leg = f"c{next(self._legs)}"
        self.acd.incoming_call(worker, leg, ani=ani, dnis=dnis, x_queue=x_queue)
        return leg

    def call_id(self, customer_leg: str) -> str:
        return self.acd.legs[customer_leg].call.id

    def offered_to(self, name: str) -> str | None:
        """The leg ringing on this agent's phone, if any."""
        agent = self.acd.agents[name]
        for call in agent.calls:
            if call.offer is not None and call.offer.agent is agent:
                return call.offer.leg.id
            if call.consult is not None and call.consult.agent is agent:
                return call.consult.leg.id
        return None

    def pick_up(self, name: str) -> str:
        leg = self.offered_to(name)
        assert leg, f"nothing rings for {name}"
        self.acd.leg_answered(leg)
        return leg

    def events_for(self, name: str, kind: type) -> list:
        return self.publisher.of(kind, cti.agent_topic(name))


def queue(name: str = "billing", dnis=("4001",), **kwargs) -> QueueConfig:
    kwargs.setdefault("announce_every", None)
    kwargs.setdefault("welcome", False)
    return QueueConfig(name=name, dnis=tuple(dnis), **kwargs)
