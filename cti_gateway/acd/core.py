"""The engine's state and operations that its command sets build on.

`Acd` is one object made of three parts: the engine itself (engine.py: calls, queues,
offers, timers), the agents' own commands (agents.py) and call control (control.py).
The two command sets subclass `AcdCore`, which declares what they use of the engine
and of each other; `Acd` provides all of it, and mypy checks that it does (a class that
leaves one of these out is an error: `Acd` is final).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

from bus import cti
from cti_gateway.acd.clock import Clock
from cti_gateway.acd.model import Agent, AgentMode, Call, Leg, LegRole, Queue, Timer
from cti_gateway.acd.ports import Publisher, Records, Switch

if TYPE_CHECKING:
    from cti_gateway.acd.engine import AcdSettings


class AcdCore(Protocol):
    # the engine's settings and ports
    settings: AcdSettings
    clock: Clock
    switch: Switch
    publisher: Publisher
    records: Records
    # its state
    queues: dict[str, Queue]
    agents: dict[str, Agent]
    sessions: dict[str, Agent]  # by session id
    calls: dict[str, Call]
    legs: dict[str, Leg]
    _dirty_queues: set[str]  # queues whose statistics are published when the operation ends

    # --- the engine's (engine.py) ---

    def now(self) -> float: ...

    def operation(self) -> AbstractContextManager[None]: ...

    def schedule(self, delay: float, action: Callable[[], None]) -> Timer: ...

    def cancel_call_timers(self, call: Call) -> None: ...

    def new_leg(self, call: Call, role: LegRole, agent: Agent | None = None) -> Leg: ...

    def drop_leg(self, leg: Leg) -> None: ...

    def enqueue(self, call: Call, queue: Queue, *, welcome: bool = False) -> None: ...

    def requeue(self, call: Call) -> None: ...

    def offer(self, call: Call, agent: Agent, kind: cti.OfferKind) -> None: ...

    def withdraw_offer(self, call: Call, reason: cti.WithdrawReason, mode: AgentMode,
                       mode_reason: str | None = None) -> None: ...

    def release_handler(self, call: Call, agent: Agent,
                        mode: tuple[AgentMode, str | None] | None = None) -> None: ...

    def end_call(self, call: Call, cause: cti.EndCause, *, detail: str = "",
                 handler_mode: tuple[AgentMode, str | None] | None = None) -> None: ...

    def finish_wrap_up(self, agent: Agent, mode: tuple[AgentMode, str | None] | None = None) -> None: ...

    def set_mode(self, agent: Agent, mode: AgentMode, reason: str | None = None) -> None: ...

    def agents_of(self, call: Call) -> list[Agent]: ...

    def publish_agent_state(self, agent: Agent) -> None: ...

    def publish_call(self, call: Call, event, agents: list[Agent]) -> None: ...

    def notify(self, agent: Agent | None, level: cti.NoticeLevel, text: str, *, code: str = "", **params) -> None: ...

    # --- the agents' commands (agents.py) ---

    def agent_for(self, session: str) -> Agent: ...
