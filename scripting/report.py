"""What script runs add up to, per script version: runs, where they ended,
and the answers to each question, for the terminal and as CSV."""

from __future__ import annotations

import csv
from typing import IO

from crm.services.scripts import VersionReport
from scripting.document import QuestionNode, ScriptFormatError, from_builtins

COLUMNS = ["script", "version", "kind", "node", "text", "value", "count"]


def report_rows(reports: list[VersionReport]) -> list[tuple]:
    """One row per figure: (script, version, kind, node, text, value, count) where
    kind is runs, finished, outcome, ended_at or answer."""
    rows: list[tuple] = []
    for each in reports:
        questions, texts = _questions(each)
        rows.append((each.script, each.version, "runs", "", "", "", each.runs))
        rows.append((each.script, each.version, "finished", "", "", "", each.finished))
        for outcome, count in each.outcomes.most_common():
            rows.append((each.script, each.version, "outcome", "", "", outcome, count))
        for node, count in each.ended_at.most_common():
            rows.append((each.script, each.version, "ended_at", node, texts.get(node, ""), "", count))
        for node in list(questions) + sorted(set(each.answers) - set(questions)):
            labels = questions.get(node, {})
            for value, count in each.answers.get(node, {}).items():
                rows.append((each.script, each.version, "answer", node, texts.get(node, ""),
                             labels.get(value, value) if value else "(no answer)", count))
    return rows


def _questions(each: VersionReport) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Question ids in script order with their option labels, and every node's text."""
    try:
        script = from_builtins(each.document)
    except ScriptFormatError:
        return {}, {}
    labels: dict[str, dict[str, str]] = {}
    texts: dict[str, str] = {}
    for node in script.nodes:
        texts[node.id] = " ".join((getattr(node, "text", None) or "").split())
        if isinstance(node, QuestionNode):
            labels[node.id] = {o.value: o.shown for o in node.options}
    return labels, texts


def write_csv(reports: list[VersionReport], out: IO[str]) -> None:
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(report_rows(reports))
