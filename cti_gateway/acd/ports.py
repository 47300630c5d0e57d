"""What the ACD needs from the outside world, as protocols.

The gateway implements them over SIP workers, ZeroMQ and the CRM database;
tests implement them with recorders.
"""

from __future__ import annotations

from typing import Protocol

from bus.envelope import Message
from bus.sipworker import Announcement


class Switch(Protocol):
    """Moves call legs. Orders return at once; their outcome comes back to
    the engine as leg reports (answered, failed, ended)."""

    def answer(self, leg: str) -> None: ...

    def reject(self, leg: str, code: int, reason: str) -> None: ...

    def hangup(self, leg: str) -> None: ...

    def play_music(self, leg: str, music: str | None) -> None: ...

    def announce(self, leg: str, announcement: Announcement, then: str,
                 music: str | None = None) -> None: ...

    def dial(self, worker: str, leg: str, uri: str, *, caller_id: str | None,
             headers: dict[str, str], connect_to: str | None = None) -> None: ...

    def connect(self, legs: list[str]) -> None: ...

    def isolate(self, leg: str) -> None: ...

    def send_dtmf(self, leg: str, digits: str) -> None: ...

    def refer(self, leg: str, uri: str) -> None: ...

    def free_lines(self, worker: str) -> int: ...

    def worker_for_new_call(self) -> str | None:
        """A worker with room for a new customer call (outbound dialling)."""


class Publisher(Protocol):
    def publish(self, topics: list[str], event: Message) -> None: ...


class Records(Protocol):
    def segment_opened(self, contact_id: str, segment_no: int, *, direction: str,
                       queue: str | None, ani: str, dnis: str, started_at, queued_at=None,
                       agent: str | None = None) -> None: ...

    def segment_updated(self, contact_id: str, segment_no: int, **fields) -> None: ...

    def queue_event(self, kind: str, *, at, contact_id: str | None = None,
                    queue: str | None = None, agent: str | None = None, **detail) -> None: ...
