"""The Inbox's reading pane: the conversation the agent opened, as sanitised HTML (remote
images only on request, the mail's own images in place), its attachments to open or save,
what the agent may do with it, and the composer to answer it."""

from __future__ import annotations

import urllib.request
from html import escape, unescape
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QTextDocument
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from agent_desktop.ui.formatting import date_time
from agent_desktop.ui.inbox_chat import service_line
from agent_desktop.ui.inbox_composer import Composer
from agent_desktop.ui.plain import plain_label

MAX_IMAGE_BYTES = 2_000_000


class ReadingPane(QWidget):
    """Shows `view` (a ConversationView, or None); the page decides what is shown."""

    def __init__(self, page):
        super().__init__()
        self.page, self.mail, self.controller = page, page.mail, page.controller
        self.view = None
        self.composer = Composer(self.mail, lambda: self.view)
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
        self.transfer_button.clicked.connect(lambda: self.view and page.transfer(self.view.id, self.view.channel))
        self.work_button.clicked.connect(lambda: self.view and self.mail.work_on(self.view))
        self.take_button.clicked.connect(lambda: self.view and self.mail.pull(self.view.id))
        self.reply_button.clicked.connect(lambda: self.composer.compose("reply"))
        self.reply_all_button.clicked.connect(lambda: self.composer.compose("reply_all"))
        self.forward_button.clicked.connect(lambda: self.composer.compose("forward"))
        self.note_button.clicked.connect(lambda: self.composer.compose("note"))
        self.done_button.clicked.connect(page.done)
        buttons = QHBoxLayout()
        for button in (self.work_button, self.take_button, self.reply_button, self.reply_all_button,
                       self.forward_button, self.note_button, self.transfer_button, self.retry_button,
                       self.done_button):
            buttons.addWidget(button)
        buttons.addStretch()

        layout = QVBoxLayout(self)
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

    def retranslate(self) -> None:
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
        self.composer.retranslate()

    def show_conversation(self, view) -> None:
        """A conversation read (or None: nothing open); a text instead says why it could not be read."""
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
            self.controller.tasks.run(fetch, on_done=loaded, on_error=lambda exc: self.page.failed(str(exc)))

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
                f"<pre style='white-space:pre-wrap;font-family:inherit'>{escape(service_line(m.text))}</pre>"
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
                                         on_error=lambda exc: self.page.failed(str(exc)))

    def _open_attachment(self, item: QListWidgetItem) -> None:
        """A copy in a folder of its own, opened with the program the system has for it."""
        attachment_id = item.data(Qt.ItemDataRole.UserRole)
        from agent_desktop import crm_access

        def copied(path: str) -> None:
            if not QDesktopServices.openUrl(QUrl.fromLocalFile(path)):
                self.page.failed(self.tr("No program opens {name}; save it instead.").format(name=Path(path).name))

        self.controller.tasks.run(_temporary_copy, crm_access.attachment, self.controller.crm, attachment_id,
                                  on_done=copied,
                                  on_error=lambda exc: self.page.failed(str(exc)))

    def _save_attachment(self, item: QListWidgetItem) -> None:
        attachment_id = item.data(Qt.ItemDataRole.UserRole)
        from agent_desktop import crm_access

        def loaded(found) -> None:
            name, _content_type, content = found
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Save attachment"), str(Path.home() / name))
            if path:
                Path(path).write_bytes(content)

        self.controller.tasks.run(crm_access.attachment, self.controller.crm, attachment_id, on_done=loaded,
                                  on_error=lambda exc: self.page.failed(str(exc)))

    def _retry(self) -> None:
        if self.view is not None:
            self.retry_button.setEnabled(False)  # until the conversation is read again
            self.mail.retry(self.view.id)


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
