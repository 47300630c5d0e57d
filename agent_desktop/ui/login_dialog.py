"""The login dialog: the agent signs in to the application service (off the GUI
thread), then checks the phone and queues from his profile before going on
to the gateway. A service certificate this PC does not know yet is shown by
its fingerprint and trusted once if the agent accepts it, as SSH does with a
host key; a certificate other than the one trusted is refused."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
)

from agent_desktop import crm_access
from agent_desktop.ui.plain import plain_label


class LoginDialog(QDialog):
    logged_in = Signal(object)  # crm_access.LoggedIn

    def __init__(self, service: crm_access.Service, tasks, *, username: str = "", password: str = "",
                 parent=None):
        super().__init__(parent)
        self.setObjectName("login_dialog")
        self.service, self.tasks = service, tasks
        self.session: crm_access.LoggedIn | None = None
        self.user = QLineEdit(username, objectName="login_user")
        self.password = QLineEdit(password, objectName="login_password", echoMode=QLineEdit.EchoMode.Password)
        self.device = QLineEdit(objectName="login_device", enabled=False)
        self.queues = QLineEdit(objectName="login_queues", enabled=False)
        self.by_skills = QCheckBox(objectName="login_by_skills", checked=True, enabled=False)
        self.by_skills.toggled.connect(lambda on: self.queues.setEnabled(not on))
        self.message = plain_label(objectName="login_message", wordWrap=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._next)
        self.buttons.rejected.connect(self.reject)
        self.form = QFormLayout()
        self.labels = [plain_label() for _ in range(5)]
        for label, widget in zip(self.labels, (self.user, self.password, self.device, self.by_skills, self.queues)):
            self.form.addRow(label, widget)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Cicada — log in"))
        for label, text in zip(self.labels, (self.tr("User"), self.tr("Password"), self.tr("Phone (SIP address)"),
                                             self.tr("Queues"), self.tr("Only these queues"))):
            label.setText(text)
        self.by_skills.setText(self.tr("every queue my skills qualify for"))
        self.queues.setPlaceholderText(self.tr("queue names, separated by commas"))
        self.device.setPlaceholderText(self.tr("e.g. sip:1001@10.0.0.5:5060"))

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _next(self) -> None:
        if self.session is None:
            self._check_password()
        else:
            self.accept()

    def _check_password(self) -> None:
        user, password = self.user.text().strip(), self.password.text()
        if not user or not password:
            self.message.setText(self.tr("Enter your user name and password."))
            return
        self.buttons.setEnabled(False)
        self.message.setText(self.tr("Checking…"))
        self.tasks.run(crm_access.log_in, self.service, user, password,
                       on_done=self._password_ok, on_error=self._password_wrong)

    def _password_ok(self, session: crm_access.LoggedIn) -> None:
        self.session = session
        self.logged_in.emit(session)
        self.buttons.setEnabled(True)
        profile = session.profile
        self.user.setEnabled(False)
        self.password.setEnabled(False)
        self.device.setEnabled(True)
        self.by_skills.setEnabled(True)
        if not self.device.text():
            self.device.setText(profile.extension or "")
        if profile.queues:
            self.by_skills.setChecked(False)
            self.queues.setText(", ".join(profile.queues))
        self.message.setText(self.tr("Welcome, {name}. Check your phone and queues, then OK.").format(
            name=profile.display_name))
        self.device.setFocus()

    def _password_wrong(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        if isinstance(exc, crm_access.CertificateUnknown):
            if self._agent_trusts(exc):
                crm_access.trust_certificate(self.service, exc)
                self._check_password()
                return
            self.message.setText(self.tr("The service's certificate was not accepted; you are not signed in."))
            return
        self.message.setText(login_error(exc))
        self.password.selectAll()
        self.password.setFocus()

    def _agent_trusts(self, unknown: crm_access.CertificateUnknown) -> bool:
        """Ask once, showing the fingerprint to compare with the one the administrator gave."""
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Unknown certificate"), self.tr(
            "The application service at {address} presents a certificate this computer does not know yet. "
            "Its fingerprint (SHA-256) is:\n\n{fingerprint}\n\nCompare it with the one your administrator "
            "gave you. Trust this certificate from now on?").format(address=unknown.address,
                                                                    fingerprint=unknown.fingerprint),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("login_certificate_question")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        return box.exec() == QMessageBox.StandardButton.Yes

    def device_value(self) -> str | None:
        return self.device.text().strip() or None

    def queue_values(self) -> list[str] | None:
        if self.by_skills.isChecked():
            return None
        names = [q.strip() for q in self.queues.text().split(",") if q.strip()]
        return names or None


def login_error(exc: BaseException) -> str:
    """Why a sign-in failed, in the agent's language (the CRM speaks English)."""
    from app_service.wire import ServiceUnreachable
    from crm.errors import AccountDisabled, AuthenticationFailed, DatabaseUnavailable
    from crm.login_guard import LoginRefused

    translate = QCoreApplication.translate
    if isinstance(exc, crm_access.CertificateChanged):
        return translate("LoginDialog", "Warning: the application service at {address} presents another certificate "
                                        "({presented}) than the one this computer trusts ({pinned}). Someone may be "
                                        "in between: do not sign in, and tell your administrator.").format(
            address=exc.address, presented=exc.presented, pinned=exc.pinned)
    if isinstance(exc, AccountDisabled):
        return translate("LoginDialog", "This account is disabled; ask an administrator.")
    if isinstance(exc, AuthenticationFailed):
        return translate("LoginDialog", "Wrong user name or password.")
    if isinstance(exc, LoginRefused):
        return translate("LoginDialog", "Too many sign-ins; try again in {seconds} s.").format(
            seconds=max(1, round(exc.retry_after)))
    detail = (str(exc).splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, ServiceUnreachable):
        return translate("LoginDialog", "The application service cannot be reached; try again in a moment "
                                        "({error}).").format(error=detail)
    if isinstance(exc, (DatabaseUnavailable, OSError)):
        return translate("LoginDialog", "The CRM database cannot be reached; try again in a moment "
                                        "({error}).").format(error=detail)
    return translate("LoginDialog", "The login failed: {error}").format(error=detail)
