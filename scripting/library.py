"""Scripts in the CRM, checked: import (YAML in, a new version stored only
when it validates), activation (validated again), export, and choosing the
scripts for a contact by its queue, dialled number or campaign."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from crm.permissions import Actor
from crm.services import scripts as store
from scripting.document import Script, ScriptFormatError, dump_yaml, from_builtins, load_yaml
from scripting.templates import evaluate
from scripting.validate import Report, validate

if TYPE_CHECKING:  # the desktop chooses scripts with this module and has no database
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


@dataclass(frozen=True)
class Loaded:
    """An active script version, ready to run."""

    script: Script
    version: int


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


def applies(script: Script, *, queue: str | None, dnis: str | None, campaign: str | None) -> int:
    """How well a script fits a contact: 3 by campaign, 2 by dialled number,
    1 by queue, 0 not at all."""
    target = script.applies_to
    if campaign and campaign in target.campaigns:
        return 3
    if dnis and dnis in target.dnis:
        return 2
    if queue and queue in target.queues:
        return 1
    return 0


def choose_interactive(active: list[Loaded], *, queue: str | None, dnis: str | None,
                       campaign: str | None, language: str | None = None) -> Loaded | None:
    """The interactive script that opens for a contact: the best fit; among
    equal fits the one in `language` (the agent's, e.g. "zh" for "zh_CN"), then by name."""
    wanted = (language or "").split("_")[0].lower()
    fits = [(applies(a.script, queue=queue, dnis=dnis, campaign=campaign),
             a.script.language.split("_")[0].lower() != wanted, a.script.name, a)
            for a in active if a.script.kind == "interactive"]
    fits = [f for f in fits if f[0] > 0]
    if not fits:
        return None
    fits.sort(key=lambda f: (-f[0], f[1], f[2]))
    return fits[0][3]


def prompts_for(active: list[Loaded], context: dict, *, queue: str | None, dnis: str | None,
                campaign: str | None) -> list[Loaded]:
    """The prompt scripts to show when a contact starts: those that apply to its
    queue, number or campaign (or to every contact, when they name none) and
    whose `when` holds for the partner."""
    chosen = []
    for each in active:
        script = each.script
        if script.kind != "prompt":
            continue
        target = script.applies_to
        names_any = target.queues or target.dnis or target.campaigns
        if names_any and not applies(script, queue=queue, dnis=dnis, campaign=campaign):
            continue
        if script.when and not evaluate(script.when, context)[0]:
            continue
        chosen.append(each)
    return chosen
