"""Errors the CRM services raise. Each carries a message meant for the user."""


class CrmError(Exception):
    """Base of every error a CRM service reports to its caller."""


class DatabaseNotMigrated(CrmError):
    def __init__(self, current: str | None, head: str):
        self.current, self.head = current, head
        where = f"at revision {current}" if current else "empty"
        super().__init__(
            f"The CRM database is {where}, but this program needs revision {head}. "
            "Run `cicada db upgrade` first."
        )


class DatabaseUnavailable(CrmError):
    pass


class NotFound(CrmError):
    pass


class PermissionDenied(CrmError):
    pass


class ValidationError(CrmError):
    pass


class DuplicateCustomerNumber(CrmError):
    pass


class OwnershipConflict(CrmError):
    pass


class Conflict(CrmError):
    """The object is not in a state that allows this (e.g. a closed conversation)."""


class AuthenticationFailed(CrmError):
    pass


class SessionEnded(AuthenticationFailed):
    """The token opens nothing (any more): `reason` says why, for the log and the user."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__({
            "unknown": "Not signed in (or the session is not known here); sign in again.",
            "expired": "Your session has expired; sign in again.",
            "signed_out": "You signed out; sign in again.",
            "account_disabled": "Your account was disabled; ask an administrator.",
            "password_changed": "Your password was changed; sign in again with the new one.",
        }.get(reason, f"Your session has ended ({reason}); sign in again."))


class AccountDisabled(AuthenticationFailed):
    """The user's account is disabled: nothing is done in its name."""

    def __init__(self, username: str):
        self.username = username
        super().__init__(f"The account {username} is disabled; ask an administrator.")


class PossibleDuplicates(CrmError):
    """A new partner resembles existing ones; the caller shows them before saving.
    `candidates` are those the user may read; `hidden` counts the others, which
    he is told of but not shown."""

    def __init__(self, candidates, *, hidden: int = 0):
        self.candidates, self.hidden = candidates, hidden
        parts = []
        if candidates:
            names = ", ".join(f"{c.partner_no} {c.name}" for c in candidates[:5])
            parts.append(f"{len(candidates)} existing partner(s) look like this one: {names}.")
        if hidden:
            parts.append(f"{hidden} {'more ' if candidates else ''}existing partner(s) that you may not see "
                         "look like it; ask a supervisor whether it is one of them.")
        parts.append("Check them, then save again with the duplicate check confirmed." if candidates else
                     "If it is a new customer all the same, save again with the duplicate check confirmed.")
        super().__init__(" ".join(parts))


class RunHandedOver(Conflict):
    """The run went on with the colleague the call was transferred to; the
    agent who handed it over may no longer change it."""
