"""Walking an interactive script with an agent: plain Python, no screen.

A run shows one node at a time: a text to say, a question to ask, or the
end with its outcome. Branch and jump nodes are passed through at once.
The agent may go back and change an answer; answers given further along a
path that no longer applies are no longer recorded, but are kept as
suggestions should the run come that way again. A question asked twice
(the script loops back to it) has an answer for each time it was asked.

Texts are rendered once for each place on the path and kept, so that a
step does not render every text of the path again; new facts (a partner
confirmed) render them anew.

A run belongs to one version of its script: a newer version activated
while the agent works changes nothing here.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from scripting.document import (
    BranchNode,
    EndNode,
    JumpNode,
    Option,
    QuestionNode,
    Script,
    TextNode,
)
from scripting.templates import Values, evaluate, render

MAX_HOPS = 1000  # branch and jump nodes passed without stopping
MAX_TEXT_ANSWER = 2000


class RunError(ValueError):
    """An answer the question does not take, or a move the run cannot make."""


class RunLoops(RunError):
    """The script goes round through branch and jump nodes and never shows a node."""


@dataclass
class Answer:
    node: str
    value: Any  # str, list of str, int or float, ISO date text; None: skipped
    at: float  # epoch seconds


@dataclass(frozen=True)
class Step:
    """What the agent sees now."""

    node: str
    kind: str  # text, question, end
    text: str
    warnings: tuple[str, ...] = ()
    answer_type: str | None = None
    options: tuple[Option, ...] = ()
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    answer: Any = None  # the answer given or suggested, to pre-fill the input
    outcome: str | None = None
    can_back: bool = False
    position: int = 1  # how many nodes shown so far, this one included


@dataclass
class ScriptRun:
    script: Script
    version: int
    context: dict[str, Any]
    list_options: dict[str, list[Option]] = field(default_factory=dict)  # crm_list name -> options
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    clock: Any = time.time
    path: list[str] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)  # latest answer per question: suggestions
    given: dict[int, Answer] = field(default_factory=dict)  # place on the path -> its answer
    started_at: float = 0.0
    ended_at: float | None = None
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.script.kind != "interactive":
            raise RunError(f"{self.script.name} is a prompt script; it has no nodes to walk")
        self._nodes = self.script.node_map()
        self._texts: dict[int, Any] = {}  # place on the path -> Rendered
        if not self.started_at:
            self.started_at = self.clock()
        if not self.path:
            self.path = [self._advance(self.script.first_node)]
        self._sync_answers()

    # --- where the run is ----------------------------------------------------------------

    @property
    def current(self):
        return self._nodes[self.path[-1]]

    @property
    def finished(self) -> bool:
        return isinstance(self.current, EndNode)

    @property
    def outcome(self) -> str | None:
        return self.current.outcome if self.finished else None

    def step(self) -> Step:
        node = self.current
        rendered = self._text_at(len(self.path) - 1)
        warnings = rendered.warnings if rendered else ()
        common = dict(node=node.id, text=rendered.text if rendered else "", warnings=warnings,
                      can_back=len(self.path) > 1, position=len(self.path))
        if isinstance(node, QuestionNode):
            given = self.given.get(len(self.path) - 1) or self.answers.get(node.id)
            return Step(kind="question", answer_type=node.answer, options=tuple(self._options(node)),
                        required=node.required, minimum=node.min, maximum=node.max,
                        answer=given.value if given else None, **common)
        if isinstance(node, EndNode):
            return Step(kind="end", outcome=node.outcome, **common)
        return Step(kind="text", **common)

    def path_texts(self) -> list[str]:
        """The text of each node on the path as shown there (the node's id when it has none)."""
        texts = []
        for place, node_id in enumerate(self.path):
            rendered = self._text_at(place)
            texts.append(rendered.text if rendered else node_id)
        return texts

    def _text_at(self, place: int):
        if place not in self._texts:
            text = getattr(self._nodes[self.path[place]], "text", None) or ""
            self._texts[place] = render(text, self.context) if text else None
        return self._texts[place]

    def shown(self) -> list[tuple[str, Any]]:
        """The path so far, for the agent: (node id, answer or None), oldest first."""
        return [(n, self.given[i].value if i in self.given else None) for i, n in enumerate(self.path)]

    def recorded(self) -> list[Answer]:
        """The answers that count: one for each time a question on the path was
        asked and the run went on from it."""
        return [self.given[i] for i in range(len(self.path) - 1) if i in self.given]

    # --- moving --------------------------------------------------------------------------

    def next(self, value: Any = None) -> Step:
        """Go on from a text, or answer the question and go on."""
        node = self.current
        if isinstance(node, EndNode):
            raise RunError("the script has ended")
        if isinstance(node, TextNode):
            self._go(self._advance(node.next))
            return self.step()
        answer = self._coerce(node, value)
        place = len(self.path) - 1
        given = self.given.get(place)
        if given is None or given.value != answer:
            given = Answer(node.id, answer, self.clock())
        self.given[place] = self.answers[node.id] = given
        self._sync_answers()
        self._go(self._advance(self._after(node, answer)))
        return self.step()

    def back(self) -> Step:
        if len(self.path) < 2:
            raise RunError("this is the first step")
        self.path.pop()
        self._forget_after(len(self.path) - 1)
        self.ended_at = None
        self._sync_answers()
        return self.step()

    def _forget_after(self, place: int) -> None:
        """Answers and texts of places beyond `place` no longer count (answers stay as suggestions)."""
        for later in [p for p in self.given if p > place]:
            del self.given[later]
        for later in [p for p in self._texts if p > place]:
            del self._texts[later]

    def set_context(self, context: dict[str, Any]) -> None:
        """New facts (the partner was confirmed): texts render with them from now on."""
        answers = self.context.get("answers")
        self.context = dict(context)
        if answers is not None:
            self.context["answers"] = answers
        self._sync_answers()
        self._texts.clear()

    def _go(self, node_id: str) -> None:
        self._forget_after(len(self.path) - 1)
        self.path.append(node_id)
        if isinstance(self._nodes[node_id], EndNode):
            self.ended_at = self.clock()

    def _advance(self, node_id: str | None) -> str:
        """From `node_id`, through branch and jump nodes, to the next node to show."""
        for _ in range(MAX_HOPS):
            node = self._nodes.get(node_id) if node_id else None
            if node is None or node_id is None:
                raise RunError(f"the script leads to {node_id!r}, which it does not have")
            if isinstance(node, JumpNode):
                node_id = node.goto
            elif isinstance(node, BranchNode):
                node_id = self._branch(node)
            else:
                return node_id
        raise RunLoops(f"the script goes round through branch and jump nodes without stopping "
                       f"(at {node_id!r}); it cannot go on. Tell the script's author.")

    def _branch(self, node: BranchNode) -> str:
        for branch in node.branches:
            if branch.if_ is not None and self._holds(branch.if_):
                return branch.goto
        return node.otherwise

    def _after(self, node: QuestionNode, answer: Any) -> str:
        for branch in node.branches:
            if branch.value is not None:
                chosen = answer if isinstance(answer, list) else [answer]
                if branch.value in chosen:
                    return branch.goto
            elif answer is not None and branch.if_ is not None and self._holds(branch.if_, answer):
                return branch.goto
        if node.next is None:
            raise RunError(f"no way on from {node.id!r} with the answer {answer!r}")
        return node.next

    def _holds(self, expression: str, answer: Any = None) -> bool:
        result, warnings = evaluate(expression, self.context, answer=answer)
        self.warnings.extend(w for w in warnings if w not in self.warnings)
        return result

    def _sync_answers(self) -> None:
        """`answers` in the context: those on the path, the current one included."""
        on_path = {self.path[i]: self.given[i].value for i in sorted(self.given) if i < len(self.path)}
        self.context = {**self.context, "answers": Values("answers", on_path)}

    # --- answers ----------------------------------------------------------------------------

    def _options(self, node: QuestionNode) -> list[Option]:
        if node.answer == "yes_no":
            return [Option(value="yes"), Option(value="no")]
        if node.answer == "crm_list":
            return list(self.list_options.get(node.crm_list or "", []))
        return list(node.options)

    def _coerce(self, node: QuestionNode, value: Any) -> Any:
        if value is None or value == "" or value == []:
            if node.required:
                raise RunError("this question needs an answer")
            return None
        kind = node.answer
        if kind == "yes_no":
            text = {True: "yes", False: "no"}.get(value, str(value).strip().lower()) \
                if isinstance(value, bool) else str(value).strip().lower()
            text = {"y": "yes", "n": "no", "是": "yes", "否": "no"}.get(text, text)
            if text not in ("yes", "no"):
                raise RunError(f"answer yes or no, not {value!r}")
            return text
        if kind in ("single_choice", "crm_list"):
            allowed = [o.value for o in self._options(node)]
            text = str(value).strip()
            if allowed and text not in allowed:
                raise RunError(f"{text!r} is not one of the choices")
            return text
        if kind == "multiple_choice":
            chosen = [value] if isinstance(value, str) else list(value)
            allowed = [o.value for o in node.options]
            wrong = [c for c in chosen if c not in allowed]
            if wrong:
                raise RunError(f"not among the choices: {', '.join(map(str, wrong))}")
            return [o for o in allowed if o in chosen]  # in the script's order, once each
        if kind == "number":
            return self._number(node, value)
        if kind == "date":
            return _date(value)
        text = str(value).strip()
        if len(text) > MAX_TEXT_ANSWER:
            raise RunError(f"an answer is at most {MAX_TEXT_ANSWER} characters")
        return text

    @staticmethod
    def _number(node: QuestionNode, value: Any) -> int | float:
        if isinstance(value, bool):
            raise RunError("a number is needed")
        if isinstance(value, (int, float)):
            number = value
        else:
            text = str(value).strip().replace(" ", "").replace(",", ".")
            try:
                number = float(text)
            except ValueError:
                raise RunError(f"{value!r} is not a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise RunError("a finite number is needed")
        if node.min is not None and number < node.min:
            raise RunError(f"the answer is at least {node.min:g}")
        if node.max is not None and number > node.max:
            raise RunError(f"the answer is at most {node.max:g}")
        return int(number) if float(number).is_integer() else float(number)

    # --- keeping and resuming a run ----------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "script": self.script.name, "version": self.version,
                "path": list(self.path), "started_at": self.started_at, "ended_at": self.ended_at,
                "answers": {n: {"value": a.value, "at": a.at} for n, a in self.answers.items()},
                "given": [{"place": p, "value": a.value, "at": a.at} for p, a in sorted(self.given.items())]}

    @classmethod
    def from_state(cls, script: Script, state: dict[str, Any], context: dict[str, Any], *,
                   list_options: dict[str, list[Option]] | None = None, clock=time.time) -> ScriptRun:
        """A run kept in a draft or handed over with a transfer; RunError when the
        state does not fit this script version."""
        if state.get("script") != script.name:
            raise RunError(f"the run is of script {state.get('script')!r}, not {script.name!r}")
        nodes = script.node_map()
        path = [str(n) for n in state.get("path") or []]
        unknown = [n for n in path if n not in nodes]
        if not path or unknown:
            raise RunError(f"the run's path does not fit version {state.get('version')} of "
                           f"{script.name}: {', '.join(unknown) or 'empty'}")
        answers = {n: Answer(n, a.get("value"), float(a.get("at") or 0))
                   for n, a in (state.get("answers") or {}).items() if n in nodes}
        if "given" in state:
            given = {int(g["place"]): Answer(path[int(g["place"])], g.get("value"), float(g.get("at") or 0))
                     for g in state["given"] if 0 <= int(g["place"]) < len(path)}
        else:  # kept before answers were kept per place: each at its question's last place
            given = {i: answers[n] for i, n in enumerate(path) if n in answers and n not in path[i + 1:]}
        return cls(script=script, version=int(state.get("version") or 0), context=context,
                   list_options=dict(list_options or {}), run_id=str(state.get("run_id") or uuid.uuid4().hex),
                   clock=clock, path=path, answers=answers, given=given,
                   started_at=float(state.get("started_at") or 0), ended_at=state.get("ended_at"))


def _date(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise RunError(f"{value!r} is not a date (YYYY-MM-DD)") from None
