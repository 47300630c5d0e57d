"""Interaction History: every contact with the confirmed customer, newest first,
across channels, with a filter bar and the selected record's details.

A customer can have hundreds of thousands of records, so the table is
virtual: `HistoryModel` holds only the rows fetched so far and asks the CRM
for the next page (keyset paging on started_at, id) when the view scrolls to
the bottom. Every query runs on the TaskRunner's workers, never on the GUI
thread; a page that belongs to a query the agent has since replaced (another
customer, other filters) is dropped when it arrives.
"""

from __future__ import annotations

import html
import logging
from datetime import date, datetime

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QDate,
    QEvent,
    QModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from agent_desktop import crm_access
from agent_desktop.ui.formatting import code_label, date_time, duration, number
from agent_desktop.ui.plain import plain_label, plain_tip
from crm.errors import CrmError
from crm.history_types import HistoryFilter, HistoryRow

log = logging.getLogger(__name__)

PAGE_SIZE = 200
CHANNELS = ("phone", "email", "chat")


def _tr(text: str) -> str:
    return QCoreApplication.translate("HistoryModel", text)


def channel_label(channel: str | None) -> str:
    labels = {"phone": _tr("Phone"), "email": _tr("Email"), "chat": _tr("Chat")}
    return labels.get(channel or "", channel or "")


def direction_label(direction: str | None) -> str:
    labels = {"inbound": _tr("Inbound"), "outbound": _tr("Outbound")}
    return labels.get(direction or "", direction or "")


def error_text(error: BaseException) -> str:
    """What the agent reads about a failed query: the CRM's own message, or the
    first line of anything else."""
    if isinstance(error, CrmError):
        return str(error)
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return first[:300]


class HistoryModel(QAbstractTableModel):
    """The rows of one query (a partner and a HistoryFilter), fetched page by page.

    Signals: `page_arrived(int)` with the number of rows a page added (0 for an
    empty last page), `failed(str)` with a message for the agent, and
    `loading_changed(bool)`.
    """

    page_arrived = Signal(int)
    failed = Signal(str)
    loading_changed = Signal(bool)

    COLUMNS = ("started_at", "channel", "direction", "queue", "agent", "subject", "reason",
               "outcome", "talk")

    def __init__(self, tasks, crm, parent=None, *, page_size: int = PAGE_SIZE):
        super().__init__(parent)
        self.tasks = tasks
        self.crm = crm  # the application service, signed in
        self.page_size = page_size
        self.partner_id: int | None = None
        self.filters = HistoryFilter()
        self._rows: list[HistoryRow] = []
        self._generation = 0
        self._loading = False
        self._has_more = False
        self.error: str | None = None
        self.dropped = 0  # pages of superseded queries thrown away, for diagnostics

    # --- the query ------------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def has_more(self) -> bool:
        return self._has_more

    @property
    def generation(self) -> int:
        return self._generation

    def set_query(self, partner_id: int | None, filters: HistoryFilter | None = None) -> None:
        """Show another partner or other filters: forget the rows, and anything
        still on its way for the old query, and fetch the first page."""
        self.beginResetModel()
        self._generation += 1
        self.partner_id = partner_id
        self.filters = filters or HistoryFilter()
        self._rows = []
        self._has_more = partner_id is not None
        self.error = None
        self.endResetModel()
        self._set_loading(False)
        if partner_id is not None:
            self.fetchMore(QModelIndex())

    def clear(self) -> None:
        self.set_query(None)

    def row(self, i: int) -> HistoryRow:
        return self._rows[i]

    def rows(self) -> list[HistoryRow]:
        return list(self._rows)

    def canFetchMore(self, parent=QModelIndex()) -> bool:
        if parent.isValid():
            return False
        return (self.partner_id is not None and self._has_more and not self._loading
                and self.error is None)

    def fetchMore(self, parent=QModelIndex()) -> None:
        if not self.canFetchMore(parent):
            return
        last = self._rows[-1] if self._rows else None
        before = (last.started_at, last.interaction_id) if last else None
        generation = self._generation
        self._set_loading(True)
        self.tasks.run(crm_access.history_page, self.crm, self.partner_id,
                       filters=self.filters, before=before, page_size=self.page_size,
                       on_done=lambda page: self._arrived(generation, page),
                       on_error=lambda error: self._failed(generation, error))

    def _arrived(self, generation: int, page) -> None:
        if generation != self._generation:
            self.dropped += 1
            return
        items = page.items
        if items:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(items) - 1)
            self._rows.extend(items)
            self.endInsertRows()
        self._has_more = page.has_more and bool(items)
        self._set_loading(False)
        self.page_arrived.emit(len(items))

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            self.dropped += 1
            return
        if not isinstance(error, CrmError):
            log.error("loading the interaction history failed", exc_info=error)
        self.error = error_text(error)
        self._set_loading(False)
        self.failed.emit(self.error)

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loading_changed.emit(loading)

    # --- the table ------------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.header_labels()[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and self.COLUMNS[section] == "talk":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def header_labels() -> list[str]:
        return [_tr("Date/time"), _tr("Channel"), _tr("Direction"), _tr("Queue"), _tr("Agent"),
                _tr("Subject"), _tr("Reason"), _tr("Outcome"), _tr("Talk time")]

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        column = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(r, column)
        if role == Qt.ItemDataRole.ToolTipRole:  # the whole of a long subject, name or queue
            return plain_tip(self._text(r, column)) if column in ("subject", "agent", "queue") else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == "talk":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return r
        return None

    @staticmethod
    def _text(r: HistoryRow, column: str) -> str:
        if column == "started_at":
            return date_time(r.started_at)
        if column == "channel":
            return channel_label(r.channel)
        if column == "direction":
            return direction_label(r.direction)
        if column == "queue":
            return r.queue or ""
        if column == "agent":
            return r.agent or ""
        if column == "subject":
            return r.subject or ""
        if column == "reason":
            return code_label(r.reason_code)
        if column == "outcome":
            return code_label(r.outcome_code)
        if column == "talk":
            return duration(r.talk_seconds)
        return ""

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def retranslate(self) -> None:
        """Headers and cells again, after a change of language or locale."""
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.COLUMNS) - 1)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self._rows) - 1, len(self.COLUMNS) - 1))


# Labels of the fields crm_access.interaction_detail returns, in the order shown.
_DETAIL_FIELDS = ("started_at", "channel", "direction", "status", "queue", "agent", "ani", "dnis",
                  "subject", "wait_seconds", "talk_seconds", "hold_seconds", "wrapup_seconds",
                  "reason_code", "outcome_code", "notes")


class HistoryPage(QWidget):
    """The Interaction History page of the agent desktop.

    `set_partner(id)` shows a customer's history (None clears it); the filter
    bar narrows it by channel, date range and outcome. Widgets other code may
    look for by objectName: history_table, history_channel, history_from_enabled,
    history_from, history_to_enabled, history_to, history_outcome, history_apply,
    history_clear, history_detail, history_status.
    """

    def __init__(self, tasks, crm, parent=None):
        super().__init__(parent)
        self.tasks = tasks
        self.crm = crm  # the application service, signed in
        self.partner_id: int | None = None
        self._detail_for: int | None = None
        self._detail_error: str | None = None
        self._detail_values: tuple[HistoryRow, tuple] | None = None
        self._filter_error: str | None = None

        self.model = HistoryModel(tasks, crm, self)

        # filter bar
        self.channel_label = plain_label()
        self.channel = QComboBox(objectName="history_channel")
        self.from_enabled = QCheckBox(objectName="history_from_enabled")
        self.from_date = QDateEdit(objectName="history_from", calendarPopup=True, enabled=False)
        self.to_enabled = QCheckBox(objectName="history_to_enabled")
        self.to_date = QDateEdit(objectName="history_to", calendarPopup=True, enabled=False)
        today = QDate.currentDate()
        self.from_date.setDate(today.addMonths(-1))
        self.to_date.setDate(today)
        self.from_enabled.toggled.connect(self.from_date.setEnabled)
        self.to_enabled.toggled.connect(self.to_date.setEnabled)
        self.outcome_label = plain_label()
        self.outcome = QComboBox(objectName="history_outcome")
        self._outcome_codes: list[str] = []
        self.outcome.activated.connect(lambda _i: self.apply_filters())
        self.apply_button = QPushButton(objectName="history_apply", default=True)
        self.apply_button.clicked.connect(self.apply_filters)
        self.clear_button = QPushButton(objectName="history_clear")
        self.clear_button.clicked.connect(self.clear_filters)

        bar = QHBoxLayout()
        bar.addWidget(self.channel_label)
        bar.addWidget(self.channel)
        bar.addSpacing(12)
        bar.addWidget(self.from_enabled)
        bar.addWidget(self.from_date)
        bar.addWidget(self.to_enabled)
        bar.addWidget(self.to_date)
        bar.addSpacing(12)
        bar.addWidget(self.outcome_label)
        bar.addWidget(self.outcome, 1)
        bar.addWidget(self.apply_button)
        bar.addWidget(self.clear_button)

        # table
        self.table = QTableView(objectName="history_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(False)  # the CRM's order (newest first) is the paging order
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        rows = self.table.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform row heights
        rows.setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        columns = self.table.horizontalHeader()
        columns.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        columns.setStretchLastSection(False)
        columns.setSectionResizeMode(HistoryModel.COLUMNS.index("subject"), QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)

        # details and status
        self.detail = QTextBrowser(objectName="history_detail", openLinks=False)
        self.detail.setReadOnly(True)
        self.status = plain_label(objectName="history_status", wordWrap=True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)

        self.model.page_arrived.connect(lambda _n: self._update_status())
        self.model.failed.connect(lambda _m: self._update_status())
        self.model.loading_changed.connect(lambda _l: self._update_status())
        self.model.modelReset.connect(self._clear_detail)
        self.retranslate()

    # --- public --------------------------------------------------------------------------

    def set_partner(self, partner_id: int | None) -> None:
        """Show this partner's history with the current filters; None empties the page."""
        self.partner_id = partner_id
        self._reload()

    def set_outcome_codes(self, codes) -> None:
        """The outcome codes the filter offers (the agent's profile's), by their labels."""
        self._outcome_codes = list(codes)
        self._fill_outcomes()

    def _fill_outcomes(self) -> None:
        current = self.outcome.currentData()
        self.outcome.blockSignals(True)
        self.outcome.clear()
        self.outcome.addItem(self.tr("any outcome"), None)
        for code in self._outcome_codes:
            self.outcome.addItem(code_label(code), code)
        self.outcome.setCurrentIndex(max(0, self.outcome.findData(current)))
        self.outcome.blockSignals(False)

    def current_filters(self) -> HistoryFilter:
        channel = self.channel.currentData()
        outcome = self.outcome.currentData()
        return HistoryFilter(
            channels=(channel,) if channel else (),
            since=_py_date(self.from_date.date()) if self.from_enabled.isChecked() else None,
            until=_py_date(self.to_date.date()) if self.to_enabled.isChecked() else None,
            outcome=outcome or None, zone=datetime.now().astimezone().tzinfo)

    def apply_filters(self) -> None:
        self._reload()

    def clear_filters(self) -> None:
        self.channel.setCurrentIndex(0)
        self.from_enabled.setChecked(False)
        self.to_enabled.setChecked(False)
        self.outcome.setCurrentIndex(0)
        self._reload()

    def selected_row(self) -> HistoryRow | None:
        index = self.table.currentIndex()
        return self.model.row(index.row()) if index.isValid() else None

    # --- translation ---------------------------------------------------------------------

    def retranslate(self) -> None:
        self.channel_label.setText(self.tr("Channel"))
        current = self.channel.currentData()
        self.channel.blockSignals(True)
        self.channel.clear()
        self.channel.addItem(self.tr("All channels"), None)
        for code, text in zip(CHANNELS, (self.tr("Phone"), self.tr("Email"), self.tr("Chat"))):
            self.channel.addItem(text, code)
        self.channel.setCurrentIndex(max(0, self.channel.findData(current)))
        self.channel.blockSignals(False)
        self.from_enabled.setText(self.tr("From"))
        self.from_enabled.setToolTip(self.tr("Only interactions on or after this day"))
        self.to_enabled.setText(self.tr("To"))
        self.to_enabled.setToolTip(self.tr("Only interactions on or before this day"))
        self.outcome_label.setText(self.tr("Outcome"))
        self._fill_outcomes()
        self.apply_button.setText(self.tr("Apply"))
        self.clear_button.setText(self.tr("Clear"))
        self.clear_button.setToolTip(self.tr("Remove all filters"))
        self.detail.setPlaceholderText(self.tr("Select an interaction to see its details."))
        self.model.retranslate()
        self._update_status()
        self._show_detail_again()

    def changeEvent(self, event) -> None:
        if event.type() in (QEvent.Type.LanguageChange, QEvent.Type.LocaleChange):
            self.retranslate()
        super().changeEvent(event)

    # --- loading -------------------------------------------------------------------------

    def _reload(self) -> None:
        filters = self.current_filters()
        try:
            filters.validate()
        except CrmError as error:
            self._filter_error = str(error)
            self._update_status()
            return
        self._filter_error = None
        self.model.set_query(self.partner_id, filters)
        self._update_status()

    def _update_status(self) -> None:
        m = self.model
        count = m.rowCount()
        if self._filter_error:
            text = self.tr("Check the filter: {error}").format(error=self._filter_error)
        elif m.partner_id is None:
            text = self.tr("No customer confirmed: confirm one to see the interaction history.")
        elif m.error:
            text = self.tr("{count} shown. Could not load the history: {error}").format(
                count=number(count), error=m.error) if count else \
                self.tr("Could not load the history: {error}").format(error=m.error)
        elif m.loading:
            text = self.tr("{count} shown, loading…").format(count=number(count)) if count \
                else self.tr("Loading…")
        elif count == 0:
            text = self.tr("No interactions match.")
        elif m.has_more:
            text = self.tr("{count} shown, more on scroll").format(count=number(count))
        else:
            text = self.tr("{count} shown, all of them").format(count=number(count))
        self.status.setText(text)

    # --- details -------------------------------------------------------------------------

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self._clear_detail()
            return
        r = self.model.row(current.row())
        if r.interaction_id == self._detail_for:
            return
        self._detail_for = r.interaction_id
        self._detail_error = None
        self._detail_values = None
        self.detail.setHtml(f"<p>{html.escape(self.tr('Loading…'))}</p>")
        wanted = r.interaction_id
        self.tasks.run(crm_access.interaction_detail, self.crm, wanted,
                       on_done=lambda values: self._detail_arrived(wanted, r, values),
                       on_error=lambda error: self._detail_failed(wanted, error))

    def _detail_arrived(self, interaction_id: int, r: HistoryRow, values) -> None:
        if interaction_id != self._detail_for:
            return  # the agent has moved on to another record
        self._detail_values = (r, tuple(values))
        self._show_detail(r, dict(values))

    def _detail_failed(self, interaction_id: int, error: BaseException) -> None:
        if interaction_id != self._detail_for:
            return
        if not isinstance(error, CrmError):
            log.error("loading interaction %s failed", interaction_id, exc_info=error)
        self._detail_error = error_text(error)
        self._detail_values = None
        self._show_detail_again()

    def _clear_detail(self) -> None:
        self._detail_for = None
        self._detail_values = None
        self._detail_error = None
        self.detail.clear()

    def _show_detail_again(self) -> None:
        if self._detail_values:
            r, values = self._detail_values
            self._show_detail(r, dict(values))
        elif self._detail_error:
            self.detail.setHtml("<p>{}</p>".format(html.escape(
                self.tr("Could not load the interaction: {error}").format(error=self._detail_error))))

    def _field_labels(self) -> dict[str, str]:
        return {
            "started_at": self.tr("Started"), "channel": self.tr("Channel"),
            "direction": self.tr("Direction"), "status": self.tr("Status"),
            "queue": self.tr("Queue"), "agent": self.tr("Agent"),
            "ani": self.tr("From (ANI / sender)"), "dnis": self.tr("To (DNIS / recipient)"),
            "subject": self.tr("Subject"), "wait_seconds": self.tr("Waited"),
            "talk_seconds": self.tr("Talk time"), "hold_seconds": self.tr("On hold"),
            "wrapup_seconds": self.tr("Wrap-up"), "reason_code": self.tr("Reason"),
            "outcome_code": self.tr("Outcome"), "notes": self.tr("Notes"),
        }

    def _show_detail(self, r: HistoryRow, values: dict[str, object]) -> None:
        statuses = {"open": self.tr("open"), "wrap_up": self.tr("in wrap-up"), "closed": self.tr("closed")}
        shown: dict[str, str] = {}
        for key, value in values.items():
            if key == "started_at":
                value = date_time(r.started_at)
            elif key == "channel":
                value = channel_label(value)
            elif key == "direction":
                value = direction_label(value)
            elif key == "status":
                value = statuses.get(value, value)
            elif key.endswith("_seconds"):
                value = duration(int(value)) if str(value).isdigit() else value
            elif key in ("reason_code", "outcome_code"):
                value = code_label(value)
            elif key == "linked":
                continue  # a list of crm_access.LinkedLine, worded below
            shown[key] = value or ""
        labels = self._field_labels()
        order = [k for k in _DETAIL_FIELDS if k in shown] + [k for k in shown if k not in _DETAIL_FIELDS]
        lines = ["<table cellspacing='0' cellpadding='2'>"]
        for key in order:
            if key in ("notes", "script", "messages", "linked"):
                continue
            lines.append("<tr><td><b>{}</b></td><td>{}</td></tr>".format(
                html.escape(labels.get(key, key.replace("_", " "))), html.escape(shown[key])))
        lines.append("</table>")
        lines.append("<p><b>{}</b></p>".format(html.escape(labels["notes"])))
        notes = shown.get("notes", "")
        lines.append("<p style='white-space: pre-wrap'>{}</p>".format(
            html.escape(notes) if notes else "<i>{}</i>".format(html.escape(self.tr("No notes.")))))
        if shown.get("script"):
            lines.append("<p><b>{}</b></p>".format(html.escape(self.tr("Call script"))))
            lines.append("<p style='white-space: pre-wrap'>{}</p>".format(html.escape(shown["script"])))
        if values.get("linked"):  # what the Action Box created in this interaction, and its emails
            lines.append("<p><b>{}</b></p>".format(html.escape(self.tr("Created in this interaction"))))
            lines.append("<p style='white-space: pre-wrap'>{}</p>".format(
                html.escape("\n".join(self._linked_line(line) for line in values["linked"]))))
        if shown.get("messages"):
            lines.append("<p><b>{}</b></p>".format(html.escape(self.tr("Messages"))))
            lines.append("<p style='white-space: pre-wrap'>{}</p>".format(html.escape(shown["messages"])))
        self.detail.setHtml("".join(lines))

    def _linked_line(self, line: crm_access.LinkedLine) -> str:
        if line.kind == "email":
            status = {"queued": self.tr("waiting to be sent"), "sent": self.tr("sent"),
                      "failed": self.tr("not delivered")}.get(line.status, line.status)
            return " · ".join((self.tr("Email to {address}").format(address=line.reference), line.subject, status))
        text = " · ".join((line.reference, code_label(line.kind), line.subject, code_label(line.status)))
        return text + (" " + self.tr("(looked at)") if line.link == "viewed" else "")


def _py_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())
