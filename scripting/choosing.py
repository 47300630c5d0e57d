"""Choosing the scripts for a contact by its queue, dialled number or campaign: what the
desktop runs with the active versions the application service gave it (no database here)."""

from __future__ import annotations

from dataclasses import dataclass

from scripting.document import Script
from scripting.templates import evaluate


@dataclass(frozen=True)
class Loaded:
    """An active script version, ready to run."""

    script: Script
    version: int


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
