"""The budget of one render of a script text or condition, and the size
rules that hold every operation to it.

A render may take MAX_STEPS loop turns and calls, build no value (text or
list) of more than MAX_VALUE characters or items, build MAX_PRODUCED in
all, make no whole number of more than MAX_DIGITS digits, and run for
MAX_SECONDS. Time is looked at between operations, but one operation done
in C (`'x' * 10**9`, `9 ** 10**9`, `'{:>1000000000}'.format(1)`) cannot be
stopped once it runs: so whatever can make a long text, a long list or a
big number has the size of its result worked out from its operands first,
and is refused before it allocates anything.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import itertools
import math
import re
import time
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2.exceptions import SecurityError

MAX_STEPS = 5_000  # loop turns and calls in one render
MAX_VALUE = 20_000  # characters or items of any one value a template builds
MAX_PRODUCED = 1_000_000  # characters or items of all values one render builds
MAX_DIGITS = 1_000  # digits of a whole number
MAX_SECONDS = 0.5
MAX_INT_BITS = (10 ** MAX_DIGITS).bit_length()
SEQUENCES = (str, bytes, list, tuple)


class OverBudget(SecurityError):
    """The template does more work or builds more than a script text may."""


@dataclass
class Budget:
    steps: int = 0
    produced: int = 0
    deadline: float = field(default_factory=lambda: time.monotonic() + MAX_SECONDS)

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > MAX_STEPS:
            raise OverBudget(f"more than {MAX_STEPS} loop turns and calls")
        self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise OverBudget(f"it takes more than {MAX_SECONDS:g} s")

    def made(self, value: Any) -> Any:
        made = size(value)
        ensure_fits(made, "a value")
        self.produced += made
        if self.produced > MAX_PRODUCED:
            raise OverBudget(f"more than {MAX_PRODUCED} characters or items in all")
        return value


_budget: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("script_budget", default=None)


def current() -> Budget:
    budget = _budget.get()
    return budget if budget is not None else Budget()  # outside a render: no work left over from another


@contextlib.contextmanager
def fresh():
    """A budget of its own for what runs inside: a render, a condition, a compilation."""
    token = _budget.set(Budget())
    try:
        yield
    finally:
        _budget.reset(token)


def size(value: Any, limit: int = MAX_VALUE) -> int:
    """About how many characters or items `value` holds, counted into nested
    lists and mappings; stops counting once past `limit`."""
    total, todo = 0, [value]
    while todo and total <= limit:
        each = todo.pop()
        if isinstance(each, (str, bytes)):
            total += len(each)
        elif isinstance(each, (list, tuple, set, frozenset, dict, range)):
            total += len(each)
            if total <= limit and not isinstance(each, range):
                todo.extend(each.items() if isinstance(each, dict) else each)
        else:
            total += 1
    return total


def ensure_fits(result_size: int, what: str) -> None:
    if result_size > MAX_VALUE:
        raise OverBudget(f"{what} of more than {MAX_VALUE} characters or items")


def ensure_digits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise OverBudget(f"a whole number of more than {MAX_DIGITS} digits")


def whole(value: Any) -> int:
    """`value` as a count, 0 when it is none (the operation then fails on its own)."""
    return value if isinstance(value, int) else 0


# --- operators ----------------------------------------------------------------------------------


def check_operation(operator_name: str, left: Any, right: Any) -> None:
    """Refuses `left <operator> right` when its result would be over budget,
    before it is worked out."""
    current().check_time()
    if isinstance(left, int) and isinstance(right, int):
        ensure_digits(_result_bits(operator_name, left, right))
    elif operator_name == "*":
        for sequence, count in ((left, right), (right, left)):
            if isinstance(sequence, SEQUENCES) and isinstance(count, int):
                ensure_fits(size(sequence) * max(count, 0), "a repeated text or list")
    elif operator_name == "+" and isinstance(left, SEQUENCES) and isinstance(right, SEQUENCES):
        ensure_fits(size(left) + size(right), "a text or list")


def _result_bits(operator_name: str, left: int, right: int) -> int:
    """The most bits the result of two whole numbers may have; operands over
    the limit (from `int.from_bytes`, say) count as over it."""
    widest = max(left.bit_length(), right.bit_length())
    if widest > MAX_INT_BITS:
        return widest
    if operator_name == "*":
        return left.bit_length() + right.bit_length()
    if operator_name == "**" and right > 0 and abs(left) > 1:
        if right > MAX_INT_BITS:  # at least one bit for each time the base is taken
            return right
        return math.ceil(right * math.log2(abs(left)))
    return widest + 1


# --- calls of text and number methods -----------------------------------------------------------


def check_method_call(method: Any, args: tuple, kwargs: dict) -> None:
    """Refuses a call of a built-in text or number method whose result would
    be over budget (`'x'.center(10**9)`, `sep.join(many)`, `(1).to_bytes(10**9)`)."""
    check = _METHOD_CHECKS.get(getattr(method, "__name__", ""))
    owner = getattr(method, "__self__", None)
    if check is not None and isinstance(owner, (str, bytes, int, type)):
        arguments = bound_arguments(method, args, kwargs)
        if arguments is not None:  # by position: Markup's methods name them otherwise
            check(owner, *arguments.values())


def bound_arguments(function: Any, args: tuple, kwargs: dict, signature: inspect.Signature | None = None
                    ) -> dict | None:
    """The arguments of a call by parameter name, defaults filled in; None
    when they do not fit (the call itself then says what is wrong)."""
    try:
        bound = (signature or inspect.signature(function)).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return None
    bound.apply_defaults()
    return bound.arguments


def _padded(text: Any, width: Any, *_) -> None:
    ensure_fits(max(size(text), whole(width)), "a padded text")


def _tabs_expanded(text: Any, tabsize: Any, *_) -> None:
    tab = "\t" if isinstance(text, str) else b"\t"
    ensure_fits(size(text) + text.count(tab) * max(whole(tabsize), 0), "a text with tabs expanded")


def _replaced(text: Any, old: Any, new: Any, count: Any = None, *_) -> None:
    ensure_fits(replaced_size(text, old, new, count), "a text with replacements")


def replaced_size(text: Any, old: Any, new: Any, count: Any) -> int:
    kind = str if isinstance(text, str) else bytes if isinstance(text, bytes) else None
    if kind is None or not isinstance(old, kind) or not isinstance(new, kind):
        return size(text)  # the call fails on its own
    found = text.count(old)
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(text) + found * len(new)


def _joined(separator: Any, items: Any, *_) -> None:
    ensure_fits(joined_size(separator, items), "a joined text")


def joined_size(separator: Any, items: Any) -> int:
    count = len(items) if isinstance(items, (list, tuple, dict, set, frozenset, str, bytes)) else 0
    return size(items) + size(separator) * max(count - 1, 0)


def _translated(text: Any, table: Any, *_) -> None:
    values = table.values() if isinstance(table, Mapping) else table if isinstance(table, (list, tuple)) else ()
    longest = max([1, *(len(v) for v in values if isinstance(v, (str, bytes)))])
    ensure_fits(size(text) * longest, "a translated text")


def _to_bytes(number: Any, length: Any, *_) -> None:
    ensure_fits(whole(length), "a byte string")


def _from_bytes(number: Any, data: Any, *_) -> None:
    ensure_digits(8 * size(data))


_METHOD_CHECKS: dict[str, Callable[..., None]] = {
    "center": _padded, "ljust": _padded, "rjust": _padded, "zfill": _padded,
    "expandtabs": _tabs_expanded, "replace": _replaced, "join": _joined, "translate": _translated,
    "to_bytes": _to_bytes, "from_bytes": _from_bytes,
}


def materialized(items: Any) -> Any:
    """A generator (from `map`, `select`, `batch`, ...) as a list, so that its
    size can be known before it is used; any other value as it is."""
    if not isinstance(items, types.GeneratorType):
        return items
    listed = list(itertools.islice(items, MAX_VALUE + 1))
    ensure_fits(len(listed), "a list")
    return listed


# --- texts in numbers ---------------------------------------------------------------------------

_DIGITS = re.compile(r"\d+")


def as_count(digits: str) -> int:
    """A number written in a format (`'1000000000'` of `{:>1000000000}`), too
    long a one counted as over budget without reading it."""
    digits = digits.lstrip("0")
    return MAX_VALUE + 1 if len(digits) > len(str(MAX_VALUE)) else int(digits or 0)


def numbers_in(text: str) -> int:
    """The sum of the numbers written in `text`: of a format spec, its width and precision."""
    return sum(as_count(each) for each in _DIGITS.findall(text))


# --- filters --------------------------------------------------------------------------------------


def _texts(*values: Any) -> list[str]:
    """Values as the filters that take texts make them texts (their sizes are
    within budget by now, so their texts are too)."""
    return [value if isinstance(value, str) else str(value) for value in values]


def _centered(arguments: dict) -> None:
    ensure_fits(max(size(arguments["value"]), whole(arguments["width"])), "a centred text")


def _indented(arguments: dict) -> None:
    text, width = arguments["s"], arguments["width"]
    indention = len(width) if isinstance(width, str) else max(whole(width), 0)
    lines = len(_texts(text)[0].splitlines()) + 1
    ensure_fits(size(text) + lines * indention, "an indented text")


def _wrapped(arguments: dict) -> None:
    text, wrapstring = _texts(arguments["s"], arguments["wrapstring"] or "\n")
    # a line ends at a word, at a line break or, within a long word, every `width` characters
    breaks = len(text.split()) + len(text) // max(whole(arguments["width"]), 1) + len(text.splitlines()) + 1
    ensure_fits(len(text) + breaks * len(wrapstring), "a wrapped text")


def _replaced_filter(arguments: dict) -> None:
    text, old, new = _texts(arguments["s"], arguments["old"], arguments["new"])
    ensure_fits(replaced_size(text, old, new, arguments["count"]), "a text with replacements")


def _joined_filter(arguments: dict) -> None:
    ensure_fits(joined_size(arguments["d"], arguments["value"]), "a joined text")


def _batched(arguments: dict) -> None:
    ensure_fits(size(arguments["value"]) + whole(arguments["linecount"]), "a list of batches")


def _sliced(arguments: dict) -> None:
    ensure_fits(size(arguments["value"]) + whole(arguments["slices"]), "a list of slices")


def _linked(arguments: dict) -> None:
    text, target, rel = _texts(arguments["value"], arguments["target"] or "", arguments["rel"] or "")
    per_link = 100 + len(target) + len(rel)  # each word may become <a href="..." rel=".." target="..">
    ensure_fits(3 * len(text) + len(text.split()) * per_link, "a text with links")


def _as_json(arguments: dict) -> None:
    value, indent = arguments["value"], arguments["indent"]
    indention = len(indent) if isinstance(indent, str) else max(whole(indent), 0)
    lines = size(value) + 1  # an item a line, indented once for each level it is in
    ensure_fits(6 * size(value) + lines * _depth(value) * indention, "a JSON text")


def _depth(value: Any) -> int:
    deepest, todo, seen = 0, [(value, 0)], 0
    while todo and seen <= MAX_VALUE:
        each, level = todo.pop()
        deepest, seen = max(deepest, level), seen + 1
        if isinstance(each, (list, tuple, dict)):
            todo.extend((item, level + 1) for item in (each.values() if isinstance(each, dict) else each))
    return deepest


def _rounded(arguments: dict) -> None:
    ensure_digits(_bits_of_digits(abs(whole(arguments["precision"]))))  # rounding to n places works out 10**n


def _whole_number(arguments: dict) -> None:
    text = arguments["value"]
    if isinstance(text, (str, bytes)):  # hexadecimal digits count for more
        ensure_digits(_bits_of_digits(len(text.strip()), base=min(max(whole(arguments["base"]), 10), 36)))


def _bits_of_digits(digits: int, base: int = 10) -> int:
    if digits > MAX_INT_BITS:  # over the limit whatever the base, and too big a number for a float
        return digits
    return math.ceil(digits * math.log2(base))


def _summed(arguments: dict) -> None:
    items = arguments["iterable"]
    if isinstance(arguments["start"], SEQUENCES):  # adding up lists copies the sum so far at each item
        if size(items) * (len(items) if isinstance(items, (list, tuple)) else 1) > MAX_PRODUCED:
            raise OverBudget(f"adding up lists: more than {MAX_PRODUCED} items copied")
        ensure_fits(size(items) + size(arguments["start"]), "a sum of lists")


# What jinja2's filters of these names would make, worked out from their
# arguments (by name, defaults applied) before they run.
FILTER_CHECKS: dict[str, Callable[[dict], None]] = {
    "center": _centered, "indent": _indented, "wordwrap": _wrapped, "replace": _replaced_filter,
    "join": _joined_filter, "batch": _batched, "slice": _sliced, "urlize": _linked, "tojson": _as_json,
    "round": _rounded, "int": _whole_number, "sum": _summed,
}
