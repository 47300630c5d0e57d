"""Formats in script texts, `'{:,.2f}'.format(amount)` and `'%d CNY' %
amount`, held to the budget: the widths and precisions they ask for,
written in the format or given as values (`'{:>{}}'.format('x', n)`,
`'%*d' % (n, 1)`), are added up before anything is formatted, so that a
format cannot allocate a huge text before its result is counted."""

from __future__ import annotations

import string
from typing import Any

from jinja2.sandbox import SandboxedEscapeFormatter, SandboxedFormatter

from scripting.budget import MAX_VALUE, OverBudget, as_count, ensure_fits, numbers_in, size

PRINTF_FLAGS = "-+ #0"
PRINTF_LENGTH_MODIFIERS = "hlL"


def _too_wide() -> OverBudget:
    return OverBudget(f"a format whose widths come to more than {MAX_VALUE} characters")


class _Budgeted(string.Formatter):
    """`str.format` counting what it has made so far, and refusing a field
    whose width or precision would take it over budget before formatting it."""

    def vformat(self, format_string: str, args, kwargs) -> str:
        self.made = len(format_string)
        return super().vformat(format_string, args, kwargs)

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        ensure_fits(size(value), "a value to format")  # before repr() or str() of it
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> str:
        if self.made + numbers_in(format_spec) > MAX_VALUE:  # nested fields, `{:>{}}`, are in the spec by now
            raise _too_wide()
        text = super().format_field(value, format_spec)
        self.made += len(text)
        return text


class BudgetedFormatter(_Budgeted, SandboxedFormatter):
    pass


class BudgetedEscapeFormatter(_Budgeted, SandboxedEscapeFormatter):
    pass


def check_printf(text: str | bytes, values: Any) -> None:
    """Refuses `text % values` when its widths and precisions, written or
    given by `*`, come to more than the budget, or a value is too big."""
    ensure_fits(size(values), "the values of a format")
    positional = list(values) if isinstance(values, tuple) else [values]
    taken, room = 0, MAX_VALUE - len(text)
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    for width, precision, conversion, keyed in printf_fields(text):
        for number in (width, precision):
            if number == "*":
                number = positional[taken] if taken < len(positional) else 0
                taken += 1
            if isinstance(number, int):  # a negative width given by '*' pads to the left
                room -= abs(number)
            elif isinstance(number, str):
                room -= as_count(number)
        if room < 0:
            raise _too_wide()
        if conversion != "%" and not keyed:
            taken += 1


def printf_fields(text: str):
    """Each conversion of a printf-style format as CPython reads it: its
    width and precision (digits, '*' or None), its conversion letter, and
    whether it names a key (`%(name)s`)."""
    at = text.find("%")
    while 0 <= at < len(text) - 1:
        at += 1
        keyed = text[at] == "("
        if keyed:
            at = _after_key(text, at)
        while at < len(text) and text[at] in PRINTF_FLAGS:
            at += 1
        width, at = _printf_number(text, at)
        precision = None
        if text.startswith(".", at):
            precision, at = _printf_number(text, at + 1)
        if at < len(text) and text[at] in PRINTF_LENGTH_MODIFIERS:
            at += 1
        yield width, precision, text[at:at + 1], keyed
        at = text.find("%", at + 1)


def _after_key(text: str, start: int) -> int:
    """Past the `(name)` of a conversion, parentheses nested as CPython counts them."""
    depth = 0
    for at in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[at], 0)
        if depth == 0:
            return at + 1
    return len(text)


def _printf_number(text: str, at: int) -> tuple[str | None, int]:
    if text.startswith("*", at):
        return "*", at + 1
    end = at
    while end < len(text) and text[end] in "0123456789":  # ASCII only, as CPython reads them
        end += 1
    return (text[at:end] or None), end
