"""Scripts: the call script of the current contact, one step at a time.

The text to say, the question with the input its answer type needs, the
path so far, Back and Next; all of it works from the keyboard: Enter, or
Alt+Right, or Ctrl+Enter goes on, Alt+Left goes back, digits pick a choice,
Space ticks one, Y and N answer yes/no questions; a date is typed year,
month, day (19991231), Up and Down start from today, Delete clears it.
Another script can be opened from the list of active ones.
"""

from __future__ import annotations

from PySide6.QtCore import QDate, QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QCompleter,
    QDateEdit,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from agent_desktop.ui.formatting import code_label, error_text
from agent_desktop.ui.plain import plain_label

VALUE = Qt.ItemDataRole.UserRole
# The date edit's "no date yet", shown as "(no date)": the earliest date Qt's
# date edit takes, far before any date an answer gives.
NO_DATE = QDate(100, 1, 1)


class ScriptsPage(QWidget):
    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.bench = controller.bench
        self.scripts = controller.scripts
        self._step = None
        self._input_for: tuple | None = None  # the run and step the answer fields were filled for

        self.choice = QComboBox(objectName="script_choice")
        self.open_button = QPushButton(objectName="script_open")
        self.open_button.clicked.connect(self._open_chosen)
        self.title = plain_label(objectName="script_title")
        self.title.setStyleSheet("font-weight: bold; font-size: 14px;")
        self.empty = plain_label(objectName="script_empty", wordWrap=True)
        self.empty.setStyleSheet("color: #777;")

        self.path = QListWidget(objectName="script_path")
        self.path.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.path.setWordWrap(True)
        self.path.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.text = plain_label(objectName="script_text", wordWrap=True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setStyleSheet("font-size: 15px; padding: 8px; background: #fffdf4; border: 1px solid #e5dfc5;")
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.warnings = plain_label(objectName="script_warnings", wordWrap=True)
        self.warnings.setStyleSheet("color: #a15c00;")
        self.error = plain_label(objectName="script_error", wordWrap=True)
        self.error.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.outcome = plain_label(objectName="script_outcome")
        self.outcome.setStyleSheet("color: #1b5e20; font-weight: bold;")

        self.inputs = QStackedWidget(objectName="script_inputs")
        self.nothing = QWidget()
        self.single = QListWidget(objectName="script_single")
        self.multi = QListWidget(objectName="script_multi")
        self.yes = QRadioButton(objectName="script_yes")
        self.no = QRadioButton(objectName="script_no")
        self.yes_no = QWidget()
        self.yes_no_group = QButtonGroup(self)
        box = QHBoxLayout(self.yes_no)
        for button in (self.yes, self.no):
            self.yes_no_group.addButton(button)
            box.addWidget(button)
        box.addStretch()
        self.line = QLineEdit(objectName="script_line")
        self.date = QDateEdit(objectName="script_date", calendarPopup=True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.setMinimumDate(NO_DATE)
        self.date.setDate(NO_DATE)
        self.date.calendarWidget().installEventFilter(self)  # opens at today's month, not at NO_DATE's
        self.listed = QComboBox(objectName="script_listed", editable=True)
        self.listed.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.listed.completer().setFilterMode(Qt.MatchFlag.MatchContains)
        self.listed.completer().setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        for widget in (self.nothing, self.single, self.multi, self.yes_no, self.line, self.date, self.listed):
            self.inputs.addWidget(widget)
        self.single.itemActivated.connect(lambda _item: self.go_next())
        self.line.returnPressed.connect(self.go_next)

        self.back_button = QPushButton(objectName="script_back")
        self.next_button = QPushButton(objectName="script_next")
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)
        self._keys = _ChoiceKeys(self)
        for widget in (self.single, self.multi, self.yes, self.no, self.next_button, self.date, self.listed):
            widget.installEventFilter(self._keys)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.go_next, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        self.choice_label = plain_label()
        top.addWidget(self.choice_label)
        top.addWidget(self.choice)
        top.addWidget(self.open_button)
        step = QWidget()
        column = QVBoxLayout(step)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.text, 2)
        column.addWidget(self.warnings)
        column.addWidget(self.inputs, 3)
        column.addWidget(self.error)
        column.addWidget(self.outcome)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch()
        buttons.addWidget(self.next_button)
        column.addLayout(buttons)
        self.path_box = QFrame()
        path_column = QVBoxLayout(self.path_box)
        path_column.setContentsMargins(0, 0, 0, 0)
        self.path_label = plain_label()
        path_column.addWidget(self.path_label)
        path_column.addWidget(self.path)
        split = QSplitter()
        split.addWidget(self.path_box)
        split.addWidget(step)
        split.setSizes([300, 700])
        split.setCollapsible(1, False)
        self.body = split
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.empty)
        layout.addWidget(split, 1)

        self.bench.subscribe(self._model_changed)
        self.scripts.supply_changed.connect(self._fill_choice)
        self.scripts.handed_over_changed.connect(self.refresh)
        self.retranslate()

    # --- texts ------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.choice_label.setText(self.tr("Script:"))
        self.open_button.setText(self.tr("Open"))
        self.open_button.setToolTip(self.tr("Start the chosen script for this contact"))
        self.path_label.setText(self.tr("So far"))
        self.back_button.setText(self.tr("Back"))
        self.back_button.setToolTip(self.tr("The step before; its answer can be changed (Alt+Left)"))
        self.next_button.setText(self.tr("Next"))
        self.next_button.setToolTip(self.tr("Take the answer and go on (Alt+Right or Ctrl+Enter)"))
        # After setText, which replaces a button's shortcut with its mnemonic.
        self.back_button.setShortcut(QKeySequence("Alt+Left"))
        self.next_button.setShortcut(QKeySequence("Alt+Right"))
        self.yes.setText(self.tr("&Yes"))
        self.no.setText(self.tr("&No"))
        self.line.setPlaceholderText("")
        self.date.setSpecialValueText(self.tr("(no date)"))
        self._fill_choice()
        self.refresh()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _fill_choice(self) -> None:
        current = self.choice.currentData()
        self.choice.clear()
        for loaded in self.scripts.interactive_scripts():
            script = loaded.script
            self.choice.addItem(f"{script.title or script.name} ({script.language})", script.name)
        self.choice.setCurrentIndex(max(0, self.choice.findData(current)))
        self._update_choice()

    def _update_choice(self) -> None:
        has = self.choice.count() > 0 and self.bench.contact is not None
        self.choice.setEnabled(has)
        self.open_button.setEnabled(has)

    # --- drawing the run ----------------------------------------------------------------------

    def _model_changed(self, what: str) -> None:
        if what in ("contact", "script"):
            self.refresh()

    def refresh(self) -> None:
        self._update_choice()
        contact = self.bench.contact
        run = contact.script if contact is not None else None
        self.empty.setVisible(run is None)
        self.body.setVisible(run is not None)
        if run is None:
            self._step = None
            self._input_for = None
            self.title.setText("")
            self.empty.setText(self.tr("No call script runs for this contact.") if contact is not None
                               else self.tr("A call script opens here when a contact starts."))
            return
        step = run.step()
        self._step = step
        script = run.script
        self.title.setText(f"{script.title or script.name} · v{run.version}")
        self.text.setText(step.text)
        warnings = list(step.warnings) + [w for w in run.warnings if w not in step.warnings]
        self.warnings.setText("\n".join(warnings))
        self.warnings.setVisible(bool(warnings))
        self.error.setText("")
        self.outcome.setVisible(step.kind == "end")
        if step.kind == "end":
            self.outcome.setText(self.tr("End of the script — outcome: {outcome}").format(
                outcome=code_label(step.outcome)))
        self._fill_path(run)
        # Every change of the contact comes here (its customer found, its data loaded): an answer
        # the agent is choosing for the step shown stays as it is, not reset to the stored one.
        input_for = (id(run), step.node, step.position)
        new_step = input_for != self._input_for
        if new_step:
            self._input_for = input_for
            self._show_input(step)
        handed_over = self.scripts.handed_over(contact)
        if handed_over:
            self.error.setText(self.tr("The call and this script run went to a colleague, who goes on "
                                       "with it; it can no longer be changed here."))
        self.inputs.setEnabled(not handed_over)
        self.back_button.setEnabled(step.can_back and not handed_over)
        self.next_button.setEnabled(step.kind != "end" and not handed_over)
        if self.isVisible() and (new_step or not self.inputs.isAncestorOf(self.focusWidget())):
            self._focus_input(step)

    def _fill_path(self, run) -> None:
        self.path.clear()
        texts = run.path_texts()  # rendered once per place on the path, not on every step
        for i, (node_id, answer) in enumerate(run.shown(), 1):
            node = run.script.node(node_id)
            text = " ".join(texts[i - 1].split())
            shown = f"{i}. {text[:70]}{'…' if len(text) > 70 else ''}"
            if i < len(run.path) and getattr(node, "answer", None):
                shown += "\n    → " + (self.answer_text(node, answer) if answer is not None else self.tr("(skipped)"))
            item = QListWidgetItem(shown)
            if i == len(run.path):
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.path.addItem(item)
        self.path.scrollToBottom()

    def answer_text(self, node, answer) -> str:
        values = answer if isinstance(answer, list) else [answer]
        kind = getattr(node, "answer", None)
        if kind == "yes_no":
            return ", ".join(self.tr("Yes") if v == "yes" else self.tr("No") for v in values)
        labels = {o.value: o.shown for o in getattr(node, "options", [])}
        if kind == "crm_list":
            labels = {o.value: o.shown for o in self.scripts.supply.lists.get(node.crm_list, [])}
        return ", ".join(labels.get(str(v), str(v)) for v in values)

    def _show_input(self, step) -> None:
        kind = step.answer_type if step.kind == "question" else None
        given = step.answer
        if kind == "single_choice":
            self._fill_list(self.single, step.options, checkable=False, chosen=[given])
            self.inputs.setCurrentWidget(self.single)
        elif kind == "multiple_choice":
            self._fill_list(self.multi, step.options, checkable=True, chosen=given or [])
            self.inputs.setCurrentWidget(self.multi)
        elif kind == "yes_no":
            self.yes_no_group.setExclusive(False)
            self.yes.setChecked(given == "yes")
            self.no.setChecked(given == "no")
            self.yes_no_group.setExclusive(True)
            self.inputs.setCurrentWidget(self.yes_no)
        elif kind in ("free_text", "number"):
            self.line.setText("" if given is None else str(given))
            self.line.setPlaceholderText(self._number_hint(step) if kind == "number" else "")
            self.inputs.setCurrentWidget(self.line)
        elif kind == "date":
            given_date = QDate.fromString(str(given), "yyyy-MM-dd") if given else QDate()
            self.date.setDate(given_date if given_date.isValid() else NO_DATE)  # never a date not given
            self.inputs.setCurrentWidget(self.date)
        elif kind == "crm_list":
            self.listed.clear()
            if not step.required:
                self.listed.addItem(self.tr("(none)"), None)
            for option in step.options:
                self.listed.addItem(option.shown, option.value)
            index = self.listed.findData(given) if given is not None else (0 if not step.required else -1)
            self.listed.setCurrentIndex(index)
            self.inputs.setCurrentWidget(self.listed)
        else:
            self.inputs.setCurrentWidget(self.nothing)

    def _number_hint(self, step) -> str:
        if step.minimum is not None and step.maximum is not None:
            return self.tr("a number from {low} to {high}").format(low=f"{step.minimum:g}", high=f"{step.maximum:g}")
        return self.tr("a number")

    @staticmethod
    def _fill_list(widget: QListWidget, options, *, checkable: bool, chosen) -> None:
        widget.clear()
        for i, option in enumerate(options, 1):
            item = QListWidgetItem(f"{i}. {option.shown}" if i <= 9 else option.shown)
            item.setData(VALUE, option.value)
            if checkable:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if option.value in chosen else Qt.CheckState.Unchecked)
            widget.addItem(item)
            if not checkable and option.value in chosen:
                widget.setCurrentItem(item)
        if checkable and widget.currentRow() < 0 and widget.count():
            widget.setCurrentRow(0)  # where Space ticks

    def _focus_input(self, step) -> None:
        target = {"single_choice": self.single, "multiple_choice": self.multi, "free_text": self.line,
                  "number": self.line, "date": self.date, "crm_list": self.listed}.get(step.answer_type)
        if step.kind != "question":
            target = self.next_button if step.kind == "text" else self.back_button
        elif step.answer_type == "yes_no":
            target = self.no if step.answer == "no" else self.yes
        target.setFocus()

    def eventFilter(self, watched, event) -> bool:
        if (watched is self.date.calendarWidget() and event.type() == QEvent.Type.Show
                and self.date.date() == NO_DATE):
            today = QDate.currentDate()
            watched.setCurrentPage(today.year(), today.month())
        return super().eventFilter(watched, event)

    def start_date_entry(self) -> None:
        """From "(no date)" the agent types a date over today's, year first."""
        self.date.setDate(QDate.currentDate())
        self.date.setSelectedSection(QDateEdit.Section.YearSection)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._step is not None:
            self._focus_input(self._step)

    # --- the agent's moves ------------------------------------------------------------------------

    def value(self):
        """The answer in the input, as the runner takes it."""
        step = self._step
        if step is None or step.kind != "question":
            return None
        kind = step.answer_type
        if kind == "single_choice":
            item = self.single.currentItem()
            return item.data(VALUE) if item is not None and item.isSelected() else None
        if kind == "multiple_choice":
            return [self.multi.item(i).data(VALUE) for i in range(self.multi.count())
                    if self.multi.item(i).checkState() == Qt.CheckState.Checked]
        if kind == "yes_no":
            return "yes" if self.yes.isChecked() else "no" if self.no.isChecked() else None
        if kind in ("free_text", "number"):
            return self.line.text()
        if kind == "date":
            return None if self.date.date() == NO_DATE else self.date.date().toString("yyyy-MM-dd")
        if kind == "crm_list":
            data = self.listed.currentData()
            if data is None and self.listed.currentText().strip():
                match = self.listed.findText(self.listed.currentText().strip(), Qt.MatchFlag.MatchContains)
                data = self.listed.itemData(match) if match >= 0 else self.listed.currentText().strip()
            return data
        return None

    def go_next(self) -> None:
        from scripting.runner import RunError

        if self._step is None or self._step.kind == "end" or self.scripts.handed_over(self.bench.contact):
            return
        try:
            self.bench.script_next(self.value())
        except RunError as exc:
            self.error.setText(error_text(exc))

    def go_back(self) -> None:
        from scripting.runner import RunError

        if self.scripts.handed_over(self.bench.contact):
            return
        try:
            self.bench.script_back()
        except (RunError, ValueError) as exc:
            self.error.setText(error_text(exc))

    def _open_chosen(self) -> None:
        name = self.choice.currentData()
        chosen = next((a for a in self.scripts.interactive_scripts() if a.script.name == name), None)
        if chosen is not None and self.bench.contact is not None:
            self.scripts.start(chosen)


class _ChoiceKeys(QObject):
    """Digits pick (or tick) a choice, Space ticks, Y and N answer yes/no
    questions, Enter goes on wherever Qt would not do it by itself."""

    def __init__(self, page: ScriptsPage):
        super().__init__(page)
        self.page = page

    def eventFilter(self, watched, event) -> bool:
        if event.type() != QEvent.Type.KeyPress or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        key, page = event.key(), self.page
        enter = key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if watched in (page.next_button, page.date) and enter:
            page.go_next()
            return True
        if watched is page.date and key == Qt.Key.Key_Delete:
            page.date.setDate(NO_DATE)  # back to no date
            return True
        if watched is page.date and page.date.date() == NO_DATE:
            if Qt.Key.Key_0 <= key <= Qt.Key.Key_9:
                page.start_date_entry()
                return False  # the digit goes on into the year
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
                page.start_date_entry()
                return True
        if watched is page.listed and enter and not page.listed.view().isVisible():
            page.go_next()
            return True
        if watched in (page.yes, page.no) and key in (Qt.Key.Key_Y, Qt.Key.Key_N):
            (page.yes if key == Qt.Key.Key_Y else page.no).setChecked(True)
            return True
        if watched in (page.yes, page.no) and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            page.go_next()
            return True
        if watched is page.multi and key == Qt.Key.Key_Space and page.multi.currentItem() is not None:
            _toggle(page.multi.currentItem())
            return True
        if watched is page.multi and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            page.go_next()
            return True
        if watched in (page.single, page.multi) and Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
            row = key - Qt.Key.Key_1
            if row < watched.count():
                watched.setCurrentRow(row)
                if watched is page.multi:
                    _toggle(watched.item(row))
            return True
        return False


def _toggle(item: QListWidgetItem) -> None:
    item.setCheckState(Qt.CheckState.Unchecked if item.checkState() == Qt.CheckState.Checked
                       else Qt.CheckState.Checked)
