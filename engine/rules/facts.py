"""What a condition reads, checked against the forms of the workflow that runs it (``orderloom validate``).

Three checks over conditions (transition and timer ``when``, and the conditions of the audit,
decision-table and routing files a transition names), each reported with the position of the offending
part:

* **Unknown fields.** ``order.<path>`` must name a field of the order's data: a property of the workflow's
  data form (walked through nested objects, array items, ``$ref``, ``allOf``/``anyOf``/``oneOf``), of its
  intake forms and transition forms (their data is merged into the order), a field the engine sets
  (``id``, ``state``, ``department``, ``channel``, ``workflow``), a field a plugin action declares it
  writes (``engine.plugins.writes``), or an output of a rule file on one of its transitions (routing's
  ``warehouse``, ``carrier``, ``split``; a decision table's outputs). ``data.<path>`` must name a field of
  the transition's own form; a transition without a form, and a timer, carry no data at all. Where the
  schema closes the object (``additionalProperties: false``, and always at the top of a transition form,
  whose undeclared fields are refused) the field can never be there: an error. Where the schema leaves it
  open, orders may still carry it: a warning. An object that declares no properties at all (``{"type":
  "object"}``) holds anything and is not judged.
* **Text compared with a number.** ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in`` and ``not in``
  between a value that is certainly text (``type: string``, or an ``enum``/``const`` of text) and one that
  is certainly a number (``number``/``integer``): ordering them fails at run time, ``==`` is always false.
  ``None`` on either side is allowed (a nullable field). Decision-table cells are checked against the type
  of their input's expression.
* **A value the field never takes** (a warning). ``==``, ``!=``, ``in`` and ``not in`` between a field
  whose every value is listed (an ``enum``/``const`` in every schema of it; ``order.channel``: the
  workflow's ``channels``, or none) and a literal that is not one of them: ``==`` is always false.

The expression is parsed with :mod:`ast` exactly as ``engine.rules.expr`` parses it, only when
``engine.rules.expr.check`` accepts it; nothing is ever evaluated.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from engine.common.json_path import child_path
from engine.common.suggest import did_you_mean, near_miss
from engine.common.text import Text
from engine.common.words import words_of
from engine.errors import Severity, Worded
from engine.rules.expr import _constant_key  # an index node's int or str constant, the checker's own reading
from engine.rules.expr import check as check_expression
from engine.rules.tables import CellError, parse_cell

__all__ = [
    "ENGINE_FIELDS",
    "Finding",
    "Root",
    "check_condition",
    "check_ruleset",
    "data_root",
    "no_data",
    "order_root",
    "ruleset_outputs",
]

UNKNOWN_FIELD = "unknown-field"
TYPE_MISMATCH = "type-mismatch"
NEVER_VALUE = "never-value"

# Fields the engine puts beside the order's data when it evaluates a condition (engine.runtime.Engine._env).
ENGINE_FIELDS: Mapping[str, Mapping[str, Any]] = {
    "id": {"type": "integer"},
    "state": {"type": "string"},
    "department": {"type": "string"},
    "channel": {"type": ["string", "null"]},
    "workflow": {"type": "string"},
}
# What a routing decision writes into the order's data (engine.rules.routing; ``scores`` stays in the audit).
ROUTING_OUTPUTS: Mapping[str, Mapping[str, Any]] = {
    "warehouse": {"type": ["string", "null"]},
    "carrier": {"type": ["string", "null"]},
    "split": {
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "warehouse": {"type": "string"},
                "lines": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"sku": {"type": "string"}, "qty": {"type": "number"}},
                    },
                },
            },
        },
    },
}
DECISION_ONLY = frozenset({"outcome", "scores"})  # outputs kept in the audit event, never order data
_MAX_REF_DEPTH = 16
_SHOWN_NAMES = 12
_CELL_INPUT = "cell_input"  # the name a decision-table cell's operand is written as while it is checked
_NO_SOURCE = Text("", "")  # what says which values a field takes, when nothing does


@dataclass(frozen=True)
class Finding(Worded):
    """One problem in one condition; ``column`` is 1-based within the condition's text as written.

    ``words`` says what is wrong in Chinese and English and ``hint_words`` how to put it right, as a
    :class:`~engine.errors.Problem` carries them; :attr:`text` and :attr:`hint` are their English.
    ``suggestion`` is the field most likely meant, for a near miss; :meth:`message_in` renders it."""

    words: Text
    column: int
    hint_words: Text | None
    code: str
    severity: Severity = Severity.ERROR
    suggestion: str | None = None


# --------------------------------------------------------------------------------------------------
# Schemas as sets of candidates


@dataclass(frozen=True)
class _Candidate:
    """A (sub)schema that may describe a value, with the form it comes from (for $ref and messages)."""

    form: Text  # the form's path, or what wrote the field ("the engine", "action inventory.reserve", ...)
    root: Any  # the whole schema document, where ``$ref`` looks
    schema: Any
    declared_only: bool = False  # the top of a transition form: only its declared properties get through

    def child(self, schema: Any) -> _Candidate:
        return _Candidate(self.form, self.root, schema)


@dataclass(frozen=True)
class _Node:
    """What a value may be: its candidate schemas, and (at the top of the order) fields written by name."""

    candidates: tuple[_Candidate, ...] = ()
    named: Mapping[str, tuple[_Candidate, ...]] = field(default_factory=dict)
    absent: Text | None = None  # why this value never holds anything (a transition without a form)
    absent_hint: Text | None = None  # what to read instead, ``{name}`` standing for the field read


@dataclass(frozen=True)
class _Value:
    """What static analysis knows of a value: its JSON kinds (None: unknown), how it is written, and the
    node to resolve its fields on (None when they cannot be judged)."""

    kinds: frozenset[str] | None
    shown: str = ""  # the path (order.customer.name) or literal (5) as written
    node: _Node | None = None
    detail: str = ""  # the schema's words: "type: string", "format: date-time", "enum: 'a', 'b'"
    items: _Value | None = None  # list literals and pluck(): what the elements are
    literal: bool = False
    value: Any = None  # a literal's value
    # every value it can take, when the schemas say (enum, const), and what says so; None: not known
    values: tuple[Any, ...] | None = None
    values_from: Text = _NO_SOURCE
    label: Text | None = None  # how a message names the value, when not by ``shown`` (a table's input)


_UNKNOWN = _Value(None)
_BOOLEAN = _Value(frozenset({"boolean"}))
_NUMBER = _Value(frozenset({"number"}))
_TEXT = _Value(frozenset({"string", "null"}))


@dataclass(frozen=True)
class Root:
    """What ``order`` or ``data`` holds in one condition (:func:`order_root`, :func:`data_root`)."""

    value: _Value
    noun: Text  # "the order", "the form of transition 'pay'"


def _ref(root: Any, ref: Any) -> Any:
    """The target of a local ``$ref`` (``#/$defs/x``, a JSON pointer), or None when it cannot be followed."""
    if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")):
        return None  # another document, or an anchor (#name): not followed
    target = root
    for part in ref[2:].split("/") if ref != "#" else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(target, Mapping) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            return None
    return target


_COMBINATORS = ("$ref", "allOf", "anyOf", "oneOf", "if", "then", "else", "dependentSchemas")
_STRUCTURE = ("properties", "patternProperties", "additionalProperties", "unevaluatedProperties", "items")


def _expand(candidate: _Candidate, depth: int = 0) -> list[_Candidate]:
    """The leaf schemas a candidate stands for: ``$ref`` followed, combinators flattened (as alternatives:
    a field declared by any branch is known, and an object is closed only where every branch closes it),
    the parts of a conditional (``if``/``then``/``else``, ``dependentSchemas``) that declare fields among
    them. A ``$ref`` that cannot be followed leaves the value unjudged (the leaf ``true``)."""
    schema = candidate.schema
    if depth > _MAX_REF_DEPTH:
        return [candidate.child(True)]
    if not isinstance(schema, Mapping) or not any(key in schema for key in _COMBINATORS):
        return [candidate]
    found: list[_Candidate] = []
    if "$ref" in schema:
        target = _ref(candidate.root, schema["$ref"])
        found.extend(_expand(candidate.child(True if target is None else target), depth + 1))
    for key in ("allOf", "anyOf", "oneOf"):
        branches = schema.get(key)
        for branch in branches if isinstance(branches, list) else []:
            found.extend(_expand(candidate.child(branch), depth + 1))
    # A conditional's parts are alternatives where they declare fields (a field a ``then`` adds is known);
    # a part that only constrains (``required``, ``minimum``, …) adds nothing and judges nothing.
    # Where the object itself is closed, a part cannot open it: its fields are known, the rest refused.
    dependent = schema.get("dependentSchemas")
    parts = [schema.get(key) for key in ("if", "then", "else")]
    parts += list(dependent.values()) if isinstance(dependent, Mapping) else []
    closed = schema.get("additionalProperties") is False or schema.get("unevaluatedProperties") is False
    for part in parts:
        if isinstance(part, Mapping) and any(key in part for key in (*_STRUCTURE, *_COMBINATORS)):
            shut = {**part, "additionalProperties": False} if closed else part
            found.extend(_expand(replace(candidate, schema=shut), depth + 1))
    base = {key: value for key, value in schema.items() if key not in _COMBINATORS}
    if any(key in base for key in _STRUCTURE) or not found:
        found.append(replace(candidate, schema=base))
        return found
    # A base that only types the value ({"type": "string", "allOf": [...]}) types its branches.
    typed = {key: base[key] for key in ("type", "enum", "const", "format") if key in base}
    return [c.child({**typed, **c.schema}) if isinstance(c.schema, Mapping) else c for c in found]


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    return "object"


def _kinds(schema: Any) -> frozenset[str] | None:
    """The JSON kinds a schema allows (``integer`` is a number); None when it does not say."""
    if not isinstance(schema, Mapping):
        return None
    declared = schema.get("type")
    if isinstance(declared, str):
        names = [declared]
    elif isinstance(declared, list) and all(isinstance(t, str) for t in declared):
        names = list(declared)
    elif "const" in schema:
        return frozenset({_kind_of(schema["const"])})
    elif isinstance(schema.get("enum"), list) and schema["enum"]:
        return frozenset(_kind_of(v) for v in schema["enum"])
    else:
        return None
    return frozenset("number" if name == "integer" else name for name in names)


def _detail(schema: Any) -> str:
    if not isinstance(schema, Mapping):
        return ""
    parts = []
    declared = schema.get("type")
    if isinstance(declared, str):
        parts.append(f"type: {declared}")
    elif isinstance(declared, list):
        parts.append(f"type: [{', '.join(map(str, declared))}]")
    if isinstance(schema.get("format"), str):
        parts.append(f"format: {schema['format']}")
    if "const" in schema:
        parts.append(f"const: {schema['const']!r}")
    elif isinstance(schema.get("enum"), list):
        values = schema["enum"]
        shown = ", ".join(repr(v) for v in values[:4]) + (", …" if len(values) > 4 else "")
        parts.append(f"enum: {shown}")
    return ", ".join(parts)


def _union(candidates: Sequence[_Candidate]) -> tuple[frozenset[str] | None, str]:
    """The kinds every leaf of ``candidates`` allows together (None if any does not say), and a detail."""
    kinds: set[str] = set()
    detail = ""
    for candidate in candidates:
        for leaf in _expand(candidate):
            found = _kinds(leaf.schema)
            if found is None:
                return None, ""
            kinds |= found
            detail = detail or _detail(leaf.schema)
    return (frozenset(kinds) if candidates else None), detail


def _value(candidates: Sequence[_Candidate], shown: str) -> _Value:
    if not candidates:
        return replace(_UNKNOWN, shown=shown)
    kinds, detail = _union(candidates)
    values, by = _values(candidates)
    return _Value(kinds, shown, _Node(tuple(candidates)), detail, values=values, values_from=by)


def _values(candidates: Sequence[_Candidate]) -> tuple[tuple[Any, ...] | None, Text]:
    """Every value ``candidates`` allow, when each of their leaves lists them (``enum`` or ``const``),
    with the forms (or what else) that say so; (None, "") when any leaf leaves the value open."""
    found: list[Any] = []
    sources: list[Text] = []
    for candidate in candidates:
        for leaf in _expand(candidate):
            schema = leaf.schema
            if not isinstance(schema, Mapping):
                return None, _NO_SOURCE
            if "const" in schema:
                allowed = [schema["const"]]
            elif isinstance(schema.get("enum"), list):
                allowed = list(schema["enum"])
            else:
                return None, _NO_SOURCE
            found.extend(value for value in allowed if value not in found)
            sources.append(leaf.form)
    if not candidates:
        return None, _NO_SOURCE
    unique = list(dict.fromkeys(sources))
    return tuple(found), Text("、".join(s.zh for s in unique), ", ".join(s.en for s in unique))


def _join(names: Iterable[str]) -> Text:
    unique = list(dict.fromkeys(names))
    if not unique:
        return Text("无", "none")
    more = len(unique) > _SHOWN_NAMES
    shown = unique[:_SHOWN_NAMES]
    return Text("、".join(shown) + ("……" if more else ""), ", ".join(shown) + (", …" if more else ""))


# --------------------------------------------------------------------------------------------------
# Roots


def _words_of(text: Text | str) -> Text:
    """``text`` in both languages: a path (a form's, a rule file's) is the same in each."""
    if isinstance(text, Text):
        return text
    return Text(text, text)


_THE_ENGINE = Text("引擎", "the engine")
_THE_CHANNELS = Text("工作流的渠道", "the workflow's channels")


def order_root(
    data_form: tuple[str, Mapping[str, Any]],
    other_forms: Sequence[tuple[str, Mapping[str, Any]]] = (),
    written: Mapping[str, Sequence[tuple[Text | str, Mapping[str, Any]]]] | None = None,
    channels: Sequence[str] | None = None,
) -> Root:
    """``order`` of a workflow: its data form (whose top decides whether an undeclared field is an error),
    the declared fields of its intake and transition forms, the engine's fields, and ``written``: field ->
    (what writes it, its schema) for plugin actions and rule outputs; what writes it is a path (a rule
    file's) or its words in both languages (``Text("动作 inventory.reserve", "action
    inventory.reserve")``). ``channels``: the workflow's ``channels`` (an order comes from one of them,
    or from none), when known."""
    path, schema = data_form
    candidates = [_Candidate(Text(path, path), schema, schema)]
    candidates += [_Candidate(Text(p, p), s, s, declared_only=True) for p, s in other_forms]
    named: dict[str, tuple[_Candidate, ...]] = {
        name: (_Candidate(_THE_ENGINE, field_schema, field_schema),)
        for name, field_schema in ENGINE_FIELDS.items()
    }
    if channels is not None:
        listed = {**ENGINE_FIELDS["channel"], "enum": [*channels, None]}
        named["channel"] = (_Candidate(_THE_CHANNELS, listed, listed),)
    for name, writers in (written or {}).items():
        named[name] = named.get(name, ()) + tuple(_Candidate(_words_of(by), s, s) for by, s in writers)
    node = _Node(tuple(candidates), named)
    return Root(_Value(frozenset({"object"}), "order", node), Text("订单", "the order"))


def data_root(form: tuple[str, Mapping[str, Any]], trigger: str) -> Root:
    """``data`` of transition ``trigger``: only the top-level fields its form declares are ever sent."""
    path, schema = form
    node = _Node((_Candidate(Text(path, path), schema, schema, declared_only=True),))
    return Root(
        _Value(frozenset({"object"}), "data", node),
        Text(f"流转 {trigger!r} 的表单", f"the form of transition {trigger!r}"),
    )


def no_data(why: Text, hint: Text) -> Root:
    """``data`` where nothing is ever sent (a transition without a form, a timer): ``why`` says so and
    ``hint`` (with ``{name}`` for the field read) says what to do instead, each in zh and en."""
    node = _Node(absent=why, absent_hint=hint)
    return Root(_Value(frozenset({"object"}), "data", node), Text("data", "data"))


def ruleset_outputs(doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The fields a rule file's decision writes into the order's data, each with a schema of its values."""
    kind = doc.get("kind")
    if kind == "routing":
        return dict(ROUTING_OUTPUTS)
    if kind != "decision_table":
        return {}
    outputs = [o for o in doc.get("outputs") or [] if isinstance(o, str) and o not in DECISION_ONLY]
    raw_aggregation = doc.get("aggregation")
    aggregation: Mapping[str, Any] = raw_aggregation if isinstance(raw_aggregation, Mapping) else {}
    rows = [r for r in doc.get("rules") or [] if isinstance(r, Mapping)]
    raw_defaults = doc.get("default_outputs")
    defaults: Mapping[str, Any] = raw_defaults if isinstance(raw_defaults, Mapping) else {}
    found: dict[str, Mapping[str, Any]] = {}
    for name in outputs:
        if doc.get("hit_policy") == "collect":
            how = aggregation.get(name)
            found[name] = (
                {"type": "array"}
                if how is None
                else {"type": "number"}
                if how in ("sum", "count")
                else {"type": ["number", "null"]}
            )
            continue
        values = [r["then"][name] for r in rows if isinstance(r.get("then"), Mapping) and name in r["then"]]
        values.append(defaults.get(name))  # absent from the defaults: None when no row matches
        found[name] = {"type": sorted({_kind_of(v) for v in values})}
    return found


# --------------------------------------------------------------------------------------------------
# Resolving one step of a path


def _items_of(shown: str) -> Text:
    return Text(f"{shown} 的元素", f"the items of {shown}")


def _describe_parent(value: _Value, root_nouns: Mapping[str, Text]) -> Text:
    if value.shown.endswith("[*]"):
        return _items_of(value.shown[:-3])
    return root_nouns.get(value.shown, Text(value.shown, value.shown))


class _Analysis:
    """Walks one parsed condition: resolves every path on ``order``/``data`` and infers types."""

    def __init__(
        self, body: str, lead: int, roots: Mapping[str, Root], bindings: Mapping[str, _Value]
    ) -> None:
        self.encoded = body.encode("utf-8")
        self.lead = lead
        self.roots = roots
        self.bindings = bindings
        self.nouns = {name: root.noun for name, root in roots.items()}
        self.findings: list[Finding] = []

    # positions
    def _char(self, byte_offset: int) -> int:
        return len(self.encoded[:byte_offset].decode("utf-8", errors="ignore"))

    def column(self, node: ast.AST) -> int:
        return self.lead + self._char(getattr(node, "col_offset", 0)) + 1

    def attr_column(self, node: ast.Attribute) -> int:
        end = getattr(node, "end_col_offset", None) or 0
        return self.lead + self._char(end) + 1 - len(node.attr)

    def source(self, node: ast.AST) -> str:
        start = getattr(node, "col_offset", 0)
        end = getattr(node, "end_col_offset", None) or start
        return self.encoded[start:end].decode("utf-8", errors="replace")

    def add(
        self,
        words: Text,
        column: int,
        hint: Text | None,
        code: str,
        severity: Severity = Severity.ERROR,
        suggestion: str | None = None,
    ) -> None:
        self.findings.append(Finding(words, column, hint, code, severity, suggestion))

    # paths
    def field(self, value: _Value, name: str, column: int) -> _Value:
        """``value.name``: the field's value, or a finding and an unknown value."""
        node = value.node
        shown = f"{value.shown}.{name}" if re.fullmatch(r"[A-Za-z_]\w*", name) else f"{value.shown}[{name!r}]"
        if node is None:
            return replace(_UNKNOWN, shown=shown)
        parent = _describe_parent(value, self.nouns)
        if node.absent is not None:
            hint = node.absent_hint
            self.add(
                Text(
                    f"{shown!r} 总是缺失：{node.absent.zh}", f"{shown!r} is always missing: {node.absent.en}"
                ),
                column,
                None
                if hint is None
                else Text(hint.zh.replace("{name}", name), hint.en.replace("{name}", name)),
                UNKNOWN_FIELD,
            )
            return replace(_UNKNOWN, shown=shown)
        children: list[_Candidate] = []
        closed: list[_Candidate] = []
        open_: list[_Candidate] = []
        not_objects: list[frozenset[str]] = []
        names: list[str] = []
        free = False
        for candidate in node.candidates:
            for leaf in _expand(candidate):
                schema = leaf.schema
                if schema is True:
                    free = True
                    continue
                if not isinstance(schema, Mapping):
                    continue  # ``false``: nothing is valid here
                kinds = _kinds(schema)
                properties = schema.get("properties")
                properties = properties if isinstance(properties, Mapping) else {}
                names.extend(str(key) for key in properties)
                if kinds is not None and "object" not in kinds and not properties:
                    not_objects.append(kinds)
                    continue
                if name in properties:
                    children.append(leaf.child(properties[name]))
                    continue
                patterns = schema.get("patternProperties")
                matched = [
                    leaf.child(sub)
                    for pattern, sub in (patterns.items() if isinstance(patterns, Mapping) else [])
                    if _search(pattern, name)
                ]
                if matched:
                    children.extend(matched)
                    continue
                additional = schema.get("additionalProperties", True)
                if leaf.declared_only or additional is False or schema.get("unevaluatedProperties") is False:
                    closed.append(leaf)
                elif isinstance(additional, Mapping) and additional:
                    children.append(leaf.child(additional))
                elif properties or patterns:
                    open_.append(leaf)
                else:
                    free = True  # an object that declares nothing: anything may be in it
        written = list(node.named.get(name, ()))
        names.extend(node.named)
        if free:
            return replace(_UNKNOWN, shown=shown)
        if children or written:
            found = _value(children or written, shown)
            if children and written:  # a declared field that something also writes: both shapes apply
                kinds, _ = _union(written)
                if found.kinds is not None and kinds is not None:
                    found = replace(found, kinds=found.kinds | kinds)
                values, by = _values(children + written)
                found = replace(found, node=_Node(tuple(children + written)), values=values, values_from=by)
            return found
        suggestion = near_miss(name, [n for n in names if n != name])
        if not_objects and not open_ and not closed:
            if all(
                kinds == frozenset({"array"}) or kinds == frozenset({"array", "null"})
                for kinds in not_objects
            ):
                self.add(
                    Text(
                        f"{shown!r} 总是缺失：{value.shown} 是列表，不是记录",
                        f"{shown!r} is always missing: {value.shown} is a list, not a record",
                    ),
                    column,
                    Text(
                        f"请读取其中一个元素（{value.shown}[0].{name}）或每个元素"
                        f'（pluck({value.shown}, "{name}")）',
                        f"read one element ({value.shown}[0].{name}) or every element "
                        f'(pluck({value.shown}, "{name}"))',
                    ),
                    UNKNOWN_FIELD,
                )
            else:
                kind_words = sorted(
                    (_KIND_WORDS.get(k, Text(k, k)) for k in set().union(*not_objects)), key=lambda t: t.en
                )
                is_zh = "或".join(k.zh for k in kind_words)
                is_zh = " " + is_zh if is_zh[:1].isascii() else is_zh  # 是 true/false, 是数字
                is_en = " or ".join(k.en for k in kind_words)
                self.add(
                    Text(
                        f"{shown!r} 总是缺失：{value.shown} 是{is_zh}，不是记录",
                        f"{shown!r} is always missing: {value.shown} is {is_en}, not a record",
                    ),
                    column,
                    Text(
                        f"请直接读取 {value.shown}，或读取某个记录的字段",
                        f"read {value.shown} itself, or a field of a record",
                    ),
                    UNKNOWN_FIELD,
                )
            return replace(_UNKNOWN, shown=shown)
        if not open_ and not closed:
            return replace(_UNKNOWN, shown=shown)
        known = _join(names)
        verb = "have" if parent.en.startswith("the items of") else "has"
        message = Text(
            f"未知字段 {shown!r}：{_sp(parent.zh)}没有 {name!r}",
            f"unknown field {shown!r}: {parent.en} {verb} no {name!r}",
        )
        if open_:
            form = open_[0].form
            if value.shown == "order":
                hint = Text(
                    f"{form.zh} 没有声明它（订单允许有其他字段），"
                    "工作流的其他表单、动作和规则输出也都不写入它；"
                    f"如果订单有这个字段，请在 {form.zh} 中声明",
                    f"{form.en} does not declare it (the order is open to other fields) and no other form, "
                    "action or rule output of the workflow writes it; "
                    f"declare it in {form.en} if orders have it",
                )
            else:
                hint = Text(
                    f"{form.zh} 没有在 {value.shown} 中声明它，而 {value.shown} 允许有其他字段"
                    f"（已声明：{known.zh}）；如果订单带有这个字段，请在那里声明",
                    f"{form.en} does not declare it in {value.shown}, which it leaves open "
                    f"(declared: {known.en}); declare it there if orders carry it",
                )
            self.add(message, column, hint, UNKNOWN_FIELD, Severity.WARNING, suggestion)
        else:
            form = closed[0].form
            if closed[0].declared_only:
                hint = Text(
                    f"只会提交 {form.zh} 声明的字段：{known.zh}",
                    f"only the fields {form.en} declares are sent: {known.en}",
                )
            else:
                if value.shown == "order":
                    where = Text("订单", "the order")
                elif value.shown.endswith("[*]"):
                    where = _items_of(value.shown[:-3])
                else:
                    where = Text(value.shown, value.shown)
                hint = Text(
                    f"{form.zh} 不允许{_spaced(where.zh)}有其他字段（additionalProperties: false）；"
                    f"它的字段：{known.zh}",
                    f"{form.en} closes {where.en} (additionalProperties: false); its fields: {known.en}",
                )
            self.add(message, column, hint, UNKNOWN_FIELD, suggestion=suggestion)
        return replace(_UNKNOWN, shown=shown)

    def element(self, value: _Value, index: int | None) -> _Value:
        """An element of a list value (``index`` None: any element, as ``pluck`` reads them)."""
        shown = f"{value.shown}[{'*' if index is None else index}]"
        if value.items is not None:
            return replace(value.items, shown=shown)
        node = value.node
        if node is None or node.absent is not None:
            return replace(_UNKNOWN, shown=shown)
        children: list[_Candidate] = []
        for candidate in node.candidates:
            for leaf in _expand(candidate):
                schema = leaf.schema
                if not isinstance(schema, Mapping):
                    return replace(_UNKNOWN, shown=shown)
                kinds = _kinds(schema)
                if kinds is not None and "array" not in kinds:
                    continue
                prefix = schema.get("prefixItems")
                if index is not None and isinstance(prefix, list) and 0 <= index < len(prefix):
                    children.append(leaf.child(prefix[index]))
                elif isinstance(schema.get("items"), Mapping) and schema["items"]:
                    children.append(leaf.child(schema["items"]))
                else:
                    return replace(_UNKNOWN, shown=shown)
        return _value(children, shown)

    # inference
    def infer(self, node: ast.AST) -> _Value:
        if isinstance(node, ast.Constant):
            return _Value(
                frozenset({_kind_of(node.value)}), self.source(node), literal=True, value=node.value
            )
        if isinstance(node, ast.Name):
            if node.id in self.bindings:
                return self.bindings[node.id]
            root = self.roots.get(node.id)
            return root.value if root is not None else replace(_UNKNOWN, shown=node.id)
        if isinstance(node, ast.Attribute):
            return self.field(self.infer(node.value), node.attr, self.attr_column(node))
        if isinstance(node, ast.Subscript):
            base = self.infer(node.value)
            key = _constant_key(node.slice)
            if isinstance(key, str):
                return self.field(base, key, self.column(node.slice) + 1)
            if isinstance(key, int):
                return self.element(base, key)
            return replace(_UNKNOWN, shown=self.source(node))
        if isinstance(node, ast.BoolOp):
            for part in node.values:
                self.infer(part)
            return _BOOLEAN
        if isinstance(node, ast.UnaryOp):
            operand = self.infer(node.operand)
            if isinstance(node.op, ast.Not):
                return _BOOLEAN
            if operand.kinds == frozenset({"number"}):
                literal = operand.literal and isinstance(operand.value, int | float)
                value = -operand.value if literal and isinstance(node.op, ast.USub) else operand.value
                return _Value(operand.kinds, self.source(node), literal=literal, value=value)
            return replace(_UNKNOWN, shown=self.source(node))
        if isinstance(node, ast.BinOp):
            left, right = self.infer(node.left), self.infer(node.right)
            shown = self.source(node)
            if _only(left, "number") and _only(right, "number"):
                return replace(_NUMBER, shown=shown)
            if isinstance(node.op, ast.Add) and _only(left, "string") and _only(right, "string"):
                return _Value(frozenset({"string"}), shown)
            return replace(_UNKNOWN, shown=shown)
        if isinstance(node, ast.Compare):
            self.compare(node)
            return _BOOLEAN
        if isinstance(node, ast.List | ast.Tuple):
            elements = [self.infer(e) for e in node.elts]
            items = _common(elements)
            return _Value(frozenset({"array"}), self.source(node), items=items, literal=True)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.ListComp | ast.GeneratorExp) and isinstance(
            node.generators[0].target, ast.Name
        ):
            return self.comprehension(node)
        for child in ast.iter_child_nodes(node):
            self.infer(child)
        return replace(_UNKNOWN, shown=self.source(node))

    def comprehension(self, node: ast.ListComp | ast.GeneratorExp) -> _Value:
        """``[l.qty for l in order.lines if ...]``: the name stands for any element of the list while its
        ``if`` and its element are judged (``l.qyt`` is reported as ``order.lines[*].qyt`` is)."""
        generator = node.generators[0]
        assert isinstance(generator.target, ast.Name)
        each = self.element(self.infer(generator.iter), None)
        outer = self.bindings
        self.bindings = {**outer, generator.target.id: replace(each, shown=generator.target.id)}
        try:
            for condition in generator.ifs:
                self.infer(condition)
            item = self.infer(node.elt)
        finally:
            self.bindings = outer
        return _Value(frozenset({"array"}), self.source(node), items=item)

    def call(self, node: ast.Call) -> _Value:
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        shown = self.source(node)
        if name == "pluck" and len(node.args) == 2:
            values = self.infer(node.args[0])
            key = node.args[1]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                each = self.field(self.element(values, None), key.value, self.column(key) + 1)
                return _Value(frozenset({"array"}), shown, items=each)
            self.infer(key)
            return _Value(frozenset({"array"}), shown)
        args = [self.infer(arg) for arg in node.args]
        if name in ("len", "count", "sum", "abs", "round"):
            return replace(_NUMBER, shown=shown)
        if name in ("days_since", "hours_since", "minutes_since"):
            return _Value(frozenset({"number", "null"}), shown)
        if name in ("lower", "upper"):
            return replace(_TEXT, shown=shown)
        if name in ("startswith", "endswith", "contains", "any", "all"):
            return _BOOLEAN
        if name in ("min", "max") and args:
            pool = [args[0].items or _UNKNOWN] if len(args) == 1 else args
            found = _common(pool)
            if found is not None and found.kinds is not None:
                return _Value(found.kinds | {"null"}, shown, found.node, found.detail)
        return replace(_UNKNOWN, shown=shown)

    def compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        values = [self.infer(operand) for operand in operands]
        for position, op in enumerate(node.ops):
            left, right = values[position], values[position + 1]
            at = self.column(operands[position])
            if isinstance(op, ast.In | ast.NotIn):
                before = len(self.findings)
                self.membership(op, left, right, at)
                if len(self.findings) == before:  # not when text is looked for among numbers already
                    self.never_among(op, left, operands[position + 1])
            elif not isinstance(op, ast.Is | ast.IsNot):
                if not _mismatched(left, right) and isinstance(op, ast.Eq | ast.NotEq):
                    self.never(op, (left, at), (right, self.column(operands[position + 1])))
                self.pair(op, left, right, at)

    def never(self, op: ast.cmpop, *sides: tuple[_Value, int]) -> None:
        """``field == literal`` (or ``!=``) where the field can never hold the literal: its schemas
        list every value it takes (an ``enum``, the workflow's channels) and the literal is not one."""
        for (field_value, _), (literal, at) in (sides, sides[::-1]):
            impossible = _impossible(field_value, [literal.value] if literal.literal else [])
            if not impossible:
                continue
            always = "false" if isinstance(op, ast.Eq) else "true"
            takes = _takes(field_value)
            symbol = _SYMBOLS[type(op)]
            self.add(
                Text(
                    f"{field_value.shown} 不会是 {literal.shown}：{takes.zh}，所以 '{symbol}' 总是 {always}",
                    f"{field_value.shown} is never {literal.shown}: {takes.en}, "
                    f"so '{symbol}' is always {always}",
                ),
                at,
                _never_hint(field_value, impossible),
                NEVER_VALUE,
                Severity.WARNING,
            )
            return

    def never_among(self, op: ast.cmpop, item: _Value, container: ast.AST) -> None:
        """``field in [...]`` listing values the field never takes (as :meth:`never`)."""
        if not isinstance(container, ast.List | ast.Tuple):
            return
        constants = [e for e in container.elts if isinstance(e, ast.Constant)]
        impossible = _impossible(item, [e.value for e in constants])
        if not impossible:
            return
        first = next(e for e in constants if e.value in impossible)
        listed = [self.source(e) for e in constants if e.value in impossible]
        shown = ", ".join(listed)
        effect = Text("", "")
        if len(impossible) == len(container.elts):
            symbol = _SYMBOLS[type(op)]
            always = "false" if isinstance(op, ast.In) else "true"
            effect = Text(f"，所以 '{symbol}' 总是 {always}", f", so '{symbol}' is always {always}")
        takes = _takes(item)
        self.add(
            Text(
                f"{item.shown} 不会是 {'、'.join(listed)}：{takes.zh}{effect.zh}",
                f"{item.shown} is never {shown}: {takes.en}{effect.en}",
            ),
            self.column(first),
            _never_hint(item, impossible),
            NEVER_VALUE,
            Severity.WARNING,
        )

    def pair(self, op: ast.cmpop, left: _Value, right: _Value, at: int) -> None:
        if not _mismatched(left, right):
            return
        symbol = _SYMBOLS[type(op)]
        if isinstance(op, ast.Eq | ast.NotEq):
            always = "false" if symbol == "==" else "true"
            effect = Text(
                f"文本与数字之间的 '{symbol}' 总是 {always}",
                f"'{symbol}' between text and a number is always {always}",
            )
        else:
            effect = Text(
                f"'{symbol}' 不能比较文本与数字的大小，因此条件无法求值",
                f"'{symbol}' cannot order text and a number, so the condition cannot be evaluated",
            )
        text, number = (left, right) if _only(left, "string") else (right, left)
        a, b = _words(left), _words(right)
        self.add(
            Text(
                f"{_sp(a.zh)}与{_spaced(b.zh)}相比较：{effect.zh}",
                f"{a.en} is compared with {b.en}: {effect.en}",
            ),
            at,
            _hint(text, number),
            TYPE_MISMATCH,
        )

    def membership(self, op: ast.cmpop, item: _Value, container: _Value, at: int) -> None:
        symbol = _SYMBOLS[type(op)]
        if _only(container, "string") and _only(item, "number"):
            wanted, inside = _words(item), _words(container)
            self.add(
                Text(
                    f"在{_spaced(inside.zh)}中查找{_spaced(wanted.zh)}："
                    f"'{symbol}' 不能在文本中查找数字，因此条件无法求值",
                    f"{wanted.en} is looked for in {inside.en}: "
                    f"'{symbol}' cannot look for a number inside text, so the condition cannot be evaluated",
                ),
                at,
                _hint(container, item),
                TYPE_MISMATCH,
            )
            return
        elements = container.items
        if elements is None or not _mismatched(item, elements):
            return
        among_text = _only(elements, "string")
        kind = Text("文本", "text") if among_text else Text("数字", "numbers")
        never = (
            Text("在文本中找到数字", "a number among text")
            if among_text
            else Text("在数字中找到文本", "text among numbers")
        )
        wanted = _words(item)
        self.add(
            Text(
                f"在 {container.shown}（{kind.zh}）中查找{_spaced(wanted.zh)}：'{symbol}' 永远不会{never.zh}",
                f"{wanted.en} is looked for among {container.shown} ({kind.en}): "
                f"'{symbol}' never finds {never.en}",
            ),
            at,
            _hint(*((item, elements) if _only(item, "string") else (elements, item))),
            TYPE_MISMATCH,
        )


_SYMBOLS: Mapping[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
_KIND_WORDS: Mapping[str, Text] = words_of("rules.kind")


def _impossible(field_value: _Value, literals: Sequence[Any]) -> list[Any]:
    """The literals (text, numbers, true/false) ``field_value`` never holds, as its schemas list what it
    holds. None is never judged: a field that is not there reads as None."""
    if field_value.values is None or field_value.literal:
        return []
    return [
        literal
        for literal in literals
        if literal is not None
        and isinstance(literal, str | int | float | bool)
        and not any(_same_value(value, literal) for value in field_value.values)
    ]


def _same_value(a: Any, b: Any) -> bool:
    """Equal as the condition language compares them: numbers by value, true/false apart from 1/0."""
    return bool(a == b) and (type(a) is type(b) or _both_numbers(a, b))


def _both_numbers(a: Any, b: Any) -> bool:
    return all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, b))


def _takes(field_value: _Value) -> Text:
    values = field_value.values or ()
    shown_zh = "、".join("空" if v is None else repr(v) for v in values)
    shown = ", ".join("none" if v is None else repr(v) for v in values)
    source = field_value.values_from
    return Text(f"它只会是 {_sp(shown_zh)}之一（{source.zh}）", f"it is one of {shown} ({source.en})")


def _never_hint(field_value: _Value, impossible: Sequence[Any]) -> Text:
    texts = [str(v) for v in field_value.values or () if isinstance(v, str)]
    near = [
        Text(
            f"{value!r}：{did_you_mean(value, texts, lang='zh').removeprefix('；')}",
            f"{value!r}: {suggestion.removeprefix('; ')}",
        )
        for value in impossible
        if isinstance(value, str) and (suggestion := did_you_mean(value, texts))
    ]
    advice = Text(
        "请与它可能取的值比较，或用其他字段区分订单（order.workflow 是订单运行的工作流）",
        "compare with a value it can hold, or tell the orders apart by another field (order.workflow "
        "names the workflow an order runs)",
    )
    zh = "".join(p.zh if p.zh.endswith("？") else f"{p.zh}；" for p in near)
    return Text(zh + advice.zh, "; ".join(p.en for p in [*near, advice]))


def _search(pattern: Any, name: str) -> bool:
    try:
        return isinstance(pattern, str) and re.search(pattern, name) is not None
    except re.error:
        return True  # a pattern we cannot read: do not claim the field is unknown


def _only(value: _Value, kind: str) -> bool:
    """Whether the value is certainly ``kind`` or missing (its known kinds, without null, are just it)."""
    return value.kinds is not None and value.kinds - {"null"} == {kind}


def _mismatched(a: _Value, b: _Value) -> bool:
    return (_only(a, "string") and _only(b, "number")) or (_only(a, "number") and _only(b, "string"))


def _common(values: Sequence[_Value]) -> _Value | None:
    """One value standing for all of ``values`` when they share their kinds (list elements, min/max)."""
    if not values or any(v.kinds is None for v in values):
        return None
    kinds = frozenset().union(*(v.kinds or frozenset() for v in values))
    first = values[0]
    literal = all(v.literal for v in values)
    node = first.node if len(values) == 1 else None
    return _Value(kinds, first.shown, node, first.detail, literal=literal, value=first.value)


def _shown(value: _Value) -> Text:
    """How a message names ``value``: as written, or by its label (a decision table's input)."""
    return value.label if value.label is not None else Text(value.shown, value.shown)


def _words(value: _Value) -> Text:
    kind = _KIND_WORDS["string"] if _only(value, "string") else _KIND_WORDS["number"]
    shown = _shown(value)
    if value.literal:
        return Text(f"{shown.zh}（{kind.zh}）", f"{shown.en} ({kind.en})")
    detail_zh = f"；{value.detail}" if value.detail else ""
    detail = f"; {value.detail}" if value.detail else ""
    return Text(f"{shown.zh}（{kind.zh}{detail_zh}）", f"{shown.en} ({kind.en}{detail})")


def _hint(text: _Value, number: _Value) -> Text:
    """How to fix a comparison between ``text`` and ``number``."""
    text_shown, number_shown = _shown(text), _shown(number)
    if "format: date" in text.detail:
        return Text(
            f"{text_shown.zh} 是以文本写成的日期：请用 days_since({text.shown}) 与天数比较",
            f"{text_shown.en} is a date written as text: "
            f"compare days_since({text.shown}) with a number of days",
        )
    if number.literal:
        return Text(
            f"要与文本比较，请给数字加上引号（'{number.value}'），或用数字字段与 {number_shown.zh} 比较",
            f"quote the number to compare text ('{number.value}'), "
            f"or compare a number field with {number_shown.en}",
        )
    if text.literal:
        try:
            as_number = float(str(text.value))
        except ValueError:
            return Text(
                f"{number_shown.zh} 是数字：请与数字比较，或改为比较文本字段",
                f"{number_shown.en} is a number: compare it with a number, or compare a text field",
            )
        shown = int(as_number) if as_number.is_integer() else as_number
        return Text(
            f"请去掉数字的引号（{shown}），或用文本字段与 {text_shown.zh} 比较",
            f"write the number without quotes ({shown}), or compare a text field with {text_shown.en}",
        )
    return Text(
        "文本字段请与文本比较，数字字段请与数字比较",
        "compare a text field with text and a number field with a number",
    )


def _sp(zh: str) -> str:
    """``zh`` followed by the space Chinese text puts after a name or path (order.customer 没有), none
    after Chinese (订单没有)."""
    return zh + " " if zh and zh[-1].isascii() else zh


def _spaced(zh: str) -> str:
    """``zh`` between Chinese words: a space on a side where it starts or ends with a name or path."""
    return _sp(" " + zh if zh and zh[0].isascii() else zh)


# --------------------------------------------------------------------------------------------------
# Entry points


def _parsed(text: str) -> tuple[ast.Expression, str, int] | None:
    """The tree as ``engine.rules.expr`` parses it (blanks before, line breaks as spaces), or None."""
    if not isinstance(text, str) or check_expression(text):
        return None
    flat = text.replace("\r", " ").replace("\n", " ")
    body = flat.lstrip(" \t\f")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            tree = ast.parse(body, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return tree, body, len(flat) - len(body)


def check_condition(text: str, roots: Mapping[str, Root]) -> list[Finding]:
    """Unknown fields and text-with-number comparisons in one condition; ``roots`` holds ``order`` and
    ``data`` where they can be judged (leave a name out to read it unchecked). Never raises."""
    parsed = _parsed(text)
    if parsed is None:
        return []
    tree, body, lead = parsed
    analysis = _Analysis(body, lead, roots, {})
    analysis.infer(tree.body)
    return _unique(analysis.findings)


_DURATIONS = ("days", "hours", "minutes")
_MOMENT_FORMATS = ("format: date-time", "format: date")


def check_moment(text: str, roots: Mapping[str, Root]) -> list[Finding]:
    """Where an expression that must name a moment (a timer's ``at``) cannot: a number, a yes/no, a list,
    or text the schemas do not say is a date. A moment plus or minus a duration (``days(7)``) is judged
    by its moment; a value the schemas do not describe is left unjudged. Never raises."""
    parsed = _parsed(text)
    if parsed is None:
        return []
    tree, body, lead = parsed
    analysis = _Analysis(body, lead, roots, {})
    node = tree.body
    while (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Add | ast.Sub)
        and isinstance(node.right, ast.Call)
        and isinstance(node.right.func, ast.Name)
        and node.right.func.id in _DURATIONS
    ):
        node = node.left
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("date", "now"):
        return []
    value = analysis.infer(node)
    kinds = value.kinds
    if kinds is None or (
        kinds <= {"string", "null"} and "string" in kinds and any(f in value.detail for f in _MOMENT_FORMATS)
    ):
        return []
    shown = value.shown or analysis.source(node)
    detail = f"（{value.detail}）" if value.detail else ""
    detail_en = f" ({value.detail})" if value.detail else ""
    return [
        Finding(
            Text(
                f"at: 需要一个时刻，而 {shown}{detail} 不是日期",
                f"at: needs a moment, and {shown}{detail_en} is not a date",
            ),
            analysis.column(node),
            Text(
                "请读取一个 date-time 格式的字段（如 order.return_by），可加减 days(n)、hours(n) 或 "
                "minutes(n)，或用 date(x) 把文本读作日期",
                "read a field of format date-time (such as order.return_by), plus or minus days(n), "
                "hours(n) or minutes(n), or read text as a date with date(x)",
            ),
            "timer-at",
        )
    ]


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(dict.fromkeys(findings), key=lambda f: f.column)


def _infer_quietly(text: str, roots: Mapping[str, Root]) -> _Value:
    parsed = _parsed(text)
    if parsed is None:
        return _UNKNOWN
    tree, body, lead = parsed
    return _Analysis(body, lead, roots, {}).infer(tree.body)


def _cell_findings(raw: Any, operand: _Value, where: Text) -> list[Finding]:
    """Text compared with a number in one decision-table cell, reported at the cell's first character;
    ``where`` names the row and cell at the start of the message."""
    try:
        cell = parse_cell(raw)
    except CellError:
        return []  # reported by the table's own check
    condition = cell.condition(_CELL_INPUT)
    if condition is None:
        return []
    try:
        tree = ast.parse(condition, mode="eval")
    except SyntaxError:
        return []
    analysis = _Analysis(condition, 0, {}, {_CELL_INPUT: operand})
    analysis.infer(tree.body)
    mismatches = [f for f in _unique(analysis.findings) if f.code == TYPE_MISMATCH]
    # One finding per cell: a range's two bounds are one mistake.
    return [
        replace(f, words=Text(f"{where.zh}：{f.words.zh}", f"{where.en}: {f.words.en}"), column=1)
        for f in mismatches[:1]
    ]


def _sites(doc: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(JSON path, condition) of every condition of an audit, decision-table or routing rule file."""
    kind = doc.get("kind")
    sides = ("warehouses", "carriers") if kind == "routing" else ("rules",)
    if kind == "decision_table":
        for index, raw in enumerate(doc.get("inputs") or []):
            if isinstance(raw, Mapping) and isinstance(raw.get("expr"), str):
                yield child_path(child_path(child_path("$", "inputs"), index), "expr"), raw["expr"]
    for side in sides:
        entries = doc.get(side)
        for index, raw in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(raw, Mapping) and isinstance(raw.get("when"), str):
                yield child_path(child_path(child_path("$", side), index), "when"), raw["when"]


def check_ruleset(doc: Mapping[str, Any], roots: Mapping[str, Root]) -> list[tuple[str, Finding]]:
    """(JSON path, finding) for every condition of a rule file (and every decision-table cell), judged
    against ``roots`` of the workflow and transition that name the file. Never raises."""
    found: list[tuple[str, Finding]] = []
    for path, text in _sites(doc):
        found.extend((path, finding) for finding in check_condition(text, roots))
    if doc.get("kind") != "decision_table":
        return found
    inputs: dict[str, tuple[str, _Value]] = {}
    for raw in doc.get("inputs") or []:
        if isinstance(raw, Mapping) and isinstance(raw.get("name"), str) and isinstance(raw.get("expr"), str):
            inputs[raw["name"]] = (raw["expr"], _infer_quietly(raw["expr"], roots))
    for index, row in enumerate(doc.get("rules") or []):
        cells = row.get("cells") if isinstance(row, Mapping) else None
        for name, raw in cells.items() if isinstance(cells, Mapping) else []:
            if name not in inputs:
                continue
            expression, operand = inputs[name]
            written = " ".join(expression.split())
            shown = f"input {name!r} = {written}"
            label = replace(
                operand, shown=shown, literal=False, label=Text(f"输入 {name!r} = {written}", shown)
            )
            named = isinstance(row.get("name"), str)
            row_name = row["name"] if named else f"row {index + 1}"
            where = Text(
                f"行 {row_name!r} 的单元格 {raw!r}" if named else f"第 {index + 1} 行的单元格 {raw!r}",
                f"row {row_name!r}, cell {raw!r}",
            )
            path = child_path(child_path(child_path(child_path("$", "rules"), index), "cells"), str(name))
            found.extend((path, finding) for finding in _cell_findings(raw, label, where))
    return found
