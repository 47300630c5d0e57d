"""Script texts and conditions: jinja2 in a sandbox.

Texts are templates (`Hello {{ partner.first_name }}`), conditions are
expressions (`partner.value_class == 'A'`, `answer > 3`). Both run in an
immutable sandbox: no attribute starting with an underscore, no method
that changes data. What a template may name is the script context
(`CONTEXT`); a value that is missing renders as a visible placeholder,
`[partner.first_name]`, with a warning, never as an error; an expression
that fails (`{{ partner.open_complaints + 1 }}` with no partner) shows as
a placeholder of its own, the rest of the text is shown. A template that
tries to leave the sandbox renders `[refused]`. NUL and lone surrogates
in customer data show as U+FFFD.

Every render has a budget (`scripting.budget`), so that a hostile or
careless template cannot hold up the desktop: loop turns and calls, the
size of any value it builds and of all it builds together, the digits of
its numbers, and time. Whatever can make a long text, a long list or a big
number (`'x' * n`, `9 ** n`, `'{:>{}}'.format('x', n)`, `'x'|center(n)`)
is checked before it runs, at every render and in every branch, not only
in those the validator tries. A template over budget renders `[refused]`,
and the validator refuses it (and loops inside loops) before it is stored.

`check_template` and `check_expression` find the same problems before a
script is activated: syntax errors, unknown variables or fields, reaching
outside the sandbox.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import re
import types
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from jinja2 import ChainableUndefined, nodes
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from scripting import budget
from scripting.budget import (
    FILTER_CHECKS,
    MAX_STEPS,
    SEQUENCES,
    OverBudget,
    bound_arguments,
    check_method_call,
    check_operation,
    ensure_fits,
    materialized,
    size,
)
from scripting.formats import BudgetedEscapeFormatter, BudgetedFormatter, check_printf

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
UNSHOWABLE = re.compile("[\x00\ud800-\udfff]")  # NUL and lone surrogates, which customer data may carry

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

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _compared  # type: ignore[assignment]

    def __hash__(self) -> int:
        return hash(self._label())

    def __bool__(self) -> bool:
        if _in_condition.get():
            _warn(f"{self._label()} has no value; taken as false")
        return False


def _budgeted_iter(iterable: Any):
    """A loop's items, each one a step of the budget."""
    current = budget.current()
    for item in iterable:
        current.step()
        yield item


def _range(*args: int) -> range:
    numbers = range(*args)
    try:
        count = len(numbers)
    except OverflowError:  # more than a machine word counts
        count = MAX_STEPS + 1
    if count > MAX_STEPS:
        raise OverBudget(f"a range of more than {MAX_STEPS} numbers")
    return numbers


def _checked_arguments(what: str, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """The arguments of a call or filter, generators made lists, each one
    within the size of a value."""
    args = tuple(materialized(each) for each in args)
    kwargs = {name: materialized(each) for name, each in kwargs.items()}
    for each in (*args, *kwargs.values()):
        ensure_fits(size(each), f"{what}: a value")
    return args, kwargs


def _printf_filter(arguments: dict) -> None:
    check_printf(str(arguments["value"]), arguments["kwargs"] or arguments["args"])


_FILTER_CHECKS = {**FILTER_CHECKS, "format": _printf_filter}


def _guarded_filter(name: str, filter_func):
    """A filter that counts as a step, whose arguments are within budget and
    whose result is worked out to be (`center(10**9)`, a long list joined)
    before it runs, and then counted into the budget."""
    check = _FILTER_CHECKS.get(name)
    signature = inspect.signature(filter_func) if check else None
    skipped = _arguments_dropped(filter_func)

    @functools.wraps(filter_func)
    def guarded(*args, **kwargs):
        current = budget.current()
        current.step()
        args, kwargs = _checked_arguments(name, args, kwargs)
        if check is not None:
            arguments = bound_arguments(filter_func, args[skipped:], kwargs, signature)
            if arguments is not None:
                check(arguments)
        result = filter_func(*args, **kwargs)
        if isinstance(result, (*SEQUENCES, dict)):
            current.made(result)
        return result

    return guarded


def _arguments_dropped(filter_func) -> int:
    """How many leading arguments a filter is handed and does not pass on:
    jinja2 gives the sync side of a filter that can also run async (`slice`)
    an eval context that the function itself, whose signature this is, never sees."""
    wrapped = getattr(filter_func, "__wrapped__", None)
    if getattr(filter_func, "jinja_async_variant", False) and wrapped is not None:
        return int(getattr(wrapped, "jinja_pass_arg", None) is None)
    return 0


def _counted_test(test_func):
    """A test (`is divisibleby`, `is in`) that counts as a step: `select`
    runs one for each item."""

    @functools.wraps(test_func)
    def counted(*args, **kwargs):
        budget.current().step()
        return test_func(*args, **kwargs)

    return counted


def _marked(node, role) -> nodes.MarkSafeIfAutoescape:
    """`node` wrapped for the code generator (jinja2 allows no node types of our
    own): role "loop" counts a loop's turns, ("guard", label) shows a failing
    `{{ ... }}` as a placeholder of its own instead of taking the whole text
    with it."""
    wrapper = nodes.MarkSafeIfAutoescape(node, lineno=node.lineno)
    wrapper.script_role = role  # type: ignore[attr-defined]  # a mark of ours on jinja2's node
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
    intercepted_binops = frozenset({"*", "**", "+", "-", "%", "//", "/"})
    code_generator_class = _ScriptCodeGenerator

    def __init__(self) -> None:
        super().__init__(undefined=Placeholder, autoescape=False, keep_trailing_newline=False,
                         finalize=self._finalize)
        self.globals["range"] = _range
        self.filters = {name: _guarded_filter(name, each) for name, each in self.filters.items()}
        self.tests = {name: _counted_test(each) for name, each in self.tests.items()}

    # --- the budget, from the generated code ------------------------------------------------

    @staticmethod
    def budgeted_iter(iterable: Any):
        return _budgeted_iter(iterable)

    @staticmethod
    def joined(parts: tuple) -> str:
        """`a ~ b`: no text longer than MAX_VALUE."""
        ensure_fits(sum(size(p) for p in parts), "a text")
        return budget.current().made("".join(str(p) for p in parts))

    @staticmethod
    def concat(parts) -> str:
        """The text of a macro, a `{% set %}` or a `{% filter %}` block: no longer than MAX_VALUE."""
        parts = list(parts)
        ensure_fits(sum(len(p) for p in parts), "a block of text")
        return budget.current().made("".join(parts))

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
        if not isinstance(value, (str, int, float, Placeholder)):
            ensure_fits(size(value), "a value")
        return value

    # --- jinja2's sandbox hooks -----------------------------------------------------------------

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - jinja2's signature
        current = budget.current()
        current.step()
        args, kwargs = _checked_arguments(getattr(__obj, "__name__", "a call"), args, kwargs)
        check_method_call(__obj, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, (*SEQUENCES, dict)):
            current.made(result)
        return result

    def call_binop(self, context, operator_name: str, left: Any, right: Any) -> Any:
        check_operation(operator_name, left, right)
        if operator_name == "%" and isinstance(left, (str, bytes)):
            check_printf(left, right)
        result = super().call_binop(context, operator_name, left, right)
        if isinstance(result, SEQUENCES):
            budget.current().made(result)
        return result

    def wrap_str_format(self, value: Any):
        """`str.format` and `format_map`, however reached, with a formatter that
        adds up widths and precisions before it formats (jinja2 >= 3.1.5 asks
        here for every attribute it hands out)."""
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) or value.__name__ not in (
                "format", "format_map") or not isinstance(value.__self__, str):
            return None
        text = value.__self__
        formatter = (BudgetedEscapeFormatter(self, escape=text.escape) if isinstance(text, Markup)
                     else BudgetedFormatter(self))
        if value.__name__ == "format_map":
            def formatted_map(mapping):
                return type(text)(formatter.vformat(text, (), mapping))
            return functools.update_wrapper(formatted_map, value)

        def formatted(*args, **kwargs):
            return type(text)(formatter.vformat(text, args, kwargs))
        return functools.update_wrapper(formatted, value)

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
    try:
        with budget.fresh():
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
        _warnings.reset(token)
    if len(text) > MAX_OUTPUT:
        warnings.append(f"the text was cut at {MAX_OUTPUT} characters")
        text = text[:MAX_OUTPUT]
    return Rendered(_showable(text), tuple(_showable(w) for w in warnings))


def _showable(text: str) -> str:
    """`text` with NUL and lone surrogates (from customer data) as U+FFFD, so
    that the screen, the terminal, UTF-8 and the database all take it."""
    return UNSHOWABLE.sub("\ufffd", text)


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
    found: list[str] = []
    current: list[str] | None = None
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
    condition_token = _in_condition.set(True)
    try:
        with budget.fresh():
            compiled = _expressions.get(expression)
            if compiled is None:
                compiled = ENV.compile_expression(expression, undefined_to_none=False)
                _expressions[expression] = compiled
            values = dict(context)
            values["answer"] = ENV.undefined(name="answer") if answer in (None, "", []) else answer
            holds = bool(compiled(**values))  # a missing value alone is false, with a warning
        return holds, tuple(_showable(w) for w in warnings)
    except OverBudget as exc:
        warnings.append(f"refused: over budget: {exc}")
    except SecurityError as exc:
        warnings.append(f"refused: {exc}")
    except Exception as exc:
        warnings.append(f"the condition {expression!r} could not be decided ({_reason(exc)}); "
                        "taken as false")
    finally:
        _in_condition.reset(condition_token)
        _warnings.reset(token)
    return False, tuple(_showable(w) for w in warnings)


# --- static checks ------------------------------------------------------------------------------

# What jinja2 lets through from reading a hostile text: brackets or filters
# nested past Python's recursion limit or its parser's, a number of more
# digits than Python reads.
UNREADABLE = (RecursionError, SyntaxError, ValueError)


def _unreadable(exc: BaseException) -> str:
    if isinstance(exc, ValueError):  # int() of a number written in the text
        return "a number too long to read"
    return "nested too deeply"


def check_template(source: str, *, question_ids: Iterable[str] | None) -> list[str]:
    """What is wrong with a text, before it runs: [] when nothing. With
    `question_ids` None, any `answers.X` is accepted (templates outside a script)."""
    try:
        with budget.fresh():  # compiling works out constant parts: work on the budget too
            tree = ENV.parse(source)
            ENV.compile(source)  # unknown filters and tests
    except TemplateSyntaxError as exc:
        return [f"template error at line {exc.lineno}: {exc.message}"]
    except TemplateError as exc:
        return [f"template error: {exc}"]
    except UNREADABLE as exc:
        return [f"template error: {_unreadable(exc)}"]
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
        with budget.fresh():
            ENV.compile_expression(expression)
            tree = ENV.parse("{% if " + expression + " %}{% endif %}")
    except TemplateSyntaxError as exc:
        return [f"condition error: {exc.message}"]
    except TemplateError as exc:
        return [f"condition error: {exc}"]
    except UNREADABLE as exc:
        return [f"condition error: {_unreadable(exc)}"]
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
    assigned |= {macro.name for macro in tree.find_all(nodes.Macro)}
    if any(True for _ in tree.find_all(nodes.CallBlock)):
        assigned.add("caller")  # the body of a {% call %}, inside the macro it calls
    for name in tree.find_all(nodes.Name):
        if name.ctx != "load" or name.name in assigned or name.name in ENV.globals:
            continue
        if name.name not in CONTEXT:
            problems.append(f"unknown variable {name.name!r} (a script knows {', '.join(sorted(CONTEXT))})")
        elif name.name == QUESTION_ONLY and not allow_answer:
            problems.append("'answer' is known only in the conditions of a question's branches")
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            field = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            field = node.arg.value
        else:
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
