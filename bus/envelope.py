"""The envelopes every message travels in, and how they are encoded.

A request is ``{"v": 1, "id": "...", "cmd": {"type": "...", ...}}`` and its
reply ``{"v": 1, "id": "...", "ok": true, "result": {...}}`` or
``{"v": 1, "id": "...", "ok": false, "error": {"code": "...", "message": "..."}}``.
An event is two ZeroMQ frames: a topic (for subscription prefixes) and
``{"v": 1, "run": "...", "seq": N, "at": EPOCH, "event": {"type": "...", ...}}``.

Each family of messages (the CTI gateway's, the SIP workers') is a set of
msgspec Structs tagged by ``type``; `Catalogue` decodes one family with an
error that tells the sender what was wrong, never an exception that could
kill a service. Size and nesting are checked before decoding (bus.limits).

Versions: ``v`` changes only for a change older peers would misread (a field
removed, renamed or given another meaning; a new value of a closed set such as
a work mode). A field added to an event, a reply or a view comes with a default
and needs no new version: events, replies and views ignore the fields they do
not know, so an older desktop reads a newer service's events. Commands stay
strict: a service refuses ("invalid") a field it does not know rather than
ignore what the sender asked for, so services are upgraded before desktops.
docs/bus.md lists every message and code (`python -m bus.docs` writes it).
"""

from __future__ import annotations

from typing import Any, ClassVar, Final, Generic, TypeVar, Union

import msgspec

from bus.limits import MAX_REPLY_BYTES, MAX_REQUEST_BYTES, MessageRefused, check_message

PROTOCOL_VERSION = 1

M = TypeVar("M", bound=msgspec.Struct)


class Message(msgspec.Struct, kw_only=True, tag_field="type", forbid_unknown_fields=True):
    """Base of every command and event; subclasses set `tag`."""


class Event(Message, forbid_unknown_fields=False):
    """Base of every event: fields a newer service added are ignored. `topics` say what the
    event concerns, which decides who receives it (docs/bus.md lists them)."""

    topics: ClassVar[tuple[str, ...]] = ()


# The errors any service may reply with (`ErrorInfo.code`), whatever the command; each
# family adds its own (bus.refusals, bus.cti, bus.mailq). Desktops translate them by code.
ERRORS: Final = {
    "malformed": "not a message of this protocol: not JSON, or not its envelope",
    "unknown_type": "a command type this service does not know",
    "invalid": "a command with a field missing, unknown or of the wrong type",
    "unsupported_version": "a protocol version (`v`) this service does not speak",
    "too_large": "a message bigger than the service reads (bus.limits), or attached data over its limit",
    "too_deep": "a message nested deeper than the service reads (bus.limits)",
    "busy": "the service has too much to do at once: try again in a moment",
    "internal": "the service failed to carry out the command (its log says why)",
    "unreachable": "said by the client itself: the service did not answer in time",
}


class ErrorInfo(msgspec.Struct, kw_only=True):
    code: str
    message: str


class RequestEnvelope(msgspec.Struct, kw_only=True):
    v: int
    id: str
    cmd: msgspec.Raw


class ReplyEnvelope(msgspec.Struct, kw_only=True, omit_defaults=True):
    v: int
    id: str
    ok: bool
    result: Any = None
    error: ErrorInfo | None = None


class EventEnvelope(msgspec.Struct, kw_only=True):
    v: int
    run: str
    seq: int
    at: float
    event: msgspec.Raw


class _TypeOnly(msgspec.Struct):
    type: str


class BadMessage(Exception):
    """A message that cannot be used; `code` and the text go back to its sender."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = ""  # the request's id, once its envelope was read


_encoder = msgspec.json.Encoder()
_request_decoder = msgspec.json.Decoder(RequestEnvelope)
_reply_decoder = msgspec.json.Decoder(ReplyEnvelope)
_event_decoder = msgspec.json.Decoder(EventEnvelope)
_type_decoder = msgspec.json.Decoder(_TypeOnly)


def encode(value: Any) -> bytes:
    return _encoder.encode(value)


class Catalogue(Generic[M]):
    """The message types of one family, looked up by their `type` tag."""

    def __init__(self, name: str, types: list[type[M]]):
        self.name = name
        self.types = {t.__struct_config__.tag: t for t in types}
        self._decoders = {tag: msgspec.json.Decoder(t) for tag, t in self.types.items()}
        self.union = Union[tuple(types)]  # noqa: UP007 - msgspec needs a real Union

    def decode(self, raw: bytes | msgspec.Raw, max_bytes: int = MAX_REQUEST_BYTES) -> M:
        """The typed message, or BadMessage saying what is wrong with it."""
        if not isinstance(raw, msgspec.Raw):  # a Raw was checked with its envelope
            _check(raw, max_bytes)
        try:
            kind = _type_decoder.decode(raw).type
        except (msgspec.DecodeError, RecursionError) as exc:
            raise BadMessage("malformed", f"not a {self.name} message: {_why(exc)}") from None
        decoder = self._decoders.get(kind)
        if decoder is None:
            raise BadMessage("unknown_type", f"unknown {self.name} message type {kind[:80]!r}")
        try:
            return decoder.decode(raw)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise BadMessage("invalid", f"{kind}: {_why(exc)}") from None


def _check(data: bytes, max_bytes: int) -> None:
    try:
        check_message(data, max_bytes)
    except MessageRefused as exc:
        raise BadMessage(exc.code, exc.message) from None
    except TypeError:
        raise BadMessage("malformed", "a message must be bytes") from None


def _why(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)[:300]


def check_version(v: int) -> None:
    if v != PROTOCOL_VERSION:
        raise BadMessage("unsupported_version",
                         f"protocol version {v} is not supported (this side speaks {PROTOCOL_VERSION})")


def encode_request(request_id: str, command: Message) -> bytes:
    return b'{"v":%d,"id":%s,"cmd":%s}' % (PROTOCOL_VERSION, encode(request_id), encode(command))


def decode_request(data: bytes, catalogue: Catalogue[M]) -> tuple[str, M]:
    """(request id, command); BadMessage carries the id too when it could be read."""
    _check(data, MAX_REQUEST_BYTES)
    try:
        envelope = _request_decoder.decode(data)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise BadMessage("malformed", f"not a request envelope: {_why(exc)}") from None
    if len(envelope.id) > 100:
        raise BadMessage("malformed", "a request id has at most 100 characters")
    try:
        check_version(envelope.v)
        return envelope.id, catalogue.decode(envelope.cmd)
    except BadMessage as exc:
        exc.request_id = envelope.id
        raise


def encode_reply(request_id: str, result: Any = None) -> bytes:
    return encode(ReplyEnvelope(v=PROTOCOL_VERSION, id=request_id, ok=True, result=result))


def encode_error(request_id: str, code: str, message: str) -> bytes:
    return encode(ReplyEnvelope(v=PROTOCOL_VERSION, id=request_id, ok=False,
                                error=ErrorInfo(code=code, message=message)))


def decode_reply(data: bytes) -> ReplyEnvelope:
    _check(data, MAX_REPLY_BYTES)
    try:
        reply = _reply_decoder.decode(data)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise BadMessage("malformed", f"not a reply envelope: {_why(exc)}") from None
    check_version(reply.v)
    return reply


def encode_event(run: str, seq: int, at: float, event: Message) -> bytes:
    return b'{"v":%d,"run":%s,"seq":%d,"at":%s,"event":%s}' % (
        PROTOCOL_VERSION, encode(run), seq, encode(at), encode(event))


def decode_event(data: bytes, catalogue: Catalogue[M]) -> tuple[EventEnvelope, M]:
    _check(data, MAX_REPLY_BYTES)
    try:
        envelope = _event_decoder.decode(data)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise BadMessage("malformed", f"not an event envelope: {_why(exc)}") from None
    check_version(envelope.v)
    return envelope, catalogue.decode(envelope.event)


def convert(value: Any, type_: type[M]) -> M:
    """A reply's `result` (plain JSON data) as the struct it was sent as."""
    return msgspec.convert(value, type_)
