"""The real desktop window through whole inbound calls: a real gateway, SIPp
as the customer and as the agents' phones, the CRM on SQLite, and the
window driven through its toolbar, pages and dialogs with pytest-qt."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from agent_desktop.app import Desktop, DesktopSettings
from agent_desktop.controls import Control
from agent_desktop.workbench import GATEWAY_NOTICES, IdStatus
from crm.db import Database
from crm.models import BusinessPartner, Interaction
from desktop_harness import (  # noqa: F401 - fixtures
    add_person,
    desks,
    log_in_desktop,
    saved_record,
    trigger,
    type_chinese,
    wait_enabled,
    wait_mode,
    wait_state,
)
from gateway_harness import (  # noqa: F401 - fixtures
    ANN_TONE,
    BILLING,
    BOB_TONE,
    CUSTOMER_TONE,
    PASSWORD,
    customer,
    make_gateway,
    media,
    phone,
)

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "build" / "screenshots"


def test_a_whole_inbound_call_in_the_desktop_window(make_gateway, desks, media, phone, qtbot, tmp_path):
    gateway = make_gateway()
    partner_id = add_person(gateway.db_url, "张", "伟", phones=["13800138000", "010-6552 9988"],
                            emails=["zhang.wei@example.cn"])
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=1500)
    desk = desks(gateway)("ann", ann_phone.uri)
    window, bench = desk.window, desk.controller.bench
    assert bench.agent.mode == "not_ready"
    assert window.actions[Control.HANGUP].isEnabled() is False
    trigger(desk, Control.READY)
    wait_mode(qtbot, desk, "ready")

    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=30000, ani="13800138000")
    qtbot.waitUntil(lambda: window.header.values["name"].text() == "张伟", timeout=10000)
    assert bench.contact.identification.status is IdStatus.CONFIRMED
    qtbot.waitUntil(lambda: window.header.values["email"].text() == "zhang.wei@example.cn", timeout=10000)
    assert [window.dial_number.itemText(i) for i in range(window.dial_number.count())] == [
        "13800138000", "010-6552 9988"]  # the partner's numbers, offered to dial
    assert window.strip.values["ani"].text() == "13800138000"
    assert window.strip.values["queue"].text() == "billing"
    assert window.stack.currentWidget() is window.identify
    assert window.actions[Control.ACCEPT].isEnabled() and not window.actions[Control.HOLD].isEnabled()
    assert "(F2)" in window.actions[Control.ACCEPT].toolTip()
    trigger(desk, Control.ACCEPT)
    wait_state(qtbot, desk, "talking")
    call_id = bench.contact.call_id
    assert window.actions[Control.HOLD].isEnabled() and not window.actions[Control.ACCEPT].isEnabled()

    window.show_page("business")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "desktop_during_call.png"
    assert window.grab().save(str(shot)) and shot.stat().st_size > 10_000

    trigger(desk, Control.HOLD)
    wait_state(qtbot, desk, "on_hold")
    assert window.strip.values["state"].text() == "on hold"
    qtbot.wait(1500)
    trigger(desk, Control.RETRIEVE)
    wait_state(qtbot, desk, "talking")
    qtbot.wait(500)
    trigger(desk, Control.HANGUP)
    wait_state(qtbot, desk, "wrap_up")
    assert window.stack.currentWidget() is window.record
    record = window.record
    record.reason.setCurrentIndex(record.reason.findData("billing_question"))
    record.reason.activated.emit(record.reason.currentIndex())
    record.outcome.setCurrentIndex(record.outcome.findData("resolved"))
    record.outcome.activated.emit(record.outcome.currentIndex())
    type_chinese(record.notes, "解释了账单")
    qtbot.keyClicks(record.notes, " explained the invoice")
    assert bench.contact.draft.notes == "解释了账单 explained the invoice"
    saved = []
    desk.controller.record_saved.connect(lambda key, rid: saved.append((key, rid)))
    wait_enabled(qtbot, desk, Control.END)
    trigger(desk, Control.END)
    qtbot.waitUntil(lambda: bool(saved), timeout=15000)
    assert bench.contact is None and window.header.values["name"].text() != "张伟"
    wait_mode(qtbot, desk, "ready")

    row = gateway.wait_until(lambda: (r := saved_record(gateway.db_url, call_id, "ann")) and
                             r.status == "closed" and r, what="the closed record")
    assert (row.partner_id, row.queue, row.ani, row.dnis) == (partner_id, "billing", "13800138000", "4001")
    assert (row.reason_code, row.outcome_code) == ("billing_question", "resolved")
    assert row.notes == "解释了账单 explained the invoice"
    assert row.talk_seconds >= 2 and row.hold_seconds >= 1 and row.wait_seconds <= 3
    assert row.end_cause == "agent_hangup"
    caller.stop()


def test_an_unknown_caller_is_searched_for_then_created_after_a_duplicate_check(
        make_gateway, desks, media, phone, qtbot, tmp_path):
    gateway = make_gateway()
    add_person(gateway.db_url, "王", "芳", emails=["wang.fang@example.cn"])
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=300)
    desk = desks(gateway)("ann", ann_phone.uri)
    trigger(desk, Control.READY)
    wait_mode(qtbot, desk, "ready")
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=30000, ani="13911112222")
    bench, page = desk.controller.bench, desk.window.identify
    qtbot.waitUntil(lambda: bool(bench.contact and bench.contact.identification.status is IdStatus.UNKNOWN),
                    timeout=10000)
    assert page.query.text() == "13911112222" and page.new_phone.text() == "13911112222"
    page.query.setText("wang.fang@example.cn")
    qtbot.mouseClick(page.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.results_model.rowCount() == 1, timeout=5000)
    assert page.results_model.item(0, 1).text() == "王芳"
    # Not that one: a new customer, who turns out to share the name and email.
    page.new_last.setText("王")
    page.new_first.setText("芳")
    page.new_email.setText("wang.fang@example.cn")
    qtbot.mouseClick(page.new_save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.new_save_anyway.isVisible(), timeout=5000)
    assert bench.confirmed_partner is None
    qtbot.mouseClick(page.new_save_anyway, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bench.confirmed_partner is not None, timeout=5000)
    qtbot.waitUntil(lambda: desk.window.header.values["name"].text() == "王芳", timeout=5000)
    created = bench.confirmed_partner
    database = Database.open(gateway.db_url)
    with database.reading() as session:
        partner = session.get(BusinessPartner, created.partner_id)
        assert sorted(p.raw for p in partner.phones) == ["13911112222"]
    database.dispose()
    caller.stop()


def test_several_matches_are_listed_and_the_agent_picks_the_caller(
        make_gateway, desks, media, phone, qtbot, tmp_path):
    gateway = make_gateway()
    add_person(gateway.db_url, "刘", "洋", phones=["13700001111"])
    second = add_person(gateway.db_url, "刘", "静", phones=["137 0000 1111"])
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=300)
    desk = desks(gateway)("ann", ann_phone.uri)
    trigger(desk, Control.READY)
    wait_mode(qtbot, desk, "ready")
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=30000, ani="13700001111")
    bench, page = desk.controller.bench, desk.window.identify
    qtbot.waitUntil(lambda: bool(bench.contact and bench.contact.identification.status is IdStatus.CHOOSE),
                    timeout=10000)
    assert page.matches_model.rowCount() == 2 and bench.confirmed_partner is None
    assert desk.window.header.values["name"].text() != "刘静"
    row = next(r for r in range(2) if page.matches_model.item(r, 1).text() == "刘静")
    page.matches.selectRow(row)
    qtbot.mouseClick(page.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: desk.window.header.values["name"].text() == "刘静", timeout=5000)
    assert bench.confirmed_partner.partner_id == second
    caller.stop()


def test_a_transfer_pops_the_same_confirmed_partner_with_the_notes_on_the_second_desktop(
        make_gateway, desks, media, phone, qtbot, tmp_path):
    gateway = make_gateway()
    partner_id = add_person(gateway.db_url, "赵", "磊", phones=["13600006666"])
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=300)
    bob_phone = phone("bob", media(BOB_TONE), answer_ms=300)
    open_desk = desks(gateway)
    ann = open_desk("ann", ann_phone.uri)
    bob = open_desk("bob", bob_phone.uri)
    trigger(ann, Control.READY)
    wait_mode(qtbot, ann, "ready")
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=30000, ani="13600006666")
    wait_state(qtbot, ann, "talking")
    qtbot.waitUntil(lambda: ann.controller.bench.confirmed_partner is not None, timeout=5000)
    call_id = ann.controller.bench.contact.call_id
    ann.window.show_page("record")
    qtbot.keyClicks(ann.window.record.notes, "wants fibre 300")
    trigger(bob, Control.READY)
    wait_mode(qtbot, bob, "ready")

    def fill_transfer_dialog():
        dialog = QApplication.activeModalWidget()
        dialog.kind.setCurrentIndex(dialog.kind.findData("agent"))
        dialog.value.setText("bob")
        dialog.accept()

    QTimer.singleShot(300, fill_transfer_dialog)
    trigger(ann, Control.TRANSFER)
    qtbot.waitUntil(lambda: bob.controller.bench.contact is not None, timeout=10000)
    bob_contact = bob.controller.bench.contact
    qtbot.waitUntil(lambda: bob.controller.bench.confirmed_partner is not None, timeout=5000)
    assert bob.controller.bench.confirmed_partner.partner_id == partner_id
    assert bob_contact.identification.source == "transfer"
    assert "wants fibre 300" in bob_contact.handed_over_notes and bob_contact.handed_over_by == "Ann"
    qtbot.waitUntil(lambda: bob.window.header.values["name"].text() == "赵磊", timeout=5000)
    bob.window.show_page("record")
    assert not bob.window.record.handover.isHidden() and "wants fibre 300" in bob.window.record.handover.toPlainText()
    saved = []  # the desktops' saves: the gateway writes the rows earlier, without the agents' part
    for desk in (ann, bob):
        desk.controller.record_saved.connect(lambda key, rid: saved.append(rid))
    wait_state(qtbot, ann, "wrap_up")
    wait_enabled(qtbot, ann, Control.END)
    trigger(ann, Control.END)
    wait_state(qtbot, bob, "talking")
    trigger(bob, Control.HANGUP)
    wait_state(qtbot, bob, "wrap_up")
    wait_enabled(qtbot, bob, Control.END)
    trigger(bob, Control.END)
    qtbot.waitUntil(lambda: len(saved) == 2, timeout=15000)
    bob_row = saved_record(gateway.db_url, call_id, "bob")
    ann_row = saved_record(gateway.db_url, call_id, "ann")
    assert bob_row.partner_id == partner_id == ann_row.partner_id
    assert "wants fibre 300" in (bob_row.notes or "") and ann_row.notes == "wants fibre 300"
    caller.stop()


def test_a_gateway_crash_mid_call_is_shown_and_the_desktop_recovers(
        make_gateway, desks, media, phone, qtbot, tmp_path):
    gateway = make_gateway()
    add_person(gateway.db_url, "孙", "丽", phones=["13500005555"])
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=300)
    desk = desks(gateway)("ann", ann_phone.uri)
    bench, window = desk.controller.bench, desk.window
    trigger(desk, Control.READY)
    wait_mode(qtbot, desk, "ready")
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=60000, ani="13500005555")
    wait_state(qtbot, desk, "talking")
    window.show_page("record")
    qtbot.keyClicks(window.record.notes, "before the restart")
    gateway.process.kill()  # the gateway dies; its SIP worker with it
    gateway.stop()
    qtbot.waitUntil(lambda: not bench.connected, timeout=8000)
    assert window.strip.banner.isVisible() and "not reachable" in window.strip.banner.text()
    assert window.record.notes.isEnabled()
    qtbot.keyClicks(window.record.notes, ", and during it")
    gateway.restart()
    qtbot.waitUntil(lambda: bench.connected, timeout=15000)
    assert not window.strip.banner.isVisible()
    qtbot.waitUntil(lambda: bench.call_state() == "lost", timeout=5000)
    assert bench.contact.draft.notes == "before the restart, and during it"
    saved = []
    desk.controller.record_saved.connect(lambda key, rid: saved.append(rid))
    wait_enabled(qtbot, desk, Control.END)
    trigger(desk, Control.END)
    qtbot.waitUntil(lambda: bool(saved), timeout=15000)
    database = Database.open(gateway.db_url)
    with database.reading() as session:
        assert session.get(Interaction, saved[0]).notes == "before the restart, and during it"
    database.dispose()
    caller.stop()


def test_a_gateway_stopped_mid_call_ends_it_with_a_notice_and_the_agent_wraps_up(
        make_gateway, desks, media, phone, qtbot, tmp_path):
    gateway = make_gateway()
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=300)
    desk = desks(gateway)("ann", ann_phone.uri)
    bench, window = desk.controller.bench, desk.window
    trigger(desk, Control.READY)
    wait_mode(qtbot, desk, "ready")
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=60000, ani="13500006666")
    wait_state(qtbot, desk, "talking")
    window.show_page("record")
    qtbot.keyClicks(window.record.notes, "asked about the invoice")
    gateway.stop()  # SIGTERM: the caller hears a goodbye, the agent is told
    qtbot.waitUntil(lambda: bench.call_state() == "wrap_up", timeout=8000)
    assert bench.contact.result.cause == "gateway_stopped"
    assert any(n.template == GATEWAY_NOTICES["gateway_stopping"] for n in bench.notices)
    assert caller.wait(15).ok
    gateway.restart()
    qtbot.waitUntil(lambda: bench.connected, timeout=15000)
    saved = []
    desk.controller.record_saved.connect(lambda key, rid: saved.append(rid))
    wait_enabled(qtbot, desk, Control.END)
    trigger(desk, Control.END)
    qtbot.waitUntil(lambda: bool(saved), timeout=15000)
    database = Database.open(gateway.db_url)
    with database.reading() as session:
        record = session.get(Interaction, saved[0])
        assert (record.notes, record.end_cause) == ("asked about the invoice", "gateway_stopped")
    database.dispose()


def test_the_demo_menu_places_a_customers_call_that_the_agent_handles_to_the_end(
        make_gateway, desks, media, phone, qtbot, tmp_path):
    from agent_desktop.demo import DemoCalls

    gateway = make_gateway()
    partner_id = add_person(gateway.db_url, "周", "敏", phones=["13512345678"])
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=300)
    make = desks(gateway)
    settings = DesktopSettings(
        command_address=gateway.commands, event_address=gateway.events,
        gateway_public_key=gateway.public_key.decode(),
        draft_dir=tmp_path / "drafts", user="ann", password=PASSWORD,
        demo=DemoCalls(sip_address=f"127.0.0.1:{gateway.sip_port}", dnis="4001", hold_for=30,
                       numbers=("13512345678",)))  # what `cicada demo` hands the desktop
    desk = Desktop(settings, log_in_desktop(make.app, "ann", tmp_path / "known"), device=ann_phone.uri,
                   queues=None)
    qtbot.addWidget(desk.window)
    make.open.append(desk)
    desk.start()
    qtbot.waitUntil(lambda: bool(desk.controller.bench.connected and desk.controller.bench.agent), timeout=10000)
    trigger(desk, Control.READY)
    wait_mode(qtbot, desk, "ready")
    desk.window.demo_action.trigger()
    qtbot.waitUntil(lambda: desk.window.header.values["name"].text() == "周敏", timeout=20000)
    assert desk.controller.bench.contact.ani == "13512345678"
    trigger(desk, Control.ACCEPT)
    wait_state(qtbot, desk, "talking")
    trigger(desk, Control.HANGUP)
    wait_state(qtbot, desk, "wrap_up")
    call_id = desk.controller.bench.contact.call_id
    wait_enabled(qtbot, desk, Control.END)
    trigger(desk, Control.END)
    row = gateway.wait_until(lambda: (r := saved_record(gateway.db_url, call_id, "ann")) and
                             r.status == "closed" and r, what="the closed record")
    assert row.partner_id == partner_id and row.end_cause == "agent_hangup"
    qtbot.waitUntil(lambda: all(p.poll() is not None for p in desk.window.demo_calls), timeout=10000)
