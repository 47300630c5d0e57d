"""The outbox sent: agents' replies go to the relay, and the agent who wrote one is told
when it was sent or failed for good."""

from __future__ import annotations

import asyncio
import logging
import time

from bus import mailq
from crm.errors import DatabaseUnavailable
from crm.services import outbox as outbox_service
from crm.services.conversations.steps import reply_steps_of_emails
from email_queue.health import describe
from email_queue.outbox import send_due
from email_queue.service_base import to_agent

log = logging.getLogger("email_queue.service")  # the whole service logs as one, as it always has


class Sending:
    """The part of MailqService that sends the outbox."""

    async def _send_outbox(self) -> None:
        if self.relay is None:
            return
        while True:
            try:
                await asyncio.wait_for(self._send_now.wait(), self.config.send_seconds)
            except TimeoutError:
                pass
            self._send_now.clear()
            if not self.health.available:
                self._outbox_state("unavailable", "waiting for the CRM database")
                continue  # the database check sends it once the database is back
            try:
                owners, relay_error = await self.in_db(self._send_and_find_writers)
            except DatabaseUnavailable:
                self._outbox_state("unavailable", "waiting for the CRM database")
                continue
            except Exception as exc:
                self._report_failure("sending the outbox")
                self._outbox_state("failing", describe(exc))
                continue
            self._outbox_state(*(("failing", relay_error) if relay_error else ("ok", "")))
            self._tell_deliveries(owners)

    def _outbox_state(self, state: str, detail: str) -> None:
        if state != self.outbox_health.state or detail != self.outbox_health.detail:
            since = self.outbox_health.since if state == self.outbox_health.state else time.time()
            self.outbox_health = mailq.PartHealth(part="outbox", state=state, detail=detail, since=since)

    def _send_and_find_writers(self) -> tuple[list[outbox_service.DeliveryOwner], str | None]:
        """Send what is due; the writers of those now sent or failed for good (not those due again),
        and why the relay took none, if it did not."""
        deliveries = send_due(self.database, self.relay)
        done = [d.email_id for d in deliveries if d.status in (outbox_service.SENT, outbox_service.FAILED)]
        waiting = [d.error for d in deliveries if d.status not in (outbox_service.SENT, outbox_service.FAILED)]
        relay_error = waiting[-1] if waiting and not done else None
        if not done:
            return [], relay_error
        with self.database.reading() as session:
            owners = outbox_service.owners_of(session, done)
            # an email reply's step was written by the application service: told as it leaves
            sent = [d.email_id for d in deliveries if d.status == outbox_service.SENT]
            self.tell_steps(reply_steps_of_emails(session, sent))
            return owners, relay_error

    def _tell_deliveries(self, owners: list[outbox_service.DeliveryOwner]) -> None:
        """The agent who wrote an email hears how it went, wherever he is in his desktop."""
        for owner in owners:
            self.publish(to_agent(owner.username), mailq.DeliveryDone(
                agent=owner.username, conversation_id=owner.conversation_id, email_id=owner.email_id,
                status=owner.status, to_address=owner.to_address, subject=owner.subject, error=owner.error))
