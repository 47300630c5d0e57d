"""The command socket, and what agents ask of their work: accept, reject, pull, chat,
close, transfer; each command a task, its reply an error code bus/ declares when it fails."""

from __future__ import annotations

import asyncio
import logging
import time

import zmq
import zmq.asyncio

from bus import mailq
from bus.envelope import BadMessage, decode_request, encode_error, encode_reply
from bus.limits import MAX_FRAMES, peer_address, read_message_async, refused_message
from crm.errors import CrmError, DatabaseUnavailable, PermissionDenied
from crm.models import ConversationStatus
from crm.permissions import Actor
from crm.services.conversations import answering, handling, queueing
from email_queue.chat_server import ChatLine
from email_queue.health import UNAVAILABLE_TEXT
from email_queue.routing import CHANNELS, RoutingError
from email_queue.service_base import TICK_SECONDS, to_agent, work_of
from email_queue.service_chat import chat_line, line_view
from email_queue.service_sessions import AgentSession

log = logging.getLogger("email_queue.service")  # the whole service logs as one, as it always has

MAX_COMMANDS_RUNNING = 500  # commands being carried out at once; more are answered "busy"


class Commands:
    """The part of MailqService that serves the desktops' commands."""

    async def _serve_commands(self) -> None:
        """Read commands and start each as a task of its own: nothing one command waits for (the
        database, a password check) holds up the next, and a login flood no one's pings."""
        while True:
            await asyncio.sleep(0)  # pyzmq hands out waiting commands without yielding to the loop
            try:
                received = await read_message_async(self.commands)
            except zmq.ZMQError:
                self._report_failure("reading a command")
                await asyncio.sleep(TICK_SECONDS)
                continue
            try:
                self._take_command(*received)
            except Exception:  # one command must never stop the others
                self._report_failure("taking a command")

    def _take_command(self, frames: list[zmq.Frame], count: int, size: int) -> None:
        source = peer_address(frames[-1])
        if count > MAX_FRAMES:
            log.warning("a command from %s in %d frames refused", source, count)
            refused_message(size)
            self._reply([frames[0].bytes], encode_error("", "malformed", f"a command has at most {MAX_FRAMES} frames"))
            return
        envelope, data = [f.bytes for f in frames[:-1]], frames[-1].bytes
        try:
            request_id, command = decode_request(data, mailq.COMMANDS)
        except BadMessage as exc:
            log.warning("bad command from %s: %s", source, exc.message)
            self._reply(envelope, encode_error(getattr(exc, "request_id", "") or "", exc.code, exc.message))
            return
        if isinstance(command, mailq.MailLogin):  # bounded by the login guard
            self.in_loop(self._login(envelope, request_id, command, source))
        elif isinstance(command, mailq.SupervisorAway):  # bounded by the login guard too
            self.in_loop(self._supervisor_away(envelope, request_id, command, source))
        elif self._commands_running >= MAX_COMMANDS_RUNNING:
            self._reply(envelope, encode_error(request_id, "busy", "The mail queue is busy; try again in a moment."))
        else:
            self._commands_running += 1
            self.in_loop(self._carry_out(envelope, request_id, command, self._is_operator(frames[-1])))

    def _is_operator(self, frame: zmq.Frame) -> bool:
        """Whether the client speaks with the mail queue's own key pair: a tool on its host that can
        read the secret key (`cicada mailq status`). The key comes from the CURVE handshake (ZAP)."""
        try:
            return frame.get("User-Id") == self.keypair.public.decode("ascii")
        except (zmq.ZMQError, KeyError):
            return False

    def _reply(self, envelope: list[bytes], payload: bytes) -> None:
        try:
            self.commands.send_multipart([*envelope, payload])  # a ROUTER never blocks: it drops for a peer gone
        except zmq.ZMQError:
            self._report_failure("sending a reply")

    async def _carry_out(self, envelope: list[bytes], request_id: str, command, operator: bool = False) -> None:
        try:
            reply = encode_reply(request_id, await self.handle(command, operator=operator))
        except BadMessage as exc:
            reply = encode_error(request_id, exc.code, exc.message)
        except RoutingError as exc:
            reply = encode_error(request_id, exc.code, exc.message)
        except DatabaseUnavailable as exc:
            reply = encode_error(request_id, "crm_unavailable", str(exc))
        except PermissionDenied as exc:
            reply = encode_error(request_id, "forbidden", str(exc))
        except CrmError as exc:
            reply = encode_error(request_id, type(exc).__name__.lower(), str(exc))
        except Exception as exc:  # a bug must cost one command, never the service
            log.exception("command %s failed", type(command).__name__)
            reply = encode_error(request_id, "internal", f"the mail queue failed: {exc}")
        finally:
            self._commands_running -= 1
        self._reply(envelope, reply)

    async def handle(self, command, *, operator: bool = False):
        if isinstance(command, mailq.Status):
            return self._status_for(command, operator)
        session = self._session(command.session)
        session.last_seen = time.monotonic()
        agent = session.agent
        if session.watching and not isinstance(command, mailq.Ping | mailq.MailLogout):
            raise RoutingError("watching", "a supervisor's watching session takes no work; log in as an agent")
        match command:
            case mailq.Ping():
                return None
            case mailq.MailLogout():
                await self._end_session(session, "logged off")
                return None
            case mailq.Snapshot():
                return self.seat_view(agent)
            case mailq.SetAvailable(channel=channel, available=available):
                await self.apply(self.router.set_available(agent, channel, available))
                self.seat_changed(agent)
                return self.seat_view(agent)
            case mailq.AcceptWork(conversation_id=cid):
                await self.apply(self.router.accept(agent, cid))
                return self.work_view(cid)
            case mailq.RejectWork(conversation_id=cid):
                await self.apply(self.router.reject(agent, cid))
                return None
            case mailq.PullWork(conversation_id=cid):
                await self._know(cid)
                await self.apply(self.router.pull(agent, cid))
                return self.work_view(cid)
            case mailq.ChatSend(conversation_id=cid, text=text):
                return await self._chat_send(session, cid, text)
            case mailq.ChatTyping(conversation_id=cid):
                if self.chat is not None:
                    self.chat.push_typing(cid, session.display_name or session.agent)
                return None
            case mailq.CloseWork():
                await self._close(session, command)
                return None
            case mailq.TransferWork():
                await self._transfer(session, command)
                return None
            case mailq.TransferTargets():
                return self.transfer_targets(agent)
            case mailq.SendNow():
                self._send_now.set()
                return None
        raise BadMessage("unknown_type", f"{type(command).__name__} is not handled")

    async def _know(self, conversation_id: int) -> None:
        if conversation_id in self.router.items:
            return
        item = await self.in_db(self._work_item, conversation_id)
        if item.status != ConversationStatus.CLOSED.value:
            self.meta[conversation_id] = item
            self.router.add(work_of(item))

    def _work_item(self, conversation_id: int):
        with self.database.reading() as session:
            return queueing.work_item(session, conversation_id)

    async def _chat_send(self, session: AgentSession, cid: int, text: str) -> mailq.ChatLineView:
        work = self.router.items.get(cid)
        if work is None or work.agent != session.agent or work.state != "assigned":
            raise RoutingError("not_yours", f"chat {cid} is not assigned to {session.agent}")
        line = await self.in_db(self._store_chat_reply, session.actor, cid, text)
        if self.chat is not None:
            self.chat.push_line(cid, line)
        return line_view(line)

    def _store_chat_reply(self, actor: Actor, cid: int, text: str) -> ChatLine:
        with self.writing() as session:
            return chat_line(answering.chat_reply(session, actor, cid, text))

    async def _close(self, session: AgentSession, command: mailq.CloseWork) -> None:
        cid = command.conversation_id
        work = self.router.items.get(cid)
        if work is not None and work.agent != session.agent:
            raise RoutingError("not_yours", f"conversation {cid} is not assigned to {session.agent}")
        await self.in_db(self._store_close, session.actor, command)
        await self._finished(cid)
        if work is not None and work.channel == "chat" and self.chat is not None:
            self.chat.push_closed(cid)
        self.publish(to_agent(session.agent), mailq.WorkClosed(
            agent=session.agent, conversation_id=cid, by="agent"))

    async def _finished(self, conversation_id: int) -> None:
        """Closed: out of the router (freeing its agent's room) and out of what the
        service remembers of it, which would otherwise grow for as long as it runs."""
        self.meta.pop(conversation_id, None)
        self.visits.pop(conversation_id, None)
        self.pages_gone.pop(conversation_id, None)
        for token in [t for t, cid in list(self.chat_ids.items()) if cid == conversation_id]:  # threads add to it
            self.chat_ids.pop(token, None)
        if self.chat is not None:
            self.chat.finished(conversation_id)
        self._seat_of_work_changed(conversation_id)
        await self.apply(self.router.finished(conversation_id))

    def _store_close(self, actor: Actor, command: mailq.CloseWork) -> None:
        with self.writing() as session:
            handling.close(session, actor, command.conversation_id, outcome=command.outcome,
                           reason=command.reason, notes=command.notes)

    async def _transfer(self, session: AgentSession, command: mailq.TransferWork) -> None:
        """The router decides at once (or refuses, changing nothing), so that no
        colleague can fill up or log off between the check and the change; then
        the queue and note go to the CRM, then the decisions, stored and told as
        always."""
        cid = command.conversation_id
        handling.transfer_note(command.note)  # a note too long is refused before anything moves
        if not self.health.available:  # its queue and note could not be kept: refused before anything moves
            raise DatabaseUnavailable(UNAVAILABLE_TEXT)
        decisions = self.router.transfer(session.agent, cid, queue=command.queue, to_agent=command.agent)
        try:
            self.meta[cid] = await self.in_db(self._store_transfer, session.actor, command)  # the offer shows it
        except CrmError as exc:  # the router is the truth for who works it, as in apply()
            log.warning("conversation %s: the transfer's queue and note could not be stored: %s", cid, exc)
        await self.apply(decisions)
        log.info("%s transferred conversation %s to %s", session.agent, cid, command.queue or command.agent)

    def _store_transfer(self, actor: Actor, command: mailq.TransferWork) -> queueing.WorkItem:
        with self.writing() as session:
            return handling.transfer(session, actor, command.conversation_id, queue=command.queue,
                                     to_agent=command.agent, note=command.note)

    def transfer_targets(self, agent: str) -> mailq.TransferTargetsResult:
        """The configured queues and the colleagues logged in, with whether each has room now."""
        colleagues = [mailq.TransferAgentView(agent=name, room={c: seat.has_room(c) for c in CHANNELS})
                      for name, seat in sorted(self.router.seats.items()) if name != agent]
        return mailq.TransferTargetsResult(queues=[q.name for q in self.config.queues], agents=colleagues)
