"""Customer, email, chat, CRM and bus data is shown as written, never as
markup, anywhere in the desktop.

The CRM and the (simulated) gateway and mail queue are filled with names,
subjects, notes, chat lines, broadcasts and addresses that are HTML; every
page of the window is driven to show them; then every label, tooltip, item
view, text view and dialog of the window is checked: each label is plain
text, and wherever the hostile text shows, it shows with its brackets."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QAbstractListModel, QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtGui import Qt as QtGui
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLabel,
    QTabBar,
    QTextEdit,
    QWidget,
)
from sqlalchemy import update

import factories
from desktop_harness import app_of, log_in_desktop, service_of, url_of  # noqa: F401 - fixture
from agent_desktop.app import Desktop, DesktopSettings
from agent_desktop.ui.tasks import TaskRunner
from agent_desktop.workbench import IdStatus
from bus import cti, mailq
from bus.envelope import EventEnvelope
from crm.models import User
from crm.permissions import Actor
from crm.services import interactions, transactions
from crm.services.conversations import chat_in, email_in, queueing
from crm.services.conversations.queueing import Route
from crm.services.partners import add_relationship
from email_queue.parse import parse_email
from desktop_harness import UNKNOWN_KEY

HOSTILE = '<h1 style="color:red">SUPERVISOR: approve the refund</h1>'
SHORT = "<b>VIP</b>"  # for the CRM's short columns
# What shows of each when Qt renders it as HTML: the words without their tags.
RENDERED = {"SUPERVISOR: approve the refund": "<h1", "VIP": "<b>"}
NOW = 1_800_000_000.0
SYSTEM = Actor.system()
UNREACHABLE = "tcp://127.0.0.1:9"


def route(_facts) -> Route:
    from datetime import timedelta

    return Route("service", 5, timedelta(hours=4))


def fill_the_crm_with_markup(db) -> dict:
    """A customer, his contact person, follow-ups, a record, an email and a chat: all named in HTML."""
    from datetime import UTC, datetime, timedelta

    with db.unit_of_work() as s:
        ann = factories.user(s, "ann")
        factories.user(s, "bob")
        s.execute(update(User).values(display_name=HOSTILE, extension="sip:ann@127.0.0.1:5161"))
        customer = factories.organization(s, name=HOSTILE, phones=["13800138000"],
                                          emails=["li.na@example.cn", f"{SHORT}@example.cn"], city=HOSTILE,
                                          segment=SHORT, value_class="<i>A</i>")
        person = factories.person(s, first=SHORT, last=HOSTILE)
        add_relationship(s, SYSTEM, person.id, customer.id, "contact_person_of", function=SHORT)
        transactions.create_complaint(s, ann, partner_id=customer.id, category="billing", description=HOSTILE)
        start = datetime.now(UTC) + timedelta(hours=1)
        transactions.create_callback(s, ann, partner_id=customer.id, phone="13800138000", window_start=start,
                                     window_end=start + timedelta(hours=2), note=HOSTILE)
        transactions.create_task(s, ann, partner_id=customer.id, subject=HOSTILE, assignee="ann",
                                 description=HOSTILE)
        record = interactions.create_interaction(s, ann, channel="phone", direction="inbound",
                                                 partner_id=customer.id, ani=HOSTILE, queue=SHORT)
        interactions.save_interaction(s, ann, record.id, interactions.InteractionDraft(
            partner_id=customer.id, notes=HOSTILE), close=True)
        raw = (f'From: "{HOSTILE}" <li.na@example.cn>\r\nTo: service@cicada.example\r\n'
               f"Subject: {HOSTILE}\r\nMessage-ID: <m1@example.cn>\r\n\r\n{HOSTILE}\r\n").encode()
        email = email_in.receive_email(s, raw=raw, parsed=parse_email(raw), mailbox="service@cicada.example",
                                       via="smtp", route=route).conversation_id
        queueing.set_assignment(s, email, "assigned", "ann")
        chat = chat_in.open_chat(s, name=HOSTILE, email="li.na@example.cn", phone=None, page=None,
                                 language="en", route=route)
        chat_in.customer_wrote(s, chat.token, HOSTILE, "c-1")
        queueing.set_assignment(s, chat.conversation_id, "assigned", "ann")
    return {"customer": customer.id, "email": email, "chat": chat.conversation_id}


@pytest.fixture
def desk(db, qtbot, tmp_path, app_of):
    ids = fill_the_crm_with_markup(db)
    tasks = TaskRunner()
    settings = DesktopSettings(command_address=UNREACHABLE, event_address=UNREACHABLE,
                               mailq_commands=UNREACHABLE, mailq_events=UNREACHABLE, draft_dir=tmp_path,
                               gateway_public_key=UNKNOWN_KEY, mailq_public_key=UNKNOWN_KEY)
    session = log_in_desktop(app_of(url_of(db)), "ann", tmp_path / "known", factories.PASSWORD)
    desk = Desktop(settings, session, device=None, queues=None,
                   tasks=tasks)
    qtbot.addWidget(desk.window)
    desk.window.show()
    desk.ids, desk.seq = ids, 1
    desk.controller.bench.apply_snapshot(cti.AgentView(
        agent="ann", name=HOSTILE, mode="ready", reason=None, since=NOW, queues=[SHORT], device=None), "run1", 1)
    yield desk
    for widget in QApplication.topLevelWidgets():
        if widget is not desk.window and widget.isVisible():
            widget.close()
    desk.close()
    tasks.shutdown()
    desk.controller.crm.close()  # else the application service waits for its connection at stop


def gateway_says(desk, event) -> None:
    desk.seq += 1
    desk.controller._on_event(EventEnvelope(v=1, run="run1", seq=desk.seq, at=NOW, event=None), event)


def mail_queue_says(desk, event) -> None:
    desk.controller.mail._on_event(None, event)


# --- what the agent sees ---------------------------------------------------------------------------


def rendered(text: str) -> str:
    """What Qt shows of a text it may take as rich text (a tooltip, an AutoText label)."""
    if not QtGui.mightBeRichText(text):
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def markup_shown(shown: str) -> bool:
    """Whether hostile text shows rendered: its words without its tags."""
    return any(words in shown and tag not in shown for words, tag in RENDERED.items())


def columns(model, parent=QModelIndex()) -> int:
    return 1 if isinstance(model, QAbstractListModel) else model.columnCount(parent)


def model_tips(model, parent=QModelIndex()) -> list[str]:
    tips = []
    for row in range(model.rowCount(parent)):
        for column in range(columns(model, parent)):
            index = model.index(row, column, parent)
            tip = model.data(index, Qt.ItemDataRole.ToolTipRole)
            if tip:
                tips.append(tip)
            if not isinstance(model, (QAbstractListModel, QAbstractTableModel)) and model.hasChildren(index):
                tips += model_tips(model, index)
    return tips


def problems_in(top: QWidget) -> list[str]:
    """Every place of `top` where markup would be taken as markup."""
    found = []
    for widget in [top, *top.findChildren(QWidget)]:
        name = f"{type(widget).__name__} {widget.objectName() or ''}".strip()
        if isinstance(widget, QLabel) and widget.text() and widget.textFormat() != Qt.TextFormat.PlainText:
            found.append(f"{name}: a label that is not plain text ({widget.text()[:60]!r})")
        if markup_shown(rendered(widget.toolTip())):
            found.append(f"{name}: tooltip {widget.toolTip()[:60]!r}")
        if isinstance(widget, QAbstractItemView) and widget.model() is not None:
            delegate = type(widget.itemDelegate())  # Qt's own paint text plainly; one of ours might not
            if widget.itemDelegate() is not None and not delegate.__module__.startswith("PySide6"):
                found.append(f"{name}: a delegate of its own, {delegate.__name__}; check it paints plain text")
            found += [f"{name}: item tooltip {tip[:60]!r}" for tip in model_tips(widget.model())
                      if markup_shown(rendered(tip))]
        if isinstance(widget, QTabBar):
            found += [f"{name}: tab tooltip" for i in range(widget.count())
                      if markup_shown(rendered(widget.tabToolTip(i)))]
        if isinstance(widget, QTextEdit) and markup_shown(widget.toPlainText()):
            found.append(f"{name}: {widget.toPlainText()[:80]!r}")
    return found


def shown_texts(top: QWidget) -> list[str]:
    texts = [top.windowTitle()]
    for widget in top.findChildren(QWidget):
        if isinstance(widget, QLabel):
            texts.append(widget.text())
        elif isinstance(widget, QTextEdit):
            texts.append(widget.toPlainText())
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            texts += [str(model.data(model.index(r, c))) for r in range(model.rowCount())
                      for c in range(columns(model))]
    return texts


# --- the test ------------------------------------------------------------------------------------


def test_every_page_shows_hostile_names_notes_and_lines_as_written(desk, qtbot):
    window, controller, bench = desk.window, desk.controller, desk.controller.bench
    gateway_says(desk, cti.CallOffered(call_id="c1", agent="ann", kind="inbound", ani=HOSTILE, dnis=SHORT,
                                       queue=SHORT, waited=3.0, ring_timeout=15))
    qtbot.waitUntil(lambda: bench.contact.identification.status is IdStatus.UNKNOWN, timeout=5000)

    controller.search("13800138000")  # Identify Account: the search finds the customer
    page = window.identify
    qtbot.waitUntil(lambda: page.results_model.rowCount() == 1, timeout=5000)
    controller.confirm_partner(page.results_model.item(0, 0).data(Qt.ItemDataRole.UserRole + 1))
    qtbot.waitUntil(lambda: window.header.values["name"].text() == HOSTILE, timeout=5000)

    qtbot.waitUntil(lambda: window.history.model.rowCount() >= 1, timeout=5000)
    window.show_page("history")
    window.history.table.selectRow(0)
    qtbot.waitUntil(lambda: HOSTILE in window.history.detail.toPlainText(), timeout=5000)

    gateway_says(desk, cti.AgentBroadcast(agent="ann", sender="sue", sender_name=HOSTILE, text=HOSTILE,
                                          sent_at=NOW))
    gateway_says(desk, cti.AgentNotice(agent="ann", level="warning", text=HOSTILE))
    bench.gateway_error("no_such_code", HOSTILE)
    bench.session_held_elsewhere(HOSTILE)  # the banner says why
    controller.takeover_asked.emit(HOSTILE)  # and the question to take the session back

    mail = controller.mail  # Inbox: an offer handed on by a colleague, the chat, the email
    mail_queue_says(desk, mailq.WorkOffered(agent="ann", work=mailq.WorkView(
        conversation_id=desk.ids["email"] + 100, channel="email", queue=SHORT, state="offered", subject=HOSTILE,
        customer=HOSTILE, offer_deadline=time.time() + 60, transferred_by=HOSTILE, transfer_note=HOSTILE)))
    mail_queue_says(desk, mailq.WorkAssigned(agent="ann", work=mailq.WorkView(
        conversation_id=desk.ids["chat"], channel="chat", queue=SHORT, state="assigned", subject=HOSTILE,
        customer=HOSTILE)))
    mail_queue_says(desk, mailq.CustomerTyping(agent="ann", conversation_id=desk.ids["chat"]))
    inbox = window.inbox
    chat = inbox.chat_views[desk.ids["chat"]]
    qtbot.waitUntil(lambda: HOSTILE in chat.transcript.toPlainText(), timeout=5000)
    window.show_page("inbox")
    qtbot.waitUntil(lambda: inbox.table.rowCount() == 2, timeout=5000)
    mail.open(desk.ids["email"])
    qtbot.waitUntil(lambda: inbox.view is not None and inbox.view.id == desk.ids["email"], timeout=5000)
    inbox.composer.compose("reply")
    inbox.transfer(desk.ids["email"], "email")
    inbox.transfer_dialog.set_targets(mailq.TransferTargetsResult(
        queues=[SHORT], agents=[mailq.TransferAgentView(agent=HOSTILE, room={"email": False})]))

    actions = window.action_box  # Action Box: my follow-ups, and one's customer in a window of its own
    qtbot.waitUntil(lambda: actions.follow.count() == 2, timeout=5000)
    actions.follow.setCurrentRow(0)
    partner_window = actions.open_follow_up_partner()
    qtbot.waitUntil(lambda: partner_window.page.view is not None, timeout=5000)
    for item in partner_window.page.items_in("complaint"):
        partner_window.page._open(item)

    for section in ("contact_persons", "interactions", "callback", "complaint"):  # Business Data: the last
        for item in window.business.items_in(section):  # opened stays in its read-only detail
            window.business._open(item)

    windows = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    assert {window, partner_window, inbox.transfer_dialog} <= set(windows) and len(windows) >= 4
    problems = [p for top in windows for p in problems_in(top)]
    assert problems == [], "\n".join(problems)
    shown = [text for top in windows for text in shown_texts(top)]
    window.show_page("record")  # a page draws its contact when the agent turns to it
    for where in (window.identify.status, window.header.values["name"], window.strip.banner, inbox.title,
                  chat.typing, window.record.summary, window.business.detail_title):
        assert HOSTILE in where.text(), where.objectName()
    assert sum(HOSTILE in text for text in shown) >= 20  # what was checked did show the data
    assert any(HOSTILE in text for text in inbox.reader.toPlainText().splitlines())
    assert f"{HOSTILE}" in inbox.chat_tabs.tabText(inbox.chat_tabs.indexOf(chat))


def test_the_login_dialog_welcomes_a_hostile_name_as_written(db, qtbot, app_of, tmp_path):
    from agent_desktop.ui.login_dialog import LoginDialog

    with db.unit_of_work() as s:
        factories.user(s, "ann")
        s.execute(update(User).values(display_name=HOSTILE))
    tasks = TaskRunner()
    try:
        dialog = LoginDialog(service_of(app_of(url_of(db)), tmp_path), tasks, username="ann",
                             password=factories.PASSWORD)
        qtbot.addWidget(dialog)
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
        qtbot.waitUntil(lambda: dialog.session is not None, timeout=10000)
        assert HOSTILE in dialog.message.text() and problems_in(dialog) == []
        dialog.session.crm.close()
    finally:
        tasks.shutdown()


def test_a_plain_tip_shows_its_text_as_written_and_an_ampersand_is_no_shortcut():
    from agent_desktop.ui.plain import no_mnemonic, plain_tip

    assert rendered(plain_tip(HOSTILE)) == HOSTILE
    assert rendered(plain_tip("line one\nline <two>")) == "line one\nline <two>"
    assert plain_tip("") == "" and plain_tip(None) == ""
    assert no_mnemonic("R&D Ltd") == "R&&D Ltd"
