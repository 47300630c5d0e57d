"""Business data display: the confirmed partner's header, always visible
during the interaction, and the 360° view whose items open read-only."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from PySide6.QtCore import QCoreApplication, QDate, QEvent, QLocale, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from agent_desktop.crm_access import SECTIONS, Item, Partner360
from agent_desktop.ui.formatting import code_label, date_time
from agent_desktop.ui.history_page import channel_label, direction_label
from agent_desktop.ui.plain import plain_label

ROLE_ITEM = Qt.ItemDataRole.UserRole + 1


def section_title(section: str) -> str:
    titles = {
        "contact_persons": QCoreApplication.translate("BusinessData", "Contact persons"),
        "relationships": QCoreApplication.translate("BusinessData", "Relationships"),
        "service_order": QCoreApplication.translate("BusinessData", "Open service orders"),
        "complaint": QCoreApplication.translate("BusinessData", "Open complaints"),
        "sales_order": QCoreApplication.translate("BusinessData", "Open sales orders"),
        "lead": QCoreApplication.translate("BusinessData", "Open leads"),
        "opportunity": QCoreApplication.translate("BusinessData", "Open opportunities"),
        "callback": QCoreApplication.translate("BusinessData", "Open callbacks"),
        "task": QCoreApplication.translate("BusinessData", "Open tasks"),
        "installed_base": QCoreApplication.translate("BusinessData", "Installed base"),
        "interactions": QCoreApplication.translate("BusinessData", "Latest interactions"),
    }
    return titles.get(section, section)


def field_label(name: str) -> str:
    label = QCoreApplication.translate("fields", name)
    return label if label != name else name.replace("_", " ").capitalize()


_CODE_FIELDS = {"status", "kind", "reason_code", "outcome_code", "priority", "category"}


def value_text(name: str, value) -> str:
    """A field's value as the agent reads it: codes in the UI's language, times
    in his time zone and dates and amounts in his locale."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return date_time(value)
    if isinstance(value, date):
        return QLocale().toString(QDate(value.year, value.month, value.day), QLocale.FormatType.ShortFormat)
    if isinstance(value, Decimal):
        return money(value)
    if name == "channel":
        return channel_label(value)
    if name == "direction":
        return direction_label(value)
    return code_label(value) if name in _CODE_FIELDS else str(value)


def money(amount: Decimal, currency: str = "") -> str:
    text = QLocale().toString(float(amount), "f", 2)
    return f"{text} {currency}".strip()


def detail_rows(item: Item) -> list[tuple[str, str]]:
    """The (field, text) rows of an item's read-only detail; an amount with its currency."""
    fields = dict(item.detail)
    rows = []
    for name, value in item.detail:
        if name == "currency":
            continue
        if name == "amount" and isinstance(value, Decimal):
            rows.append((name, money(value, str(fields.get("currency") or ""))))
        else:
            rows.append((name, value_text(name, value)))
    return rows


def item_texts(item: Item) -> tuple[str, str]:
    """The line of the 360° view: title and details, codes translated."""
    fields = dict(item.detail)
    if item.kind == "interaction":
        title = " ".join(x for x in (value_text("started_at", fields.get("started_at")),
                                     value_text("channel", fields.get("channel", "")),
                                     value_text("direction", fields.get("direction", ""))) if x)
        codes = (code_label(fields.get("reason_code")), code_label(fields.get("outcome_code")))
        return title, " · ".join(c for c in codes if c)
    if "status" in fields and item.kind != "relationship":
        parts = [code_label(fields["status"])]
        if item.kind == "callback":
            parts += [value_text("window_start", fields.get("window_start")), fields.get("callback_phone") or "",
                      fields.get("assignee") or ""]
        elif item.kind == "task":
            parts += [fields.get("assignee") or "", value_text("due_at", fields.get("due_at"))]
        else:
            parts.append(value_text("created_at", fields.get("created_at")))
        return item.title, " · ".join(x for x in parts if x)
    return item.title, item.subtitle


class PartnerHeader(QFrame):
    """Name, customer number, segment and value class, owner, main phone and email."""

    FIELDS = ("name", "partner_no", "segment", "owner", "phone", "email")

    def __init__(self, parent=None):
        super().__init__(parent, objectName="partner_header")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#partner_header { background: #eef4fb; }")
        grid = QGridLayout(self)
        grid.setContentsMargins(8, 4, 8, 4)
        self.captions = {f: plain_label() for f in self.FIELDS}
        self.values = {f: plain_label(objectName=f"header_{f}",
                                      textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
                       for f in self.FIELDS}
        self.values["name"].setStyleSheet("font-weight: bold; font-size: 14px;")
        for i, f in enumerate(self.FIELDS):
            grid.addWidget(self.captions[f], 0, 2 * i)
            grid.addWidget(self.values[f], 0, 2 * i + 1)
        grid.setColumnStretch(1, 2)
        self.view: Partner360 | None = None
        self.retranslate()
        self.show_partner(None)

    def retranslate(self) -> None:
        captions = {"name": self.tr("Customer:"), "partner_no": self.tr("No.:"),
                    "segment": self.tr("Segment:"), "owner": self.tr("Owner:"),
                    "phone": self.tr("Phone:"), "email": self.tr("Email:")}
        for f, text in captions.items():
            self.captions[f].setText(text)
        self.show_partner(self.view)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def show_identified(self, partner) -> None:
        """The caller's name and number as soon as he is identified; the rest
        comes with the business data (`show_partner`), a moment later."""
        if self.view is not None and self.view.partner.partner_id == partner.partner_id:
            return
        self.view = None
        for f in self.FIELDS:
            self.values[f].setText("")
        self.values["name"].setText(partner.name)
        self.values["partner_no"].setText(partner.partner_no)
        self.values["segment"].setText(self.tr("loading…"))

    def show_partner(self, view: Partner360 | None) -> None:
        self.view = view
        if view is None:
            for f in self.FIELDS:
                self.values[f].setText("")
            self.values["name"].setText(self.tr("no confirmed customer"))
            return
        segment = " / ".join(x for x in (view.segment, view.value_class) if x)
        values = {"name": view.partner.name, "partner_no": view.partner.partner_no, "segment": segment,
                  "owner": view.owner or self.tr("pool"), "phone": view.phone or "", "email": view.email or ""}
        for f, text in values.items():
            self.values[f].setText(text)


class BusinessDataPage(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.tree = QTreeWidget(objectName="business_tree")
        self.tree.setColumnCount(2)
        self.tree.itemActivated.connect(self._open)
        self.tree.itemClicked.connect(self._open)
        self.detail_title = plain_label(objectName="business_detail_title")
        self.detail_title.setStyleSheet("font-weight: bold;")
        self.detail = QWidget(objectName="business_detail")
        self.detail_form = QFormLayout(self.detail)
        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.addWidget(self.detail_title)
        rlay.addWidget(self.detail)
        rlay.addStretch()
        split = QSplitter()
        split.addWidget(self.tree)
        split.addWidget(right)
        split.setSizes([500, 350])
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self.view: Partner360 | None = None
        self.retranslate()

    def retranslate(self) -> None:
        self.tree.setHeaderLabels([self.tr("Item"), self.tr("Details")])
        self.show_partner(self.view)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def show_partner(self, view: Partner360 | None) -> None:
        self.view = view
        self.tree.clear()
        self._show_detail(None)
        if view is None:
            return
        for section in SECTIONS:
            items = view.sections.get(section, [])
            top = QTreeWidgetItem([f"{section_title(section)} ({len(items)})", ""])
            top.setData(0, Qt.ItemDataRole.UserRole, section)
            self.tree.addTopLevelItem(top)
            for item in items:
                child = QTreeWidgetItem(list(item_texts(item)))
                child.setData(0, ROLE_ITEM, item)
                top.addChild(child)
            top.setExpanded(bool(items) and section != "relationships")
        self.tree.resizeColumnToContents(0)

    def _open(self, tree_item: QTreeWidgetItem, _column: int = 0) -> None:
        self._show_detail(tree_item.data(0, ROLE_ITEM))

    def _show_detail(self, item) -> None:
        while self.detail_form.rowCount():
            self.detail_form.removeRow(0)
        if item is None:
            self.detail_title.setText(self.tr("Select an item to see it here (read-only)."))
            return
        self.detail_title.setText(item.title)
        for name, value in detail_rows(item):
            label = plain_label(value, wordWrap=True,
                                textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
            self.detail_form.addRow(plain_label(field_label(name)), label)

    def items_in(self, section: str) -> list:
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            if top.data(0, Qt.ItemDataRole.UserRole) == section:
                return [top.child(j) for j in range(top.childCount())]
        return []
