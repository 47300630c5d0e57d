"""A call script as a document: what script authors write in YAML, what the
CRM stores (as JSON), what the runner walks.

    name: fibre-offer            # the script's identity across versions
    kind: interactive            # or: prompt
    language: en
    title: Fibre 300 offer
    applies_to: {campaigns: [fibre-autumn], queues: [], dnis: []}
    start: greet
    nodes:
      - {id: greet, type: text, text: "Hello {{ partner.first_name }}", next: interest}
      - id: interest
        type: question
        text: Would you like to hear about Fibre 300?
        answer: yes_no
        branches: [{value: "yes", goto: speed}, {value: "no", goto: objection}]
      - {id: vip, type: branch, branches: [{if: "partner.value_class == 'A'", goto: gold}], otherwise: std}
      - {id: again, type: jump, goto: interest}
      - {id: sale, type: end, outcome: sale, text: Thank you!}

A prompt script is a single text shown when a contact starts:

    name: greeting-4001
    kind: prompt
    applies_to: {dnis: ["4008001001"]}
    when: "partner.value_class == 'A'"     # optional: only for these partners
    text: Greet the caller by name and thank them for their loyalty.

Loading checks the shape (field names and types, node types); the graph
and the templates are checked by `scripting.validate`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

import msgspec
import yaml

AnswerType = Literal["single_choice", "multiple_choice", "yes_no", "free_text", "number", "date",
                     "crm_list"]
ANSWER_TYPES: tuple[str, ...] = get_args(AnswerType)
CRM_LISTS = ("products",)  # what a crm_list question may offer

Id = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,59}$",
                                 description="letters, digits, _ . - (at most 60)")]
Text = Annotated[str, msgspec.Meta(max_length=10_000)]


class ScriptFormatError(ValueError):
    """The file is not a script: bad YAML, a wrong field, an unknown node type."""


class Option(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    value: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    label: Text | None = None  # shown to the agent; the value when absent

    @property
    def shown(self) -> str:
        return self.label or self.value


class Branch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, rename={"if_": "if"}):
    """Where to go: on an answer `value` (questions), or when an expression
    `if` is true (questions, where `answer` is the answer, and branch nodes)."""

    goto: Id
    value: str | None = None
    if_: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class TextNode(msgspec.Struct, tag="text", tag_field="type", forbid_unknown_fields=True, kw_only=True):
    id: Id
    text: Text
    next: Id


class QuestionNode(msgspec.Struct, tag="question", tag_field="type", forbid_unknown_fields=True,
                   kw_only=True, rename={"crm_list": "list"}):
    id: Id
    text: Text
    answer: AnswerType
    options: list[Option] = []  # single_choice, multiple_choice
    crm_list: str | None = None  # crm_list: which list (CRM_LISTS); `list` in the file
    min: float | None = None  # number
    max: float | None = None
    required: bool = True
    branches: list[Branch] = []
    next: Id | None = None  # where every answer no branch takes goes


class BranchNode(msgspec.Struct, tag="branch", tag_field="type", forbid_unknown_fields=True, kw_only=True):
    id: Id
    branches: list[Branch]
    otherwise: Id


class JumpNode(msgspec.Struct, tag="jump", tag_field="type", forbid_unknown_fields=True, kw_only=True):
    id: Id
    goto: Id


class EndNode(msgspec.Struct, tag="end", tag_field="type", forbid_unknown_fields=True, kw_only=True):
    id: Id
    outcome: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    text: Text | None = None


Node = TextNode | QuestionNode | BranchNode | JumpNode | EndNode
NODE_TYPES = ("text", "question", "branch", "jump", "end")


class AppliesTo(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    queues: list[str] = []
    dnis: list[str] = []
    campaigns: list[str] = []


class Script(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Id
    kind: Literal["interactive", "prompt"] = "interactive"
    language: Annotated[str, msgspec.Meta(max_length=10)] = "en"
    title: Annotated[str, msgspec.Meta(max_length=200)] = ""
    description: Text = ""
    applies_to: AppliesTo = msgspec.field(default_factory=AppliesTo)
    start: Id | None = None  # interactive: the first node (default: the first listed)
    nodes: list[Node] = []
    when: Annotated[str, msgspec.Meta(max_length=2000)] | None = None  # prompt: only if true
    text: Text | None = None  # prompt: what to show

    @property
    def first_node(self) -> str | None:
        return self.start or (self.nodes[0].id if self.nodes else None)

    def node(self, node_id: str) -> Node | None:
        return self.node_map().get(node_id)

    def node_map(self) -> dict[str, Node]:
        return {n.id: n for n in self.nodes}

    def to_builtins(self) -> dict[str, Any]:
        return msgspec.to_builtins(self)


_MAX_SOURCE = 1_000_000  # bytes: a script is a document, not a data dump


def load_yaml(source: str | bytes, *, origin: str = "the script") -> Script:
    """A script from YAML text; ScriptFormatError saying what and where."""
    if isinstance(source, bytes):
        if len(source) > _MAX_SOURCE:
            raise ScriptFormatError(f"{origin} is larger than {_MAX_SOURCE // 1000} kB")
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ScriptFormatError(f"{origin} is not UTF-8 text (byte {exc.start})") from None
    if len(source) > _MAX_SOURCE:
        raise ScriptFormatError(f"{origin} is larger than {_MAX_SOURCE // 1000} kB")
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScriptFormatError(f"{origin} is not valid YAML{where}: {problem}") from None
    return from_builtins(data, origin=origin)


def from_builtins(data: Any, *, origin: str = "the script") -> Script:
    """A script from plain data (parsed YAML or the stored JSON)."""
    if not isinstance(data, dict):
        raise ScriptFormatError(f"{origin} must be a mapping with name, kind and nodes, "
                                f"not {type(data).__name__}")
    try:
        return msgspec.convert(data, Script, str_keys=True)
    except msgspec.ValidationError as exc:
        raise ScriptFormatError(f"{origin}: {_explain(str(exc), data)}") from None


def _explain(message: str, data: dict) -> str:
    """msgspec's `... - at `$.nodes[3].answer`` with the node's id, which an
    author can find in the file, and the node types spelled out."""
    text, _, path = message.partition(" - at `")
    path = path.rstrip("`")
    if "matching regex" in text:
        text = "must be made of letters, digits, _ . and - (at most 60 characters)"
    if "Invalid value" in text and path.endswith(".type"):
        text = f"{text}: a node's type is one of {', '.join(NODE_TYPES)}"
    if "Invalid enum value" in text:
        choices = {"kind": ("interactive", "prompt"), "answer": ANSWER_TYPES}.get(path.rsplit(".", 1)[-1])
        if choices:
            text = f"{text.replace('enum value', 'value')}: one of {', '.join(choices)}"
    if path.startswith("$.nodes["):
        index = path[len("$.nodes["):].split("]", 1)[0]
        rest = path[len("$.nodes[") + len(index) + 1:]
        nodes = data.get("nodes")
        node_id = None
        if index.isdigit() and isinstance(nodes, list) and int(index) < len(nodes):
            node = nodes[int(index)]
            node_id = node.get("id") if isinstance(node, dict) else None
        where = f"node {node_id!r}" if node_id else f"node number {int(index) + 1}"
        return f"{where}{(' field ' + rest.lstrip('.')) if rest else ''}: {text}"
    if path:
        return f"{path.removeprefix('$.') or 'the document'}: {text}"
    return text


def dump_yaml(script: Script) -> str:
    """The script as YAML, fields in the order they are declared, defaults left out."""
    data = _prune(msgspec.to_builtins(script))
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, [], {}, "")}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value
