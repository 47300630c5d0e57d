"""A real SMTP listener (aiosmtpd) on 127.0.0.1 for tests: what it receives,
and recipients it can be told to refuse."""

from __future__ import annotations

import email
from email import policy

import ports
import pytest
from aiosmtpd.controller import Controller

from email_queue.outbox import Relay


class Inbox:
    """An aiosmtpd handler keeping what it receives; `answer` refuses recipients."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.answer: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.answer:
            return self.answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A port of this test process's own share, bound later by the server (tests/ports.py)."""
    return ports.free_port()


@pytest.fixture
def relay():
    """(Inbox, Relay) of an SMTP listener running for the test."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, Relay("127.0.0.1", controller.port, timeout=5)
    controller.stop()
