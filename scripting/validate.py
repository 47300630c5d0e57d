"""Everything that can be wrong with a script before agents run it, each
problem pointing at its node: references to nodes that do not exist, nodes
no path reaches, loops with no way out, questions whose answers lead
nowhere, branches that cannot match, template and condition errors,
unknown context variables. A script with errors cannot be activated."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from scripting.document import (
    CRM_LISTS,
    BranchNode,
    EndNode,
    JumpNode,
    QuestionNode,
    Script,
    TextNode,
)
from scripting.templates import check_expression, check_template

CHOICE_TYPES = ("single_choice", "multiple_choice")
YES_NO = ("yes", "no")


@dataclass(frozen=True)
class Problem:
    node: str | None  # None: the script as a whole
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        where = f"node {self.node!r}" if self.node else "script"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Report:
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


def validate(script: Script) -> Report:
    problems: list[Problem] = []
    if script.kind == "prompt":
        problems += _prompt(script)
    else:
        problems += _interactive(script)
    return Report(tuple(problems))


def _prompt(script: Script) -> list[Problem]:
    problems = []
    if script.nodes or script.start:
        problems.append(Problem(None, "a prompt script has a text (and maybe a `when`), not nodes"))
    if not (script.text or "").strip():
        problems.append(Problem(None, "a prompt script needs a `text`"))
    else:
        problems += [Problem(None, f"text: {m}") for m in check_template(script.text or "", question_ids=())]
    if script.when is not None:
        problems += [Problem(None, f"when: {m}")
                     for m in check_expression(script.when, question_ids=(), allow_answer=False)]
    return problems


def _interactive(script: Script) -> list[Problem]:
    problems: list[Problem] = []
    if script.text is not None or script.when is not None:
        problems.append(Problem(None, "`text` and `when` belong to prompt scripts; an interactive "
                                      "script says everything in its nodes"))
    if not script.nodes:
        return problems + [Problem(None, "the script has no nodes")]
    seen: set[str] = set()
    for node in script.nodes:
        if node.id in seen:
            problems.append(Problem(node.id, "this id is used by more than one node"))
        seen.add(node.id)
    nodes = script.node_map()
    if script.start is not None and script.start not in nodes:
        problems.append(Problem(None, f"start: there is no node {script.start!r}"))
    if not any(isinstance(n, EndNode) for n in script.nodes):
        problems.append(Problem(None, "the script has no end node, so no run can finish"))
    question_ids = [n.id for n in script.nodes if isinstance(n, QuestionNode)]
    for node in script.nodes:
        problems += [Problem(node.id, m) for m in _node_problems(node, nodes, question_ids)]
    problems += _graph(script, nodes)
    return problems


def successors(node) -> list[str]:
    """Every node a node may lead to."""
    if isinstance(node, TextNode):
        return [node.next]
    if isinstance(node, QuestionNode):
        return [b.goto for b in node.branches] + ([node.next] if node.next else [])
    if isinstance(node, BranchNode):
        return [b.goto for b in node.branches] + [node.otherwise]
    if isinstance(node, JumpNode):
        return [node.goto]
    return []


def _node_problems(node, nodes: dict, question_ids: list[str]) -> list[str]:
    problems = []
    for target in successors(node):
        if target not in nodes:
            problems.append(f"leads to {target!r}, which is not a node of this script")
    texts = []
    if isinstance(node, (TextNode, QuestionNode)):
        texts.append(("text", node.text))
    if isinstance(node, EndNode) and node.text:
        texts.append(("text", node.text))
    for label, source in texts:
        if not source.strip():
            problems.append(f"{label} is empty")
        problems += [f"{label}: {m}" for m in check_template(source, question_ids=question_ids)]
    if isinstance(node, QuestionNode):
        problems += _question(node, question_ids)
    if isinstance(node, BranchNode):
        if not node.branches:
            problems.append("a branch node needs at least one branch")
        for i, branch in enumerate(node.branches, 1):
            if branch.value is not None or branch.if_ is None:
                problems.append(f"branch {i}: a branch node decides by `if` conditions only")
                continue
            problems += [f"branch {i}: {m}" for m in
                         check_expression(branch.if_, question_ids=question_ids, allow_answer=False)]
    return problems


def _question(node: QuestionNode, question_ids: list[str]) -> list[str]:
    problems = []
    values = [o.value for o in node.options]
    if node.answer in CHOICE_TYPES:
        if len(node.options) < 2:
            problems.append(f"a {node.answer} question needs at least two options")
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            problems.append(f"options used twice: {', '.join(duplicates)}")
    elif node.options:
        problems.append(f"options belong to choice questions, not to {node.answer}")
    if node.answer == "crm_list" and node.crm_list not in CRM_LISTS:
        problems.append(f"a crm_list question names its `list`: one of {', '.join(CRM_LISTS)}")
    if node.answer != "crm_list" and node.crm_list is not None:
        problems.append("`list` belongs to crm_list questions")
    if (node.min is not None or node.max is not None) and node.answer != "number":
        problems.append("`min` and `max` belong to number questions")
    if node.min is not None and node.max is not None and node.min > node.max:
        problems.append(f"min {node.min:g} is above max {node.max:g}")
    allowed = {"single_choice": values, "multiple_choice": values, "yes_no": list(YES_NO)}.get(node.answer)
    covered: set[str] = set()
    for i, branch in enumerate(node.branches, 1):
        if (branch.value is None) == (branch.if_ is None):
            problems.append(f"branch {i}: give either `value` or `if`")
            continue
        if branch.value is not None:
            if node.answer not in (*CHOICE_TYPES, "yes_no", "crm_list"):
                problems.append(f"branch {i}: a {node.answer} answer is matched with `if`, "
                                "e.g. `if: answer > 3`")
            elif allowed is not None and branch.value not in allowed:
                problems.append(f"branch {i}: {branch.value!r} is not an answer to this question "
                                f"(answers: {', '.join(allowed)})")
            else:
                covered.add(branch.value)
        elif branch.if_ is not None:  # given, as checked above
            problems += [f"branch {i}: {m}" for m in
                         check_expression(branch.if_, question_ids=question_ids, allow_answer=True)]
    if node.next is None:
        if not node.branches:
            problems.append("the question leads nowhere: add `next` or branches")
        elif node.answer in ("single_choice", "yes_no"):
            missing = [v for v in allowed or () if v not in covered]
            if missing:
                problems.append(f"no branch for the answer(s) {', '.join(missing)} and no `next` "
                                "for the others")
        else:
            problems.append(f"branches cannot cover every {node.answer} answer: add `next` for the others")
        if not node.required:
            problems.append("an optional question needs `next`, where an unanswered question goes")
    return problems


def _graph(script: Script, nodes: dict) -> list[Problem]:
    start = script.first_node
    if start not in nodes:
        return []
    reached = {start}
    todo = [start]
    while todo:
        for target in successors(nodes[todo.pop()]):
            if target in nodes and target not in reached:
                reached.add(target)
                todo.append(target)
    problems = [Problem(n.id, "no path from the start reaches this node") for n in script.nodes
                if n.id not in reached]
    # Nodes from which some end node can be reached (walking the edges backwards).
    incoming: dict[str, set[str]] = defaultdict(set)
    for node in script.nodes:
        for target in successors(node):
            incoming[target].add(node.id)
    can_end = {n.id for n in script.nodes if isinstance(n, EndNode)}
    to_walk = list(can_end)
    while to_walk:
        for source in incoming[to_walk.pop()]:
            if source not in can_end:
                can_end.add(source)
                to_walk.append(source)
    problems += [Problem(n.id, "a loop with no way out: no path from here reaches an end node")
                 for n in script.nodes if n.id in reached and n.id not in can_end]
    problems += [Problem(node_id, "a loop of branch and jump nodes only: nothing changes while a run "
                                  "goes round it, so a run that comes here never stops")
                 for node_id in _silent_cycles(script, nodes)]
    return problems


def _silent_cycles(script: Script, nodes: dict) -> list[str]:
    """Branch and jump nodes that lie on a loop made of branch and jump nodes
    only: no text or question in between, so no answer can lead out of it."""
    silent = {n.id for n in script.nodes if isinstance(n, (BranchNode, JumpNode))}
    edges = {n: [t for t in successors(nodes[n]) if t in silent] for n in silent}
    on_cycle: list[str] = []
    for node_id in sorted(silent, key=[n.id for n in script.nodes].index):
        seen, todo = set(), list(edges[node_id])
        while todo:  # can node_id reach itself through silent nodes?
            each = todo.pop()
            if each == node_id:
                on_cycle.append(node_id)
                break
            if each not in seen:
                seen.add(each)
                todo.extend(edges[each])
    return on_cycle
