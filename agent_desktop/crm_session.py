"""The end of the agent's CRM session at the application service, as the desktop tells
it: once, in words for its reason (nothing more reaches the CRM until he signs in again;
what he types stays in drafts), and asking for his password again unless his account
is disabled.

Plain Python (no Qt): asking for the password is a port (a callable).
"""

from __future__ import annotations

from collections.abc import Callable

from agent_desktop.workbench import QT_TRANSLATE_NOOP, Workbench

# Why the application service no longer takes this desktop's requests (crm.errors.SessionEnded.reason).
SESSION_ENDED = {
    "expired": QT_TRANSLATE_NOOP("Workbench", "Your CRM session has expired. Sign in again to go on; what "
                                              "you type is kept as drafts."),
    "account_disabled": QT_TRANSLATE_NOOP("Workbench", "Your account was disabled; ask an administrator."),
    "password_changed": QT_TRANSLATE_NOOP("Workbench", "Your password was changed. Sign in again with the new "
                                                       "one to go on; what you type is kept as drafts."),
    "ended": QT_TRANSLATE_NOOP("Workbench", "Your CRM session has ended. Sign in again to go on; what you "
                                            "type is kept as drafts."),
}


class CrmSession:
    def __init__(self, bench: Workbench, sign_in_wanted: Callable[[str], None]):
        self.bench, self.sign_in_wanted = bench, sign_in_wanted
        self._told = False

    def ended(self, reason: str) -> None:
        """Every request refused from now on says so: the agent hears it once."""
        if self._told:
            return
        self._told = True
        self.bench.notice("error", SESSION_ENDED.get(reason, SESSION_ENDED["ended"]))
        if reason != "account_disabled":
            self.sign_in_wanted(reason)

    def signed_in_again(self) -> None:
        self._told = False
        self.bench.notice("info", QT_TRANSLATE_NOOP("Workbench", "Signed in again."))
