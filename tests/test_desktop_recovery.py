"""The desktop coming back to calls in progress and to its session: a real
gateway, SIPp as the customer and the agent's phone, the real window."""

from __future__ import annotations

import time

import pytest
from PySide6.QtWidgets import QMessageBox

from agent_desktop.controls import Control
from desktop_harness import (  # noqa: F401 - fixtures
    add_person,
    desks,
    saved_record,
    trigger,
    wait_enabled,
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

pytestmark = pytest.mark.slow


def takeover_question(qtbot, desk) -> QMessageBox:
    found = []

    def asked() -> bool:
        box = desk.window.findChild(QMessageBox, "takeover_question")
        if box is not None and box.isVisible():
            found.append(box)
        return bool(found)

    qtbot.waitUntil(asked, timeout=10000)
    return found[0]


def test_a_desktop_restarted_mid_call_picks_up_the_call_with_its_partner_and_saves_the_record(
        make_gateway, desks, media, phone, qtbot, tmp_path):
    gateway = make_gateway()
    partner_id = add_person(gateway.db_url, "孙", "丽", phones=["13500005555"])
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=300)
    open_desk = desks(gateway)
    first = open_desk("ann", ann_phone.uri)
    trigger(first, Control.READY)
    qtbot.waitUntil(lambda: first.controller.bench.agent.mode == "ready", timeout=10000)
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=60000, ani="13500005555")
    wait_state(qtbot, first, "talking")
    talking_since = time.monotonic()
    qtbot.waitUntil(lambda: first.controller.bench.confirmed_partner is not None, timeout=5000)
    call_id = first.controller.bench.contact.call_id
    first.window.show_page("record")
    qtbot.keyClicks(first.window.record.notes, "before the restart")
    open_desk.close_one(first)  # the window closes (or the desktop crashes) mid-call

    second = open_desk("ann", ann_phone.uri, wait=False)
    box = takeover_question(qtbot, second)
    assert "already logged in" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    bench, window = second.controller.bench, second.window
    wait_state(qtbot, second, "talking")
    assert bench.contact.call_id == call_id and bench.contact.ani == "13500005555"
    assert window.strip.values["ani"].text() == "13500005555" and window.strip.values["queue"].text() == "billing"
    qtbot.waitUntil(lambda: bench.confirmed_partner is not None, timeout=5000)
    assert bench.confirmed_partner.partner_id == partner_id
    qtbot.waitUntil(lambda: window.header.values["name"].text() == "孙丽", timeout=5000)
    assert bench.contact.draft.notes == "before the restart"
    window.show_page("record")
    assert window.record.notes.toPlainText() == "before the restart"
    qtbot.wait(300)  # the drafts on disk are listed: the call's own is not among those from earlier
    assert not any("from an earlier session" in n.template for n in bench.notices)
    qtbot.keyClicks(window.record.notes, ", and after it")
    # a talk of a second and more, however quickly the restart went, for the record's talk time
    qtbot.waitUntil(lambda: time.monotonic() - talking_since >= 1.5, timeout=5000)
    trigger(second, Control.HANGUP)
    wait_state(qtbot, second, "wrap_up")
    saved = []
    second.controller.record_saved.connect(lambda key, rid: saved.append(rid))
    wait_enabled(qtbot, second, Control.END)
    trigger(second, Control.END)
    qtbot.waitUntil(lambda: bool(saved), timeout=15000)
    row = gateway.wait_until(lambda: (r := saved_record(gateway.db_url, call_id, "ann")) and
                             r.status == "closed" and r, what="the closed record")
    assert row.partner_id == partner_id and row.notes == "before the restart, and after it"
    assert row.queue == "billing" and row.talk_seconds >= 1 and row.end_cause == "agent_hangup"
    caller.stop()


def test_two_desktops_of_one_agent_do_not_take_the_session_from_each_other(
        make_gateway, desks, media, phone, qtbot):
    gateway = make_gateway()
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=300)
    open_desk = desks(gateway)
    first = open_desk("ann", ann_phone.uri)
    second = open_desk("ann", ann_phone.uri, wait=False)
    takeover_question(qtbot, second).button(QMessageBox.StandardButton.No).click()
    qtbot.wait(3000)  # heartbeats come and go: neither desktop acts on its own
    assert first.controller.bench.connected and not second.controller.bench.connected
    assert second.window.strip.banner.isVisible() and "another desktop" in second.window.strip.banner.text()
    assert second.window.strip.log_in_here.isVisible() and not first.window.strip.log_in_here.isVisible()

    second.window.strip.log_in_here.click()  # the agent moves to the second desktop
    qtbot.waitUntil(lambda: second.controller.bench.connected, timeout=10000)
    qtbot.waitUntil(lambda: not first.controller.bench.connected, timeout=10000)
    assert "taken over" in first.window.strip.banner.text() or "another desktop" in first.window.strip.banner.text()
    assert first.window.strip.log_in_here.isVisible()
    assert any("taken over" in n.text for n in first.controller.bench.notices)
    qtbot.wait(3000)
    assert second.controller.bench.connected and not first.controller.bench.connected
    assert gateway.status().agents[0].mode == "not_ready"


def set_profile(db_url: str, agent: str, **settings) -> None:
    from crm.db import Database
    from crm.permissions import Actor
    from crm.services.profiles import set_profile_setting

    database = Database.open(db_url)
    try:
        with database.unit_of_work() as session:
            for key, value in settings.items():
                set_profile_setting(session, Actor.system(), key, value, username=agent)
    finally:
        database.dispose()


def a_call_hung_up(qtbot, desk, gateway, media, tmp_path, ani: str):
    trigger(desk, Control.READY)
    qtbot.waitUntil(lambda: desk.controller.bench.agent.mode == "ready", timeout=10000)
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=60000, ani=ani)
    wait_state(qtbot, desk, "talking")
    trigger(desk, Control.HANGUP)
    wait_state(qtbot, desk, "wrap_up")
    return caller


def test_when_wrap_up_time_runs_out_the_profiles_not_ready_wins(
        make_gateway, desks, media, phone, qtbot, tmp_path):
    gateway = make_gateway()
    set_profile(gateway.db_url, "ann", after_wrap_up="not_ready", after_wrap_up_reason="meeting",
                wrap_up_seconds=2)
    desk = desks(gateway)("ann", phone("ann", media(ANN_TONE), answer_ms=300).uri)
    caller = a_call_hung_up(qtbot, desk, gateway, media, tmp_path, "13500006666")
    qtbot.waitUntil(lambda: desk.controller.bench.agent.mode == "not_ready", timeout=10000)
    assert desk.controller.bench.agent.reason == "meeting"
    assert desk.window.mode_label.text() == "Not ready: meeting"
    caller.stop()


def test_end_while_the_gateway_is_away_sets_the_profiles_next_mode_when_it_is_back(
        make_gateway, desks, media, phone, qtbot, tmp_path):
    gateway = make_gateway()
    set_profile(gateway.db_url, "ann", wrap_up_seconds=120)
    desk = desks(gateway)("ann", phone("ann", media(ANN_TONE), answer_ms=300).uri)
    bench = desk.controller.bench
    caller = a_call_hung_up(qtbot, desk, gateway, media, tmp_path, "13500007777")
    gateway.stop()
    qtbot.waitUntil(lambda: not bench.connected, timeout=8000)
    saved = []
    desk.controller.record_saved.connect(lambda key, rid: saved.append(rid))
    wait_enabled(qtbot, desk, Control.END)
    trigger(desk, Control.END)
    qtbot.waitUntil(lambda: bool(saved), timeout=15000)
    gateway.restart()
    qtbot.waitUntil(lambda: bench.connected, timeout=15000)
    qtbot.waitUntil(lambda: bench.agent.mode == "ready", timeout=10000)  # the profile's after_wrap_up
    caller.stop()


def test_a_call_dialled_from_the_desktop_identifies_the_dialled_customer_and_carries_its_campaign(
        make_gateway, desks, media, phone, qtbot):
    outside = phone("outside", media(700))
    gateway = make_gateway(external_uri=f"sip:{{number}}@127.0.0.1:{outside.port}")
    partner_id = add_person(gateway.db_url, "周", "杰", phones=["13800009999"])
    desk = desks(gateway)("ann", phone("ann", media(ANN_TONE), answer_ms=300).uri)
    window, bench = desk.window, desk.controller.bench
    window.dial_number.setEditText("138 0000 9999")
    window.dial_campaign.setText("spring_offer")
    trigger(desk, Control.DIAL)
    wait_state(qtbot, desk, "talking")
    assert bench.contact.kind == "outbound" and bench.contact.campaign == "spring_offer"
    qtbot.waitUntil(lambda: bench.confirmed_partner is not None, timeout=5000)
    assert bench.confirmed_partner.partner_id == partner_id  # the number dialled, not the caller ID
    qtbot.waitUntil(lambda: window.header.values["name"].text() == "周杰", timeout=5000)
    trigger(desk, Control.HANGUP)
    wait_state(qtbot, desk, "wrap_up")


def test_a_changed_password_logs_the_desktop_out_and_the_agent_signs_in_again_there(
        make_gateway, desks, media, phone, qtbot):
    from crm.db import Database
    from crm.permissions import Actor
    from crm.services.users import set_password

    gateway = make_gateway(account_check_seconds=0.5)
    ann_phone = phone("ann", media(ANN_TONE))
    desk = desks(gateway)("ann", ann_phone.uri)
    controller, dialog = desk.controller, desk.window.sign_in_again
    database = Database.open(gateway.db_url)
    try:
        with database.unit_of_work() as session:
            set_password(session, Actor.system(), "ann", "a new password 2026")  # as an administrator does
    finally:
        database.dispose()
    # The gateway ends her session there; the desktop asks for the new password at once.
    qtbot.waitUntil(lambda: not controller.bench.connected, timeout=15000)
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=15000)
    assert gateway.status().agents == [] or gateway.status().agents[0].agent != "ann"

    dialog.password.setText("a new password 2026")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: controller.bench.connected and controller.bench.agent is not None, timeout=15000)
    trigger(desk, Control.READY)  # working again, on the same window
    qtbot.waitUntil(lambda: [a.mode for a in gateway.status().agents if a.agent == "ann"] == ["ready"],
                    timeout=10000)
