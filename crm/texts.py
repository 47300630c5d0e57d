"""Characters the CRM cannot store, and what to do about them.

Two kinds of character have no place in the database: NUL (U+0000, which
PostgreSQL refuses in text) and lone surrogates (U+D800 to U+DFFF, halves of
a UTF-16 pair, which have no UTF-8 form and which no real text contains).
Text a user types or a customer sends is refused where a service takes it in,
with an error that names the field (`check`, `check_each`); text the CRM must
keep whatever it holds, as an email, is cleaned instead (`storable`). Rows
the ORM writes are checked once more before each flush (`refuse_unstorable_rows`),
so that text a service forgot to check is refused with this clear error, not
with the database's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from crm.errors import ValidationError

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"  # what a cleaned character becomes: the reader sees something was there


def check(value, what: str):
    """`value` as given, or ValidationError naming `what` ("the notes") when a
    text in it (a string, or the strings of a list or dict, at any depth)
    holds a character that cannot be stored."""
    for text in _strings(value):
        found = _UNSTORABLE.search(text)
        if found is not None:
            raise ValidationError(
                f"There is a character that cannot be stored in {what} "
                f"({_describe(found.group())}, at position {found.start() + 1}); remove it and try again.")
    return value


def check_each(values: Mapping[str, object]) -> None:
    """`check` for each (what, value) pair, in order."""
    for what, value in values.items():
        check(value, what)


def is_storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


def storable(text: str | None) -> str | None:
    """`text` with each character that cannot be stored replaced by U+FFFD."""
    if text is None:
        return None
    return _UNSTORABLE.sub(REPLACEMENT, text)


def refuse_unstorable_rows(session, _flush_context, _instances) -> None:
    """A before_flush hook: ValidationError naming the table and column of the
    first new or changed text that holds a character the CRM cannot store."""
    from sqlalchemy import String, inspect  # here: the desktop checks texts without the database's library

    for row in (*session.new, *session.dirty):
        for attribute in inspect(row).mapper.column_attrs:
            column = attribute.columns[0]
            if isinstance(column.type, String) and attribute.key in vars(row):
                check(vars(row)[attribute.key], f"the column {column.table.name}.{column.name}")


def _describe(char: str) -> str:
    if char == "\x00":
        return "a NUL character, U+0000"
    return f"half of a surrogate pair, U+{ord(char):04X}"


def _strings(value) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _strings(item)
