"""More of the Inbox in the real desktop window against a real mail queue:
several chats at once with canned answers, the lists following the mail
queue's news, delivery results, forward, reply-all, notes, attachments,
filters, Take, and logging off."""

from __future__ import annotations

from pathlib import Path

import pytest
from desktop_harness import desks  # noqa: F401  (fixture)
from gateway_harness import make_gateway  # noqa: F401  (fixture)
from mail_harness import relay  # noqa: F401  (fixture)
from mailq_harness import SALES, SERVICE, make_mailq  # noqa: F401  (fixture)
from PySide6.QtCore import Qt
from sqlalchemy import select
from test_desktop_inbox import office, send  # noqa: F401  (fixture)
from test_mailq_chat import Customer

from agent_desktop.workbench import IdStatus

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


def reply_to(mailq, original, body, *, subject=None):
    """The customer writes again in the same thread."""
    import smtplib
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"] = original["From"], SERVICE if original["To"] == SERVICE else original["To"]
    message["Subject"] = subject or f"Re: {original['Subject']}"
    message["In-Reply-To"] = message["References"] = original["Message-ID"]
    message["Message-ID"] = f"<{abs(hash(body))}.again@example.cn>"
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", mailq.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


def customers_in(table) -> list[str]:
    return [table.item(r, 2).text() for r in range(table.rowCount())]


def test_the_lists_follow_new_mail_with_counts_unread_marks_and_a_queue_filter(office, qtbot):
    _gateway, mailq, open_desk, _ = office
    send(mailq, "c1@example.com", "question 1", "text", to=SALES)  # sales@ is a pull queue: the group inbox
    send(mailq, "c2@example.com", "question 2", "text", to=SALES)
    desk = open_desk()
    page, _mail = ready(qtbot, desk)
    qtbot.waitUntil(lambda: page.lists.tabText(1) == "Group inbox (2)", timeout=10000)
    page.lists.setCurrentIndex(1)
    assert page.queue_filter.isVisible()
    qtbot.waitUntil(lambda: page.group_table.rowCount() == 2, timeout=10000)

    third = send(mailq, "c3@example.com", "question 3", "text", to=SALES)  # nobody presses anything
    qtbot.waitUntil(lambda: page.group_table.rowCount() == 3, timeout=10000)
    qtbot.waitUntil(lambda: page.lists.tabText(1) == "Group inbox (3)", timeout=10000)
    labels = [page.queue_filter.itemText(i) for i in range(page.queue_filter.count())]
    assert "sales (3)" in labels and "service (0)" in labels
    page.queue_filter.setCurrentIndex(labels.index("service (0)"))
    qtbot.waitUntil(lambda: page.group_table.rowCount() == 0, timeout=10000)
    page.queue_filter.setCurrentIndex(labels.index("sales (3)"))
    qtbot.waitUntil(lambda: page.group_table.rowCount() == 3, timeout=10000)
    page.channel.setCurrentIndex(page.channel.findData("chat"))  # no chats wait
    qtbot.waitUntil(lambda: page.group_table.rowCount() == 0, timeout=10000)
    page.search.setText("question 2")
    page.channel.setCurrentIndex(page.channel.findData("email"))
    qtbot.waitUntil(lambda: customers_in(page.group_table) == ["c2@example.com"], timeout=10000)
    page.search.clear()
    page.refresh()
    qtbot.waitUntil(lambda: page.group_table.rowCount() == 3, timeout=10000)

    taken = []
    for customer in ("c3@example.com", "c1@example.com"):  # Take from the group inbox
        row = customers_in(page.group_table).index(customer)
        page.group_table.selectRow(row)
        qtbot.waitUntil(lambda customer=customer: page.view is not None and page.view.customer_address == customer,
                        timeout=10000)
        assert page.take_button.isVisible()
        page.take_button.click()
        qtbot.waitUntil(lambda: page.view.status == "assigned" and page.reply_button.isEnabled(), timeout=10000)
        taken.append(page.view.id)
    qtbot.waitUntil(lambda: page.group_table.rowCount() == 1 and page.lists.tabText(1) == "Group inbox (1)",
                    timeout=10000)
    page.lists.setCurrentIndex(0)
    qtbot.waitUntil(lambda: page.table.rowCount() == 2, timeout=10000)

    reply_to(mailq, third, "one more thing: the blue one")  # c3's thread is not the one on screen
    qtbot.waitUntil(lambda: "● c3@example.com" in customers_in(page.table), timeout=10000)
    assert page.lists.tabText(0) == "My work (1 new)"
    row = customers_in(page.table).index("● c3@example.com")
    assert page.table.item(row, 3).font().bold()
    page.table.selectRow(row)  # read: the mark goes
    qtbot.waitUntil(lambda: "the blue one" in page.reader.toPlainText(), timeout=10000)
    qtbot.waitUntil(lambda: "c3@example.com" in customers_in(page.table), timeout=10000)
    assert page.lists.tabText(0) == "My work"

    reply_to(mailq, third, "and in size M please", subject="Re: Re: question 3")  # the thread on screen
    qtbot.waitUntil(lambda: "size M" in page.reader.toPlainText(), timeout=10000)


def test_a_reply_all_with_a_file_that_fails_is_told_listed_closed_and_sent_again_with_retry(
        office, qtbot, tmp_path, monkeypatch):
    import smtplib
    from email.message import EmailMessage

    from PySide6.QtWidgets import QFileDialog

    _gateway, mailq, open_desk, relay_inbox = office
    desk = open_desk()
    page, mail = ready(qtbot, desk)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "li.na@example.cn", SERVICE, "Broken router"
    message["Cc"] = "li.boss@example.cn"
    message["Message-ID"] = "<broken-router@example.cn>"
    message.set_content("It blinks red.")
    with smtplib.SMTP("127.0.0.1", mailq.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
    qtbot.waitUntil(lambda: page.offers.count() == 1, timeout=10000)
    page.accept_button.click()
    qtbot.waitUntil(lambda: page.view is not None and page.reply_all_button.isEnabled(), timeout=10000)
    cid = page.view.id

    relay_inbox.answer = "550 5.1.1 mailbox unavailable"  # the relay refuses it for good
    page.reply_all_button.click()
    assert page.to.text() == "li.na@example.cn" and page.cc.text() == "li.boss@example.cn"
    manual = tmp_path / "manual.pdf"
    manual.write_bytes(b"%PDF-1.4 reset steps")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(manual)], ""))
    page.attach_button.click()
    assert page.attached.text() == "manual.pdf"
    page.body.setPlainText("Please hold the reset button for 10 seconds; the manual is attached.")
    page.send_button.click()
    qtbot.waitUntil(lambda: not page.composer.isVisible(), timeout=10000)

    bench = desk.controller.bench
    qtbot.waitUntil(lambda: any(n.level == "error" and "could not be sent" in n.template for n in bench.notices),
                    timeout=15000)
    notice = next(n for n in bench.notices if "could not be sent" in n.template)
    assert notice.params["to"] == "li.na@example.cn" and "550" in notice.params["error"]
    qtbot.waitUntil(lambda: "failed: 550" in page.reader.toPlainText(), timeout=10000)  # the open conversation
    assert page.retry_button.isVisible()

    page.done_button.click()  # Done: it leaves my open work
    qtbot.waitUntil(lambda: cid not in mail.desk.work and page.view is None, timeout=10000)
    qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=10000)
    page.show_filter.setCurrentIndex(page.show_filter.findData("closed"))
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=10000)
    page.show_filter.setCurrentIndex(page.show_filter.findData("failed"))
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=10000)
    assert page.table.item(0, 3).text() == "Broken router" and page.table.item(0, 5).text() == "done"
    page.table.selectRow(0)
    qtbot.waitUntil(lambda: page.view is not None and page.retry_button.isVisible(), timeout=10000)

    relay_inbox.answer = None  # the relay takes it now
    page.retry_button.click()
    qtbot.waitUntil(lambda: len(relay_inbox.messages) == 1, timeout=15000)
    sent = relay_inbox.messages[0]
    assert sent["To"] == "li.na@example.cn" and sent["Cc"] == "li.boss@example.cn"
    assert sent["In-Reply-To"] == "<broken-router@example.cn>"
    files = [(part.get_filename(), part.get_content()) for part in sent.iter_attachments()]
    assert files == [("manual.pdf", b"%PDF-1.4 reset steps")]
    qtbot.waitUntil(lambda: " · sent" in page.reader.toPlainText(), timeout=10000)
    qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=10000)  # no longer among the failed
    assert not page.retry_button.isVisible()


@pytest.fixture
def image_server():
    """An HTTP server on 127.0.0.1 serving one small PNG, counting who asked for it."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage

    image = QImage(4, 4, QImage.Format.Format_RGB32)
    image.fill(QColor("blue"))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    png, asked = bytes(data.data()), []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()


def test_remote_images_on_request_an_opened_attachment_a_note_and_a_forward_after_a_reply_with_the_files(
        office, qtbot, image_server, monkeypatch):
    import smtplib
    import threading
    from email.message import EmailMessage

    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices, QTextDocument

    from agent_desktop.ui import inbox_reader

    _gateway, mailq, open_desk, relay_inbox = office
    base, asked = image_server
    desk = open_desk()
    page, _mail = ready(qtbot, desk)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "zhao@example.cn", SERVICE, "Water damage"
    message["Message-ID"] = "<water-damage@example.cn>"
    message.set_content("The ceiling leaks, photo attached.")
    message.add_alternative(f'<p>The ceiling leaks.<img src="{base}/ceiling.png"></p>', subtype="html")
    message.add_attachment(b"JPEG-ish photo", maintype="image", subtype="jpeg", filename="ceiling.jpg")
    with smtplib.SMTP("127.0.0.1", mailq.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
    qtbot.waitUntil(lambda: page.offers.count() == 1, timeout=10000)
    page.accept_button.click()
    qtbot.waitUntil(lambda: page.view is not None and page.forward_button.isEnabled(), timeout=10000)

    assert page.images_button.isVisible() and asked == []  # nothing fetched until the agent asks
    fetched_on = []
    fetch = inbox_reader._fetch_images
    monkeypatch.setattr(inbox_reader, "_fetch_images",
                        lambda urls: fetched_on.append(threading.current_thread().name) or fetch(urls))
    qtbot.mouseClick(page.images_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.images_button.isVisible(), timeout=10000)
    assert asked == ["/ceiling.png"]
    assert fetched_on[0].startswith("desktop-remote")  # not on the workers screen pops need
    assert page.reader.document().resource(QTextDocument.ResourceType.ImageResource,
                                           QUrl(f"{base}/ceiling.png")) is not None

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    assert page.open_file_button.isVisible() and page.files.currentItem().text().startswith("ceiling.jpg")
    page.open_file_button.click()
    qtbot.waitUntil(lambda: bool(opened), timeout=10000)
    assert opened[0].endswith("/ceiling.jpg") and Path(opened[0]).read_bytes() == b"JPEG-ish photo"

    page.reply_button.click()
    page.body.setPlainText("We send a plumber tomorrow.")
    page.send_button.click()
    qtbot.waitUntil(lambda: len(relay_inbox.messages) == 1, timeout=15000)

    page.note_button.click()
    assert not page.to.isVisible() and not page.attach_button.isVisible()
    page.body.setPlainText("Plumber booked for 9:00.")
    page.send_button.click()
    qtbot.waitUntil(lambda: "Ann (internal note)" in page.reader.toPlainText(), timeout=10000)
    assert "Plumber booked" in page.reader.toPlainText()

    page.forward_button.click()  # after the agent's own reply: the customer's photo still goes along
    assert page.to.text() == "" and page.subject.text() == "Fwd: Water damage"
    assert "The ceiling leaks, photo attached." in page.body.toPlainText()
    page.to.setText("plumber@partner.example")
    page.body.moveCursor(page.body.textCursor().MoveOperation.Start)
    page.body.insertPlainText("Please go there tomorrow at 9:00.")
    page.send_button.click()
    qtbot.waitUntil(lambda: len(relay_inbox.messages) == 2, timeout=15000)
    forward = relay_inbox.messages[1]
    assert forward["To"] == "plumber@partner.example" and forward["Subject"] == "Fwd: Water damage"
    assert [(p.get_filename(), p.get_content()) for p in forward.iter_attachments()] == [
        ("ceiling.jpg", b"JPEG-ish photo")]
    assert "Plumber booked" not in forward.get_body(("plain",)).get_content()  # notes never leave
    assert len(relay_inbox.messages) == 2


def test_closing_the_desktop_logs_off_the_mail_queue_and_its_work_goes_back_at_once(office, qtbot):
    from bus import mailq as bus

    _gateway, mailq, open_desk, _ = office
    desk = open_desk()
    page, mail = ready(qtbot, desk)
    send(mailq, "sun@example.cn", "Where is my parcel", "It is late.")
    qtbot.waitUntil(lambda: page.offers.count() == 1, timeout=10000)
    page.accept_button.click()
    qtbot.waitUntil(lambda: len(mail.desk.assigned("email")) == 1, timeout=10000)
    cid = mail.desk.assigned("email")[0].conversation_id
    spy = mailq.supervisor("spy", role="administrator")  # watches every agent: what ann's desktop hears

    desk.close()  # the agent closes the window
    withdrawn = spy.wait_for(lambda e: isinstance(e, bus.WorkWithdrawn), 10)
    assert (withdrawn.conversation_id, withdrawn.reason, withdrawn.cause) == (  # not "disconnected" later
        cid, "logged off", "logged_off")
    assert "ann" not in mailq.operator().status().agents


def test_confirming_the_customer_of_an_email_links_the_conversation_and_its_record(office, qtbot):
    from desktop_harness import add_person
    from sqlalchemy import select

    from agent_desktop import crm_access
    from crm.db import Database
    from crm.models import Conversation, Interaction

    gateway, mailq, open_desk, _ = office
    partner_id = add_person(gateway.db_url, "周", "敏")  # not known by the address she writes from
    desk = open_desk()
    page, _mail = ready(qtbot, desk)
    send(mailq, "min.home@example.net", "Contract question", "Which plan am I on?")
    qtbot.waitUntil(lambda: page.offers.count() == 1, timeout=10000)
    page.accept_button.click()
    qtbot.waitUntil(lambda: page.view is not None and page.work_button.isEnabled(), timeout=10000)
    assert page.view.partner_id is None
    page.work_button.click()
    bench = desk.controller.bench
    qtbot.waitUntil(lambda: bench.contact is not None and bench.contact.conversation_id == page.view.id,
                    timeout=10000)
    database = Database.open(gateway.db_url)
    try:
        bench.confirm(crm_access.partner_match(desk.controller.crm, partner_id).partner)

        def linked():
            with database.reading() as session:
                conversation = session.scalar(select(Conversation))
                record = session.get(Interaction, conversation.interaction_id)
                return (conversation.partner_id, record.partner_id) == (partner_id, partner_id)

        qtbot.waitUntil(linked, timeout=10000)
        qtbot.waitUntil(lambda: page.view.partner_id == partner_id, timeout=10000)  # the pane read it again
    finally:
        database.dispose()


@pytest.mark.parametrize("channel", ["email", "chat"])
def test_an_unknown_customer_who_writes_fills_the_new_customer_form_with_what_he_gave(office, qtbot, channel):
    from crm.db import Database
    from crm.models import BusinessPartner, Conversation

    gateway, mailq, open_desk, _ = office
    desk = open_desk()
    page, _mail = ready(qtbot, desk, channel)
    customer = None
    if channel == "email":
        send(mailq, "欧阳娜娜 <nana.oy@example.cn>", "发票抬头", "请把发票抬头改成公司名称。")
    else:
        customer = Customer(mailq)
        customer.ask({"type": "hello", "token": None, "name": "Anna Berg", "email": "anna.berg@example.de",
                      "phone": "+49 30 1234567"})
        customer.ask({"type": "message", "text": "My washing machine leaks.", "client_id": "c-1"})
    try:
        qtbot.waitUntil(lambda: page.offers.count() == 1, timeout=10000)
        page.accept_button.click()
        qtbot.waitUntil(lambda: page.view is not None and page.work_button.isEnabled(), timeout=10000)
        page.work_button.click()
        bench, identify = desk.controller.bench, desk.window.identify
        qtbot.waitUntil(lambda: bench.contact is not None and bench.contact.identification.status is IdStatus.UNKNOWN,
                        timeout=10000)
        desk.window.show_page("identify")  # the agent turns to Identify Account: the page draws the contact
        given = (identify.new_last.text(), identify.new_first.text(), identify.new_email.text(),
                 identify.new_phone.text())
        assert given == ({"email": ("欧阳", "娜娜", "nana.oy@example.cn", ""),
                          "chat": ("Berg", "Anna", "anna.berg@example.de", "+49 30 1234567")}[channel])
        qtbot.mouseClick(identify.new_save, Qt.MouseButton.LeftButton)  # as filled in
        qtbot.waitUntil(lambda: bench.confirmed_partner is not None, timeout=10000)
        name = {"email": "欧阳娜娜", "chat": "Anna Berg"}[channel]
        qtbot.waitUntil(lambda: desk.window.header.values["name"].text() == name, timeout=5000)
        database = Database.open(gateway.db_url)
        try:
            def linked():
                with database.reading() as session:
                    conversation = session.scalar(select(Conversation))
                    return conversation.partner_id == bench.confirmed_partner.partner_id
            qtbot.waitUntil(linked, timeout=10000)
            with database.reading() as session:
                partner = session.get(BusinessPartner, bench.confirmed_partner.partner_id)
                assert [e.address for e in partner.emails] == [given[2]]
                assert [p.raw for p in partner.phones] == ([given[3]] if given[3] else [])
        finally:
            database.dispose()
    finally:
        if customer is not None:
            customer.close()
