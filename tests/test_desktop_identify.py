"""Identify Account between contacts, on the real window and the real CRM: the
gateway's events are fed to the window's controller as they would come."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

import factories
from desktop_harness import app_of, log_in_desktop, url_of  # noqa: F401 - fixture
from agent_desktop.app import Desktop, DesktopSettings
from agent_desktop.ui import i18n
from agent_desktop.workbench import IdStatus
from bus import cti
from bus.envelope import EventEnvelope
from agent_desktop.ui.tasks import TaskRunner
from crm.models import User, UserRole
from crm.permissions import Actor
from crm.services.partners import PartnerDraft, create_partner
from desktop_harness import UNKNOWN_KEY

NOW = 1_800_000_000.0


@pytest.fixture
def desk(db, qtbot, tmp_path, app_of):
    with db.unit_of_work() as session:
        factories.user(session, "ann")
        create_partner(session, Actor.system(), PartnerDraft(kind="person", last_name="王", first_name="芳",
                                                             emails=["wang.fang@example.cn"]),
                       confirm_duplicates=True)
    yield from open_desk(db, qtbot, tmp_path, "ann", app_of)


def open_desk(db, qtbot, tmp_path, username: str, app_of):
    """The desktop of `username` (a user already made), logged in and ready; closed after."""
    with db.unit_of_work() as session:
        session.query(User).filter_by(username=username).update({"extension": "sip:ann@127.0.0.1:5161"})
    tasks = TaskRunner()
    settings = DesktopSettings(command_address="tcp://127.0.0.1:9",
                               event_address="tcp://127.0.0.1:9", draft_dir=tmp_path,
                               gateway_public_key=UNKNOWN_KEY)
    session = log_in_desktop(app_of(url_of(db)), username, tmp_path / "known", factories.PASSWORD)
    desk = Desktop(settings, session, device=None, queues=None,
                   tasks=tasks)
    qtbot.addWidget(desk.window)
    desk.window.show()
    desk.controller.bench.apply_snapshot(cti.AgentView(
        agent=username, name=username.title(), mode="ready", reason=None, since=NOW, queues=["billing"],
        device=None), "run1", 1)
    desk.seq = 1
    yield desk
    desk.close()
    tasks.shutdown()
    desk.controller.crm.close()  # else the application service waits for its connection at stop


def gateway_says(desk, event) -> None:
    desk.seq += 1
    desk.controller._on_event(EventEnvelope(v=1, run="run1", seq=desk.seq, at=NOW, event=None), event)


def offer(desk, call_id: str, ani: str) -> None:
    gateway_says(desk, cti.CallOffered(call_id=call_id, agent=desk.controller.profile.username, kind="inbound",
                                       ani=ani, dnis="4001", queue="billing", waited=3.0, ring_timeout=15))


def test_each_new_contact_starts_with_a_clean_identify_page_and_a_saved_customer_is_confirmed(desk, qtbot):
    bench, page = desk.controller.bench, desk.window.identify
    offer(desk, "c1", "13911112222")
    qtbot.waitUntil(lambda: bench.contact.identification.status is IdStatus.UNKNOWN, timeout=5000)
    assert page.query.text() == "13911112222" and page.new_phone.text() == "13911112222"
    page.new_last.setText("李")
    page.new_first.setText("雷")
    page.new_city.setText("北京")
    qtbot.mouseClick(page.new_save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bench.confirmed_partner is not None, timeout=5000)
    qtbot.waitUntil(lambda: "Saved" in page.new_message.text(), timeout=5000)
    assert "李雷" in page.new_message.text() and "Saving" not in page.new_message.text()
    assert page.new_save.isEnabled()

    gateway_says(desk, cti.CallOfferWithdrawn(call_id="c1", agent="ann", reason="abandoned"))
    offer(desk, "c2", "13922223333")
    qtbot.waitUntil(lambda: bench.contact.identification.status is IdStatus.UNKNOWN, timeout=5000)
    assert page.query.text() == "13922223333" and page.new_phone.text() == "13922223333"
    assert (page.new_last.text(), page.new_first.text(), page.new_city.text(), page.new_message.text()) == (
        "", "", "", "")
    assert page.results_model.rowCount() == 0 and not page.new_save_anyway.isVisible()


def test_duplicate_reasons_have_their_own_column_and_enter_confirms_the_selected_partner(desk, qtbot):
    bench, page = desk.controller.bench, desk.window.identify
    offer(desk, "c1", "13911112222")
    qtbot.waitUntil(lambda: bench.contact.identification.status is IdStatus.UNKNOWN, timeout=5000)
    page.new_last.setText("王")
    page.new_first.setText("芳")
    page.new_email.setText("wang.fang@example.cn")
    qtbot.mouseClick(page.new_save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.new_save_anyway.isVisible(), timeout=5000)
    assert page.results_model.rowCount() == 1 and not page.results.isColumnHidden(5)
    assert page.results_model.item(0, 4).text() == ""  # the Email column holds no reasons
    assert "email wang.fang@example.cn" in page.results_model.item(0, 5).text()
    assert page.results_model.headerData(5, Qt.Orientation.Horizontal) == "Why it may be the same"
    page.results.setFocus()
    page.results.selectRow(0)
    qtbot.keyClick(page.results, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bench.confirmed_partner is not None, timeout=5000)
    assert bench.confirmed_partner.name == "王芳"
    page.query.setText("13911112222")
    qtbot.keyClick(page.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "found" in page.search_note.text(), timeout=5000)
    assert page.results.isColumnHidden(5)


@pytest.fixture
def rep_desk(db, qtbot, tmp_path, app_of):
    """A sales rep's desktop; a colleague owns two customers called 王芳, not shared, and one is in the pool."""
    with db.unit_of_work() as session:
        owner = factories.user(session, "owner", UserRole.SALES_REP)
        factories.user(session, "rep", UserRole.SALES_REP)
        for phones in (["13911112222"], ["13933334444"]):
            factories.person(session, owner, first="芳", last="王", phones=phones)
        factories.person(session, first="芳", last="王", to_pool=True)
    yield from open_desk(db, qtbot, tmp_path, "rep", app_of)


def test_a_sales_rep_sees_only_the_duplicates_he_may_read_and_in_chinese_how_many_others_there_are(
        rep_desk, qtbot):
    bench, page = rep_desk.controller.bench, rep_desk.window.identify
    offer(rep_desk, "c1", "13911112222")
    qtbot.waitUntil(lambda: bench.contact.identification.status is IdStatus.UNKNOWN, timeout=5000)
    page.new_last.setText("王")
    page.new_first.setText("芳")
    qtbot.mouseClick(page.new_save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.new_save_anyway.isVisible(), timeout=5000)
    assert page.results_model.rowCount() == 1  # the pool's 王芳 only
    assert page.results_model.item(0, 0).text() == "C00000003"
    assert "2 other partner(s) that you may not see look like this customer" in page.new_message.text()
    assert "C00000001" not in page.new_message.text()
    i18n.install("zh_CN")
    try:
        qtbot.mouseClick(page.new_save, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "另有 2 个您无权查看的业务伙伴与此客户相似" in page.new_message.text(), timeout=5000)
        assert page.results_model.rowCount() == 1
    finally:
        i18n.install("en")


def test_a_session_ended_elsewhere_is_said_once_and_nothing_more_reaches_the_crm(desk, qtbot, db, app_of):
    from agent_desktop.crm_session import SESSION_ENDED
    from agent_desktop.ui.main_window import notice_text

    controller = desk.controller
    with app_of(url_of(db)).client(token=controller.crm.token) as thief:
        thief.sign_out()  # the session ends (an administrator, a sign-out with the stolen token)
    answers = []
    controller.search_done.connect(answers.append)
    controller.search("王芳")
    controller.search("wang")
    qtbot.waitUntil(lambda: len(answers) == 2, timeout=10000)
    assert answers == [SESSION_ENDED["ended"]] * 2  # no rows for a dead session; what to do, not the service's words
    ended = [n for n in controller.bench.notices if n.template == SESSION_ENDED["ended"]]
    assert len(ended) == 1 and notice_text(ended[0]).startswith("Your CRM session has ended. Sign in again")
    i18n.install("zh_CN")
    try:
        controller.search("王芳")
        qtbot.waitUntil(lambda: len(answers) == 3, timeout=10000)
        assert answers[2].startswith("您的 CRM 会话已结束")  # in the agent's language
    finally:
        i18n.install("en")


def test_after_the_session_ended_the_agent_signs_in_again_in_the_window_and_goes_on(desk, qtbot, db, app_of):
    controller, dialog = desk.controller, desk.window.sign_in_again
    ended_token = controller.crm.token
    with app_of(url_of(db)).client(token=ended_token) as admin:
        admin.sign_out()  # as an administrator's reset or an expiry would
    answers = []
    controller.search_done.connect(answers.append)
    controller.search("王芳")
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=10000)  # asked at once, beside the window
    assert "Your CRM session has ended. Sign in again" in dialog.why.text()
    assert controller.profile.username in dialog.user.text()
    dialog.password.setText("half typ")
    controller.sign_in_wanted.emit("ended")  # the gateway says so too, while she types
    assert dialog.password.text() == "half typ"

    dialog.password.setText("not the password")
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.text() == "Wrong user name or password.", timeout=10000)
    assert dialog.isVisible() and controller.crm.token == ended_token

    dialog.password.setText(factories.PASSWORD)
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10000)
    assert controller.crm.token != ended_token and controller.login_data.token == controller.crm.token
    answers.clear()
    controller.search("王芳")
    qtbot.waitUntil(lambda: len(answers) == 1, timeout=10000)
    rows, _more, _notes = answers[0]  # the same window works again: rows, not an error
    assert [row.partner.name for row in rows] == ["王芳"]

    controller.search_done.disconnect(answers.append)
    with app_of(url_of(db)).client(token=controller.crm.token) as admin:
        admin.sign_out()  # ended a second time: asked a second time
    dialog.close()
    controller.search("王芳")
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=10000)


def test_an_image_server_that_hangs_does_not_delay_the_next_callers_identification(desk, qtbot):
    """Remote images wait on a sender's server, on workers of their own: while more of them hang
    than the desktop has workers of either kind, the next caller is still identified at once."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from agent_desktop.ui.inbox_reader import _fetch_images

    release, asked, fetched = threading.Event(), [], []

    class Hanging(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            release.wait(20)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hanging)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base, bench, tasks = f"http://127.0.0.1:{server.server_address[1]}", desk.controller.bench, desk.controller.tasks
    try:
        for n in range(6):  # as the reading pane asks for them: "Load remote images"
            tasks.run_remote(_fetch_images, [f"{base}/{n}.png"], on_done=fetched.append)
        qtbot.waitUntil(lambda: len(asked) >= 2, timeout=5000)
        offer(desk, "c1", "13911112222")
        qtbot.waitUntil(lambda: bench.contact.identification.status is IdStatus.UNKNOWN, timeout=3000)
        assert fetched == []  # the images still hang
    finally:
        release.set()
        qtbot.waitUntil(lambda: len(fetched) == 6, timeout=20000)
        server.shutdown()
        server.server_close()
    assert fetched == [{}] * 6  # nothing came: the reading pane shows no image
