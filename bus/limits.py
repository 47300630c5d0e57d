"""What a message may be before anything decodes it, and the socket options
that make ZeroMQ hold a peer to it.

Every service checks a message's size and nesting before decoding it, so a
message that is too big or too deep costs one error reply and a log line,
never the memory or the stack of the process that received it. ZeroMQ
itself cuts the connection of a peer that sends a frame over
`MAX_FRAME_BYTES` before reading the frame (the peer reconnects on its own).
"""

from __future__ import annotations

import re

import zmq

MAX_REQUEST_BYTES = 64 * 1024  # the largest command or worker report a service reads
MAX_REPLY_BYTES = 8 * 1024 * 1024  # the largest reply or event a client reads (a busy status)
MAX_FRAME_BYTES = 16 * 1024 * 1024  # a bigger frame is never read: ZeroMQ drops the connection
MAX_SERVICE_FRAME_BYTES = 1024 * 1024  # the same, on the services' own listening sockets
MAX_DEPTH = 32  # nesting of arrays and objects; the schemas need five at most
MAX_FRAMES = 4  # routing identity, an optional empty delimiter, the message; one spare

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class MessageRefused(Exception):
    """A message refused unread; `code` and the text go back to its sender."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def check_message(data: bytes, max_bytes: int = MAX_REQUEST_BYTES, max_depth: int = MAX_DEPTH) -> None:
    """Refuse `data` (JSON) if it is bigger than `max_bytes` or nests deeper than `max_depth`."""
    if len(data) > max_bytes:
        raise MessageRefused("too_large", f"the message has {len(data)} bytes; at most {max_bytes} are read")
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return  # cannot nest deeper than it has brackets: the common case costs two scans
    if nesting_depth(data) > max_depth:
        raise MessageRefused("too_deep", f"the message nests deeper than {max_depth} levels")


def nesting_depth(data: bytes) -> int:
    """How deep arrays and objects nest in `data`, brackets inside strings not counted.
    Iterative: no input can exhaust the stack."""
    brackets = _STRING.sub(b'""', data).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        if byte in b"[{":  # noqa: SIM102 - one byte each
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def limit_service_socket(sock: zmq.Socket) -> None:
    """A service's listening socket: frames over MAX_SERVICE_FRAME_BYTES cut the connection."""
    sock.setsockopt(zmq.MAXMSGSIZE, MAX_SERVICE_FRAME_BYTES)
    sock.setsockopt(zmq.LINGER, 0)


def limit_client_socket(sock: zmq.Socket) -> None:
    """A client's socket to a service: it reads no frame bigger than MAX_FRAME_BYTES."""
    sock.setsockopt(zmq.MAXMSGSIZE, MAX_FRAME_BYTES)
    sock.setsockopt(zmq.LINGER, 0)


def peer_address(frame: zmq.Frame) -> str:
    """Where a message came from (the client's IP address over TCP), for limits and logs;
    "local" over other transports. Needs the frame as received with copy=False."""
    try:
        return str(frame.get("Peer-Address") or "local")
    except (zmq.ZMQError, KeyError):
        return "local"
