"""Action Box: the follow-up actions of the contact in tabs, found by typing,
each opening its form as a dialog pre-filled from the verified context; and
what was done in this interaction.

Keyboard: type to find an action (the list narrows across tabs), Down to
the list, Enter to open; in the form, Tab between fields and Enter or
Ctrl+Enter to save. A disabled action says why ("confirm the caller
first") in its line and in its tooltip.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QDate, QEvent, QLocale, Qt, QTime, Signal
from PySide6.QtGui import QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHeaderView,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from action_box.model import localized
from agent_desktop.ui.catalogue import tr_outcome
from agent_desktop.ui.formatting import date_time
from agent_desktop.ui.page_drawing import DrawnWhenSeen
from agent_desktop.ui.plain import plain_label, plain_tip

ACTION = Qt.ItemDataRole.UserRole
FOLLOW_UP = Qt.ItemDataRole.UserRole + 2
SHOWN_WHY = Qt.ItemDataRole.UserRole + 3  # why the action was shown as not possible ("" when possible)


# The built-in actions' icon names, as names of the freedesktop icon theme, and
# the style's own icon where the desktop has no theme.
THEME_ICONS = {"service": "preferences-system", "complaint": "dialog-warning", "order": "document-new",
               "lead": "emblem-favorite", "callback": "call-start", "email": "mail-message-new",
               "task": "appointment-new", "link": "web-browser"}
STYLE_ICONS = {"complaint": QStyle.StandardPixmap.SP_MessageBoxWarning,
               "email": QStyle.StandardPixmap.SP_DialogYesButton,
               "link": QStyle.StandardPixmap.SP_DirLinkIcon,
               "order": QStyle.StandardPixmap.SP_FileDialogNewFolder,
               "task": QStyle.StandardPixmap.SP_FileDialogDetailedView}


def action_icon(action) -> QIcon:
    """The action's icon from the icon theme, else a file of that name, else one of the style's."""
    name = str(getattr(action, "icon", "") or "")
    fallback = QApplication.style().standardIcon(STYLE_ICONS.get(name, QStyle.StandardPixmap.SP_ArrowForward))
    if name and Path(name).is_file():
        return QIcon(name)
    return QIcon.fromTheme(THEME_ICONS.get(name, name), fallback) if name else fallback


def action_label(action) -> str:
    """An action's label in the desktop's language: a layout's link by the labels
    the layout gives per language, the others by the translations (context "actions")."""
    labels = getattr(action, "labels", None)
    if isinstance(labels, dict) and labels:
        return localized(labels, QLocale().name())  # set with the language, before widgets retranslate
    return tr_action(action.label)


def tr_action(text: str) -> str:
    """Labels, field names and reasons of actions, translated (context "actions")."""
    return QCoreApplication.translate("actions", text) if text else text


class ActionBoxPage(DrawnWhenSeen, QWidget):
    call_requested = Signal(str)  # the number of a callback the agent wants to dial

    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.box = controller.actions
        self.bench = controller.bench
        self.search = QLineEdit(objectName="action_search")
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.tabs = QTabWidget(objectName="action_tabs")
        self.found = QListWidget(objectName="action_found", visible=False)
        self.found.itemActivated.connect(self._activated)
        self.reason = plain_label(objectName="action_reason", wordWrap=True)
        self.reason.setStyleSheet("color: #a15c00;")
        self.done_label = plain_label()
        self.done = QListWidget(objectName="action_done")
        self.done.setMaximumHeight(160)
        self.follow_label = plain_label()
        self.follow = QListWidget(objectName="follow_ups")
        self.follow.setMaximumHeight(180)
        self.follow.currentItemChanged.connect(lambda *_: self._follow_selected())
        self.follow.itemActivated.connect(lambda _item: self.open_follow_up_partner())
        self.follow_open = QPushButton(objectName="follow_up_open", enabled=False)
        self.follow_open.clicked.connect(self.open_follow_up_partner)
        self.follow_call = QPushButton(objectName="follow_up_call", enabled=False)
        self.follow_call.clicked.connect(self._call_follow_up)
        self.follow_done = QPushButton(objectName="follow_up_done", enabled=False)
        self.follow_done.clicked.connect(self.complete_follow_up)
        self.follow_status = plain_label(objectName="follow_up_status", wordWrap=True)
        follow_buttons = QHBoxLayout()
        for button in (self.follow_open, self.follow_call, self.follow_done):
            follow_buttons.addWidget(button)
        follow_buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.found, 1)
        layout.addWidget(self.reason)
        layout.addWidget(self.done_label)
        layout.addWidget(self.done)
        layout.addWidget(self.follow_label)
        layout.addWidget(self.follow)
        layout.addLayout(follow_buttons)
        layout.addWidget(self.follow_status)
        self.lists: list[QListWidget] = []
        self.partner_dialog = None
        self.dialog = None
        self.box.context_changed.connect(self.refresh)
        self.box.follow_ups_changed.connect(self._fill_follow_ups)
        self.box.emails_changed.connect(self._fill_done)
        self.bench.subscribe(self._model_changed)
        self.retranslate()

    def retranslate(self) -> None:
        self.search.setPlaceholderText(self.tr("Type to find an action, Enter to open it"))
        self.done_label.setText(self.tr("Done in this interaction"))
        self.follow_label.setText(self.tr("My follow-ups"))
        self.follow_open.setText(self.tr("Open customer"))
        self.follow_call.setText(self.tr("Call"))
        self.follow_done.setText(self.tr("Done"))
        self._fill_follow_ups()
        self._build_tabs()
        self.refresh()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _build_tabs(self) -> None:
        self.tabs.clear()
        self.lists = []
        for tab in self.box.tabs():
            widget = QListWidget(objectName=f"action_tab_{tab.id}")
            widget.itemActivated.connect(self._activated)
            for action in tab.actions:
                item = QListWidgetItem(action_icon(action), action_label(action))
                item.setData(ACTION, action)
                widget.addItem(item)
            self.tabs.addTab(widget, tab.label)
            self.lists.append(widget)

    def _model_changed(self, what: str) -> None:
        if what in ("contact", "actions"):
            self._fill_done()
        if what == "contact":
            self.redraw()

    def refresh(self) -> None:
        for widget in [*self.lists, self.found]:
            for i in range(widget.count()):
                self._show_item(widget.item(i))
        self._filter(self.search.text())

    def _show_item(self, item: QListWidgetItem) -> None:
        action = item.data(ACTION)
        why = self.box.why_not(action)
        if item.data(SHOWN_WHY) == (why or ""):
            return  # every change of the contact comes here: redraw only what changed
        item.setData(SHOWN_WHY, why or "")
        label = action_label(action)
        item.setText(label if why is None else f"{label} — {tr_action(why)}")
        item.setToolTip(plain_tip(tr_action(why) if why else label))
        item.setForeground(Qt.GlobalColor.gray if why else Qt.GlobalColor.black)

    def _filter(self, text: str) -> None:
        text = text.strip().lower()
        self.tabs.setVisible(not text)
        self.found.setVisible(bool(text))
        if not text:
            return
        self.found.clear()
        seen = set()
        for tab in self.box.tabs():
            for action in tab.actions:
                label = action_label(action)
                if action.id in seen or (text not in label.lower() and text not in action.label.lower()):
                    continue
                seen.add(action.id)
                item = QListWidgetItem(action_icon(action), label)
                item.setData(ACTION, action)
                self._show_item(item)
                self.found.addItem(item)
        if self.found.count():
            self.found.setCurrentRow(0)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            current = self.found if self.found.isVisible() else self.tabs.currentWidget()
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and current is not None:
                item = current.currentItem() or (current.item(0) if current.count() else None)
                if item is not None:
                    self._activated(item)
                return True
            if event.key() == Qt.Key.Key_Down and current is not None:
                current.setFocus()
                if current.currentRow() < 0 and current.count():
                    current.setCurrentRow(0)
                return True
        return super().eventFilter(watched, event)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.search.setFocus()

    def open_action(self, action_id: str):
        """Open an action's form by id (what a click does); the dialog, or None when disabled."""
        action = self.box.actions.get(action_id)
        if action is None:
            return None
        return self._open(action)

    def _activated(self, item: QListWidgetItem) -> None:
        self._open(item.data(ACTION))

    def _open(self, action):
        why = self.box.why_not(action)
        if why:
            self.reason.setText(f"{action_label(action)}: {tr_action(why)}")
            return None
        self.reason.setText("")
        dialog = ActionDialog(self.box, action, self.box.context, parent=self)
        self.dialog = dialog  # the form last opened
        if not action.fields(self.box.context):  # a link: nothing to fill in
            dialog.save()
            return dialog
        dialog.open()
        return dialog

    def _fill_done(self) -> None:
        self.done.clear()
        contact = self.bench.contact
        if contact is None:
            return
        for done in contact.actions_done:
            text = tr_outcome(done)
            email_id = done.get("email_id")
            if email_id:
                status = self.box.email_status.get(email_id)
                text += " — " + self._email_state(status)
            self.done.addItem(text)

    # --- my follow-ups ---------------------------------------------------------------------------

    def _fill_follow_ups(self) -> None:
        selected = self.selected_follow_up()
        self.follow.clear()
        for f in self.box.follow_ups:
            kind = self.tr("Callback") if f.kind == "callback" else self.tr("Task")
            parts = [date_time(f.window_start or f.due_at) if (f.window_start or f.due_at) else self.tr("no due date"),
                     f"{kind} {f.number}", f"{f.partner_name} ({f.partner_no})", f.phone or f.subject]
            if f.for_team:
                parts.append(self.tr("team {team}").format(team=f.for_team))
            item = QListWidgetItem(" · ".join(parts))
            item.setData(FOLLOW_UP, f)
            item.setToolTip(plain_tip(f.description or f.subject))
            self.follow.addItem(item)
            if selected is not None and f.transaction_id == selected.transaction_id:
                self.follow.setCurrentItem(item)
        self._follow_selected()

    def selected_follow_up(self):
        item = self.follow.currentItem()
        return item.data(FOLLOW_UP) if item is not None else None

    def _follow_selected(self) -> None:
        chosen = self.selected_follow_up()
        self.follow_open.setEnabled(chosen is not None)
        self.follow_done.setEnabled(chosen is not None)
        self.follow_call.setEnabled(chosen is not None and chosen.kind == "callback" and bool(chosen.phone))

    def _call_follow_up(self) -> None:
        chosen = self.selected_follow_up()
        if chosen is not None and chosen.phone:
            self.call_requested.emit(chosen.phone)

    def complete_follow_up(self) -> None:
        chosen = self.selected_follow_up()
        if chosen is None:
            return
        self.follow_done.setEnabled(False)
        self.follow_status.setText(self.tr("Saving…"))
        self.box.complete_follow_up(
            chosen.transaction_id,
            on_done=lambda number: self.follow_status.setText(self.tr("{number} is done.").format(number=number)),
            on_error=lambda text: self.follow_status.setText(
                self.tr("{number} could not be marked done: {error}").format(number=chosen.number, error=text)))

    def open_follow_up_partner(self):
        """The selected follow-up's customer, read-only in a window of its own; the dialog."""
        chosen = self.selected_follow_up()
        if chosen is None:
            return None
        from agent_desktop.ui.business_data import BusinessDataPage

        if self.partner_dialog is not None:  # one customer window at a time
            self.partner_dialog.close()
            self.partner_dialog.deleteLater()
        dialog = QDialog(self, objectName="follow_up_partner")
        dialog.setWindowTitle(f"{chosen.partner_name} ({chosen.partner_no}) — {chosen.number}")
        page = BusinessDataPage(dialog)
        note = plain_label(self.tr("Loading…"), wordWrap=True, objectName="follow_up_partner_note")
        layout = QVBoxLayout(dialog)
        layout.addWidget(note)
        layout.addWidget(page)
        dialog.page = page
        dialog.resize(760, 520)

        def loaded(view) -> None:
            if self.partner_dialog is not dialog:
                return  # another follow-up's customer was opened meanwhile
            note.setText(f"{chosen.subject}\n{chosen.description or ''}".strip())
            page.show_partner(view)

        def failed(text: str) -> None:
            if self.partner_dialog is dialog:
                note.setText(self.tr("The customer could not be loaded: {error}").format(error=text))

        self.box.load_partner_view(chosen.partner_id, on_done=loaded, on_error=failed)
        self.partner_dialog = dialog
        dialog.show()
        return dialog

    def _email_state(self, status) -> str:
        if status is None or (status.status == "queued" and not status.attempts):
            return self.tr("in the outbox")
        if status.status == "sent":
            return self.tr("sent")
        if status.status == "failed":
            return self.tr("not sent: {error}").format(error=status.last_error or "")
        return self.tr("in the outbox, tried {n} time(s): {error}").format(
            n=status.attempts, error=status.last_error or "")


class ActionDialog(QDialog):
    """An action's form, built from its fields. It stays open with the reason
    when the CRM refuses the input, so nothing typed is lost."""

    def __init__(self, box, action, context, parent=None):
        super().__init__(parent)
        self.setObjectName(f"action_form_{action.id}")
        self.box, self.action, self.context = box, action, context
        self.opened_for = box.identity()  # a save for another customer is refused
        self.setWindowTitle(action_label(action))
        self.fields = action.fields(context)
        self.inputs: dict[str, QWidget] = {}
        self.form = QFormLayout()
        for field in self.fields:
            widget = self._input(field)
            self.inputs[field.name] = widget
            label = tr_action(field.label) + (" *" if field.required else "")
            self.form.addRow(plain_label(label), widget)
        self.error = plain_label(objectName="action_error", wordWrap=True)
        self.error.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.result_done = None
        refill = getattr(action, "refill", None)
        if callable(refill) and "template" in self.inputs:
            self.inputs["template"].currentIndexChanged.connect(lambda _i: self._refill("template"))
        self.resize(560, self.sizeHint().height())

    # --- inputs ------------------------------------------------------------------------------

    def _input(self, field) -> QWidget:
        kind, default = field.kind, field.default
        if kind in ("choice", "editable_choice"):
            widget = QComboBox(objectName=f"field_{field.name}", editable=kind == "editable_choice")
            if kind == "choice" and not field.required:
                widget.addItem("—", None)
            for value, label in field.choices:
                widget.addItem(tr_action(label) if kind == "choice" else label, value)
            index = widget.findData(default) if default is not None else -1
            if index >= 0:
                widget.setCurrentIndex(index)
            elif kind == "editable_choice" and default:
                widget.setEditText(str(default))
            else:
                widget.setCurrentIndex(-1 if field.required else 0)
            if kind == "editable_choice":
                widget.completer().setFilterMode(Qt.MatchFlag.MatchContains)
            return widget
        if kind == "multiline":
            widget = QPlainTextEdit(objectName=f"field_{field.name}")
            widget.setPlainText(default or "")
            widget.setTabChangesFocus(True)
            widget.setMinimumHeight(70)
            widget.setMaximumHeight(160)
            return widget
        if kind == "date":
            widget = QDateEdit(objectName=f"field_{field.name}", calendarPopup=True)
            widget.setDisplayFormat("yyyy-MM-dd")
            widget.setDate(QDate(default.year, default.month, default.day) if isinstance(default, date)
                           else QDate.currentDate())
            return widget
        if kind == "time":
            widget = QTimeEdit(objectName=f"field_{field.name}")
            widget.setDisplayFormat("HH:mm")
            widget.setTime(QTime(default.hour, default.minute) if isinstance(default, time) else QTime(9, 0))
            return widget
        if kind == "number":
            widget = QLineEdit(objectName=f"field_{field.name}")
            widget.setText("" if default is None else str(default))
            return widget
        if kind == "lines":
            return ProductLines(field.choices, default or [], getattr(self.context, "prices", {}),
                                objectName=f"field_{field.name}")
        widget = QLineEdit(objectName=f"field_{field.name}")
        widget.setText("" if default is None else str(default))
        if field.max_length:
            widget.setMaxLength(field.max_length)
        return widget

    def values(self) -> dict:
        values = {}
        for field in self.fields:
            widget = self.inputs[field.name]
            if isinstance(widget, QComboBox):
                if widget.isEditable():
                    text = widget.currentText().strip()
                    index = widget.findText(text)
                    values[field.name] = widget.itemData(index) if index >= 0 else text
                else:
                    values[field.name] = widget.currentData()
            elif isinstance(widget, QPlainTextEdit):
                values[field.name] = widget.toPlainText()
            elif isinstance(widget, QDateEdit):
                d = widget.date()
                values[field.name] = date(d.year(), d.month(), d.day())
            elif isinstance(widget, QTimeEdit):
                t = widget.time()
                values[field.name] = time(t.hour(), t.minute())
            elif isinstance(widget, ProductLines):
                values[field.name] = widget.lines()
            else:
                values[field.name] = widget.text()
        return values

    def _refill(self, changed: str) -> None:
        for name, value in self.action.refill(self.context, self.values(), changed).items():
            widget = self.inputs.get(name)
            if isinstance(widget, QPlainTextEdit):
                widget.setPlainText(value)
            elif isinstance(widget, QLineEdit):
                widget.setText(value)

    # --- saving ----------------------------------------------------------------------------------

    def save(self) -> None:
        self.buttons.setEnabled(False)
        self.error.setText(self.tr("Saving…"))

        def done(result) -> None:
            self.result_done = result
            self.accept()

        def failed(text: str) -> None:
            self.buttons.setEnabled(True)
            self.error.setText(text)

        self.box.run(self.action, self.values(), on_done=done, on_error=failed, context=self.context,
                     opened_for=self.opened_for)


class ProductLines(QWidget):
    """Product lines of an order: a product picked from the catalogue (type to
    find it), a quantity, and its unit price and line total, one row each, with
    the order's total below. Tab leaves the table for the next field rather
    than going round its cells; Alt+A adds a line."""

    PRODUCT, QUANTITY, PRICE, TOTAL = range(4)

    def __init__(self, products, lines, prices=None, objectName=""):
        super().__init__(objectName=objectName)
        self.products = list(products)
        self.prices = dict(prices or {})  # product number -> (Decimal, currency)
        self.table = QTableWidget(0, 4)
        self.table.setTabKeyNavigation(False)
        self.table.setHorizontalHeaderLabels([QCoreApplication.translate("actions", "Product"),
                                              QCoreApplication.translate("actions", "Quantity"),
                                              QCoreApplication.translate("actions", "Unit price"),
                                              QCoreApplication.translate("actions", "Total")])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(self.PRODUCT, QHeaderView.ResizeMode.Stretch)
        for column, width in ((self.QUANTITY, 80), (self.PRICE, 100), (self.TOTAL, 110)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            self.table.setColumnWidth(column, width)
        self.table.setMinimumHeight(120)
        self.table.setMinimumWidth(640)  # the product's name must be readable beside the figures
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.add_button = QPushButton(QCoreApplication.translate("actions", "Add product"))
        self.add_button.setToolTip(QCoreApplication.translate("actions", "Add a product line (Alt+A)"))
        self.remove_button = QPushButton(QCoreApplication.translate("actions", "Remove"))
        self.add_button.clicked.connect(self._add_and_focus)
        self.remove_button.clicked.connect(self._remove)
        QShortcut(QKeySequence("Alt+A"), self, self._add_and_focus)
        self.total = plain_label(objectName="order_total")
        self.total.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.total.setStyleSheet("font-weight: bold;")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch()
        buttons.addWidget(self.total)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        for product, quantity in lines:
            self.add_line(product, quantity)
        if not lines:
            self.add_line()
        self._update_totals()

    def add_line(self, product: str | None = None, quantity=1) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        picker = QComboBox(editable=True)
        for value, label in self.products:
            picker.addItem(f"{label} — {value}", value)
        picker.completer().setFilterMode(Qt.MatchFlag.MatchContains)
        picker.setCurrentIndex(picker.findData(product) if product else -1)
        picker.lineEdit().setCursorPosition(0)  # show a long name from its start, not its end
        picker.currentIndexChanged.connect(lambda _i, p=picker: p.lineEdit().setCursorPosition(0))
        amount = QDoubleSpinBox(decimals=0, minimum=0, maximum=100_000)
        amount.setValue(float(quantity))
        picker.currentIndexChanged.connect(lambda _i: self._update_totals())
        picker.editTextChanged.connect(lambda _t: self._update_totals())
        amount.valueChanged.connect(lambda _v: self._update_totals())
        self.table.setCellWidget(row, self.PRODUCT, picker)
        self.table.setCellWidget(row, self.QUANTITY, amount)
        for column in (self.PRICE, self.TOTAL):
            cell = QTableWidgetItem()
            cell.setFlags(Qt.ItemFlag.ItemIsEnabled)  # shown, not edited
            cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, column, cell)
        self._update_totals()

    def _add_and_focus(self) -> None:
        self.add_line()
        picker = self.table.cellWidget(self.table.rowCount() - 1, self.PRODUCT)
        self.table.setCurrentCell(self.table.rowCount() - 1, self.PRODUCT)
        picker.setFocus()

    def _remove(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self._update_totals()

    def _product_of(self, row: int) -> str | None:
        picker = self.table.cellWidget(row, self.PRODUCT)
        text = picker.currentText().strip() if picker is not None else ""
        if not text:
            return None
        index = picker.findText(text)
        return picker.itemData(index) if index >= 0 else text.rsplit(" — ", 1)[-1]

    def _update_totals(self) -> None:
        """Unit price and line total of each row from the catalogue, and the order's total."""
        locale = QLocale()
        total, currencies = Decimal(0), set()
        for row in range(self.table.rowCount()):
            price_cell, total_cell = self.table.item(row, self.PRICE), self.table.item(row, self.TOTAL)
            if price_cell is None or total_cell is None:
                continue  # the row is being built
            known = self.prices.get(self._product_of(row) or "")
            if known is None:
                price_cell.setText("")
                total_cell.setText("")
                continue
            price, currency = known
            quantity = Decimal(str(self.table.cellWidget(row, self.QUANTITY).value()))
            line = price * quantity
            total += line
            currencies.add(currency)
            price_cell.setText(locale.toString(float(price), "f", 2))
            total_cell.setText(locale.toString(float(line), "f", 2))
        currency = next(iter(currencies)) if len(currencies) == 1 else ""
        self.total.setText(QCoreApplication.translate("actions", "Order total: {amount} {currency}").format(
            amount=locale.toString(float(total), "f", 2), currency=currency).strip())

    def lines(self) -> list[tuple[str, float]]:
        """(product number, quantity) of every row with a product; a product typed
        that is not in the catalogue goes as typed, for the CRM to refuse."""
        found = []
        for row in range(self.table.rowCount()):
            product = self._product_of(row)
            if product is None:
                continue
            found.append((product, self.table.cellWidget(row, self.QUANTITY).value()))
        return found
