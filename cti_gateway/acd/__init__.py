"""The ACD: queues, agents, routing and call control, in plain Python.

Nothing here knows SIP. The engine is driven by what the telephony reports
(a leg came in, answered, ended), by agents' commands and by the passing of
time (`tick`), and acts through the ports in `ports.py`: a switch that moves
call legs, a publisher of events and the call records. Tests drive it with a
fake clock and fake ports.
"""

from cti_gateway.acd.clock import Clock, FakeClock, SystemClock
from cti_gateway.acd.engine import Acd, AcdSettings
from cti_gateway.acd.errors import CommandError
from cti_gateway.acd.model import AgentMode, AgentProfile, OverflowTarget, QueueConfig, Strategy

__all__ = [
    "Acd", "AcdSettings", "AgentMode", "AgentProfile", "Clock", "CommandError", "FakeClock",
    "OverflowTarget", "QueueConfig", "Strategy", "SystemClock",
]
