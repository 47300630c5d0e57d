"""Signing in again when the CRM session ended (expired, password changed, signed out
elsewhere) without closing the desktop: the agent types his password, the open contact,
its drafts and the window stay as they are. The window keeps working while it is open."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QVBoxLayout

from agent_desktop.ui.login_dialog import login_error
from agent_desktop.ui.plain import plain_label


class SignInAgainDialog(QDialog):
    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.setObjectName("sign_in_again")
        self.controller = controller
        self.why = plain_label(objectName="sign_in_again_why", wordWrap=True)
        self.user = plain_label(controller.profile.username)
        self.password = QLineEdit(objectName="sign_in_again_password", echoMode=QLineEdit.EchoMode.Password)
        self.message = plain_label(objectName="sign_in_again_message", wordWrap=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._sign_in)
        self.buttons.rejected.connect(self.reject)
        self.labels = [plain_label(), plain_label()]
        form = QFormLayout()
        form.addRow(self.labels[0], self.user)
        form.addRow(self.labels[1], self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(self.why)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        controller.signed_in_again.connect(self._answered)
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Cicada — sign in again"))
        self.labels[0].setText(self.tr("User"))
        self.labels[1].setText(self.tr("Password"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Sign in"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Later"))

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def ask(self, why: str) -> None:
        """Shown with why the session ended, in the agent's language. Asked again while it is
        open (the gateway and the mail queue each say so too), it keeps what the agent typed."""
        self.why.setText(why)
        if self.isVisible():
            return
        self.message.clear()
        self.password.clear()
        self.buttons.setEnabled(True)
        self.open()
        self.password.setFocus()

    def _sign_in(self) -> None:
        if not self.password.text():
            self.message.setText(self.tr("Type your password."))
            return
        self.buttons.setEnabled(False)
        self.message.setText(self.tr("Signing in…"))
        self.controller.sign_in_again(self.password.text())

    def _answered(self, error: BaseException | None) -> None:
        self.buttons.setEnabled(True)
        self.password.clear()
        if error is None:
            self.message.clear()
            self.accept()
        else:
            self.message.setText(login_error(error))
