"""The customer's web chat: the WebSocket protocol, the static files, and the widget in Chromium.

The backend here is an in-memory fake of `ChatBackend`; the real one and the
test through the whole service live elsewhere.
"""

from __future__ import annotations

import http.client
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field

import browser_harness
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from email_queue.chat_frames import frames_after_welcome, origin_allowed
from email_queue.chat_gate import ChatGate, ChatLimits
from email_queue.chat_server import ChatClosed, ChatLine, ChatServer, ChatSession, ChatUnavailable

TOKEN_KEY = "cicada-chat-token"


# ---------------------------------------------------------------- an in-memory backend


@dataclass
class Chat:
    token: str
    conversation_id: int
    details: dict
    lines: list[ChatLine] = field(default_factory=list)
    closed: bool = False
    closed_by: str = "agent"


class MemoryBackend:
    """ChatBackend in memory. `gate` cleared holds customers' lines before they are stored."""

    def __init__(self):
        self.lock = threading.Lock()
        self.chats: dict[str, Chat] = {}
        self.by_client_id: dict[tuple[str, str], ChatLine] = {}
        self.ids = itertools.count(1)
        self.gate = threading.Event()
        self.gate.set()
        self.writes: list[str] = []  # client_id of every customer_wrote call
        self.typing: list[str] = []
        self.left: list[str] = []
        self.ended: list[str] = []
        self.unavailable = False  # as when the database is away: nothing is stored, the customer tries again

    def check_available(self) -> None:
        if self.unavailable:
            raise ChatUnavailable("We cannot take this just now; please try again in a moment.")

    def open_chat(self, *, name, email, phone, page, language) -> ChatSession:
        self.check_available()
        if name == "Refused":
            raise ValueError("We cannot take this chat.")
        with self.lock:
            chat = Chat(f"tok-{next(self.ids)}", next(self.ids), {"name": name, "email": email, "phone": phone,
                                                                 "page": page, "language": language})
            self.chats[chat.token] = chat
        return self.session(chat)

    def resume_chat(self, token: str) -> ChatSession | None:
        self.check_available()
        chat = self.chats.get(token)
        return self.session(chat) if chat else None

    def customer_wrote(self, token: str, text: str, client_id: str) -> ChatLine:
        self.writes.append(client_id)
        self.gate.wait(10)
        self.check_available()
        with self.lock:
            if (token, client_id) not in self.by_client_id:
                chat = self.chats[token]
                if chat.closed:
                    raise ChatClosed("This chat has been closed; please start a new one.", chat.closed_by)
                self.by_client_id[token, client_id] = self.add_line(chat, "customer", chat.details["name"], text)
            return self.by_client_id[token, client_id]

    def customer_typing(self, token: str) -> None:
        self.typing.append(token)

    def customer_left(self, token: str) -> None:
        self.left.append(token)

    def customer_ended(self, token: str) -> None:
        self.check_available()
        chat = self.chats.get(token)
        if chat is None:
            raise ValueError("This chat is not known (any more); please start a new one.")
        self.ended.append(token)
        chat.closed, chat.closed_by = True, "customer"

    # what the agent's side would do

    def agent_wrote(self, conversation_id: int, author: str, text: str) -> ChatLine:
        with self.lock:
            chat = next(c for c in self.chats.values() if c.conversation_id == conversation_id)
            return self.add_line(chat, "agent", author, text)

    def add_line(self, chat: Chat, sender: str, author: str, text: str) -> ChatLine:
        line = ChatLine(next(self.ids), sender, author, text, time.time())
        chat.lines.append(line)
        return line

    @staticmethod
    def session(chat: Chat) -> ChatSession:
        return ChatSession(chat.token, chat.conversation_id, list(chat.lines), chat.closed, chat.closed_by)


@dataclass
class Running:
    server: ChatServer
    backend: MemoryBackend

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def socket(self, **kwargs) -> ClientConnection:
        return connect(f"ws://127.0.0.1:{self.server.port}/chat/ws", open_timeout=5, **kwargs)


@pytest.fixture
def chat():
    backend = MemoryBackend()
    server = ChatServer(backend)
    server.run_in_thread()
    yield Running(server, backend)
    backend.gate.set()
    server.stop_thread()


# ---------------------------------------------------------------- protocol helpers


def ask(socket: ClientConnection, frame: dict | str) -> dict:
    socket.send(frame if isinstance(frame, str) else json.dumps(frame))
    return receive(socket)


def receive(socket: ClientConnection, timeout: float = 5) -> dict:
    return json.loads(socket.recv(timeout=timeout))


def nothing_arrives(socket: ClientConnection) -> bool:
    try:
        socket.recv(timeout=0.3)
    except TimeoutError:
        return True
    return False


def hello(socket: ClientConnection, **details) -> dict:
    frame = {"type": "hello", "token": None, "name": "Mei Lin", "email": "mei@example.com", "phone": ""}
    return ask(socket, {**frame, **details})


def say(socket: ClientConnection, text: str, client_id: str = "c-1") -> dict:
    return ask(socket, {"type": "message", "text": text, "client_id": client_id})


def wait_for(condition, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


# ---------------------------------------------------------------- protocol


def test_hello_opens_a_chat_and_welcomes_with_a_token(chat):
    with chat.socket() as socket:
        welcome = hello(socket, phone="+86 138 0000 0000", page="https://shop.example/help", language="zh")

    assert welcome["type"] == "welcome"
    stored = chat.backend.chats[welcome["token"]]
    assert welcome == {"type": "welcome", "token": stored.token, "conversation": stored.conversation_id,
                       "transcript": []}
    assert stored.details == {"name": "Mei Lin", "email": "mei@example.com", "phone": "+86 138 0000 0000",
                              "page": "https://shop.example/help", "language": "zh"}


def test_a_line_is_acknowledged_with_what_was_stored_and_stored_once_per_client_id(chat):
    with chat.socket() as socket:
        token = hello(socket, name="  Mei Lin  ")["token"]
        ack = say(socket, "  Where is my parcel?  ", client_id="c-42")
        again = say(socket, "Where is my parcel?", client_id="c-42")

    stored = chat.backend.chats[token].lines
    assert len(stored) == 1
    assert ack == {"type": "ack", "client_id": "c-42", "line": {
        "id": stored[0].id, "from": "customer", "author": "Mei Lin", "text": "Where is my parcel?",
        "at": stored[0].at}}
    assert again["line"]["id"] == stored[0].id


def test_frames_before_hello_are_refused_and_hello_still_works(chat):
    with chat.socket() as socket:
        assert ask(socket, {"type": "message", "text": "hi", "client_id": "c-1"})["code"] == "not_started"
        assert ask(socket, {"type": "typing"})["code"] == "not_started"
        assert ask(socket, {"type": "end"})["code"] == "not_started"
        assert hello(socket)["type"] == "welcome"
    assert chat.backend.ended == []


def test_the_customer_ends_the_chat_and_every_tab_hears_closed(chat):
    with chat.socket() as tab1, chat.socket() as tab2, chat.socket() as stranger:
        token = hello(tab1)["token"]
        hello(tab2, token=token)
        hello(stranger, name="Someone Else")
        say(tab1, "Never mind, found it.")
        assert receive(tab2)["type"] == "line"

        assert ask(tab1, {"type": "end"}) == {"type": "closed", "by": "customer"}
        assert receive(tab2) == {"type": "closed", "by": "customer"}
        assert chat.backend.ended == [token]
        assert nothing_arrives(stranger)
        assert say(tab2, "One more thing", client_id="c-2") == {"type": "closed", "by": "customer"}  # not stored
    assert [line.text for line in chat.backend.chats[token].lines] == ["Never mind, found it."]

    with chat.socket() as later:  # a tab resuming it hears it is closed, and by whom
        assert hello(later, token=token)["type"] == "welcome"
        assert receive(later) == {"type": "closed", "by": "customer"}


def test_ending_a_chat_the_backend_does_not_know_is_an_error_not_closed(chat):
    with chat.socket() as socket:
        token = hello(socket)["token"]
        del chat.backend.chats[token]  # expired meanwhile
        error = ask(socket, {"type": "end"})
    assert (error["type"], error["code"]) == ("error", "invalid")


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "bad_json"),
        (b"\x00binary", "bad_frame"),
        ("[1, 2]", "bad_frame"),
        ("[" * 50_000 + "]" * 50_000, "too_deep"),  # json's decoder would recurse into a RecursionError
        ({"type": "dance"}, "unknown_type"),
        ({"type": "message", "text": "x" * 4001, "client_id": "c-9"}, "too_long"),
        ({"type": "message", "text": "   ", "client_id": "c-9"}, "empty_text"),
        ({"type": "message", "text": 42, "client_id": "c-9"}, "bad_frame"),
        ({"type": "message", "text": "hi", "client_id": ["c-9"]}, "bad_client_id"),
        ({"type": "hello", "token": 7}, "bad_frame"),
    ],
)
def test_a_bad_frame_gets_an_error_frame_and_the_socket_stays_usable(chat, frame, code):
    with chat.socket() as socket:
        hello(socket)
        socket.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))
        error = receive(socket)
        assert error["type"] == "error"
        assert error["code"] == code
        assert error["message"]
        assert say(socket, "still here?")["type"] == "ack"


def test_a_line_of_exactly_4000_characters_is_taken(chat):
    with chat.socket() as socket:
        hello(socket)
        assert say(socket, "字" * 4000)["line"]["text"] == "字" * 4000


def test_an_error_about_a_line_names_its_client_id(chat):
    with chat.socket() as socket:
        hello(socket)
        error = say(socket, "x" * 4001, client_id="c-long")
    assert error["client_id"] == "c-long"


@pytest.mark.parametrize(
    ("details", "code"),
    [
        ({"name": "   "}, "missing_name"),
        ({"name": None}, "missing_name"),
        ({"name": "x" * 101}, "name_too_long"),
        ({"email": "", "phone": "  "}, "missing_contact"),
        ({"email": "not an address"}, "bad_email"),
        ({"token": "tok-unknown"}, "unknown_token"),
        ({"name": "Refused"}, "invalid"),
    ],
)
def test_a_bad_hello_is_refused_with_a_reason(chat, details, code):
    with chat.socket() as socket:
        error = hello(socket, **details)
        assert error["type"] == "error"
        assert error["code"] == code
        assert hello(socket)["type"] == "welcome"


def test_the_backends_reason_reaches_the_customer(chat):
    with chat.socket() as socket:
        assert hello(socket, name="Refused")["message"] == "We cannot take this chat."


def test_a_token_resumes_the_conversation_with_its_transcript(chat):
    with chat.socket() as socket:
        first = hello(socket)
        say(socket, "Hello?")
    agent_line = chat.backend.agent_wrote(first["conversation"], "Anna", "Hi, how can I help?")

    with chat.socket() as socket:
        again = hello(socket, token=first["token"], name="Someone Else", email="")

    assert (again["token"], again["conversation"]) == (first["token"], first["conversation"])
    assert [(line["from"], line["author"], line["text"]) for line in again["transcript"]] == [
        ("customer", "Mei Lin", "Hello?"), ("agent", "Anna", "Hi, how can I help?")]
    assert again["transcript"][1] == {"id": agent_line.id, "from": "agent", "author": "Anna",
                                      "text": "Hi, how can I help?", "at": agent_line.at}


def test_pushes_from_another_thread_reach_every_socket_of_the_conversation_only(chat):
    with chat.socket() as tab1, chat.socket() as tab2, chat.socket() as stranger:
        token = hello(tab1)["token"]
        conversation = hello(tab2, token=token)["conversation"]
        hello(stranger, name="Someone Else")
        line = chat.backend.agent_wrote(conversation, "Anna", "Let me check.")

        pusher = threading.Thread(target=lambda: (chat.server.push_typing(conversation, "Anna"),
                                                  chat.server.push_line(conversation, line)))
        pusher.start()
        pusher.join()

        for tab in (tab1, tab2):
            assert receive(tab) == {"type": "typing", "name": "Anna"}
            assert receive(tab)["line"] == {"id": line.id, "from": "agent", "author": "Anna",
                                            "text": "Let me check.", "at": line.at}
        assert nothing_arrives(stranger)


def test_a_customers_line_shows_in_their_other_tab(chat):
    with chat.socket() as tab1, chat.socket() as tab2:
        token = hello(tab1)["token"]
        hello(tab2, token=token)
        ack = say(tab1, "From the first tab")
        assert receive(tab2) == {"type": "line", "line": ack["line"]}


def test_push_closed_tells_the_customer(chat):
    with chat.socket() as socket:
        conversation = hello(socket)["conversation"]
        chat.server.push_closed(conversation)
        assert receive(socket) == {"type": "closed", "by": "agent"}


def test_a_resumed_closed_chat_says_so_after_the_welcome(chat):
    with chat.socket() as socket:
        token = hello(socket)["token"]
    chat.backend.chats[token].closed = True
    with chat.socket() as socket:
        assert hello(socket, token=token)["type"] == "welcome"
        assert receive(socket) == {"type": "closed", "by": "agent"}


def test_a_push_while_the_customer_reconnects_is_replayed(chat):
    """A line pushed between reading the transcript and joining the conversation is not lost."""
    with chat.socket() as socket:
        welcome = hello(socket)
    late = ChatLine(999, "agent", "Anna", "Are you still there?", time.time())
    chat.server.push_line(welcome["conversation"], late)  # no socket listens, and the transcript lacks it

    with chat.socket() as socket:
        assert hello(socket, token=welcome["token"])["transcript"] == []
        assert receive(socket)["line"]["text"] == "Are you still there?"


def test_typing_is_passed_on_at_most_once_a_second(chat):
    with chat.socket() as socket:
        token = hello(socket)["token"]
        for _ in range(5):
            socket.send(json.dumps({"type": "typing"}))
        assert say(socket, "done typing")["type"] == "ack"  # frames are handled in order
    assert chat.backend.typing == [token]


def test_the_backend_hears_when_the_customer_goes(chat):
    with chat.socket() as socket:
        gone = hello(socket)["token"]
    with chat.socket() as socket:
        leaving = hello(socket, name="Lee")["token"]
        socket.send(json.dumps({"type": "leave"}))
        wait_for(lambda: leaving in chat.backend.left)
    wait_for(lambda: gone in chat.backend.left)
    assert sorted(chat.backend.left) == sorted([gone, leaving])  # once each, though leave also closes


def test_allowed_origins_limit_foreign_pages_but_not_the_widget_itself():
    server = ChatServer(MemoryBackend(), allowed_origins=["https://shop.example"])
    server.run_in_thread()
    url = f"ws://127.0.0.1:{server.port}/chat/ws"
    try:
        with pytest.raises(InvalidStatus) as refused:
            connect(url, origin="https://evil.example", open_timeout=5)
        assert refused.value.response.status_code == 403
        for origin in ("https://shop.example", f"http://127.0.0.1:{server.port}"):
            with connect(url, origin=origin, open_timeout=5) as socket:
                assert hello(socket)["type"] == "welcome"
    finally:
        server.stop_thread()


@pytest.mark.parametrize(
    ("origin", "allowed", "expected"),
    [
        (None, ["https://shop.example"], True),  # not a browser: nothing to check
        ("https://evil.example", None, True),  # no origins set: any page may embed the chat
        ("https://shop.example/", ["https://shop.example"], True),
        ("http://shop.example", ["https://shop.example"], False),  # another scheme is another origin
        ("https://shop.example.evil.example", ["https://shop.example"], False),
        ("http://CHAT.EXAMPLE:8025", ["https://shop.example"], True),  # the widget page, on our own host
        ("http://chat.example:8026", ["https://shop.example"], False),
    ],
)
def test_which_pages_may_open_a_socket(origin, allowed, expected):
    assert origin_allowed(origin, "chat.example:8025", allowed) is expected


def test_after_the_welcome_come_the_lines_pushed_meanwhile_then_closed_once():
    seen = ChatLine(1, "agent", "Anna", "Hi", 1.0)
    session = ChatSession("tok", 7, [seen], closed=False)
    recent = [{"type": "line", "line": {"id": 1}}, {"type": "line", "line": {"id": 2}},
              {"type": "closed", "by": "agent"}, {"type": "closed", "by": "customer"}]
    assert frames_after_welcome(session, recent) == [{"type": "line", "line": {"id": 2}},
                                                     {"type": "closed", "by": "agent"}]
    ended = ChatSession("tok", 7, [seen], closed=True, closed_by="customer")
    assert frames_after_welcome(ended, []) == [{"type": "closed", "by": "customer"}]


# ---------------------------------------------------------------- static files


def http_get(chat: Running, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", chat.server.port, timeout=5)
    connection.request("GET", path)  # sent as written: no client-side normalising of ../
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


@pytest.mark.parametrize(
    ("path", "content_type", "contains"),
    [
        ("/chat/", "text/html; charset=utf-8", b'<script src="chat.js">'),
        ("/chat/?lang=zh&embed=1", "text/html; charset=utf-8", b"<form"),
        ("/chat/chat.js", "text/javascript; charset=utf-8", b"textContent"),
        ("/chat/chat.css", "text/css; charset=utf-8", b".bubble"),
        ("/chat/embed.js", "text/javascript; charset=utf-8", b"iframe"),
    ],
)
def test_the_widget_files_are_served(chat, path, content_type, contains):
    response = http_get(chat, path)
    assert response.status == 200
    assert response.getheader("Content-Type") == content_type
    assert response.getheader("Cache-Control") == "no-cache"
    assert contains in response.body


def test_the_chat_page_allows_only_its_own_scripts(chat):
    policy = http_get(chat, "/chat/").getheader("Content-Security-Policy")
    assert "script-src 'self'" in policy
    assert "frame-ancestors *" in policy  # any company page may embed it by default


@pytest.mark.parametrize(
    "path",
    ["/", "/chat/../pyproject.toml", "/chat/%2e%2e/pyproject.toml", "/chat/..%2f..%2fpyproject.toml",
     "/etc/passwd", "/chat/../../../../etc/passwd", "/chat//etc/passwd", "/chat/chat_server.py",
     "/chat/web/chat.js", "/chat/chat.js/", "/chat/CHAT.JS", "/chat/ws"],
)
def test_anything_else_is_not_found(chat, path):
    response = http_get(chat, path)
    assert response.status == 404
    assert b"root:" not in response.body and b"[project]" not in response.body


def test_chat_without_a_slash_is_redirected(chat):
    response = http_get(chat, "/chat?lang=zh")
    assert (response.status, response.getheader("Location")) == (301, "/chat/?lang=zh")


def test_a_backend_that_cannot_store_asks_the_customer_to_try_again_and_nothing_is_lost(chat):
    with chat.socket() as socket:
        token = hello(socket)["token"]
        chat.backend.unavailable = True
        refused = say(socket, "Are you there?", "c-1")
        assert (refused["type"], refused["code"], refused["client_id"]) == ("error", "unavailable", "c-1")
        assert "try again" in refused["message"]
        assert ask(socket, {"type": "end"})["code"] == "unavailable"
        chat.backend.unavailable = False
        assert say(socket, "Are you there?", "c-1")["type"] == "ack"
    chat.backend.unavailable = True
    with chat.socket() as again:
        assert ask(again, {"type": "hello", "token": token})["code"] == "unavailable"  # not "unknown_token"
        assert hello(again)["code"] == "unavailable"
    assert [line.text for line in chat.backend.chats[token].lines] == ["Are you there?"]


@pytest.fixture
def limited_chat():
    """A chat server with limits: one chat per source, behind a proxy at 127.0.0.1 that names the customer."""
    backend = MemoryBackend()
    server = ChatServer(backend, gate=ChatGate(ChatLimits(per_source=1, burst=10)), proxies=["127.0.0.1"])
    server.run_in_thread()
    yield Running(server, backend)
    server.stop_thread()


def test_new_chats_are_limited_per_source_as_the_trusted_proxy_names_it(limited_chat):
    def from_address(address: str):
        return limited_chat.socket(additional_headers={"X-Forwarded-For": f"203.0.113.99, {address}"})

    with from_address("198.51.100.1") as first, from_address("198.51.100.1") as second, \
            from_address("198.51.100.2") as other:
        welcome = hello(first)
        refused = hello(second)
        assert (refused["type"], refused["code"]) == ("error", "too_many_chats")
        assert refused["retry_after"] > 0
        assert hello(other)["type"] == "welcome"  # another customer behind the same proxy
        assert ask(second, {"type": "hello", "token": welcome["token"]})["type"] == "welcome"  # a second tab
        limited_chat.server.loop.call_soon_threadsafe(limited_chat.server.finished, welcome["conversation"])
        wait_for(lambda: hello(second)["type"] == "welcome")


def test_open_sockets_are_limited_per_source_and_in_all_and_a_closed_one_frees_its_place():
    backend = MemoryBackend()
    server = ChatServer(backend, gate=ChatGate(ChatLimits(sockets_per_source=2, sockets=3)), proxies=["127.0.0.1"])
    server.run_in_thread()
    running = Running(server, backend)

    def from_address(address: str):
        return running.socket(additional_headers={"X-Forwarded-For": address})

    def refused(socket: ClientConnection) -> bool:
        try:
            socket.recv(timeout=5)
        except ConnectionClosed as closed:
            return closed.rcvd is not None and closed.rcvd.code == 1013  # try again later
        return False

    try:
        with from_address("198.51.100.1") as first, from_address("198.51.100.1") as second:
            with from_address("198.51.100.1") as third:
                assert refused(third)  # a third from the same address
            assert hello(first)["type"] == "welcome" and hello(second)["type"] == "welcome"
            with from_address("198.51.100.2") as other, from_address("198.51.100.3") as fourth:
                assert hello(other)["type"] == "welcome"
                assert refused(fourth)  # a fourth in all
        wait_for(lambda: server.gate.open_sockets() == 0)  # the closed ones freed their places
        with from_address("198.51.100.1") as again:
            assert hello(again)["type"] == "welcome"
    finally:
        server.stop_thread()


def test_a_connection_that_sends_no_request_is_closed_and_a_socket_is_not():
    """Idle connections each hold one of the service's files; a chat socket may idle for long."""
    backend = MemoryBackend()
    server = ChatServer(backend, open_timeout=0.5)
    server.run_in_thread()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as idle, \
                socket.create_connection(("127.0.0.1", server.port), timeout=10) as partial, \
                Running(server, backend).socket() as chat_socket:
            partial.sendall(b"GET /chat/ HTTP/1.1\r\nHost: chat.example\r\n")  # never ends its headers
            assert idle.recv(100) == b"" and partial.recv(100) == b""  # closed by the server
            hello(chat_socket)
            time.sleep(1)  # past the timeout
            assert say(chat_socket, "Still here")["type"] == "ack"
    finally:
        server.stop_thread()


# ---------------------------------------------------------------- the widget in Chromium


def start_chat(page, chat: Running, query: str = "?lang=en") -> tuple[str, int]:
    """Fill the start form; (token, conversation id) once the conversation shows."""
    from playwright.sync_api import expect

    page.goto(f"{chat.base}/chat/{query}")
    page.fill("#name", "Mei Lin")
    page.fill("#email", "mei@example.com")
    page.click("#start-button")
    expect(page.locator("#conversation")).to_be_visible()
    token = page.evaluate(f"localStorage.getItem('{TOKEN_KEY}')")
    return token, chat.backend.chats[token].conversation_id


def bubbles(page, side: str):
    return page.locator(f".line.from-{side} .bubble")


@pytest.mark.slow
def test_the_widget_carries_a_conversation_through_a_reload(chat, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{chat.base}/chat/?lang=en")
    page.click("#start-button")
    expect(page.locator("#name-error")).to_have_text("Please enter your name.")
    page.fill("#name", "Mei Lin")
    page.click("#start-button")
    expect(page.locator("#contact-error")).to_have_text("Please enter an email address or a phone number.")
    page.fill("#email", "mei@example.com")
    page.click("#start-button")
    expect(page.locator("#conversation")).to_be_visible()
    token = page.evaluate(f"localStorage.getItem('{TOKEN_KEY}')")
    conversation = chat.backend.chats[token].conversation_id

    page.fill("#text", "Hello, my parcel is late")
    page.press("#text", "Enter")
    expect(bubbles(page, "customer")).to_have_text(["Hello, my parcel is late"])
    expect(page.locator(".line.pending")).to_have_count(0)
    expect(page.get_by_text("sending…")).to_have_count(0)
    assert [line.text for line in chat.backend.chats[token].lines] == ["Hello, my parcel is late"]

    chat.server.push_typing(conversation, "Anna")
    expect(page.locator("#typing")).to_have_text("Anna is typing…")
    chat.server.push_line(conversation, chat.backend.agent_wrote(conversation, "Anna", "Let me check that for you."))
    expect(bubbles(page, "agent")).to_have_text(["Let me check that for you."])
    expect(page.locator(".line.from-agent .meta")).to_contain_text("Anna")
    expect(page.locator("#typing")).to_be_hidden()

    customer_lines = ["Hello, my parcel is late", "Order 1234\n<img src=x onerror=alert(1)>"]
    page.focus("#text")
    page.keyboard.type("Order 1234")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("<img src=x onerror=alert(1)>")
    wait_for(lambda: token in chat.backend.typing)  # the widget said the customer types
    page.keyboard.press("Enter")
    markup = "<b>bold</b><img src=x onerror=alert(2)>"
    chat.server.push_line(conversation, chat.backend.agent_wrote(conversation, "Anna", markup))
    expect(bubbles(page, "customer")).to_have_text(customer_lines)
    expect(bubbles(page, "agent")).to_have_text(["Let me check that for you.", markup])
    expect(page.locator(".line.pending")).to_have_count(0)
    assert page.locator("#lines img, #lines b").count() == 0
    page.screenshot(path=browser_harness.screenshot_path("chat_widget.png"))

    page.reload()
    expect(bubbles(page, "customer")).to_have_text(customer_lines)
    expect(bubbles(page, "agent")).to_have_text(["Let me check that for you.", markup])
    assert page.evaluate(f"localStorage.getItem('{TOKEN_KEY}')") == token
    assert len(chat.backend.chats) == 1
    assert page.locator("#lines img, #lines b").count() == 0
    assert dialogs == []

    chat.server.push_closed(conversation)
    expect(page.locator("#closed")).to_contain_text("The agent has closed this chat")
    expect(page.locator("#compose")).to_be_hidden()
    page.click("#new-chat")
    expect(page.locator("#start")).to_be_visible()
    assert page.evaluate(f"localStorage.getItem('{TOKEN_KEY}')") is None
    wait_for(lambda: token in chat.backend.left)


@pytest.mark.slow
def test_a_line_shows_sending_until_stored_and_survives_a_reload_unsent(chat, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    token, _ = start_chat(page, chat)
    chat.backend.gate.clear()  # the database is slow
    page.fill("#text", "Are you there?")
    page.press("#text", "Enter")
    expect(page.locator(".line.pending .state")).to_have_text("sending…")

    page.reload()
    expect(page.locator(".line.pending .bubble")).to_have_text("Are you there?")
    wait_for(lambda: len(chat.backend.writes) == 2)  # resent after reconnecting
    chat.backend.gate.set()

    expect(page.locator(".line.pending")).to_have_count(0)
    expect(bubbles(page, "customer")).to_have_text(["Are you there?"])
    assert len(set(chat.backend.writes)) == 1  # with the same client_id
    assert [line.text for line in chat.backend.chats[token].lines] == ["Are you there?"]


@pytest.mark.slow
def test_the_widget_says_a_line_could_not_be_delivered_and_sends_it_once_it_can(chat, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    token, _ = start_chat(page, chat)
    chat.backend.unavailable = True  # the service's database is away
    page.fill("#text", "Is anyone there?")
    page.press("#text", "Enter")
    expect(page.locator("#notice")).to_have_text("Your message could not be delivered just now. "
                                                 "We will try again in a moment.")
    expect(page.locator(".line.pending .bubble")).to_have_text("Is anyone there?")
    chat.backend.unavailable = False
    expect(page.locator(".line.pending")).to_have_count(0, timeout=15_000)
    expect(bubbles(page, "customer")).to_have_text(["Is anyone there?"])
    assert [line.text for line in chat.backend.chats[token].lines] == ["Is anyone there?"]


@pytest.mark.slow
def test_a_refused_new_chat_is_explained_in_the_customers_language(limited_chat, chromium):
    from playwright.sync_api import expect

    contexts = [chromium.new_context() for _ in range(2)]  # two customers' browsers on one address
    try:
        first, second = (context.new_page() for context in contexts)
        start_chat(first, limited_chat, "?lang=zh")
        second.goto(f"{limited_chat.base}/chat/?lang=zh")
        second.fill("#name", "王芳")
        second.fill("#email", "wang@example.cn")
        second.click("#start-button")
        expect(second.locator("#start-error")).to_have_text("您已有正在进行的对话，请在其中继续，或在对话结束后再试。")
        expect(second.locator("#start")).to_be_visible()
        expect(second.locator("#start-button")).to_be_enabled()
    finally:
        for context in contexts:
            context.close()


@pytest.mark.slow
def test_the_widget_reconnects_and_sends_what_was_written_meanwhile(chat, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    token, _ = start_chat(page, chat)
    port = chat.server.port
    chat.server.stop_thread()  # the service restarts
    expect(page.locator("#status")).to_have_text("Reconnecting…")
    page.fill("#text", "Written while you were away")
    page.press("#text", "Enter")
    expect(page.locator(".line.pending .state")).to_have_text("sending…")

    chat.server = ChatServer(chat.backend, port=port)
    chat.server.run_in_thread()
    expect(page.locator("#status")).to_have_text("Connected")
    expect(page.locator(".line.pending")).to_have_count(0)
    assert [line.text for line in chat.backend.chats[token].lines] == ["Written while you were away"]


@pytest.mark.slow
def test_the_widget_speaks_chinese(chat, browser_page, chromium, tmp_path):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{chat.base}/chat/?lang=zh")
    expect(page.locator("#start-button")).to_have_text("开始聊天")
    expect(page.locator(".field-label")).to_have_text(["姓名", "电子邮箱", "电话"])
    page.click("#start-button")
    expect(page.locator("#name-error")).to_have_text("请输入您的姓名。")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.screenshot(path=tmp_path / "chat_widget_zh.png")

    context = chromium.new_context(locale="zh-CN")  # no ?lang: the browser's language decides
    try:
        other = context.new_page()
        other.goto(f"{chat.base}/chat/")
        expect(other.locator(".chat-title")).to_have_text("在线咨询", timeout=5_000)
    finally:
        context.close()


@pytest.mark.slow
def test_embed_js_adds_a_button_that_opens_the_chat_in_an_iframe(chat, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    shop = f'<!doctype html><title>Shop</title><h1>Our shop</h1><script src="{chat.base}/chat/embed.js"></script>'
    with browser_harness.page_server(shop) as shop_url:  # another origin: localhost, not 127.0.0.1
        page.goto(shop_url)
        page.get_by_role("button", name="Chat with us").click()

    frame = page.frame_locator("iframe")
    expect(frame.locator("#start-button")).to_have_text("Start chat")
    assert "/chat/?embed=1" in page.locator("iframe").get_attribute("src")
    frame.locator("#close-embed").click()
    expect(page.locator("iframe")).to_be_hidden()
    expect(page.get_by_role("button", name="Chat with us")).to_be_visible()


@pytest.mark.slow
@pytest.mark.parametrize(("lang", "end", "confirm", "keep", "ended"), [
    ("en", "End chat", "End the chat?", "Keep chatting", "You ended the chat."),
    ("zh", "结束对话", "确定结束对话？", "继续对话", "您已结束本次对话。"),
])
def test_the_customer_ends_the_chat_after_confirming(chat, browser_page, lang, end, confirm, keep, ended):
    from playwright.sync_api import expect

    page = browser_page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{chat.base}/chat/?lang={lang}")
    expect(page.locator("#end-chat")).to_be_hidden()  # nothing to end before the chat starts
    token, _ = start_chat(page, chat, f"?lang={lang}")
    button = page.locator("#end-chat")
    expect(button).to_have_text(end)

    button.click()  # first click only asks
    expect(button).to_have_text(confirm)
    page.locator("#end-keep").click()
    expect(button).to_have_text(end)
    expect(page.locator("#end-keep")).to_be_hidden()
    assert chat.backend.ended == [] and page.locator("#compose").is_visible()

    button.click()
    expect(page.locator("#end-keep")).to_have_text(keep)
    button.click()  # confirmed
    expect(page.locator("#closed")).to_be_visible()
    expect(page.locator("#closed-text")).to_have_text(ended)
    expect(page.locator("#compose")).to_be_hidden()
    expect(button).to_be_hidden()
    assert chat.backend.ended == [token] and dialogs == []
    page.reload()  # resumed: still over, and still the customer's doing
    expect(page.locator("#closed-text")).to_have_text(ended)
    expect(page.locator("#compose")).to_be_hidden()

    page.click("#new-chat")  # and a new chat can start
    expect(page.locator("#start")).to_be_visible()
    assert page.evaluate(f"localStorage.getItem('{TOKEN_KEY}')") is None
