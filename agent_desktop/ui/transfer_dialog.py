"""Transfer an email or chat: to another queue, or to a colleague logged in
to the mail queue, with a short note why. The targets come from the mail
queue (asked off the GUI thread by mail_control); the transfer itself is sent
by the Inbox page once the agent presses OK."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
)

from agent_desktop.ui.plain import plain_label
from crm.conversation_types import TRANSFER_NOTE_LENGTH


class TransferDialog(QDialog):
    def __init__(self, channel: str, parent=None):
        super().__init__(parent, objectName="transfer_dialog")
        self.channel = channel
        self.to_queue = QRadioButton(objectName="transfer_to_queue", checked=True)
        self.to_agent = QRadioButton(objectName="transfer_to_agent")
        group = QButtonGroup(self)
        group.addButton(self.to_queue)
        group.addButton(self.to_agent)
        self.queues = QComboBox(objectName="transfer_queues")
        self.agents = QComboBox(objectName="transfer_agents", enabled=False)
        self.to_queue.toggled.connect(self._choice_changed)
        self.note = QLineEdit(objectName="transfer_note", maxLength=TRANSFER_NOTE_LENGTH)
        self.message = plain_label(objectName="transfer_message", wordWrap=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setEnabled(False)  # until the targets are known
        form = QFormLayout()
        form.addRow(self.to_queue, self.queues)
        form.addRow(self.to_agent, self.agents)
        self.note_label = plain_label()
        self.note_label.setBuddy(self.note)
        form.addRow(self.note_label, self.note)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)  # room for a note of a line
        self.retranslate()
        self.message.setText(self.tr("Asking the mail queue who is there…"))

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Transfer"))
        self.to_queue.setText(self.tr("To a &queue"))
        self.to_agent.setText(self.tr("To a &colleague"))
        self.note_label.setText(self.tr("&Note"))
        self.note.setPlaceholderText(self.tr("Why, for the colleague (optional)"))

    def set_targets(self, targets) -> None:
        """The mail queue's TransferTargetsResult: colleagues without room now are shown, not chosen."""
        self.queues.clear()
        for queue in targets.queues:
            self.queues.addItem(queue, queue)
        self.agents.clear()
        for colleague in targets.agents:
            room = colleague.room.get(self.channel, False)
            label = colleague.agent if room else self.tr("{agent} (no room now)").format(agent=colleague.agent)
            self.agents.addItem(label, colleague.agent)
            self.agents.model().item(self.agents.count() - 1).setEnabled(room)
        first_free = next((i for i, c in enumerate(targets.agents) if c.room.get(self.channel, False)), -1)
        self.agents.setCurrentIndex(first_free)
        self.to_agent.setEnabled(first_free >= 0)
        self.message.setText("" if first_free >= 0 else self.tr("No colleague has room for this now."))
        self.ok.setEnabled(bool(targets.queues) or first_free >= 0)

    def show_error(self, error) -> None:
        self.message.setText(self.tr("The mail queue did not answer: {error}").format(
            error=getattr(error, "message", str(error))))

    def _choice_changed(self, to_queue: bool) -> None:
        self.queues.setEnabled(to_queue)
        self.agents.setEnabled(not to_queue)

    def choice(self) -> dict:
        """What to send: queue or agent, and the note."""
        note = self.note.text().strip() or None
        if self.to_queue.isChecked():
            return {"queue": self.queues.currentData(), "agent": None, "note": note}
        return {"queue": None, "agent": self.agents.currentData(), "note": note}
