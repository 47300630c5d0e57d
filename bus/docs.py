"""docs/bus.md, written from the declarations in bus/: `python -m bus.docs` rewrites it,
`python -m bus.docs --check` says whether it is current (tests/test_bus_docs.py runs it).

Every message, field, topic and code comes from the modules themselves: their docstrings,
their fields' types and defaults, and the comment beside a field.
"""

from __future__ import annotations

import ast
import inspect
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import msgspec

from bus import cti, envelope, mailq, refusals, sipworker
from bus.envelope import Catalogue, Event, Message

DOCS_FILE = Path(__file__).resolve().parent.parent / "docs" / "bus.md"

# (title, module, its catalogues, its code lists): in the order the page shows them
FAMILIES: list[tuple[str, types.ModuleType, list[tuple[str, Catalogue[Message]]], list[tuple[str, dict]]]] = [
    ("The CTI gateway and the desktops", cti,
     [("Commands", cti.COMMANDS), ("Events", cti.EVENTS)],
     [("Error codes", cti.ERRORS), ("Notice codes (`AgentNotice.code`)", cti.NOTICES)]),
    ("The mail queue and the desktops", mailq,
     [("Commands", mailq.COMMANDS), ("Events", mailq.EVENTS)],
     [("Error codes", mailq.ERRORS)]),
    ("The gateway and its SIP workers", sipworker,
     [("Orders", sipworker.ORDERS), ("Reports", sipworker.REPORTS)], []),
]


def render() -> str:
    lines = [
        "# The bus: messages, topics and codes",
        "",
        "<!-- Written by `python -m bus.docs` from the declarations in bus/; do not edit by hand:",
        "     tests/test_bus_docs.py fails when this page differs from them. -->",
        "",
        *_paragraphs(envelope.__doc__),
        "## Codes every service may reply with",
        "",
        "`ErrorInfo.code` of an error reply (bus.envelope); the text beside it is English for the log,",
        "and desktops say the code in the agent's language.",
        "",
        *_codes(envelope.ERRORS),
        "## Sessions refused",
        "",
        "The same from the gateway and the mail queue (bus.refusals).",
        "",
        *_codes(refusals.ERRORS),
    ]
    for title, module, catalogues, code_lists in FAMILIES:
        lines += [f"## {title} (`{module.__name__}`)", "", *_paragraphs(module.__doc__)]
        comments = _field_comments(module)
        for heading, catalogue in catalogues:
            lines += [f"### {heading}", ""]
            for tag, message in catalogue.types.items():
                lines += _message(str(tag), message, comments)
        views = list(_views(module))
        if views:
            lines += ["### Replies and views", ""]
        for struct in views:
            lines += _struct(f"#### {struct.__name__}", struct, comments)
        for heading, codes in code_lists:
            lines += [f"### {heading}", "", *_codes(codes)]
    return "\n".join(lines).rstrip() + "\n"


def _paragraphs(doc: str | None) -> list[str]:
    return [*inspect.cleandoc(doc or "").splitlines(), ""]


def _codes(codes: dict[str, str]) -> list[str]:
    return [*(f"* `{code}`: {meaning}" for code, meaning in codes.items()), ""]


def _message(tag: str, message: type[Message], comments: dict[str, dict[str, str]]) -> list[str]:
    heading = f"#### `{tag}` ({message.__name__})"
    if issubclass(message, Event):
        heading += ", topics " + ", ".join(f"`{topic}`" for topic in message.topics)
    return _struct(heading, message, comments)


def _struct(heading: str, struct: type[msgspec.Struct], comments: dict[str, dict[str, str]]) -> list[str]:
    lines = [heading, ""]
    if struct.__doc__ and struct.__doc__ is not msgspec.Struct.__doc__:
        lines += _paragraphs(struct.__doc__)
    said = comments.get(struct.__name__, {})
    for field in msgspec.structs.fields(struct):
        line = f"* `{field.name}`: {_type(field.type)}{_default(field)}"
        if field.name in said:
            line += f"; {said[field.name]}"
        lines.append(line)
    return [*lines, ""]


def _default(field: msgspec.structs.FieldInfo) -> str:
    if field.default is not msgspec.NODEFAULT:
        return f" = `{msgspec.json.encode(field.default).decode()}`"
    if field.default_factory is not msgspec.NODEFAULT:
        return f" = `{msgspec.json.encode(field.default_factory()).decode()}`"
    return ""


def _type(t: Any) -> str:
    origin, args = get_origin(t), get_args(t)
    if t is type(None):
        return "null"
    if origin is Literal:
        return " or ".join(f'`"{value}"`' for value in args)
    if origin in (Union, types.UnionType):
        return " or ".join(_type(arg) for arg in args)
    if origin is list:
        return f"list of ({_type(args[0])})"
    if origin is dict:
        return f"map of `{_type(args[0]).strip('`')}` to ({_type(args[1])})"
    if isinstance(t, type) and issubclass(t, msgspec.Struct):
        return t.__name__
    return f"`{getattr(t, '__name__', t)}`"


def _views(module: types.ModuleType) -> Iterator[type[msgspec.Struct]]:
    """The module's structs that are no command or event: reply bodies and what they hold."""
    for value in vars(module).values():
        if (isinstance(value, type) and issubclass(value, msgspec.Struct) and not issubclass(value, Message)
                and value.__module__ == module.__name__):
            yield value


def _field_comments(module: types.ModuleType) -> dict[str, dict[str, str]]:
    """The comment beside each field, by class: `mode: str  # what it is` gives "what it is"."""
    source = inspect.getsource(module)
    lines = source.splitlines()
    found: dict[str, dict[str, str]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                    line = lines[statement.end_lineno - 1] if statement.end_lineno else ""
                    if "  # " in line:
                        found.setdefault(node.name, {})[statement.target.id] = line.split("  # ", 1)[1].strip()
    return found


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = DOCS_FILE.exists() and DOCS_FILE.read_text(encoding="utf-8") == text
        if not current:
            print(f"{DOCS_FILE} is not current: run python -m bus.docs", file=sys.stderr)
        return 0 if current else 1
    DOCS_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {DOCS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
