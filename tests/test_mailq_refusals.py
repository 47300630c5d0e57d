"""The real mail queue refuses, plainly and without failing: a customer's chat
line or name the CRM cannot store (an error frame over the WebSocket, and the
chat goes on), and an agent whose account is disabled (at login, and at his
next step when disabled while logged in)."""

from __future__ import annotations

import json
import time

import pytest
from mailq_harness import make_mailq  # noqa: F401 (a fixture)
from sqlalchemy import update

from bus import mailq as bus
from crm.db import Database
from crm.models import User
from email_queue.client import MailqError


def ask(socket, frame: dict) -> dict:
    # ensure_ascii: the lone surrogate travels as the \ud800 escape a browser's JSON.stringify writes
    socket.send(json.dumps(frame, ensure_ascii=True))
    return json.loads(socket.recv(timeout=10))


@pytest.mark.parametrize("bad", ["\x00", "\ud800"], ids=["NUL", "surrogate"])
def test_a_chat_line_or_name_the_crm_cannot_store_gets_an_error_frame_and_the_chat_goes_on(make_mailq, bad):
    from websockets.sync.client import connect

    mailq = make_mailq()
    with connect(f"ws://127.0.0.1:{mailq.chat_port}/chat/ws", open_timeout=5) as socket:
        refused = ask(socket, {"type": "hello", "token": None, "name": f"Mei{bad}", "email": "mei@example.com"})
        assert refused["type"] == "error" and refused["code"] == "invalid"
        assert refused["message"].startswith("There is a character that cannot be stored in your name")
        assert ask(socket, {"type": "hello", "token": None, "name": "Mei", "email": "mei@example.com"})[
            "type"] == "welcome"
        refused = ask(socket, {"type": "message", "text": f"Refund me{bad} now", "client_id": "c-1"})
        assert refused == {"type": "error", "code": "invalid", "client_id": "c-1", "message": (
            f"There is a character that cannot be stored in your message ({_described(bad)}, at position 10); "
            "remove it and try again.")}
        assert ask(socket, {"type": "message", "text": "x", "client_id": f"c{bad}"})["code"] == "bad_client_id"
        assert ask(socket, {"type": "message", "text": "Refund me now", "client_id": "c-2"})["type"] == "ack"
    assert "Traceback" not in mailq.log()


def _described(char: str) -> str:
    return "a NUL character, U+0000" if char == "\x00" else "half of a surrogate pair, U+D800"


def test_a_disabled_agent_cannot_log_in_and_one_disabled_while_logged_in_is_refused_at_his_next_step(make_mailq):
    from websockets.sync.client import connect

    mailq = make_mailq()
    ann = mailq.desktop("ann", channels=("chat",))
    bobs_session = mailq.sign_in("bob")
    with connect(f"ws://127.0.0.1:{mailq.chat_port}/chat/ws", open_timeout=5) as socket:
        cid = ask(socket, {"type": "hello", "token": None, "name": "Mei", "email": "mei@example.com"})["conversation"]
        assert ask(socket, {"type": "message", "text": "Hello?", "client_id": "c-1"})["type"] == "ack"
    ann.accept(ann.wait_for(lambda e: isinstance(e, bus.WorkOffered), 10).work.conversation_id)
    database = Database.open(mailq.db_url)
    try:
        with database.unit_of_work() as session:
            session.execute(update(User).values(is_active=False))
    finally:
        database.dispose()
    with pytest.raises(MailqError, match="The account ann is disabled; ask an administrator."):
        ann.chat_send(cid, "Your refund is approved.")
    with pytest.raises(MailqError, match="^Your account was disabled; ask an administrator.$") as refused:
        mailq.client().login(bobs_session)
    assert refused.value.code == "session_ended"
    with pytest.raises(MailqError, match=r"^Not signed in \(or the session is not known here\); sign in again.$"):
        mailq.client().login("a guess")


def test_an_agent_disabled_while_logged_in_loses_his_mail_session_and_his_work(make_mailq):
    mailq = make_mailq(account_check_seconds=0.5)
    ann = mailq.desktop("ann", channels=("email",))
    database = Database.open(mailq.db_url)
    try:
        with database.unit_of_work() as session:
            session.execute(update(User).where(User.username == "ann").values(is_active=False))
    finally:
        database.dispose()
    deadline = time.monotonic() + 10
    while True:
        try:
            ann.snapshot()
        except MailqError as exc:
            assert exc.code == "no_session"
            break
        assert time.monotonic() < deadline, "the session of a disabled account went on"
        time.sleep(0.2)
    assert "ann's mail queue session ends: the CRM session ended (account_disabled)" in mailq.log()
