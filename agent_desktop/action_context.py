"""The Action Box's context as the desktop holds it: read again when its facts change
(edits in a row ask once), dropped at once when whom it is for changes (another customer,
contact person or contact: nothing may run on the previous one's data while the new one
loads), and a reply for facts that are no longer current thrown away.

Plain Python (no Qt): the controller reads the context off the GUI thread and tells
this model; `action_facts` says whom it is for and on what facts.
"""

from __future__ import annotations

from typing import Any

from agent_desktop.action_facts import Identity

Wanted = tuple[str, str]  # contact key, the facts as read


class ActionContext:
    def __init__(self) -> None:
        self.context: Any = None  # action_box.model.Context for the contact, None while it loads
        self._wanted: Wanted | None = None  # the facts asked for last
        self._loaded_for: Identity | None = None  # whom self.context was loaded for

    def stale(self, identity: Identity | None) -> bool:
        """Whom the actions are for is now `identity`: whether the context was dropped."""
        if self.context is None or self._loaded_for == identity:
            return False
        self.context, self._wanted = None, None
        return True

    def clear(self) -> None:
        """No contact: no context."""
        self.context, self._wanted = None, None

    def ask(self, key: str, facts: dict) -> Wanted | None:
        """The facts to read the context from now, or None when they were asked for already."""
        wanted = (key, repr(facts))
        if wanted == self._wanted:
            return None
        self._wanted = wanted
        return wanted

    def loaded(self, wanted: Wanted, context: Any, identity: Identity | None) -> bool:
        """A context read for `wanted`, for `identity`: whether it is the current one (and kept)."""
        if wanted != self._wanted:
            return False
        self.context, self._loaded_for = context, identity
        return True

    def failed(self, wanted: Wanted) -> None:
        """Reading it failed: the next change asks again."""
        if wanted == self._wanted:
            self._wanted = None
