"""The Action Box in the real desktop during a real call: every built-in
action run from its pre-filled form, the objects linked to the interaction
record and shown in the business data at once, the email queued and sent
by the mail queue's round to a real SMTP listener, the guard rails in the
window."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from agent_desktop import crm_access
from agent_desktop.controls import Control
from crm.db import Database
from crm.models import (
    BusinessPartner,
    BusinessTransaction,
    InstalledBaseItem,
    InteractionLink,
    OutboundEmail,
    Product,
)
from crm.services.partners import AddressDraft
from desktop_harness import (  # noqa: F401 - fixtures
    add_person,
    desks,
    trigger,
    type_chinese,
    wait_enabled,
    wait_mode,
    wait_state,
)
from gateway_harness import (  # noqa: F401 - fixtures
    ANN_TONE,
    CUSTOMER_TONE,
    customer,
    make_gateway,
    media,
    phone,
)
from email_queue.outbox import send_due
from mail_harness import relay  # noqa: F401 - fixture

pytestmark = pytest.mark.slow
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


def catalogue_and_router(db_url: str, partner_id: int) -> None:
    database = Database.open(db_url)
    with database.unit_of_work() as session:
        router = Product(product_no="P000017", name="Wi-Fi 6 router", unit_price=Decimal("399.00"))
        session.add_all([router, Product(product_no="P000002", name="Fibre 300", unit_price=Decimal("199.00"))])
        session.flush()
        session.add(InstalledBaseItem(partner_id=partner_id, product_id=router.id, serial_no="SN-778"))
    database.dispose()


def run_form(qtbot, page, action_id: str, fill=None):
    dialog = page.open_action(action_id)
    assert dialog is not None, page.reason.text()
    if fill:
        fill(dialog)
    dialog.save()
    qtbot.waitUntil(lambda: dialog.result_done is not None or (dialog.error.text() not in ("", "Saving…")),
                    timeout=10000)
    return dialog


def keyboard_through_the_product_lines(qtbot, dialog) -> None:
    """Tab leaves the product table for the next fields instead of going round
    its cells; Alt+A adds a line and puts the cursor in it."""
    lines = dialog.inputs["lines"]
    dialog.show()
    dialog.activateWindow()
    qtbot.waitExposed(dialog)
    picker = lines.table.cellWidget(0, 0)
    picker.setFocus()
    qtbot.waitUntil(picker.hasFocus)
    visited = []
    for _ in range(6):
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        visited.append(QApplication.focusWidget())
        if visited[-1] is dialog.inputs["delivery_address"]:
            break
    assert visited[-1] is dialog.inputs["delivery_address"], [type(w).__name__ for w in visited]
    assert picker not in visited
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    assert lines.table.rowCount() == 2
    assert QApplication.focusWidget() in (lines.table.cellWidget(1, 0), lines.table.cellWidget(1, 0).lineEdit())
    lines.table.setCurrentCell(1, 0)
    lines.remove_button.click()
    assert lines.table.rowCount() == 1 and lines.total.text() == "Order total: 398.00 CNY"


def test_every_action_runs_from_its_form_during_a_call(make_gateway, desks, media, phone, relay,
                                                      qtbot, tmp_path, monkeypatch):
    inbox, smtp = relay
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()) or True)
    gateway = make_gateway()
    partner_id = add_person(gateway.db_url, "张", "伟", phones=["13800138000"], emails=["zhang.wei@example.cn"],
                            addresses=[AddressDraft(country="CN", city="北京", street="建国路 88 号")])
    catalogue_and_router(gateway.db_url, partner_id)
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=300)
    desk = desks(gateway)("ann", ann_phone.uri)
    window = desk.window
    page = window.action_box
    window.show_page("actions")
    assert "no contact in the workspace" in page.lists[0].item(0).text()
    assert all(not widget.item(i).icon().isNull() for widget in page.lists for i in range(widget.count()))
    trigger(desk, Control.READY)
    wait_mode(qtbot, desk, "ready")
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=60000, ani="13800138000")
    wait_state(qtbot, desk, "talking")
    qtbot.waitUntil(lambda: desk.controller.actions.context is not None
                    and desk.controller.actions.context.partner is not None, timeout=10000)
    window.show_page("actions")
    assert all("—" not in page.lists[0].item(i).text() for i in range(page.lists[0].count()))

    qtbot.keyClicks(page.search, "compl")  # type to find, Enter to open
    assert page.found.count() == 1 and page.found.item(0).text() == "Complaint"
    QTest.keyClick(page.search, Qt.Key.Key_Return)
    done = page.dialog
    assert done is not None and done.objectName() == "action_form_complaint" and done.isVisible()
    page.search.clear()
    done.inputs["category"].setCurrentIndex(done.inputs["category"].findData("billing"))
    done.inputs["description"].setPlainText("charged twice for November")
    done.activateWindow()
    qtbot.waitUntil(done.isActiveWindow, timeout=5000)
    QTest.keyClick(done.inputs["description"], Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: done.result_done is not None or done.error.text() not in ("", "Saving…"), timeout=10000)
    assert done.result_done.outcome.number.startswith("CP"), done.error.text()
    service = run_form(qtbot, page, "service_order",
                       lambda d: d.inputs["description"].setPlainText("router reboots every hour"))
    assert service.result_done is not None, service.error.text()

    def bad_order(dialog):
        dialog.inputs["lines"].table.cellWidget(0, 0).setEditText("P404")

    refused = run_form(qtbot, page, "sales_order", bad_order)
    assert "no product P404" in refused.error.text() and refused.isVisible()  # kept open, nothing lost
    refused.reject()

    def order(dialog):
        lines = dialog.inputs["lines"]
        lines.table.cellWidget(0, 0).setCurrentIndex(lines.table.cellWidget(0, 0).findData("P000002"))
        lines.table.cellWidget(0, 1).setValue(2)
        assert "北京" in dialog.inputs["delivery_address"].toPlainText()  # the partner's address
        assert (lines.table.item(0, 2).text(), lines.table.item(0, 3).text()) == ("199.00", "398.00")
        assert lines.total.text() == "Order total: 398.00 CNY"
        keyboard_through_the_product_lines(qtbot, dialog)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        dialog.show()
        assert dialog.grab().save(str(SCREENSHOTS / "action_form_sales_order.png"))

    assert run_form(qtbot, page, "sales_order", order).result_done is not None
    made = {}
    made["callback"] = run_form(qtbot, page, "callback").result_done
    made["lead"] = run_form(qtbot, page, "lead", lambda d: d.inputs["subject"].setText("Fibre for the office")
                            ).result_done

    def task(dialog):
        dialog.inputs["assignee"].setCurrentIndex(dialog.inputs["assignee"].findData("user:bob"))
        dialog.inputs["subject"].setText("Send the contract")

    made["task"] = run_form(qtbot, page, "task", task).result_done
    assert all(made.values()), made
    mail = run_form(qtbot, page, "email")
    assert mail.result_done is not None and "zhang.wei@example.cn" in mail.result_done.outcome.summary
    qtbot.waitUntil(lambda: page.done.count() == 7, timeout=5000)
    assert any("in the outbox" in page.done.item(i).text() for i in range(7))  # the desktop sends nothing itself
    outbox = Database.open(gateway.db_url)
    assert [d.status for d in send_due(outbox, smtp)] == ["sent"]  # the mail queue's round
    outbox.dispose()
    assert inbox.messages[0]["To"] == "zhang.wei@example.cn"
    desk.controller.actions.delivery_done(mail.result_done.outcome.email_id)  # as the mail queue tells it
    page.open_action("map")
    qtbot.waitUntil(lambda: bool(opened), timeout=5000)
    assert opened[0].startswith("https://www.openstreetmap.org/search?query=")

    qtbot.waitUntil(lambda: page.done.count() == 8, timeout=5000)
    qtbot.waitUntil(lambda: any("sent" in page.done.item(i).text() for i in range(page.done.count())),
                    timeout=10000)
    business = window.business
    for kind in ("complaint", "service_order", "sales_order", "callback", "lead", "task"):  # at once
        qtbot.waitUntil(lambda kind=kind: len(business.items_in(kind)) == 1, timeout=5000)
    callback_line = business.items_in("callback")[0].text(1)
    assert "13800138000" in callback_line and "ann" in callback_line.lower()  # number and who calls back
    assert "Bob" in business.items_in("task")[0].text(1)  # who must act on it
    business._open(business.items_in("sales_order")[0])
    shown = [business.detail_form.itemAt(i, business.detail_form.ItemRole.FieldRole).widget().text()
             for i in range(business.detail_form.rowCount())]
    assert "398.00 CNY" in shown  # the amount in the locale's format with its currency
    assert not any(re.search(r"\d{4}-\d\d-\d\d", text) for text in shown)  # dates in the locale's format
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(SCREENSHOTS / "desktop_action_box.png"))

    trigger(desk, Control.HANGUP)
    wait_state(qtbot, desk, "wrap_up")
    records = []
    desk.controller.record_saved.connect(lambda key, rid: records.append(rid))
    wait_enabled(qtbot, desk, Control.END)
    trigger(desk, Control.END)
    qtbot.waitUntil(lambda: bool(records), timeout=15000)
    database = Database.open(gateway.db_url)
    with database.reading() as session:
        kinds = sorted(session.scalars(
            select(BusinessTransaction.kind).join(InteractionLink, InteractionLink.transaction_id
                                                  == BusinessTransaction.id)
            .where(InteractionLink.interaction_id == records[0])))
        assert kinds == ["callback", "complaint", "lead", "sales_order", "service_order", "task"]
        email = session.scalar(select(OutboundEmail))
        assert (email.status, email.interaction_id) == ("sent", records[0])
        assert session.scalar(select(BusinessTransaction).where(
            BusinessTransaction.kind == "sales_order")).amount == Decimal("398.00")
        numbers = session.scalars(select(BusinessTransaction.number)).all()
        lead, callback, task = (session.get(BusinessTransaction, made[k].outcome.transaction_id)
                                for k in ("lead", "callback", "task"))
        assert (lead.kind, lead.subject, lead.partner_id) == ("lead", "Fibre for the office", partner_id)
        assert (callback.kind, callback.callback_phone, callback.owner.username, callback.partner_id) == (
            "callback", "13800138000", "ann", partner_id)
        assert callback.window_start < callback.window_end
        assert (task.kind, task.subject, task.owner.username, task.partner_id) == (
            "task", "Send the contract", "bob", partner_id)
        linked_ids = set(session.scalars(select(InteractionLink.transaction_id).where(
            InteractionLink.interaction_id == records[0])))
        assert {lead.id, callback.id, task.id} <= linked_ids
    linked = dict(crm_access.interaction_detail(desk.controller.crm, records[0]))["linked"]
    assert set(numbers) <= {line.reference for line in linked}
    assert ("email", "zhang.wei@example.cn") in {(line.kind, line.reference) for line in linked}
    database.dispose()
    caller.stop()


def test_an_unknown_callers_actions_wait_for_a_confirmed_partner(make_gateway, desks, media, phone,
                                                                 qtbot, tmp_path):
    gateway = make_gateway()
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=300)
    desk = desks(gateway)("ann", ann_phone.uri)
    page = desk.window.action_box
    trigger(desk, Control.READY)
    wait_mode(qtbot, desk, "ready")
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=60000, ani="13988887777")
    wait_state(qtbot, desk, "talking")
    qtbot.waitUntil(lambda: desk.controller.actions.context is not None, timeout=10000)
    desk.window.show_page("actions")
    assert page.open_action("complaint") is None
    assert page.reason.text() == "Complaint: confirm the caller first"
    assert "confirm the caller first" in page.lists[0].item(0).toolTip()
    desk.window.switch_language("zh_CN")  # a layout's link by the layout's label in that language
    try:
        texts = [w.item(i).text() for w in page.lists for i in range(w.count())]
        assert any(t.startswith("在地图上查看客户所在城市") for t in texts), texts
        assert page.tabs.tabText(0) == "服务"
        type_chinese(page.search, "地图")
        assert page.found.count() == 1 and page.found.item(0).text().startswith("在地图上查看客户所在城市")
        page.search.clear()
    finally:
        desk.window.switch_language("en")
    database = Database.open(gateway.db_url)
    with database.reading() as session:
        assert session.scalar(select(BusinessTransaction.id)) is None
        assert session.scalar(select(BusinessPartner.id)) is None
    database.dispose()
    caller.stop()





def test_a_form_opened_for_one_customer_is_not_saved_for_the_next_and_a_failing_action_harms_nothing(
        make_gateway, desks, media, phone, qtbot, tmp_path, monkeypatch):
    from dataclasses import dataclass

    from action_box.model import Field

    gateway = make_gateway()
    first = add_person(gateway.db_url, "张", "伟", phones=["13800138000"])
    second = add_person(gateway.db_url, "李", "娜", phones=["13900139000"])
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=300)
    desk = desks(gateway)("ann", ann_phone.uri)
    box, page = desk.controller.actions, desk.window.action_box
    trigger(desk, Control.READY)
    wait_mode(qtbot, desk, "ready")
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=60000, ani="13800138000")
    wait_state(qtbot, desk, "talking")
    qtbot.waitUntil(lambda: box.context is not None and box.context.partner is not None
                    and box.context.partner.partner_id == first, timeout=10000)
    desk.window.show_page("actions")
    stale = page.open_action("complaint")
    stale.inputs["category"].setCurrentIndex(stale.inputs["category"].findData("billing"))
    stale.inputs["description"].setPlainText("charged twice")

    other = crm_access.partner_match(desk.controller.crm, second)
    desk.controller.confirm_partner(other)
    assert box.context is None  # at once: nothing runs on the previous customer's data
    assert page.open_action("complaint") is None and "loading the customer's data" in page.reason.text()
    stale.save()
    assert "changed after this form was opened" in stale.error.text() and stale.isVisible()
    assert stale.inputs["description"].toPlainText() == "charged twice"  # the form is kept
    stale.reject()
    qtbot.waitUntil(lambda: box.context is not None and box.context.partner.partner_id == second, timeout=10000)
    fresh = run_form(qtbot, page, "complaint", lambda d: (
        d.inputs["category"].setCurrentIndex(d.inputs["category"].findData("billing")),
        d.inputs["description"].setPlainText("charged twice")))
    assert fresh.result_done is not None, fresh.error.text()

    @dataclass(frozen=True)
    class Broken:  # a plugin whose handler fails half-way
        id: str = "broken"
        label: str = "Broken"
        tab: str = "service"
        icon: str = ""
        needs: frozenset = frozenset({"partner"})

        def fields(self, context):
            return [Field("note", "Note")]

        def perform(self, session, actor, context, values):
            from crm.services import transactions
            transactions.create_task(session, actor, partner_id=context.partner.partner_id, subject="half",
                                     assignee="bob")
            raise RuntimeError("the ERP is down")

    from action_box import registry

    # Installed as a plugin: the application service (in this process) runs it, the desktop draws it.
    monkeypatch.setattr(registry, "_plugin_entries", lambda: [("broken_plugin", Broken())])
    box.actions["broken"] = Broken()
    broken = run_form(qtbot, page, "broken")
    assert "the action Broken failed: RuntimeError: the ERP is down. Nothing was saved." == broken.error.text()
    broken.reject()
    bench = desk.controller.bench
    assert bench.contact is not None and bench.call_state() == "talking"  # the interaction goes on
    assert [d["action"] for d in bench.contact.actions_done] == ["complaint"]

    trigger(desk, Control.HANGUP)
    wait_state(qtbot, desk, "wrap_up")
    records = []
    desk.controller.record_saved.connect(lambda key, rid: records.append(rid))
    wait_enabled(qtbot, desk, Control.END)
    trigger(desk, Control.END)
    qtbot.waitUntil(lambda: bool(records), timeout=15000)
    database = Database.open(gateway.db_url)
    with database.reading() as session:
        made = session.execute(select(BusinessTransaction.kind, BusinessTransaction.partner_id)).all()
        assert made == [("complaint", second)]  # for the customer confirmed, nothing of the failed action
        assert session.scalar(select(InteractionLink.transaction_id).where(
            InteractionLink.interaction_id == records[0])) is not None
    database.dispose()
    caller.stop()
