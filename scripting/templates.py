"""Script texts and conditions: jinja2 in a sandbox.

Texts are templates (`Hello {{ partner.first_name }}`), conditions are
expressions (`partner.value_class == 'A'`, `answer > 3`). Both run in an
immutable sandbox: no attribute starting with an underscore, no method
that changes data, no huge strings or powers. What a template may name is
the script context (`CONTEXT`); a value that is missing renders as a
visible placeholder, `[partner.first_name]`, with a warning, never as an
error; an expression that fails (`{{ partner.open_complaints + 1 }}` with
no partner) shows as a placeholder of its own, the rest of the text is
shown. A template that tries to leave the sandbox renders `[refused]`.

Every render has a budget, so that a hostile or careless template cannot
hold up the desktop: loop turns and calls (MAX_STEPS), the size of any
value it builds (MAX_VALUE), all it builds together (MAX_PRODUCED), and
time (MAX_SECONDS). A template over budget renders `[refused]`, and the
validator refuses it (and loops inside loops) before it is stored.

`check_template` and `check_expression` find the same problems before a
script is activated: syntax errors, unknown variables or fields, reaching
outside the sandbox.
"""

from __future__ import annotations

import contextvars
import functools
import operator
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from jinja2 import ChainableUndefined, nodes
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

# What a script may refer to: a root name and its fields. `answers` holds
# the answers given so far by question id; `answer`, the answer to the
# question whose branch is being decided.
CONTEXT: dict[str, frozenset[str] | None] = {
    "partner": frozenset({
        "name", "addressed_as", "partner_no", "kind", "first_name", "last_name", "org_name", "segment", "value_class",
        "city", "phone", "email", "owner", "language", "customer_since", "open_complaints",
        "open_service_orders", "open_sales_orders", "installed_base", "attributes"}),
    "contact_person": frozenset({"name", "addressed_as", "partner_no", "first_name", "last_name", "function", "phone",
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
MAX_STEPS = 5_000  # loop turns, calls and filters in one render
MAX_VALUE = 20_000  # characters or items of any one value a template builds
MAX_PRODUCED = 1_000_000  # characters or items of all values one render builds
MAX_SECONDS = 0.5
# Filters and text methods whose numbers say how long a text or how many lists
# they make: `'x'|center(10**9)`, `'x'.ljust(10**9)`.
SIZED_FILTERS = frozenset({"center", "indent", "wordwrap", "truncate", "batch", "slice"})
SIZED_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_WIDE_FORMAT = re.compile(r"[%:{][^%:{}]*?\d{5,}|[%:][^%:{}]*?\*")  # '%099999d', '{:>99999}', '%*d'

_warnings: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("script_warnings", default=None)
_in_condition: contextvars.ContextVar[bool] = contextvars.ContextVar("script_in_condition", default=False)


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

    # A comparison with a missing value is false, whichever the operator (so
    # `partner.value_class != 'A'` does not hold for an unknown partner), and
    # says so.
    def _compared(self, other: Any) -> bool:
        _warn(f"{self._label()} has no value; a comparison with it is taken as false")
        return False

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _compared

    def __hash__(self) -> int:
        return hash(self._label())

    def __bool__(self) -> bool:
        if _in_condition.get():
            _warn(f"{self._label()} has no value; taken as false")
        return False


class OverBudget(SecurityError):
    """The template does more work or builds more than a script text may."""


@dataclass
class _Budget:
    steps: int = 0
    produced: int = 0
    deadline: float = field(default_factory=lambda: time.monotonic() + MAX_SECONDS)

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > MAX_STEPS:
            raise OverBudget(f"more than {MAX_STEPS} loop turns and calls")
        if time.monotonic() > self.deadline:
            raise OverBudget(f"it takes more than {MAX_SECONDS:g} s")

    def made(self, value: Any) -> Any:
        size = _size(value)
        if size > MAX_VALUE:
            raise OverBudget(f"a value of more than {MAX_VALUE} characters or items")
        self.produced += size
        if self.produced > MAX_PRODUCED:
            raise OverBudget(f"more than {MAX_PRODUCED} characters or items in all")
        return value


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("script_budget", default=None)


def _current_budget() -> _Budget:
    budget = _budget.get()
    return budget if budget is not None else _Budget()  # outside render() and evaluate(): unlimited work


def _size(value: Any, limit: int = MAX_VALUE) -> int:
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


def _refuse_wide_format(text: Any) -> None:
    if isinstance(text, str) and _WIDE_FORMAT.search(text):
        raise OverBudget("a format with a width of more than 9999")


def _big_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > MAX_VALUE


def _budgeted_iter(iterable: Any):
    """A loop's items, each one a step of the budget."""
    budget = _current_budget()
    for item in iterable:
        budget.step()
        yield item


def _range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_STEPS:
        raise OverBudget(f"a range of more than {MAX_STEPS} numbers")
    return numbers


def _guarded_filter(name: str, filter_func):
    """A filter that counts as a step, whose numbers and input cannot make a
    huge text (`center(10**9)`, a long list joined), and whose result is
    counted into the budget."""

    @functools.wraps(filter_func)
    def guarded(*args, **kwargs):
        budget = _current_budget()
        budget.step()
        for each in (*args, *kwargs.values()):
            if name in SIZED_FILTERS and _big_number(each):
                raise OverBudget(f"{name}: a number above {MAX_VALUE}")
            if _size(each) > MAX_VALUE:
                raise OverBudget(f"{name}: a value of more than {MAX_VALUE} characters or items")
        if name == "format" and args:
            _refuse_wide_format(next((a for a in args if isinstance(a, str)), None))
        if name == "replace" and len(args) >= 3 and isinstance(args[-3], str):
            text, old, new = (str(a) for a in args[-3:])
            if old and len(text) + text.count(old) * len(new) > MAX_VALUE:
                raise OverBudget(f"replace: a text of more than {MAX_VALUE} characters")
        result = filter_func(*args, **kwargs)
        if isinstance(result, (str, list, tuple, dict)):
            budget.made(result)
        return result

    return guarded


def _marked(node, role) -> nodes.MarkSafeIfAutoescape:
    """`node` wrapped for the code generator (jinja2 allows no node types of our
    own): role "loop" counts a loop's turns, ("guard", label) shows a failing
    `{{ ... }}` as a placeholder of its own instead of taking the whole text
    with it."""
    wrapper = nodes.MarkSafeIfAutoescape(node, lineno=node.lineno)
    wrapper.script_role = role
    return wrapper


class _ScriptCodeGenerator(CodeGenerator):
    def visit_For(self, node, frame) -> None:
        if getattr(node.iter, "script_role", None) != "loop":
            node.iter = _marked(node.iter, "loop")
        super().visit_For(node, frame)

    def visit_MarkSafeIfAutoescape(self, node, frame) -> None:
        role = getattr(node, "script_role", None)
        if role == "loop":
            self.write("environment.budgeted_iter(")
            self.visit(node.expr, frame)
            self.write(")")
        elif isinstance(role, tuple):
            self.write("environment.guarded(lambda: (")
            self.visit(node.expr, frame)
            self.write(f"), {role[1]!r})")
        else:
            super().visit_MarkSafeIfAutoescape(node, frame)

    def visit_Concat(self, node, frame) -> None:
        self.write("environment.joined((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _warn(text: str) -> None:
    found = _warnings.get()
    if found is not None and text not in found:
        found.append(text)


class ScriptEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%", "//", "/"})
    code_generator_class = _ScriptCodeGenerator

    def __init__(self) -> None:
        super().__init__(undefined=Placeholder, autoescape=False, keep_trailing_newline=False,
                         finalize=self._finalize)
        self.globals["range"] = _range
        self.filters = {name: _guarded_filter(name, each) for name, each in self.filters.items()}

    # --- the budget, from the generated code ------------------------------------------------

    @staticmethod
    def budgeted_iter(iterable: Any):
        return _budgeted_iter(iterable)

    @staticmethod
    def joined(parts: tuple) -> str:
        """`a ~ b`: no text longer than MAX_VALUE."""
        if sum(_size(p) for p in parts) > MAX_VALUE:
            raise OverBudget(f"a text of more than {MAX_VALUE} characters")
        return _current_budget().made("".join(str(p) for p in parts))

    @staticmethod
    def guarded(compute, label: str) -> Any:
        try:
            return compute()
        except (SecurityError, RecursionError):
            raise
        except Exception as exc:  # a missing value in a sum, a division by zero, wrong types
            _warn(f"{{{{ {label} }}}} could not be shown: {_reason(exc)}")
            return f"[{label}]"

    @staticmethod
    def _finalize(value: Any) -> Any:
        if not isinstance(value, (str, int, float, Placeholder)) and _size(value) > MAX_VALUE:
            raise OverBudget(f"a value of more than {MAX_VALUE} characters or items")
        return value

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - jinja2's signature
        budget = _current_budget()
        budget.step()
        if getattr(__obj, "__name__", None) in SIZED_METHODS and any(
                _big_number(each) for each in (*args, *kwargs.values())):
            raise OverBudget(f"{__obj.__name__}: a number above {MAX_VALUE}")
        if getattr(__obj, "__name__", None) in ("format", "format_map"):
            _refuse_wide_format(getattr(__obj, "__self__", None))
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, (str, list, tuple, dict)):
            budget.made(result)
        return result

    def _parse(self, source, name, filename):
        """The template with each `{{ ... }}` guarded on its own."""
        tree = super()._parse(source, name, filename)
        labels = iter(_output_sources(self, source))
        for output in tree.find_all(nodes.Output):
            output.nodes = [each if isinstance(each, nodes.TemplateData)
                            else _marked(each, ("guard", next(labels, "?")))
                            for each in output.nodes]
        return tree

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Values):
            return self._field(obj, attribute)
        if isinstance(obj, str) and attribute in ("format", "format_map"):
            _refuse_wide_format(obj)
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
        budget = _current_budget()
        if operator_name == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(count, int):
                    if count > MAX_REPEAT:
                        raise SecurityError(f"repeating a text or list more than {MAX_REPEAT} times")
                    if _size(seq) * count > MAX_VALUE:  # 'x' * 10000 * 10000 grows with each product
                        raise OverBudget(f"a text or list of more than {MAX_VALUE} characters or items")
            return budget.made(operator.mul(left, right))
        if operator_name == "**":
            if isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"a power above {MAX_EXPONENT}")
            return operator.pow(left, right)
        if operator_name == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, type(left)):
            if _size(left) + _size(right) > MAX_VALUE:
                raise OverBudget(f"a text or list of more than {MAX_VALUE} characters or items")
            return budget.made(left + right)
        if operator_name == "%" and isinstance(left, str):
            _refuse_wide_format(left)
            return budget.made(left % right)
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


_over_budget: dict[str, str] = {}  # source -> why: refused again at once, without the wait


def render(source: str, context: dict[str, Any]) -> Rendered:
    """A text rendered for the agent; never raises, and never takes longer than
    its budget."""
    if source in _over_budget:
        return Rendered("[refused]", (f"refused: {_over_budget[source]}",))
    warnings: list[str] = []
    token = _warnings.set(warnings)
    budget_token = _budget.set(_Budget())
    try:
        text = _generate(_template(source), context)
    except OverBudget as exc:
        if len(_over_budget) > 200:
            _over_budget.clear()
        _over_budget[source] = str(exc)
        warnings.append(f"refused: {exc}")
        text = "[refused]"
    except SecurityError as exc:
        warnings.append(f"refused: {exc}")
        text = "[refused]"
    except RecursionError:
        warnings.append("refused: the text calls itself without end")
        text = "[refused]"
    except TemplateError as exc:
        warnings.append(f"the text could not be shown: {exc}")
        text = f"[{source[:200]}]"
    except Exception as exc:  # what an expression guard does not cover, e.g. in a {% if %}
        warnings.append(f"the text could not be shown: {_reason(exc)}")
        text = f"[{source[:200]}]"
    finally:
        _budget.reset(budget_token)
        _warnings.reset(token)
    if len(text) > MAX_OUTPUT:
        warnings.append(f"the text was cut at {MAX_OUTPUT} characters")
        text = text[:MAX_OUTPUT]
    return Rendered(text, tuple(warnings))


def _generate(template, context: dict[str, Any]) -> str:
    """The text, piece by piece, stopping a little past MAX_OUTPUT."""
    parts, length = [], 0
    for part in template.generate(context):
        parts.append(part)
        length += len(part)
        if length > MAX_OUTPUT:
            break
    return "".join(parts)


def _reason(exc: Exception) -> str:
    if isinstance(exc, UndefinedError):
        return "a value it needs is missing"
    return f"{type(exc).__name__}: {exc}"


def _output_sources(env, source: str) -> list[str]:
    """The text of each `{{ ... }}` of a template, in order, to name it in a placeholder."""
    found, current = [], None
    try:
        for _lineno, kind, value in env.lex(source):
            if kind == "variable_begin":
                current = []
            elif kind == "variable_end" and current is not None:
                found.append("".join(current).strip())
                current = None
            elif current is not None:
                current.append(value)
    except TemplateSyntaxError:
        pass
    return [" ".join(text.split())[:100] for text in found]


_expressions: dict[str, Any] = {}


def evaluate(expression: str, context: dict[str, Any], *, answer: Any = None) -> tuple[bool, tuple[str, ...]]:
    """Whether a condition holds; an expression that fails is false, with a warning."""
    warnings: list[str] = []
    token = _warnings.set(warnings)
    budget_token = _budget.set(_Budget())
    condition_token = _in_condition.set(True)
    try:
        compiled = _expressions.get(expression)
        if compiled is None:
            compiled = ENV.compile_expression(expression, undefined_to_none=False)
            _expressions[expression] = compiled
        values = dict(context)
        values["answer"] = ENV.undefined(name="answer") if answer in (None, "", []) else answer
        result = compiled(**values)
        holds = bool(result)  # a missing value alone is false, with a warning
        return holds, tuple(warnings)
    except OverBudget as exc:
        warnings.append(f"refused: over budget: {exc}")
    except SecurityError as exc:
        warnings.append(f"refused: {exc}")
    except Exception as exc:
        warnings.append(f"the condition {expression!r} could not be decided ({_reason(exc)}); "
                        "taken as false")
    finally:
        _in_condition.reset(condition_token)
        _budget.reset(budget_token)
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
    problems = _check_names(tree, None if question_ids is None else set(question_ids), allow_answer=False)
    problems += _check_work(tree)
    if not problems:
        problems += _trial(lambda: render(source, make_context()), source)
    return problems


def _check_work(tree: nodes.Template) -> list[str]:
    """Loops inside loops, and loops that call themselves, can do a great deal
    of work with a short text: refused before they run."""
    problems = []
    for loop in tree.find_all(nodes.For):
        if loop.recursive:
            problems.append("refused: a loop that calls itself (recursive)")
        if any(True for _ in loop.find_all(nodes.For)):
            problems.append("refused: a loop inside a loop")
    macros = {m.name for m in tree.find_all(nodes.Macro)}
    if macros and any(isinstance(c.node, nodes.Name) and c.node.name in macros
                      for m in tree.find_all(nodes.Macro) for c in m.find_all(nodes.Call)):
        problems.append("refused: a macro that calls a macro")
    return list(dict.fromkeys(problems))


def _trial(attempt, source: str) -> list[str]:
    """A text or condition tried once with no facts at all: over budget, it is refused."""
    _over_budget.pop(source, None)
    attempt()
    if source in _over_budget:
        return [f"refused: {_over_budget[source]}"]
    return []


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
    problems = _check_names(tree, set(question_ids), allow_answer=allow_answer) + _check_work(tree)
    if not problems:
        warnings = evaluate(expression, make_context())[1]
        problems += [w for w in warnings if w.startswith("refused: ") and "over budget" in w]
    return problems


def _check_names(tree: nodes.Template, question_ids: set[str] | None, *, allow_answer: bool) -> list[str]:
    problems: list[str] = []
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    if any(True for _ in tree.find_all(nodes.For)):
        assigned.add("loop")  # a loop's own variable: loop.index, loop.last
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
