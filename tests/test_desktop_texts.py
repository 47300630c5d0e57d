"""Texts from the gateway and the CRM reach the agent in his language: the
gateway's notices by code (its English kept for desktops that do not know the
code), its errors by code, the login's errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import QDialogButtonBox

import factories
from desktop_harness import app_of, service_of, url_of  # noqa: F401 - fixture
from agent_desktop.ui.inbox_chat import service_line as _service_line
from agent_desktop.ui.login_dialog import LoginDialog
from agent_desktop.ui.main_window import notice_text
from agent_desktop.ui.tasks import TaskRunner
from agent_desktop.mail_desk import MAIL_ERRORS
from agent_desktop.workbench import GATEWAY_ERRORS, GATEWAY_NOTICES, Workbench
from bus import cti, envelope, mailq, refusals
from bus.envelope import EventEnvelope
from crm.conversation_types import CUSTOMER_ENDED_TEXT

NOW = 1_800_000_000.0
TRANSLATIONS = Path(__file__).resolve().parent.parent / "agent_desktop" / "translations"


class _Chinese(QTranslator):
    WORDS = {
        "You did not answer a call in time; you are now Not ready.": "您未及时接听来电，现在为未就绪。",
        "Your phone {device} did not take the call ({status}); you are now Not ready.":
            "您的电话 {device} 未接通来电（{status}），现在为未就绪。",
        "All lines are busy; try again in a moment": "所有线路都忙，请稍后再试",
        "{meaning} (the gateway said: {detail})": "{meaning}（网关：{detail}）",
        "Wrong user name or password.": "用户名或密码错误。",
        "This account is disabled; ask an administrator.": "此账号已停用，请联系管理员。",
        "The customer ended the chat.": "客户已结束会话。",
        "Complaint {number}: {subject}": "投诉 {number}：{subject}",
        "Task {number} for {who}: {subject}": "{who} 的任务 {number}：{subject}{missing}",
    }

    def translate(self, context, source, disambiguation=None, n=-1):
        return self.WORDS.get(source)

    def isEmpty(self):
        return False


@pytest.fixture
def chinese(qapp):
    translator = _Chinese()
    QCoreApplication.installTranslator(translator)
    yield
    QCoreApplication.removeTranslator(translator)


def bench() -> Workbench:
    bench = Workbench("ann", clock=lambda: NOW)
    bench.apply_snapshot(cti.AgentView(agent="ann", name="Ann", mode="ready", reason=None, since=NOW,
                                       queues=["billing"], device=None), "run1", 1)
    return bench


def notice(bench: Workbench, seq: int, **fields):
    bench.apply_event(EventEnvelope(v=1, run="run1", seq=seq, at=NOW, event=None),
                      cti.AgentNotice(agent="ann", **fields))
    return bench.notices[-1]


def test_the_gateways_notices_are_said_in_the_agents_language_by_code(chinese):
    desk = bench()
    shown = notice(desk, 2, level="warning", text="You did not answer a call in time; you are now Not ready.",
                   code="ring_no_answer")
    assert notice_text(shown) == "您未及时接听来电，现在为未就绪。"
    shown = notice(desk, 3, level="error", text="Your phone sip:ann@x did not take the call (486 Busy Here); "
                                                "you are now Not ready.", code="phone_failed",
                   params={"device": "sip:ann@x", "status": "486 Busy Here"})
    assert notice_text(shown) == "您的电话 sip:ann@x 未接通来电（486 Busy Here），现在为未就绪。"
    # a code this desktop does not know, or one without its values: the gateway's own words
    assert notice_text(notice(desk, 4, level="info", text="Something new.", code="new_thing")) == "Something new."
    assert notice_text(notice(desk, 5, level="error", text="Your phone failed.", code="phone_failed")) == (
        "Your phone failed.")


def test_the_gateways_errors_are_explained_by_code(chinese):
    desk = bench()
    desk.gateway_error("no_line", "All lines are busy; try again in a moment.")
    assert notice_text(desk.notices[-1]) == "所有线路都忙，请稍后再试（网关：All lines are busy; try again in a moment.）"
    desk.gateway_error("something_else", "Odd.")
    assert notice_text(desk.notices[-1]) == "The CTI gateway refused: Odd."
    assert {"invalid_state", "not_logged_in", "unreachable"} <= GATEWAY_ERRORS.keys()


def test_every_code_declared_on_the_bus_has_a_chinese_text(qapp):
    # the desktop's texts are keyed by the codes bus/ declares: all of them, and no others
    assert GATEWAY_ERRORS.keys() == {**envelope.ERRORS, **refusals.ERRORS, **cti.ERRORS}.keys()
    assert GATEWAY_NOTICES.keys() == cti.NOTICES.keys()
    assert MAIL_ERRORS.keys() == mailq.ERRORS.keys()
    translator = QTranslator()
    assert translator.load(str(TRANSLATIONS / "cicada_zh_CN.qm"))
    texts = [*GATEWAY_ERRORS.values(), *GATEWAY_NOTICES.values(), *MAIL_ERRORS.values()]
    assert [text for text in texts if not translator.translate("Workbench", text)] == []


def test_the_login_dialog_says_a_wrong_password_in_the_agents_language(db, qtbot, chinese, app_of, tmp_path):
    with db.unit_of_work() as session:
        factories.user(session, "ann")
    tasks = TaskRunner()
    try:
        dialog = LoginDialog(service_of(app_of(url_of(db)), tmp_path), tasks, username="ann", password="wrong")
        qtbot.addWidget(dialog)
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.click()
        qtbot.waitUntil(lambda: dialog.message.text() == "用户名或密码错误。", timeout=10000)
    finally:
        tasks.shutdown()


def test_the_login_dialog_says_a_disabled_account_in_the_agents_language(db, qtbot, chinese, app_of,
                                                                        tmp_path):
    from sqlalchemy import update

    from crm.models import User

    with db.unit_of_work() as session:
        factories.user(session, "ann")
        session.execute(update(User).values(is_active=False))
    tasks = TaskRunner()
    try:
        dialog = LoginDialog(service_of(app_of(url_of(db)), tmp_path), tasks, username="ann", password=factories.PASSWORD)
        qtbot.addWidget(dialog)
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        qtbot.waitUntil(lambda: dialog.message.text() == "此账号已停用，请联系管理员。", timeout=10000)
        assert dialog.session is None and not dialog.device.isEnabled()
    finally:
        tasks.shutdown()


def test_the_lines_the_mail_queue_writes_into_a_chat_are_read_in_the_agents_language(chinese):
    # stored in English for the record; shown translated, and a customer's words never are
    assert _service_line(CUSTOMER_ENDED_TEXT) == "客户已结束会话。"
    assert _service_line("The customer ended the chat. Really.") == "The customer ended the chat. Really."


def test_what_an_action_did_is_listed_in_the_agents_language(chinese):
    from action_box.model import Outcome
    from agent_desktop.ui.catalogue import ACTION_OUTCOMES, tr_outcome

    done = Outcome.said("Complaint {number}: {subject}", {"number": "C0042", "subject": "No signal"})
    assert done.summary == "Complaint C0042: No signal"
    assert tr_outcome({"summary": done.summary, "template": done.template, "params": done.params}) == (
        "投诉 C0042：No signal")
    # a translation that does not fit the values, or a plugin's plain summary: the English
    task = Outcome.said("Task {number} for {who}: {subject}", {"number": "T1", "who": "Bob", "subject": "x"})
    assert tr_outcome({"summary": task.summary, "template": task.template, "params": task.params}) == (
        "Task T1 for Bob: x")
    assert tr_outcome({"summary": "Plugin did it"}) == "Plugin did it"
    # every built-in action's template is in the catalogue the translators see
    import re
    from pathlib import Path

    import action_box.builtin
    source = Path(action_box.builtin.__file__).read_text()
    templates = set(re.findall(r'"((?:Service order|Complaint|Sales order|Lead|Opportunity|Callback|Email to|Task|'
                               r'Opened) [^"]*\{[^"]*)"', source))
    assert len(templates) == 9 and templates <= set(ACTION_OUTCOMES)
