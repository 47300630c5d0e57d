"""The router's decisions made durable in the CRM, through database outages.

The router in memory is the truth of who works what; the CRM keeps a copy
(each conversation's status and agent, `conversations.queueing.set_assignment`) so
that a restart finds the work again. A conversation is written as the
router has it at the moment of writing, one write per conversation at a
time: a later decision never lands before an earlier one. A write the
database cannot take because it is away is not lost: the conversation is
kept as unsaved and written, as the router then has it, once the database
is back (`flush`). Meanwhile desktops are told as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from crm.errors import CrmError, DatabaseUnavailable
from email_queue.health import DatabaseHealth
from email_queue.routing import Router

log = logging.getLogger(__name__)

# write(conversation_id, status, agent, at): stores one conversation's state; at is when it was decided
Writer = Callable[[int, str, str | None, float], Awaitable[None]]


class Assignments:
    def __init__(self, router: Router, write: Writer, health: DatabaseHealth):
        self.router = router
        self._write = write
        self.health = health
        self.unsaved: dict[int, float] = {}  # conversation -> when its latest decision not yet stored was made
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}  # holders and waiters of each lock, to drop it when none is left

    async def store(self, conversation_id: int, at: float) -> bool:
        """Store the conversation's state; False only when the CRM refuses it (closed, unknown):
        kept for later while the database is away."""
        async with self._turn(conversation_id):
            if not self.health.available:  # no use trying each one; the probe tells when it is back
                self.unsaved[conversation_id] = at
                return True
            return await self._write_now(conversation_id, at)

    async def flush(self) -> int:
        """Write what was kept, oldest first, until done or the database is away again; how many were written."""
        written = 0
        for conversation_id in sorted(self.unsaved, key=self.unsaved.__getitem__):
            if not self.health.available:
                break
            async with self._turn(conversation_id):
                at = self.unsaved.get(conversation_id)
                if at is None:  # written meanwhile by a newer decision
                    continue
                await self._write_now(conversation_id, at)
                written += conversation_id not in self.unsaved
        return written

    async def _write_now(self, conversation_id: int, at: float) -> bool:
        work = self.router.items.get(conversation_id)
        if work is None:  # closed meanwhile: whoever closed it stored that
            self.unsaved.pop(conversation_id, None)
            return True
        try:
            await self._write(conversation_id, work.state, work.agent, at)
        except DatabaseUnavailable:
            self.unsaved[conversation_id] = at
            return True
        except CrmError as exc:
            self.unsaved.pop(conversation_id, None)
            log.warning("conversation %s: %s", conversation_id, exc)
            return False
        except Exception:  # a bug: said loudly, not retried every second; an offer not told runs out
            self.unsaved.pop(conversation_id, None)
            log.exception("conversation %s: its routing could not be stored", conversation_id)
            return False
        self.unsaved.pop(conversation_id, None)
        return True

    @contextlib.asynccontextmanager
    async def _turn(self, conversation_id: int):
        """One write of a conversation at a time, in the order they were asked for."""
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        self._waiting[conversation_id] = self._waiting.get(conversation_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[conversation_id] -= 1
            if not self._waiting[conversation_id]:
                del self._waiting[conversation_id], self._locks[conversation_id]
