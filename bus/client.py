"""What every client of a service on the bus shares (the gateway's `cti_gateway.client`, the mail
queue's `email_queue.client`): commands that get a reply or a clear error, and events.

Every socket is a CURVE client of the service's public key (bus.curve). Events come to a DEALER
once it has presented the event key the service granted the client's session (bus.delivery).

Requests follow ZeroMQ's "lazy pirate" pattern: a DEALER socket that only queues to live
connections, a reply awaited with a timeout, and on timeout a fresh socket, so a reply to a
request given up on can never be taken for the answer to the next one.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, ClassVar, TypeVar

import msgspec
import zmq

from bus import delivery
from bus.curve import make_client
from bus.envelope import (
    BadMessage,
    Catalogue,
    EventEnvelope,
    Message,
    convert,
    decode_event,
    decode_reply,
    encode_request,
)
from bus.keys import KeyPair
from bus.limits import limit_client_socket

T = TypeVar("T", bound=msgspec.Struct)


class ServiceError(Exception):
    """A service refused a command; `code` says why in a word."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class ServiceClient:
    """A connection to one service. A subclass names the service, its events and its errors."""

    service: ClassVar[str] = "The service"  # as the start of a sentence
    events_catalogue: ClassVar[Catalogue[Message]]
    error: ClassVar[type[ServiceError]] = ServiceError  # what a refusal raises

    def __init__(self, command_address: str, event_address: str | None, *, server_key: bytes,
                 keypair: KeyPair | None, timeout: float, context: zmq.Context | None):
        self.command_address = command_address
        self.event_address = event_address
        self.server_key = server_key
        self.keypair = keypair  # None: a fresh one for each socket
        self.timeout = timeout
        self.context = context or zmq.Context.instance()
        self.session: str | None = None
        self.agent: str | None = None
        self._requests: zmq.Socket | None = None
        self._events: zmq.Socket | None = None
        if event_address:
            self._events = self.context.socket(zmq.DEALER)
            limit_client_socket(self._events)
            delivery.prepare_subscriber(self._events)
            make_client(self._events, self.server_key, self.keypair)
            self._events.connect(event_address)

    # --- commands --------------------------------------------------------------------------

    def _socket(self) -> zmq.Socket:
        if self._requests is None:
            sock = self.context.socket(zmq.DEALER)
            limit_client_socket(sock)
            sock.setsockopt(zmq.IMMEDIATE, 1)
            make_client(sock, self.server_key, self.keypair)
            sock.connect(self.command_address)
            self._requests = sock
        return self._requests

    def _reset(self) -> None:
        if self._requests is not None:
            self._requests.close(0)
            self._requests = None

    def request(self, command: Message, result_type: type[T] | None = None,
                timeout: float | None = None) -> T | Any:
        """Send one command and wait for its reply; the service's error if refused."""
        timeout = self.timeout if timeout is None else timeout
        request_id = secrets.token_hex(6)
        sock = self._socket()
        deadline = time.monotonic() + timeout
        try:  # waits while the connection is being made, up to the timeout
            sock.setsockopt(zmq.SNDTIMEO, max(1, int(timeout * 1000)))
            sock.send(encode_request(request_id, command))
        except zmq.Again:
            self._reset()
            raise self.unreachable(timeout) from None
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not sock.poll(int(left * 1000)):
                self._reset()
                raise self.unreachable(timeout)
            try:
                reply = decode_reply(sock.recv())
            except BadMessage as exc:
                raise self.error(exc.code, exc.message) from None
            if reply.id != request_id:
                continue  # a late reply to an earlier request
            if not reply.ok:
                if reply.error is None:
                    raise self.error("malformed", f"{self.service} refused the command without a reason.")
                raise self.error(reply.error.code, reply.error.message)
            if result_type is None or reply.result is None:
                return reply.result
            return convert(reply.result, result_type)

    def unreachable(self, timeout: float) -> ServiceError:
        """The error that says the service did not answer within `timeout` seconds."""
        return self.error("unreachable", f"{self.service} at {self.command_address} did not answer within {timeout:g} s.")

    def command(self, kind: type[Message], result_type=None, **fields):
        """A command of this session: `client.command(cti.CallHold, call_id=...)`."""
        return self.request(kind(session=self.session, **fields), result_type)

    # --- events ----------------------------------------------------------------------------------

    def _confirm_events(self, key: str, timeout: float | None = None) -> bool:
        """Present an event key until the service confirms it; False if it did not."""
        if self._events is None:
            raise RuntimeError("this client was made without an event address")
        return delivery.subscribe(self._events, key, timeout=self.timeout if timeout is None else timeout)

    def next_event(self, timeout: float = 1.0) -> tuple[EventEnvelope, msgspec.Struct] | None:
        """The next event, or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self._events is not None:
            left = deadline - time.monotonic()
            if not self._events.poll(max(0, int(left * 1000))):
                return None
            payload = delivery.read_event(self._events.recv_multipart())
            if payload is not None:  # None: a confirmation of the key, asked again
                return decode_event(payload, self.events_catalogue)
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
