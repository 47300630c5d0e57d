"""How the mail queue is: its heartbeat, the watch on the CRM database, and the status a
supervisor, an agent or the operator reads, part by part."""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import text

from bus import mailq
from crm.errors import DatabaseUnavailable

log = logging.getLogger("email_queue.service")  # the whole service logs as one, as it always has

PROBE_SECONDS = 5.0  # how often the database is checked while it answers
PROBE_SECONDS_AWAY = 1.0  # and while it does not, or decisions wait to be stored


class StatusAndHealth:
    """The part of MailqService that says how the mail queue is."""

    def _beat(self) -> None:
        """To every session that receives events, and to nobody before a session."""
        if hasattr(self, "delivery"):
            self.delivery.publish_to_all(self._encode(mailq.MailqHeartbeat(
                run=self.run_id, started_at=self.started_at, database_available=self.health.available)))

    async def _watch_database(self) -> None:
        """Check that the database answers (every PROBE_SECONDS, every second while it does not); once it
        is back, store the decisions kept meanwhile and send the outbox."""
        while True:
            away = not self.health.available or self.assignments.unsaved
            await asyncio.sleep(PROBE_SECONDS_AWAY if away else PROBE_SECONDS)
            try:
                await self._probe_and_flush()
            except DatabaseUnavailable:
                pass
            except Exception:
                self._report_failure("the database check")

    async def _probe_and_flush(self) -> None:
        await self.in_db(self._probe)
        away = self.health.back()
        if away is not None:
            log.warning("the CRM database is back after %.0f s; %d routing decisions kept meanwhile are stored now",
                        away, len(self.assignments.unsaved))
            self._beat()
            self._send_now.set()
        if self.assignments.unsaved:
            written = await self.assignments.flush()
            if written:
                log.info("%d routing decisions stored", written)

    def _probe(self) -> None:
        with self.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def _status_for(self, command: mailq.Status, operator: bool) -> mailq.StatusResult:
        """The whole status for the operator's tools and supervisors; an agent's own for an agent."""
        if operator:
            return self.status()
        session = self._session(command.session)
        session.last_seen = time.monotonic()
        if not session.watching:
            return self.agent_status(session.agent)
        status = self.status()
        status.queues = [q for q in status.queues if self.sees_queue(session.scope, q.name)]
        status.seats = [seat for agent in sorted(self.router.seats)
                        if session.scope.covers(self.org_unit_of.get(agent))
                        and (seat := self.supervised_seat(agent)) is not None]
        return status

    def agent_status(self, agent: str) -> mailq.StatusResult:
        """What an agent may know: the queues he serves and whether the database answers."""
        return mailq.StatusResult(
            run=self.run_id, started_at=self.started_at, smtp=None, chat=None, imap=[],
            queues=[self.queue_view(q) for q in sorted(self._queues_of(agent))], agents=[agent],
            database_available=self.health.available)

    def status(self) -> mailq.StatusResult:
        return mailq.StatusResult(
            run=self.run_id, started_at=self.started_at,
            smtp=f"{self.config.smtp_host}:{self.smtp_port}" if self.smtp_server else None,
            chat=f"{self.config.chat_host}:{self.chat.port}" if self.chat else None,
            imap=[f"{p.account.username}@{p.account.host}: {p.status}" for p in self.pollers],
            queues=[self.queue_view(q.name) for q in self.config.queues],
            agents=sorted(self.router.seats), database_available=self.health.available,
            health=self.health_view(), unsaved_decisions=len(self.assignments.unsaved),
            locked_accounts=self.login_guard.locked_accounts())

    def health_view(self) -> list[mailq.PartHealth]:
        """Each part as a supervisor needs to see it: the database first, then what depends on it."""
        health, away = self.health, not self.health.available
        kept = len(self.assignments.unsaved)
        database = mailq.PartHealth(
            part="database", state="unavailable" if away else "ok", since=health.since,
            detail="; ".join(filter(None, [health.error, f"{kept} routing decisions wait to be stored" if kept
                                           else ""])))
        parts = [database, self._smtp_health(away), self._chat_health(away)]
        parts += [mailq.PartHealth(part=f"imap {p.account.label}", state="ok" if p.status in ("connected", "idle")
                                   else "failing", detail=p.status) for p in self.pollers]
        if self.relay is None:
            parts.append(mailq.PartHealth(part="outbox", state="off", detail="no relay: replies wait in the outbox"))
        else:
            parts.append(self.outbox_health)
        return parts

    def _smtp_health(self, database_away: bool) -> mailq.PartHealth:
        if not self.smtp_server:
            return mailq.PartHealth(part="smtp", state="off")
        listening = f"listening on {self.config.smtp_host}:{self.smtp_port}"
        if database_away:
            return mailq.PartHealth(part="smtp", state="unavailable", since=self.health.since,
                                    detail=f"{listening}; mail is refused with 451 (try later) until the database is back")
        return mailq.PartHealth(part="smtp", state="ok", detail=listening)

    def _chat_health(self, database_away: bool) -> mailq.PartHealth:
        if self.chat is None:
            return mailq.PartHealth(part="chat", state="off")
        gate = self.chat.gate
        detail = (f"listening on {self.config.chat_host}:{self.chat.port}; {gate.open_chats()} chats opened, "
                  f"{self.router.waiting_in_channel('chat')} waiting, {gate.refused} new chats refused since the start")
        if database_away:
            return mailq.PartHealth(part="chat", state="unavailable", since=self.health.since,
                                    detail=f"{detail}; customers are asked to try again until the database is back")
        return mailq.PartHealth(part="chat", state="ok", detail=detail)
