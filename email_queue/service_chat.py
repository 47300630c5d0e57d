"""The mail queue's web chats: the desk the chat server calls for the customer's side
(opening, lines, typing, leaving, ending), and what the service does with it: the first
line routes the chat, lines and ends go to the agent, chats left alone are abandoned."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from typing import TYPE_CHECKING

from bus import mailq
from crm.errors import Conflict, CrmError, DatabaseUnavailable
from crm.models import ConversationStatus
from crm.services.conversations import chat_in, queueing
from crm.conversation_types import AGENT_ONLY_LINES
from email_queue.chat_gate import ChatGate
from email_queue.chat_server import ChatClosed, ChatLine, ChatServer, ChatSession, ChatUnavailable
from email_queue.health import is_outage
from email_queue.service_base import MailqError, epoch, to_agent

if TYPE_CHECKING:
    from email_queue.service import MailqService

log = logging.getLogger("email_queue.service")  # the whole service logs as one, as it always has

CHAT_UNAVAILABLE_TEXT = "We cannot take this just now; please try again in a moment."


class ChatDesk:
    """The web chat's backend (email_queue.chat_server.ChatBackend): the CRM
    for storage, the service's loop for routing and desktops."""

    def __init__(self, service: MailqService):
        self.service = service

    @contextlib.contextmanager
    def _database(self):
        """The chat's database work: an outage becomes ChatUnavailable, which asks the customer to try again."""
        try:
            yield
        except Exception as exc:
            if not is_outage(exc):
                raise
            self.service.database_failed(exc)
            raise ChatUnavailable(CHAT_UNAVAILABLE_TEXT) from None

    def open_chat(self, *, name, email, phone, page, language) -> ChatSession:
        service = self.service
        with self._database():
            try:
                with service.writing() as session:
                    opened = chat_in.open_chat(session, name=name, email=email, phone=phone, page=page,
                                               language=language, route=service.config.route)
                    item = queueing.work_item(session, opened.conversation_id)
            except CrmError as exc:
                raise ValueError(str(exc)) from None
        service.chat_ids[opened.token] = opened.conversation_id  # its page closing needs no database
        service.soon(service.new_work, item)
        return ChatSession(opened.token, opened.conversation_id, [])

    def resume_chat(self, token: str) -> ChatSession | None:
        with self._database(), self.service.database.reading() as session:
            conversation = chat_in.chat_by_token(session, token)
            if conversation is None:
                return None
            messages = chat_in.transcript(session, conversation.id)
            # The line saying the customer ended the chat is for the agent; to the customer it is closed.
            lines = [chat_line(m) for m in messages if m.client_id not in AGENT_ONLY_LINES]
            ended = conversation.customer_ended_at is not None
            closed = ended or conversation.status == ConversationStatus.CLOSED.value
            if conversation.status != ConversationStatus.CLOSED.value:
                self.service.chat_ids[token] = conversation.id
            return ChatSession(token, conversation.id, lines, closed, "customer" if ended else "agent")

    def customer_wrote(self, token: str, text: str, client_id: str) -> ChatLine:
        with self._database():
            return self._customer_wrote(token, text, client_id)

    def _customer_wrote(self, token: str, text: str, client_id: str) -> ChatLine:
        service = self.service
        try:
            with service.writing() as session:
                conversation, message, new = chat_in.customer_wrote(session, token, text, client_id)
                line, conversation_id = chat_line(message), conversation.id
                first = new and chat_in.is_first_line(session, conversation_id, message.id)
        except Conflict as exc:
            with service.database.reading() as session:
                conversation = chat_in.chat_by_token(session, token)
                ended = conversation is not None and conversation.customer_ended_at is not None
            raise ChatClosed(str(exc), "customer" if ended else "agent") from None
        except CrmError as exc:
            raise ValueError(str(exc)) from None
        if new:
            service.soon(service.chat_line_in, conversation_id, line)
        if first:
            service.soon(service.chat_first_line, conversation_id, line.text)
        return line

    def customer_typing(self, token: str) -> None:
        conversation_id = self.service.chat_ids.get(token)
        if conversation_id is None:
            with self._database(), self.service.database.reading() as session:
                conversation = chat_in.chat_by_token(session, token)
                if conversation is None:
                    return
                conversation_id = self.service.chat_ids[token] = conversation.id
        self.service.soon(self.service.customer_typing, conversation_id)

    def customer_left(self, token: str) -> None:
        """A page closed; the chat stays open for a while in case it comes back (a reload)."""
        conversation_id = self.service.chat_ids.get(token)
        if conversation_id is None:
            with self._database(), self.service.database.reading() as session:
                conversation = chat_in.chat_by_token(session, token)
                if conversation is None or conversation.status == ConversationStatus.CLOSED.value:
                    return
                conversation_id = self.service.chat_ids[token] = conversation.id
        self.service.soon(self.service.chat_page_closed, conversation_id)

    def customer_ended(self, token: str) -> None:
        """The customer ended the chat. Waiting for an agent (queued or offered), it is
        closed and leaves the queue; an agent who has it keeps it to note and close,
        with a line in the transcript saying the customer has gone."""
        with self._database():
            self._customer_ended(token)

    def _customer_ended(self, token: str) -> None:
        service = self.service
        try:
            with service.writing() as session:
                conversation = chat_in.chat_by_token(session, token, lock=True)  # vs. an agent accepting
                if conversation is None:
                    raise ValueError("This chat is not known (any more); please start a new one.")
                conversation_id, line = conversation.id, None
                if conversation.status == ConversationStatus.ASSIGNED.value:
                    _, message = chat_in.customer_ended_chat(session, token)
                    line = chat_line(message) if message is not None else None
                    closed = False
                else:
                    closed = chat_in.close_by_customer(session, token) is not None
        except CrmError as exc:
            raise ValueError(str(exc)) from None
        if closed:
            service.soon(service.chat_ended_waiting, conversation_id)
        elif line is not None:
            service.soon(service.chat_ended_assigned, conversation_id, line)


def chat_line(message) -> ChatLine:
    sender = {"inbound": "customer", "outbound": "agent"}.get(message.kind, "system")
    return ChatLine(message.id, sender, message.author_name, message.body_text, epoch(message.created_at))


def line_view(line: ChatLine) -> mailq.ChatLineView:
    return mailq.ChatLineView(id=line.id, sender=line.sender, author=line.author, text=line.text, at=line.at)


class ChatWork:
    """The part of MailqService that serves web chats."""

    async def _start_chat(self) -> None:
        if not self.config.chat_host:
            return
        gate = ChatGate(self.config.chat_limits, waiting=lambda: self.router.waiting_in_channel("chat"))
        self.chat = ChatServer(ChatDesk(self), self.config.chat_host, self.config.chat_port,
                               allowed_origins=list(self.config.chat_origins) or None, gate=gate,
                               proxies=list(self.config.chat_proxies))
        try:
            await self.chat.start()
        except OSError as exc:
            raise MailqError(f"cannot listen for the web chat on {self.config.chat_host}:{self.config.chat_port}: "
                             f"{exc}") from None

    async def chat_line_in(self, conversation_id: int, line: ChatLine) -> None:
        work = self.router.items.get(conversation_id)
        if work is not None and work.state == "assigned":
            self.publish(to_agent(work.agent), mailq.ChatLine(
                agent=work.agent, conversation_id=conversation_id, line=line_view(line)))

    async def chat_ended_waiting(self, conversation_id: int, reason: str = "the customer ended the chat",
                                 cause: str = "customer_ended") -> None:
        """The customer ended a chat no agent had (it is closed): out of the router, and
        an agent it was offered to hears it is gone."""
        work = self.router.items.get(conversation_id)
        if work is None:
            return
        if work.agent and work.state == "offered":
            self.publish(to_agent(work.agent), mailq.WorkWithdrawn(
                agent=work.agent, conversation_id=conversation_id, reason=reason, cause=cause))
        elif work.agent and work.state == "assigned":  # accepted while it was being closed
            self.publish(to_agent(work.agent), mailq.WorkClosed(
                agent=work.agent, conversation_id=conversation_id, by="customer"))
        await self._finished(conversation_id)
        self.queue_changed(work.queue)

    async def chat_ended_assigned(self, conversation_id: int, line: ChatLine) -> None:
        """The customer ended a chat an agent works: he sees the line saying so, then the event."""
        meta = self.meta.get(conversation_id)
        if meta is not None:  # a desktop that comes back learns it from its seat's work
            self.meta[conversation_id] = dataclasses.replace(meta, customer_ended=True)
        await self.chat_line_in(conversation_id, line)
        work = self.router.items.get(conversation_id)
        if work is not None and work.state == "assigned":
            self.publish(to_agent(work.agent), mailq.CustomerEndedChat(
                agent=work.agent, conversation_id=conversation_id))

    async def chat_first_line(self, conversation_id: int, text: str) -> None:
        """The customer's first line names a chat that has no subject, and rules
        with keywords route it by what he wrote: one not yet accepted goes where
        they say (an offer made before it is withdrawn)."""
        if conversation_id not in self.router.items:
            return
        try:
            item, subject = await self.in_db(self._store_first_line, conversation_id, text)
        except CrmError as exc:
            log.warning("chat %s could not be routed by its first line: %s", conversation_id, exc)
            return
        meta, work = self.meta.get(conversation_id), self.router.items.get(conversation_id)
        if subject and meta is not None:
            self.meta[conversation_id] = dataclasses.replace(meta, subject=subject)
        if work is None or work.state == "assigned":  # accepted meanwhile: it stays his
            return
        if item is None:
            if subject and work.state == "offered" and work.agent:  # the offer shows what it is about
                self.publish(to_agent(work.agent),
                             mailq.WorkOffered(agent=work.agent, work=self.work_view(conversation_id)))
            return
        if work.state == "offered" and work.agent:
            self.publish(to_agent(work.agent), mailq.WorkWithdrawn(
                agent=work.agent, conversation_id=conversation_id,
                reason=f"routed to {item.queue} by the customer's first message", cause="rerouted"))
        self._seat_of_work_changed(conversation_id)
        await self.apply(self.router.finished(conversation_id))
        self.queue_changed(work.queue)
        await self.new_work(item)

    def _store_first_line(self, conversation_id: int, text: str):
        with self.writing() as session:
            item = chat_in.route_chat(session, conversation_id, text, self.config.route)
            subject = chat_in.name_chat(session, conversation_id, text)
            if item is not None and subject:
                item = dataclasses.replace(item, subject=subject)
            return item, subject

    def chat_page_closed(self, conversation_id: int) -> None:
        if self.chat is not None and not self.chat.connected(conversation_id):
            self.pages_gone.setdefault(conversation_id, time.monotonic())

    async def _abandon_chats(self) -> None:
        """Chats whose customer has not come back within chat_abandon_seconds end (once the database
        can take it: until then they stay as they are)."""
        limit = self.config.chat_abandon_seconds
        if not self.pages_gone or not limit or self.chat is None or not self.health.available:
            return
        now = time.monotonic()
        for cid, since in list(self.pages_gone.items()):
            if self.chat.connected(cid) or cid not in self.router.items:  # came back, or closed meanwhile
                self.pages_gone.pop(cid, None)
            elif now - since >= limit:
                try:
                    abandoned = await self.in_db(self._store_abandoned, cid)
                except DatabaseUnavailable:
                    return  # tried again once the database is back
                except CrmError as exc:
                    self.pages_gone.pop(cid, None)
                    log.warning("chat %s could not be ended: %s", cid, exc)
                    continue
                self.pages_gone.pop(cid, None)
                log.info("chat %s: the customer has been gone %.0f s; the chat is abandoned", cid, now - since)
                if abandoned is None:
                    continue
                if abandoned.closed:
                    await self.chat_ended_waiting(cid, "the customer left the chat", "customer_left")
                else:
                    await self.chat_ended_assigned(cid, abandoned.line)

    def _store_abandoned(self, conversation_id: int):
        with self.writing() as session:
            abandoned = chat_in.abandon_chat(session, conversation_id)
            return None if abandoned is None else dataclasses.replace(abandoned, line=chat_line(abandoned.line))

    def customer_typing(self, conversation_id: int) -> None:
        work = self.router.items.get(conversation_id)
        if work is not None and work.state == "assigned":
            self.publish(to_agent(work.agent), mailq.CustomerTyping(
                agent=work.agent, conversation_id=conversation_id))
