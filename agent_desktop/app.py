"""Starting the desktop: the application, the login dialog (signing in to the
application service), then the workbench window connected to the gateway and,
through the application service, to the CRM."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from agent_desktop.drafts import DraftStore, default_draft_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DesktopSettings:
    command_address: str
    event_address: str
    app_url: str = ""  # the application service: https://HOST:PORT
    app_fingerprint: str | None = None  # its certificate's SHA-256, pinned without asking the agent
    known_certificates: Path | None = None  # certificates the agent trusted; None: the user's config directory
    gateway_public_key: str = ""  # the gateway's CURVE public key (`cicada keys show`)
    region: str = "CN"
    draft_dir: Path | None = None
    language: str | None = None
    user: str = ""
    password: str = ""
    demo: object | None = None  # agent_desktop.demo.DemoCalls in `cicada demo`
    mailq_commands: str | None = None  # the mail queue's ZeroMQ addresses; None: no Inbox
    mailq_events: str | None = None
    mailq_public_key: str = ""  # the mail queue's CURVE public key (z85 text, as `cicada keys show` prints it)


def application(argv: list[str] | None = None):
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    QCoreApplication.setOrganizationName("Cicada")
    QCoreApplication.setApplicationName("Cicada desktop")
    return app


class Desktop:
    """One agent's desktop: its controller and window, made after login."""

    def __init__(self, settings: DesktopSettings, session, *, device: str | None,
                 queues: list[str] | None, tasks=None):
        from agent_desktop.ui import gc_guard

        gc_guard.hold()
        self._gc_held = True
        try:
            self._make(settings, session, device, queues, tasks)
        except BaseException:  # a desktop that could not be made must not keep the collector off
            self._gc_held = False
            gc_guard.release()
            raise

    def _make(self, settings: DesktopSettings, session, device: str | None, queues: list[str] | None,
              tasks) -> None:
        from agent_desktop.ui.controller import DesktopController, GatewayLogin
        from agent_desktop.ui.cti_link import CtiLink
        from agent_desktop.ui.main_window import MainWindow

        self.settings = settings
        self.link = CtiLink(settings.command_address, settings.event_address,
                            server_key=settings.gateway_public_key)
        self.drafts = DraftStore(settings.draft_dir or default_draft_dir(), session.profile.username,
                                 background=True)
        self.controller = DesktopController(
            session, self.link, GatewayLogin(session.token, device, queues),
            drafts=self.drafts, region=settings.region, tasks=tasks)
        self.drafts.on_error = self.controller.draft_failed.emit  # from the writer thread
        self.mail_link = None
        if settings.mailq_commands and settings.mailq_events:
            from agent_desktop.ui.mail_control import MailControl
            from agent_desktop.ui.mail_link import MailLink

            self.mail_link = MailLink(settings.mailq_commands, settings.mailq_events,
                                      settings.mailq_public_key.encode("ascii"))
            self.controller.mail = MailControl(self.controller, self.mail_link, session.token)
        self.window = MainWindow(self.controller, self.drafts, demo=settings.demo)

    def start(self) -> None:
        self.window.show()
        self.controller.connect_gateway()
        if self.controller.mail is not None:
            self.controller.mail.connect()

    def close(self) -> None:
        """The agent closes the desktop: it signs out, so its session opens nothing any more
        (its client stays open for the tasks still running; their owner closes it)."""
        from agent_desktop import crm_access

        self.window.close()
        self.controller.close()
        self.controller.crm.on_session_ended = None  # an ended session need not be announced now
        crm_access.log_out(self.controller.crm, close=False)
        self.link.close()
        if self.mail_link is not None:
            self.mail_link.close()
        self.drafts.close()
        if self._gc_held:
            from agent_desktop.ui import gc_guard

            self._gc_held = False
            gc_guard.release()


def service_of(settings: DesktopSettings):
    from agent_desktop import crm_access

    return crm_access.Service(settings.app_url, settings.app_fingerprint, settings.known_certificates)


def run(settings: DesktopSettings) -> int:
    from agent_desktop.ui import gc_guard

    app = application()
    gc_guard.hold()  # the login dialog's queries run in worker threads too
    try:
        return _sign_in_and_work(app, settings)
    finally:
        gc_guard.release()


def _sign_in_and_work(app, settings: DesktopSettings) -> int:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QDialog

    from agent_desktop import crm_access
    from agent_desktop.ui import i18n
    from agent_desktop.ui.login_dialog import LoginDialog
    from agent_desktop.ui.tasks import TaskRunner

    i18n.install(settings.language or QSettings().value("language") or _system_language())
    tasks = TaskRunner()
    dialog = LoginDialog(service_of(settings), tasks, username=settings.user, password=settings.password)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.session is None:
        if dialog.session is not None:
            crm_access.log_out(dialog.session.crm)
        tasks.shutdown()
        return 1
    if not settings.language and not QSettings().value("language"):
        i18n.install(dialog.session.profile.language)
    settings = DesktopSettings(**{**settings.__dict__, "password": dialog.password.text(),
                                  "user": dialog.session.profile.username})
    desktop = Desktop(settings, dialog.session, device=dialog.device_value(),
                      queues=dialog.queue_values(), tasks=tasks)
    desktop.start()
    from agent_desktop.ui import gc_guard

    gc_guard.settle()
    code = app.exec()
    desktop.close()
    tasks.shutdown()
    dialog.session.crm.close()
    return code


def _system_language() -> str:
    from PySide6.QtCore import QLocale

    return QLocale.system().name()
