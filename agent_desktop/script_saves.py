"""The script run of a call, saved into its record as it goes: one save at a time per
contact, the latest change saved once the one on its way is done, and no more saves
once the colleague the call was transferred to has taken the run over.

Plain Python (no Qt): the controller asks before each save and reports how it went.
"""

from __future__ import annotations

from agent_desktop.workbench import Contact


class RunSaves:
    def __init__(self) -> None:
        self._saving: set[str] = set()
        self._dirty: set[str] = set()  # changed while a save was on its way
        self._refused: set[str] = set()  # contacts whose run a colleague took over

    def start(self, key: str) -> bool:
        """Whether to save the contact's run now (else it is saved after the save on its way)."""
        if key in self._refused:
            return False
        if key in self._saving:
            self._dirty.add(key)
            return False
        self._saving.add(key)
        return True

    def saved(self, key: str) -> bool:
        """The save is done; whether to save again (the run changed meanwhile)."""
        self._saving.discard(key)
        if key in self._dirty:
            self._dirty.discard(key)
            return True
        return False

    def failed(self, key: str) -> None:
        """The save failed; the next change tries again."""
        self._saving.discard(key)

    def later(self, key: str) -> None:
        """The call is not recorded yet: the save is tried again later, with the run as it is then."""
        self._saving.discard(key)
        self._dirty.discard(key)

    def taken_over(self, key: str) -> None:
        """A colleague goes on with the run: changes made here are not saved any more."""
        self._saving.discard(key)
        self._dirty.discard(key)
        self._refused.add(key)

    def handed_over(self, contact: Contact | None) -> bool:
        """Whether the contact's run went with the call to a colleague: it is his to go on
        with, and no longer changed here."""
        if contact is None or contact.script is None:
            return False
        transferred = contact.result is not None and contact.result.cause == "transferred"
        return transferred or contact.key in self._refused
