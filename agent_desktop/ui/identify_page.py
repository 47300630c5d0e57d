"""Identify Account: who is on the line. Shows the ANI's matches, lets the
agent confirm one, search by name, phone, email, customer number or city,
pick the contact person, or create a new customer after a duplicate check."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from agent_desktop.crm_access import NewPartner
from agent_desktop.ui.formatting import code_label
from agent_desktop.ui.page_drawing import DrawnWhenSeen
from agent_desktop.ui.plain import plain_label
from agent_desktop.workbench import IdStatus, PartnerRef
from crm.person_names import split_person_name

ROLE_PARTNER = Qt.ItemDataRole.UserRole + 1
RESULTS_WHY = 5  # the results' column saying why a candidate may be a duplicate


class IdentifyPage(DrawnWhenSeen, QWidget):
    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.bench = controller.bench
        self._contact_key: str | None = None  # the contact the page's search and form belong to

        self.status = plain_label(objectName="identify_status", wordWrap=True)
        self.matches_model = QStandardItemModel(0, 4, self)
        self.matches = _table("identify_matches", self.matches_model)
        self.matches.doubleClicked.connect(lambda _i: self._confirm_from(self.matches))
        self.confirm_button = QPushButton(objectName="identify_confirm")
        self.confirm_button.clicked.connect(self._confirm_selected)
        self.contact_person = QComboBox(objectName="identify_contact_person")
        self.contact_person.activated.connect(self._contact_person_chosen)
        self.contact_person_label = plain_label()

        self.query = QLineEdit(objectName="identify_query", clearButtonEnabled=True)
        self.query.returnPressed.connect(self._search)
        self.search_button = QPushButton(objectName="identify_search")
        self.search_button.clicked.connect(self._search)
        self.results_model = QStandardItemModel(0, 6, self)
        self.results = _table("identify_results", self.results_model)
        self.results.doubleClicked.connect(lambda _i: self._confirm_from(self.results))
        self.results.setColumnHidden(RESULTS_WHY, True)  # shown for a duplicate check's candidates
        for view in (self.matches, self.results):  # Enter confirms, as the Confirm button says
            view.installEventFilter(self)
        self.search_note = plain_label(objectName="identify_search_note", wordWrap=True)

        self.new_box = QGroupBox(objectName="identify_new")
        self.new_kind = QComboBox(objectName="new_kind")
        self.new_last = QLineEdit(objectName="new_last_name")
        self.new_first = QLineEdit(objectName="new_first_name")
        self.new_org = QLineEdit(objectName="new_org_name")
        self.new_phone = QLineEdit(objectName="new_phone")
        self.new_email = QLineEdit(objectName="new_email")
        self.new_city = QLineEdit(objectName="new_city")
        self.new_save = QPushButton(objectName="new_save")
        self.new_save.clicked.connect(lambda: self._create(confirm=False))
        self.new_save_anyway = QPushButton(objectName="new_save_anyway", visible=False)
        self.new_save_anyway.clicked.connect(lambda: self._create(confirm=True))
        self.new_message = plain_label(objectName="new_message", wordWrap=True)
        form = QFormLayout(self.new_box)
        self._new_labels = [plain_label() for _ in range(7)]
        for label, widget in zip(self._new_labels, (self.new_kind, self.new_last, self.new_first,
                                                    self.new_org, self.new_phone, self.new_email,
                                                    self.new_city)):
            form.addRow(label, widget)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_save)
        buttons.addWidget(self.new_save_anyway)
        buttons.addStretch()
        form.addRow(buttons)
        form.addRow(self.new_message)

        self.matches_box = QGroupBox()
        mlay = QVBoxLayout(self.matches_box)
        mlay.addWidget(self.status)
        mlay.addWidget(self.matches)
        row = QHBoxLayout()
        row.addWidget(self.confirm_button)
        row.addWidget(self.contact_person_label)
        row.addWidget(self.contact_person, 1)
        mlay.addLayout(row)

        self.search_box = QGroupBox()
        slay = QVBoxLayout(self.search_box)
        srow = QHBoxLayout()
        srow.addWidget(self.query, 1)
        srow.addWidget(self.search_button)
        slay.addLayout(srow)
        slay.addWidget(self.search_note)
        slay.addWidget(self.results)

        layout = QVBoxLayout(self)
        layout.addWidget(self.matches_box)
        layout.addWidget(self.search_box, 1)
        layout.addWidget(self.new_box)
        controller.search_done.connect(self._show_results)
        self.bench.subscribe(self._model_changed)
        self.retranslate()
        self.refresh()

    # --- texts ---------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.matches_box.setTitle(self.tr("Caller"))
        self.search_box.setTitle(self.tr("Search"))
        self.new_box.setTitle(self.tr("Create new customer"))
        self.confirm_button.setText(self.tr("Confirm"))
        self.confirm_button.setToolTip(self.tr("Confirm the selected partner (Enter)"))
        self.contact_person_label.setText(self.tr("Contact person:"))
        self.search_button.setText(self.tr("Search"))
        self.query.setPlaceholderText(self.tr("Name, phone, email, customer number or city"))
        headers = [self.tr("Customer no."), self.tr("Name"), self.tr("Matched by"), self.tr("Contact persons")]
        self.matches_model.setHorizontalHeaderLabels(headers)
        self.results_model.setHorizontalHeaderLabels(
            [self.tr("Customer no."), self.tr("Name"), self.tr("City"), self.tr("Phone"), self.tr("Email"),
             self.tr("Why it may be the same")])
        for label, text in zip(self._new_labels, (self.tr("Kind"), self.tr("Last name"), self.tr("First name"),
                                                  self.tr("Organization"), self.tr("Phone"), self.tr("Email"),
                                                  self.tr("City"))):
            label.setText(text)
        current = self.new_kind.currentIndex()
        self.new_kind.clear()
        self.new_kind.addItem(self.tr("Person"), "person")
        self.new_kind.addItem(self.tr("Organization"), "organization")
        self.new_kind.setCurrentIndex(max(0, current))
        self.new_save.setText(self.tr("Save customer"))
        self.new_save_anyway.setText(self.tr("Not a duplicate: save anyway"))
        self.refresh()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def eventFilter(self, watched, event) -> bool:
        if (event.type() == QEvent.Type.KeyPress and watched in (self.matches, self.results)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            self._confirm_from(watched)
            return True
        return super().eventFilter(watched, event)

    # --- drawing the model ----------------------------------------------------------------

    def _model_changed(self, what: str) -> None:
        if what in ("contact", "identification"):
            self.redraw()

    def refresh(self) -> None:
        contact = self.bench.contact
        ident = contact.identification if contact else None
        key = contact.key if contact else None
        if key != self._contact_key:
            self._contact_key = key
            self._clear_search_and_form()
        self.matches_model.removeRows(0, self.matches_model.rowCount())
        self.contact_person.clear()
        if ident is None:
            self.status.setText(self.tr("No contact in the workspace."))
            self.confirm_button.setEnabled(False)
            self.contact_person.setEnabled(False)
            return
        for match in ident.matches:
            persons = ", ".join(p.name for p in match.contact_persons)
            self._add_row(self.matches_model, match.partner,
                          [match.partner.partner_no, match.partner.name, code_label(match.matched_by), persons])
        partner = ident.partner
        texts = {
            IdStatus.PENDING: self.tr("Looking up {ani}…"),
            IdStatus.CONFIRMED: self.tr("Confirmed: {name} ({number})"),
            IdStatus.PROPOSED: self.tr("Proposed: {name} ({number}). Confirm if this is the caller."),
            IdStatus.CHOOSE: self.tr("{count} partners use {ani}: pick the caller."),
            IdStatus.UNKNOWN: self.tr("No partner uses {ani}: search, or create a new customer."),
        }
        self.status.setText(texts[ident.status].format(
            ani=contact.ani or self.tr("this number"), name=partner.name if partner else "",
            number=partner.partner_no if partner else "", count=len(ident.matches)))
        self.status.setProperty("status", ident.status.value)
        self.confirm_button.setEnabled(ident.status in (IdStatus.PROPOSED, IdStatus.CHOOSE)
                                       or self.results_model.rowCount() > 0)
        if partner is not None:
            for row in range(self.matches_model.rowCount()):
                if self.matches_model.item(row, 0).data(ROLE_PARTNER).partner_id == partner.partner_id:
                    self.matches.selectRow(row)
        self._fill_contact_persons(ident)
        if ident.status is IdStatus.UNKNOWN and contact.ani and not self.query.text():
            self.query.setText(contact.ani)
            # An email or chat customer writes from an address; a caller calls from a number.
            (self.new_email if "@" in contact.ani else self.new_phone).setText(contact.ani)
            self._prefill_from_customer(contact)

    def _prefill_from_customer(self, contact) -> None:
        """What an email or chat customer told about himself: his name (王芳 as 王 and 芳,
        "Anna Berg" as Berg and Anna) and a chat's phone beside its address."""
        if contact.customer_phone and not self.new_phone.text():
            self.new_phone.setText(contact.customer_phone)
        family, given = split_person_name(contact.customer_name)
        if family and not (self.new_last.text() or self.new_first.text()):
            self.new_last.setText(family)
            self.new_first.setText(given)

    def _clear_search_and_form(self) -> None:
        """A new contact: nothing of the last caller's search or new customer stays."""
        self.query.clear()
        self.search_note.clear()
        self.results_model.removeRows(0, self.results_model.rowCount())
        self.results.setColumnHidden(RESULTS_WHY, True)
        for field in (self.new_last, self.new_first, self.new_org, self.new_phone, self.new_email, self.new_city):
            field.clear()
        self.new_kind.setCurrentIndex(0)
        self.new_message.clear()
        self.new_save.setEnabled(True)
        self.new_save_anyway.setVisible(False)

    def _fill_contact_persons(self, ident) -> None:
        self.contact_person.addItem(self.tr("(none)"), None)
        match = next((m for m in ident.matches if ident.partner and m.partner.partner_id == ident.partner.partner_id),
                     None)
        persons = list(match.contact_persons) if match else []
        for person in persons:
            label = f"{person.name} · {person.function}" if person.function else person.name
            self.contact_person.addItem(label, person)
            if ident.contact_person and ident.contact_person.partner_id == person.partner_id:
                self.contact_person.setCurrentIndex(self.contact_person.count() - 1)
        self.contact_person.setEnabled(ident.status is IdStatus.CONFIRMED and bool(persons))

    def _add_row(self, model: QStandardItemModel, partner: PartnerRef, values: list[str]) -> None:
        items = [QStandardItem(v or "") for v in values]
        for item in items:
            item.setEditable(False)
        items[0].setData(partner, ROLE_PARTNER)
        model.appendRow(items)

    # --- the agent's actions ---------------------------------------------------------------------

    def _confirm_selected(self) -> None:
        view = self.results if self.results.hasFocus() or not self.matches.selectionModel().hasSelection() \
            else self.matches
        self._confirm_from(view)

    def _confirm_from(self, view: QTableView) -> None:
        if self.bench.contact is None:
            return
        rows = view.selectionModel().selectedRows()
        if not rows and view.model().rowCount() == 1:
            rows = [view.model().index(0, 0)]
        if not rows:
            return
        partner = view.model().item(rows[0].row(), 0).data(ROLE_PARTNER)
        self.controller.confirm_partner(partner)

    def _contact_person_chosen(self, index: int) -> None:
        if self.bench.contact is not None:
            self.controller.set_contact_person(self.contact_person.itemData(index))

    def _search(self) -> None:
        text = self.query.text().strip()
        if not text:
            return
        self.search_note.setText(self.tr("Searching…"))
        self.controller.search(text)

    def _show_results(self, result) -> None:
        self.results_model.removeRows(0, self.results_model.rowCount())
        self.results.setColumnHidden(RESULTS_WHY, True)
        if isinstance(result, str):
            self.search_note.setText(result)
            return
        rows, has_more, notes = result
        for row in rows:
            self._add_row(self.results_model, row.partner,
                          [row.partner.partner_no, row.partner.name, row.city, row.phone, row.email])
        note = self.tr("%n partner(s) found.", "", len(rows))
        if has_more:
            note += " " + self.tr("More match: add a word to narrow the search.")
        self.search_note.setText(" ".join([note, *notes]))
        if rows:
            self.results.selectRow(0)
        self.confirm_button.setEnabled(bool(rows) and self.bench.contact is not None)

    def _create(self, confirm: bool) -> None:
        new = NewPartner(kind=self.new_kind.currentData() or "person", last_name=self.new_last.text(),
                         first_name=self.new_first.text(), org_name=self.new_org.text(),
                         phone=self.new_phone.text(), email=self.new_email.text(), city=self.new_city.text(),
                         country=self.controller.region)
        self.new_message.setText(self.tr("Saving…"))
        self.new_save.setEnabled(False)  # one customer per click
        key = self._contact_key
        self.controller.create_customer(new, confirm_duplicates=confirm,
                                        on_duplicates=lambda found: self._for(key, self._show_duplicates, found),
                                        on_error=lambda text: self._for(key, self._create_failed, text),
                                        on_created=lambda match: self._for(key, self._created, match))
        if confirm:
            self.new_save_anyway.setVisible(False)

    def _for(self, key: str | None, show, value) -> None:
        """A late answer about an earlier contact's form is not shown on this one's."""
        if key == self._contact_key:
            show(value)

    def _created(self, match) -> None:
        self.new_save.setEnabled(True)
        self.new_message.setText(self.tr("Saved: {name} ({number}) is the confirmed caller.").format(
            name=match.partner.name, number=match.partner.partner_no))

    def _show_duplicates(self, duplicates) -> None:
        """crm's PossibleDuplicates: the partners the agent may read are listed;
        those he may not are only counted, so that he asks before saving a duplicate."""
        self.new_save.setEnabled(True)
        self.results_model.removeRows(0, self.results_model.rowCount())
        self.results.setColumnHidden(RESULTS_WHY, False)
        for c in duplicates.candidates:
            self._add_row(self.results_model, PartnerRef(c.partner_id, c.partner_no, c.name),
                          [c.partner_no, c.name, "", "", "", ", ".join(duplicate_reason(r) for r in c.reasons)])
        texts = []
        if duplicates.candidates:
            texts.append(self.tr("This customer may exist already: pick one of the partners listed "
                                 "under Search, or save anyway."))
        if duplicates.hidden:
            texts.append(self.tr("%n other partner(s) that you may not see look like this customer: ask a "
                                 "supervisor before saving, so as not to make a duplicate.", "",
                                 duplicates.hidden))
        self.new_message.setText(" ".join(texts))
        self.new_save_anyway.setVisible(True)
        self.confirm_button.setEnabled(bool(duplicates.candidates))

    def _create_failed(self, text: str) -> None:
        self.new_save.setEnabled(True)
        self.new_message.setText(self.tr("The customer was not saved: {error}").format(error=text))

    def focus_search(self) -> None:
        self.query.setFocus()
        self.query.selectAll()


def duplicate_reason(reason: str) -> str:
    """The CRM's reason a candidate may be the same customer ("same name",
    "phone 138…", "email a@b"), in the UI's language."""
    kind, _, value = reason.partition(" ")
    if reason == "same name":
        return QCoreApplication.translate("IdentifyPage", "same name")
    if kind == "phone":
        return QCoreApplication.translate("IdentifyPage", "phone {value}").format(value=value)
    if kind == "email":
        return QCoreApplication.translate("IdentifyPage", "email {value}").format(value=value)
    return reason


def _table(name: str, model) -> QTableView:
    view = QTableView(objectName=name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return view
