"""The mail queue's email in: the SMTP listener (only the service addresses, each mail
stored before 250) and the IMAP pollers, each stored email handed to the router."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from aiosmtpd.smtp import SMTP

from bus import mailq
from crm.services.conversations import queueing
from email_queue.health import is_outage
from email_queue.imap_in import ImapPoller
from email_queue.service_base import MailqError, to_agent, work_of

if TYPE_CHECKING:
    from email_queue.service import MailqService

log = logging.getLogger("email_queue.service")  # the whole service logs as one, as it always has


class SmtpHandler:
    """aiosmtpd handler: only the service addresses, stored before 250."""

    def __init__(self, service: MailqService):
        self.service = service

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() not in self.service.config.addresses:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        if len(envelope.rcpt_tos) >= 100:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        mailbox, *others = dict.fromkeys(address.lower() for address in envelope.rcpt_tos)
        try:
            received = await self.service.ingest.email(raw, mailbox, "smtp", envelope.mail_from, tuple(others))
        except Exception as exc:
            if is_outage(exc):  # the sender tries again later; the outage is logged once, not per mail
                self.service.database_failed(exc)
            else:
                log.exception("an email from %s for %s could not be stored", envelope.mail_from, mailbox)
            return "451 4.3.0 The message could not be stored; please try again later"
        self.service.in_loop(self.service.email_stored(received))  # offering it comes after the 250
        return f"250 2.0.0 OK: stored in conversation {received.conversation_id}"


SMTP_CONNECTIONS_PER_SOURCE = 50  # as Postfix's smtpd_client_connection_count_limit


class SmtpConnections:
    """How many SMTP connections each client address holds (on the service's loop)."""

    def __init__(self, per_source: int = SMTP_CONNECTIONS_PER_SOURCE):
        self.per_source = per_source
        self._open: dict[str, int] = {}
        self._logged: dict[str, float] = {}

    def admit(self, source: str) -> bool:
        if self._open.get(source, 0) >= self.per_source:
            now = time.monotonic()
            if now - self._logged.get(source, -3600.0) >= 600.0:
                if len(self._logged) > 10_000:
                    self._logged.clear()
                self._logged[source] = now
                log.warning("SMTP: connections from %s refused: it holds %d already; further refusals of it "
                            "are not logged for 10 min", source, self.per_source)
            return False
        self._open[source] = self._open.get(source, 0) + 1
        return True

    def release(self, source: str) -> None:
        count = self._open.pop(source, 0) - 1
        if count > 0:
            self._open[source] = count


class LimitedSMTP(SMTP):
    """aiosmtpd's SMTP, refusing a client address more than `connections.per_source` at once
    (421, as Postfix does): each connection holds one of the service's files for up to five
    idle minutes, and hundreds from one address left none for email, chats and desktops."""

    def __init__(self, *args, connections: SmtpConnections, **kwargs):
        super().__init__(*args, **kwargs)
        self._connections = connections
        self._source: str | None = None

    def connection_made(self, transport) -> None:
        first = self._source is None and self._original_transport is None  # not STARTTLS's new transport
        super().connection_made(transport)
        if not first:
            return
        peer = transport.get_extra_info("peername")
        source = str(peer[0]) if peer else "unknown"
        if self._connections.admit(source):
            self._source = source
            return
        self._handler_coroutine.cancel()  # no greeting: the refusal instead
        transport.write(b"421 4.7.0 Too many connections from your address; try again later\r\n")
        transport.close()

    def connection_lost(self, error) -> None:
        if self._source is not None:
            self._connections.release(self._source)
            self._source = None
        super().connection_lost(error)


class EmailIn:
    """The part of MailqService that takes email in."""

    async def _start_smtp(self) -> None:
        if not self.config.smtp_host:
            return
        handler = SmtpHandler(self)
        connections = SmtpConnections()

        def protocol():
            return LimitedSMTP(handler, data_size_limit=self.config.max_message_bytes, enable_SMTPUTF8=True,
                               hostname=self.config.smtp_host, ident="Cicada mail queue", connections=connections)

        try:
            self.smtp_server = await self.loop.create_server(protocol, self.config.smtp_host, self.config.smtp_port)
        except OSError as exc:
            raise MailqError(f"cannot listen for SMTP on {self.config.smtp_host}:{self.config.smtp_port}: {exc}") \
                from None
        self.smtp_port = self.smtp_server.sockets[0].getsockname()[1]

    def _start_imap(self) -> None:
        for account in self.config.imap:
            poller = ImapPoller(account, self._store_from_imap)
            self.pollers.append(poller)
            threading.Thread(target=poller.run, args=(self._imap_stop,), daemon=True,
                             name=f"imap-{account.username}@{account.host}").start()

    def _store_from_imap(self, raw: bytes, mailbox: str):
        try:
            received = self.ingest.store_blocking(raw, mailbox, "imap")
        except Exception as exc:
            if is_outage(exc):  # the poller leaves it in the mailbox and tries again
                self.database_failed(exc)
            raise
        self.soon(self.email_stored, received)
        return received

    async def email_stored(self, received) -> None:
        if received.work is not None:
            await self.new_work(received.work)
        elif received.assigned_to and not received.duplicate:
            self.publish(to_agent(received.assigned_to), mailq.NewMessage(
                agent=received.assigned_to, conversation_id=received.conversation_id,
                message_id=received.message_id))

    async def new_work(self, item: queueing.WorkItem) -> None:
        self.meta[item.conversation_id] = item
        self.visits[item.conversation_id] = time.time()  # its "entered" was stored with it
        await self.apply(self.router.add(work_of(item)))
        self.queue_changed(item.queue)
