"""The customer's web chat: the widget's files and its socket, one Starlette application on one port.

Served by uvicorn inside the mail queue's event loop (or a thread of its own, in tests): the
widget's files under /chat/ (email_queue/web/, a fixed table of routes), and the socket at
/chat/ws speaking the frames of `email_queue.chat_frames` (hello, message, typing, end, leave
in; welcome, ack, line, typing, error, closed out); `end` is the customer ending the chat, and
every tab of it hears closed. Storage and routing live behind `ChatBackend`, whose blocking
calls run in worker threads. A customer's line is acknowledged only once the backend has
stored it; a bad frame gets an error frame and never closes the connection, and so does a
backend that cannot store now (`ChatUnavailable`: the error's code is "unavailable", the
widget tries again). New chats and open sockets pass a `ChatGate` (limits per source address
and in all); a refused chat is an error frame whose code says why, a refused socket is closed
with 1013. Other threads reach the customers through `push_line`, `push_typing` and
`push_closed`.

uvicorn does the HTTP and WebSocket work: the handshake, frames over MAX_FRAME_BYTES (the
socket is closed with 1009 before they are read whole), ping/pong, the address a trusted
proxy names (`proxies`, X-Forwarded-For); what is ours is the protocol and the limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from email_queue.chat_frames import (
    MAX_FRAME_BYTES,
    TYPING_INTERVAL,
    ChatBackend,
    ChatClosed,
    ChatLine,
    ChatSession,
    ChatUnavailable,
    FrameError,
    RecentPushes,
    checked_details,
    checked_message,
    encode,
    error_frame,
    frames_after_welcome,
    line_json,
    origin_allowed,
    page_policy,
    parse_frame,
    welcome_frame,
)
from email_queue.chat_gate import ChatGate, ChatRefused

__all__ = ["ChatBackend", "ChatClosed", "ChatLine", "ChatServer", "ChatSession", "ChatUnavailable"]

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).parent / "web"
WS_PATH = "/chat/ws"
# The only files served: a fixed table of routes, so no path from a request ever reaches the file system.
STATIC_FILES = {
    "/chat/": ("chat.html", "text/html; charset=utf-8"),
    "/chat/chat.js": ("chat.js", "text/javascript; charset=utf-8"),
    "/chat/chat.css": ("chat.css", "text/css; charset=utf-8"),
    "/chat/embed.js": ("embed.js", "text/javascript; charset=utf-8"),
}
RESPONSE_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
TRY_AGAIN_LATER = 1013  # the WebSocket close code for a socket over a limit
MAX_QUEUED_FRAMES = 1000  # frames waiting for one slow socket; past that it is closed (its page resumes)
OPEN_TIMEOUT = 10.0  # seconds for a connection's first request (or socket handshake) to arrive whole


# ---------------------------------------------------------------- HTTP


class _ChatHeaders:
    """Plain ASGI middleware: every response, a 404 or a refused socket's included, is revalidated
    before use and never sniffed."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        async def with_headers(message):
            if message["type"] in ("http.response.start", "websocket.http.response.start"):
                headers = MutableHeaders(scope=message)
                for name, value in RESPONSE_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


def _file_route(path: str, file_name: str, content_type: str, headers: dict[str, str]) -> Route:
    async def serve(request: Request) -> Response:
        return FileResponse(WEB_DIR / file_name, media_type=content_type, headers=headers)

    return Route(path, serve, methods=["GET"], name=file_name)


async def _add_slash(request: Request) -> Response:
    query = request.url.query
    return RedirectResponse("/chat/" + (f"?{query}" if query else ""), status_code=301)


class _FirstRequestOrClose(H11Protocol):
    """uvicorn's HTTP/1.1, closing a connection whose first request has not come whole within
    `open_timeout` (uvicorn would wait for it forever; websockets' handshake timeout did this
    before). Otherwise idle connections, which a script opens by the thousand at no cost, would
    use up the mail queue's files before the socket limits ever see them."""

    open_timeout = OPEN_TIMEOUT

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._late = self.loop.call_later(self.open_timeout, self._close_if_no_request)

    def connection_lost(self, exc: Exception | None) -> None:
        self._late.cancel()
        super().connection_lost(exc)

    def _close_if_no_request(self) -> None:
        upgraded = self.transport.get_protocol() is not self  # a socket now: its own protocol's
        if self.cycle is None and not upgraded and not self.transport.is_closing():
            self.transport.close()


def _listening_socket(host: str, port: int) -> socket.socket:
    """Bound here rather than by uvicorn, which exits the process when it cannot bind: an OSError
    lets the mail queue say which address is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


# ---------------------------------------------------------------- one socket


class Outbox:
    """One socket's frames out, written in the order they were put, answers and pushes alike.

    Pushes come from other threads through the loop and are put at once (as a broadcast
    would write them), so that two pushes never overtake each other while one waits to be
    written to a slow socket.
    """

    def __init__(self, websocket: WebSocket):
        self.websocket = websocket
        self._queue: asyncio.Queue[str | tuple[int, str]] = asyncio.Queue()
        self._full = False
        self._writer = asyncio.ensure_future(self._write())

    def put(self, frame: dict[str, Any]) -> None:
        if self._full:
            return
        if self._queue.qsize() >= MAX_QUEUED_FRAMES:
            # The page is not reading; it reconnects and reads the transcript again.
            log.warning("web chat: a socket that does not read was closed (%d frames waiting)", MAX_QUEUED_FRAMES)
            self._full = True
            self.close(TRY_AGAIN_LATER, "Too slow; reconnect.")
            return
        self._queue.put_nowait(encode(frame))

    def close(self, code: int = 1000, reason: str = "") -> None:
        self._queue.put_nowait((code, reason))

    async def _write(self) -> None:
        with contextlib.suppress(WebSocketDisconnect, OSError, RuntimeError):  # gone: its reader hears it too
            while True:
                item = await self._queue.get()
                if isinstance(item, str):
                    await self.websocket.send_text(item)
                else:
                    await self.websocket.close(*item)
                    return

    async def stop(self) -> None:
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer


@dataclass
class Customer:
    """What one socket knows about its customer once `hello` succeeded."""

    outbox: Outbox
    source: str = ""  # the customer's address, for the limits
    token: str | None = None
    conversation_id: int | None = None
    last_typing: float = 0.0
    left: bool = False


# ---------------------------------------------------------------- server


class ChatServer:
    """The chat's Starlette application under uvicorn; see the module docstring."""

    def __init__(
        self,
        backend: ChatBackend,
        host: str = "127.0.0.1",
        port: int = 0,
        allowed_origins: list[str] | None = None,
        gate: ChatGate | None = None,
        proxies: list[str] | None = None,
        open_timeout: float = OPEN_TIMEOUT,
    ):
        self.backend = backend
        self.open_timeout = open_timeout
        self.gate = gate  # None: no limits
        self.proxies = list(proxies or ())  # addresses whose X-Forwarded-For names the customer
        self.host = host
        self.port = port
        self.allowed_origins = [origin.rstrip("/") for origin in allowed_origins] if allowed_origins else None
        self.app = self._application()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server: uvicorn.Server | None = None
        self._listener: socket.socket | None = None
        self._ticks: asyncio.Task | None = None
        self._sockets: dict[int, set[Outbox]] = {}
        self._recent = RecentPushes()
        self._thread: threading.Thread | None = None

    def _application(self) -> Starlette:
        page_headers = {"Content-Security-Policy": page_policy(self.allowed_origins)}
        routes: list[BaseRoute] = [
            _file_route(path, file_name, content_type, page_headers if path == "/chat/" else {})
            for path, (file_name, content_type) in STATIC_FILES.items()
        ]
        routes += [Route("/chat", _add_slash, methods=["GET"]), WebSocketRoute(WS_PATH, self._serve_socket)]
        app = Starlette(routes=routes, middleware=[Middleware(_ChatHeaders)])
        app.router.redirect_slashes = False  # /chat/chat.js/ is not found, as any other path
        return app

    # -- life cycle

    async def start(self) -> None:
        """Listen (OSError when the address is taken) and serve on the running loop."""
        self.loop = asyncio.get_running_loop()
        listener = _listening_socket(self.host, self.port)
        config = uvicorn.Config(
            self.app, log_config=None, log_level="warning", access_log=False, lifespan="off",
            http=type("ChatHTTP", (_FirstRequestOrClose,), {"open_timeout": self.open_timeout}),
            ws="websockets-sansio", ws_max_size=MAX_FRAME_BYTES, server_header=False,
            proxy_headers=bool(self.proxies), forwarded_allow_ips=self.proxies or None,
            timeout_graceful_shutdown=2,
        )
        config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        try:
            # startup, main_loop and shutdown, not serve(): serve would take the process's signals
            await server.startup(sockets=[listener])
        except BaseException:
            listener.close()
            raise
        self._server, self._listener = server, listener
        self._ticks = asyncio.ensure_future(server.main_loop())  # keeps the Date header current
        self.port = listener.getsockname()[1]
        log.info("web chat listening on http://%s:%d/chat/", self.host, self.port)

    async def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        server.should_exit = True
        if self._ticks is not None:
            await self._ticks
        await server.shutdown(sockets=[self._listener] if self._listener else None)
        self._listener = None

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
        for outbox in self._sockets.get(conversation_id, ()):
            outbox.put(frame)

    # -- one socket

    async def _serve_socket(self, websocket: WebSocket) -> None:
        if not origin_allowed(websocket.headers.get("origin"), websocket.headers.get("host", ""),
                              self.allowed_origins):
            log.info("web chat refused a socket from origin %r", websocket.headers.get("origin"))
            await websocket.send_denial_response(PlainTextResponse("Origin not allowed\n", status_code=403))
            return
        await websocket.accept()
        source = websocket.client.host[:100] if websocket.client else "unknown"
        if self.gate is not None and not self.gate.connect(source):
            await websocket.close(TRY_AGAIN_LATER, "Too many connections; try again later.")
            return
        customer = Customer(Outbox(websocket), source)
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                await self._answer(customer, text if text is not None else message.get("bytes") or b"")
        finally:
            if self.gate is not None:
                self.gate.disconnect(source)
            await self._goodbye(customer)
            await customer.outbox.stop()

    async def _answer(self, customer: Customer, raw: str | bytes) -> None:
        """Handle one frame; every refusal or failure becomes an error frame."""
        client_id = None
        try:
            frame = parse_frame(raw)
            client_id = frame.get("client_id") if isinstance(frame.get("client_id"), str) else None
            await self._dispatch(customer, frame)
        except FrameError as exc:
            customer.outbox.put(error_frame(exc.code, exc.message, exc.client_id, exc.retry_after))
        except ChatUnavailable as exc:  # nothing was stored: the widget keeps the line and tries again
            customer.outbox.put(error_frame("unavailable", str(exc), client_id))
        except Exception:
            log.exception("web chat frame failed")
            customer.outbox.put(error_frame("server_error", "Something went wrong, try again.", client_id))

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
            customer.outbox.close()

    async def _hello(self, customer: Customer, frame: dict[str, Any]) -> None:
        token = frame.get("token")
        if token is not None and not isinstance(token, str):
            raise FrameError("bad_frame", "'token' must be a string or null")
        session = await self._open_or_resume(customer, token, frame)
        await self._goodbye(customer)  # a second hello on one socket switches conversation
        customer.token, customer.conversation_id, customer.left = session.token, session.conversation_id, False
        self._sockets.setdefault(session.conversation_id, set()).add(customer.outbox)
        customer.outbox.put(welcome_frame(session))
        for replayed in frames_after_welcome(session, self._recent.since(session.conversation_id)):
            customer.outbox.put(replayed)

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

    async def _message(self, customer: Customer, frame: dict[str, Any]) -> None:
        text, client_id = checked_message(frame)
        try:
            line = await asyncio.to_thread(self.backend.customer_wrote, customer.token, text, client_id)
        except ChatClosed as exc:
            customer.outbox.put({"type": "closed", "by": exc.by})
            return
        except ValueError as exc:  # refused for good: the widget drops the line and says why
            raise FrameError("invalid", str(exc), client_id) from None
        customer.outbox.put({"type": "ack", "client_id": client_id, "line": line_json(line)})
        # The customer's other tabs show the line too.
        for other in self._sockets.get(customer.conversation_id, set()) - {customer.outbox}:
            other.put({"type": "line", "line": line_json(line)})

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
        sockets.discard(customer.outbox)
        if not sockets:
            self._sockets.pop(customer.conversation_id, None)
        try:
            await asyncio.to_thread(self.backend.customer_left, customer.token)
        except ChatUnavailable:
            log.warning("web chat: the customer of chat %s left while it could not be noted", customer.conversation_id)
        except Exception:
            log.exception("web chat: customer_left failed")
