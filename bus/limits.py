"""What a message may be before anything decodes it, and the socket options
that make ZeroMQ hold a peer to it.

Every service checks a message's size and nesting before decoding it, so a
message that is too big or too deep costs one error reply and a log line,
never the memory or the stack of the process that received it. ZeroMQ
itself cuts the connection of a peer that sends a frame over
`MAX_FRAME_BYTES` before reading the frame (the peer reconnects on its own).
It does not bound how many frames a message has: a service reads each
message frame by frame (`read_message`) and keeps only the first few, and
gives what a big refused message took back to the system (`give_back_memory`).
"""

from __future__ import annotations

import ctypes
import re
import time
from typing import NamedTuple

import zmq
import zmq.asyncio

MAX_REQUEST_BYTES = 64 * 1024  # the largest command or worker report a service reads
MAX_REPLY_BYTES = 8 * 1024 * 1024  # the largest reply or event a client reads (a busy status)
MAX_FRAME_BYTES = 16 * 1024 * 1024  # a bigger frame is never read: ZeroMQ drops the connection
MAX_SERVICE_FRAME_BYTES = 1024 * 1024  # the same, on the services' own listening sockets
MAX_DEPTH = 32  # nesting of arrays and objects; the schemas need five at most
MAX_FRAMES = 4  # routing identity, an optional empty delimiter, the message; one spare
GIVE_BACK_AFTER_BYTES = 1024 * 1024  # a refused message this big: its memory goes back to the system
GIVE_BACK_EVERY_SECONDS = 1.0  # at most this often (a trim walks the allocator's free lists)

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


class Received(NamedTuple):
    """A message as a service read it: its first frames, and how many it had."""

    frames: list[zmq.Frame]
    frame_count: int
    size: int  # bytes in all its frames


def read_message(sock: zmq.Socket, flags: int = 0, max_frames: int = MAX_FRAMES) -> Received:
    """Read one message frame by frame (as `zmq.Frame`s, uncopied), keeping its first
    `max_frames` frames and letting each further frame go as soon as it is read, so that a
    message of thousands of frames costs the reader no more than `max_frames` of them.
    Raises zmq.Again with zmq.NOBLOCK in `flags` and no message waiting."""
    first = sock.recv(flags, copy=False)
    return _read_rest(sock, first, max_frames)


async def read_message_async(sock: zmq.asyncio.Socket, max_frames: int = MAX_FRAMES) -> Received:
    """`read_message` for an asyncio socket: waits for the message's first frame."""
    first = await sock.recv(copy=False)
    # ZeroMQ hands over a message once all of it has arrived: the rest is read without waiting
    return _read_rest(zmq.Socket.shadow(sock.underlying), first, max_frames)


def _read_rest(sock: zmq.Socket, first: zmq.Frame, max_frames: int) -> Received:
    frames = [first]
    count = 1
    size = len(first)
    more = first.more
    while more:
        frame = sock.recv(zmq.NOBLOCK, copy=False)
        count += 1
        size += len(frame)
        more = frame.more
        if count <= max_frames:
            frames.append(frame)
    return Received(frames, count, size)


class _MemoryGiver:
    """glibc keeps what a process frees for its next allocations: the frames of a refused
    message of many frames (allocated by ZeroMQ's I/O thread, freed as the service reads them)
    would stay in the service's resident memory. `malloc_trim` hands free pages back."""

    def __init__(self) -> None:
        self._due = False
        self._last = float("-inf")

    def refused(self, size: int) -> None:
        if size >= GIVE_BACK_AFTER_BYTES:
            self._due = True
            self.give_back_if_due()

    def give_back_if_due(self) -> None:
        now = time.monotonic()
        if self._due and now - self._last >= GIVE_BACK_EVERY_SECONDS:
            self._due = False
            self._last = now
            trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc's; elsewhere nothing to do
            if trim is not None:
                trim(0)


_memory = _MemoryGiver()


def refused_message(size: int) -> None:
    """A service refused a message of `size` bytes: if it was big, its memory goes back to the
    system now, or at the next `give_back_memory` once a second has passed since the last time."""
    _memory.refused(size)


def give_back_memory() -> None:
    """Call every tick of a service's clock: hands back what refused messages left, when due."""
    _memory.give_back_if_due()


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
