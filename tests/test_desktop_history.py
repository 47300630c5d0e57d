"""The Interaction History page: a customer with 100,000 records, paged as the
table scrolls, filtered, with the selected record's details, and a query
replaced while its page is still on the way."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCore import QCoreApplication, QDate, QDateTime, QEvent, QLocale, Qt, QTime, QTranslator
from sqlalchemy import insert, select

import factories
from agent_desktop import crm_access
from app_harness import InProcessApp
from desktop_harness import signed_in_client, url_of
from agent_desktop.ui.history_page import HistoryModel, HistoryPage
from agent_desktop.ui.tasks import TaskRunner
from crm.db import Database
from crm.models import BusinessTransaction, Interaction, InteractionLink, OutboundEmail

BIG = 100_000
PAGE = 200
T0 = datetime(2025, 1, 1, 8, 0)
CHANNELS = ("phone", "email", "chat")
OUTCOMES = ("solved", "callback", "no_answer", "escalated")


def _started(i: int) -> datetime:
    # three records share each start time, so keyset paging must break ties by id
    return T0 + timedelta(minutes=10 * (i // 3))


@pytest.fixture(scope="module")
def history_db(migrated_engine):
    """One database for the module: an agent, a customer of his with 100,000
    interactions, and a small one."""
    import conftest

    database = Database(migrated_engine)
    with database.unit_of_work() as s:
        agent = factories.user(s, "hist_agent")
        big = factories.person(s, agent, first="Wei", last="Zhang")
        small = factories.person(s, agent, first="Mei", last="Chen")
        ids = (agent, big.id, small.id)
    agent, big, small = ids
    rows = [dict(partner_id=big, channel=CHANNELS[i % 3], direction="inbound" if i % 2 else "outbound",
                 status="closed", queue="service", agent_id=agent.user_id, subject=f"big {i}",
                 started_at=_started(i), talk_seconds=i % 600, reason_code="question",
                 outcome_code=OUTCOMES[i % 4], notes=f"notes of big {i}")
            for i in range(BIG)]
    rows += [dict(partner_id=small, channel="email", direction="inbound", status="closed",
                  agent_id=agent.user_id, subject=f"small {i}", started_at=T0 + timedelta(days=i),
                  notes=f"notes of small {i}") for i in range(5)]
    with migrated_engine.begin() as conn:
        for start in range(0, len(rows), 20_000):
            conn.execute(insert(Interaction), rows[start:start + 20_000])
    yield database, agent, big, small
    conftest._empty_all_tables(migrated_engine)


@pytest.fixture(scope="module")
def agent_client(history_db, tmp_path_factory):
    """The agent's desktop client of a real application service on that database."""
    database, *_ = history_db
    with InProcessApp(url_of(database), tmp_path_factory.mktemp("app")) as app:
        client = signed_in_client(app, "hist_agent", factories.PASSWORD)
        yield client
        client.close()


@pytest.fixture
def tasks():
    runner = TaskRunner()
    yield runner
    runner.shutdown()


@pytest.fixture
def page(qtbot, tasks, agent_client):
    widget = HistoryPage(tasks, agent_client)
    qtbot.addWidget(widget)
    widget.resize(1100, 600)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    qtbot.waitUntil(lambda: tasks.pending == 0, timeout=10_000)


@pytest.fixture
def calls(monkeypatch):
    """Every history query the page makes, and how many ran at once at most."""
    real = crm_access.history_page
    seen = {"calls": [], "running": 0, "most": 0}
    lock = threading.Lock()

    def counting(crm, partner_id, **kwargs):
        with lock:
            seen["calls"].append((partner_id, kwargs["before"]))
            seen["running"] += 1
            seen["most"] = max(seen["most"], seen["running"])
        try:
            return real(crm, partner_id, **kwargs)
        finally:
            with lock:
                seen["running"] -= 1

    monkeypatch.setattr(crm_access, "history_page", counting)
    return seen


def _key(row):
    return (row.started_at, row.interaction_id)


def _loaded(model: HistoryModel, count: int):
    return lambda: not model.loading and model.rowCount() == count


def _scroll_to_bottom(qtbot, page: HistoryPage) -> None:
    table = page.table
    bar = table.verticalScrollBar()
    # the scroll range follows the new rows once the view has laid them out
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() < bar.maximum())
    table.scrollToBottom()


@pytest.fixture
def in_china(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_first_page_then_more_pages_on_scroll(qtbot, page, history_db, calls, in_china):
    _db, _agent, big, *_ = history_db
    model, table = page.model, page.table
    assert table.objectName() == "history_table"
    assert page.findChild(type(page.status), "history_status") is page.status

    page.set_partner(big)
    assert model.loading  # the query went to a worker; the GUI thread did not wait for it
    assert page.status.text() == "Loading…"
    qtbot.waitUntil(_loaded(model, PAGE))
    assert model.row(0).subject == f"big {BIG - 1}"  # newest first
    assert model.has_more
    assert page.status.text() == f"{QLocale().toString(PAGE)} shown, more on scroll"
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Date/time"
    assert model.data(model.index(0, 8)) == "06:39"  # 99999 % 600 seconds, mm:ss
    assert model.data(model.index(0, 1)) == "Phone"  # 99999 % 3 == 0
    newest = _started(BIG - 1)  # naive UTC, as the CRM keeps it; shown in the agent's time zone
    local = newest + timedelta(hours=8)  # the test runs in China (the fixture `in_china`)
    assert model.data(model.index(0, 0)) == QLocale().toString(
        QDateTime(QDate(local.year, local.month, local.day), QTime(local.hour, local.minute)),
        QLocale.FormatType.ShortFormat)

    for pages in range(2, 5):
        _scroll_to_bottom(qtbot, page)
        assert model.loading
        model.fetchMore()  # a second request while one is on its way is ignored
        with qtbot.waitSignal(model.page_arrived) as arrived:
            pass
        assert arrived.args == [PAGE]
        qtbot.waitUntil(_loaded(model, pages * PAGE))
        assert f"{QLocale().toString(pages * PAGE)} shown" in page.status.text()

    rows = model.rows()
    keys = [_key(r) for r in rows]
    assert len({r.interaction_id for r in rows}) == len(rows) == 4 * PAGE
    assert keys == sorted(keys, reverse=True)  # newest first across the page boundaries
    assert [r.subject for r in rows] == [f"big {i}" for i in range(BIG - 1, BIG - 1 - 4 * PAGE, -1)]
    assert len(calls["calls"]) == 4 and calls["most"] == 1
    assert calls["calls"][0][1] is None
    assert [c[1] for c in calls["calls"][1:]] == [_key(rows[n * PAGE - 1]) for n in (1, 2, 3)]


def _expected(predicate) -> list[str]:
    return [f"big {i}" for i in range(BIG - 1, -1, -1) if predicate(i)]


def _apply(qtbot, page: HistoryPage) -> None:
    qtbot.mouseClick(page.findChild(type(page.apply_button), "history_apply"), Qt.MouseButton.LeftButton)


def test_channel_date_and_outcome_filters(qtbot, page, history_db):
    _db, _agent, big, *_ = history_db
    model = page.model
    page.set_partner(big)
    qtbot.waitUntil(_loaded(model, PAGE))

    channel = page.findChild(type(page.channel), "history_channel")
    channel.setCurrentIndex(channel.findData("email"))
    _apply(qtbot, page)
    qtbot.waitUntil(_loaded(model, PAGE))
    _scroll_to_bottom(qtbot, page)
    qtbot.waitUntil(_loaded(model, 2 * PAGE))
    assert {r.channel for r in model.rows()} == {"email"}
    assert [r.subject for r in model.rows()] == _expected(lambda i: i % 3 == 1)[:2 * PAGE]

    # one day, every channel: 144 ten-minute slots of three records = 432 rows, in three pages
    day = date(2025, 1, 11)
    in_day = _expected(lambda i: _started(i).date() == day)
    assert len(in_day) == 432
    channel.setCurrentIndex(0)
    page.from_enabled.setChecked(True)
    page.to_enabled.setChecked(True)
    page.from_date.setDate(QDate(2025, 1, 11))
    page.to_date.setDate(QDate(2025, 1, 11))
    _apply(qtbot, page)
    qtbot.waitUntil(_loaded(model, PAGE))
    _scroll_to_bottom(qtbot, page)
    qtbot.waitUntil(_loaded(model, 2 * PAGE))
    _scroll_to_bottom(qtbot, page)
    qtbot.waitUntil(_loaded(model, 432))
    assert not model.has_more and not model.canFetchMore()
    assert [r.subject for r in model.rows()] == in_day
    assert page.status.text() == f"{QLocale().toString(432)} shown, all of them"

    # the same day, chats only
    channel.setCurrentIndex(channel.findData("chat"))
    _apply(qtbot, page)
    qtbot.waitUntil(_loaded(model, 144))
    assert [r.subject for r in model.rows()] == _expected(
        lambda i: _started(i).date() == day and i % 3 == 2)

    # outcome, picked from the profile's codes by their labels
    page.findChild(type(page.clear_button), "history_clear").click()
    qtbot.waitUntil(_loaded(model, PAGE))
    page.set_outcome_codes(OUTCOMES)
    outcome = page.findChild(type(page.outcome), "history_outcome")
    assert [outcome.itemText(i) for i in range(outcome.count())] == [
        "any outcome", "solved", "callback", "no answer", "escalated"]
    outcome.setCurrentIndex(outcome.findData("callback"))
    outcome.activated.emit(outcome.currentIndex())
    qtbot.waitUntil(_loaded(model, PAGE))
    assert {r.outcome_code for r in model.rows()} == {"callback"}
    assert model.data(model.index(0, 7)) == "callback"

    # a range that ends before it starts is refused without asking the database
    page.from_enabled.setChecked(True)
    page.to_enabled.setChecked(True)
    page.from_date.setDate(QDate(2025, 2, 1))
    page.to_date.setDate(QDate(2025, 1, 1))
    _apply(qtbot, page)
    assert not model.loading
    assert "the date range ends before it starts" in page.status.text()

    page.findChild(type(page.clear_button), "history_clear").click()
    qtbot.waitUntil(_loaded(model, PAGE))
    assert outcome.currentData() is None
    assert model.row(0).subject == f"big {BIG - 1}"
    assert page.status.text().endswith("shown, more on scroll")


def test_selecting_a_row_shows_its_details(qtbot, page, history_db):
    _db, _agent, big, *_ = history_db
    page.set_partner(big)
    qtbot.waitUntil(_loaded(page.model, PAGE))
    detail = page.findChild(type(page.detail), "history_detail")
    assert detail.isReadOnly()

    page.table.selectRow(5)
    chosen = page.model.row(5)
    assert page.selected_row() == chosen
    qtbot.waitUntil(lambda: f"notes of {chosen.subject}" in detail.toPlainText())
    text = detail.toPlainText()
    assert chosen.subject in text and "Hist_Agent" in text and "service" in text

    # another row replaces it; a row past the first page too
    _scroll_to_bottom(qtbot, page)
    qtbot.waitUntil(_loaded(page.model, 2 * PAGE))
    page.table.selectRow(PAGE + 3)
    qtbot.waitUntil(lambda: f"notes of big {BIG - 1 - PAGE - 3}" in detail.toPlainText())
    assert f"notes of {chosen.subject}" not in detail.toPlainText()

    # another customer empties the pane
    page.set_partner(None)
    assert page.model.rowCount() == 0 and detail.toPlainText() == ""
    assert page.status.text().startswith("No customer confirmed")


def test_the_details_list_what_was_created_and_sent_in_that_interaction(qtbot, page, history_db):
    database, agent, _big, small = history_db
    with database.unit_of_work() as s:
        record = s.scalar(select(Interaction).where(Interaction.subject == "small 4"))
        order = BusinessTransaction(number="SO-HIST-1", kind="service_order", status="in_process",
                                    partner_id=small, subject="Router replaced")
        complaint = BusinessTransaction(number="CP-HIST-1", kind="complaint", partner_id=small,
                                        subject="Late technician")
        s.add_all([order, complaint])
        s.flush()
        s.add_all([InteractionLink(interaction_id=record.id, transaction_id=order.id, link="created"),
                   InteractionLink(interaction_id=record.id, transaction_id=complaint.id, link="viewed"),
                   OutboundEmail(message_id="<hist-1@cicada>", partner_id=small, interaction_id=record.id,
                                 sender="service@cicada.example", to_address="mei.chen@example.cn",
                                 subject="Your service order", body_text="...", status="failed")])
    page.set_partner(small)
    qtbot.waitUntil(_loaded(page.model, 5))
    page.table.selectRow(0)
    assert page.model.row(0).subject == "small 4"
    qtbot.waitUntil(lambda: "Created in this interaction" in page.detail.toPlainText())
    text = page.detail.toPlainText()
    assert "SO-HIST-1 · service order · Router replaced · in process" in text
    assert "CP-HIST-1 · complaint · Late technician · open (looked at)" in text
    assert "Email to mei.chen@example.cn · Your service order · not delivered" in text


def test_switching_partner_drops_the_page_in_flight(qtbot, page, tasks, history_db, calls, monkeypatch):
    _db, _agent, big, small = history_db
    model = page.model
    gate, held_up = threading.Event(), threading.Event()
    counting = crm_access.history_page

    def held(crm, partner_id, **kwargs):
        if partner_id == big:
            held_up.set()
            assert gate.wait(10), "the test never released the first query"
        return counting(crm, partner_id, **kwargs)

    monkeypatch.setattr(crm_access, "history_page", held)
    try:
        page.set_partner(big)
        qtbot.waitUntil(held_up.is_set)  # a worker is running the big customer's query
        assert model.loading

        page.set_partner(small)
        qtbot.waitUntil(_loaded(model, 5))
        assert [r.subject for r in model.rows()] == [f"small {i}" for i in range(4, -1, -1)]
    finally:
        gate.set()
    # the big customer's page arrives late and is thrown away
    qtbot.waitUntil(lambda: tasks.pending == 0)
    assert model.dropped == 1
    assert [c[0] for c in calls["calls"]] == [small, big]
    assert [r.subject for r in model.rows()] == [f"small {i}" for i in range(4, -1, -1)]
    assert not model.loading and not model.has_more
    assert page.status.text() == "5 shown, all of them"


def test_errors_are_shown_plainly(qtbot, page, history_db, monkeypatch):
    _db, _agent, big, small = history_db
    missing = big + small + 1000
    page.set_partner(missing)
    qtbot.waitUntil(lambda: page.model.error is not None)
    assert page.model.rowCount() == 0 and not page.model.canFetchMore()
    assert page.status.text() == f"Could not load the history: No business partner with id {missing}."

    def broken(*_args, **_kwargs):
        raise RuntimeError("the database went away\nTraceback and other noise")

    monkeypatch.setattr(crm_access, "interaction_detail", broken)
    page.set_partner(small)
    qtbot.waitUntil(_loaded(page.model, 5))
    page.table.selectRow(0)
    qtbot.waitUntil(lambda: "Could not load the interaction" in page.detail.toPlainText())
    assert page.detail.toPlainText() == "Could not load the interaction: the database went away"

    monkeypatch.setattr(crm_access, "history_page", broken)
    page.apply_button.click()
    qtbot.waitUntil(lambda: page.model.error is not None)
    assert page.status.text() == "Could not load the history: the database went away"


class _German(QTranslator):
    WORDS = {"Apply": "Anwenden", "Channel": "Kanal", "Date/time": "Datum/Uhrzeit",
             "{count} shown, more on scroll": "{count} angezeigt, mehr beim Blättern"}

    def translate(self, context, source, disambiguation=None, n=-1):
        return self.WORDS.get(source)

    def isEmpty(self):
        return False


def test_language_change_retranslates(qtbot, page, history_db):
    _db, _agent, big, *_ = history_db
    page.set_partner(big)
    qtbot.waitUntil(_loaded(page.model, PAGE))
    translator = _German()
    headers = []
    page.model.headerDataChanged.connect(lambda *args: headers.append(args))
    assert QCoreApplication.installTranslator(translator)
    try:
        qtbot.waitUntil(lambda: page.apply_button.text() == "Anwenden")
        assert page.channel_label.text() == "Kanal"
        assert page.model.headerData(0, Qt.Orientation.Horizontal) == "Datum/Uhrzeit"
        assert headers  # the view is told to fetch the new header labels
        assert page.status.text() == f"{QLocale().toString(PAGE)} angezeigt, mehr beim Blättern"
    finally:
        QCoreApplication.removeTranslator(translator)
    qtbot.waitUntil(lambda: page.apply_button.text() == "Apply")
    QCoreApplication.sendEvent(page, QEvent(QEvent.Type.LanguageChange))
    assert page.model.headerData(0, Qt.Orientation.Horizontal) == "Date/time"
