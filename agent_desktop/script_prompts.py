"""Prompt scripts (one-shot reminders at the start of a contact), each shown once per
contact: when it is clear who is calling (or that nobody is confirmed yet), and again
when the agent confirms a partner later, for the prompts whose `when` now holds. A
contact restored from a draft showed its prompts before.

Plain Python (no Qt): the controller asks which prompts are due and shows those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from agent_desktop.workbench import Contact, IdStatus

KEEP_CONTACTS = 50  # only the recent contacts matter

T = TypeVar("T")


class PromptsShown:
    def __init__(self) -> None:
        self._shown: dict[str, set[str]] = {}  # contact key -> names of the prompt scripts shown

    def ready(self, contact: Contact) -> bool:
        """Whether the contact's prompts may be shown now; from then on it counts as shown."""
        if contact.kind == "consult":
            return False  # a colleague asks for advice: his contact, his prompts
        if contact.prompts_shown and contact.key not in self._shown:
            return False  # restored from a draft: shown before
        if contact.identification.status is IdStatus.PENDING:
            return False  # who is calling is not clear yet
        contact.prompts_shown = True
        self._shown.setdefault(contact.key, set())
        for old in list(self._shown)[:-KEEP_CONTACTS]:
            del self._shown[old]
        return True

    def unseen(self, key: str, prompts: Iterable[T], name: Callable[[T], str]) -> list[T]:
        """Those of `prompts` not shown yet for the contact `key`, now counted as shown."""
        shown = self._shown.setdefault(key, set())
        fresh = []
        for prompt in prompts:
            if name(prompt) not in shown:
                shown.add(name(prompt))
                fresh.append(prompt)
        return fresh
