"""The IMAP poller against a real Dovecot: stored first, then moved to Processed;
a failed store leaves just that message; large mail intact; IDLE wakes it; wrong
passwords and server restarts are plain errors it recovers from by itself."""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import threading
import time

import pytest
from imap_harness import Dovecot, dovecot_fixture, running_dovecot  # noqa: F401 - dovecot_fixture is `dovecot`
from imapclient import IMAPClient

from email_queue import imap_in
from email_queue.imap_in import ImapAccount, ImapPoller, size_limited_groups

SERVICE_ADDRESS = "service@cicada.example"


def mail(subject: str, body: str = "Bitte rufen Sie mich zurück.") -> bytes:
    return (f"From: kunde@example.de\r\nTo: {SERVICE_ADDRESS}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '-')}@example.de>\r\n\r\n{body}\r\n").encode()


class Store:
    """The store callback: keeps what it got; raises for messages containing one of `refuse`."""

    def __init__(self):
        self.got: list[tuple[bytes, str]] = []
        self.refuse: set[bytes] = set()

    def __call__(self, raw: bytes, address: str) -> None:
        if any(marker in raw for marker in self.refuse):
            raise RuntimeError("database is locked")
        self.got.append((raw, address))

    @property
    def messages(self) -> list[bytes]:
        return [raw for raw, _ in self.got]


def account(server: Dovecot, **changes) -> ImapAccount:
    settings = {"host": server.host, "port": server.port, "username": server.user, "password": server.password,
                "ssl": False, "address": SERVICE_ADDRESS, "poll_seconds": 60, "idle_seconds": 60}
    return ImapAccount(**(settings | changes))


def not_seen(server: Dovecot, folder: str) -> bool:
    with server.client() as client:
        client.select_folder(folder, readonly=True)
        flags = client.get_flags(client.search("ALL"))
        return all(b"\\Seen" not in message_flags for message_flags in flags.values())


def record_fetches(monkeypatch) -> list[tuple[str, list[int]]]:
    """(what, UIDs) of each FETCH any IMAPClient sends from now on."""
    fetches = []
    original = IMAPClient.fetch

    def fetch(client, messages, data, modifiers=None):
        fetches.append((" ".join(data), list(messages)))
        return original(client, messages, data, modifiers)

    monkeypatch.setattr(IMAPClient, "fetch", fetch)
    return fetches


def wait_until(condition, timeout: float, what: str, server: Dovecot) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s; Dovecot's log:\n{server.log_text}")
        time.sleep(0.02)


@contextlib.contextmanager
def running(poller: ImapPoller):
    """poller.run() in a thread; afterwards it must have returned promptly, without raising."""
    stop = threading.Event()
    raised: list[BaseException] = []

    def target():
        try:
            poller.run(stop)
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            raised.append(exc)

    thread = threading.Thread(target=target, name="imap-poller", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=3)  # it looks at stop at least every second
    assert not thread.is_alive(), "run() did not return within 3 s of stop being set"
    assert raised == []
    assert poller.status == "stopped"


def test_messages_are_stored_then_moved_to_processed(dovecot):
    sent = [mail("Reklamation 1"), mail("Reklamation 2"), mail("Reklamation 3")]
    for raw in sent:
        dovecot.append(raw)
    store = Store()
    poller = ImapPoller(account(dovecot), store, timeout=5)

    assert poller.poll_once() == 3
    assert poller.status == "connected"
    assert store.got == [(raw, SERVICE_ADDRESS) for raw in sent]
    assert dovecot.messages("INBOX") == []
    assert dovecot.messages("Processed") == sent
    assert poller.poll_once() == 0
    poller.close()
    assert poller.status == "stopped"


def test_a_failed_store_leaves_exactly_that_message_for_the_next_poll(dovecot, caplog, monkeypatch):
    # Batches of two, one body per fetch: the failure sits inside a batch, not at its edge.
    monkeypatch.setattr(imap_in, "FETCH_BATCH", 2)
    monkeypatch.setattr(imap_in, "FETCH_MAX_BYTES", 1)
    fetches = record_fetches(monkeypatch)
    sent = [mail(f"Anfrage {n}", body=f"Kundennummer 4711-{n}") for n in range(5)]
    for raw in sent:
        dovecot.append(raw)
    store = Store()
    store.refuse.add(b"Kundennummer 4711-2")
    poller = ImapPoller(account(dovecot), store, timeout=5)

    assert poller.poll_once() == 4
    assert fetches == [("RFC822.SIZE", [1, 2]), ("BODY.PEEK[]", [1]), ("BODY.PEEK[]", [2]),
                       ("RFC822.SIZE", [3, 4]), ("BODY.PEEK[]", [3]), ("BODY.PEEK[]", [4]),
                       ("RFC822.SIZE", [5]), ("BODY.PEEK[]", [5])]
    assert store.messages == sent[:2] + sent[3:]
    assert dovecot.messages("INBOX") == [sent[2]]
    assert not_seen(dovecot, "INBOX"), "fetched with BODY[] instead of BODY.PEEK[]"
    assert dovecot.messages("Processed") == sent[:2] + sent[3:]
    failure = next(r.getMessage() for r in caplog.records if "not stored" in r.getMessage())
    assert "UID 3" in failure and "database is locked" in failure
    assert "Kundennummer" not in caplog.text

    store.refuse.clear()
    assert poller.poll_once() == 1
    assert store.messages[-1] == sent[2]
    assert dovecot.messages("INBOX") == []
    assert len(dovecot.messages("Processed")) == 5
    poller.close()


def test_a_10_mb_message_arrives_intact(dovecot):
    attachment = base64.encodebytes(os.urandom(7_500_000)).replace(b"\n", b"\r\n")
    raw = (b"From: kunde@example.de\r\nSubject: Fotos vom Schaden\r\nMessage-ID: <big@example.de>\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n" + attachment)
    assert len(raw) > 10_000_000
    dovecot.append(raw)
    store = Store()
    poller = ImapPoller(account(dovecot), store, timeout=10)

    assert poller.poll_once() == 1
    assert store.messages == [raw]
    assert dovecot.messages("Processed") == [raw]
    poller.close()


def test_run_picks_up_new_mail_while_idling(dovecot):
    store = Store()
    poller = ImapPoller(account(dovecot, poll_seconds=600, idle_seconds=600), store, timeout=5)
    with running(poller):
        wait_until(lambda: poller.status == "idle", 5, "IDLE", dovecot)
        dovecot.append(mail("Neue Nachricht"))
        wait_until(lambda: store.messages == [mail("Neue Nachricht")], 2.5, "storing the new message", dovecot)
        wait_until(lambda: dovecot.messages("INBOX") == [], 2, "moving it out of INBOX", dovecot)


def test_a_message_that_cannot_be_stored_is_tried_again_soon_not_at_the_next_new_mail(dovecot):
    """As while the database is away: the poller does not go to IDLE for minutes with mail left behind."""
    dovecot.append(mail("Waehrend des Ausfalls"))
    store = Store()
    store.refuse.add(b"Ausfalls")
    poller = ImapPoller(account(dovecot, poll_seconds=600, idle_seconds=600), store, timeout=5)
    with running(poller):
        wait_until(lambda: poller.status == "error: 1 message(s) could not be stored; trying again", 5,
                   "the error status", dovecot)
        store.refuse.clear()  # the database is back
        wait_until(lambda: store.messages == [mail("Waehrend des Ausfalls")], 5, "storing it", dovecot)
        wait_until(lambda: poller.status == "idle", 5, "IDLE again", dovecot)
    assert dovecot.messages("Processed") == [mail("Waehrend des Ausfalls")]


def test_a_wrong_password_is_a_plain_error_and_never_logged(dovecot, caplog):
    caplog.set_level(logging.DEBUG)  # library debug output too
    wrong = "not-the-Pa55word"
    poller = ImapPoller(account(dovecot, password=wrong), Store(), timeout=5)
    with running(poller):
        wait_until(lambda: poller.status.startswith("error: "), 5, "an error status", dovecot)
        assert poller.status == "error: login failed: [AUTHENTICATIONFAILED] Authentication failed."
    label = f"IMAP {dovecot.user}@{dovecot.host}:{dovecot.port}: "
    warnings = [r for r in caplog.records if r.name == imap_in.__name__ and r.levelno == logging.WARNING]
    assert warnings and all(r.getMessage().startswith(label) and not r.exc_info for r in warnings)
    assert wrong not in caplog.text and dovecot.password not in caplog.text
    assert wrong not in repr(poller.account)


def test_close_from_another_thread_ends_run(dovecot, caplog):
    """As the service shuts down: close() while run() idles in its thread."""
    poller = ImapPoller(account(dovecot), Store(), timeout=5)
    thread = threading.Thread(target=poller.run, args=(threading.Event(),), daemon=True)
    thread.start()
    wait_until(lambda: poller.status == "idle", 5, "IDLE", dovecot)
    poller.close()
    thread.join(timeout=3)
    assert not thread.is_alive(), "run() did not return within 3 s of close()"
    assert poller.status == "stopped"
    assert not [r for r in caplog.records if r.name == imap_in.__name__], "close() disturbed run()"


@pytest.mark.slow
def test_run_reconnects_after_a_server_restart(dovecot, caplog):
    caplog.set_level(logging.INFO, logger=imap_in.__name__)
    store = Store()
    poller = ImapPoller(account(dovecot), store, timeout=5)
    with running(poller):
        wait_until(lambda: poller.status == "idle", 5, "IDLE", dovecot)
        dovecot.stop()
        wait_until(lambda: poller.status.startswith("error: "), 5, "an error status while Dovecot is down", dovecot)
        dovecot.start()
        dovecot.append(mail("Nach dem Neustart"))
        wait_until(lambda: store.messages == [mail("Nach dem Neustart")], 10, "storing after the restart", dovecot)
    assert "connected again" in caplog.text


@pytest.mark.parametrize("capabilities", ["IMAP4rev1 UIDPLUS", "IMAP4rev1"])
def test_servers_without_move_or_idle(capabilities):
    """COPY + \\Deleted + (UID) EXPUNGE instead of MOVE, and polling instead of IDLE."""
    with running_dovecot(f"imap_capability = {capabilities}") as server:
        server.append(mail("Erste"))
        store = Store()
        poller = ImapPoller(account(server, poll_seconds=0.2), store, timeout=5)
        with running(poller):
            wait_until(lambda: store.messages == [mail("Erste")], 3, "storing the first message", server)
            server.append(mail("Zweite"))
            wait_until(lambda: len(store.messages) == 2, 3, "polling for the second", server)
        assert server.messages("INBOX") == []
        assert server.messages("Processed") == [mail("Erste"), mail("Zweite")]


def test_fetch_groups_stay_under_the_byte_limit_but_take_a_big_message_alone():
    sizes = {1: 40, 2: 40, 3: 500, 4: 10, 5: 10}
    assert list(size_limited_groups(sizes, limit=100)) == [[1, 2], [3], [4, 5]]
