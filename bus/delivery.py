"""Events only for those who may see them.

A service gives each signed-in session a random event key (`new_event_key`,
`EventDelivery.grant`). The session's desktop sends that key, alone, on its
event socket; the service routes the key's events to that connection from
then on and says so with one frame, the key. Each event then arrives as two
frames, ``[key, payload]``. The service decides who receives what:
`publish(keys, payload)` sends an event once per recipient.

Anything else sent to the event socket changes nothing and is counted and
logged, a line at most a minute: the empty key, a prefix of a key, a
made-up or revoked key, more frames, a connection whose routing id the
client did not choose (ZeroMQ's own are a counter, so guessable). Once a key
is revoked, its connection gets nothing more.

The socket is a ROUTER (a CURVE server, bus.curve), each desktop's a DEALER
with a random routing id of its own (`prepare_subscriber`), kept across
reconnections: with ROUTER_HANDOVER the service's routes follow a desktop
whose connection broke and came back, even before the service noticed the
old one was gone.

Why not PUB/SUB: a subscriber chooses its topics. And not XPUB with
ZMQ_XPUB_MANUAL (the service applies subscriptions itself) either, measured
with libzmq 4.3.5: in manual mode, `setsockopt(SUBSCRIBE)` applies to the
pipe libzmq attributes to the last message read, and an XSUB peer that sends
a message that is not a subscription shifts that attribution by one, so a
key the service grants to one peer can be applied to another's connection,
which then receives that session's events (`test_bus_delivery.py` shows
it). XPUB also keeps every topic a peer subscribes to, applied or not, in a
trie: about 4 KB for each 90-byte topic, 400 MB for 100,000 of them from one
connection. Here the service reads every request and keeps nothing of a
refused one.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Iterable

import zmq
import zmq.asyncio

from bus.limits import peer_address, read_message, refused_message
from bus.refusals import RefusalLog

log = logging.getLogger("cicada.bus.delivery")

ROUTING_ID_BYTES = 16
MAX_REQUEST_BYTES = 1024  # a key is 43 characters; the CURVE handshake's largest command some 330 bytes.
                          # A longer frame cuts its connection unread
READ_BATCH = 1000  # requests taken per call, so that a flood cannot hold up the service's loop


def new_event_key() -> str:
    """A session's event key: 256 random bits, URL-safe text (it travels in a JSON reply)."""
    return secrets.token_urlsafe(32)


class EventDelivery:
    """The service's side: which connection receives which key's events.

    Give it the event socket (a ROUTER, made a CURVE server, not bound yet); it sets the
    options it needs. Call `on_readable` when the socket is readable (or run `serve` as a
    task of an asyncio service); `publish` and `publish_to_all` never block.
    """

    def __init__(self, sock: zmq.Socket, *, on_subscribed: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        if sock.type != zmq.ROUTER:
            raise ValueError("events are delivered through a ROUTER socket")
        if sock.getsockopt(zmq.LAST_ENDPOINT):
            raise ValueError("make the EventDelivery before the socket binds: its options hold for later endpoints")
        sock.setsockopt(zmq.ROUTER_HANDOVER, 1)
        sock.setsockopt(zmq.MAXMSGSIZE, MAX_REQUEST_BYTES)
        sock.setsockopt(zmq.LINGER, 0)
        self.socket = sock
        self._socket: zmq.Socket = zmq.Socket.shadow(sock.underlying)  # synchronous calls, whatever the caller's socket is
        self.on_subscribed = on_subscribed
        self.refusals = RefusalLog(log, "event subscriptions", clock=clock)
        self._granted: set[bytes] = set()
        self._routes: dict[bytes, bytes] = {}  # key -> routing id of the connection that receives its events
        self._keys: dict[bytes, bytes] = {}  # routing id -> key (one key per connection)

    # --- sessions --------------------------------------------------------------------------------

    def grant(self, key: str) -> None:
        """Let a session's desktop subscribe with `key` (from `new_event_key`)."""
        self._granted.add(key.encode("ascii"))

    def revoke(self, key: str) -> None:
        """Stop the session's events at once; its key is refused from now on."""
        key_bytes = key.encode("ascii")
        self._granted.discard(key_bytes)
        routing_id = self._routes.pop(key_bytes, None)
        if routing_id is not None:
            self._keys.pop(routing_id, None)

    def is_subscribed(self, key: str) -> bool:
        return key.encode("ascii") in self._routes

    @property
    def subscribers(self) -> int:
        return len(self._routes)

    # --- requests from desktops --------------------------------------------------------------------

    def on_readable(self, limit: int = READ_BATCH) -> int:
        """Take the subscription requests waiting, at most `limit`; how many were taken."""
        taken = 0
        while taken < limit:
            try:
                frames, count, size = read_message(self._socket, zmq.NOBLOCK)
            except zmq.Again:
                break
            taken += 1
            self._take(frames, count)
            if count != 2:
                refused_message(size)
        self.refusals.flush_if_due()
        return taken

    async def serve(self) -> None:
        """Take subscription requests as they come, until cancelled: a task of an asyncio service."""
        watched = (self.socket if isinstance(self.socket, zmq.asyncio.Socket)
                   else zmq.asyncio.Socket.from_socket(self._socket))
        while True:
            await watched.poll()  # until readable (POLLIN)
            self.on_readable()
            await asyncio.sleep(0)  # a flood of requests shares the loop with the service's work

    def _take(self, frames: list[zmq.Frame], count: int) -> None:
        routing_id = frames[0].bytes
        if count != 2:
            return self._refuse("malformed", frames)
        if not _chosen_by_client(routing_id):
            return self._refuse("routing id not the client's", frames)
        key = frames[1].bytes
        if key not in self._granted:
            return self._refuse("key not granted", frames)
        self._route(key, routing_id)

    def _route(self, key: bytes, routing_id: bytes) -> None:
        """From now on the key's events go to this connection, and only to it."""
        earlier = self._routes.get(key)
        if earlier is not None and earlier != routing_id:
            del self._keys[earlier]
        former_key = self._keys.get(routing_id)
        if former_key is not None and former_key != key:
            del self._routes[former_key]
        self._routes[key] = routing_id
        self._keys[routing_id] = key
        self._send(routing_id, [key])  # the confirmation: every event for the key follows it
        if self.on_subscribed is not None:
            try:
                self.on_subscribed(key.decode("ascii"))
            except Exception:  # the service's mistake costs that call, never the delivery
                log.exception("on_subscribed failed")

    def _refuse(self, reason: str, frames: list[zmq.Frame]) -> None:
        self.refusals.refused(reason, peer_address(frames[-1]))

    # --- events ------------------------------------------------------------------------------------

    def publish(self, keys: Iterable[str], payload: bytes) -> int:
        """Send the event to each of these sessions that has subscribed; how many it went to."""
        sent = 0
        for key in keys:
            key_bytes = key.encode("ascii")
            routing_id = self._routes.get(key_bytes)
            if routing_id is not None:
                self._send(routing_id, [key_bytes, payload])
                sent += 1
        return sent

    def publish_to_all(self, payload: bytes) -> int:
        """Send the event to every subscribed session (a heartbeat)."""
        for key, routing_id in self._routes.items():
            self._send(routing_id, [key, payload])
        return len(self._routes)

    def _send(self, routing_id: bytes, frames: list[bytes]) -> None:
        # a ROUTER drops what it cannot deliver (a connection gone, or full: a desktop that stopped
        # reading), as a PUB socket does; it never blocks the service
        self._socket.send_multipart([routing_id, *frames], flags=zmq.NOBLOCK)


def _chosen_by_client(routing_id: bytes) -> bool:
    """ZeroMQ's own routing ids are a zero byte and a counter; a desktop's are random."""
    return len(routing_id) == ROUTING_ID_BYTES and routing_id[0] != 0


# --- the desktop's side -----------------------------------------------------------------------------

def new_routing_id() -> bytes:
    """Random, and never starting with a zero byte (ZeroMQ keeps those for its own)."""
    return bytes([1 + secrets.randbelow(255)]) + secrets.token_bytes(ROUTING_ID_BYTES - 1)


def prepare_subscriber(sock: zmq.Socket) -> None:
    """A desktop's event socket (a DEALER, made a CURVE client), before it connects."""
    if sock.type != zmq.DEALER:
        raise ValueError("a desktop receives its events on a DEALER socket")
    sock.setsockopt(zmq.ROUTING_ID, new_routing_id())


def request_events(sock: zmq.Socket, key: str) -> None:
    """Ask for the session's events; the service answers with a confirmation (`read_event`
    gives None for it). Asking again is harmless: a request may be lost if the connection
    breaks before it is read."""
    sock.send(key.encode("ascii"))


def read_event(frames: list[bytes]) -> bytes | None:
    """The payload of an event as received; None for a confirmation of the subscription."""
    if len(frames) == 1:
        return None
    return frames[1]


def subscribe(sock: zmq.Socket, key: str, *, timeout: float = 5.0, ask_every: float = 0.5) -> bool:
    """For a synchronous client, before it reads events: ask until the service confirms.
    False if it did not within `timeout` (a key not granted or revoked, or no service)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        request_events(sock, key)
        wait_until = min(deadline, time.monotonic() + ask_every)
        while (left := wait_until - time.monotonic()) > 0 and sock.poll(int(left * 1000) + 1):
            if read_event(sock.recv_multipart()) is None:
                return True
    return False
