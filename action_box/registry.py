"""Every action the Action Box can show: the built-in ones, those other
packages add through the entry point group `cicada.actions`, and the links
of the layout.

An entry point names an Action object, a list of them, or a function that
returns either. One that fails to load, or does not look like an action,
is left out with a log line; it never stops the desktop.
"""

from __future__ import annotations

import logging
import sys
from functools import lru_cache
from importlib.metadata import entry_points

from action_box.builtin import BUILTIN, Link
from action_box.model import NEEDS, Action

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "cicada.actions"


def plugin_actions() -> list[Action]:
    return [action for _name, action in _plugin_entries()]


def _plugin_entries() -> list[tuple[str, Action]]:
    """(entry point name, action) of every action the installed plugins offer.

    Read once per import path: finding entry points reads every installed package's
    metadata, which cost the application service more than the rest of an Action Box
    request. A plugin installed while a service runs is seen after its restart."""
    return _plugin_entries_on(tuple(sys.path))


@lru_cache(maxsize=4)
def _plugin_entries_on(_import_path: tuple[str, ...]) -> list[tuple[str, Action]]:
    found: list[tuple[str, Action]] = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = point.load()
            if callable(loaded) and not isinstance(loaded, Action):
                loaded = loaded()
            candidates = list(loaded) if isinstance(loaded, (list, tuple)) else [loaded]
        except Exception:  # a broken plugin must not stop the desktop
            log.exception("the action plugin %s (%s) could not be loaded", point.name, point.value)
            continue
        for action in candidates:
            problem = _problem(action)
            if problem:
                log.error("the action plugin %s offers something that is not an action: %s", point.name, problem)
            else:
                found.append((point.name, action))
    return found


def _problem(action) -> str | None:
    if not isinstance(action, Action):
        return f"{action!r} lacks id, label, tab, icon, needs, fields() or perform()"
    unknown = set(action.needs) - set(NEEDS)
    if unknown:
        return f"{action.id} needs {', '.join(sorted(unknown))}, which the Action Box does not provide"
    return None


def is_builtin_or_link(action: Action) -> bool:
    return isinstance(action, Link) or any(action is a for a in BUILTIN)


def all_actions(layout: dict | None = None) -> dict[str, Action]:
    """Actions by id: built-in, then plugins (which may not replace a built-in),
    then the layout's links."""
    actions: dict[str, Action] = {a.id: a for a in BUILTIN}
    plugins: dict[str, str] = {}  # action id -> the plugin that offers it
    for name, action in _plugin_entries():
        if action.id in actions:
            owner = f"the action plugin {plugins[action.id]}" if action.id in plugins else "a built-in action"
            log.error("the action plugin %s offers the action id %r, which %s has already; it is left out: "
                      "give it an id of its own", name, action.id, owner)
            continue
        plugins[action.id] = name
        actions[action.id] = action
    for link in (layout or {}).get("links", []):
        label = link["label"]
        actions[link["id"]] = Link(id=link["id"], label=label if isinstance(label, str) else
                                   label.get("en") or next(iter(label.values())), url=link["url"],
                                   needs=frozenset(link.get("needs", ["partner"])),
                                   labels=label if isinstance(label, dict) else None)
    return actions
