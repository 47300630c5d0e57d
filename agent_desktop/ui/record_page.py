"""Interaction Record: reason, outcome and notes of the current contact,
the times from the gateway, End, and drafts left from earlier sessions."""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent_desktop.ui.formatting import clock_time, code_label, duration
from agent_desktop.ui.page_drawing import DrawnWhenSeen
from agent_desktop.ui.plain import plain_label
from agent_desktop.workbench import QT_TRANSLATE_NOOP


class RecordPage(DrawnWhenSeen, QWidget):
    def __init__(self, controller, drafts=None, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.bench = controller.bench
        self.drafts = drafts
        self._filling = False
        self._drafts_asked = 0  # the latest request for the drafts list; older answers are dropped
        self._drafts_told = False  # the agent was told at start-up of drafts left from earlier
        self.summary = plain_label(objectName="record_summary", wordWrap=True)
        self.reason = QComboBox(objectName="record_reason")
        self.outcome = QComboBox(objectName="record_outcome")
        self.notes = QPlainTextEdit(objectName="record_notes")
        self.handover = QPlainTextEdit(objectName="record_handover", readOnly=True, visible=False)
        self.handover.setMaximumHeight(90)
        self.handover_label = plain_label(visible=False)
        self.times = plain_label(objectName="record_times")
        self.end_button = QPushButton(objectName="record_end")
        self.end_button.clicked.connect(controller.end_contact)
        self.reason.activated.connect(lambda _i: self._edited())
        self.outcome.activated.connect(lambda _i: self._edited())
        self.notes.textChanged.connect(self._edited)

        self.form_box = QGroupBox()
        form = QFormLayout(self.form_box)
        self.reason_label, self.outcome_label, self.notes_label, self.times_label = (plain_label() for _ in range(4))
        form.addRow(self.reason_label, self.reason)
        form.addRow(self.outcome_label, self.outcome)
        form.addRow(self.handover_label, self.handover)
        form.addRow(self.notes_label, self.notes)
        form.addRow(self.times_label, self.times)
        end_row = QHBoxLayout()
        end_row.addStretch()
        end_row.addWidget(self.end_button)
        form.addRow(end_row)

        self.drafts_box = QGroupBox(objectName="record_drafts", visible=False)
        self.draft_list = QListWidget(objectName="record_draft_list")
        self.restore_button = QPushButton(objectName="record_restore")
        self.restore_button.clicked.connect(self._restore)
        self.discard_button = QPushButton(objectName="record_discard")
        self.discard_button.clicked.connect(self._discard)
        dlay = QVBoxLayout(self.drafts_box)
        dlay.addWidget(self.draft_list)
        drow = QHBoxLayout()
        drow.addWidget(self.restore_button)
        drow.addWidget(self.discard_button)
        drow.addStretch()
        dlay.addLayout(drow)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.form_box, 1)
        layout.addWidget(self.drafts_box)
        self.bench.subscribe(self._model_changed)
        self.retranslate()

    def retranslate(self) -> None:
        self.form_box.setTitle(self.tr("Interaction record"))
        self.reason_label.setText(self.tr("Reason"))
        self.outcome_label.setText(self.tr("Outcome"))
        self.notes_label.setText(self.tr("Notes"))
        self.times_label.setText(self.tr("Times"))
        self.handover_label.setText(self.tr("Notes handed over"))
        self.notes.setPlaceholderText(self.tr("What the customer wanted, what you did, what was agreed"))
        self.end_button.setText(self.tr("End contact"))
        self.end_button.setToolTip(self.tr("Save the record, close the contact and take the next one (F12)"))
        self.drafts_box.setTitle(self.tr("Unsaved records from earlier"))
        self.restore_button.setText(self.tr("Restore"))
        self.discard_button.setText(self.tr("Discard"))
        self._fill_codes()
        self.refresh()
        self.refresh_drafts()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _fill_codes(self) -> None:
        self._filling = True
        for combo, codes in ((self.reason, self.controller.profile.reason_codes),
                             (self.outcome, self.controller.profile.outcome_codes)):
            current = combo.currentData()
            combo.clear()
            combo.addItem(self.tr("(not set)"), None)
            for code in codes:
                combo.addItem(code_label(code), code)
            combo.setCurrentIndex(max(0, combo.findData(current)))
        self._filling = False

    def _model_changed(self, what: str) -> None:
        if what in ("contact", "record"):
            self.redraw()
        if what == "contact":
            self._enable_restore()
        if what == "connection" and not self._drafts_told and self._gateway_answered():
            self.refresh_drafts()  # now a call picked up again is not counted among the drafts

    def _gateway_answered(self) -> bool:
        """Logged in (calls in progress are picked up by now), or known to be
        away; not while the agent decides about another desktop's session."""
        return self.bench.connected or (self.bench.connection_error is not None
                                        and self.bench.session_elsewhere is None)

    def refresh(self) -> None:
        contact = self.bench.contact
        self._filling = True
        try:
            enabled = contact is not None
            for widget in (self.reason, self.outcome, self.notes):
                widget.setEnabled(enabled)
            if contact is None:
                self.summary.setText(self.tr("No contact in the workspace."))
                self.reason.setCurrentIndex(0)
                self.outcome.setCurrentIndex(0)
                self.notes.setPlainText("")
                self.handover.setVisible(False)
                self.handover_label.setVisible(False)
                self.times.setText("")
                return
            self.summary.setText(self.tr("Call from {ani} to {dnis}, queue {queue}, offered at {time}").format(
                ani=contact.ani, dnis=contact.dnis, queue=contact.queue or "–",
                time=clock_time(contact.offered_at)) + (
                " — " + QCoreApplication.translate("Workbench", contact.lost) if contact.lost else ""))
            self.reason.setCurrentIndex(max(0, self.reason.findData(contact.draft.reason_code)))
            self.outcome.setCurrentIndex(max(0, self.outcome.findData(contact.draft.outcome_code)))
            if self.notes.toPlainText() != contact.draft.notes:
                self.notes.setPlainText(contact.draft.notes)
                self.notes.moveCursor(QTextCursor.MoveOperation.End)  # go on typing after what is there
            has_handover = bool(contact.handed_over_notes)
            self.handover.setVisible(has_handover)
            self.handover_label.setVisible(has_handover)
            if has_handover:
                by = contact.handed_over_by or "?"
                self.handover.setPlainText(f"{by}:\n{contact.handed_over_notes}")
        finally:
            self._filling = False
        self.update_times()

    def update_times(self) -> None:
        if self.bench.contact is None:
            return
        t = self.bench.timers(time.time())
        self.times.setText(self.tr("waited {w} · talked {t} · on hold {h}").format(
            w=duration(t["waited"]), t=duration(t["talk"]), h=duration(t["hold"])))

    def _edited(self) -> None:
        if self._filling or self.bench.contact is None:
            return
        self.bench.edit_record(reason_code=self.reason.currentData(), outcome_code=self.outcome.currentData(),
                               notes=self.notes.toPlainText())

    # --- drafts from earlier sessions ---------------------------------------------------------

    def refresh_drafts(self) -> None:
        """Read the drafts on disk off the GUI thread (it waits for the draft
        writer's last write), then list them."""
        if self.drafts is None:
            return
        self._drafts_asked += 1
        asked = self._drafts_asked
        self.controller.tasks.run(self.drafts.pending, on_done=lambda found: self._show_drafts(asked, found),
                                  on_error=lambda exc: self._show_drafts(asked, []))

    def _show_drafts(self, asked: int, found: list[dict]) -> None:
        if asked != self._drafts_asked:
            return
        self.draft_list.clear()
        current = self.bench.contact.key if self.bench.contact else None
        pending = [d for d in found if d.get("key") != current
                   and d.get("key") not in {c.key for c in self.bench.unsaved}]
        if not self._drafts_told and self._gateway_answered():
            self._drafts_told = True
            if pending:
                self.bench.notice("warning", QT_TRANSLATE_NOOP(
                    "Workbench", "{count} unsaved interaction record(s) from an earlier session: restore or "
                                 "discard them on the Interaction Record page (Ctrl+4)."), count=len(pending))
        for data in pending:
            partner = (data.get("partner") or {}).get("name") or self.tr("no customer")
            item = QListWidgetItem(self.tr("{time}: call from {ani}, {partner}").format(
                time=clock_time(data.get("offered_at") or 0), ani=data.get("ani") or "?", partner=partner))
            item.setData(Qt.ItemDataRole.UserRole, data)
            self.draft_list.addItem(item)
        self.drafts_box.setVisible(bool(pending))
        if pending:
            self.draft_list.setCurrentRow(0)
        self._enable_restore()

    def _enable_restore(self) -> None:
        """Restoring a draft while a contact is open would push the live contact aside."""
        free = self.bench.contact is None
        self.restore_button.setEnabled(free and self.draft_list.count() > 0)
        self.restore_button.setToolTip(self.tr("Open this record to finish and save it") if free else
                                       self.tr("End the current contact first"))

    def _selected_draft(self) -> dict | None:
        item = self.draft_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _restore(self) -> None:
        data = self._selected_draft()
        if data is not None and self.bench.contact is None:
            self.controller.restore_draft(data)
            self.refresh_drafts()

    def _discard(self) -> None:
        data = self._selected_draft()
        if data is not None and self.drafts is not None:
            self.drafts.discard(data["key"])
            self.refresh_drafts()
