"""A workflow tree drawn as Mermaid ``stateDiagram-v2`` source, for the studio's diagram beside the editor.

:func:`workflow_diagram` reads the tree ``load_yaml`` gives (plain mappings and lists) while the admin is
still typing it, so it reads every part whose shape is right and leaves out only what it cannot draw:

* every state, by its label in the language ``labels`` names (by its name when ``labels`` is None or
  the workflow gives no label); ``[*] -->`` the initial state, final states ``--> [*]``;
* a parallel state as a composite state holding one composite per region (named after the region),
  the regions separated by ``--``, each with its own initial and final states;
* every transition, one arrow per source and destination, labelled with its label in the language
  ``labels`` names (its trigger when ``labels`` is None or the transition has no label), the outcomes
  that pick that destination, the guard in ``[ ]`` (with a language: its ``when_label``, else the
  condition in words, ``≥`` for ``>=``, "且" for ``and``; without one: as written, cut short), the
  timers that fire it from that source (``after 30m``) and whether it is automatic. ``"*"`` is every
  non-final top-level state, as the compiler expands it. A transition without a source or a
  destination it can read is left out;
* a state the draft names but does not define is drawn all the same, as a node marked unknown
  (dashed): an arrow to a misspelled state is not dropped. A timer whose trigger no transition from its
  state takes is written under the state;
* an overlay (``extends``) draws the states and transitions it adds and replaces; the base's states it
  names are nodes marked as the base's (dotted), by their labels in the base (``base``, from
  :func:`state_labels` of the base's tree) when it is given;
* ``counts`` (state path -> orders in it) under each state; an order in a parallel state, keyed by its
  leaves joined with ``|`` as the order counts key it, counts in each leaf and once in the parallel state.

Nothing written in the file reaches the diagram's syntax as written: every text is escaped with Mermaid's
entity codes (``#35;`` for ``#``), so no name or label can close a quote, end a line, start a comment or
a ``%%{init}%%`` directive, add a statement, spell a direction, or make markup or Markdown; and state ids
are made of ``[A-Za-z0-9_]`` only, one per state path, unique in the diagram.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.common.words import word
from engine.dsl.spec import ANY_SOURCE, PREVIOUS_STATE, SEPARATOR, predecessors

__all__ = ["LEAVES_JOINED", "escaped", "state_labels", "workflow_diagram"]

# How the order counts name where an order in a parallel state is: its leaves joined
# (engine.store.tables.STATE_JOIN, which this layer may not import; a test holds the two equal).
LEAVES_JOINED = "|"

HEADER = "stateDiagram-v2"
INDENT = "  "
MAX_LABEL = 60  # characters of a name or a label
MAX_GUARD = 40  # characters of a guard on an arrow, as written
MAX_SAID = 100  # characters of a guard on an arrow of a drawing for people: its label, or its words
MAX_WORDS = 2 * MAX_LABEL  # characters of the diagram's own words with the names they hold
MAX_ID = 40  # characters of a state's path kept in its id
UNKNOWN_CLASS = "unknown"
BASE_CLASS = "base"
CLASS_STYLES = {
    UNKNOWN_CLASS: "stroke-dasharray:5 5,stroke:#b91c1c,color:#b91c1c",
    BASE_CLASS: "stroke-dasharray:2 2",
}

# ASCII kept as written: nothing Mermaid's grammar, its preprocessing or the Markdown of its labels
# reads as syntax (``*`` and ``_`` would make emphasis, so they are escaped too).
_PLAIN_ASCII = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,()/+-=!?'")
# Mermaid decodes its stand-ins for entity codes ("ﬂ°°" for "&#", "¶ß" for ";") in the drawing it makes,
# so text spelling one would show as another character: the ligature is written as its two letters and
# the pair is kept apart.
_STAND_INS = (("\ufb02", "fl"), ("\u00b6\u00df", "\u00b6 \u00df"))
# Mermaid's lexer takes a line holding "direction TB" anywhere for a direction statement.
_DIRECTION = re.compile(r"(direction) (?=(?:tb|bt|lr|rl))", re.IGNORECASE)
_NOT_ID = re.compile(r"[^A-Za-z0-9_]+")
# How a guard's comparisons read for a person (Drawing._readable): as symbols, or by words of the catalogue.
_OPERATORS: dict[type[ast.cmpop], str] = {
    ast.Eq: "=",
    ast.NotEq: "≠",
    ast.Gt: ">",
    ast.GtE: "≥",
    ast.Lt: "<",
    ast.LtE: "≤",
}
_OPERATOR_KEYS: dict[type[ast.cmpop], str] = {
    ast.In: "diagram.in",
    ast.NotIn: "diagram.not_in",
    ast.Is: "diagram.is",
    ast.IsNot: "diagram.is_not",
}


def escaped(text: str, limit: int = MAX_LABEL) -> str:
    """``text`` as Mermaid shows it and cannot read as syntax: letters, digits, non-ASCII characters
    and harmless punctuation kept, any run of whitespace and control characters one space, the rest
    entity codes (``#60;`` for ``<``); cut to ``limit`` characters (with "…") first. Never empty: Mermaid
    refuses an empty label, so an empty text is shown as ``""``."""
    plain = " ".join("".join(" " if unicodedata.category(ch)[0] in "ZC" else ch for ch in text).split())
    if len(plain) > limit:
        plain = plain[: limit - 1].rstrip() + "…"
    for stand_in, shown in _STAND_INS:
        plain = plain.replace(stand_in, shown)
    out = "".join(ch if ch in _PLAIN_ASCII or not ch.isascii() else f"#{ord(ch)};" for ch in plain)
    return _DIRECTION.sub(r"\1#32;", out) or "#34;#34;"


@dataclass
class _Node:
    id: str
    label: str  # escaped
    path: str  # the state path as the workflow names it
    final: bool = False
    timers: list[tuple[str, str, str]] = field(default_factory=list)  # ("after" or "at", when, trigger)
    regions: list[_Region] = field(default_factory=list)
    css: str | None = None
    notes: list[str] = field(default_factory=list)  # escaped lines under the label


@dataclass
class _Region:
    id: str
    label: str
    states: list[_Node]
    initial: _Node | None


@dataclass
class _Arrow:
    source: _Node
    dest: _Node
    trigger: str | None  # None: not written yet
    shown: str  # what the arrow says: the transition's label in the drawing's language, else its trigger
    outcomes: list[str]
    guard: str | None
    auto: bool


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _mapping(value: Any) -> Mapping[Any, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _names(value: Any) -> list[str]:
    """A state or a list of states as written; what is not text left out."""
    return [value] if isinstance(value, str) else [item for item in _list(value) if isinstance(item, str)]


def _timers(body: Mapping[Any, Any]) -> list[tuple[str, str, str]]:
    """A state's timers: ("after", its delay, its trigger), or ("at", its moment's expression, trigger)."""
    found: list[tuple[str, str, str]] = []
    for timer in _list(body.get("timers")):
        timer = _mapping(timer)
        after, at, trigger = timer.get("after"), _text(timer.get("at")), _text(timer.get("trigger"))
        if trigger is not None and isinstance(after, str | int) and not isinstance(after, bool):
            found.append(("after", str(after), trigger))
        elif trigger is not None and at is not None:
            found.append(("at", at, trigger))
    return found


class _Drawing:
    """The nodes and arrows of one tree, then its lines."""

    def __init__(
        self, tree: Mapping[Any, Any], lang: str | None, base: Mapping[str, Mapping[Any, Any]] | None = None
    ) -> None:
        self.lang = lang or "en"
        self.show_labels = lang is not None
        self.overlay = "extends" in tree
        self.base = base or {}
        self.ids: set[str] = set()
        self.top: dict[str, _Node] = {}  # top-level state name -> node
        self.nested: dict[str, _Node] = {}  # "state.region.child" -> node
        self.parent: dict[str, _Node] = {}  # node id -> its parallel state
        self.region_of: dict[str, _Region] = {}  # node id -> its region
        self.others: dict[str, _Node] = {}  # states named but not defined (unknown, or the base's)
        self.arrows: list[_Arrow] = []
        states = dict(_mapping(tree.get("states")))
        transitions = list(_list(tree.get("transitions")))
        if self.overlay:
            for part in ("replace", "add"):
                section = _mapping(tree.get(part))
                states.update(_mapping(section.get("states")))
                transitions.extend(_list(section.get("transitions")))
        for name, body in states.items():
            self._state(str(name), _mapping(body))
        initial = _text(tree.get("initial"))
        self.initial = self.node(initial) if initial is not None else None
        everyone = [name for name, node in self.top.items() if not node.final]
        self.came_from: dict[str, set[str]] = predecessors(
            transitions, everyone
        )  # where "@previous" arrows go back to
        for transition in transitions:
            if isinstance(transition, Mapping):
                self._transition(transition)

    def _new_id(self, prefix: str, path: str) -> str:
        base = prefix + _NOT_ID.sub("_", path)[:MAX_ID]
        candidate, n = base, 1
        while candidate in self.ids:
            n += 1
            candidate = f"{base}_{n}"
        self.ids.add(candidate)
        return candidate

    def _label(self, name: str, body: Mapping[Any, Any]) -> str:
        return escaped(self._shown(name, _mapping(body.get("label"))) if self.show_labels else name)

    def _shown(self, name: str, label: Mapping[Any, Any]) -> str:
        """A state's label (``{zh, en}`` as written) in the drawing's language, else in the other, else
        its name; not escaped."""
        mine, other = ("zh", "en") if self.lang.startswith("zh") else ("en", "zh")
        return _text(label.get(mine)) or _text(label.get(other)) or name

    def _readable(self, when: Any) -> str:
        """A guard (a condition, or a list of them that must all hold) as a person reads it: ``and``,
        ``or``, ``not`` and ``in`` in the drawing's language, ``>=`` as ``≥``, ``!=`` as ``≠``, ``==`` as
        ``=``; a condition that does not parse as written."""
        conditions = [c for c in ([when] if isinstance(when, str) else _names(when)) if c.strip()]
        alone = len(conditions) == 1
        return word("diagram.and").get(self.lang).join(self._said(c, alone) for c in conditions)

    def _said(self, condition: str, alone: bool) -> str:
        try:
            tree = ast.parse(condition.strip(), mode="eval").body
        except (SyntaxError, ValueError):
            return condition
        return self._node_said(tree, top=alone)

    def _node_said(self, node: ast.expr, top: bool = False) -> str:
        if isinstance(node, ast.BoolOp):
            joint = word("diagram.and" if isinstance(node.op, ast.And) else "diagram.or").get(self.lang)
            text = joint.join(self._node_said(value) for value in node.values)
            return text if top else f"({text})"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return word("diagram.not").get(self.lang).format(what=self._node_said(node.operand))
        if isinstance(node, ast.Compare):
            parts = [self._node_said(node.left)]
            for op, right in zip(node.ops, node.comparators, strict=True):
                parts += [_OPERATORS.get(type(op)) or word(_OPERATOR_KEYS[type(op)]).get(self.lang)]
                parts.append(self._node_said(right))
            return " ".join(parts)
        return ast.unparse(node)

    def _word(self, key: str, **values: object) -> str:
        return escaped(word(key).get(self.lang).format(**values), MAX_WORDS)

    def _state(self, name: str, body: Mapping[Any, Any]) -> None:
        node = _Node(self._new_id("s_", name), self._label(name, body), name, body.get("final") is True)
        node.timers = _timers(body)
        self.top[name] = node
        for region_name, region_body in _mapping(body.get("parallel")).items():
            region_path = SEPARATOR.join((name, str(region_name)))
            children: list[_Node] = []
            for child_name, child_body in _mapping(_mapping(region_body).get("states")).items():
                path = SEPARATOR.join((region_path, str(child_name)))
                child_body = _mapping(child_body)
                child = _Node(
                    self._new_id("s_", path),
                    self._label(str(child_name), child_body),
                    path,
                    child_body.get("final") is True,
                    _timers(child_body),
                )
                children.append(child)
                self.nested.setdefault(path, child)
                self.parent[child.id] = node
            if not children:
                continue  # nothing to draw in it yet
            initial_name = _text(_mapping(region_body).get("initial"))
            initial_path = SEPARATOR.join((region_path, initial_name)) if initial_name is not None else None
            initial = next((child for child in children if child.path == initial_path), None)
            region = _Region(self._new_id("r_", region_path), escaped(str(region_name)), children, initial)
            node.regions.append(region)
            for child in children:
                self.region_of[child.id] = region

    def node(self, path: str) -> _Node:
        """The node of a state path; one marked unknown (the base's, in an overlay) when the tree
        defines no such state."""
        found = self.top.get(path) or self.nested.get(path)
        if found is not None:
            return found
        if path not in self.others:
            key, prefix, css = (
                ("diagram.base_state", "b_", BASE_CLASS)
                if self.overlay
                else ("diagram.unknown_state", "u_", UNKNOWN_CLASS)
            )
            name = path
            if self.overlay and path in self.base and self.show_labels:
                name = self._shown(path, self.base[path])
            self.others[path] = _Node(self._new_id(prefix, path), self._word(key, name=name), path, css=css)
        return self.others[path]

    def _transition(self, transition: Mapping[Any, Any]) -> None:
        source = transition.get("source")
        if source == ANY_SOURCE:
            sources = [node for node in self.top.values() if not node.final]
        else:
            sources = [self.node(name) for name in _names(source)]
        dest = transition.get("dest")
        targets: dict[str, list[str]] = {dest: []} if isinstance(dest, str) and dest != PREVIOUS_STATE else {}
        for outcome, name in _mapping(dest).items():
            if isinstance(name, str):
                targets.setdefault(name, []).append(str(outcome))  # outcomes to one state: one arrow
        when = transition.get("when")
        guard = when if isinstance(when, str) else " and ".join(_names(when))
        if self.show_labels:  # for a person: the guard's label, else the condition in words
            said = _mapping(transition.get("when_label"))
            guard = self._shown("", said) if said else self._readable(when)
        trigger = _text(transition.get("trigger"))
        shown = "?" if trigger is None else trigger
        if trigger is not None and self.show_labels:
            shown = self._shown(trigger, _mapping(transition.get("label")))
        auto = transition.get("auto") is True
        for from_node in sources:
            back: dict[str, list[str]] = {name: [] for name in sorted(self.came_from.get(from_node.path, ()))}
            for name, outcomes in (back if dest == PREVIOUS_STATE else targets).items():
                self.arrows.append(
                    _Arrow(
                        from_node,
                        self.node(name),
                        trigger,
                        shown,
                        outcomes,
                        guard if guard.strip() else None,
                        auto,
                    )
                )

    # --- the source ---------------------------------------------------------------------------------

    def _timers_leaving(self, node: _Node) -> list[tuple[str, str, str]]:
        """The timers that may fire an arrow leaving ``node``: its own, and for a parallel state those
        of the states of its regions too."""
        inside = [timer for region in node.regions for child in region.states for timer in child.timers]
        return [*node.timers, *inside]

    def _arrow_text(self, arrow: _Arrow) -> str:
        text = escaped(arrow.shown)
        if arrow.outcomes:
            text += " (" + ", ".join(escaped(outcome) for outcome in arrow.outcomes) + ")"
        if arrow.guard:
            text += f" #91;{escaped(arrow.guard, MAX_SAID if self.show_labels else MAX_GUARD)}#93;"
        extras = [
            self._word(f"diagram.{kind}", **{kind: when})
            for kind, when, trigger in self._timers_leaving(arrow.source)
            if trigger == arrow.trigger
        ]
        if arrow.auto:
            extras.append(self._word("diagram.auto"))
        return " · ".join([text, *extras])

    def _notes(self, counts: Mapping[str, int]) -> None:
        """Under each state: its timers no arrow shows, then its count of orders."""
        timed = {(arrow.source.id, arrow.trigger) for arrow in self.arrows}
        for node in [*self.top.values(), *self.nested.values()]:
            parent = self.parent.get(node.id)
            for kind, when, trigger in node.timers:
                if (node.id, trigger) in timed or (parent is not None and (parent.id, trigger) in timed):
                    continue
                # an overlay's timer may fire a transition of its base, which the tree does not hold
                key = "diagram.timer" + ("_at" if kind == "at" else "") + ("" if self.overlay else "_alone")
                node.notes.append(self._word(key, **{kind: when}, trigger=trigger))
            if node.path in counts:
                node.notes.append(self._word("diagram.orders", n=counts[node.path]))

    def lines(self, counts: Mapping[str, int]) -> Iterator[str]:
        self._notes(counts)
        placed: dict[str, list[str]] = {}  # region id -> the arrows inside it; "" the others
        for arrow in self.arrows:
            region = self.region_of.get(arrow.source.id)
            inside = region is not None and self.region_of.get(arrow.dest.id) is region
            line = f"{arrow.source.id} --> {arrow.dest.id} : {self._arrow_text(arrow)}"
            placed.setdefault(region.id if inside and region is not None else "", []).append(line)
        yield HEADER
        if self.initial is not None:
            yield f"{INDENT}[*] --> {self.initial.id}"
        for node in [*self.top.values(), *self.others.values()]:
            yield from self._declare(node, INDENT, placed)
        yield from (INDENT + line for line in placed.get("", []))
        yield from (f"{INDENT}{node.id} --> [*]" for node in self.top.values() if node.final)
        for css, style in CLASS_STYLES.items():
            marked = [node.id for node in self.others.values() if node.css == css]
            if marked:
                yield f"{INDENT}classDef {css} {style}"
                yield f"{INDENT}class {','.join(marked)} {css}"

    def _declare(self, node: _Node, indent: str, placed: Mapping[str, list[str]]) -> Iterator[str]:
        if not node.regions:
            yield f'{indent}state "{node.label}" as {node.id}'
            yield from (f"{indent}{node.id} : {note}" for note in node.notes)
            return
        # Mermaid gives a composite state no lines under its label: its notes go into the label.
        yield f'{indent}state "{" · ".join([node.label, *node.notes])}" as {node.id} {{'
        inner, deeper = indent + INDENT, indent + 2 * INDENT
        for n, region in enumerate(node.regions):
            if n:
                yield f"{inner}--"
            yield f'{inner}state "{region.label}" as {region.id} {{'
            if region.initial is not None:
                yield f"{deeper}[*] --> {region.initial.id}"
            for child in region.states:
                yield from self._declare(child, deeper, placed)
            yield from (deeper + line for line in placed.get(region.id, []))
            yield from (f"{deeper}{child.id} --> [*]" for child in region.states if child.final)
            yield f"{inner}}}"
        yield f"{indent}}}"


def _counts(counts: Mapping[str, int], drawing: _Drawing) -> dict[str, int]:
    """Orders by state path; what is not a whole number of 0 or more left out."""
    found: dict[str, int] = {}
    for key, count in counts.items():
        if not isinstance(key, str) or isinstance(count, bool) or not isinstance(count, int) or count < 0:
            continue
        leaves = key.split(LEAVES_JOINED)
        parents = {drawing.parent[drawing.nested[leaf].id].path for leaf in leaves if leaf in drawing.nested}
        for path in [*leaves, *(parents if len(leaves) > 1 else ())]:
            found[path] = found.get(path, 0) + count
    return found


def workflow_diagram(
    tree: Any,
    counts: Mapping[str, int] | None = None,
    labels: str | None = None,
    base: Mapping[str, Mapping[Any, Any]] | None = None,
) -> str | None:
    """The Mermaid ``stateDiagram-v2`` source of a workflow tree (the module's doc says what it draws),
    or None when ``tree`` is not a mapping.

    ``labels``: ``"zh"`` or ``"en"`` draws the states and transitions by their labels in that language
    and writes the diagram's own words in it; None draws them by their names and triggers, with English
    words. ``counts``: the
    orders in each state, by state path. ``base``: for an overlay, the labels of its base's states by
    path (:func:`state_labels` of the base's tree, and of what that one extends), which draw the base's
    states it names."""
    if not isinstance(tree, Mapping):
        return None
    drawing = _Drawing(tree, labels, base)
    return "\n".join(drawing.lines(_counts(counts or {}, drawing))) + "\n"


def state_labels(tree: Any) -> dict[str, Mapping[Any, Any]]:
    """The label (``{zh, en}`` as written) of every state a workflow tree defines, by state path: its
    ``states``, the states of their parallel regions, and for an overlay the states it replaces and
    adds (those win). What is not a mapping is left out; a tree that is not one has none."""
    found: dict[str, Mapping[Any, Any]] = {}
    if not isinstance(tree, Mapping):
        return found
    sections = [_mapping(tree.get("states"))]
    sections += [_mapping(_mapping(tree.get(part)).get("states")) for part in ("replace", "add")]
    for states in sections:
        for name, body in states.items():
            body = _mapping(body)
            found[str(name)] = _mapping(body.get("label"))
            for region_name, region_body in _mapping(body.get("parallel")).items():
                for child, child_body in _mapping(_mapping(region_body).get("states")).items():
                    path = SEPARATOR.join((str(name), str(region_name), str(child)))
                    found[path] = _mapping(_mapping(child_body).get("label"))
    return found
