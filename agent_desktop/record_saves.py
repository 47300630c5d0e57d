"""Interaction records saved at End (and again, for those not saved yet): one save at a
time per contact, and a save the CRM refuses because the gateway has not recorded the
call yet tried again a few times, soon; any other failure waits for the next round.

Plain Python (no Qt): the controller asks before each save and reports how it went.
"""

from __future__ import annotations

from crm.errors import CrmError, NotFound

MAX_ATTEMPTS = 10  # saves of a record whose call is not recorded yet, a second or so apart


class RecordSaves:
    def __init__(self) -> None:
        self._saving: set[str] = set()

    def start(self, key: str) -> bool:
        """Whether to save the contact's record now (not while a save of it is on its way)."""
        if key in self._saving:
            return False
        self._saving.add(key)
        return True

    def saved(self, key: str) -> None:
        self._saving.discard(key)

    def failed(self, key: str, error: BaseException, attempt: int) -> bool:
        """The save failed; whether to try again soon (the gateway has not recorded the call yet)."""
        self._saving.discard(key)
        return isinstance(error, NotFound) and attempt < MAX_ATTEMPTS


def failure_text(error: BaseException) -> str:
    """What the agent reads of a failed save: the CRM's words, or the kind of failure."""
    return str(error) if isinstance(error, CrmError) else f"{type(error).__name__}: {error}"
