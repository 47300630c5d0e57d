"""Call scripts without a database: the document format and its errors, the
sandboxed templates, the validator, the runner, choosing scripts, and the
shipped examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripting.document import Option, ScriptFormatError, dump_yaml, from_builtins, load_yaml
from scripting.library import Loaded, choose_interactive, prompts_for
from scripting.runner import RunError, RunLoops, ScriptRun
from scripting.templates import check_expression, check_template, evaluate, make_context, render
from scripting.validate import validate

EXAMPLES = Path(__file__).resolve().parent.parent / "scripting" / "examples"
PRODUCTS = {"products": [Option(value="P0001", label="Router"), Option(value="P0002", label="Fibre 300")]}


def script(nodes: str, **head) -> str:
    lines = [f"{k}: {v}" for k, v in {"name": "t", **head}.items()]
    return "\n".join(lines) + "\nnodes:\n" + nodes


def problems(source: str) -> list[str]:
    return [str(p) for p in validate(load_yaml(source)).errors]


SMALL = script("""
  - {id: hello, type: text, text: "Hello {{ partner.first_name }}", next: ask}
  - id: ask
    type: question
    text: Interested?
    answer: yes_no
    branches: [{value: "yes", goto: how_many}, {value: "no", goto: bye}]
  - {id: how_many, type: question, text: "How many?", answer: number, min: 1, max: 10,
     branches: [{if: "answer >= 5", goto: big}], next: sale}
  - {id: big, type: end, outcome: big_sale}
  - {id: sale, type: end, outcome: sale, text: "Sold {{ answers.how_many }}"}
  - {id: bye, type: end, outcome: not_interested}
""")


# --- the document ------------------------------------------------------------------------------


@pytest.mark.parametrize("source, complaint", [
    ("name: t\nnodes: [", "not valid YAML at line"),
    ("- just a list", "must be a mapping"),
    ("name: t\nnodes: [{id: a, type: speech, text: x}]", "node 'a' field type: Invalid value 'speech': "
                                                         "a node's type is one of text, question"),
    ("name: t\nnodes: [{id: a, type: text, text: [1], next: b}]", "node 'a' field text: Expected `str`"),
    ("name: t\nnodes: [{id: a, type: text, txt: x, next: b}]", "unknown field `txt`"),
    ("name: t\nnodes: [{id: a, type: question, text: x, answer: colour}]",
     "node 'a' field answer: Invalid value 'colour': one of single_choice, multiple_choice"),
    ("name: t\nnodes: [{type: text, text: x, next: b}]", "node number 1: Object missing required field `id`"),
    ("name: 'no spaces please'\nnodes: []", "name: must be made of letters, digits"),
    ("name: t\nkind: survey", "kind: Invalid value 'survey': one of interactive, prompt"),
])
def test_a_file_that_is_not_a_script_gets_an_error_saying_what_and_where(source, complaint):
    with pytest.raises(ScriptFormatError) as caught:
        load_yaml(source, origin="offer.yaml")
    assert complaint in str(caught.value) and str(caught.value).startswith("offer.yaml")


def test_bytes_that_are_not_utf8_are_refused():
    with pytest.raises(ScriptFormatError, match="not UTF-8"):
        load_yaml("name: 张伟".encode("gbk"))


def test_a_script_survives_export_and_import_unchanged():
    loaded = load_yaml(SMALL)
    assert load_yaml(dump_yaml(loaded)) == loaded
    assert from_builtins(loaded.to_builtins()) == loaded


# --- templates and the sandbox --------------------------------------------------------------------


def test_texts_render_with_the_context_and_missing_values_as_visible_placeholders():
    context = make_context(partner={"name": "张伟", "first_name": "伟"}, agent={"name": "Ann"})
    shown = render("{{ agent.name }} greets {{ partner.first_name }} of {{ partner.city }} "
                   "({{ campaign.name }})", context)
    assert shown.text == "Ann greets 伟 of [partner.city] ([campaign.name])"
    assert shown.warnings == ("partner.city has no value", "campaign.name has no value")
    assert render("{{ partner.first_name or partner.name }}", make_context(partner={"name": "ACME"})).text == "ACME"


@pytest.mark.parametrize(("kind", "name", "first", "last", "said"), [
    ("person", "Anna Schmidt", "Anna", "Schmidt", "Anna"),
    ("person", "张伟", "伟", "张", "张伟"),  # a Chinese given name alone is not how a caller is named
    ("person", "Li Na", "Na", "李", "Li Na"),
    ("person", "Smith", None, "Smith", "Smith"),
    ("organization", "北京华为科技", None, None, "北京华为科技"),
])
def test_a_customer_is_addressed_by_the_name_that_fits_his_language(kind, name, first, last, said):
    from scripting.context import addressed_as

    assert addressed_as(kind, name, first, last) == said


@pytest.mark.parametrize("hostile", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ partner.__class__ }}",
    "{{ partner._path }}",
    "{{ range.__globals__ }}",
    "{{ [].append(1) }}",
    "{{ 'x' * 100000000 }}",
    "{{ 9 ** 99999 }}",
])
def test_a_template_reaching_outside_the_sandbox_is_refused_not_run(hostile):
    shown = render(hostile, make_context(partner={"name": "x"}))
    assert shown.text == "[refused]" and shown.warnings[0].startswith("refused")


def test_a_template_cannot_change_the_context():
    context = make_context(partner={"name": "x"})
    render("{{ partner.update({'name': 'y'}) }}{{ partner.pop('name') }}", context)
    assert context["partner"]["name"] == "x"


def test_the_validator_refuses_the_same_templates_before_they_run():
    assert any("refused" in p for p in check_template("{{ partner.__class__ }}", question_ids=()))
    assert any("unknown variable 'config'" in p for p in check_template("{{ config }}", question_ids=()))
    assert any("unknown variable 'lipsum'" in p for p in check_template("{{ lipsum() }}", question_ids=()))


def test_a_broken_template_at_run_time_shows_its_source_and_a_warning():
    shown = render("{{ partner.name + 1 }}", make_context(partner={"name": "x"}))
    assert shown.text.startswith("[") and "could not be shown" in shown.warnings[0]


def test_conditions_see_the_context_and_the_answer_and_a_failing_one_is_false():
    context = make_context(partner={"value_class": "A", "open_complaints": 2})
    assert evaluate("partner.value_class == 'A' and partner.open_complaints > 1", context) == (True, ())
    assert evaluate("partner.segment == 'gold'", context)[0] is False  # a missing value
    assert evaluate("answer > 3", context, answer=5)[0] is True
    holds, warnings = evaluate("answer > 3", context, answer="many")
    assert holds is False and "taken as false" in warnings[0]
    assert check_expression("answer ==", question_ids=(), allow_answer=True)[0].startswith("condition error")


# --- the validator ------------------------------------------------------------------------------------


def test_a_good_script_has_no_problems():
    assert problems(SMALL) == []


def test_references_to_missing_nodes_and_unreachable_nodes_point_at_their_node():
    found = problems(script("""
  - {id: a, type: text, text: x, next: nowhere}
  - {id: lonely, type: end, outcome: x}
"""))
    assert "node 'a': leads to 'nowhere', which is not a node of this script" in found
    assert "node 'lonely': no path from the start reaches this node" in found


def test_a_loop_with_no_way_out_is_found_but_a_loop_with_an_exit_is_fine():
    trapped = problems(script("""
  - {id: a, type: text, text: x, next: b}
  - {id: b, type: jump, goto: a}
  - {id: end, type: end, outcome: x}
"""))
    assert "node 'a': a loop with no way out: no path from here reaches an end node" in trapped
    assert "node 'end': no path from the start reaches this node" in trapped
    assert problems(script("""
  - {id: a, type: question, text: "again?", answer: yes_no,
     branches: [{value: "yes", goto: b}, {value: "no", goto: end}]}
  - {id: b, type: jump, goto: a}
  - {id: end, type: end, outcome: x}
""")) == []


def test_a_question_whose_branches_leave_answers_nowhere_to_go_is_refused():
    found = problems(script("""
  - id: colour
    type: question
    text: Which colour
    answer: single_choice
    options: [{value: red}, {value: blue}, {value: green}]
    branches: [{value: red, goto: end}, {value: purple, goto: end}]
  - {id: much, type: question, text: "How much", answer: number, branches: [{if: answer > 3, goto: end}]}
  - {id: end, type: end, outcome: x}
""", start="colour"))
    assert "node 'colour': no branch for the answer(s) blue, green and no `next` for the others" in found
    assert any("'purple' is not an answer to this question" in p for p in found)
    assert "node 'much': branches cannot cover every number answer: add `next` for the others" in found


def test_template_and_condition_errors_and_unknown_variables_point_at_their_node():
    found = problems(script("""
  - {id: a, type: text, text: "Hi {{ partner.nickname }} {{ answers.nope }} {% if %}", next: b}
  - {id: b, type: text, text: "{{ customer.name }} {{ answer }}", next: c}
  - {id: c, type: branch, branches: [{if: "partner.value_class ==", goto: d}], otherwise: d}
  - {id: d, type: end, outcome: x}
"""))
    assert any(p.startswith("node 'a': text: template error at line 1") for p in found)
    assert any(p.startswith("node 'b': text: unknown variable 'customer'") for p in found)
    assert "node 'b': text: 'answer' is known only in the conditions of a question's branches" in found
    assert any(p.startswith("node 'c': branch 1: condition error") for p in found)
    fields = problems(script("""
  - {id: a, type: text, text: "Hi {{ partner.nickname }} {{ answers.nope }}", next: b}
  - {id: b, type: end, outcome: x}
"""))
    assert any(p.startswith("node 'a': text: unknown field partner.nickname") for p in fields)
    assert "node 'a': text: answers.nope: there is no question 'nope' in this script" in fields


def test_shape_rules_of_questions_and_scripts():
    found = problems(script("""
  - {id: a, type: question, text: x, answer: single_choice, options: [{value: one}], next: b}
  - {id: b, type: question, text: x, answer: crm_list, next: c}
  - {id: c, type: question, text: x, answer: number, min: 5, max: 1, next: c2}
  - {id: c2, type: question, text: x, answer: free_text, required: false, branches: [{value: x, goto: d}]}
  - {id: d, type: text, text: x, next: d}
  - {id: d, type: end, outcome: x}
"""))
    assert "node 'a': a single_choice question needs at least two options" in found
    assert any(p.startswith("node 'b': a crm_list question names its `list`") for p in found)
    assert "node 'c': min 5 is above max 1" in found
    assert any("a free_text answer is matched with `if`" in p for p in found)
    assert "node 'c2': an optional question needs `next`, where an unanswered question goes" in found
    assert "node 'd': this id is used by more than one node" in found
    assert problems("name: t\nkind: prompt\nnodes: []") == ["script: a prompt script needs a `text`"]
    assert problems("name: t\nnodes: []") == ["script: the script has no nodes"]


def test_the_shipped_examples_validate():
    files = sorted(EXAMPLES.glob("*.yaml"))
    names = {load_yaml(f.read_text()).name for f in files}
    assert {"fibre-offer-en", "fibre-offer-zh", "complaint-intake-en", "complaint-intake-zh"} <= names
    for path in files:
        assert validate(load_yaml(path.read_text(), origin=path.name)).problems == (), path.name


# --- the runner --------------------------------------------------------------------------------------


def run_of(source=SMALL, **context) -> ScriptRun:
    ticks = iter(range(1000, 2000))
    return ScriptRun(load_yaml(source), 3, make_context(**context), list_options=PRODUCTS,
                     clock=lambda: float(next(ticks)))


def test_a_run_walks_texts_and_questions_to_an_end_with_its_outcome():
    run = run_of(partner={"first_name": "伟"})
    step = run.step()
    assert (step.kind, step.text, step.can_back) == ("text", "Hello 伟", False)
    assert run.next().answer_type == "yes_no"
    assert run.next("yes").node == "how_many"
    end = run.next("3")
    assert (end.kind, end.outcome, end.text) == ("end", "sale", "Sold 3")
    assert run.finished and run.ended_at is not None
    assert [(a.node, a.value) for a in run.recorded()] == [("ask", "yes"), ("how_many", 3)]


def test_a_branch_on_a_condition_of_the_answer_is_taken():
    run = run_of()
    run.next()
    run.next("yes")
    assert run.next(7).outcome == "big_sale"


def test_wrong_answers_are_refused_with_a_reason_and_the_run_stays_put():
    run = run_of()
    run.next()
    with pytest.raises(RunError, match="answer yes or no"):
        run.next("perhaps")
    run.next("是")  # yes, as a Chinese agent types it
    for wrong, reason in ((0, "at least 1"), (11, "at most 10"), ("many", "not a number"), (None, "needs an answer")):
        with pytest.raises(RunError, match=reason):
            run.next(wrong)
    assert run.step().node == "how_many"
    with pytest.raises(RunError, match="not one of the choices"):
        run_of(script("""
  - {id: p, type: question, text: "Which", answer: crm_list, list: products, next: e}
  - {id: e, type: end, outcome: x}
""")).next("P9999")


def test_going_back_and_changing_an_answer_drops_the_later_answers_that_no_longer_apply():
    run = run_of()
    run.next()
    run.next("yes")
    run.next(3)
    assert run.back().node == "how_many" and run.step().answer == 3  # pre-filled
    assert run.back().answer == "yes"
    assert run.next("no").outcome == "not_interested"
    assert [(a.node, a.value) for a in run.recorded()] == [("ask", "no")]
    run.back()
    assert run.next("yes").answer == 3  # suggested again on the way back
    assert run.next(3).outcome == "sale"
    assert [a.node for a in run.recorded()] == ["ask", "how_many"]


def test_multiple_choice_and_dates_and_optional_questions():
    run = run_of(script("""
  - id: wish
    type: question
    text: What
    answer: multiple_choice
    options: [{value: repair}, {value: refund}, {value: explain}]
    branches: [{value: refund, goto: when}]
    next: e
  - {id: when, type: question, text: "When", answer: date, next: note}
  - {id: note, type: question, text: "Note", answer: free_text, required: false, next: e}
  - {id: e, type: end, outcome: x}
"""))
    assert run.next(["explain", "refund", "refund"]).node == "when"
    assert run.next("2026/12/24").node == "note"
    assert run.next("").kind == "end"
    assert [(a.node, a.value) for a in run.recorded()] == [
        ("wish", ["refund", "explain"]), ("when", "2026-12-24"), ("note", None)]


def test_a_run_is_kept_and_resumed_from_its_state_on_the_same_version():
    run = run_of()
    run.next()
    run.next("yes")
    state = run.to_state()
    resumed = ScriptRun.from_state(load_yaml(SMALL), state, make_context())
    assert (resumed.step().node, resumed.version, resumed.run_id) == ("how_many", 3, run.run_id)
    assert resumed.next(2).outcome == "sale"
    changed = load_yaml(SMALL.replace("id: how_many", "id: amount").replace("goto: how_many", "goto: amount")
                        .replace("answers.how_many", "answers.amount"))
    with pytest.raises(RunError, match="does not fit version 3"):
        ScriptRun.from_state(changed, state, make_context())


def test_a_partner_confirmed_during_the_run_shows_in_the_texts_from_then_on():
    run = run_of()
    assert run.step().text == "Hello [partner.first_name]"
    run.set_context(make_context(partner={"first_name": "Wei"}))
    assert run.step().text == "Hello Wei"


def test_a_script_that_loops_through_jumps_forever_stops_with_an_error():
    looping = from_builtins({"name": "t", "nodes": [
        {"id": "a", "type": "jump", "goto": "b"}, {"id": "b", "type": "jump", "goto": "a"}]})
    with pytest.raises(RunLoops, match="goes round through branch and jump nodes without stopping"):
        ScriptRun(looping, 1, make_context())


# --- choosing scripts -----------------------------------------------------------------------------------


def loaded(source: str, version: int = 1) -> Loaded:
    return Loaded(load_yaml(source), version)


def test_the_script_for_a_contact_is_chosen_by_campaign_then_number_then_queue():
    by_queue = loaded(script("  - {id: e, type: end, outcome: x}", name="q") + "\napplies_to: {queues: [billing]}")
    by_dnis = loaded(script("  - {id: e, type: end, outcome: x}", name="d") + "\napplies_to: {dnis: ['4001']}")
    by_campaign = loaded(script("  - {id: e, type: end, outcome: x}", name="c")
                         + "\napplies_to: {campaigns: [autumn]}")
    active = [by_queue, by_dnis, by_campaign]
    assert choose_interactive(active, queue="billing", dnis="4001", campaign="autumn") is by_campaign
    assert choose_interactive(active, queue="billing", dnis="4001", campaign=None) is by_dnis
    assert choose_interactive(active, queue="billing", dnis="9", campaign=None) is by_queue
    assert choose_interactive(active, queue="sales", dnis="9", campaign=None) is None


def test_among_scripts_that_fit_alike_the_agents_language_wins():
    en = loaded(script("  - {id: e, type: end, outcome: x}", name="offer-en", language="en")
                + "\napplies_to: {campaigns: [autumn]}")
    zh = loaded(script("  - {id: e, type: end, outcome: x}", name="offer-zh", language="zh")
                + "\napplies_to: {campaigns: [autumn]}")
    choose = lambda language: choose_interactive([en, zh], queue=None, dnis=None, campaign="autumn",
                                                 language=language).script.name
    assert (choose("zh_CN"), choose("en"), choose(None)) == ("offer-zh", "offer-en", "offer-en")


def test_prompts_are_chosen_by_where_the_contact_came_from_and_the_partner():
    vip = loaded("name: vip\nkind: prompt\nwhen: partner.value_class == 'A'\ntext: Thank them")
    billing = loaded("name: b\nkind: prompt\napplies_to: {queues: [billing]}\ntext: Billing line")
    active = [vip, billing]
    names = lambda ctx, queue: [p.script.name for p in prompts_for(active, ctx, queue=queue, dnis=None,
                                                                     campaign=None)]
    assert names(make_context(partner={"value_class": "A"}), "billing") == ["vip", "b"]
    assert names(make_context(partner={"value_class": "C"}), "sales") == []


# --- budgets, loops, missing values ----------------------------------------------------------------

HEAVY = [
    "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    "{% for i in range(5000) %}{% for j in range(5000) %}x{% endfor %}{% endfor %}",
    "{{ 'x' * 10000 * 10000 }}",
    "{{ range(100000)|list * 10000 }}",
    "{{ range(5000)|list * 10000 }}",
    "{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% else %}{{ s|length }}{% endif %}{% endmacro %}"
    "{{ d('x', 40) }}",
    "{{ 'x'|center(1000000000) }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{% set b = 'x' * 10000 %}{% for i in range(4000) %}{{ b|replace('x', 'yy') }}{% endfor %}",
    "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
]


@pytest.mark.parametrize("heavy", HEAVY)
def test_a_template_that_would_work_too_long_or_build_too_much_is_refused_at_once(heavy):
    import time

    started = time.monotonic()
    shown = render(heavy, make_context(partner={"name": "x"}))
    assert shown.text == "[refused]" and shown.warnings[0].startswith("refused")
    assert time.monotonic() - started < 2
    started = time.monotonic()
    assert render(heavy, make_context()).text == "[refused]"  # the second time without the wait
    assert time.monotonic() - started < 1  # not the budget's wait again (0.1 s passed only on an idle machine)


@pytest.mark.parametrize("heavy", HEAVY)
def test_the_validator_refuses_loops_inside_loops_and_templates_over_budget(heavy):
    found = [str(p) for p in validate(from_builtins({"name": "t", "nodes": [
        {"id": "a", "type": "text", "text": heavy, "next": "e"}, {"id": "e", "type": "end", "outcome": "x"}]})).errors]
    assert found and all(p.startswith("node 'a': text: refused") for p in found), found
    assert any("a loop inside a loop" in p for p in problems(script("""
  - {id: a, type: text, text: "{% for i in partner.installed_base %}{% for c in i %}{{ c }}{% endfor %}{% endfor %}", next: e}
  - {id: e, type: end, outcome: x}
""")))


def test_big_numbers_in_ordinary_formatting_are_fine():
    context = make_context(answers={"amount": 1234567.5})
    shown = render('{{ "{:,.2f}".format(answers.amount) }} / {{ "%d CNY" % answers.amount }} / '
                   '{{ "%d"|format(7654321) }}', context)
    assert (shown.text, shown.warnings) == ("1,234,567.50 / 1234567 CNY / 7654321", ())


def test_a_macro_of_the_text_is_known_to_the_validator_and_one_calling_a_macro_is_refused():
    text = ("{% macro item(p) %}- {{ p }}{% endmacro %}{% macro box() %}[{{ caller() }}]{% endmacro %}"
            "{{ item(partner.name) }} {% call box() %}{{ agent.name }}{% endcall %}")
    assert check_template(text, question_ids=()) == []
    assert render(text, make_context(partner={"name": "ACME"}, agent={"name": "Ann"})).text == "- ACME [Ann]"
    assert check_template("{% macro a() %}x{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ b() }}",
                          question_ids=()) == ["refused: a macro that calls a macro"]


def test_a_small_loop_and_ordinary_texts_are_fine():
    text = "{% for p in partner.installed_base %}{{ loop.index }}. {{ p|upper }} {% endfor %}{{ range(3)|join(',') }}"
    assert check_template(text, question_ids=()) == []
    assert render(text, make_context(partner={"installed_base": ["router", "tv"]})).text == "1. ROUTER 2. TV 0,1,2"


def test_the_path_texts_are_rendered_once_per_place_not_on_every_step(monkeypatch):
    import scripting.runner as runner

    calls = []
    real = runner.render
    monkeypatch.setattr(runner, "render", lambda source, context: calls.append(source) or real(source, context))
    run = run_of()
    run.next()
    run.next("yes")
    for _ in range(3):
        run.step()
        run.path_texts()
    assert sorted(calls) == ["Hello {{ partner.first_name }}", "How many?", "Interested?"]  # once each
    run.set_context(make_context(partner={"first_name": "Wei"}))  # new facts: rendered anew
    assert run.path_texts()[0] == "Hello Wei"


LOOPING = script("""
  - {id: ask, type: question, text: "Colour?", answer: single_choice,
     options: [{value: red}, {value: blue}], next: again}
  - {id: again, type: question, text: "Another?", answer: yes_no,
     branches: [{value: "yes", goto: back}, {value: "no", goto: e}]}
  - {id: back, type: jump, goto: ask}
  - {id: e, type: end, outcome: x}
""")


def test_a_question_asked_twice_in_a_loop_keeps_an_answer_for_each_time():
    run = run_of(LOOPING)
    run.next("red")
    run.next("yes")
    assert run.step().answer == "red"  # suggested from the first time
    run.next("blue")
    assert run.next("no").kind == "end"
    assert [(a.node, a.value) for a in run.recorded()] == [
        ("ask", "red"), ("again", "yes"), ("ask", "blue"), ("again", "no")]
    assert [a for _, a in run.shown()] == ["red", "yes", "blue", "no", None]
    resumed = ScriptRun.from_state(load_yaml(LOOPING), run.to_state(), make_context())
    assert [(a.node, a.value) for a in resumed.recorded()] == [(a.node, a.value) for a in run.recorded()]
    run.back()
    run.back()  # back at the second "ask": the first answers stay
    assert [(a.node, a.value) for a in run.recorded()] == [("ask", "red"), ("again", "yes")]


def test_a_loop_of_branch_and_jump_nodes_only_is_refused_by_the_validator():
    found = problems(script("""
  - {id: start, type: text, text: Hi, next: check}
  - id: check
    type: branch
    branches: [{if: "call.queue == 'x'", goto: e}]
    otherwise: bounce
  - {id: bounce, type: jump, goto: check}
  - {id: e, type: end, outcome: x}
"""))
    assert "node 'check': a loop of branch and jump nodes only: nothing changes while a run goes round " \
           "it, so a run that comes here never stops" in found
    assert any(p.startswith("node 'bounce': a loop of branch and jump nodes only") for p in found)
    assert not any("start" in p for p in found)


def test_conditions_on_missing_values_are_false_with_a_warning_whatever_the_operator():
    nobody = make_context()
    for condition in ("partner.value_class != 'A'", "partner.value_class == 'A'", "partner.open_complaints > 0",
                      "partner.open_complaints <= 0", "partner.city"):
        holds, warnings = evaluate(condition, nobody)
        assert holds is False and warnings and "has no value" in warnings[0], condition
    assert evaluate("partner.value_class != 'A'", make_context(partner={"value_class": "B"})) == (True, ())


def test_a_failing_expression_shows_as_a_placeholder_of_its_own_and_the_rest_of_the_text_stays():
    shown = render("Open: {{ partner.open_complaints + 1 }}, for {{ agent.name }}.", make_context(agent={"name": "Ann"}))
    assert shown.text == "Open: [partner.open_complaints + 1], for Ann."
    assert shown.warnings == ("{{ partner.open_complaints + 1 }} could not be shown: a value it needs is missing",)
    shown = render("{% if partner.open_complaints > 2 %}many{% else %}few{% endif %} complaints", make_context())
    assert shown.text == "few complaints" and "partner.open_complaints has no value" in shown.warnings[0]
