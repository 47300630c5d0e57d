"""Inbox: the agent's emails and chats and the group inbox, with due times;
offers to accept or reject; the reading pane (sanitised HTML, remote images
only on request, attachments) with reply, reply-all, forward, templates and
internal notes; a chat panel with a tab per chat. The logic lives in
mail_control and mail_desk; this is the view."""

from __future__ import annotations

import time
import urllib.request
from datetime import UTC, datetime
from html import escape, unescape
from pathlib import Path

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QDesktopServices,
    QImage,
    QKeySequence,
    QShortcut,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from agent_desktop.ui.formatting import date_time
from agent_desktop.ui.plain import no_mnemonic, plain_label, plain_tip
from crm.conversation_types import CUSTOMER_ENDED_TEXT, CUSTOMER_LEFT_TEXT, NewAttachment, answer_subject

PAGE_ROWS = 100
MAX_ROWS = 499  # the service reads at most 500; beyond, the filter narrows the list
MAX_IMAGE_BYTES = 2_000_000
MAX_ATTACHMENT_BYTES = 20_000_000
REFRESH_AFTER_MS = 300  # news from the mail queue comes in bursts: the lists are read again once per burst
TRANSFER_KEYS = "Alt+T"  # one page shortcut for the reading pane's and the current chat's Transfer… (tooltips)
UNREAD_MARK = "●"  # before the customer of a conversation with a message not yet read


def _service_line(text: str) -> str:
    """The mail queue stores the lines it writes into a chat in English, for the
    record; the agent reads them in the desktop's language."""
    if text == CUSTOMER_ENDED_TEXT:
        return QCoreApplication.translate("InboxPage", "The customer ended the chat.")
    if text == CUSTOMER_LEFT_TEXT:
        return QCoreApplication.translate(
            "InboxPage", "The customer left the chat (the page was closed and did not come back).")
    return text


class InboxPage(QWidget):
    def __init__(self, controller, mail, parent=None):
        super().__init__(parent)
        self.controller, self.mail, self.desk = controller, mail, mail.desk
        self.view = None  # the ConversationView on the right
        self.rows: list = []
        self._limit = PAGE_ROWS
        self._request = 0
        self.attachments_to_send: list[NewAttachment] = []
        self._compose_mode = "reply"
        self.transfer_dialog = None  # the last one opened

        self.email_box = QCheckBox(objectName="inbox_email_available")
        self.chat_box = QCheckBox(objectName="inbox_chat_available")
        self.email_box.toggled.connect(lambda on: self.mail.set_available("email", on))
        self.chat_box.toggled.connect(lambda on: self.mail.set_available("chat", on))
        self.state = plain_label(objectName="inbox_state")
        top = QHBoxLayout()
        for widget in (self.email_box, self.chat_box, self.state):
            top.addWidget(widget)
        top.addStretch()
        self.database_notice = plain_label(objectName="inbox_database_notice", wordWrap=True, visible=False)

        self.offers = QListWidget(objectName="inbox_offers")
        self.offers.setMaximumHeight(80)
        self.accept_button = QPushButton(objectName="inbox_accept")
        self.reject_button = QPushButton(objectName="inbox_reject")
        self.accept_button.clicked.connect(self._accept)
        self.reject_button.clicked.connect(self._reject)
        self.offers_box = QGroupBox(objectName="inbox_offers_box", visible=False)
        offer_row = QHBoxLayout(self.offers_box)
        offer_row.addWidget(self.offers, 1)
        offer_buttons = QVBoxLayout()
        offer_buttons.addWidget(self.accept_button)
        offer_buttons.addWidget(self.reject_button)
        offer_row.addLayout(offer_buttons)

        self.lists = QTabWidget(objectName="inbox_lists")
        self.table = self._table("inbox_mine")
        self.group_table = self._table("inbox_group")
        self.lists.addTab(self.table, "")
        self.lists.addTab(self.group_table, "")
        self.lists.currentChanged.connect(self._list_changed)
        self.channel = QComboBox(objectName="inbox_channel")
        self.channel.currentIndexChanged.connect(lambda _i: self.refresh())
        self.queue_filter = QComboBox(objectName="inbox_queue", visible=False)  # the group inbox's queues
        self.queue_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.show_filter = QComboBox(objectName="inbox_show")  # my work: open, failed deliveries, recently closed
        self.show_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.queue_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.search = QLineEdit(objectName="inbox_search", clearButtonEnabled=True)
        self.search.returnPressed.connect(self.refresh)
        self.more_button = QPushButton(objectName="inbox_more")
        self.more_button.clicked.connect(lambda: self.refresh(more=True))
        filters = QHBoxLayout()
        filters.addWidget(self.channel)
        filters.addWidget(self.show_filter)
        filters.addWidget(self.queue_filter)
        filters.addWidget(self.search, 1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.lists, 1)
        left_layout.addWidget(self.more_button)

        self.right = QStackedWidget(objectName="inbox_right")
        self.right.addWidget(self._build_reader())
        self.right.addWidget(self._build_chats())

        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.right)
        split.setSizes([430, 650])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.database_notice)
        layout.addWidget(self.offers_box)
        layout.addWidget(split, 1)

        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self._send_current)
        QShortcut(QKeySequence(TRANSFER_KEYS), self, activated=self._transfer_current)
        self._show_conversation(None)
        self.desk.subscribe(self._desk_changed)
        mail.inbox_loaded.connect(self._inbox_loaded)
        mail.lists_stale.connect(self.refresh)
        mail.conversation_loaded.connect(self._show_conversation)
        mail.failed.connect(self._failed)
        self._refresh_soon = QTimer(self, singleShot=True, interval=REFRESH_AFTER_MS)
        self._refresh_soon.timeout.connect(lambda: self.isVisible() and self.refresh())
        self._ticker = QTimer(self, interval=1000)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()
        self.retranslate()

    # --- construction ---------------------------------------------------------------------------

    def _table(self, name: str) -> QTableWidget:
        table = QTableWidget(0, 6, objectName=name)
        table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.horizontalHeader().setStretchLastSection(True)
        table.itemSelectionChanged.connect(lambda: self._selected(table))
        return table

    def _build_reader(self) -> QWidget:
        self.title = plain_label(objectName="inbox_title", wordWrap=True)
        self.title.setStyleSheet("font-weight: bold")
        self.reader = QTextBrowser(objectName="inbox_reader", openExternalLinks=False, openLinks=False)
        self.images_button = QPushButton(objectName="inbox_load_images", visible=False)
        self.images_button.clicked.connect(self._load_images)
        self.files = QListWidget(objectName="inbox_attachments")
        self.files.setMaximumHeight(70)
        self.files.itemActivated.connect(self._open_attachment)
        self.open_file_button = QPushButton(objectName="inbox_open_attachment")
        self.open_file_button.clicked.connect(lambda: self.files.currentItem() and
                                              self._open_attachment(self.files.currentItem()))
        self.save_file_button = QPushButton(objectName="inbox_save_attachment")
        self.save_file_button.clicked.connect(lambda: self.files.currentItem() and
                                              self._save_attachment(self.files.currentItem()))
        self.work_button = QPushButton(objectName="inbox_work_on")
        self.take_button = QPushButton(objectName="inbox_take")
        self.reply_button = QPushButton(objectName="inbox_reply")
        self.reply_all_button = QPushButton(objectName="inbox_reply_all")
        self.forward_button = QPushButton(objectName="inbox_forward")
        self.note_button = QPushButton(objectName="inbox_note")
        self.done_button = QPushButton(objectName="inbox_done")
        self.transfer_button = QPushButton(objectName="inbox_transfer")
        self.retry_button = QPushButton(objectName="inbox_retry", visible=False)
        self.retry_button.clicked.connect(self._retry)
        self.transfer_button.clicked.connect(lambda: self.view and self.transfer(self.view.id, self.view.channel))
        self.work_button.clicked.connect(lambda: self.view and self.mail.work_on(self.view))
        self.take_button.clicked.connect(lambda: self.view and self.mail.pull(self.view.id))
        self.reply_button.clicked.connect(lambda: self._compose("reply"))
        self.reply_all_button.clicked.connect(lambda: self._compose("reply_all"))
        self.forward_button.clicked.connect(lambda: self._compose("forward"))
        self.note_button.clicked.connect(lambda: self._compose("note"))
        self.done_button.clicked.connect(self._done)
        buttons = QHBoxLayout()
        for button in (self.work_button, self.take_button, self.reply_button, self.reply_all_button,
                       self.forward_button, self.note_button, self.transfer_button, self.retry_button,
                       self.done_button):
            buttons.addWidget(button)
        buttons.addStretch()

        self.composer = QGroupBox(objectName="inbox_composer", visible=False)
        self.to = QLineEdit(objectName="inbox_to")
        self.cc = QLineEdit(objectName="inbox_cc")
        self.subject = QLineEdit(objectName="inbox_subject")
        self.template = QComboBox(objectName="inbox_template")
        self.insert_button = QPushButton(objectName="inbox_insert")
        self.insert_button.clicked.connect(lambda: self._insert_template(self.template, self.body.insertPlainText))
        self.body = QPlainTextEdit(objectName="inbox_body")
        self.attach_button = QPushButton(objectName="inbox_attach")
        self.attach_button.clicked.connect(self._attach)
        self.attached = plain_label(objectName="inbox_attached", wordWrap=True)
        self.send_button = QPushButton(objectName="inbox_send")
        self.send_button.clicked.connect(self._send)
        self.cancel_button = QPushButton(objectName="inbox_cancel")
        self.cancel_button.clicked.connect(lambda: self.composer.hide())
        self.compose_error = plain_label(objectName="inbox_compose_error", wordWrap=True)
        self.compose_error.setStyleSheet("color: #b00020")
        form = QFormLayout(self.composer)
        self.to_label, self.cc_label, self.subject_label, self.template_label = (plain_label() for _ in range(4))
        form.addRow(self.to_label, self.to)
        form.addRow(self.cc_label, self.cc)
        form.addRow(self.subject_label, self.subject)
        template_row = QHBoxLayout()
        template_row.addWidget(self.template, 1)
        template_row.addWidget(self.insert_button)
        form.addRow(self.template_label, template_row)
        form.addRow(self.body)
        send_row = QHBoxLayout()
        send_row.addWidget(self.attach_button)
        send_row.addWidget(self.attached, 1)
        send_row.addWidget(self.cancel_button)
        send_row.addWidget(self.send_button)
        form.addRow(send_row)
        form.addRow(self.compose_error)

        pane = QWidget()
        layout = QVBoxLayout(pane)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(buttons)
        layout.addWidget(self.reader, 2)
        layout.addWidget(self.images_button)
        files = QHBoxLayout()
        files.addWidget(self.files, 1)
        file_buttons = QVBoxLayout()
        file_buttons.addWidget(self.open_file_button)
        file_buttons.addWidget(self.save_file_button)
        file_buttons.addStretch()
        files.addLayout(file_buttons)
        layout.addLayout(files)
        layout.addWidget(self.composer, 2)
        return pane

    def _build_chats(self) -> QWidget:
        self.chat_tabs = QTabWidget(objectName="inbox_chats")
        self.chat_tabs.currentChanged.connect(self._chat_tab_changed)
        self.chat_views: dict[int, ChatTab] = {}
        return self.chat_tabs

    # --- texts ----------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.email_box.setText(self.tr("Available for email"))
        self.chat_box.setText(self.tr("Available for chat"))
        self.offers_box.setTitle(self.tr("Offered to you"))
        self.accept_button.setText(self.tr("Accept"))
        self.accept_button.setToolTip(self.tr("Accept the selected offer (Alt+A)"))
        self.accept_button.setShortcut(QKeySequence("Alt+A"))
        self.reject_button.setText(self.tr("Reject"))
        self.reject_button.setToolTip(self.tr("Give the selected offer to a colleague (Alt+J)"))
        self.reject_button.setShortcut(QKeySequence("Alt+J"))
        self._show_counts()
        current = self.channel.currentIndex()
        self.channel.blockSignals(True)
        self.channel.clear()
        for label, value in ((self.tr("All channels"), None), (self.tr("Email"), "email"), (self.tr("Chat"), "chat")):
            self.channel.addItem(label, value)
        self.channel.setCurrentIndex(max(0, current))
        self.channel.blockSignals(False)
        current = self.show_filter.currentIndex()
        self.show_filter.blockSignals(True)
        self.show_filter.clear()
        for label, value in ((self.tr("Open work"), None), (self.tr("Failed deliveries"), "failed"),
                             (self.tr("Recently closed"), "closed")):
            self.show_filter.addItem(label, value)
        self.show_filter.setCurrentIndex(max(0, current))
        self.show_filter.blockSignals(False)
        self.show_filter.setToolTip(self.tr("Your open work, conversations with an email that could not be sent, "
                                            "or those closed in the last week"))
        self.search.setPlaceholderText(self.tr("Search subject or customer, Enter to filter"))
        self.more_button.setText(self.tr("Load more"))
        headers = [self.tr("Due"), self.tr("Channel"), self.tr("Customer"), self.tr("Subject"), self.tr("Queue"),
                   self.tr("Status")]
        for table in (self.table, self.group_table):
            table.setHorizontalHeaderLabels(headers)
        self.images_button.setText(self.tr("Load remote images"))
        self.open_file_button.setText(self.tr("Open"))
        self.open_file_button.setToolTip(self.tr("Open the selected attachment with its program"))
        self.save_file_button.setText(self.tr("Save…"))
        for button, text in ((self.work_button, self.tr("Work on it")), (self.take_button, self.tr("Take")),
                             (self.reply_button, self.tr("Reply")), (self.reply_all_button, self.tr("Reply all")),
                             (self.forward_button, self.tr("Forward")), (self.note_button, self.tr("Note")),
                             (self.transfer_button, self.tr("Transfer…")), (self.done_button, self.tr("Done"))):
            button.setText(text)
        self.transfer_button.setToolTip(self.tr("Hand this on to another queue or a colleague (Alt+T)"))
        self.retry_button.setText(self.tr("Retry"))
        self.retry_button.setToolTip(self.tr("Send the emails of this conversation that failed again"))
        self.work_button.setToolTip(self.tr("Make this the contact in the workspace: identify the customer, "
                                            "business data, scripts and the Action Box"))
        self.to_label.setText(self.tr("To"))
        self.cc_label.setText(self.tr("Cc"))
        self.subject_label.setText(self.tr("Subject"))
        self.template_label.setText(self.tr("Template"))
        self.insert_button.setText(self.tr("Insert"))
        self.attach_button.setText(self.tr("Attach…"))
        self.send_button.setText(self.tr("Send"))
        self.send_button.setToolTip(self.tr("Send (Ctrl+Enter)"))
        self.cancel_button.setText(self.tr("Cancel"))
        for tab in self.chat_views.values():
            tab.retranslate()
        self._desk_changed("seat")
        self._show_database_notice()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def showEvent(self, event) -> None:
        self.refresh()
        super().showEvent(event)

    # --- the lists ---------------------------------------------------------------------------------

    def refresh(self, more: bool = False) -> None:
        """Read the list again; `more` shows another page below what is shown."""
        which = "mine" if self.lists.currentIndex() == 0 else "group"
        if more:
            self._limit = min(self._limit + PAGE_ROWS, MAX_ROWS)
        self._request += 1  # answers to earlier requests, arriving late, are dropped
        self.mail.load_inbox(which, channel=self.channel.currentData(), text=self.search.text().strip(),
                             queue=self.queue_filter.currentData() if which == "group" else None,
                             only=self.show_filter.currentData() if which == "mine" else None,
                             limit=self._limit + 1, request=self._request)  # one more: is there another page?

    def _list_changed(self, index: int) -> None:
        self.queue_filter.setVisible(index == 1)
        self.show_filter.setVisible(index == 0)
        self.refresh()

    def _show_counts(self) -> None:
        """The group inbox's tab and queue filter say how much waits; my work, how much is new."""
        desk = self.desk
        unread = len(desk.new_mail) + sum(1 for chat in desk.chats.values() if chat.unread)
        self.lists.setTabText(0, self.tr("My work ({count} new)").format(count=unread) if unread
                              else self.tr("My work"))
        waiting = desk.waiting()
        self.lists.setTabText(1, self.tr("Group inbox ({count})").format(count=waiting) if desk.queue_sizes
                              else self.tr("Group inbox"))
        choices = [(self.tr("All my queues"), None)] + [
            (self.tr("{queue} ({count})").format(queue=queue, count=desk.waiting(queue)), queue)
            for queue in desk.queues]
        shown = [(self.queue_filter.itemText(i), self.queue_filter.itemData(i))
                 for i in range(self.queue_filter.count())]
        if choices == shown:
            return  # rebuilt only when a count changed: an open drop-down stays open
        chosen = self.queue_filter.currentData()
        self.queue_filter.blockSignals(True)
        self.queue_filter.clear()
        for label, queue in choices:
            self.queue_filter.addItem(label, queue)
        self.queue_filter.setCurrentIndex(max(0, self.queue_filter.findData(chosen)))
        self.queue_filter.blockSignals(False)

    def _inbox_loaded(self, which: str, rows, request: int) -> None:
        if request != self._request:
            return
        table = self.table if which == "mine" else self.group_table
        if isinstance(rows, str):
            self.state.setText(self.tr("The inbox could not be read: {error}").format(error=rows))
            return
        rows = list(rows)
        self.more_button.setEnabled(len(rows) > self._limit)
        self.rows = rows[:self._limit]
        # Read again as news comes: the rebuild must not open another conversation under the agent's eyes.
        table.blockSignals(True)
        table.clearSelection()
        table.setRowCount(len(self.rows))
        now = datetime.now(UTC).replace(tzinfo=None)
        for r, row in enumerate(self.rows):
            due = date_time(row.due_at) if row.due_at else ""
            cells = [due, self.tr("Email") if row.channel == "email" else self.tr("Chat"), row.customer,
                     row.subject, row.queue, self._status_text(row.status)]
            unread = row.conversation_id in self.desk.new_mail
            if unread:
                cells[2] = f"{UNREAD_MARK} {cells[2]}"
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, row.conversation_id)
                if unread:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                    item.setToolTip(self.tr("A new message you have not read yet"))
                if c == 0 and row.due_at and row.due_at < now and row.first_response_at is None:
                    item.setForeground(Qt.GlobalColor.red)
                    item.setToolTip(self.tr("The first answer is overdue"))
                table.setItem(r, c, item)
            if self.view is not None and row.conversation_id == self.view.id:
                table.selectRow(r)
        table.blockSignals(False)
        table.resizeColumnsToContents()

    def _status_text(self, status: str) -> str:
        return {"queued": self.tr("waiting"), "offered": self.tr("offered"), "assigned": self.tr("yours"),
                "closed": self.tr("done")}.get(status, status)

    def _selected(self, table: QTableWidget) -> None:
        items = table.selectedItems()
        if items:
            self.mail.open(items[0].data(Qt.ItemDataRole.UserRole))

    # --- the mail queue's state ------------------------------------------------------------------------

    def _desk_changed(self, what: str) -> None:
        desk = self.desk
        if what in ("seat", "connection", "work", "queue"):
            for box, channel in ((self.email_box, "email"), (self.chat_box, "chat")):
                box.blockSignals(True)
                box.setChecked(desk.available.get(channel, False))
                box.blockSignals(False)
            if desk.connected:
                self.state.setText(self.tr("Emails {emails}/{email_capacity} · chats {chats}/{chat_capacity}").format(
                    emails=desk.load("email"), email_capacity=desk.capacity.get("email", 0),
                    chats=desk.load("chat"), chat_capacity=desk.capacity.get("chat", 0)))
            else:
                self.state.setText(self.tr("Not connected to the mail queue: {why}").format(
                    why=desk.connection_error or "…"))
            self._show_offers()
            self._sync_chat_tabs()
            self._show_counts()
            if what == "work" or (what == "queue" and self.lists.currentIndex() == 1):
                self._refresh_soon.start()
        elif what == "database":
            self._show_database_notice()
        elif what.startswith("delivery:"):
            self._refresh_soon.start()
        elif what.startswith("message:"):  # a customer wrote again, or the agent read it
            self._show_counts()
            self._refresh_soon.start()
        elif what.startswith("chat:"):
            tab = self.chat_views.get(int(what.split(":", 1)[1]))
            if tab is not None:
                tab.update_lines()
                tab.update_state()
                self._badge(tab)
            self._show_counts()

    def _show_offers(self) -> None:
        offers = self.desk.offers()
        current = self.offers.currentItem()
        # The selection follows the offer, not its row: Accept must take what the agent
        # picked even when another offer left or came in above it.
        selected = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        self.offers.clear()
        for work in offers:
            item = QListWidgetItem(self._offer_text(work))
            item.setData(Qt.ItemDataRole.UserRole, work.conversation_id)
            item.setToolTip(plain_tip(self._transfer_text(work)))
            self.offers.addItem(item)
        self.offers_box.setVisible(bool(offers))
        if offers:
            ids = [work.conversation_id for work in offers]
            self.offers.setCurrentRow(ids.index(selected) if selected in ids else 0)

    def _offer_text(self, work) -> str:
        left = max(0, int((work.offer_deadline or 0) - time.time()))
        channel = self.tr("Email") if work.channel == "email" else self.tr("Chat")
        text = self.tr("{channel} from {customer}: {subject} ({seconds} s)").format(
            channel=channel, customer=work.customer, subject=work.subject or "—", seconds=left)
        transfer = self._transfer_text(work)
        return f"{text} — {transfer}" if transfer else text

    def _transfer_text(self, work) -> str:
        """Who handed this offer on, and why: "from Ann: wants a quote"."""
        if not work.transferred_by:
            return ""
        if work.transfer_note:
            return self.tr("from {agent}: {note}").format(agent=work.transferred_by, note=work.transfer_note)
        return self.tr("from {agent}").format(agent=work.transferred_by)

    def _show_database_notice(self) -> None:
        """Whether the mail queue reaches the CRM database: a warning while it does not, a word when it is back."""
        news = self.desk.database_news()
        self.database_notice.setVisible(news is not None)
        if news == "unavailable":
            self.database_notice.setText(self.tr(
                "The mail queue cannot reach the CRM database: new emails and chats wait, and replies, chat "
                "messages and Done fail until it is back. Your offers and work stay yours."))
            self.database_notice.setStyleSheet("background: #fff3cd; color: #664d03; padding: 4px")
        elif news == "back":
            self.database_notice.setText(self.tr("The mail queue reaches the CRM database again; everything works "
                                                 "as before."))
            self.database_notice.setStyleSheet("background: #d1e7dd; color: #0f5132; padding: 4px")

    def _tick(self) -> None:
        if self.database_notice.isVisible() and self.desk.database_news() is None:
            self.database_notice.hide()
        for row in range(self.offers.count()):
            item = self.offers.item(row)
            work = self.desk.work.get(item.data(Qt.ItemDataRole.UserRole))
            if work is not None:
                item.setText(self._offer_text(work))
        for tab in self.chat_views.values():
            tab.update_typing()

    def _offer_id(self) -> int | None:
        item = self.offers.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _accept(self) -> None:
        cid = self._offer_id()
        if cid is not None:
            self.mail.accept(cid)

    def _reject(self) -> None:
        cid = self._offer_id()
        if cid is not None:
            self.mail.reject(cid)

    # --- transfer ------------------------------------------------------------------------------------

    def _is_assigned(self, conversation_id: int) -> bool:
        work = self.desk.work.get(conversation_id)
        return work is not None and work.state == "assigned"

    def _transfer_current(self) -> None:
        """Alt+T: the chat on top when the chat panel shows, else the conversation in the reading pane."""
        if self.right.currentIndex() == 1 and isinstance(self.chat_tabs.currentWidget(), ChatTab):
            tab = self.chat_tabs.currentWidget()
            if tab.transfer_button.isEnabled():
                self.transfer(tab.conversation_id, "chat")
        elif self.view is not None and self.transfer_button.isEnabled():
            self.transfer(self.view.id, self.view.channel)

    def transfer(self, conversation_id: int, channel: str) -> None:
        """Ask where to (the targets come from the mail queue meanwhile), then hand it on.
        The dialog is window-modal without a nested event loop: events keep coming."""
        from agent_desktop.ui.transfer_dialog import TransferDialog

        dialog = self.transfer_dialog = TransferDialog(channel, self)

        def while_open(show):  # the answer may come after the agent closed the dialog
            return lambda answer: shiboken6.isValid(dialog) and dialog.isVisible() and show(answer)

        self.mail.transfer_targets(on_done=while_open(dialog.set_targets), on_error=while_open(dialog.show_error))
        dialog.accepted.connect(lambda: self._send_transfer(conversation_id, dialog.choice()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _send_transfer(self, conversation_id: int, choice: dict) -> None:
        self.state.setText(self.tr("Transferring…"))
        self.mail.transfer(conversation_id, **choice)

    # --- chats ---------------------------------------------------------------------------------------

    def _sync_chat_tabs(self) -> None:
        for cid, chat in self.desk.chats.items():
            if cid not in self.chat_views:
                tab = ChatTab(self, cid, chat)
                self.chat_views[cid] = tab
                self.chat_tabs.addTab(tab, no_mnemonic(chat.customer or f"#{cid}"))
                tab.update_lines()
        for cid in [c for c in self.chat_views if c not in self.desk.chats]:
            tab = self.chat_views.pop(cid)
            self.chat_tabs.removeTab(self.chat_tabs.indexOf(tab))
            tab.deleteLater()
        for tab in self.chat_views.values():
            tab.update_state()

    def _chat_tab_changed(self, index: int) -> None:
        tab = self.chat_tabs.widget(index)
        if isinstance(tab, ChatTab):
            self.desk.chat_read(tab.conversation_id)

    def _badge(self, tab: ChatTab) -> None:
        chat = self.desk.chats.get(tab.conversation_id)
        if chat is None:
            return
        name = no_mnemonic(chat.customer or f"#{tab.conversation_id}")
        index = self.chat_tabs.indexOf(tab)
        if self.chat_tabs.currentIndex() == index and self.right.currentIndex() == 1 and self.isVisible():
            self.desk.chat_read(tab.conversation_id)
        self.chat_tabs.setTabText(index, f"{name} ({chat.unread})" if chat.unread else name)

    def show_chat(self, conversation_id: int) -> None:
        tab = self.chat_views.get(conversation_id)
        if tab is not None:
            self.right.setCurrentIndex(1)
            self.chat_tabs.setCurrentWidget(tab)
            tab.input.setFocus()

    # --- the reading pane ------------------------------------------------------------------------

    def _show_conversation(self, view) -> None:
        if isinstance(view, str):
            self.title.setText(view)
            return
        self.view = view
        if view is None:
            self.title.clear()
            self.reader.clear()
            self.files.clear()
            self.composer.hide()
            for button in self._reader_buttons():
                button.setEnabled(False)
            self.retry_button.hide()
            for widget in (self.files, self.open_file_button, self.save_file_button):
                widget.hide()
            return
        if view.channel == "chat" and view.id in self.chat_views:
            self.show_chat(view.id)
        else:
            self.right.setCurrentIndex(0)
        mine = view.assigned_to == self.controller.profile.username and view.status != "closed"
        self.title.setText(f"{view.subject or '—'} · {view.customer_name or ''} <{view.customer_address or ''}>")
        self.take_button.setVisible(view.status == "queued")
        self.take_button.setEnabled(True)
        self.note_button.setEnabled(True)
        for button in (self.work_button, self.reply_button, self.reply_all_button, self.forward_button,
                       self.done_button):
            button.setEnabled(mine)
        self.transfer_button.setEnabled(mine)
        for button in (self.reply_button, self.reply_all_button, self.forward_button):
            button.setVisible(view.channel == "email")
        self.retry_button.setVisible(any(m.delivery == "failed" for m in view.messages))
        self.retry_button.setEnabled(True)
        self.reader.setHtml(self._thread_html(view, remote=False))
        self.images_button.setVisible(any(m.has_remote_images for m in view.messages))
        self.files.clear()
        for message in view.messages:
            for attachment in message.attachments:
                item = QListWidgetItem(f"{attachment.filename} ({attachment.size // 1024 + 1} KB)")
                item.setData(Qt.ItemDataRole.UserRole, attachment.id)
                item.setToolTip(self.tr("Double-click or Enter to open"))
                self.files.addItem(item)
        for widget in (self.files, self.open_file_button, self.save_file_button):
            widget.setVisible(self.files.count() > 0)
        if self.files.count():
            self.files.setCurrentRow(0)
        self._load_inline_images(view)

    def _load_inline_images(self, view) -> None:
        """Images the mail itself carries (cid:), shown in place: they reveal nothing to a sender."""
        from agent_desktop import crm_access

        wanted = [a for m in view.messages for a in m.attachments
                  if a.content_id and a.content_type.startswith("image/") and a.size <= MAX_IMAGE_BYTES]

        def loaded(found: list) -> None:
            if self.view is not view:
                return
            for content_id, (_name, _type, content) in found:
                image = QImage.fromData(content)
                if not image.isNull():
                    self.reader.document().addResource(QTextDocument.ResourceType.ImageResource,
                                                       QUrl(f"cid:{content_id}"), image)
            self.reader.setHtml(self._thread_html(view, remote=False))

        def fetch() -> list:
            return [(a.content_id, crm_access.attachment(self.controller.crm, a.id))
                    for a in wanted[:20]]

        if wanted:
            self.controller.tasks.run(fetch, on_done=loaded, on_error=lambda exc: self._failed(str(exc)))

    def _reader_buttons(self) -> tuple[QPushButton, ...]:
        return (self.work_button, self.take_button, self.reply_button, self.reply_all_button, self.forward_button,
                self.note_button, self.transfer_button, self.done_button)

    def _thread_html(self, view, *, remote: bool) -> str:
        from email_queue.parse import show_remote_images

        blocks = []
        for m in view.messages:
            who = {"inbound": m.author or m.sender or "", "outbound": self.tr("{agent} (answer)").format(
                agent=m.author), "note": self.tr("{agent} (internal note)").format(agent=m.author)}.get(
                m.kind, m.author)
            delivery = ""
            if m.delivery:
                delivery = " · " + {"queued": self.tr("waiting to be sent"), "sent": self.tr("sent"),
                                    "failed": self.tr("failed: {error}").format(error=m.delivery_error or "")}.get(
                    m.delivery, m.delivery)
            style = "background:#fff8dc;" if m.kind == "note" else "background:#eef5ff;" if m.kind == "outbound" else ""
            body = (show_remote_images(m.html) if remote else m.html) if m.html else \
                f"<pre style='white-space:pre-wrap;font-family:inherit'>{escape(_service_line(m.text))}</pre>"
            warn = f"<p style='color:#a15c00'>{escape(m.defects)}</p>" if m.defects else ""
            blocks.append(f"<div style='{style}padding:6px;margin-bottom:8px'><p><b>{escape(who)}</b> · "
                          f"{escape(date_time(m.at))}{escape(delivery)}</p>{warn}{body}</div>")
        return "<hr>".join(blocks)

    def _load_images(self) -> None:
        view = self.view
        if view is None:
            return
        import re

        from email_queue.parse import show_remote_images

        urls = sorted({unescape(u) for m in view.messages if m.html
                       for u in re.findall(r'src="(https?://[^"]+)"', show_remote_images(m.html))})

        def fetched(images: dict) -> None:
            if self.view is not view:
                return
            for url, data in images.items():
                image = QImage.fromData(data)
                if not image.isNull():
                    self.reader.document().addResource(QTextDocument.ResourceType.ImageResource, QUrl(url), image)
                    self.reader.document().addResource(QTextDocument.ResourceType.ImageResource,
                                                       QUrl(escape(url)), image)  # as the HTML names it
            self.reader.setHtml(self._thread_html(view, remote=True))
            self.images_button.hide()

        self.controller.tasks.run_remote(_fetch_images, urls, on_done=fetched,
                                         on_error=lambda exc: self._failed(str(exc)))

    def _open_attachment(self, item: QListWidgetItem) -> None:
        """A copy in a folder of its own, opened with the program the system has for it."""
        attachment_id = item.data(Qt.ItemDataRole.UserRole)
        from agent_desktop import crm_access

        def copied(path: str) -> None:
            if not QDesktopServices.openUrl(QUrl.fromLocalFile(path)):
                self._failed(self.tr("No program opens {name}; save it instead.").format(name=Path(path).name))

        self.controller.tasks.run(_temporary_copy, crm_access.attachment, self.controller.crm, attachment_id,
                                  on_done=copied,
                                  on_error=lambda exc: self._failed(str(exc)))

    def _save_attachment(self, item: QListWidgetItem) -> None:
        attachment_id = item.data(Qt.ItemDataRole.UserRole)
        from agent_desktop import crm_access

        def loaded(found) -> None:
            name, _content_type, content = found
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Save attachment"), str(Path.home() / name))
            if path:
                Path(path).write_bytes(content)

        self.controller.tasks.run(crm_access.attachment, self.controller.crm, attachment_id, on_done=loaded,
                                  on_error=lambda exc: self._failed(str(exc)))

    # --- writing -------------------------------------------------------------------------------------

    def _compose(self, mode: str) -> None:
        view = self.view
        if view is None:
            return
        self._compose_mode = mode
        self.attachments_to_send = []
        self.attached.clear()
        self.compose_error.clear()
        self.body.clear()
        is_note = mode == "note"
        for widget in (self.to, self.cc, self.subject, self.to_label, self.cc_label, self.subject_label,
                       self.attach_button, self.template, self.insert_button, self.template_label):
            widget.setVisible(not is_note)
        last_in = next((m for m in reversed(view.messages) if m.kind == "inbound"), None)
        self.to.setText("" if mode == "forward" else (view.customer_address or ""))
        copies = []
        if mode == "reply_all" and last_in and last_in.recipients:
            copies = [a.strip() for a in last_in.recipients.split(",")
                      if a.strip() and a.strip().lower() not in (view.mailbox, (view.customer_address or "").lower())]
        self.cc.setText(", ".join(copies))
        self.subject.setText(answer_subject(view.subject, forward=mode == "forward"))
        if mode == "forward" and last_in is not None:
            self.body.setPlainText("\n\n---------- " + self.tr("Forwarded message") + " ----------\n" +
                                   f"{last_in.sender or ''}\n{last_in.subject or ''}\n\n{last_in.text}")
            self.body.moveCursor(self.body.textCursor().MoveOperation.Start)
        self.template.clear()
        for template in self.mail.templates("email"):
            self.template.addItem(_label(template["label"]), template["body"])
        self.composer.setTitle({"reply": self.tr("Reply"), "reply_all": self.tr("Reply all"),
                                "forward": self.tr("Forward"), "note": self.tr("Internal note")}[mode])
        self.composer.show()
        (self.to if mode == "forward" else self.body).setFocus()

    def _insert_template(self, combo: QComboBox, insert) -> None:
        body = combo.currentData()
        if body and self.view is not None:
            self.mail.render(body, self.view, lambda rendered: insert(rendered.text))

    def _attach(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, self.tr("Attach files"))
        for path in paths:
            file = Path(path)
            if file.stat().st_size > MAX_ATTACHMENT_BYTES:
                self.compose_error.setText(self.tr("{name} is larger than 20 MB").format(name=file.name))
                continue
            import mimetypes

            content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            self.attachments_to_send.append(NewAttachment(file.name, content_type, file.read_bytes()))
        self.attached.setText(", ".join(a.filename for a in self.attachments_to_send))

    def _send_current(self) -> None:
        if self.composer.isVisible():
            self._send()
        elif self.right.currentIndex() == 1 and isinstance(self.chat_tabs.currentWidget(), ChatTab):
            self.chat_tabs.currentWidget().send()

    def _send(self) -> None:
        view = self.view
        text = self.body.toPlainText()
        if view is None:
            return
        if not text.strip():
            self.compose_error.setText(self.tr("The text is empty."))
            return
        self.send_button.setEnabled(False)
        self.compose_error.setText(self.tr("Sending…"))

        def sent() -> None:
            self.send_button.setEnabled(True)
            self.composer.hide()
            self.body.clear()

        def failed(error: str) -> None:
            self.send_button.setEnabled(True)
            self.compose_error.setText(error)  # the text stays for another try

        if self._compose_mode == "note":
            self.mail.note(view.id, text, on_done=sent)
            return
        copies = [a.strip() for a in self.cc.text().split(",") if a.strip()]
        forward = self.to.text().strip() if self._compose_mode == "forward" else None
        self.mail.reply(view.id, body=text, to=None if forward else (self.to.text().strip() or None), cc=copies,
                        subject=self.subject.text().strip() or None, attachments=self.attachments_to_send,
                        forward_to=forward, on_done=sent, on_error=failed)

    def _retry(self) -> None:
        if self.view is not None:
            self.retry_button.setEnabled(False)  # until the conversation is read again
            self.mail.retry(self.view.id)

    def _done(self) -> None:
        view = self.view
        if view is None:
            return
        contact = self.controller.bench.contact
        if contact is not None and contact.conversation_id == view.id:
            self.controller.end_contact()  # saves the record; End closes the conversation too
        else:
            self.mail.done(view.id)

    def _failed(self, error: str) -> None:
        if self.composer.isVisible():
            self.compose_error.setText(error)
        else:
            self.state.setText(error)


class ChatTab(QWidget):
    """One chat: the transcript, the customer typing, a line to write, canned answers, Done."""

    def __init__(self, page: InboxPage, conversation_id: int, chat):
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
            self.canned.addItem(_label(template["label"]), template["body"])
        self.update_state()

    def update_lines(self) -> None:
        html = []
        for line in self.chat.lines:
            align = "right" if line.sender == "agent" else "left"
            color = "#e8f0fe" if line.sender == "agent" else "#f1f3f4" if line.sender == "customer" else "#fff"
            when = datetime.fromtimestamp(line.at).strftime("%H:%M")
            html.append(f"<table width='100%'><tr><td align='{align}'><div style='background:{color};padding:4px'>"
                        f"<b>{escape(line.author)}</b> <small>{when}</small><br>{escape(_service_line(line.text))}</div>"
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


def _label(label) -> str:
    from action_box.model import localized
    from agent_desktop.ui import i18n

    return localized(label, i18n.current_language().split("_")[0])


def _temporary_copy(read, crm, attachment_id: int) -> str:
    """The attachment written to a new private folder under its own (base) name; the path."""
    import tempfile

    name, _content_type, content = read(crm, attachment_id)
    folder = Path(tempfile.mkdtemp(prefix="cicada-attachment-"))
    path = folder / (Path(name).name.lstrip(".") or "attachment")
    path.write_bytes(content)
    return str(path)


def _fetch_images(urls: list[str]) -> dict[str, bytes]:
    """Remote images the agent asked for, each small and quick or skipped."""
    found = {}
    for url in urls[:50]:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                data = response.read(MAX_IMAGE_BYTES + 1)
        except OSError:
            continue
        if len(data) <= MAX_IMAGE_BYTES:
            found[url] = data
    return found
