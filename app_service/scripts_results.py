"""What the call script routes send: scripts as their stored documents (the
client rebuilds each with scripting.document.from_builtins, as the service
checked it could), the CRM lists their questions offer, a colleague's run to
go on with, and the facts a script's texts name. Free of the service's
framework, so the desktop reads them without it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ListOption:
    """An option of a CRM list (scripting.document.Option, as plain data)."""

    value: str
    label: str | None = None


@dataclass(frozen=True)
class ScriptDocument:
    """One stored version of a call script."""

    name: str
    version: int
    document: dict  # the script as plain data: scripting.document.from_builtins(document)


@dataclass(frozen=True)
class ScriptsOnOffer:
    """The active version of every script, and the options of the CRM lists they name."""

    active: list[ScriptDocument]
    lists: dict[str, list[ListOption]]  # list name -> options


@dataclass(frozen=True)
class HandedOverRun:
    """The last run made during a call before it was transferred: its version and its runner's state."""

    script: ScriptDocument
    state: dict


@dataclass(frozen=True)
class ScriptFacts:
    """The partner and contact person as a script may name them (scripting.context)."""

    partner: dict | None
    contact_person: dict | None
