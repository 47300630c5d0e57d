"""Scripts in the CRM, checked: import (YAML in, a new version stored only
when it validates), activation (validated again), export, and loading the
active versions (choosing among them is `scripting.choosing`'s)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crm.permissions import Actor
from crm.services import scripts as store
from scripting.choosing import Loaded, applies, choose_interactive, prompts_for  # noqa: F401 - this module's too
from scripting.document import Script, ScriptFormatError, dump_yaml, from_builtins, load_yaml
from scripting.validate import Report, validate

if TYPE_CHECKING:
    from crm.db import Database


class ScriptInvalid(ValueError):
    """A script with errors: `report` holds each, with its node."""

    def __init__(self, name: str, report: Report):
        self.report = report
        lines = "\n".join(f"  {p}" for p in report.errors)
        super().__init__(f"{name} has {len(report.errors)} error(s):\n{lines}")


def check(source: str | bytes, *, origin: str = "the script") -> tuple[Script, Report]:
    """Load and validate; ScriptFormatError when it is not a script at all."""
    script = load_yaml(source, origin=origin)
    return script, validate(script)


def import_script(database: Database, actor: Actor, source: str | bytes, *,
                  origin: str = "the script") -> tuple[store.StoredVersion, Report]:
    """Store the script as a new version; ScriptInvalid (nothing stored) when it has errors."""
    script, report = check(source, origin=origin)
    if not report.ok:
        raise ScriptInvalid(script.name, report)
    text = source.decode("utf-8") if isinstance(source, bytes) else source
    with database.unit_of_work() as session:
        stored = store.add_version(session, actor, name=script.name, kind=script.kind,
                                   document=script.to_builtins(), title=script.title,
                                   language=script.language, source=text)
    return stored, report


def activate(database: Database, actor: Actor, name: str, version: int | None = None) -> store.StoredVersion:
    """Make a version (the latest by default) the one agents get, if it validates."""
    with database.unit_of_work() as session:
        stored = _latest(session, actor, name) if version is None else store.get_version(session, actor, name, version)
        report = validate(from_builtins(stored.document, origin=f"{name} version {stored.version}"))
        if not report.ok:
            raise ScriptInvalid(f"{name} version {stored.version}", report)
        store.activate(session, actor, name, stored.version)
        return store.get_version(session, actor, name, stored.version)


def _latest(session, actor: Actor, name: str) -> store.StoredVersion:
    latest = next((s.latest_version for s in store.list_scripts(session, actor) if s.name == name), None)
    return store.get_version(session, actor, name, latest)


def export(database: Database, actor: Actor, name: str, version: int | None = None) -> str:
    """The version's YAML as it was imported (or written out from the document)."""
    with database.reading() as session:
        stored = store.get_version(session, actor, name, version)
    return stored.source or dump_yaml(from_builtins(stored.document))


def load_active(database: Database, actor: Actor) -> list[Loaded]:
    """Every active version; one that no longer loads is left out (and logged)."""
    import logging

    loaded = []
    with database.reading() as session:
        stored = store.active_versions(session, actor)
    for each in stored:
        try:
            loaded.append(Loaded(from_builtins(each.document, origin=each.name), each.version))
        except ScriptFormatError as exc:
            logging.getLogger(__name__).error("active script %s version %s cannot be used: %s",
                                              each.name, each.version, exc)
    return loaded
