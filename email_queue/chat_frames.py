"""The web chat's protocol, free of any web framework: what a frame may hold, the checks
that turn a bad one into a `FrameError` (an error frame for the customer), what the server
tells a socket, and which pages may open a socket.

Frames in: hello, message, typing, end, leave; out: welcome, ack, line, typing, error, closed.
Storage and routing live behind `ChatBackend`; `email_queue.chat_server` serves all this
over HTTP and WebSocket.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from bus.limits import MAX_DEPTH, nesting_depth
from crm.texts import is_storable

MAX_TEXT = 4000
MAX_NAME = 100
MAX_EMAIL = 254
MAX_PHONE = 40
MAX_PAGE = 2000
MAX_CLIENT_ID = 100
MAX_FRAME_BYTES = 128 * 1024
TYPING_INTERVAL = 1.0  # seconds; forwards at most one customer typing signal per interval
RECENT_SECONDS = 30.0  # how long pushes are kept for sockets that are still resuming


@dataclass(frozen=True)
class ChatLine:
    id: int
    sender: str  # "customer", "agent", "system"
    author: str
    text: str
    at: float


@dataclass(frozen=True)
class ChatSession:
    token: str
    conversation_id: int
    transcript: list[ChatLine]
    closed: bool = False
    closed_by: str = "agent"  # or "customer", who ended it


class ChatClosed(ValueError):
    """customer_wrote on a chat the agent (or the customer) has closed."""

    def __init__(self, message: str, by: str = "agent"):
        super().__init__(message)
        self.by = by


class ChatUnavailable(Exception):
    """The backend cannot do it now (its database is away); the message asks the customer to try again."""


class ChatBackend(Protocol):
    def open_chat(
        self, *, name: str, email: str | None, phone: str | None, page: str | None, language: str | None
    ) -> ChatSession:
        """Start a conversation; raises ValueError with a message for the customer on bad input."""

    def resume_chat(self, token: str) -> ChatSession | None:
        """The conversation of `token`, or None when unknown or expired."""

    def customer_wrote(self, token: str, text: str, client_id: str) -> ChatLine:
        """Store the line before returning; the same client_id again returns the same line."""

    def customer_typing(self, token: str) -> None: ...

    def customer_left(self, token: str) -> None:
        """The customer's socket closed (they may come back)."""

    def customer_ended(self, token: str) -> None:
        """The customer ended the chat: no more lines from them. Done once stored; ending a
        chat already ended or closed does nothing. ValueError with a message when unknown."""


class FrameError(Exception):
    """A frame the server refuses; becomes an error frame for the customer."""

    def __init__(self, code: str, message: str, client_id: str | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.client_id = client_id
        self.retry_after = retry_after


def line_json(line: ChatLine) -> dict[str, Any]:
    return {"id": line.id, "from": line.sender, "author": line.author, "text": line.text, "at": line.at}


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False)


@dataclass
class RecentPushes:
    """Pushes of the last RECENT_SECONDS per conversation.

    A socket resuming a chat reads the transcript in a worker thread, then joins
    its conversation; a push landing in between would be lost, so it is replayed
    from here (the widget drops lines it already has by id).
    """

    frames: dict[int, deque[tuple[float, dict[str, Any]]]] = field(default_factory=dict)

    def add(self, conversation_id: int, frame: dict[str, Any]) -> None:
        self.forget_old()
        self.frames.setdefault(conversation_id, deque()).append((time.monotonic(), frame))

    def since(self, conversation_id: int) -> list[dict[str, Any]]:
        self.forget_old()
        return [frame for _, frame in self.frames.get(conversation_id, ())]

    def forget_old(self) -> None:
        limit = time.monotonic() - RECENT_SECONDS
        for conversation_id in list(self.frames):
            pushes = self.frames[conversation_id]
            while pushes and pushes[0][0] < limit:
                pushes.popleft()
            if not pushes:
                del self.frames[conversation_id]


# ---------------------------------------------------------------- validation


def text_field(frame: dict[str, Any], key: str) -> str:
    value = frame.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FrameError("bad_frame", f"'{key}' must be a string")
    return value.strip()


def checked_details(frame: dict[str, Any]) -> dict[str, Any]:
    """The customer's details from a new-chat hello, or FrameError."""
    name, email, phone = text_field(frame, "name"), text_field(frame, "email"), text_field(frame, "phone")
    if not name:
        raise FrameError("missing_name", "Please give your name.")
    if len(name) > MAX_NAME:
        raise FrameError("name_too_long", f"The name may have at most {MAX_NAME} characters.")
    if not email and not phone:
        raise FrameError("missing_contact", "Please give an email address or a phone number.")
    if email and (len(email) > MAX_EMAIL or "@" not in email):
        raise FrameError("bad_email", "This email address does not look right.")
    if len(phone) > MAX_PHONE:
        raise FrameError("bad_phone", "This phone number does not look right.")
    return {
        "name": name,
        "email": email or None,
        "phone": phone or None,
        "page": text_field(frame, "page")[:MAX_PAGE] or None,
        "language": text_field(frame, "language")[:20] or None,
    }


def checked_message(frame: dict[str, Any]) -> tuple[str, str]:
    """(text, client_id) of a message frame, or FrameError (which names the client_id)."""
    client_id = frame.get("client_id")
    if client_id is None:
        client_id = str(uuid.uuid4())  # a client without ids just loses de-duplication
    if not isinstance(client_id, str) or not client_id or len(client_id) > MAX_CLIENT_ID \
            or not is_storable(client_id):  # it is echoed in the answer, which must encode
        raise FrameError("bad_client_id", "client_id must be a short string")
    try:
        text = text_field(frame, "text")
    except FrameError as exc:
        raise FrameError(exc.code, exc.message, client_id) from None
    if not text:
        raise FrameError("empty_text", "The message is empty.", client_id)
    if len(text) > MAX_TEXT:
        raise FrameError("too_long", f"A message may have at most {MAX_TEXT} characters.", client_id)
    return text, client_id


def parse_frame(raw: str | bytes) -> dict[str, Any]:
    if isinstance(raw, bytes):
        raise FrameError("bad_frame", "Frames must be JSON text.")
    if raw.count("[") + raw.count("{") > MAX_DEPTH and nesting_depth(raw.encode(errors="surrogatepass")) > MAX_DEPTH:
        # json's decoder recurses (a RecursionError, logged as a failure): refused unread, as on the bus
        raise FrameError("too_deep", f"A frame may nest at most {MAX_DEPTH} levels.")
    try:
        frame = json.loads(raw)
    except ValueError:
        raise FrameError("bad_json", "The frame is not valid JSON.") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise FrameError("bad_frame", "A frame is a JSON object with a 'type'.")
    return frame


# ---------------------------------------------------------------- pages and origins


def page_policy(allowed_origins: list[str] | None) -> str:
    """CSP for chat.html: nothing but our own files, framed by anyone or by the allowed origins only."""
    ancestors = "*" if allowed_origins is None else " ".join(["'self'", *allowed_origins])
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    )


def origin_allowed(origin: str | None, host: str, allowed_origins: list[str] | None) -> bool:
    """Whether a socket from a page at `origin` may open: any page when no origins are set, the
    widget page we serve ourselves (our own `host`), or one of the allowed origins."""
    if allowed_origins is None or origin is None:
        return True
    if urlsplit(origin).netloc.lower() == host.lower():
        return True
    return origin.rstrip("/") in allowed_origins


# ---------------------------------------------------------------- frames out


def welcome_frame(session: ChatSession) -> dict[str, Any]:
    return {
        "type": "welcome",
        "token": session.token,
        "conversation": session.conversation_id,
        "transcript": [line_json(line) for line in session.transcript],
    }


def error_frame(code: str, message: str, client_id: str | None = None,
                retry_after: float | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if client_id is not None:
        frame["client_id"] = client_id
    if retry_after is not None:
        frame["retry_after"] = retry_after
    return frame


def frames_after_welcome(session: ChatSession, recent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a socket that joined `session` hears after its welcome: the lines pushed while it was
    reading the transcript (not already in it), then `closed` if the chat is over."""
    known = {line.id for line in session.transcript}
    closed = {"type": "closed", "by": session.closed_by} if session.closed else None
    frames = []
    for frame in recent:
        if frame["type"] == "line" and frame["line"]["id"] not in known:
            frames.append(frame)
        if frame["type"] == "closed":
            closed = closed or frame
    return frames + ([closed] if closed else [])
