"""The ACD's objects: queue configurations, agents, calls and their legs."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from bus import cti


class Strategy(StrEnum):
    LONGEST_IDLE = "longest_idle"
    FEWEST_CALLS = "fewest_calls"
    ROUND_ROBIN = "round_robin"
    SKILLS = "skills"  # highest skill level in the queue's skills first


class AgentMode(StrEnum):
    LOGGED_OUT = "logged_out"
    NOT_READY = "not_ready"
    READY = "ready"
    OFFERED = "offered"
    BUSY = "busy"
    WRAP_UP = "wrap_up"


T = TypeVar("T")


@dataclass(frozen=True)
class OverflowTarget:
    """Where calls go when a queue is full or they waited too long:
    another queue, or a closing announcement and hang-up."""

    queue: str | None = None

    @classmethod
    def parse(cls, text: str) -> OverflowTarget:
        if text in ("hangup", "announce"):
            return cls(None)
        kind, _, name = text.partition(":")
        if kind != "queue" or not name:
            raise ValueError(f"overflow target {text!r}: use 'queue:NAME' or 'hangup'")
        return cls(name)

    def __str__(self) -> str:
        return f"queue:{self.queue}" if self.queue else "hangup"


@dataclass(frozen=True)
class QueueConfig:
    name: str
    dnis: tuple[str, ...] = ()
    skills: dict[str, int] = field(default_factory=dict)  # skill -> lowest level accepted
    strategy: Strategy = Strategy.LONGEST_IDLE
    service_level_seconds: float = 20.0
    max_length: int | None = None
    max_wait: float | None = None
    overflow: OverflowTarget = OverflowTarget()
    music: str | None = None  # a WAV file; None: the default music on hold
    language: str = "en"
    welcome: bool = True
    announce_every: float | None = 30.0
    ring_timeout: float | None = None  # None: the gateway's setting
    wrap_up_seconds: float | None = None  # None: the gateway's setting
    org_units: tuple[str, ...] = ()  # CRM org unit codes whose supervisors see it; none: its agents'


@dataclass(frozen=True)
class AgentProfile:
    """An agent as the CRM knows it, after the password was checked."""

    username: str
    user_id: int | None
    display_name: str
    skills: dict[str, int]
    extension: str | None
    wrap_up_seconds: float | None = None  # the IC profile's wrap-up time; None: the queue's
    after_wrap_up: str = "ready"  # the IC profile's work mode when wrap-up ends: ready or not_ready
    after_wrap_up_reason: str | None = None  # with not_ready


class CallState(StrEnum):
    QUEUED = "queued"
    OFFERED = "offered"
    DIALING = "dialing"  # outbound: the agent's phone or the customer is ringing
    CONNECTED = "connected"
    EXTERNAL = "external"  # handed to an external number, no agent left
    ENDING = "ending"  # a closing announcement plays, then the gateway hangs up
    ENDED = "ended"


class LegRole(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    CONSULT = "consult"
    EXTERNAL = "external"


@dataclass(eq=False)
class Leg:
    id: str
    worker: str
    role: LegRole
    call: Call | None = None
    agent: Agent | None = None
    answered: bool = False
    ended: bool = False


@dataclass(eq=False)
class Timer:
    due: float
    action: Callable[[], object]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass(eq=False)
class Agent:
    profile: AgentProfile
    session: str
    client: str
    device: str
    queues: list[str]
    mode: AgentMode
    since: float
    since_epoch: float
    reason: str | None = None
    idle_since: float = 0.0  # when the agent last became free: longest-idle routing
    calls_taken: int = 0
    calls: list[Call] = field(default_factory=list)
    pending: tuple[AgentMode, str | None] | None = None  # applies after the current call
    wrap_up: WrapUp | None = None
    timer: Timer | None = None  # ring-no-answer or wrap-up end

    @property
    def name(self) -> str:
        return self.profile.username


@dataclass(eq=False)
class WrapUp:
    call_id: str
    segment_no: int
    started: float
    until: float | None  # None: until the agent chooses a mode
    queue: str | None = None  # the queue of the call he answered
    talk: float | None = None  # from his answer to the end of his part (None: he never answered)


@dataclass(eq=False)
class Offer:
    agent: Agent
    leg: Leg
    kind: cti.OfferKind
    at: float
    accepted: bool = False


@dataclass(eq=False)
class Consult:
    target_kind: cti.TargetKind
    target_value: str
    leg: Leg
    agent: Agent | None  # the consulted agent, if any
    connected: bool = False
    conference: bool = False
    accepted: bool = False


@dataclass(eq=False)
class Call:
    id: str
    direction: cti.Direction
    ani: str
    dnis: str
    worker: str
    customer: Leg | None
    arrived: float
    arrived_epoch: float
    state: CallState
    queue: str | None = None
    queued_since: float | None = None
    queues_visited: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    handler: Agent | None = None
    handler_leg: Leg | None = None
    offer: Offer | None = None
    consult: Consult | None = None
    held_since: float | None = None
    hold_seconds: float = 0.0
    answered_at: float | None = None
    answered_epoch: float | None = None
    offered_epoch: float | None = None
    segment_no: int = 1
    segment_open: bool = True  # the record of the current segment is not closed yet
    segment_started: float = 0.0
    rejected_by: set[str] = field(default_factory=set)
    target_agent: str | None = None  # a blind transfer to one agent
    external: Leg | None = None  # after a blind transfer to a number
    timers: list[Timer] = field(default_factory=list)

    def waited(self, now: float) -> float:
        if self.queued_since is None:
            return 0.0
        return (self.answered_at or now) - self.queued_since

    def hold_total(self, now: float) -> float:
        return self.hold_seconds + (now - self.held_since if self.held_since is not None else 0.0)

    # The parts a call has in the states where the engine asks for them; one missing
    # there is a bug in the engine, reported as such rather than as an AttributeError.

    @property
    def customer_leg(self) -> Leg:
        return _present(self.customer, "a customer leg", self)

    @property
    def agent_leg(self) -> Leg:
        return _present(self.handler_leg, "a handling agent's leg", self)

    @property
    def handling_agent(self) -> Agent:
        return _present(self.handler, "a handling agent", self)

    @property
    def current_offer(self) -> Offer:
        return _present(self.offer, "an offer", self)

    @property
    def current_consult(self) -> Consult:
        return _present(self.consult, "a consult", self)


def _present(part: T | None, what: str, call: Call) -> T:
    if part is None:
        raise RuntimeError(f"call {call.id} in state {call.state} has no {what}")
    return part


@dataclass(eq=False)
class Queue:
    config: QueueConfig
    waiting: deque[Call] = field(default_factory=deque)
    last_agent: str | None = None  # round-robin memory
    handle_time: float = 180.0  # moving average of talk + wrap-up, for expected wait
    entered: int = 0
    answered: int = 0
    abandoned: int = 0
    overflowed: int = 0
    answered_in_time: int = 0

    @property
    def name(self) -> str:
        return self.config.name
