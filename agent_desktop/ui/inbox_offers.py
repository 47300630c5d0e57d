"""The Inbox's offers: emails and chats the mail queue offers the agent, each with the
seconds left and who handed it on, to accept or reject."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout

from agent_desktop.ui.plain import plain_tip


class OfferBox(QGroupBox):
    """Shown while something is offered (MailDesk.offers)."""

    def __init__(self, mail, parent=None):
        super().__init__(parent, objectName="inbox_offers_box", visible=False)
        self.mail, self.desk = mail, mail.desk
        self.offers = QListWidget(objectName="inbox_offers")
        self.offers.setMaximumHeight(80)
        self.accept_button = QPushButton(objectName="inbox_accept")
        self.reject_button = QPushButton(objectName="inbox_reject")
        self.accept_button.clicked.connect(self._accept)
        self.reject_button.clicked.connect(self._reject)
        offer_row = QHBoxLayout(self)
        offer_row.addWidget(self.offers, 1)
        offer_buttons = QVBoxLayout()
        offer_buttons.addWidget(self.accept_button)
        offer_buttons.addWidget(self.reject_button)
        offer_row.addLayout(offer_buttons)

    def retranslate(self) -> None:
        self.setTitle(self.tr("Offered to you"))
        self.accept_button.setText(self.tr("Accept"))
        self.accept_button.setToolTip(self.tr("Accept the selected offer (Alt+A)"))
        self.accept_button.setShortcut(QKeySequence("Alt+A"))
        self.reject_button.setText(self.tr("Reject"))
        self.reject_button.setToolTip(self.tr("Give the selected offer to a colleague (Alt+J)"))
        self.reject_button.setShortcut(QKeySequence("Alt+J"))

    def show_offers(self) -> None:
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
        self.setVisible(bool(offers))
        if offers:
            ids = [work.conversation_id for work in offers]
            self.offers.setCurrentRow(ids.index(selected) if selected in ids else 0)

    def tick(self) -> None:
        """The seconds left, once a second."""
        for row in range(self.offers.count()):
            item = self.offers.item(row)
            work = self.desk.work.get(item.data(Qt.ItemDataRole.UserRole))
            if work is not None:
                item.setText(self._offer_text(work))

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
