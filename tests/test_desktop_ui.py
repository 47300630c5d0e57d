"""The desktop's login dialog and languages, on the real widgets (no gateway
needed: the window says plainly that it is not connected)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

import factories
from desktop_harness import app_of, log_in_desktop, service_of, url_of  # noqa: F401 - fixture
from agent_desktop import crm_access
from agent_desktop.app import Desktop, DesktopSettings
from agent_desktop.controls import Control
from agent_desktop.ui import i18n
from agent_desktop.ui.login_dialog import LoginDialog
from agent_desktop.ui.tasks import TaskRunner
from crm.models import User
from desktop_harness import UNKNOWN_KEY

TRANSLATIONS = Path(__file__).resolve().parent.parent / "agent_desktop" / "translations"
TOOLS = Path(sys.executable).parent


@pytest.fixture
def agent_db(db):
    with db.unit_of_work() as session:
        factories.user(session, "ann")
        session.query(User).filter_by(username="ann").update({"extension": "sip:ann@127.0.0.1:5161"})
    return db


@pytest.fixture
def tasks(qtbot):
    runner = TaskRunner()
    yield runner
    runner.shutdown()


def test_the_login_dialog_checks_the_password_then_offers_the_profiles_phone(agent_db, tasks, qtbot, app_of,
                                                                             tmp_path):
    dialog = LoginDialog(service_of(app_of(url_of(agent_db)), tmp_path), tasks, username="ann")
    qtbot.addWidget(dialog)
    dialog.show()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.keyClicks(dialog.password, "wrong")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ok.isEnabled() and dialog.message.text() not in ("", "Checking…"))
    assert dialog.session is None and not dialog.device.isEnabled()
    assert "password" in dialog.message.text().lower()
    dialog.password.setText(factories.PASSWORD)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.session is not None)
    assert dialog.device.text() == "sip:ann@127.0.0.1:5161" and dialog.device.isEnabled()
    assert dialog.queue_values() is None  # by skills, as the profile says
    dialog.by_skills.setChecked(False)
    dialog.queues.setText("billing, technical ")
    assert dialog.queue_values() == ["billing", "technical"]
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)


def test_the_window_switches_between_english_and_chinese_and_says_it_is_not_connected(
        agent_db, tasks, qtbot, tmp_path, app_of):
    session = log_in_desktop(app_of(url_of(agent_db)), "ann", tmp_path / "known", factories.PASSWORD)
    settings = DesktopSettings(command_address="tcp://127.0.0.1:9",
                               event_address="tcp://127.0.0.1:9", draft_dir=tmp_path,
                               gateway_public_key=UNKNOWN_KEY)
    desk = Desktop(settings, session, device=None, queues=None, tasks=tasks)
    qtbot.addWidget(desk.window)
    desk.window.show()
    window = desk.window
    try:
        assert not window.actions[Control.READY].isEnabled()  # nothing works without the gateway
        assert window.connection.text() == "Gateway not connected"
        assert window.strip.banner.isVisible() and "not reachable" in window.strip.banner.text()
        window.findChild(type(window.language_actions["zh_CN"]), "language_zh_CN").trigger()
        assert i18n.current_language() == "zh_CN"
        assert window.actions[Control.READY].text() == "就绪"
        assert window.actions[Control.READY].toolTip() == "就绪 (F5)"
        assert window.nav.item(0).text() == "客户识别"
        assert window.connection.text() == "网关未连接"
        assert window.record.end_button.text() == "结束联系"
        assert window.history.model.headerData(0, Qt.Orientation.Horizontal) == "日期/时间"
        window.language_actions["en"].trigger()
        assert window.actions[Control.READY].text() == "Ready"
        assert window.nav.item(0).text() == "Identify Account"
    finally:
        i18n.install("en")
        desk.close()


def test_every_visible_string_has_a_chinese_translation_and_the_catalogue_is_compiled(tmp_path):
    ts = TRANSLATIONS / "cicada_zh_CN.ts"
    unfinished = [m.findtext("source") for m in ET.parse(ts).getroot().iter("message")
                  if m.find("translation").get("type") in ("unfinished", "vanished", "obsolete")]
    assert unfinished == []
    lupdate, lrelease = TOOLS / "pyside6-lupdate", TOOLS / "pyside6-lrelease"
    if not lupdate.exists():
        pytest.skip("pyside6-lupdate is not installed beside this Python")
    copy = tmp_path / "check.ts"
    shutil.copy(ts, copy)
    sources = sorted(str(p) for p in (TRANSLATIONS.parent).rglob("*.py"))
    out = subprocess.run([str(lupdate), *sources, "-ts", str(copy)], capture_output=True, text=True)
    assert "(0 new and" in out.stdout + out.stderr, (
        "strings without a translation: run pyside6-lupdate and translate them (docs/desktop.md)\n"
        + out.stdout + out.stderr)
    qm = tmp_path / "check.qm"
    subprocess.run([str(lrelease), "-silent", str(ts), "-qm", str(qm)], check=True)
    assert qm.read_bytes() == (TRANSLATIONS / "cicada_zh_CN.qm").read_bytes(), \
        "cicada_zh_CN.qm is older than cicada_zh_CN.ts: run pyside6-lrelease"


def sign_in_with(dialog, qtbot) -> None:
    dialog.show()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: dialog.buttons.isEnabled() and dialog.message.text() not in ("", "Checking…"),
                    timeout=10000)


def test_an_unknown_certificate_is_shown_by_its_fingerprint_and_trusted_once_when_the_agent_accepts(
        agent_db, tasks, qtbot, app_of, tmp_path, monkeypatch):
    app = app_of(url_of(agent_db))
    service = crm_access.Service(app.url, None, tmp_path / "known")  # no fingerprint configured
    shown = []

    def agent_answers(answer):
        def ask(dialog, unknown):
            shown.append(unknown.fingerprint)
            return answer
        return ask

    monkeypatch.setattr(LoginDialog, "_agent_trusts", agent_answers(False))
    dialog = LoginDialog(service, tasks, username="ann", password=factories.PASSWORD)
    qtbot.addWidget(dialog)
    sign_in_with(dialog, qtbot)
    assert shown == [app.fingerprint] and dialog.session is None
    assert "not accepted" in dialog.message.text() and not (tmp_path / "known").exists()

    monkeypatch.setattr(LoginDialog, "_agent_trusts", agent_answers(True))
    sign_in_with(dialog, qtbot)
    assert dialog.session is not None and dialog.session.profile.username == "ann"
    assert len(shown) == 2
    dialog.session.crm.close()
    again = crm_access.log_in(service, "ann", factories.PASSWORD)  # trusted now: not asked again
    try:
        assert again.crm.me().user.username == "ann" and len(shown) == 2
    finally:
        crm_access.log_out(again.crm)


@pytest.mark.parametrize("how", ["configured fingerprint", "trusted before"])
def test_a_certificate_other_than_the_trusted_one_is_refused_with_a_warning(
        agent_db, tasks, qtbot, app_of, tmp_path, how):
    from app_harness import self_signed
    from app_service.client import KnownCertificates, fingerprint

    app = app_of(url_of(agent_db))
    other, _ = self_signed(tmp_path, "impostor")
    if how == "configured fingerprint":
        service = crm_access.Service(app.url, fingerprint(other.read_text()), tmp_path / "known")
    else:
        KnownCertificates(tmp_path / "known").remember("127.0.0.1", app.port, other.read_text())
        service = crm_access.Service(app.url, None, tmp_path / "known")
    dialog = LoginDialog(service, tasks, username="ann", password=factories.PASSWORD)
    qtbot.addWidget(dialog)
    sign_in_with(dialog, qtbot)
    assert dialog.session is None and not dialog.device.isEnabled()
    assert dialog.message.text().startswith("Warning: the application service at 127.0.0.1:")
    assert app.fingerprint in dialog.message.text() and fingerprint(other.read_text()) in dialog.message.text()


def test_an_unreachable_application_service_is_said_so(agent_db, tasks, qtbot, tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    dialog = LoginDialog(crm_access.Service(f"https://127.0.0.1:{port}", None, tmp_path / "known"), tasks,
                         username="ann", password=factories.PASSWORD)
    qtbot.addWidget(dialog)
    sign_in_with(dialog, qtbot)
    assert dialog.session is None
    assert dialog.message.text().startswith("The application service cannot be reached")
