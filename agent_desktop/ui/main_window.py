"""The agent's workbench window, laid out like the CIC workbench: toolbar
with work mode and call controls, the call-state strip, the partner header,
a navigation bar with the workspace pages, and a message area."""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, QEvent, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from agent_desktop.controls import Control
from agent_desktop.workbench import QT_TRANSLATE_NOOP
from agent_desktop.ui import i18n
from agent_desktop.ui.action_page import ActionBoxPage
from agent_desktop.ui.business_data import BusinessDataPage, PartnerHeader
from agent_desktop.ui.formatting import clock_time, code_label, duration
from agent_desktop.ui.history_page import HistoryPage
from agent_desktop.ui.identify_page import IdentifyPage
from agent_desktop.ui.page_drawing import draw_pages_when_shown
from agent_desktop.ui.plain import plain_label
from agent_desktop.ui.record_page import RecordPage
from agent_desktop.ui.scripts_page import ScriptsPage
from agent_desktop.ui.sign_in_again import SignInAgainDialog
from bus import cti

SHORTCUTS = {
    Control.ACCEPT: "F2", Control.REJECT: "Shift+F2", Control.DIAL: "F3", Control.HANGUP: "F4",
    Control.READY: "F5", Control.NOT_READY: "F6", Control.WRAP_UP: "F7", Control.HOLD: "F8",
    Control.RETRIEVE: "Shift+F8", Control.TRANSFER: "F9", Control.CONSULT: "Shift+F9",
    Control.COMPLETE_TRANSFER: "Ctrl+F9", Control.CONFERENCE: "F10", Control.CANCEL_CONSULT: "Shift+F10",
    Control.DTMF: "F11", Control.END: "F12",
}
PAGES = ("identify", "business", "history", "record", "scripts", "actions", "inbox")
MESSAGES_SHOWN = 50  # notices in the message area, newest first


class MainWindow(QMainWindow):
    def __init__(self, controller, drafts=None, demo=None):
        super().__init__()
        self.demo = demo  # agent_desktop.demo.DemoCalls: the demo's simulated customers
        self._script_shown_for: str | None = None
        self._controls_shown: tuple | None = None  # what the toolbar and the mode label last drew
        self.demo_calls: list = []
        self.setObjectName("workbench")
        self.controller = controller
        self.bench = controller.bench
        self.resize(1280, 820)
        self.actions: dict[Control, QAction] = {}
        self._build_toolbar()
        self.strip = CallStrip(self.bench)
        self.header = PartnerHeader()
        self.nav = QListWidget(objectName="navigation")
        self.nav.setMinimumWidth(140)
        self.stack = QStackedWidget(objectName="workspace")
        self.identify = IdentifyPage(controller)
        self.business = BusinessDataPage()
        self.history = HistoryPage(controller.tasks, controller.crm)
        self.history.set_outcome_codes(controller.profile.outcome_codes)
        self.record = RecordPage(controller, drafts)
        self.scripts = ScriptsPage(controller)
        self.action_box = ActionBoxPage(controller)
        # A callback from the agent's follow-ups: its number in the dial box, dialled as the agent would.
        self.action_box.call_requested.connect(lambda number: (self.dial_number.setEditText(number), self._dial()))
        if controller.mail is not None:
            from agent_desktop.ui.inbox_page import InboxPage

            self.inbox = InboxPage(controller, controller.mail)
            self.placeholders = {}
        else:
            self.inbox = None
            self.placeholders = {"inbox": _Placeholder()}
        self.pages = {"identify": self.identify, "business": self.business, "history": self.history,
                      "record": self.record, "scripts": self.scripts, "actions": self.action_box,
                      **({"inbox": self.inbox} if self.inbox is not None else {}), **self.placeholders}
        for name in PAGES:
            self.stack.addWidget(self.pages[name])
            self.nav.addItem(QListWidgetItem())
        draw_pages_when_shown(self.stack)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.messages = QListWidget(objectName="messages")
        self.messages.setMaximumHeight(110)
        self._notices_shown: list = []  # the bench's notices in self.messages, newest first

        body = QSplitter()
        body.addWidget(self.nav)
        body.addWidget(self.stack)
        body.setStretchFactor(1, 1)
        body.setCollapsible(0, False)
        body.setSizes([190, 1080])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.strip)
        layout.addWidget(self.header)
        layout.addWidget(body, 1)
        self.messages_label = plain_label()
        layout.addWidget(self.messages_label)
        layout.addWidget(self.messages)
        self.setCentralWidget(central)
        self.connection = plain_label(objectName="connection_state")
        self.statusBar().addPermanentWidget(self.connection)
        self._build_menu()

        controller.partner_loaded.connect(self._partner_loaded)
        controller.takeover_asked.connect(self._ask_takeover)
        controller.sign_in_wanted.connect(self._ask_sign_in)
        self.sign_in_again = SignInAgainDialog(controller, self)
        self.strip.log_in_here.clicked.connect(controller.take_over)
        self._takeover_question: QMessageBox | None = None
        self.bench.subscribe(self._model_changed)
        self._ticker = QTimer(self, interval=1000)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()
        self.retranslate()
        self._model_changed("agent")
        self.nav.setCurrentRow(0)

    # --- construction -------------------------------------------------------------------

    def _build_toolbar(self) -> None:
        bar = QToolBar(objectName="controls")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(bar)
        self.mode_label = plain_label(objectName="mode_label")
        self.mode_label.setMinimumWidth(150)
        bar.addWidget(self.mode_label)
        handlers = {
            Control.READY: lambda: self.controller.set_mode("ready"),
            Control.NOT_READY: self._not_ready_menu,
            Control.WRAP_UP: lambda: self.controller.set_mode("wrap_up"),
            Control.ACCEPT: lambda: self.controller.call_command(cti.CallAccept),
            Control.REJECT: lambda: self.controller.call_command(cti.CallReject),
            Control.HANGUP: lambda: self.controller.call_command(cti.CallHangup),
            Control.HOLD: lambda: self.controller.call_command(cti.CallHold),
            Control.RETRIEVE: lambda: self.controller.call_command(cti.CallRetrieve),
            Control.TRANSFER: lambda: self._transfer(consult=False),
            Control.CONSULT: lambda: self._transfer(consult=True),
            Control.COMPLETE_TRANSFER: self.controller.complete_transfer,
            Control.CONFERENCE: lambda: self.controller.call_command(cti.CallConference),
            Control.CANCEL_CONSULT: lambda: self.controller.call_command(cti.CallCancelConsult),
            Control.DIAL: self._dial,
            Control.DTMF: self._keypad,
            Control.END: self.controller.end_contact,
        }
        first = [Control.READY, Control.NOT_READY, Control.WRAP_UP, None, Control.ACCEPT, Control.REJECT,
                 Control.HANGUP, Control.HOLD, Control.RETRIEVE, None, Control.END]
        for control in first:
            if control is None:
                bar.addSeparator()
            else:
                self._add_action(bar, control, handlers[control])
        self.addToolBarBreak()
        second = QToolBar(objectName="transfer_controls")
        second.setMovable(False)
        second.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(second)
        for control in (Control.TRANSFER, Control.CONSULT, Control.COMPLETE_TRANSFER, Control.CONFERENCE,
                        Control.CANCEL_CONSULT):
            self._add_action(second, control, handlers[control])
        second.addSeparator()
        self.dial_number = QComboBox(objectName="dial_number", editable=True)
        self.dial_number.setMinimumWidth(190)
        self.dial_number.lineEdit().returnPressed.connect(self._dial)
        second.addWidget(self.dial_number)
        self.dial_campaign = QLineEdit(objectName="dial_campaign", clearButtonEnabled=True)
        self.dial_campaign.setMaximumWidth(150)
        self.dial_campaign.returnPressed.connect(self._dial)
        second.addWidget(self.dial_campaign)
        self._add_action(second, Control.DIAL, handlers[Control.DIAL])
        self._add_action(second, Control.DTMF, handlers[Control.DTMF])
        self.reasons_menu = QMenu(self)
        self.reasons_menu.setObjectName("not_ready_reasons")

    def _add_action(self, bar: QToolBar, control: Control, handler) -> None:
        action = QAction(self)
        action.setObjectName(f"action_{control.value}")
        action.setShortcut(QKeySequence(SHORTCUTS[control]))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(handler)
        bar.addAction(action)
        self.actions[control] = action

    def _build_menu(self) -> None:
        menu = self.menuBar()
        self.settings_menu = menu.addMenu("")
        self.language_menu = self.settings_menu.addMenu("")
        self.sign_in_action = QAction(self, objectName="sign_in_again_action")
        self.sign_in_action.triggered.connect(lambda: self._ask_sign_in(None))
        self.settings_menu.addAction(self.sign_in_action)
        group = QActionGroup(self)
        self.language_actions = {}
        for code, name in i18n.LANGUAGES.items():
            action = QAction(name, self, checkable=True)
            action.setObjectName(f"language_{code}")
            action.setChecked(code == i18n.current_language())
            action.triggered.connect(lambda _c=False, code=code: self.switch_language(code))
            group.addAction(action)
            self.language_menu.addAction(action)
            self.language_actions[code] = action
        self.view_menu = menu.addMenu("")
        self.nav_actions = []
        for i in range(len(PAGES)):
            action = QAction(self)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _c=False, i=i: self.show_page(PAGES[i]))
            self.view_menu.addAction(action)
            self.nav_actions.append(action)
        self.demo_menu = self.demo_action = self.demo_email_action = self.demo_chat_action = None
        if self.demo is not None:
            self.demo_menu = menu.addMenu("")
            self.demo_action = QAction(self, objectName="demo_call")
            self.demo_action.setShortcut(QKeySequence("Ctrl+Shift+N"))
            self.demo_action.triggered.connect(self.simulate_call)
            self.demo_menu.addAction(self.demo_action)
            if self.demo.smtp_address:
                self.demo_email_action = QAction(self, objectName="demo_email")
                self.demo_email_action.setShortcut(QKeySequence("Ctrl+Shift+E"))
                self.demo_email_action.triggered.connect(self.simulate_email)
                self.demo_menu.addAction(self.demo_email_action)
            if self.demo.chat_url:
                self.demo_chat_action = QAction(self, objectName="demo_chat")
                self.demo_chat_action.triggered.connect(
                    lambda: QDesktopServices.openUrl(QUrl(self.demo.chat_url)))
                self.demo_menu.addAction(self.demo_chat_action)
        self.find_action = QAction(self)
        self.find_action.setShortcut(QKeySequence("Ctrl+F"))
        self.find_action.triggered.connect(self._focus_search)
        self.view_menu.addAction(self.find_action)

    # --- texts ---------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Cicada — {name} ({agent})").format(
            name=self.controller.profile.display_name, agent=self.controller.profile.username))
        labels = {
            Control.READY: self.tr("Ready"), Control.NOT_READY: self.tr("Not ready"),
            Control.WRAP_UP: self.tr("Wrap-up"), Control.ACCEPT: self.tr("Accept"),
            Control.REJECT: self.tr("Reject"), Control.HANGUP: self.tr("Hang up"),
            Control.HOLD: self.tr("Hold"), Control.RETRIEVE: self.tr("Retrieve"),
            Control.TRANSFER: self.tr("Transfer"), Control.CONSULT: self.tr("Consult"),
            Control.COMPLETE_TRANSFER: self.tr("Complete transfer"),
            Control.CONFERENCE: self.tr("Conference"), Control.CANCEL_CONSULT: self.tr("Cancel consult"),
            Control.DIAL: self.tr("Dial"), Control.DTMF: self.tr("Keypad"), Control.END: self.tr("End"),
        }
        tips = {
            Control.WRAP_UP: self.tr("Stay in wrap-up: stops the wrap-up timer"),
            Control.TRANSFER: self.tr("Blind transfer to an agent, a queue or a number"),
            Control.CONSULT: self.tr("Talk to a colleague first, then transfer or conference"),
            Control.END: self.tr("Save the interaction record and close the contact"),
        }
        for control, action in self.actions.items():
            action.setText(labels[control])
            tip = tips.get(control, labels[control])
            action.setToolTip(f"{tip} ({QKeySequence(SHORTCUTS[control]).toString(QKeySequence.SequenceFormat.NativeText)})")
        self.dial_number.lineEdit().setPlaceholderText(self.tr("Number to dial"))
        self.dial_campaign.setPlaceholderText(self.tr("Campaign (optional)"))
        self.dial_campaign.setToolTip(self.tr("The campaign this call belongs to: its script opens"))
        self._show_notices(rebuild=True)  # in the new language
        nav_names = [self.tr("Identify Account"), self.tr("Business Data"), self.tr("Interaction History"),
                     self.tr("Interaction Record"), self.tr("Scripts"), self.tr("Action Box"), self.tr("Inbox")]
        for i, name in enumerate(nav_names):
            self.nav.item(i).setText(name)
            self.nav.item(i).setToolTip(f"{name} (Ctrl+{i + 1})")
            self.nav_actions[i].setText(name)
        for name, page in self.placeholders.items():
            page.set_text({"inbox": self.tr("Emails and chats: this desktop was started without the mail "
                                            "queue (cicada desktop --no-mailq).")}[name])
        self.settings_menu.setTitle(self.tr("&Settings"))
        self.language_menu.setTitle(self.tr("Language"))
        self.sign_in_action.setText(self.tr("Sign in again…"))
        self.view_menu.setTitle(self.tr("&View"))
        self.find_action.setText(self.tr("Search customers"))
        if self.demo_menu is not None:
            self.demo_menu.setTitle(self.tr("&Demo"))
            self.demo_action.setText(self.tr("Simulate a customer's call (Ctrl+Shift+N)"))
            if self.demo_email_action is not None:
                self.demo_email_action.setText(self.tr("Simulate a customer's email (Ctrl+Shift+E)"))
            if self.demo_chat_action is not None:
                self.demo_chat_action.setText(self.tr("Open the web chat as a customer (in the browser)"))
        self.messages_label.setText(self.tr("Messages"))
        self._model_changed("connection")
        self._model_changed("agent")

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def switch_language(self, code: str) -> None:
        i18n.install(code)
        QSettings().setValue("language", code)

    # --- drawing the model ----------------------------------------------------------------------

    def _model_changed(self, what: str) -> None:
        if what in ("agent", "contact", "connection"):
            self._update_controls()
            self.strip.refresh()
        if what == "contact":
            self._on_contact()
        if what in ("contact", "script", "identification"):
            self._maybe_show_script()
        if what in ("contact", "identification") and self.bench.confirmed_partner is not None:
            self.header.show_identified(self.bench.confirmed_partner)
        if what == "connection":
            self._show_connection()
        if what == "notices":
            self._show_notices()

    def _update_controls(self) -> None:
        allowed = self.bench.controls()
        agent = self.bench.agent
        shown = (frozenset(allowed), agent and (agent.mode, agent.reason, agent.pending_mode), i18n.current_language())
        if shown == self._controls_shown:
            return  # most changes of a call leave the controls as they are
        self._controls_shown = shown
        for control, action in self.actions.items():
            action.setEnabled(control in allowed)
        self.actions[Control.DIAL].setEnabled(Control.DIAL in allowed)
        self.dial_number.setEnabled(Control.DIAL in allowed)
        self.dial_campaign.setEnabled(Control.DIAL in allowed)
        if agent is None:
            self.mode_label.setText(self.tr("Logged out"))
            return
        text = mode_label(agent.mode)
        if agent.mode == "not_ready" and agent.reason:
            text += f": {code_label(agent.reason)}"
        if agent.pending_mode:
            text += " → " + mode_label(agent.pending_mode)
        self.mode_label.setText(text)
        self.mode_label.setProperty("mode", agent.mode)

    def _on_contact(self) -> None:
        contact = self.bench.contact
        if contact is None:
            self.header.show_partner(None)
            self.business.show_partner(None)
            self.history.set_partner(None)
            self.record.refresh_drafts()
            self.show_page("identify")
            return
        if contact.phase == "offered":
            self.show_page("identify")
            self.activateWindow()
        elif contact.phase == "wrap_up":
            self.show_page("record")


    def _maybe_show_script(self) -> None:
        """Talking to a confirmed caller: the script is what the agent needs next
        (once per contact, and only from Identify Account)."""
        contact = self.bench.contact
        if (contact is None or contact.phase != "active" or contact.script is None
                or contact.key == self._script_shown_for or self.bench.confirmed_partner is None):
            return
        self._script_shown_for = contact.key
        if self.stack.currentWidget() is self.identify:
            self.show_page("scripts")

    def _partner_loaded(self, view) -> None:
        self.header.show_partner(view)
        self.business.show_partner(view)
        self.history.set_partner(view.partner.partner_id if view else None)
        self.dial_number.clear()
        if view is not None and view.phones:
            self.dial_number.addItems(list(view.phones))
            self.dial_number.setCurrentIndex(-1)

    def _show_connection(self) -> None:
        self.strip.log_in_here.setVisible(self.bench.session_elsewhere is not None and not self.bench.connected)
        if self.bench.connected:
            self.connection.setText(self.tr("Connected to the CTI gateway"))
            self.connection.setStyleSheet("color: #1b5e20;")
            self.strip.set_banner(None)
        elif self.bench.session_elsewhere is not None:
            self.connection.setText(self.tr("Logged in on another desktop"))
            self.connection.setStyleSheet("color: #b71c1c; font-weight: bold;")
            self.strip.set_banner(self.tr("You are logged in to the CTI gateway on another desktop ({why}). "
                                          "This desktop receives no calls until you log in here again.")
                                  .format(why=self.bench.session_elsewhere))
        else:
            why = self.bench.connection_error or self.tr("connecting")
            self.connection.setText(self.tr("Gateway not connected"))
            self.connection.setStyleSheet("color: #b71c1c; font-weight: bold;")
            self.strip.set_banner(self.tr("The CTI gateway is not reachable ({why}). Reconnecting by itself; "
                                          "your interaction stays editable and nothing you type is lost.")
                                  .format(why=why))

    def _ask_sign_in(self, reason: str | None) -> None:
        """The CRM session ended (or the agent asks): his password, in a window beside this one."""
        from agent_desktop.crm_session import SESSION_ENDED

        why = (QCoreApplication.translate("Workbench", SESSION_ENDED.get(reason, SESSION_ENDED["ended"]))
               if reason else self.tr("Sign in with a new session; the open contact and its drafts stay."))
        self.sign_in_again.ask(why)

    def _ask_takeover(self, why: str) -> None:
        """Another desktop holds the agent's session: take it only if the agent says so."""
        if self._takeover_question is not None:
            self._takeover_question.close()
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Already logged in"),
                          self.tr("{why}\n\nTake the session over to this desktop? The other desktop will "
                                  "stop receiving calls.").format(why=why),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("takeover_question")
        box.setTextFormat(Qt.TextFormat.PlainText)  # `why` comes from the gateway
        box.button(QMessageBox.StandardButton.Yes).setText(self.tr("Take over here"))
        box.button(QMessageBox.StandardButton.No).setText(self.tr("Not now"))
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.finished.connect(lambda answer: self._takeover_answered(box, answer))
        self._takeover_question = box
        box.open()  # the window keeps running: the interaction stays editable

    def _takeover_answered(self, box: QMessageBox, answer: int) -> None:
        if self._takeover_question is box:
            self._takeover_question = None
        if answer == QMessageBox.StandardButton.Yes:
            self.controller.take_over()

    def _show_notices(self, rebuild: bool = False) -> None:
        """The newest notices first, at most MESSAGES_SHOWN. Only the new ones are drawn: a
        notice comes with nearly every call, and redrawing them all each time cost the pop."""
        shown = self._notices_shown
        recent = self.bench.notices[-MESSAGES_SHOWN:]
        at = next((i for i in range(len(recent) - 1, -1, -1) if shown and recent[i] is shown[0]), None)
        if rebuild or (shown and at is None):
            self.messages.clear()
            shown.clear()
            at = None
        for notice in recent[(at + 1) if at is not None else 0:]:
            self.messages.insertItem(0, self._notice_item(notice))
            shown.insert(0, notice)
        while len(shown) > MESSAGES_SHOWN:
            shown.pop()
            self.messages.takeItem(self.messages.count() - 1)

    @staticmethod
    def _notice_item(notice) -> QListWidgetItem:
        item = QListWidgetItem(f"{clock_time(notice.at)}  {notice_text(notice)}")
        item.setForeground(Qt.GlobalColor.darkRed if notice.level == "error" else
                           Qt.GlobalColor.darkYellow if notice.level == "warning" else
                           Qt.GlobalColor.darkBlue if notice.level == "prompt" else
                           Qt.GlobalColor.darkMagenta if notice.level == "broadcast" else Qt.GlobalColor.black)
        if notice.level in ("prompt", "broadcast"):  # what to say now; a supervisor's word
            font = item.font()
            font.setBold(True)
            item.setFont(font)
        return item

    def _tick(self) -> None:
        self.strip.refresh()
        self.record.update_times()

    # --- actions needing input ---------------------------------------------------------------

    def _not_ready_menu(self) -> None:
        self.reasons_menu.clear()
        for reason in self.controller.not_ready_reasons or ["break"]:
            action = self.reasons_menu.addAction(code_label(reason))
            action.setObjectName(f"reason_{reason}")
            action.triggered.connect(lambda _c=False, r=reason: self.controller.set_mode("not_ready", r))
        widget = self.findChild(QToolBar, "controls").widgetForAction(self.actions[Control.NOT_READY])
        pos = widget.mapToGlobal(widget.rect().bottomLeft()) if widget else self.cursor().pos()
        self.reasons_menu.popup(pos)

    def _dial(self) -> None:
        number = self.dial_number.currentText().strip()
        if not number:
            self.dial_number.setFocus()
            return
        if Control.DIAL in self.bench.controls():
            self.controller.dial(number, self.dial_campaign.text().strip() or None)

    def _transfer(self, *, consult: bool) -> None:
        dialog = TransferDialog(consult=consult, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.target() is not None:
            self.controller.transfer(dialog.target(), consult=consult)

    def _keypad(self) -> None:
        Keypad(self.controller, self).show()

    def _focus_search(self) -> None:
        self.show_page("identify")
        self.identify.focus_search()

    def show_page(self, name: str) -> None:
        row = PAGES.index(name)
        if self.nav.currentRow() != row:  # setting the same row again still costs Qt a selection pass
            self.nav.setCurrentRow(row)

    def simulate_call(self) -> None:
        """A demo customer calls the demo queue from their own number."""
        from agent_desktop import demo

        def call(ani: str) -> None:
            self.demo_calls.append(demo.place_call(self.demo, ani))
            self.bench.notice("info", QT_TRANSLATE_NOOP("Workbench", "A demo customer is calling {dnis} from {ani}."),
                              ani=ani, dnis=self.demo.dnis)

        call(demo.customer_number(self.demo))

    def simulate_email(self) -> None:
        """A demo customer writes to the demo's service address."""
        from agent_desktop import demo

        def send(found) -> None:
            name, address = found
            self.controller.tasks.run_remote(
                demo.send_email, self.demo, name, address,
                on_done=lambda subject: self.bench.notice("info", QT_TRANSLATE_NOOP(
                    "Workbench", "{name} sent an email: {subject}"), name=name, subject=subject),
                on_error=lambda exc: self.bench.notice("error", QT_TRANSLATE_NOOP(
                    "Workbench", "The demo email could not be sent: {error}"), error=str(exc)))

        send(demo.customer_address(self.demo))

    def closeEvent(self, event) -> None:
        for process in self.demo_calls:
            if process.poll() is None:
                process.terminate()
        self._ticker.stop()
        super().closeEvent(event)


def notice_text(notice) -> str:
    """A notice in the UI's language (the gateway's own texts are shown as they come)."""
    from PySide6.QtCore import QCoreApplication

    if not notice.translatable:
        return notice.text
    params = {k: QCoreApplication.translate("Workbench", v) if isinstance(v, str) and k not in _AS_WRITTEN else v
              for k, v in notice.params.items()}
    return QCoreApplication.translate("Workbench", notice.template).format(**params)


# A notice's values that are people's words or names, never looked up for translation.
_AS_WRITTEN = frozenset({"text", "sender", "subject", "detail", "customer"})


def mode_label(mode: str) -> str:
    from PySide6.QtCore import QCoreApplication
    labels = {"logged_out": "Logged out", "not_ready": "Not ready", "ready": "Ready", "offered": "Offered",
              "busy": "In contact", "wrap_up": "Wrap-up"}
    return QCoreApplication.translate("modes", labels.get(mode, mode))


class CallStrip(QFrame):
    """ANI, DNIS, queue, time waited, talk and hold timers, and the call state."""

    FIELDS = ("ani", "dnis", "queue", "waited", "talk", "hold", "state")

    def __init__(self, bench, parent=None):
        super().__init__(parent, objectName="call_strip")
        self.bench = bench
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#call_strip { background: #f6f6f2; } QLabel[role=value] { font-weight: bold; }")
        grid = QGridLayout(self)
        grid.setContentsMargins(8, 2, 8, 2)
        self.captions = {f: plain_label() for f in self.FIELDS}
        self.values = {f: plain_label(objectName=f"strip_{f}") for f in self.FIELDS}
        for i, f in enumerate(self.FIELDS):
            self.values[f].setProperty("role", "value")
            grid.addWidget(self.captions[f], 0, 2 * i)
            grid.addWidget(self.values[f], 0, 2 * i + 1)
        self.banner = plain_label(objectName="connection_banner", wordWrap=True, visible=False)
        self.banner.setStyleSheet("background: #ffebee; color: #b71c1c; padding: 4px; font-weight: bold;")
        grid.addWidget(self.banner, 1, 0, 1, 2 * len(self.FIELDS) - 1)
        self.log_in_here = QPushButton(objectName="log_in_here", visible=False)
        grid.addWidget(self.log_in_here, 1, 2 * len(self.FIELDS) - 1)
        self.retranslate()

    def retranslate(self) -> None:
        captions = {"ani": self.tr("Caller"), "dnis": self.tr("Dialled"), "queue": self.tr("Queue"),
                    "waited": self.tr("Waited"), "talk": self.tr("Talk"), "hold": self.tr("Hold"),
                    "state": self.tr("State")}
        for f, text in captions.items():
            self.captions[f].setText(text + ":")
        self.log_in_here.setText(self.tr("Log in here"))
        self.log_in_here.setToolTip(self.tr("Take your session back from the other desktop"))
        self.refresh()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def set_banner(self, text: str | None) -> None:
        self.banner.setVisible(bool(text))
        self.banner.setText(text or "")

    def refresh(self) -> None:
        contact = self.bench.contact
        if contact is None:
            for f in self.FIELDS:
                self.values[f].setText("–")
            return
        t = self.bench.timers(time.time())
        state = self.bench.call_state()
        states = {"offered": self.tr("offered"), "talking": self.tr("talking"), "on_hold": self.tr("on hold"),
                  "consulting": self.tr("consulting"), "conference": self.tr("conference"),
                  "dialing": self.tr("dialing"), "wrap_up": self.tr("wrap-up"), "lost": self.tr("call lost"),
                  "email": self.tr("email"), "chat": self.tr("chat")}
        state_text = states.get(state, state or "")
        if state == "wrap_up" and t["wrap_up_left"] is not None:
            state_text += f" ({duration(t['wrap_up_left'])})"
        values = {"ani": contact.ani or self.tr("anonymous"), "dnis": contact.dnis, "queue": contact.queue or "–",
                  "waited": duration(t["waited"]), "talk": duration(t["talk"]), "hold": duration(t["hold"]),
                  "state": state_text}
        for f, text in values.items():
            self.values[f].setText(text)


class TransferDialog(QDialog):
    def __init__(self, *, consult: bool, parent=None):
        super().__init__(parent)
        self.setObjectName("transfer_dialog")
        self.setWindowTitle(self.tr("Consult") if consult else self.tr("Transfer"))
        self.kind = QComboBox(objectName="transfer_kind")
        self.kind.addItem(self.tr("Agent"), "agent")
        self.kind.addItem(self.tr("Queue"), "queue")
        self.kind.addItem(self.tr("Number"), "number")
        self.value = QLineEdit(objectName="transfer_value")
        form = QFormLayout(self)
        form.addRow(plain_label(self.tr("To")), self.kind)
        form.addRow(plain_label(self.tr("Who")), self.value)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def target(self) -> cti.Target | None:
        value = self.value.text().strip()
        return cti.Target(kind=self.kind.currentData(), value=value) if value else None


class Keypad(QDialog):
    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.setObjectName("keypad")
        self.setWindowTitle(self.tr("Keypad"))
        self.controller = controller
        grid = QGridLayout(self)
        for i, digit in enumerate("123456789*0#"):
            button = QPushButton(digit, objectName=f"dtmf_{digit}")
            button.setShortcut(QKeySequence(digit))
            button.clicked.connect(lambda _c=False, d=digit: controller.call_command(cti.CallDtmf, digits=d))
            grid.addWidget(button, i // 3, i % 3)


class _Placeholder(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = plain_label(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.label.setStyleSheet("color: #777;")
        layout = QHBoxLayout(self)
        layout.addWidget(self.label)

    def set_text(self, text: str) -> None:
        self.label.setText(text)
