"""The customer's web chat: a WebSocket server plus the widget's static files, on one port.

Built on `websockets` (asyncio): `process_request` answers plain HTTP GETs for the
widget under /chat/ (email_queue/web/), and the socket at /chat/ws speaks JSON
frames (hello, message, typing, end, leave in; welcome, ack, line, typing, error,
closed out); `end` is the customer ending the chat, and every tab of it hears
closed. Storage and routing live behind `ChatBackend`, whose blocking calls run
in worker threads. A customer's line is
acknowledged only once the backend has stored it; a bad frame gets an error frame
and never closes the connection, and so does a backend that cannot store now
(`ChatUnavailable`: the error's code is "unavailable", the widget tries again).
New chats pass a `ChatGate` (limits per source address and in all); a refusal is
an error frame whose code says why. Other threads reach the customers through
`push_line`, `push_typing` and `push_closed`.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.http11 import Request, Response

from bus.limits import MAX_DEPTH, nesting_depth
from crm.texts import is_storable
from email_queue.chat_gate import ChatGate, ChatRefused

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).parent / "web"
WS_PATH = "/chat/ws"
# The only files served: a fixed table, so no path from a request ever reaches the file system.
STATIC_FILES = {
    "/chat/": ("chat.html", "text/html; charset=utf-8"),
    "/chat/chat.js": ("chat.js", "text/javascript; charset=utf-8"),
    "/chat/chat.css": ("chat.css", "text/css; charset=utf-8"),
    "/chat/embed.js": ("embed.js", "text/javascript; charset=utf-8"),
}
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
class Customer:
    """What one socket knows about its customer once `hello` succeeded."""

    socket: ServerConnection
    source: str = ""  # the customer's address, for the limits
    token: str | None = None
    conversation_id: int | None = None
    last_typing: float = 0.0
    left: bool = False


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


# ---------------------------------------------------------------- HTTP


def http_response(status: HTTPStatus, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> Response:
    headers = Headers(
        {
            "Date": email.utils.formatdate(usegmt=True),
            "Connection": "close",
            "Content-Type": content_type,
            "Content-Length": str(len(body)),
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            **(extra or {}),
        }
    )
    return Response(status.value, status.phrase, headers, body)


def page_policy(allowed_origins: list[str] | None) -> str:
    """CSP for chat.html: nothing but our own files, framed by anyone or by the allowed origins only."""
    ancestors = "*" if allowed_origins is None else " ".join(["'self'", *allowed_origins])
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    )


def is_upgrade(request: Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


def own_origin(request: Request, origin: str) -> bool:
    """The widget page we serve ourselves connects from our own host."""
    return urlsplit(origin).netloc.lower() == request.headers.get("Host", "").lower()


# ---------------------------------------------------------------- server


class ChatServer:
    """The chat WebSocket server and the widget's files; see the module docstring."""

    def __init__(
        self,
        backend: ChatBackend,
        host: str = "127.0.0.1",
        port: int = 0,
        allowed_origins: list[str] | None = None,
        gate: ChatGate | None = None,
        proxies: list[str] | None = None,
    ):
        self.backend = backend
        self.gate = gate  # None: no limits
        self.proxies = set(proxies or ())  # addresses whose X-Forwarded-For names the customer
        self.host = host
        self.port = port
        self.allowed_origins = [origin.rstrip("/") for origin in allowed_origins] if allowed_origins else None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._sockets: dict[int, set[ServerConnection]] = {}
        self._recent = RecentPushes()
        self._thread: threading.Thread | None = None

    # -- life cycle

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._server = await serve(
            self._serve_socket,
            self.host,
            self.port,
            process_request=self._process_request,
            max_size=MAX_FRAME_BYTES,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("web chat listening on http://%s:%d/chat/", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def run_in_thread(self, timeout: float = 10.0) -> None:
        """Run the server on an event loop of its own in a daemon thread; returns once bound."""
        loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name="chat-server", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout)
        except BaseException:
            self._end_thread(loop, timeout)
            raise

    def stop_thread(self, timeout: float = 10.0) -> None:
        if self._thread is None or self.loop is None:
            return
        asyncio.run_coroutine_threadsafe(self.stop(), self.loop).result(timeout)
        self._end_thread(self.loop, timeout)

    def _end_thread(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        loop.close()

    # -- pushes from other threads

    def finished(self, conversation_id: int) -> None:
        """The conversation is closed: it no longer counts against its source's limit (from the server's loop)."""
        if self.gate is not None:
            self.gate.ended(conversation_id)

    def connected(self, conversation_id: int) -> bool:
        """Whether a page of the customer's is open on the chat now."""
        return bool(self._sockets.get(conversation_id))

    def push_line(self, conversation_id: int, line: ChatLine) -> None:
        self._push(conversation_id, {"type": "line", "line": line_json(line)})

    def push_typing(self, conversation_id: int, name: str) -> None:
        self._push(conversation_id, {"type": "typing", "name": name}, keep=False)

    def push_closed(self, conversation_id: int) -> None:
        """The agent closed the chat."""
        self._push(conversation_id, {"type": "closed", "by": "agent"})

    def _push(self, conversation_id: int, frame: dict[str, Any], keep: bool = True) -> None:
        if self.loop is None or self.loop.is_closed():
            log.warning("chat push for conversation %s while the server is not running", conversation_id)
            return
        self.loop.call_soon_threadsafe(self._deliver, conversation_id, frame, keep)

    def _deliver(self, conversation_id: int, frame: dict[str, Any], keep: bool) -> None:
        if keep:
            self._recent.add(conversation_id, frame)
        # broadcast writes synchronously, so frames reach each socket in push order.
        broadcast(self._sockets.get(conversation_id, ()), encode(frame))

    # -- HTTP

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path
        if path == WS_PATH and is_upgrade(request):
            return self._check_origin(request)
        if path == "/chat":
            query = urlsplit(request.path).query
            location = "/chat/" + (f"?{query}" if query else "")
            return http_response(HTTPStatus.MOVED_PERMANENTLY, b"", "text/plain", {"Location": location})
        if path not in STATIC_FILES:
            return http_response(HTTPStatus.NOT_FOUND, b"Not found\n", "text/plain; charset=utf-8")
        return self._static_file(path)

    def _static_file(self, path: str) -> Response:
        file_name, content_type = STATIC_FILES[path]
        extra = {"Content-Security-Policy": page_policy(self.allowed_origins)} if path == "/chat/" else {}
        return http_response(HTTPStatus.OK, (WEB_DIR / file_name).read_bytes(), content_type, extra)

    def _check_origin(self, request: Request) -> Response | None:
        origin = request.headers.get("Origin")
        if self.allowed_origins is None or origin is None or own_origin(request, origin):
            return None
        if origin.rstrip("/") in self.allowed_origins:
            return None
        log.info("web chat refused a socket from origin %r", origin)
        return http_response(HTTPStatus.FORBIDDEN, b"Origin not allowed\n", "text/plain; charset=utf-8")

    # -- one socket

    async def _serve_socket(self, socket: ServerConnection) -> None:
        customer = Customer(socket, self._source(socket))
        if self.gate is not None and not self.gate.connect(customer.source):
            await socket.close(CloseCode.TRY_AGAIN_LATER, "Too many connections; try again later.")
            return
        try:
            async for raw in socket:
                await self._answer(customer, raw)
        except ConnectionClosed:
            pass
        finally:
            if self.gate is not None:
                self.gate.disconnect(customer.source)
            await self._goodbye(customer)

    async def _answer(self, customer: Customer, raw: str | bytes) -> None:
        """Handle one frame; every refusal or failure becomes an error frame."""
        client_id = None
        try:
            frame = parse_frame(raw)
            client_id = frame.get("client_id") if isinstance(frame.get("client_id"), str) else None
            await self._dispatch(customer, frame)
        except FrameError as exc:
            await self._send_error(customer.socket, exc.code, exc.message, exc.client_id, exc.retry_after)
        except ChatUnavailable as exc:  # nothing was stored: the widget keeps the line and tries again
            await self._send_error(customer.socket, "unavailable", str(exc), client_id)
        except ConnectionClosed:
            raise
        except Exception:
            log.exception("web chat frame failed")
            await self._send_error(customer.socket, "server_error", "Something went wrong, try again.", client_id)

    async def _dispatch(self, customer: Customer, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "hello":
            await self._hello(customer, frame)
        elif kind not in ("message", "typing", "end", "leave"):
            raise FrameError("unknown_type", f"Unknown frame type {kind[:40]!r}.")
        elif customer.token is None:
            raise FrameError("not_started", "Say hello first.")
        elif kind == "message":
            await self._message(customer, frame)
        elif kind == "typing":
            await self._typing(customer)
        elif kind == "end":
            await self._end(customer)
        else:
            await self._goodbye(customer)
            await customer.socket.close()

    async def _hello(self, customer: Customer, frame: dict[str, Any]) -> None:
        token = frame.get("token")
        if token is not None and not isinstance(token, str):
            raise FrameError("bad_frame", "'token' must be a string or null")
        session = await self._open_or_resume(customer, token, frame)
        await self._goodbye(customer)  # a second hello on one socket switches conversation
        customer.token, customer.conversation_id, customer.left = session.token, session.conversation_id, False
        self._sockets.setdefault(session.conversation_id, set()).add(customer.socket)
        await customer.socket.send(encode(self._welcome(session)))
        await self._replay_recent(customer.socket, session)

    async def _open_or_resume(self, customer: Customer, token: str | None, frame: dict[str, Any]) -> ChatSession:
        if token:
            session = await asyncio.to_thread(self.backend.resume_chat, token)
            if session is None:
                raise FrameError("unknown_token", "This chat has expired; please start a new one.")
            return session
        details = checked_details(frame)
        self._admit(customer)
        try:
            session = await asyncio.to_thread(self.backend.open_chat, **details)
        except ValueError as exc:
            raise FrameError("invalid", str(exc)) from None
        if self.gate is not None:
            self.gate.opened(customer.source, session.conversation_id)
        return session

    def _admit(self, customer: Customer) -> None:
        if self.gate is None:
            return
        try:
            self.gate.admit(customer.source)
        except ChatRefused as refused:
            raise FrameError(refused.code, refused.message, retry_after=round(refused.retry_after)) from None

    @staticmethod
    def _welcome(session: ChatSession) -> dict[str, Any]:
        return {
            "type": "welcome",
            "token": session.token,
            "conversation": session.conversation_id,
            "transcript": [line_json(line) for line in session.transcript],
        }

    async def _replay_recent(self, socket: ServerConnection, session: ChatSession) -> None:
        known = {line.id for line in session.transcript}
        closed = {"type": "closed", "by": session.closed_by} if session.closed else None
        for frame in self._recent.since(session.conversation_id):
            if frame["type"] == "line" and frame["line"]["id"] not in known:
                await socket.send(encode(frame))
            if frame["type"] == "closed":
                closed = closed or frame
        if closed:
            await socket.send(encode(closed))

    async def _message(self, customer: Customer, frame: dict[str, Any]) -> None:
        text, client_id = checked_message(frame)
        try:
            line = await asyncio.to_thread(self.backend.customer_wrote, customer.token, text, client_id)
        except ChatClosed as exc:
            await customer.socket.send(encode({"type": "closed", "by": exc.by}))
            return
        except ValueError as exc:  # refused for good: the widget drops the line and says why
            raise FrameError("invalid", str(exc), client_id) from None
        await customer.socket.send(encode({"type": "ack", "client_id": client_id, "line": line_json(line)}))
        # The customer's other tabs show the line too.
        others = self._sockets.get(customer.conversation_id, set()) - {customer.socket}
        broadcast(others, encode({"type": "line", "line": line_json(line)}))

    async def _end(self, customer: Customer) -> None:
        try:
            await asyncio.to_thread(self.backend.customer_ended, customer.token)
        except ValueError as exc:
            raise FrameError("invalid", str(exc)) from None
        # Every tab of the conversation, this one included; kept for tabs that are resuming.
        self._deliver(customer.conversation_id, {"type": "closed", "by": "customer"}, keep=True)

    async def _typing(self, customer: Customer) -> None:
        now = time.monotonic()
        if now - customer.last_typing < TYPING_INTERVAL:
            return
        customer.last_typing = now
        try:
            await asyncio.to_thread(self.backend.customer_typing, customer.token)
        except ChatUnavailable:
            pass  # a lost typing hint is not worth bothering the customer; the outage is logged elsewhere
        except Exception:
            log.exception("web chat: customer_typing failed")

    async def _goodbye(self, customer: Customer) -> None:
        """Detach the socket from its conversation and tell the backend, once."""
        if customer.token is None or customer.left:
            return
        customer.left = True
        sockets = self._sockets.get(customer.conversation_id, set())
        sockets.discard(customer.socket)
        if not sockets:
            self._sockets.pop(customer.conversation_id, None)
        try:
            await asyncio.to_thread(self.backend.customer_left, customer.token)
        except ChatUnavailable:
            log.warning("web chat: the customer of chat %s left while it could not be noted", customer.conversation_id)
        except Exception:
            log.exception("web chat: customer_left failed")

    def _source(self, socket: ServerConnection) -> str:
        """The customer's address: the peer's, or behind a proxy we trust the one it names last."""
        peer = socket.remote_address[0] if socket.remote_address else "unknown"
        if peer in self.proxies and socket.request is not None:
            forwarded = socket.request.headers.get("X-Forwarded-For", "")
            named = forwarded.rsplit(",", 1)[-1].strip()
            if named:
                return named[:100]
        return peer

    @staticmethod
    async def _send_error(socket: ServerConnection, code: str, message: str, client_id: str | None,
                          retry_after: float | None = None) -> None:
        frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
        if client_id is not None:
            frame["client_id"] = client_id
        if retry_after is not None:
            frame["retry_after"] = retry_after
        await socket.send(encode(frame))

