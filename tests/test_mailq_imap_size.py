"""max_message_mb holds for IMAP as for SMTP: a larger message in the polled
folder is not taken in but moved to its own folder, whole, and the others
are stored as usual (a real Dovecot)."""

from __future__ import annotations

from imap_harness import dovecot_fixture  # noqa: F401 - the `dovecot` fixture
from test_imap_in import SERVICE_ADDRESS, Store, account, mail

from email_queue.config import load_mailq_config
from email_queue.imap_in import ImapPoller


def test_a_message_over_the_limit_is_moved_aside_and_the_others_stored(dovecot):
    small, big = mail("Kleine Frage"), mail("Riesiger Anhang", body="x" * 200_000)
    for raw in (small, big):
        dovecot.append(raw)
    store = Store()
    poller = ImapPoller(account(dovecot, max_bytes=100_000), store, timeout=5)
    try:
        assert poller.poll_once() == 1
        assert store.messages == [small]
        assert dovecot.messages("INBOX") == []
        assert dovecot.messages("Processed") == [small]
        assert [len(raw) for raw in dovecot.messages("Too large")] == [len(big)]
        assert poller.poll_once() == 0
    finally:
        poller.close()


def test_the_imap_accounts_take_the_limit_from_max_message_mb():
    config = load_mailq_config({"max_message_mb": 2, "imap": [{
        "host": "127.0.0.1", "username": "u", "password": "p", "address": SERVICE_ADDRESS,
        "oversized_folder": "Zu gross"}]})
    assert (config.imap[0].max_bytes, config.imap[0].oversized_folder) == (2 * 1024 * 1024, "Zu gross")
