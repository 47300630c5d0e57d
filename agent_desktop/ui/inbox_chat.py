"""The Inbox's chats: a tab per chat the agent works, each with its transcript, the customer
typing, a line to write, canned answers, Transfer and Done."""

from __future__ import annotations

from datetime import datetime
from html import escape

import shiboken6
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from agent_desktop.ui.plain import no_mnemonic, plain_label
from crm.conversation_types import CUSTOMER_ENDED_TEXT, CUSTOMER_LEFT_TEXT


def service_line(text: str) -> str:
    """The mail queue stores the lines it writes into a chat in English, for the
    record; the agent reads them in the desktop's language."""
    if text == CUSTOMER_ENDED_TEXT:
        return QCoreApplication.translate("InboxPage", "The customer ended the chat.")
    if text == CUSTOMER_LEFT_TEXT:
        return QCoreApplication.translate(
            "InboxPage", "The customer left the chat (the page was closed and did not come back).")
    return text


def template_label(label) -> str:
    """A template's label in the desktop's language."""
    from action_box.model import localized
    from agent_desktop.ui import i18n

    return localized(label, i18n.current_language().split("_")[0])


class ChatPanel(QTabWidget):
    """The chat tabs, one per chat of the agent's (MailDesk.chats), with its count of unread lines."""

    def __init__(self, page, showing):
        super().__init__(objectName="inbox_chats")
        self.page, self.desk = page, page.desk
        self.showing = showing  # whether the agent sees the chats now: then a tab on top is read
        self.views: dict[int, ChatTab] = {}
        self.currentChanged.connect(self._tab_changed)

    def sync(self) -> None:
        for cid, chat in self.desk.chats.items():
            if cid not in self.views:
                tab = ChatTab(self.page, cid, chat)
                self.views[cid] = tab
                self.addTab(tab, no_mnemonic(chat.customer or f"#{cid}"))
                tab.update_lines()
        for cid in [c for c in self.views if c not in self.desk.chats]:
            tab = self.views.pop(cid)
            self.removeTab(self.indexOf(tab))
            tab.deleteLater()
        for tab in self.views.values():
            tab.update_state()

    def _tab_changed(self, index: int) -> None:
        tab = self.widget(index)
        if isinstance(tab, ChatTab):
            self.desk.chat_read(tab.conversation_id)

    def chat_changed(self, conversation_id: int) -> None:
        """New lines, the customer typing or leaving: the tab, its state and its badge."""
        tab = self.views.get(conversation_id)
        if tab is not None:
            tab.update_lines()
            tab.update_state()
            self._badge(tab)

    def _badge(self, tab: ChatTab) -> None:
        chat = self.desk.chats.get(tab.conversation_id)
        if chat is None:
            return
        name = no_mnemonic(chat.customer or f"#{tab.conversation_id}")
        index = self.indexOf(tab)
        if self.currentIndex() == index and self.showing():
            self.desk.chat_read(tab.conversation_id)
        self.setTabText(index, f"{name} ({chat.unread})" if chat.unread else name)

    def current_chat(self) -> ChatTab | None:
        tab = self.currentWidget()
        return tab if isinstance(tab, ChatTab) else None


class ChatTab(QWidget):
    """One chat: the transcript, the customer typing, a line to write, canned answers, Done."""

    def __init__(self, page, conversation_id: int, chat):
        super().__init__()
        self.page, self.conversation_id, self.chat = page, conversation_id, chat
        self.transcript = QTextBrowser(objectName=f"chat_transcript_{conversation_id}")
        self.typing = plain_label(objectName="chat_typing")
        self.canned = QComboBox(objectName="chat_canned")
        self.canned.activated.connect(self._canned)
        self.input = QLineEdit(objectName="chat_input")
        self.input.returnPressed.connect(self.send)
        self.input.textEdited.connect(lambda _t: page.mail.chat_typing(conversation_id))
        self.send_button = QPushButton(objectName="chat_send")
        self.send_button.clicked.connect(self.send)
        self.work_button = QPushButton(objectName="chat_work_on")
        self.work_button.clicked.connect(self._work_on)
        self.done_button = QPushButton(objectName="chat_done")
        self.done_button.clicked.connect(self._done)
        self.transfer_button = QPushButton(objectName="chat_transfer")
        self.transfer_button.clicked.connect(lambda: page.transfer(conversation_id, "chat"))
        row = QHBoxLayout()
        row.addWidget(self.canned)
        row.addWidget(self.input, 1)
        row.addWidget(self.send_button)
        actions = QHBoxLayout()
        actions.addWidget(self.work_button)
        actions.addStretch()
        actions.addWidget(self.transfer_button)
        actions.addWidget(self.done_button)
        layout = QVBoxLayout(self)
        layout.addLayout(actions)
        layout.addWidget(self.transcript, 1)
        layout.addWidget(self.typing)
        layout.addLayout(row)
        self.retranslate()

    def retranslate(self) -> None:
        self.send_button.setText(self.tr("Send"))
        self.work_button.setText(self.tr("Work on it"))
        self.done_button.setText(self.tr("Done"))
        self.transfer_button.setText(self.tr("Transfer…"))
        self.transfer_button.setToolTip(self.tr("Hand this chat on to another queue or a colleague (Alt+T)"))
        self.canned.clear()
        self.canned.addItem(self.tr("Canned answer…"), None)
        for template in self.page.mail.templates("chat"):
            self.canned.addItem(template_label(template["label"]), template["body"])
        self.update_state()

    def update_lines(self) -> None:
        html = []
        for line in self.chat.lines:
            align = "right" if line.sender == "agent" else "left"
            color = "#e8f0fe" if line.sender == "agent" else "#f1f3f4" if line.sender == "customer" else "#fff"
            when = datetime.fromtimestamp(line.at).strftime("%H:%M")
            html.append(f"<table width='100%'><tr><td align='{align}'><div style='background:{color};padding:4px'>"
                        f"<b>{escape(line.author)}</b> <small>{when}</small><br>{escape(service_line(line.text))}</div>"
                        "</td></tr></table>")
        self.transcript.setHtml("".join(html))
        bar = self.transcript.verticalScrollBar()
        bar.setValue(bar.maximum())
        self.update_typing()

    def update_typing(self) -> None:
        if self.chat.closed_by == "customer":  # still the agent's work when ended, gone when closed
            self.typing.setText(self.tr("The customer ended the chat. Add your notes and press Done.")
                                if self.conversation_id in self.page.desk.work
                                else self.tr("The customer has left the chat."))
            return
        typing = self.page.desk.typing(self.conversation_id)
        self.typing.setText(self.tr("{customer} is typing…").format(customer=self.chat.customer) if typing else "")

    def update_state(self) -> None:
        closed = self.chat.closed_by is not None
        for widget in (self.input, self.send_button, self.canned):
            widget.setEnabled(not closed)
        self.transfer_button.setEnabled(not closed and self.page._is_assigned(self.conversation_id))
        self.input.setPlaceholderText(self.tr("The customer ended the chat") if self.chat.closed_by == "customer"
                                      else self.tr("Write to the customer, Enter to send"))
        self.update_typing()

    def send(self) -> None:
        text = self.input.text().strip()
        if text:
            self.page.mail.chat_send(self.conversation_id, text)
            self.input.clear()

    def _canned(self, index: int) -> None:
        body = self.canned.itemData(index)
        self.canned.setCurrentIndex(0)
        if body:  # never the raw template: it is filled in with this tab's own chat
            self.page.mail.render_for(self.conversation_id, body, self._insert_rendered)

    def _insert_rendered(self, rendered) -> None:
        if shiboken6.isValid(self.input) and self.input.isEnabled():
            self.input.insert(rendered.text)

    def _work_on(self) -> None:
        view = self.page.view
        if view is not None and view.id == self.conversation_id:
            self.page.mail.work_on(view)
        else:
            self.page.mail.open(self.conversation_id)

    def _done(self) -> None:
        contact = self.page.controller.bench.contact
        if contact is not None and contact.conversation_id == self.conversation_id:
            self.page.controller.end_contact()
        else:
            self.page.mail.done(self.conversation_id)
