"""The router's decisions made durable in the CRM, through database outages.

The router in memory is the truth of who works what; the CRM keeps a copy
(each conversation's status and agent, `conversations.queueing.set_assignment`) so
that a restart finds the work again. A conversation is written as the
router has it at the moment of writing, one write per conversation at a
time: a later decision never lands before an earlier one. A write the
database cannot take because it is away is not lost: the conversation is
kept as unsaved and written, as the router then has it, once the database
is back (`flush`). Meanwhile desktops are told as usual.

Each decision's steps for the event log (offered, answered, ...) go with the write of its
conversation, in its transaction: kept in order with it while the database is away, and
dropped with it when the CRM refuses it. Their keys are made once, when the decision is, so a
write retried after its commit's answer was lost adds none of them again.
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

# write(conversation_id, status, agent, at, steps): stores one conversation's state and the event log's
# steps of the decisions that made it; at is when it was last decided. status None: only the steps (the
# conversation left the router, closed, before they could be stored).
Writer = Callable[[int, str | None, str | None, float, list[dict]], Awaitable[None]]


class Assignments:
    def __init__(self, router: Router, write: Writer, health: DatabaseHealth):
        self.router = router
        self._write = write
        self.health = health
        self.unsaved: dict[int, float] = {}  # conversation -> when its latest decision not yet stored was made
        self.steps: dict[int, list[dict]] = {}  # conversation -> its decisions' steps not yet stored, in order
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}  # holders and waiters of each lock, to drop it when none is left

    async def store(self, conversation_id: int, at: float, steps: list[dict] | None = None) -> bool:
        """Store the conversation's state with its decisions' `steps`; False only when the CRM refuses
        it (closed, unknown): kept for later while the database is away."""
        if steps:  # in the order decided: a write before this one's turn stores them with the state they made
            self.steps.setdefault(conversation_id, []).extend(steps)
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
        steps = self.steps.get(conversation_id, [])
        if work is None and not steps:  # closed meanwhile: whoever closed it stored that
            self.unsaved.pop(conversation_id, None)
            return True
        try:
            if work is None:  # closed meanwhile, its steps still to store: they happened
                await self._write(conversation_id, None, None, at, list(steps))
            else:
                await self._write(conversation_id, work.state, work.agent, at, list(steps))
        except DatabaseUnavailable:
            self.unsaved[conversation_id] = at
            return True
        except CrmError as exc:
            self._forget(conversation_id)
            log.warning("conversation %s: %s", conversation_id, exc)
            return False
        except Exception:  # a bug: said loudly, not retried every second; an offer not told runs out
            self._forget(conversation_id)
            log.exception("conversation %s: its routing could not be stored", conversation_id)
            return False
        self._forget(conversation_id, written=len(steps))
        return True

    def _forget(self, conversation_id: int, written: int | None = None) -> None:
        """Done with what was kept: all of it, or the first `written` steps (more may have come meanwhile)."""
        self.unsaved.pop(conversation_id, None)
        steps = self.steps.pop(conversation_id, [])
        if written is not None and steps[written:]:
            self.steps[conversation_id] = steps[written:]

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
