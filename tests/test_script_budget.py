"""The call-script sandbox's budget holds on every operation: what could
make a huge number or text is refused before it runs, at validation and at
run time in a branch the validator never takes; ordinary texts, formatted
amounts and the shipped examples are untouched; a hostile text cannot
hang or crash the validator; customer data with NUL or lone surrogates
renders."""

from __future__ import annotations

import contextlib
import tracemalloc
from datetime import date
from pathlib import Path

import pytest

from scripting.document import TextNode, from_builtins, load_yaml
from scripting.runner import ScriptRun
from scripting.templates import Rendered, check_expression, check_template, evaluate, make_context, render
from scripting.validate import validate

EXAMPLES = Path(__file__).resolve().parent.parent / "scripting" / "examples"
MEGABYTE = 1 << 20

# Each payload, with what its refusal names: the size rule that stopped it
# before it ran (not the clock, which cannot stop one operation done in C).
PAYLOADS = [
    ("(((9**99)**99)**99)**99", "whole number of more than 1000 digits"),
    ("2 ** (10**9)", "whole number"),
    ("(10**1000) * (10**1000)", "whole number"),
    ("(1).from_bytes(('x' * 20000).encode(), 'big') + 1", "whole number"),
    ("('9' * 20000)|int", "whole number"),
    ("1.5|round(1000000000, 'floor')", "whole number"),
    ("5|round(-1000000000)", "whole number"),
    ("1.5|round(10**1000)", "whole number"),
    ("('f' * 900)|int(0, 16)", "whole number"),
    ("'{:>{}}'.format('x', 10**9)", "format whose widths"),
    ("'{0:{1}}'.format('x', '>1000000000')", "format whose widths"),
    ("'{a:>{w}}'.format_map({'a': 'x', 'w': 10**9})", "format whose widths"),
    ("'{:0>1000000000}'.format(1)", "format whose widths"),
    ("'{:.1000000000f}'.format(1.5)", "format whose widths"),
    ("('{:10000}' * 3).format(1, 2, 3)", "format whose widths"),
    ("'%*d' % (10**9, 1)", "format whose widths"),
    ("'%*d' % (-10**9, 1)", "format whose widths"),
    ("'%0999999999d' % 1", "format whose widths"),
    ("'%((a)b)0999999999s' % {'(a)b': 1}", "format whose widths"),
    ("'%*d'.encode() % (10**9, 1)", "format whose widths"),
    ("'%*d'|format(10**9, 1)", "format whose widths"),
    ("('%*d'|safe) % (10**9, 1)", "format whose widths"),
    ("'x'|center(10**9)", "centred text"),
    ("'x'.ljust(10**9)", "padded text"),
    ("'x'.rjust(10**9)", "padded text"),
    ("'x'.zfill(10**9)", "padded text"),
    ("('x'|safe).center(10**9)", "padded text"),
    ("('\t' * 10000).expandtabs(20000)", "tabs expanded"),
    ("('\n' * 10000)|indent(20000)", "indented text"),
    ("('\n' * 10000)|indent('x' * 20000)", "indented text"),
    ("('a ' * 5000)|wordwrap(1, wrapstring='y' * 20000)", "wrapped text"),
    ("'x' * 10**9", "repeated text or list"),
    ("[1] * 10**9", "repeated text or list"),
    ("('x' * 10000).replace('x', 'y' * 10000)", "text with replacements"),
    ("('x' * 10000)|replace('x', 'y' * 10000)", "text with replacements"),
    ("('x' * 10000).join(['y'] * 10000)", "joined text"),
    ("(['y'] * 10000)|join('x' * 10000)", "joined text"),
    ("('x' * 10000).translate({120: 'y' * 10000})", "translated text"),
    ("(1).to_bytes(10**9, 'big')", "byte string"),
    ("{'a': [1]}|tojson(10**9)", "JSON text"),
    ("('a.io ' * 3000)|urlize(target='x' * 10000)", "text with links"),
    ("range(10)|batch(10**9, 0)|list", "list of batches"),
    ("range(10)|slice(10**9)|list", "list of slices"),
    ("range(10**30)|length", "range of more than"),
    ("range(5000)|batch(1)|sum(start=[])|length", "adding up lists"),
]


@contextlib.contextmanager
def allocating_at_most(limit: int):
    tracemalloc.start()
    try:
        yield
        assert tracemalloc.get_traced_memory()[1] < limit, "allocated more than the budget allows"
    finally:
        tracemalloc.stop()


def text_script(text: str) -> dict:
    return {"name": "t", "nodes": [{"id": "a", "type": "text", "text": text, "next": "e"},
                                   {"id": "e", "type": "end", "outcome": "x"}]}


def hidden_script(text: str, condition: str) -> dict:
    """The payload behind an answer the validator never gives: in a text, and
    in a branch condition."""
    return {"name": "t", "nodes": [
        {"id": "q", "type": "question", "text": "Which?", "answer": "free_text", "next": "shown",
         "branches": [{"if": condition, "goto": "e"}]},
        {"id": "shown", "type": "text", "text": text, "next": "e"},
        {"id": "e", "type": "end", "outcome": "x"}]}


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("payload", "reason"), PAYLOADS, ids=[p for p, _ in PAYLOADS])
def test_an_operation_over_budget_is_refused_before_it_runs_by_the_validator(payload, reason):
    with allocating_at_most(20 * MEGABYTE):
        found = [str(p) for p in validate(from_builtins(text_script("{{ %s }}" % payload))).errors]
        assert found and found[0].startswith("node 'a': text: refused") and reason in found[0], found
        found = check_expression(f"({payload}) == 1", question_ids=(), allow_answer=False)
        assert found and found[0].startswith("refused: over budget") and reason in found[0], found


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("payload", "reason"), PAYLOADS, ids=[p for p, _ in PAYLOADS])
def test_an_operation_over_budget_is_refused_at_run_time_in_a_branch_validation_never_takes(payload, reason):
    hidden = from_builtins(hidden_script(
        "{% if answers.q == 'never' %}{{ " + payload + " }}{% endif %}done",
        f"answer == 'never' and ({payload}) == 1"))
    assert validate(hidden).problems == ()  # the validator never sees the payload run
    with allocating_at_most(20 * MEGABYTE):
        run = ScriptRun(hidden, 1, make_context())
        step = run.next("never")  # the condition is refused, so false: on to the text
        assert step.node == "shown" and step.text == "[refused]", step
        assert reason in step.warnings[0]
        assert any(w.startswith("refused: over budget") and reason in w for w in run.warnings), run.warnings


def test_a_text_that_builds_too_much_through_blocks_and_macros_is_refused():
    build = "{% for i in range(4000) %}{{ s }}{% endfor %}"  # the same text each turn: nothing new built
    for text in ("{% set s = 'x' * 10000 %}{% set b %}" + build + "{% endset %}{{ b|length }}",
                 "{% set s = 'x' * 10000 %}{% macro m() %}" + build + "{% endmacro %}{{ m()|length }}",
                 "{% set s = 'x' * 10000 %}{% filter upper %}" + build + "{% endfilter %}"):
        with allocating_at_most(20 * MEGABYTE):
            shown = render(text, make_context())
        assert shown.text == "[refused]" and "block of text" in shown.warnings[0], shown


@pytest.mark.parametrize(("text", "shown"), [
    ('{{ "{:,.2f}".format(answers.amount) }}', "1,234,567.50"),
    ('{{ "%d CNY" % answers.amount }}', "1234567 CNY"),
    ('{{ "%.2f"|format(answers.amount) }}', "1234567.50"),
    ('{{ "%*d|%-6s|" % (5, 42, "ab") }}', "   42|ab    |"),
    ('{{ "{:>8}|{:{}}|".format(partner.name, partner.name, 6) }}', "    ACME|ACME  |"),
    ('{{ "{:%Y-%m-%d}".format(today) }}', "2026-05-01"),
    ('{{ "Ticket: 123456 for {}".format(partner.name) }}', "Ticket: 123456 for ACME"),
    ('{{ "{n}: {c:03d}".format_map({"n": partner.name, "c": 7}) }} {{ "%(c)d%%" % {"c": 5} }}', "ACME: 007 5%"),
    ('{{ "{:10000}".format(1)|length }}', "10000"),
    ('{{ partner.name|center(8) }}|{{ "7".zfill(3) }}|{{ "a\tb".expandtabs(2) }}', "  ACME  |007|a b"),
    ('{{ "a b c d"|wordwrap(3) }}|{{ "a\nb"|indent(2, first=true) }}', "a b\nc d|  a\n  b"),
    ('{{ partner.installed_base|join(", ") }}; {{ "/".join(partner.installed_base|map("upper")) }}',
     "router, tv; ROUTER/TV"),
    ('{{ 2 ** 10 }} {{ 1.01 ** 365 > 37 }} {{ 1234567890123 * 100 }} {{ 10 - 3 }} {{ 7 // 2 }} {{ 7 % 3 }}',
     "1024 True 123456789012300 7 3 1"),
    ('{{ (10 ** 999)|string|length }} {{ answers.amount|round(1, "floor") }} {{ "42"|int + 1 }}',
     "1000 1234567.5 43"),
    ('{{ range(5)|batch(2)|list }} {{ range(4)|slice(2)|list }} {{ [[1], [2]]|sum(start=[]) }}',
     "[[0, 1], [2, 3], [4]] [[0, 1], [2, 3]] [1, 2]"),
    ('{{ {"a": [1]}|tojson(2)|length }} {{ "x"|truncate(10**9) }} {{ "see www.example.com"|urlize|length }}',
     "22 x 72"),
])
def test_ordinary_texts_formatted_amounts_and_arithmetic_render_as_before(text, shown):
    context = make_context(partner={"name": "ACME", "installed_base": ["router", "tv"]},
                           answers={"amount": 1234567.5}, today=date(2026, 5, 1))
    assert check_template(text, question_ids=None) == []
    assert render(text, context) == Rendered(shown, ())


def test_the_example_scripts_validate_and_render_every_text():
    context = make_context(partner={"name": "Anna Schmidt", "addressed_as": "Anna", "value_class": "A",
                                    "segment": "gold", "open_complaints": 1, "customer_since": "2019"},
                           agent={"name": "Ann"}, answers={})
    for path in sorted(EXAMPLES.glob("*.yaml")):
        script = load_yaml(path.read_text(), origin=path.name)
        assert validate(script).problems == (), path.name
        texts = [script.text] if script.text else [n.text for n in script.nodes if getattr(n, "text", None)]
        for text in texts:
            shown = render(text, context)
            assert "[refused]" not in shown.text and not any("could not be shown" in w for w in shown.warnings), (
                path.name, shown)
        if any(isinstance(n, TextNode) for n in script.nodes):
            assert ScriptRun(script, 1, context).step().text


@pytest.mark.timeout(60)
@pytest.mark.parametrize("hostile", [
    "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
    "{{ " + "[" * 300 + "]" * 300 + " }}",
    "{{ " + "9" * 5000 + " }}",
    "{{ 'x'" + "|trim" * 3000 + " }}",
    "{{ 'x'|center(20000)|wordwrap(1)|length }}" * 250,  # worked out while compiling: on the budget too
    "{{ (((9**99)**99)**99)**99 }}",
])
def test_a_hostile_text_cannot_hang_or_crash_the_validator(hostile):
    found = check_template(hostile, question_ids=None)
    assert found and (found[0].startswith("refused") or found[0].startswith("template error")), found
    found = check_expression(hostile[3:-3], question_ids=(), allow_answer=False)
    assert found and (found[0].startswith("refused") or found[0].startswith("condition error")), found


def test_customer_data_with_nul_or_lone_surrogates_renders_without_error():
    strange = "Wei\ud800 Zhang\x00"
    context = make_context(partner={"name": strange, "city": strange}, answers={"note": strange})
    shown = render("{{ partner.name }}, {{ partner.city|upper }}, {{ '{:>12}'.format(answers.note) }}, "
                   "{{ answers[partner.name] }}, {{ partner.name|urlencode }}", context)
    assert shown.text == ("Wei\ufffd Zhang\ufffd, WEI\ufffd ZHANG\ufffd,  Wei\ufffd Zhang\ufffd, "
                          "[answers.Wei\ufffd Zhang\ufffd], [partner.name|urlencode]")
    assert shown.warnings[0] == "answers.Wei\ufffd Zhang\ufffd has no value"
    holds, warnings = evaluate("answers[partner.name] == 'x'", context)
    assert holds is False and warnings[0].startswith("answers.Wei\ufffd Zhang\ufffd has no value")
    for each in (shown.text, *shown.warnings, *warnings):
        each.encode("utf-8")  # as the screen, the terminal and the database take it
    run = ScriptRun(from_builtins(text_script("Note: {{ partner.name }}")), 1, context)
    assert run.step().text == "Note: Wei\ufffd Zhang\ufffd"
