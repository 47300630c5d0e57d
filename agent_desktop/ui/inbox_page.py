"""Inbox: the agent's emails and chats and the group inbox, with due times; offers to accept
or reject (inbox_offers); the reading pane with the composer (inbox_reader, inbox_composer);
a chat panel with a tab per chat (inbox_chat). The logic lives in mail_control and mail_desk;
this is the view, and this page holds the lists and puts the parts together."""

from __future__ import annotations

from datetime import UTC, datetime

import shiboken6
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from agent_desktop.ui.formatting import date_time
from agent_desktop.ui.inbox_chat import ChatPanel
from agent_desktop.ui.inbox_offers import OfferBox
from agent_desktop.ui.inbox_reader import ReadingPane
from agent_desktop.ui.plain import plain_label

PAGE_ROWS = 100
MAX_ROWS = 499  # the service reads at most 500; beyond, the filter narrows the list
REFRESH_AFTER_MS = 300  # news from the mail queue comes in bursts: the lists are read again once per burst
TRANSFER_KEYS = "Alt+T"  # one page shortcut for the reading pane's and the current chat's Transfer… (tooltips)
UNREAD_MARK = "●"  # before the customer of a conversation with a message not yet read


class InboxPage(QWidget):
    def __init__(self, controller, mail, parent=None):
        super().__init__(parent)
        self.controller, self.mail, self.desk = controller, mail, mail.desk
        self.rows: list = []
        self._limit = PAGE_ROWS
        self._request = 0
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

        self.offers_box = OfferBox(mail)
        self.offers, self.accept_button, self.reject_button = (
            self.offers_box.offers, self.offers_box.accept_button, self.offers_box.reject_button)

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

        self.reading = ReadingPane(self)
        self.chats = ChatPanel(self, showing=lambda: self.right.currentIndex() == 1 and self.isVisible())
        self.chat_tabs, self.chat_views = self.chats, self.chats.views
        self.right = QStackedWidget(objectName="inbox_right")
        self.right.addWidget(self.reading)
        self.right.addWidget(self.chats)
        self._name_the_reading_panes_widgets()
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
        mail.failed.connect(self.failed)
        self._refresh_soon = QTimer(self, singleShot=True, interval=REFRESH_AFTER_MS)
        self._refresh_soon.timeout.connect(lambda: self.isVisible() and self.refresh())
        self._ticker = QTimer(self, interval=1000)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()
        self.retranslate()

    def _name_the_reading_panes_widgets(self) -> None:
        """The reading pane's and the composer's widgets, as the page's shortcuts and tests name them."""
        reading, composer = self.reading, self.reading.composer
        self.title, self.reader, self.images_button = reading.title, reading.reader, reading.images_button
        self.files, self.open_file_button, self.save_file_button = (
            reading.files, reading.open_file_button, reading.save_file_button)
        self.work_button, self.take_button, self.reply_button, self.reply_all_button = (
            reading.work_button, reading.take_button, reading.reply_button, reading.reply_all_button)
        self.forward_button, self.note_button, self.transfer_button, self.retry_button, self.done_button = (
            reading.forward_button, reading.note_button, reading.transfer_button, reading.retry_button,
            reading.done_button)
        self.composer, self.to, self.cc, self.subject, self.body = (
            composer, composer.to, composer.cc, composer.subject, composer.body)
        self.template, self.insert_button, self.attach_button, self.attached, self.send_button = (
            composer.template, composer.insert_button, composer.attach_button, composer.attached,
            composer.send_button)

    @property
    def view(self):
        """The ConversationView in the reading pane, or None."""
        return self.reading.view

    def _table(self, name: str) -> QTableWidget:
        table = QTableWidget(0, 6, objectName=name)
        table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.horizontalHeader().setStretchLastSection(True)
        table.itemSelectionChanged.connect(lambda: self._selected(table))
        return table

    # --- texts ----------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.email_box.setText(self.tr("Available for email"))
        self.chat_box.setText(self.tr("Available for chat"))
        self.offers_box.retranslate()
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
        self.reading.retranslate()
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
            self.offers_box.show_offers()
            self.chats.sync()
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
            self.chats.chat_changed(int(what.split(":", 1)[1]))
            self._show_counts()

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
        self.offers_box.tick()
        for tab in self.chat_views.values():
            tab.update_typing()

    # --- transfer ------------------------------------------------------------------------------------

    def _is_assigned(self, conversation_id: int) -> bool:
        work = self.desk.work.get(conversation_id)
        return work is not None and work.state == "assigned"

    def _transfer_current(self) -> None:
        """Alt+T: the chat on top when the chat panel shows, else the conversation in the reading pane."""
        tab = self.chats.current_chat()
        if self.right.currentIndex() == 1 and tab is not None:
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

    # --- the right side: a conversation or the chats ----------------------------------------------------

    def show_chat(self, conversation_id: int) -> None:
        tab = self.chat_views.get(conversation_id)
        if tab is not None:
            self.right.setCurrentIndex(1)
            self.chat_tabs.setCurrentWidget(tab)
            tab.input.setFocus()

    def _show_conversation(self, view) -> None:
        self.reading.show_conversation(view)
        if view is None or isinstance(view, str):
            return
        if view.channel == "chat" and view.id in self.chat_views:
            self.show_chat(view.id)
        else:
            self.right.setCurrentIndex(0)

    def _send_current(self) -> None:
        tab = self.chats.current_chat()
        if self.composer.isVisible():
            self.composer.send()
        elif self.right.currentIndex() == 1 and tab is not None:
            tab.send()

    def done(self) -> None:
        view = self.view
        if view is None:
            return
        contact = self.controller.bench.contact
        if contact is not None and contact.conversation_id == view.id:
            self.controller.end_contact()  # saves the record; End closes the conversation too
        else:
            self.mail.done(view.id)

    def failed(self, error: str) -> None:
        if self.composer.isVisible():
            self.composer.compose_error.setText(error)
        else:
            self.state.setText(error)
