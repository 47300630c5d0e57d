"""Script texts and conditions: jinja2 in a sandbox.

Texts are templates (`Hello {{ partner.first_name }}`), conditions are
expressions (`partner.value_class == 'A'`, `answer > 3`). Both run in an
immutable sandbox: no attribute starting with an underscore, no method
that changes data, no huge strings or powers. What a template may name is
the script context (`CONTEXT`); a value that is missing renders as a
visible placeholder, `[partner.first_name]`, with a warning, never as an
error. A template that tries to leave the sandbox renders `[refused]`.

`check_template` and `check_expression` find the same problems before a
script is activated: syntax errors, unknown variables or fields, reaching
outside the sandbox.
"""

from __future__ import annotations

import contextvars
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from jinja2 import ChainableUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

# What a script may refer to: a root name and its fields. `answers` holds
# the answers given so far by question id; `answer`, the answer to the
# question whose branch is being decided.
CONTEXT: dict[str, frozenset[str] | None] = {
    "partner": frozenset({
        "name", "partner_no", "kind", "first_name", "last_name", "org_name", "segment", "value_class",
        "city", "phone", "email", "owner", "language", "customer_since", "open_complaints",
        "open_service_orders", "open_sales_orders", "installed_base", "attributes"}),
    "contact_person": frozenset({"name", "partner_no", "first_name", "last_name", "function", "phone",
                                 "email"}),
    "call": frozenset({"call_id", "ani", "dnis", "queue", "waited_seconds", "direction", "channel"}),
    "agent": frozenset({"name", "username"}),
    "campaign": frozenset({"name"}),
    # an email or chat being answered: its subject, the customer's name and address, when it came
    "conversation": frozenset({"subject", "customer", "address", "channel", "received", "mailbox"}),
    "answers": None,  # fields: the script's question ids
    "answer": None,  # a value, not a record
    "today": None,
}
QUESTION_ONLY = "answer"
MAX_OUTPUT = 20_000  # characters a text may render to
MAX_REPEAT = 10_000  # 'x' * n, [..] * n
MAX_EXPONENT = 100

_warnings: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("script_warnings", default=None)


class Values(dict):
    """A record of the context (partner, call, ...): a field with no value
    renders as a placeholder naming it."""

    def __init__(self, path: str, values: dict | None = None):
        super().__init__({k: v for k, v in (values or {}).items()})
        self.path = path


class Placeholder(ChainableUndefined):
    """A missing value: `[partner.first_name]` in the text, and a warning."""

    __slots__ = ()

    def _label(self) -> str:
        return self._undefined_name or "?"

    def __str__(self) -> str:
        if self._undefined_exception is SecurityError:  # the sandbox refused an attribute
            raise SecurityError(self._undefined_hint or "not available to scripts")
        _warn(f"{self._label()} has no value")
        return f"[{self._label()}]"

    def __html__(self) -> str:
        return str(self)


def _warn(text: str) -> None:
    found = _warnings.get()
    if found is not None and text not in found:
        found.append(text)


class ScriptEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def __init__(self) -> None:
        super().__init__(undefined=Placeholder, autoescape=False, keep_trailing_newline=False)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Values):
            return self._field(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Values) and isinstance(argument, str):
            return self._field(obj, argument)
        return super().getitem(obj, argument)

    def _field(self, record: Values, name: str) -> Any:
        if name.startswith("_"):
            raise SecurityError(f"{record.path}.{name} is not available to scripts")
        value = dict.get(record, name)
        if value is None or value == "":
            return self.undefined(name=f"{record.path}.{name}")
        return value

    def call_binop(self, context, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(count, int) and count > MAX_REPEAT:
                    raise SecurityError(f"repeating a text or list more than {MAX_REPEAT} times")
            return operator.mul(left, right)
        if operator_name == "**":
            if isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"a power above {MAX_EXPONENT}")
            return operator.pow(left, right)
        return super().call_binop(context, operator_name, left, right)


ENV = ScriptEnvironment()
for _name in ("lipsum", "cycler", "joiner", "namespace"):  # nothing a call script needs
    ENV.globals.pop(_name, None)


@dataclass(frozen=True)
class Rendered:
    text: str
    warnings: tuple[str, ...] = ()


def make_context(*, partner: dict | None = None, contact_person: dict | None = None,
                 call: dict | None = None, agent: dict | None = None, campaign: dict | None = None,
                 answers: dict | None = None, today: date | None = None,
                 conversation: dict | None = None) -> dict[str, Any]:
    """The context a script runs with; any part may be missing."""
    return {
        "partner": Values("partner", partner), "contact_person": Values("contact_person", contact_person),
        "call": Values("call", call), "agent": Values("agent", agent),
        "campaign": Values("campaign", campaign), "answers": Values("answers", answers),
        "conversation": Values("conversation", conversation),
        "today": today or date.today(),
    }


_compiled: dict[str, Any] = {}


def _template(source: str):
    template = _compiled.get(source)
    if template is None:
        template = ENV.from_string(source)
        if len(_compiled) > 2000:
            _compiled.clear()
        _compiled[source] = template
    return template


def render(source: str, context: dict[str, Any]) -> Rendered:
    """A text rendered for the agent; never raises."""
    warnings: list[str] = []
    token = _warnings.set(warnings)
    try:
        text = _template(source).render(context)
    except SecurityError as exc:
        warnings.append(f"refused: {exc}")
        text = "[refused]"
    except TemplateError as exc:
        warnings.append(f"the text could not be shown: {exc}")
        text = f"[{source[:200]}]"
    except Exception as exc:  # a comparison of wrong types, a division by zero
        warnings.append(f"the text could not be shown: {type(exc).__name__}: {exc}")
        text = f"[{source[:200]}]"
    finally:
        _warnings.reset(token)
    if len(text) > MAX_OUTPUT:
        warnings.append(f"the text was cut at {MAX_OUTPUT} characters")
        text = text[:MAX_OUTPUT]
    return Rendered(text, tuple(warnings))


_expressions: dict[str, Any] = {}


def evaluate(expression: str, context: dict[str, Any], *, answer: Any = None) -> tuple[bool, tuple[str, ...]]:
    """Whether a condition holds; an expression that fails is false, with a warning."""
    warnings: list[str] = []
    token = _warnings.set(warnings)
    try:
        compiled = _expressions.get(expression)
        if compiled is None:
            compiled = ENV.compile_expression(expression, undefined_to_none=False)
            _expressions[expression] = compiled
        values = dict(context)
        values["answer"] = ENV.undefined(name="answer") if answer in (None, "", []) else answer
        result = compiled(**values)
        if isinstance(result, Placeholder):
            return False, tuple(warnings)
        return bool(result), tuple(warnings)
    except SecurityError as exc:
        warnings.append(f"refused: {exc}")
    except Exception as exc:
        warnings.append(f"the condition {expression!r} could not be decided ({type(exc).__name__}: {exc}); "
                        "taken as false")
    finally:
        _warnings.reset(token)
    return False, tuple(warnings)


# --- static checks ------------------------------------------------------------------------------


def check_template(source: str, *, question_ids: Iterable[str] | None) -> list[str]:
    """What is wrong with a text, before it runs: [] when nothing. With
    `question_ids` None, any `answers.X` is accepted (templates outside a script)."""
    try:
        tree = ENV.parse(source)
        ENV.compile(source)  # unknown filters and tests
    except TemplateSyntaxError as exc:
        return [f"template error at line {exc.lineno}: {exc.message}"]
    except TemplateError as exc:
        return [f"template error: {exc}"]
    return _check_names(tree, None if question_ids is None else set(question_ids), allow_answer=False)


def check_expression(expression: str, *, question_ids: Iterable[str], allow_answer: bool) -> list[str]:
    """What is wrong with a condition, before it runs: [] when nothing."""
    if not expression.strip():
        return ["the condition is empty"]
    try:
        ENV.compile_expression(expression)
        tree = ENV.parse("{% if " + expression + " %}{% endif %}")
    except TemplateSyntaxError as exc:
        return [f"condition error: {exc.message}"]
    except TemplateError as exc:
        return [f"condition error: {exc}"]
    return _check_names(tree, set(question_ids), allow_answer=allow_answer)


def _check_names(tree: nodes.Template, question_ids: set[str] | None, *, allow_answer: bool) -> list[str]:
    problems: list[str] = []
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for name in tree.find_all(nodes.Name):
        if name.ctx != "load" or name.name in assigned or name.name in ENV.globals:
            continue
        if name.name not in CONTEXT:
            problems.append(f"unknown variable {name.name!r} (a script knows {', '.join(sorted(CONTEXT))})")
        elif name.name == QUESTION_ONLY and not allow_answer:
            problems.append("'answer' is known only in the conditions of a question's branches")
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        field = node.attr if isinstance(node, nodes.Getattr) else (
            node.arg.value if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) else None)
        if field is None:
            continue
        if field.startswith("_"):
            problems.append(f"refused: {field!r} reaches outside the sandbox")
            continue
        owner = node.node
        if not isinstance(owner, nodes.Name) or owner.ctx != "load" or owner.name in assigned:
            continue
        known = CONTEXT.get(owner.name)
        if owner.name == "answers":
            if question_ids is not None and field not in question_ids:
                problems.append(f"answers.{field}: there is no question {field!r} in this script")
        elif known is not None and field not in known:
            problems.append(f"unknown field {owner.name}.{field} (known: {', '.join(sorted(known))})")
    return list(dict.fromkeys(problems))
