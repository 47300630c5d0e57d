"""`cicada mailq` under faults, as it runs: its database going away and coming
back (a private PostgreSQL, stopped as in a crash), a flood of bogus logins,
a flood of chats, and commands built to hurt. It stays up, keeps the agents
who are working, says what is unavailable, and catches up afterwards; killed,
it leaves none of its processes behind."""

from __future__ import annotations

import json
import os
import re
import smtplib
import socket
import subprocess
import sys
import threading
import time
from email.message import EmailMessage

import pytest
import zmq
from gateway_harness import ROOT
from mailq_harness import SERVICE, RunningMailq, make_mailq  # noqa: F401 - fixture
from private_pg import private_pg  # noqa: F401 - fixture
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from bus import mailq as bus
from bus.curve import make_client
from bus.envelope import decode_reply, encode_request
from bus.limits import MAX_DEPTH, MAX_REQUEST_BYTES, MAX_SERVICE_FRAME_BYTES
from email_queue.client import MailqError

pytestmark = pytest.mark.slow


def mail(subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "li.na@example.cn", SERVICE, subject
    message.set_content("路由器每小时重启一次。")
    return message


def send(mailq: RunningMailq, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", mailq.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


def offered(client, timeout: float = 10.0) -> bus.WorkView:
    return client.wait_for(lambda e: isinstance(e, bus.WorkOffered), timeout).work


def heartbeat(client, database_available: bool, timeout: float = 10.0) -> bus.MailqHeartbeat:
    return client.wait_for(lambda e: isinstance(e, bus.MailqHeartbeat)
                           and e.database_available is database_available, timeout)


class ChatCustomer:
    """A customer's tab on the widget's socket, from a loopback address of its own choosing."""

    def __init__(self, mailq: RunningMailq, source: str = "127.0.0.1"):
        sock = socket.socket()
        sock.bind((source, 0))
        sock.connect(("127.0.0.1", mailq.chat_port))
        self.socket = connect(f"ws://127.0.0.1:{mailq.chat_port}/chat/ws", sock=sock, open_timeout=5).__enter__()

    def ask(self, frame: dict) -> dict:
        self.socket.send(json.dumps(frame))
        return json.loads(self.socket.recv(timeout=10))

    def start(self, name: str = "Mei Lin", email: str = "mei@example.com") -> dict:
        return self.ask({"type": "hello", "token": None, "name": name, "email": email, "phone": ""})

    def say(self, text: str, client_id: str) -> dict:
        return self.ask({"type": "message", "text": text, "client_id": client_id})

    def close(self) -> None:
        self.socket.__exit__(None, None, None)


# --- the database goes away and comes back ---------------------------------------------------------------------


def test_an_offer_runs_out_while_the_database_is_down_and_the_database_catches_up(make_mailq, private_pg):
    mailq = make_mailq(db_url=private_pg.url, offer_seconds=2.0, silent_seconds=60.0)
    ann, bob = mailq.desktop("ann", channels=("email",)), mailq.desktop("bob", channels=("email",))
    watcher = mailq.supervisor("sue")
    customer = ChatCustomer(mailq)
    customer.start()
    send(mailq, mail("路由器坏了"))
    holder, work = first_offer({"ann": ann, "bob": bob})
    other_client = bob if holder == "ann" else ann
    cid = work.conversation_id
    late_session = mailq.sign_in("ann")  # signed in before the outage, presented during it

    private_pg.stop()  # as in a crash, while the offer runs
    assert offered(other_client, 10).conversation_id == cid  # the router goes on: the offer went round
    heartbeat(watcher, database_available=False)
    status = watcher.status()
    assert status.database_available is False and status.unsaved_decisions >= 1
    assert [(p.part, p.state) for p in status.health[:3]] == [
        ("database", "unavailable"), ("smtp", "unavailable"), ("chat", "unavailable")]
    assert other_client.accept(cid).state == "assigned"  # kept, stored later
    other_client.ping()
    with pytest.raises(MailqError) as refused:
        other_client.close_work(cid, outcome="resolved")
    assert refused.value.code == "crm_unavailable" and "unavailable" in refused.value.message
    with pytest.raises(MailqError) as refused:  # a session cannot be checked now: try again
        mailq.client().login(late_session)
    assert refused.value.code == "crm_unavailable" and "try again" in refused.value.message
    told = subprocess.run([sys.executable, "-m", "cicada.cli", "mailq", "status", "--commands", mailq.commands],
                          capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, "CICADA_CONFIG": str(mailq.workdir / "cicada.toml")})
    assert told.returncode == 1, told.stderr
    assert re.search(r"^  database +unavailable since ", told.stdout, re.MULTILINE), told.stdout
    with pytest.raises(smtplib.SMTPResponseException) as later:
        send(mailq, mail("再试一次"))
    assert later.value.smtp_code == 451
    line = customer.say("还在吗？", "c-1")
    assert (line["type"], line["code"], line["client_id"]) == ("error", "unavailable", "c-1")

    private_pg.start()
    heartbeat(watcher, database_available=True, timeout=15)
    mailq.wait_until(lambda: [(c.status, c.assigned_to_id is not None) for c in mailq.conversations()
                              if c.id == cid] == [("assigned", True)], what="the assignment stored")
    status = watcher.status()
    assert status.database_available and status.unsaved_decisions == 0 and status.health[0].state == "ok"
    assert customer.say("还在吗？", "c-1")["type"] == "ack"  # the widget sends it again: stored once
    assert mailq.process.poll() is None
    other_client.close_work(cid, outcome="resolved")
    stored = {c.id: c.status for c in mailq.conversations()}
    assert stored[cid] == "closed"
    log = mailq.log()
    assert log.count("the CRM database is unavailable") == 1 and "the CRM database is back" in log
    assert "Traceback" not in log
    customer.close()


def first_offer(clients: dict, timeout: float = 10.0) -> tuple[str, bus.WorkView]:
    """Which agent got the first offer, and what."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, client in clients.items():
            got = client.next_event(0.1)
            if got is not None and isinstance(got[1], bus.WorkOffered):
                return name, got[1].work
    raise TimeoutError("no offer came")


def test_the_mail_queue_started_while_its_database_is_down_waits_for_it(tmp_path, private_pg):
    mailq = RunningMailq(tmp_path / "mailq", db_url=private_pg.url)
    mailq.prepare_database()
    private_pg.stop()

    def database_back_once_waited_for() -> None:
        deadline = time.monotonic() + 30
        while "waiting for the CRM database" not in mailq.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        private_pg.start()

    back = threading.Thread(target=database_back_once_waited_for)
    back.start()
    try:
        mailq.start(timeout=60, prepare=False)
        back.join()
        assert "waiting for the CRM database" in mailq.log()
        assert mailq.desktop("ann").snapshot().agent == "ann"
    finally:
        back.join()
        mailq.stop()


# --- floods ---------------------------------------------------------------------------------------------


def test_a_login_flood_neither_delays_a_working_agent_nor_takes_her_chat(make_mailq):
    mailq = make_mailq()  # desktops are gone after 3 s of silence
    ann = mailq.desktop("ann", channels=("chat",))
    customer = ChatCustomer(mailq)
    cid = customer.start()["conversation"]
    ann.accept(offered(ann).conversation_id)
    replies: list[dict] = []
    flood = threading.Thread(target=lambda: replies.extend(login_flood(mailq, 300)))
    flood.start()
    slowest = 0.0
    while flood.is_alive():
        started = time.monotonic()
        ann.ping()
        slowest = max(slowest, time.monotonic() - started)
        time.sleep(0.5)
    flood.join()
    assert slowest < 1.0, f"a ping took {slowest:.2f} s during the flood"
    assert [w.conversation_id for w in ann.snapshot().work if w.state == "assigned"] == [cid]
    codes = [r["error"]["code"] for r in replies]
    assert len(codes) == 300 and set(codes) <= {"session_ended", "rate_limited", "busy", "locked"}
    assert codes.count("session_ended") <= 40, "most of the flood must be refused before a database lookup"
    assert "locked" in codes
    assert "blocked" in mailq.log() or "locked for" in mailq.log()
    status = mailq.operator().status()
    assert status.agents == ["ann"]
    customer.close()


def login_flood(mailq, count: int, per_second: float = 60.0) -> list[dict]:
    """`count` logins with made-up sessions, sent at `per_second` whatever the replies say (an
    attacker's script, over CURVE: the public key is no secret); the replies."""
    sock = curve_socket(mailq)
    try:
        replies = []
        for n in range(count):
            sock.send(encode_request(f"f{n}", bus.MailLogin(token=f"made-up-session-{n}")))
            while sock.poll(int(1000 / per_second)):
                replies.append(json.loads(sock.recv()))
        while len(replies) < count and sock.poll(30_000):
            replies.append(json.loads(sock.recv()))
        return replies
    finally:
        sock.close(0)


def curve_socket(mailq) -> zmq.Socket:
    """A DEALER to the mail queue's commands, speaking CURVE with a key of its own."""
    sock = zmq.Context.instance().socket(zmq.DEALER)
    make_client(sock, mailq.public_key)
    sock.connect(mailq.commands)
    return sock


def test_a_chat_flood_from_one_address_is_refused_with_a_reason_and_others_still_chat(make_mailq):
    mailq = make_mailq(chat_per_source=3, chat_max_waiting=5)
    flooders = [ChatCustomer(mailq) for _ in range(12)]
    answers = [c.start(name=f"Bot {n}", email=f"bot{n}@example.com") for n, c in enumerate(flooders)]
    assert [a["type"] for a in answers] == ["welcome"] * 3 + ["error"] * 9
    refusal = answers[3]
    assert refusal["code"] == "too_many_chats" and refusal["retry_after"] > 0 and refusal["message"]
    others = [ChatCustomer(mailq, "127.0.0.2"), ChatCustomer(mailq, "127.0.0.3")]
    assert others[0].start(name="Wang Fang", email="wang@example.cn")["type"] == "welcome"
    assert others[0].say("我想问一下账单", "w-1")["type"] == "ack"
    assert others[0].ask({"type": "hello", "token": None, "name": "Wang Fang 2",
                          "email": "wang@example.cn", "phone": ""})["type"] == "welcome"
    busy = others[1].start(name="Zhao Lei", email="zhao@example.cn")  # five wait for an agent already
    assert (busy["type"], busy["code"]) == ("error", "chat_busy")
    assert len([c for c in mailq.conversations() if c.channel == "chat"]) == 5
    refusals = [line for line in mailq.log().splitlines() if "new chats from 127.0.0.1 refused" in line]
    assert len(refusals) == 1, refusals
    for customer in flooders + others:
        customer.close()


def test_a_flood_of_idle_sockets_is_cut_per_address_and_email_and_other_customers_go_on(make_mailq):
    """Each socket holds one of the service's files: hundreds of idle ones from one address
    used them all up (new emails, chats and desktops refused until they closed)."""
    mailq = make_mailq()
    flood = [ChatCustomer(mailq) for _ in range(30)]
    closed = 0
    for customer in flood:
        try:
            customer.socket.recv(timeout=0.2)
        except TimeoutError:
            continue  # kept open: one of the 20 an address may hold
        except ConnectionClosed as exc:
            assert exc.rcvd is not None and exc.rcvd.code == 1013  # try again later
            closed += 1
    assert closed == 10
    other = ChatCustomer(mailq, "127.0.0.2")
    assert other.start(name="Wang Fang", email="wang@example.cn")["type"] == "welcome"
    send(mailq, mail("taken during the flood"))
    mailq.wait_until(lambda: any(c.subject == "taken during the flood" for c in mailq.conversations()))
    assert "web chat: sockets from 127.0.0.1 refused" in mailq.log()
    for customer in [*flood, other]:
        customer.close()


def test_a_flood_of_idle_smtp_connections_is_cut_per_address_and_other_senders_go_on(make_mailq):
    """As Postfix does: 50 connections from one address at once, the others refused with 421."""
    mailq = make_mailq()
    flood, greetings = [], []
    for _ in range(60):
        sock = socket.create_connection(("127.0.0.1", mailq.smtp_port), timeout=5)
        flood.append(sock)
        greetings.append(sock.recv(200)[:3])
    assert greetings.count(b"220") == 50 and greetings.count(b"421") == 10, greetings
    with smtplib.SMTP("127.0.0.1", mailq.smtp_port, source_address=("127.0.0.2", 0), timeout=10) as other:
        message = mail("from another sender during the flood")
        other.send_message(message)
    assert "SMTP: connections from 127.0.0.1 refused" in mailq.log()
    for sock in flood:
        sock.close()
    send(mailq, mail("from the flooding address once it stopped"))
    mailq.wait_until(lambda: len(mailq.conversations()) == 2)


# --- commands built to hurt ----------------------------------------------------------------------------------


def test_deep_huge_and_malformed_commands_get_an_error_and_the_mail_queue_goes_on(make_mailq):
    mailq = make_mailq()
    ann = mailq.desktop("ann")
    deep = b'{"v":1,"id":"d","cmd":{"type":"mail.transfer","session":"s","conversation_id":1,"note":' + \
        b"[" * (MAX_DEPTH + 5) + b"]" * (MAX_DEPTH + 5) + b"}}"
    deeper = b"[" * 30_000 + b"]" * 30_000
    huge = b'{"v":1,"id":"h","cmd":{"type":"mail.chat_send","session":"s","conversation_id":1,"text":"' + \
        b"x" * (MAX_REQUEST_BYTES + 10) + b'"}}'
    cases = [
        (deep, "too_deep"), (deeper, "too_deep"), (huge, "too_large"), (b"not json", "malformed"),
        (b"\xff\xfe\x00", "malformed"), (b'{"v":1,"id":"a","cmd":{"type":"mail.fly"}}', "unknown_type"),
        (b'{"v":1,"id":"b","cmd":{"type":"mail.ping","session":5}}', "invalid"),
        (b'{"v":2,"id":"c","cmd":{"type":"mail.status"}}', "unsupported_version"),
        (b'{"v":1,"id":"e","cmd":{"type":"mail.ping","session":"nobody"}}', "no_session"),
    ]
    sock = curve_socket(mailq)
    try:
        for payload, code in cases:
            sock.send(payload)
            assert sock.poll(5000), f"no reply to {payload[:60]!r}"
            reply = decode_reply(sock.recv())
            assert (reply.ok, reply.error.code) == (False, code), payload[:60]
        sock.send_multipart([b"a", b"b", b"c", b"d", b"{}"])  # more frames than a command has
        assert sock.poll(5000) and decode_reply(sock.recv()).error.code == "malformed"
    finally:
        sock.close(0)
    cut = curve_socket(mailq)  # a frame over the limit: ZeroMQ drops the connection, nothing is read
    try:
        cut.send(b"x" * (MAX_SERVICE_FRAME_BYTES + 1))
        assert not cut.poll(1000)
    finally:
        cut.close(0)
    ann.ping()
    assert mailq.operator().status().agents == ["ann"]
    assert mailq.process.poll() is None


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def test_a_command_of_many_frames_is_refused_and_its_memory_given_back(make_mailq):
    mailq = make_mailq()
    ann = mailq.desktop("ann")
    before = rss_mib(mailq.process.pid)
    sock = curve_socket(mailq)
    try:
        sock.send_multipart([b"x" * 1_000_000] * 80 + [b"{}"])  # 76 MiB, each frame under the limit
        assert sock.poll(30_000) and decode_reply(sock.recv()).error.code == "malformed"
    finally:
        sock.close(0)
    deadline = time.monotonic() + 10  # given back at once, or at the next tick when a trim was just made
    while rss_mib(mailq.process.pid) > before + 20 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert rss_mib(mailq.process.pid) < before + 20
    assert "a command from 127.0.0.1 in 82 frames refused" in mailq.log()
    ann.ping()
    assert mailq.process.poll() is None


# --- killed -----------------------------------------------------------------------------------------------------


def test_a_mail_queue_killed_leaves_none_of_its_processes_behind(make_mailq):
    """kill -9 of the mail queue: its parser process and multiprocessing's resource tracker end
    with it, instead of waiting for work for ever, orphaned."""
    mailq = make_mailq()
    send(mailq, mail("parsed in a parser process"))
    mailq.wait_until(lambda: len(mailq.conversations()) == 1)
    helpers = [pid for pid in group_members(mailq.process.pid) if pid != mailq.process.pid]
    assert len(helpers) == 2, helpers  # the parser and the resource tracker

    mailq.process.kill()

    mailq.process.wait(10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and group_members(mailq.process.pid):
        time.sleep(0.2)
    left = group_members(mailq.process.pid)
    for pid in left:
        os.kill(pid, 9)
    assert not left, "left running after kill -9 of the mail queue"


def group_members(pgid: int) -> list[int]:
    """The live processes of a process group (the mail queue runs in a session of its own)."""
    members = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members
