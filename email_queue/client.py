"""A connection to the mail queue as a desktop (or a test, or `cicada mailq
status`) uses it: commands that get a reply or a clear error, and events.

Every socket is a CURVE client of the mail queue (bus.curve): it must be
given the mail queue's public key, and has a fresh key pair of its own
unless given one (the command-line tools on the mail queue's host use the
service's own pair). The agent logs in with the session the application
service issued (`login(token)`), never a password; the client then presents
the session's event key on its event socket (bus.delivery) and receives
what the mail queue lets that session see.

Requests follow ZeroMQ's "lazy pirate" pattern: a DEALER socket that only
queues to live connections, a reply awaited with a timeout, and on timeout a
fresh socket, so a reply to a request given up on can never be taken for
the answer to the next one.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, TypeVar

import msgspec
import zmq

from bus import mailq
from bus.curve import make_client
from bus.delivery import prepare_subscriber, read_event, subscribe
from bus.envelope import BadMessage, EventEnvelope, convert, decode_event, decode_reply, encode_request
from bus.keys import KeyPair, new_keypair
from bus.limits import limit_client_socket

T = TypeVar("T")


class MailqError(Exception):
    """The mail queue refused a command; `code` says why in a word."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class MailqUnreachable(MailqError):
    def __init__(self, address: str, timeout: float):
        super().__init__("unreachable", f"The mail queue at {address} did not answer within {timeout:g} s.")


class MailqClient:
    def __init__(self, command_address: str, event_address: str | None = None, *, server_public_key: bytes,
                 keypair: KeyPair | None = None, timeout: float = 5.0, context: zmq.Context | None = None):
        self.command_address = command_address
        self.event_address = event_address
        self.server_public_key = server_public_key
        self.keypair = keypair or new_keypair()  # one per client: the service may tell its connections apart
        self.timeout = timeout
        self.context = context or zmq.Context.instance()
        self.session: str | None = None
        self.agent: str | None = None
        self._requests: zmq.Socket | None = None
        self._events: zmq.Socket | None = None
        if event_address:
            self._events = self.context.socket(zmq.DEALER)
            limit_client_socket(self._events)
            prepare_subscriber(self._events)
            make_client(self._events, server_public_key, self.keypair)
            self._events.connect(event_address)

    # --- commands --------------------------------------------------------------------------

    def _socket(self) -> zmq.Socket:
        if self._requests is None:
            sock = self.context.socket(zmq.DEALER)
            limit_client_socket(sock)
            sock.setsockopt(zmq.IMMEDIATE, 1)
            make_client(sock, self.server_public_key, self.keypair)
            sock.connect(self.command_address)
            self._requests = sock
        return self._requests

    def _reset(self) -> None:
        if self._requests is not None:
            self._requests.close(0)
            self._requests = None

    def request(self, command: msgspec.Struct, result_type: type[T] | None = None,
                timeout: float | None = None) -> T | Any:
        """Send one command and wait for its reply; MailqError if refused."""
        timeout = self.timeout if timeout is None else timeout
        request_id = secrets.token_hex(6)
        sock = self._socket()
        deadline = time.monotonic() + timeout
        try:  # waits while the connection is being made, up to the timeout
            sock.setsockopt(zmq.SNDTIMEO, max(1, int(timeout * 1000)))
            sock.send(encode_request(request_id, command))
        except zmq.Again:
            self._reset()
            raise MailqUnreachable(self.command_address, timeout) from None
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not sock.poll(int(left * 1000)):
                self._reset()
                raise MailqUnreachable(self.command_address, timeout)
            try:
                reply = decode_reply(sock.recv())
            except BadMessage as exc:
                raise MailqError(exc.code, exc.message) from None
            if reply.id != request_id:
                continue  # a late reply to an earlier request
            if not reply.ok:
                raise MailqError(reply.error.code, reply.error.message)
            if result_type is None or reply.result is None:
                return reply.result
            return convert(reply.result, result_type)

    def command(self, kind: type[msgspec.Struct], result_type=None, **fields):
        """A command of this session: `client.command(mailq.Ping)`."""
        return self.request(kind(session=self.session, **fields), result_type)

    def login(self, token: str, *, queues: list[str] | None = None, client: str = "",
              watch: bool = False) -> mailq.LoginResult:
        """Log in with the application service's session `token` (`watch`: a supervisor watching),
        and receive the session's events from then on."""
        result = self.request(mailq.MailLogin(token=token, queues=queues, client=client, watch=watch),
                              mailq.LoginResult)
        self.session, self.agent = result.session, result.agent
        if self._events is not None and not self.subscribe(result.events):
            raise MailqError("no_events", f"The mail queue at {self.event_address} did not confirm the events.")
        return result

    def set_available(self, channel: str, available: bool = True) -> mailq.SeatView:
        return self.command(mailq.SetAvailable, mailq.SeatView, channel=channel, available=available)

    def snapshot(self) -> mailq.SeatView:
        return self.command(mailq.Snapshot, mailq.SeatView)

    def status(self) -> mailq.StatusResult:
        """The whole status for a supervisor's session or the mail queue's own key; an agent's own."""
        return self.request(mailq.Status(session=self.session or ""), mailq.StatusResult)

    def accept(self, conversation_id: int) -> mailq.WorkView:
        return self.command(mailq.AcceptWork, mailq.WorkView, conversation_id=conversation_id)

    def reject(self, conversation_id: int) -> None:
        self.command(mailq.RejectWork, conversation_id=conversation_id)

    def pull(self, conversation_id: int) -> mailq.WorkView:
        return self.command(mailq.PullWork, mailq.WorkView, conversation_id=conversation_id)

    def chat_send(self, conversation_id: int, text: str) -> mailq.ChatLineView:
        return self.command(mailq.ChatSend, mailq.ChatLineView, conversation_id=conversation_id, text=text)

    def close_work(self, conversation_id: int, *, outcome: str | None = None, notes: str | None = None) -> None:
        self.command(mailq.CloseWork, conversation_id=conversation_id, outcome=outcome, notes=notes)

    def transfer(self, conversation_id: int, *, queue: str | None = None, agent: str | None = None,
                 note: str | None = None) -> None:
        self.command(mailq.TransferWork, conversation_id=conversation_id, queue=queue, agent=agent, note=note)

    def transfer_targets(self) -> mailq.TransferTargetsResult:
        return self.command(mailq.TransferTargets, mailq.TransferTargetsResult)

    def ping(self) -> None:
        self.command(mailq.Ping)

    def logout(self) -> None:
        self.command(mailq.MailLogout)

    # --- events ----------------------------------------------------------------------------------

    def subscribe(self, key: str, timeout: float | None = None) -> bool:
        """Present an event key until the mail queue confirms it; False if it did not (a key
        not granted, or revoked)."""
        if self._events is None:
            raise RuntimeError("this client was made without an event address")
        return subscribe(self._events, key, timeout=self.timeout if timeout is None else timeout)

    def next_event(self, timeout: float = 1.0) -> tuple[EventEnvelope, msgspec.Struct] | None:
        """The next event, or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self._events is not None and (left := deadline - time.monotonic()) > 0:
            if not self._events.poll(max(1, int(left * 1000))):
                return None
            payload = read_event(self._events.recv_multipart())
            if payload is not None:  # None: a confirmation of the key, asked again
                return decode_event(payload, mailq.EVENTS)
        return None

    def wait_for(self, predicate, timeout: float = 10.0):
        """The first event for which `predicate(event)` is true; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            got = self.next_event(min(left, 0.5))
            if got is not None and predicate(got[1]):
                return got[1]
        raise TimeoutError("the expected event did not come")

    def close(self) -> None:
        self._reset()
        if self._events is not None:
            self._events.close(0)
            self._events = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
