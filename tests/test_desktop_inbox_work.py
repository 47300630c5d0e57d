"""More of the Inbox in the real desktop window against a real mail queue:
several chats at once with canned answers, the lists following the mail
queue's news, delivery results, forward, reply-all, notes, attachments,
filters, Take, and logging off."""

from __future__ import annotations

import pytest
from desktop_harness import desks  # noqa: F401  (fixture)
from gateway_harness import make_gateway  # noqa: F401  (fixture)
from mail_harness import relay  # noqa: F401  (fixture)
from mailq_harness import SALES, SERVICE, make_mailq  # noqa: F401  (fixture)
from PySide6.QtCore import Qt
from test_desktop_inbox import office, send  # noqa: F401  (fixture)
from test_mailq_chat import Customer

pytestmark = pytest.mark.slow


def ready(qtbot, desk, channel="email"):
    page, mail = desk.window.inbox, desk.controller.mail
    box = page.email_box if channel == "email" else page.chat_box
    qtbot.waitUntil(lambda: mail.desk.connected and box.isChecked(), timeout=10000)
    desk.window.show_page("inbox")
    return page, mail


def canned_index(tab, label: str) -> int:
    return next(i for i in range(tab.canned.count()) if tab.canned.itemText(i) == label)


def agent_line(customer) -> str:
    """The next line the customer reads (typing notices skipped)."""
    while (frame := customer.receive())["type"] != "line":
        pass
    return frame["line"]["text"]


def test_a_canned_answer_is_filled_in_with_its_own_chat_when_two_chats_are_open(office, qtbot):
    _gateway, mailq, open_desk, _ = office
    desk = open_desk()
    page, mail = ready(qtbot, desk, "chat")
    customers = {}
    for name, email in (("Mei Lin", "mei@example.com"), ("Wang Fang", "wang@example.com")):
        customer = customers[name] = Customer(mailq)
        customer.start(name=name, email=email)
        assert customer.ask({"type": "message", "text": f"Hi, I am {name}", "client_id": "c-1"})["type"] == "ack"
        qtbot.waitUntil(lambda: page.offers.count() == 1, timeout=10000)
        page.accept_button.click()
        qtbot.waitUntil(lambda: page.offers.count() == 0, timeout=10000)
    qtbot.waitUntil(lambda: len(page.chat_views) == 2, timeout=10000)
    tabs = {tab.chat.customer: tab for tab in page.chat_views.values()}
    mei, wang = tabs["Mei Lin"], tabs["Wang Fang"]

    page.show_chat(mei.conversation_id)
    mail.open(mei.conversation_id)  # Mei's chat is the conversation in the reading pane
    qtbot.waitUntil(lambda: page.view is not None and page.view.id == mei.conversation_id, timeout=10000)
    page.show_chat(wang.conversation_id)  # the agent switches to Wang's tab and answers there
    wang.canned.activated.emit(canned_index(wang, "Greeting"))
    qtbot.waitUntil(lambda: wang.input.text() != "", timeout=10000)
    assert wang.input.text() == "Hello Wang Fang, I am Ann. How can I help you?"
    assert "{{" not in wang.input.text() and mei.input.text() == ""
    qtbot.keyClick(wang.input, Qt.Key.Key_Return)
    assert agent_line(customers["Wang Fang"]) == "Hello Wang Fang, I am Ann. How can I help you?"

    page.show_chat(mei.conversation_id)
    mei.canned.activated.emit(canned_index(mei, "Greeting"))
    qtbot.waitUntil(lambda: mei.input.text() != "", timeout=10000)
    assert mei.input.text() == "Hello Mei Lin, I am Ann. How can I help you?"
    for customer in customers.values():
        customer.close()
