"""The Inbox's composer: a reply, reply-all, forward or internal note to the conversation in
the reading pane, with templates filled in for it and attachments."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
)

from agent_desktop.ui.inbox_chat import template_label
from agent_desktop.ui.plain import plain_label
from crm.conversation_types import NewAttachment, answer_subject

MAX_ATTACHMENT_BYTES = 20_000_000


class Composer(QGroupBox):
    """Hidden until the agent answers; the text stays when sending fails, for another try."""

    def __init__(self, mail, current_view, parent=None):
        super().__init__(parent, objectName="inbox_composer", visible=False)
        self.mail = mail
        self.current_view = current_view  # the conversation in the reading pane, which the text goes to
        self.attachments_to_send: list[NewAttachment] = []
        self._compose_mode = "reply"
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
        self.send_button.clicked.connect(self.send)
        self.cancel_button = QPushButton(objectName="inbox_cancel")
        self.cancel_button.clicked.connect(lambda: self.hide())
        self.compose_error = plain_label(objectName="inbox_compose_error", wordWrap=True)
        self.compose_error.setStyleSheet("color: #b00020")
        form = QFormLayout(self)
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

    def retranslate(self) -> None:
        self.to_label.setText(self.tr("To"))
        self.cc_label.setText(self.tr("Cc"))
        self.subject_label.setText(self.tr("Subject"))
        self.template_label.setText(self.tr("Template"))
        self.insert_button.setText(self.tr("Insert"))
        self.attach_button.setText(self.tr("Attach…"))
        self.send_button.setText(self.tr("Send"))
        self.send_button.setToolTip(self.tr("Send (Ctrl+Enter)"))
        self.cancel_button.setText(self.tr("Cancel"))

    def compose(self, mode: str) -> None:
        view = self.current_view()
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
            self.template.addItem(template_label(template["label"]), template["body"])
        self.setTitle({"reply": self.tr("Reply"), "reply_all": self.tr("Reply all"),
                       "forward": self.tr("Forward"), "note": self.tr("Internal note")}[mode])
        self.show()
        (self.to if mode == "forward" else self.body).setFocus()

    def _insert_template(self, combo: QComboBox, insert) -> None:
        body = combo.currentData()
        view = self.current_view()
        if body and view is not None:
            self.mail.render(body, view, lambda rendered: insert(rendered.text))

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

    def send(self) -> None:
        view = self.current_view()
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
            self.hide()
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
