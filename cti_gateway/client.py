"""A connection to the CTI gateway as a desktop (or a test, or `cicada
phone`) uses it: commands that get a reply or a clear error, and events.

Every socket is a CURVE client of the service's public key (`server_key`, the
text `cicada keys show` prints), with a fresh key pair of its own unless given
one: a service with another key, or a listener in between, gets nothing.
Events come to a DEALER once it has presented the event key the service
granted this client's session (bus.delivery): `login` and `watch` do it.

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

from bus import cti
from bus import delivery
from bus.curve import make_client
from bus.envelope import BadMessage, EventEnvelope, convert, decode_event, decode_reply, encode_request
from bus.keys import KeyPair
from bus.limits import limit_client_socket

T = TypeVar("T")


class CtiError(Exception):
    """The gateway refused a command; `code` says why in a word."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class GatewayUnreachable(CtiError):
    def __init__(self, address: str, timeout: float, service: str = "The CTI gateway"):
        super().__init__("unreachable", f"{service} at {address} did not answer within {timeout:g} s.")


class CtiClient:
    service = "The CTI gateway"
    events_catalogue = cti.EVENTS

    def __init__(self, command_address: str, event_address: str | None = None, *,
                 server_key: bytes | str, timeout: float = 5.0, context: zmq.Context | None = None,
                 keypair: KeyPair | None = None):
        self.command_address = command_address
        self.server_key = server_key.encode("ascii") if isinstance(server_key, str) else server_key
        if not self.server_key:
            raise ValueError("the service's public key is needed (what `cicada keys show` prints on its host)")
        self.keypair = keypair  # None: a fresh one for each socket
        self.event_address = event_address
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

    def request(self, command: msgspec.Struct, result_type: type[T] | None = None,
                timeout: float | None = None) -> T | Any:
        """Send one command and wait for its reply; CtiError if refused."""
        timeout = self.timeout if timeout is None else timeout
        request_id = secrets.token_hex(6)
        sock = self._socket()
        deadline = time.monotonic() + timeout
        try:  # waits while the connection is being made, up to the timeout
            sock.setsockopt(zmq.SNDTIMEO, max(1, int(timeout * 1000)))
            sock.send(encode_request(request_id, command))
        except zmq.Again:
            self._reset()
            raise GatewayUnreachable(self.command_address, timeout, self.service) from None
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not sock.poll(int(left * 1000)):
                self._reset()
                raise GatewayUnreachable(self.command_address, timeout, self.service)
            try:
                reply = decode_reply(sock.recv())
            except BadMessage as exc:
                raise CtiError(exc.code, exc.message) from None
            if reply.id != request_id:
                continue  # a late reply to an earlier request
            if not reply.ok:
                raise CtiError(reply.error.code, reply.error.message)
            if result_type is None or reply.result is None:
                return reply.result
            return convert(reply.result, result_type)

    def login(self, token: str, *, device: str | None = None,
              queues: list[str] | None = None, takeover: bool = False,
              client: str = "") -> cti.LoginResult:
        """Log in with the session the application service gave the agent (its token)."""
        result = self.request(cti.AgentLogin(token=token, device=device, queues=queues,
                                             takeover=takeover, client=client),
                              cti.LoginResult)
        self.session, self.agent = result.session, result.state.agent
        if self._events is not None:
            self.receive_events(result.events_key)
        return result

    def watch(self, token: str) -> cti.WatchResult:
        """Receive the events this session may see without logging in as an agent: a
        supervisor's (his org units' agents), or an agent's own on another connection."""
        result = self.request(cti.WatchEvents(token=token), cti.WatchResult)
        self.receive_events(result.events_key)
        return result

    def command(self, kind: type[msgspec.Struct], result_type=None, **fields):
        """A command of this session: `client.command(cti.CallHold, call_id=...)`."""
        return self.request(kind(session=self.session, **fields), result_type)

    def set_mode(self, mode: str, reason: str | None = None) -> cti.AgentView:
        return self.command(cti.AgentSetMode, cti.AgentView, mode=mode, reason=reason)

    def snapshot(self) -> cti.SnapshotResult:
        return self.command(cti.AgentSnapshot, cti.SnapshotResult)

    def status(self, token: str = "") -> cti.StatusResult:
        """The operator's status (a client made with the gateway's own key pair), or with a
        supervisor's session the agents he may see."""
        return self.request(cti.GatewayStatus(token=token), cti.StatusResult)

    # --- events ----------------------------------------------------------------------------------

    def receive_events(self, key: str) -> None:
        """Present the session's event key; CtiError if the service does not confirm it."""
        if self._events is None:
            raise RuntimeError("this client was made without an event address")
        if not delivery.subscribe(self._events, key, timeout=self.timeout):
            raise CtiError("events_refused", f"{self.service} did not confirm this session's events.")

    def next_event(self, timeout: float = 1.0) -> tuple[EventEnvelope, msgspec.Struct] | None:
        """The next event, or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self._events is not None:
            left = deadline - time.monotonic()
            if not self._events.poll(max(0, int(left * 1000))):
                return None
            payload = delivery.read_event(self._events.recv_multipart())
            if payload is not None:  # not a confirmation of the subscription
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
