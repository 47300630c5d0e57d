"""The web chat's HTTP and socket edges, on the running `cicada mailq`: what uvicorn and
Starlette answer for us (files, not found, methods, frames too big, refused origins,
the addresses a trusted proxy names) and the limits the chat keeps on top."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket

import pytest
from mailq_harness import RunningMailq, make_mailq  # noqa: F401 (a fixture)
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from bus.limits import MAX_DEPTH
from email_queue.chat_frames import MAX_FRAME_BYTES


def http_request(mailq: RunningMailq, method: str, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", mailq.chat_port, timeout=10)
    connection.request(method, path)
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def chat_socket(mailq: RunningMailq, *, source: str = "127.0.0.1", path: str = "/chat/ws",
                **kwargs) -> ClientConnection:
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", mailq.chat_port))
    return connect(f"ws://127.0.0.1:{mailq.chat_port}{path}", sock=sock, open_timeout=10, **kwargs)


def ask(sock: ClientConnection, frame: dict | str) -> dict:
    sock.send(frame if isinstance(frame, str) else json.dumps(frame))
    return json.loads(sock.recv(timeout=10))


def hello(sock: ClientConnection, **details) -> dict:
    return ask(sock, {"type": "hello", "token": None, "name": "Mei Lin", "email": "mei@example.com", **details})


def closed_with(sock: ClientConnection, timeout: float = 5) -> int | None:
    """The close code the server sent, or None when the socket is still open after `timeout`."""
    try:
        sock.recv(timeout=timeout)
    except TimeoutError:
        return None
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else -1
    return 0


def test_the_widgets_files_come_with_their_headers_and_nothing_else_is_found(make_mailq):
    mailq = make_mailq(chat_origins=["https://shop.example"])
    page = http_request(mailq, "GET", "/chat/?lang=zh")
    assert (page.status, page.getheader("Content-Type")) == (200, "text/html; charset=utf-8")
    assert b'<script src="chat.js">' in page.body
    assert "frame-ancestors 'self' https://shop.example" in page.getheader("Content-Security-Policy")
    script = http_request(mailq, "GET", "/chat/embed.js")
    assert (script.status, script.getheader("Content-Type")) == (200, "text/javascript; charset=utf-8")
    assert script.getheader("Content-Security-Policy") is None  # the page's policy, not a script's
    head = http_request(mailq, "HEAD", "/chat/chat.css")
    assert (head.status, head.body, head.getheader("Content-Type")) == (200, b"", "text/css; charset=utf-8")

    for path in ("/chat/nothing.js", "/chat/ws", "/chat/chat.js/", "/chat/chat.html", "/chat/../cicada.toml"):
        missing = http_request(mailq, "GET", path)  # /chat/ws: a plain GET, no upgrade
        assert missing.status == 404, path
        assert b"[mailq]" not in missing.body
    for response in (page, script, head, missing):
        assert response.getheader("Cache-Control") == "no-cache"
        assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert http_request(mailq, "POST", "/chat/").status == 405
    moved = http_request(mailq, "GET", "/chat?lang=zh")
    assert (moved.status, moved.getheader("Location")) == (301, "/chat/?lang=zh")


def test_sockets_from_pages_not_allowed_or_on_other_paths_are_refused_and_the_widget_still_connects(make_mailq):
    mailq = make_mailq(chat_origins=["https://shop.example"])
    with pytest.raises(InvalidStatus) as foreign:
        chat_socket(mailq, origin="https://evil.example")
    assert foreign.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as elsewhere:
        chat_socket(mailq, path="/chat/")
    assert elsewhere.value.response.status_code == 403
    for origin in ("https://shop.example", f"http://127.0.0.1:{mailq.chat_port}"):
        with chat_socket(mailq, origin=origin) as sock:
            assert hello(sock)["type"] == "welcome"
    assert "Traceback" not in mailq.log()


def test_an_oversized_frame_closes_that_socket_only_and_the_chat_resumes_on_another(make_mailq):
    mailq = make_mailq()
    with chat_socket(mailq) as sock, chat_socket(mailq, source="127.0.0.2") as bystander:
        welcome = hello(sock)
        assert hello(bystander, name="Wang Fang")["type"] == "welcome"
        sock.send("x" * (MAX_FRAME_BYTES + 1))
        assert closed_with(sock) == 1009  # message too big: never read whole
        assert ask(bystander, {"type": "message", "text": "还在吗？", "client_id": "w-1"})["type"] == "ack"
    with chat_socket(mailq) as again:
        resumed = ask(again, {"type": "hello", "token": welcome["token"]})
        assert (resumed["type"], resumed["conversation"]) == ("welcome", welcome["conversation"])
        # a frame of exactly the limit is read, and refused for what it says
        near = json.dumps({"type": "message", "client_id": "c-1", "text": ""})
        at_limit = near[:-2] + "x" * (MAX_FRAME_BYTES - len(near)) + near[-2:]
        assert len(at_limit.encode()) == MAX_FRAME_BYTES
        assert ask(again, at_limit)["code"] == "too_long"
        assert ask(again, {"type": "message", "text": "Hello?", "client_id": "c-2"})["type"] == "ack"
    assert "Traceback" not in mailq.log()


def test_a_frame_nested_too_deep_is_refused_unread_and_the_chat_goes_on(make_mailq):
    mailq = make_mailq()
    with chat_socket(mailq) as sock:
        hello(sock)
        deep = '{"type": "message", "text": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}"
        refused = ask(sock, deep)
        assert (refused["type"], refused["code"]) == ("error", "too_deep")
        assert ask(sock, {"type": "message", "text": "Still here", "client_id": "c-1"})["type"] == "ack"
    assert "Traceback" not in mailq.log() and "RecursionError" not in mailq.log()


def test_sockets_are_counted_per_address_a_trusted_proxy_names_and_per_peer_otherwise(make_mailq):
    """Behind the proxy 127.0.0.1 each customer has the 20 sockets of an address; a peer that is
    no proxy names whatever it likes in X-Forwarded-For and is still counted as itself."""
    mailq = make_mailq(chat_proxies=["127.0.0.1"])

    def flood(sockets: contextlib.ExitStack, source: str, named) -> list[ClientConnection]:
        return [sockets.enter_context(chat_socket(mailq, source=source,
                                                  additional_headers={"X-Forwarded-For": named(n)}))
                for n in range(21)]

    with contextlib.ExitStack() as sockets:
        behind_proxy = flood(sockets, "127.0.0.1", lambda n: "198.51.100.7")
        pretender = flood(sockets, "127.0.0.2", lambda n: f"203.0.113.{n}")
        assert closed_with(behind_proxy[-1]) == 1013 and closed_with(pretender[-1]) == 1013
        assert closed_with(behind_proxy[0], 0.5) is None and closed_with(pretender[0], 0.5) is None
        with chat_socket(mailq, additional_headers={"X-Forwarded-For": "198.51.100.8"}) as neighbour:
            assert hello(neighbour)["type"] == "welcome"  # another customer behind the same proxy
        log = mailq.log()
        assert "sockets from 198.51.100.7 refused" in log and "sockets from 127.0.0.2 refused" in log
        assert "203.0.113." not in log
