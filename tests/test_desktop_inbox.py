"""The Inbox in the real desktop window, against a real mail queue and CTI
gateway sharing one CRM: an email over SMTP offered, accepted, read, made
the workspace's contact (identified, with the Action Box), answered with a
template through a real SMTP relay, and Done; a chat from the widget in
Chromium answered from the chat panel."""

from __future__ import annotations

import json
import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest
from desktop_harness import add_person, desks
from gateway_harness import make_gateway
from mail_harness import relay
from mailq_harness import SALES, SERVICE, make_mailq
from PySide6.QtCore import Qt
from sqlalchemy import select

from agent_desktop import crm_access
from agent_desktop.ui.plain import plain_tip
from bus.mailq import PING_SECONDS
from crm.db import Database
from crm.models import Interaction

pytestmark = pytest.mark.slow
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


# A desktop pings the mail queue every PING_SECONDS: a mail queue that counted it gone sooner
# (the harness's 3 s, for bus clients that ping faster) logged it off between two pings, and it
# logged in again, over and over (as the product's 20 s does not).
DESK_SILENCE = 3 * PING_SECONDS


@pytest.fixture
def office(make_gateway, make_mailq, desks, relay):
    """A gateway and a mail queue on one CRM, and a way to open ann's desktop on both."""
    inbox, smtp_relay = relay
    gateway = make_gateway()
    mailq = make_mailq(db_url=gateway.db_url, agents=(), relay_port=smtp_relay.port, silent_seconds=DESK_SILENCE)

    def desk(agent="ann"):
        return desks(gateway)(agent, "sip:nobody@127.0.0.1:9", mailq_commands=mailq.commands,
                              mailq_events=mailq.events, mailq_public_key=mailq.public_key.decode())

    return gateway, mailq, desk, inbox


def send(mailq, sender, subject, body, to=SERVICE):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = f"<{abs(hash(subject))}@example.cn>"
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", mailq.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
    return message


def test_an_email_is_offered_read_worked_answered_and_done_in_the_window(office, qtbot):
    gateway, mailq, open_desk, relay_inbox = office
    partner_id = add_person(gateway.db_url, "陈", "静", emails=["chen.jing@example.cn"])
    desk = open_desk()
    window, mail = desk.window, desk.controller.mail
    page = window.inbox
    qtbot.waitUntil(lambda: mail.desk.connected, timeout=10000)
    qtbot.waitUntil(lambda: page.email_box.isChecked(), timeout=5000)
    window.show_page("inbox")

    first = send(mailq, "Chen Jing <chen.jing@example.cn>", "回复：发票金额不对", "您好，十一月的发票多收了 100 元。")
    qtbot.waitUntil(lambda: page.offers.count() == 1, timeout=10000)
    assert "发票金额不对" in page.offers.item(0).text() and page.offers_box.isVisible()
    qtbot.mouseClick(page.accept_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.view is not None and page.view.subject == "回复：发票金额不对", timeout=10000)
    assert "多收了 100 元" in page.reader.toPlainText()
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=10000)  # my work

    page.work_button.click()  # the email becomes the workspace's contact
    qtbot.waitUntil(lambda: window.header.values["name"].text() == "陈静", timeout=10000)
    contact = desk.controller.bench.contact
    assert contact.channel == "email" and contact.conversation_id == page.view.id
    qtbot.waitUntil(lambda: desk.controller.actions.context is not None
                    and desk.controller.actions.context.partner is not None, timeout=10000)

    page.reply_button.click()
    assert page.composer.isVisible() and page.to.text() == "chen.jing@example.cn"
    assert page.subject.text() == "Re: 发票金额不对"  # one prefix, not "Re: 回复：..."
    page.template.setCurrentIndex(0)
    page.insert_button.click()
    qtbot.waitUntil(lambda: "陈静" in page.body.toPlainText(), timeout=3000)  # rendered with the customer
    page.body.appendPlainText("多收的 100 元会在下月账单中退还。")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(SCREENSHOTS / "desktop_inbox_reply.png"))
    page.send_button.click()
    qtbot.waitUntil(lambda: not page.composer.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: len(relay_inbox.messages) == 1, timeout=15000)
    answer = relay_inbox.messages[0]
    assert answer["Subject"] == "Re: 发票金额不对"
    assert answer["In-Reply-To"] == first["Message-ID"] and "下月账单" in answer.get_content()

    # a follow-up email from the Action Box goes out through the mail queue's relay too,
    # and the Done list follows it to "sent"
    actions = window.action_box
    dialog = actions.open_action("email")
    assert dialog is not None, actions.reason.text()
    dialog.save()
    qtbot.waitUntil(lambda: dialog.result_done is not None, timeout=10000)
    qtbot.waitUntil(lambda: len(relay_inbox.messages) == 2, timeout=15000)
    assert relay_inbox.messages[1]["To"] == "chen.jing@example.cn"
    qtbot.waitUntil(lambda: any(actions.done.item(i).text().endswith("sent") for i in range(actions.done.count())),
                    timeout=10000)

    desk.controller.bench.edit_record(outcome_code="resolved")
    page.done_button.click()
    qtbot.waitUntil(lambda: not mail.desk.work, timeout=10000)
    database = Database.open(gateway.db_url)
    with database.reading() as session:
        record = session.scalar(select(Interaction).where(Interaction.channel == "email"))
        assert (record.partner_id, record.status, record.outcome_code) == (partner_id, "closed", "resolved")
        record_id = record.id
    history = dict(crm_access.interaction_detail(desk.controller.crm, record_id))
    assert "多收了 100 元" in history["messages"] and "下月账单" in history["messages"]  # the thread in the history
    database.dispose()
    qtbot.waitUntil(lambda: any(c.status == "closed" for c in mailq.conversations()), timeout=10000)


def chat_desk(office, qtbot):
    """ann's desktop on the Inbox page, available for chats: (mailq, desk, window, mail, page)."""
    _gateway, mailq, open_desk, _ = office
    desk = open_desk()
    window, mail = desk.window, desk.controller.mail
    page = window.inbox
    qtbot.waitUntil(lambda: mail.desk.connected and page.chat_box.isChecked(), timeout=10000)
    window.show_page("inbox")
    return mailq, desk, window, mail, page


def ask(socket, frame: dict) -> dict:
    """A frame from the chat widget's side of the WebSocket, and the service's answer."""
    socket.send(json.dumps(frame))
    return json.loads(socket.recv(timeout=10))


def test_a_chat_from_the_widget_is_answered_from_the_chat_panel(office, qtbot, browser_page):
    from playwright.sync_api import expect

    mailq, _desk, window, _mail, page = chat_desk(office, qtbot)
    customer = browser_page
    customer.goto(f"http://127.0.0.1:{mailq.chat_port}/chat/?lang=en")
    customer.fill("#name", "Mei Lin")
    customer.fill("#phone", "13800001234")
    customer.click("#start-button")
    customer.fill("#text", "Is my order shipped?")
    customer.press("#text", "Enter")
    expect(customer.locator(".line.pending")).to_have_count(0)

    qtbot.waitUntil(lambda: page.offers.count() == 1, timeout=10000)
    page.accept_button.click()
    qtbot.waitUntil(lambda: len(page.chat_views) == 1, timeout=10000)
    tab = next(iter(page.chat_views.values()))
    qtbot.waitUntil(lambda: "Is my order shipped?" in tab.transcript.toPlainText(), timeout=10000)
    qtbot.keyClicks(tab.input, "Yes, it left our warehouse today.")
    qtbot.keyClick(tab.input, Qt.Key.Key_Return)
    expect(customer.locator(".line.from-agent .bubble")).to_have_text(["Yes, it left our warehouse today."])
    qtbot.waitUntil(lambda: "warehouse" in tab.transcript.toPlainText(), timeout=10000)
    customer.fill("#text", "Thank you!")
    customer.press("#text", "Enter")
    qtbot.waitUntil(lambda: "Thank you!" in tab.transcript.toPlainText(), timeout=10000)
    assert window.grab().save(str(SCREENSHOTS / "desktop_inbox_chat.png"))
    tab.done_button.click()
    expect(customer.locator("#closed")).to_be_visible()


def test_a_chat_tab_shows_that_the_customer_ended_the_chat_and_is_done_as_usual(office, qtbot):
    from websockets.sync.client import connect

    mailq, _desk, window, mail, page = chat_desk(office, qtbot)

    with connect(f"ws://127.0.0.1:{mailq.chat_port}/chat/ws", open_timeout=5) as customer:
        ask(customer, {"type": "hello", "token": None, "name": "Mei Lin", "email": "mei@example.com", "phone": ""})
        assert ask(customer, {"type": "message", "text": "Is my order shipped?", "client_id": "c-1"})["type"] == "ack"
        qtbot.waitUntil(lambda: page.offers.count() == 1, timeout=10000)
        page.accept_button.click()
        qtbot.waitUntil(lambda: len(page.chat_views) == 1, timeout=10000)
        tab = next(iter(page.chat_views.values()))
        qtbot.waitUntil(lambda: "Is my order shipped?" in tab.transcript.toPlainText(), timeout=10000)
        assert tab.input.isEnabled() and tab.input.placeholderText() == "Write to the customer, Enter to send"
        assert tab.transfer_button.isEnabled() and "(Alt+T)" in tab.transfer_button.toolTip()

        assert ask(customer, {"type": "end"}) == {"type": "closed", "by": "customer"}
    qtbot.waitUntil(lambda: not tab.input.isEnabled(), timeout=10000)
    qtbot.waitUntil(lambda: "The customer ended the chat." in tab.transcript.toPlainText(), timeout=10000)
    assert tab.input.placeholderText() == "The customer ended the chat"
    assert not tab.send_button.isEnabled() and not tab.canned.isEnabled()
    assert not tab.transfer_button.isEnabled()  # nobody left to hand it on for
    assert tab.typing.text() == "The customer ended the chat. Add your notes and press Done."
    assert tab.done_button.isEnabled()
    assert [w.conversation_id for w in mail.desk.assigned("chat")] == [tab.conversation_id]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(SCREENSHOTS / "inbox_chat_customer_ended.png"))

    tab.done_button.click()
    qtbot.waitUntil(lambda: not mail.desk.work and not page.chat_views, timeout=10000)
    qtbot.waitUntil(lambda: [c.status for c in mailq.conversations()] == ["closed"], timeout=10000)


def test_a_chat_the_customer_ends_before_it_is_accepted_leaves_the_offers_with_a_notice(office, qtbot):
    from websockets.sync.client import connect

    from agent_desktop.ui.main_window import notice_text

    mailq, desk, _window, mail, page = chat_desk(office, qtbot)
    with connect(f"ws://127.0.0.1:{mailq.chat_port}/chat/ws", open_timeout=5) as customer:
        ask(customer, {"type": "hello", "token": None, "name": "Mei Lin", "email": "mei@example.com", "phone": ""})
        assert ask(customer, {"type": "message", "text": "Hello?", "client_id": "c-1"})["type"] == "ack"
        qtbot.waitUntil(lambda: page.offers.count() == 1, timeout=10000)
        # named by its first line (no page named it), told in the offer once, not as a second new chat
        qtbot.waitUntil(lambda: page.offers.item(0).text().startswith("Chat from Mei Lin: Hello? ("), timeout=10000)
        news = [notice_text(n) for n in desk.controller.bench.notices
                if notice_text(n).startswith("New chat from Mei Lin")]
        assert len(news) == 1, news
        customer.send(json.dumps({"type": "end"}))
        qtbot.waitUntil(lambda: page.offers.count() == 0, timeout=10000)
    said = "The chat from Mei Lin ended before it was accepted: the customer closed it."
    qtbot.waitUntil(lambda: any(notice_text(n) == said for n in desk.controller.bench.notices), timeout=5000)
    assert not page.chat_views and not mail.desk.work


def test_the_selected_offer_stays_selected_when_others_come_in_above_it_or_leave(office, qtbot, monkeypatch):
    import time

    from agent_desktop.ui.main_window import notice_text
    from bus import mailq as bus

    _mailq, desk, _window, mail, page = chat_desk(office, qtbot)

    def offer(cid, customer, seconds_left, channel="chat"):
        work = bus.WorkView(conversation_id=cid, channel=channel, queue="web-chat", state="offered",
                            customer=customer, offer_deadline=time.time() + seconds_left)
        mail._on_event(None, bus.WorkOffered(agent="ann", work=work))  # as the mail link delivers it

    def told(start):
        return [notice_text(n) for n in desk.controller.bench.notices if notice_text(n).startswith(start)]

    def selected():
        return page.offers.currentItem().data(Qt.ItemDataRole.UserRole)

    offer(9001, "Zhao Min", 10)
    offer(9002, "Ouyang Nana", 30, channel="email")  # emails wait longer for an answer than chats
    qtbot.waitUntil(lambda: page.offers.count() == 2, timeout=5000)
    page.offers.setCurrentRow(1)  # the agent picks Ouyang Nana's
    offer(9003, "Li Lei", 20)  # a chat offered now runs out before her email: it goes above
    qtbot.waitUntil(lambda: page.offers.count() == 3, timeout=5000)
    assert "Li Lei" in page.offers.item(1).text()
    assert selected() == 9002  # Accept takes what the agent picked
    mail._on_event(None, bus.WorkWithdrawn(agent="ann", conversation_id=9001, reason="not accepted in time",
                                           cause="not_answered"))
    qtbot.waitUntil(lambda: page.offers.count() == 2, timeout=5000)
    assert selected() == 9002
    # Zhao Min's chat comes back to the only agent free, and runs out again: told once, not each time.
    offer(9001, "Zhao Min", 40)
    mail._on_event(None, bus.WorkWithdrawn(agent="ann", conversation_id=9001, reason="not accepted in time",
                                           cause="not_answered"))
    offer(9001, "Zhao Min", 60)
    qtbot.waitUntil(lambda: page.offers.count() == 3, timeout=5000)
    assert selected() == 9002
    assert len(told("New chat from Zhao Min")) == 1 and len(told("The chat from Zhao Min went back")) == 1
    mail._on_event(None, bus.WorkWithdrawn(agent="ann", conversation_id=9001, reason="not accepted in time",
                                           cause="not_answered"))
    assert len(told("The chat from Zhao Min went back")) == 1
    # Much later (a thread the customer reopened, after it went to a colleague) it is news again.
    monkeypatch.setattr("agent_desktop.mail_news.TOLD_SECONDS", -1.0)
    offer(9001, "Zhao Min", 60)
    qtbot.waitUntil(lambda: len(told("New chat from Zhao Min")) == 2, timeout=5000)
    mail._on_event(None, bus.WorkWithdrawn(agent="ann", conversation_id=9001, reason="taken elsewhere",
                                           cause="other"))
    mail._on_event(None, bus.WorkWithdrawn(agent="ann", conversation_id=9002, reason="taken elsewhere",
                                           cause="other"))
    qtbot.waitUntil(lambda: page.offers.count() == 1, timeout=5000)
    assert selected() == 9003  # the one left
    assert told("New chat from Li Lei") and told("New email from Ouyang Nana")


def test_the_inbox_comes_back_by_itself_after_the_mail_queue_restarts(office, qtbot):
    _gateway, mailq, open_desk, _ = office
    desk = open_desk()
    mail, page = desk.controller.mail, desk.window.inbox
    qtbot.waitUntil(lambda: mail.desk.connected and page.email_box.isChecked(), timeout=10000)
    page.chat_box.setChecked(False)  # the agent's choice survives the restart
    qtbot.waitUntil(lambda: mail.desk.available == {"email": True, "chat": False}, timeout=5000)
    first_run = mail.run
    mailq.restart()
    qtbot.waitUntil(lambda: mail.desk.connected and mail.run not in (None, first_run), timeout=20000)
    # a command after the login puts the agent's choice back: on a busy machine, a restarted mail
    # queue answers its first commands slowly
    qtbot.waitUntil(lambda: mail.desk.available == {"email": True, "chat": False}, timeout=15000)
    send(mailq, "wu@example.cn", "还在吗", "重启之后的邮件")
    qtbot.waitUntil(lambda: page.offers.count() == 1, timeout=10000)


def test_the_inbox_says_in_the_agents_language_when_the_mail_queue_loses_its_database_and_gets_it_back(
        office, qtbot):
    from agent_desktop.mail_desk import BACK_SECONDS
    from agent_desktop.ui import i18n
    from bus import mailq as bus

    _gateway, mailq, open_desk, _ = office
    desk = open_desk()
    mail, page = desk.controller.mail, desk.window.inbox
    qtbot.waitUntil(lambda: mail.desk.connected, timeout=10000)
    assert page.database_notice.isHidden()

    def heartbeat(available: bool) -> None:  # as the mail link delivers it
        mail._on_heartbeat(bus.MailqHeartbeat(run=mail.run, started_at=0.0, database_available=available))

    i18n.install("zh_CN")
    try:
        heartbeat(False)
        assert not page.database_notice.isHidden()
        assert page.database_notice.text().startswith("邮件队列无法连接 CRM 数据库")
        heartbeat(True)
        assert page.database_notice.text() == "邮件队列已重新连接 CRM 数据库，一切恢复正常。"
        i18n.install("en")
        assert page.database_notice.text() == ("The mail queue reaches the CRM database again; everything works "
                                               "as before.")
        mail.desk.database_back_at -= BACK_SECONDS
        qtbot.waitUntil(page.database_notice.isHidden, timeout=3000)
    finally:
        i18n.install("en")


def test_html_mail_shows_its_own_images_holds_back_remote_ones_and_lists_attachments(office, qtbot):
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QUrl
    from PySide6.QtGui import QColor, QImage, QTextDocument

    _gateway, mailq, open_desk, _ = office
    desk = open_desk()
    page = desk.window.inbox
    qtbot.waitUntil(lambda: desk.controller.mail.desk.connected and page.email_box.isChecked(), timeout=10000)
    desk.window.show_page("inbox")
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "shop@example.com", SERVICE, "Your order"
    message.set_content("plain part")
    message.add_alternative('<p onclick="x()">Order <b>42</b><img src="cid:logo"><img src="https://t.example/p.gif">'
                            "<script>alert(1)</script></p>", subtype="html")
    message.get_payload()[1].add_related(bytes(data.data()), "image", "png", cid="<logo>")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="../../invoice.pdf")
    with smtplib.SMTP("127.0.0.1", mailq.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
    qtbot.waitUntil(lambda: page.offers.count() == 1, timeout=10000)
    page.accept_button.click()
    qtbot.waitUntil(lambda: page.view is not None and page.view.subject == "Your order", timeout=10000)
    document = page.reader.document()
    qtbot.waitUntil(lambda: document.resource(QTextDocument.ResourceType.ImageResource,
                                              QUrl("cid:logo")) is not None, timeout=10000)
    assert "alert" not in page.reader.toHtml() and "onclick" not in page.reader.toHtml()
    assert page.images_button.isVisible()  # the tracking pixel waits for the agent
    names = [page.files.item(i).text() for i in range(page.files.count())]
    assert any(n.startswith("invoice.pdf") for n in names)


def test_the_group_inbox_is_read_a_page_at_a_time(office, qtbot, monkeypatch):
    import agent_desktop.ui.inbox_page as inbox_page

    monkeypatch.setattr(inbox_page, "PAGE_ROWS", 2)
    _gateway, mailq, open_desk, _ = office
    for n in range(5):  # to sales@: a pull queue, where mail waits to be taken
        send(mailq, f"c{n}@example.com", f"question {n}", "text", to=SALES)
    desk = open_desk()
    page = desk.window.inbox
    page._limit = 2
    qtbot.waitUntil(lambda: desk.controller.mail.desk.connected, timeout=10000)
    page.lists.setCurrentIndex(1)
    page.refresh()
    qtbot.waitUntil(lambda: page.group_table.rowCount() == 2 and page.more_button.isEnabled(), timeout=10000)
    page.more_button.click()
    qtbot.waitUntil(lambda: page.group_table.rowCount() == 4, timeout=10000)
    page.more_button.click()
    qtbot.waitUntil(lambda: page.group_table.rowCount() == 5 and not page.more_button.isEnabled(), timeout=10000)


def test_an_email_is_transferred_to_a_colleague_from_the_dialog_and_a_transfer_offer_says_from_whom(office, qtbot):
    from bus import mailq as bus

    _gateway, mailq, open_desk, _ = office
    desk = open_desk()
    window, mail = desk.window, desk.controller.mail
    page = window.inbox
    qtbot.waitUntil(lambda: mail.desk.connected and page.email_box.isChecked(), timeout=10000)
    window.show_page("inbox")
    send(mailq, "buyer@example.com", "Quote for 20 routers", "please quote")
    qtbot.waitUntil(lambda: page.offers.count() == 1, timeout=10000)
    page.accept_button.click()
    qtbot.waitUntil(lambda: page.view is not None and page.transfer_button.isEnabled(), timeout=10000)
    cid = page.view.id
    bob = mailq.desktop("bob", channels=("email",))

    qtbot.keyClick(page.reader, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)  # Alt+T, as the tooltip says
    qtbot.waitUntil(lambda: page.transfer_dialog is not None and page.transfer_dialog.isVisible(), timeout=5000)
    dialog = page.transfer_dialog
    qtbot.waitUntil(lambda: dialog.agents.count() == 1, timeout=10000)
    assert [dialog.queues.itemText(i) for i in range(dialog.queues.count())] == ["service", "vip", "sales",
                                                                                "web-chat"]
    assert dialog.agents.itemText(0) == "bob" and dialog.to_agent.isEnabled()
    dialog.to_agent.click()
    qtbot.keyClicks(dialog.note, "customer wants a quote")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert dialog.grab().save(str(SCREENSHOTS / "desktop_inbox_transfer.png"))
    dialog.ok.click()

    offer = bob.wait_for(lambda e: isinstance(e, bus.WorkOffered), 10)
    assert (offer.work.conversation_id, offer.work.transfer_note) == (cid, "customer wants a quote")
    qtbot.waitUntil(lambda: cid not in mail.desk.work and page.view is None, timeout=10000)
    qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=10000)  # no longer in my work
    assert not page.transfer_button.isEnabled()

    bob.accept(cid)  # and back to ann, with a word: her offer says who sends it and why
    bob.transfer(cid, agent="ann", note="price list attached")
    qtbot.waitUntil(lambda: page.offers.count() == 1, timeout=10000)
    assert offer.work.transferred_by == "Ann"
    assert page.offers.item(0).text().endswith("— from Bob: price list attached")
    assert page.offers.item(0).toolTip() == plain_tip("from Bob: price list attached")  # shown as written


def test_signing_out_elsewhere_ends_the_inbox_with_the_reason_in_the_agents_language(make_gateway, make_mailq,
                                                                                       desks, qtbot):
    from agent_desktop.ui import i18n

    gateway = make_gateway()
    mailq = make_mailq(db_url=gateway.db_url, agents=(), account_check_seconds=0.5, silent_seconds=DESK_SILENCE)
    desk = desks(gateway)("ann", "sip:nobody@127.0.0.1:9", mailq_commands=mailq.commands,
                          mailq_events=mailq.events, mailq_public_key=mailq.public_key.decode())
    mail = desk.controller.mail
    qtbot.waitUntil(lambda: mail.desk.connected, timeout=10000)
    i18n.install("zh_CN")
    try:
        mailq.end_sessions("ann", "password_changed")  # her password was changed: every session ends
        qtbot.waitUntil(lambda: not mail.desk.connected, timeout=10000)
        assert mail.desk.connection_error == "您的密码已更改：邮件和在线聊天已停止，请用新密码重新登录。"
        assert mail.session_over and desk.controller.bench.notices[-1].level == "warning"
        qtbot.wait(4000)  # no login again with the ended session
        assert mail.session_over and not mail.desk.connected
        assert "ann" not in mailq.operator().status().agents
    finally:
        i18n.install("en")
