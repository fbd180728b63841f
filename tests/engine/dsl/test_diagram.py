"""engine/dsl/diagram.py: a workflow tree drawn as Mermaid stateDiagram-v2 source.

Every diagram here is read back by ``read_diagram``, a reader of the stateDiagram-v2 statements the
drawing uses that refuses anything else Mermaid's grammar would read differently: ids outside
``[A-Za-z0-9_]`` or named like a keyword, labels with a quote, a colon, a semicolon, a ``#`` or ``%`` that
is not an entity code, a line break, Markdown emphasis, a direction statement hiding in a label, a
brace out of place. It decodes the entity codes (``#60;`` -> ``<``) so a test compares the words a
reader of the drawing sees with what the workflow says.

Mermaid itself is not run here: it is a browser library (about 3.5 MB) that this repository does not
vendor yet. The reader's rules are the Mermaid 11 lexer's (stateDiagram.jison, src/mermaidAPI.ts
``encodeEntities``, src/preprocess.ts directives and comments); every shipped workflow and the hostile
names below were also parsed and rendered by mermaid 11.17.2 in Chromium while this module was written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from engine.common.words import word
from engine.dsl.compiler import load_bundle
from engine.dsl.diagram import (
    LEAVES_JOINED,
    MAX_GUARD,
    MAX_LABEL,
    MAX_SAID,
    MAX_WORDS,
    escaped,
    state_labels,
    workflow_diagram,
)
from engine.dsl.loader import load_yaml
from engine.dsl.spec import PREVIOUS_STATE, predecessors
from engine.store.tables import STATE_JOIN

from .support import INVALID, VALID

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = sorted((ROOT / "workflows").rglob("*.yaml"))

# --- a reader of the statements the diagram may hold ------------------------------------------------

_ID = r"[A-Za-z][A-Za-z0-9_]*"
_REF = rf"(?:{_ID}|\[\*\])"
# Words Mermaid's state-diagram lexer reads as statements wherever a statement may start.
_KEYWORDS = {
    "state",
    "note",
    "end",
    "class",
    "classdef",
    "style",
    "click",
    "href",
    "default",
    "direction",
    "scale",
    "acctitle",
    "accdescr",
    "hide",
    "statediagram",
}
# ASCII that means nothing to Mermaid's lexer, its preprocessing or the Markdown of its labels.
_PLAIN = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,()/+-=!?'")


def decoded(text: str) -> str:
    return re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), text)


def _text(text: str, where: str) -> str:
    """A label or an arrow's text: only plain characters and entity codes; decoded."""
    assert text and text == text.strip(), f"{where}: empty or padded text {text!r}"
    bare = re.sub(r"#\d+;", "", text)
    for ch in bare:
        assert ch in _PLAIN or (not ch.isascii() and unicodedata.category(ch)[0] not in "ZC"), (
            f"{where}: {ch!r} in {text!r}"
        )
    assert not re.search(r"direction\s+(tb|bt|lr|rl)", text, re.IGNORECASE), f"{where}: {text!r}"
    assert "\ufb02\u00b0" not in text and "\u00b6\u00df" not in text, f"{where}: Mermaid's stand-ins"
    return decoded(text)


@dataclass
class State:
    label: str
    parent: str | None  # the composite it is declared in
    composite: bool
    notes: list[str] = field(default_factory=list)


@dataclass
class Diagram:
    states: dict[str, State] = field(default_factory=dict)
    edges: list[tuple[str, str, str, str | None]] = field(default_factory=list)  # from, to, text, where
    initial: dict[str | None, str] = field(default_factory=dict)  # composite (None: top) -> its initial
    finals: set[str] = field(default_factory=set)
    classes: dict[str, str] = field(default_factory=dict)
    dividers: dict[str, int] = field(default_factory=dict)  # composite -> its "--" lines

    def by_label(self, label: str) -> str:
        found = [sid for sid, state in self.states.items() if state.label == label]
        assert len(found) == 1, f"{label!r}: {found}"
        return found[0]

    def texts(self, source: str, dest: str) -> list[str]:
        return [text for a, b, text, _ in self.edges if (a, b) == (source, dest)]


def read_diagram(source: str) -> Diagram:
    """The diagram's statements, each checked against what stateDiagram-v2 reads as meant."""
    assert source.endswith("\n")
    lines = source[:-1].split("\n")
    assert lines[0] == "stateDiagram-v2"
    found = Diagram()
    stack: list[str] = []
    used: list[tuple[str, int]] = []
    for number, raw in enumerate(lines[1:], start=2):
        line = raw.strip()
        where = f"line {number}"
        depth = len(stack) + (0 if line == "}" else 1)
        assert raw == "  " * depth + line, f"{where}: indentation {raw!r}"
        if m := re.fullmatch(rf'state "([^"]*)" as ({_ID})( \{{)?', line):
            sid = m.group(2)
            assert sid not in found.states, f"{where}: {sid} declared twice"
            assert sid.lower() not in _KEYWORDS
            found.states[sid] = State(
                _text(m.group(1), where), stack[-1] if stack else None, bool(m.group(3))
            )
            if m.group(3):
                stack.append(sid)
        elif line == "}":
            assert stack, f"{where}: a brace closes nothing"
            stack.pop()
        elif line == "--":
            assert stack, f"{where}: '--' outside a composite state"
            found.dividers[stack[-1]] = found.dividers.get(stack[-1], 0) + 1
        elif m := re.fullmatch(rf"({_REF}) --> ({_REF})(?: : (.+))?", line):
            a, b, text = m.group(1), m.group(2), m.group(3)
            here = stack[-1] if stack else None
            if a == "[*]":
                assert b != "[*]" and text is None and here not in found.initial, where
                found.initial[here] = b
                used.append((b, number))
            elif b == "[*]":
                assert text is None, where
                found.finals.add(a)
                used.append((a, number))
            else:
                found.edges.append((a, b, _text(text, where) if text else "", here))
                used.extend([(a, number), (b, number)])
        elif m := re.fullmatch(rf"({_ID}) : (.+)", line):
            assert m.group(1) in found.states and not found.states[m.group(1)].composite, where
            found.states[m.group(1)].notes.append(_text(m.group(2), where))
        elif m := re.fullmatch(r"classDef ([a-z]+) ([a-z0-9:#, -]+)", line):
            pass
        elif m := re.fullmatch(rf"class ({_ID}(?:,{_ID})*) ([a-z]+)", line):
            for sid in m.group(1).split(","):
                found.classes[sid] = m.group(2)
                used.append((sid, number))
        else:
            pytest.fail(f"{where}: not a statement the diagram may hold: {line!r}")
    assert not stack, "a composite state is not closed"
    for sid, number in used:
        assert sid in found.states, f"line {number}: {sid} is not declared"
    for sid, state in found.states.items():
        inside = [found.states[s] for s, st in found.states.items() if st.parent == sid]
        if state.composite and state.parent is None:  # a parallel state: its regions, side by side
            assert inside and all(st.composite for st in inside), sid
            assert found.dividers.get(sid, 0) == len(inside) - 1
        elif state.composite:  # a region: its states
            assert inside and not any(st.composite for st in inside) and sid not in found.dividers
    return found


def tree_of(text: str) -> Any:
    tree, _, problems = load_yaml(text, "<test>")
    assert problems == []
    return tree


# --- the shipped workflows ---------------------------------------------------------------------------


def _sources(tree: dict[str, Any], source: Any) -> list[str]:
    if source == "*":
        return [name for name, body in tree["states"].items() if not body.get("final")]
    return [source] if isinstance(source, str) else list(source)


def _paths(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state of a (valid) workflow by path, with its body."""
    found: dict[str, dict[str, Any]] = {}
    for name, body in tree["states"].items():
        found[name] = body
        for region, inner in (body.get("parallel") or {}).items():
            for child, child_body in inner["states"].items():
                found[f"{name}.{region}.{child}"] = child_body
    return found


@pytest.mark.parametrize("lang", [None, "zh", "en"])
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_workflow_draws_every_state_and_transition(path: Path, lang: str | None) -> None:
    # A published bundle holds the resolved workflow (the overlay applied): what the studio draws for
    # a version.
    tree = dict(load_bundle(path, ROOT).workflow)
    diagram = read_diagram(workflow_diagram(tree, labels=lang) or "")
    ids: dict[str, str] = {}
    for state_path, body in _paths(tree).items():
        label = body["label"][lang] if lang else state_path.rsplit(".", 1)[-1]
        (ids[state_path],) = [
            sid
            for sid, state in diagram.states.items()
            if state.label == label
            and state.composite == ("parallel" in body)
            and (state.parent is None) == ("." not in state_path)
        ]
    assert len(diagram.states) == len(ids) + sum(
        len(body.get("parallel") or {}) for body in tree["states"].values()
    )  # the states and one composite per region, nothing else
    assert diagram.initial[None] == ids[tree["initial"]]
    assert diagram.finals == {ids[p] for p, body in _paths(tree).items() if body.get("final")}
    expected = []
    everyone = [name for name, body in tree["states"].items() if not body.get("final")]
    came_from = predecessors(tree["transitions"], everyone)
    for transition in tree["transitions"]:
        dests = transition["dest"]
        targets = {dests: []} if isinstance(dests, str) else {}
        for outcome, dest in ({} if isinstance(dests, str) else dests).items():
            targets.setdefault(dest, []).append(outcome)
        for source in _sources(tree, transition["source"]):
            if dests == PREVIOUS_STATE:  # an arrow back to each state the source is entered from
                targets = {name: [] for name in sorted(came_from.get(source, ()))}
            for dest, outcomes in targets.items():
                texts = diagram.texts(ids[source], ids[dest])
                label = transition.get("label") or {}
                shown = (label.get(lang) or label.get("en" if lang == "zh" else "zh")) if lang else None
                start = (shown or transition["trigger"]) + (f" ({', '.join(outcomes)})" if outcomes else "")
                assert any(t == start or t.startswith(start + " ") for t in texts), (start, texts)
                expected.append((source, dest))
    assert len(diagram.edges) == len(expected)
    assert diagram.classes == {}  # no state is unknown


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_file_as_written_draws(path: Path) -> None:
    tree = tree_of(path.read_text(encoding="utf-8"))
    diagram = read_diagram(workflow_diagram(tree, labels="zh") or "")
    own = {st.label for sid, st in diagram.states.items() if sid not in diagram.classes}
    if "extends" in tree:
        # the overlay alone: what it replaces (the flash sale adds nothing), and the base's states it
        # names, marked as the base's
        assert own == {body["label"]["zh"] for body in tree["replace"]["states"].values()}
        assert set(diagram.classes.values()) == {"base"}
        assert "routed（基础流程）" in {st.label for st in diagram.states.values()}
    else:
        assert diagram.classes == {}
        assert own == {body["label"]["zh"] for body in _paths(tree).values()} | {
            region for body in tree["states"].values() for region in body.get("parallel") or {}
        }


def test_the_labels_follow_the_language_and_the_names_show_without_one() -> None:
    tree = tree_of(
        "initial: a\nstates:\n  a: {label: {zh: 甲, en: Alpha}}\n  b: {label: {en: Only English}}\n"
        "  c: {final: true}\ntransitions:\n  - {trigger: go, source: a, dest: b, auto: true}\n"
    )
    zh, en, names = (read_diagram(workflow_diagram(tree, labels=lang) or "") for lang in ("zh", "en", None))
    assert [s.label for s in zh.states.values()] == ["甲", "Only English", "c"]
    assert [s.label for s in en.states.values()] == ["Alpha", "Only English", "c"]
    assert [s.label for s in names.states.values()] == ["a", "b", "c"]
    assert zh.edges[0][2] == f"go · {word('diagram.auto').zh}"
    assert en.edges[0][2] == names.edges[0][2] == f"go · {word('diagram.auto').en}"
    assert workflow_diagram(tree, labels="zh-CN") == workflow_diagram(tree, labels="zh")


def test_an_arrow_shows_its_transitions_label_in_the_language_and_its_trigger_without_one() -> None:
    tree = tree_of(
        "initial: a\nstates:\n  a:\n    timers: [{after: 45m, trigger: cancel}]\n  b: {}\n"
        "  c: {final: true}\ntransitions:\n"
        "  - {trigger: pay, source: a, dest: b, label: {zh: 支付, en: Pay}}\n"
        "  - {trigger: cancel, source: [a, b], dest: c, label: {zh: 取消}}\n"
        "  - {trigger: ship, source: b, dest: a}\n"
    )
    zh, en, names = (read_diagram(workflow_diagram(tree, labels=lang) or "") for lang in ("zh", "en", None))
    assert zh.texts("s_a", "s_b") == ["支付"] and en.texts("s_a", "s_b") == ["Pay"]
    assert names.texts("s_a", "s_b") == ["pay"]  # no language: the triggers
    # a timer still finds its transition by the trigger; a label in one language serves the other
    assert zh.texts("s_a", "s_c") == [f"取消 · {word('diagram.after').zh.format(after='45m')}"]
    assert en.texts("s_a", "s_c") == [f"取消 · {word('diagram.after').en.format(after='45m')}"]
    assert zh.texts("s_b", "s_c") == ["取消"] and names.texts("s_b", "s_c") == ["cancel"]
    assert zh.texts("s_b", "s_a") == en.texts("s_b", "s_a") == ["ship"]  # no label: the trigger
    assert zh.states["s_a"].notes == []  # the timer is on the arrow, not alone under the state


def test_a_transition_shows_its_outcomes_guard_and_timers() -> None:
    tree = tree_of(
        """
initial: waiting
states:
  waiting:
    timers: [{after: 30m, trigger: cancel}, {after: 2h, trigger: remind}]
  paid: {}
  held: {}
  cancelled: {final: true}
transitions:
  - trigger: review
    source: waiting
    rules: rules/x.yaml
    dest: {approve: paid, hold: held, reject: cancelled, second_look: held}
  - {trigger: pay, source: waiting, dest: paid, when: ["order.total > 0", "data.amount >= order.total"]}
  - {trigger: cancel, source: [waiting, paid], dest: cancelled}
"""
    )
    diagram = read_diagram(workflow_diagram(tree) or "")
    assert diagram.texts("s_waiting", "s_held") == ["review (hold, second_look)"]
    assert diagram.texts("s_waiting", "s_paid") == [
        "review (approve)",
        f"pay [{('order.total > 0 and data.amount >= order.total')[: MAX_GUARD - 1]}…]",
    ]
    assert diagram.texts("s_waiting", "s_cancelled") == ["review (reject)", "cancel · after 30m"]
    assert diagram.texts("s_paid", "s_cancelled") == ["cancel"]  # the timer is waiting's
    # no transition takes 'remind' from waiting: the timer is written under the state
    assert diagram.states["s_waiting"].notes == ["after 2h: remind (no such transition here)"]


def test_parallel_regions_are_composite_states_side_by_side() -> None:
    tree = tree_of((VALID / "fulfilment.yaml").read_text(encoding="utf-8"))
    diagram = read_diagram(workflow_diagram(tree, labels="en") or "")
    composite = diagram.by_label("Fulfilling")
    assert diagram.states[composite].composite and diagram.dividers[composite] == 1
    regions = [sid for sid, st in diagram.states.items() if st.parent == composite]
    assert [diagram.states[r].label for r in regions] == ["payment", "stock"]
    awaiting, captured = diagram.by_label("Awaiting payment"), diagram.by_label("Captured")
    assert diagram.states[awaiting].parent == diagram.states[captured].parent == regions[0]
    assert diagram.initial[regions[0]] == awaiting
    assert diagram.initial[regions[1]] == diagram.by_label("Reserving")
    assert {captured, diagram.by_label("Reserved")} <= diagram.finals
    # an arrow inside a region is drawn inside it; the join and the interrupting cancel outside
    assert (awaiting, captured, "capture", regions[0]) in diagram.edges
    assert (awaiting, awaiting, "remind · after 2h", regions[0]) in diagram.edges
    assert (composite, diagram.by_label("Fulfilled"), "complete · automatic", None) in diagram.edges
    assert (composite, diagram.by_label("Cancelled"), "cancel", None) in diagram.edges


def test_counts_show_under_each_state_and_a_parallel_order_in_each_leaf() -> None:
    tree = tree_of((VALID / "fulfilment.yaml").read_text(encoding="utf-8"))
    joined = LEAVES_JOINED.join(["fulfilling.payment.awaiting", "fulfilling.stock.reserved"])
    counts: dict[str, Any] = {
        "received": 4,
        joined: 2,
        "fulfilling.payment.awaiting" + LEAVES_JOINED + "fulfilling.stock.reserving": 1,
        "cancelled": 0,
        "no_such_state": 9,  # a state the draft no longer has
        "fulfilled": -1,  # not a count
        "fulfilling": True,  # nor this
        7: 7,  # nor this key
    }
    diagram = read_diagram(workflow_diagram(tree, counts, labels="en") or "")
    notes = {st.label: st.notes for st in diagram.states.values() if not st.composite}
    assert notes["Received"] == ["4 order(s)"]
    assert notes["Awaiting payment"] == ["3 order(s)"]
    assert notes["Reserved"] == ["2 order(s)"] and notes["Reserving"] == ["1 order(s)"]
    assert notes["Cancelled"] == ["0 order(s)"]
    assert notes["Fulfilled"] == [] and notes["Captured"] == []
    # a composite state has no lines under its label: its count joins the label
    assert any(st.label == "Fulfilling · 3 order(s)" for st in diagram.states.values())
    assert "no_such_state" not in (workflow_diagram(tree, counts) or "")
    assert read_diagram(workflow_diagram(tree, counts, "zh") or "").states["s_received"].notes == ["4 个订单"]


def test_the_counts_read_the_join_of_the_order_counts() -> None:
    assert LEAVES_JOINED == STATE_JOIN


# --- a draft being typed -------------------------------------------------------------------------------


@pytest.mark.parametrize("tree", [None, [], ["states"], "states: {}", 3, 2.5, True, b"x"])
def test_a_tree_that_is_not_a_mapping_has_no_diagram(tree: Any) -> None:
    assert workflow_diagram(tree) is None
    assert workflow_diagram(tree, {"a": 1}, "zh") is None


def test_an_empty_mapping_is_an_empty_diagram() -> None:
    assert workflow_diagram({}) == "stateDiagram-v2\n"
    assert (
        read_diagram(workflow_diagram({"states": None, "transitions": None, "initial": 3}) or "") == Diagram()
    )


def test_a_transition_to_a_state_that_does_not_exist_goes_to_an_unknown_node() -> None:
    tree = tree_of(
        "initial: pendng\nstates:\n  pending: {}\n  shipped: {final: true}\ntransitions:\n"
        "  - {trigger: ship, source: pending, dest: shiped}\n"
        "  - {trigger: ship, source: [pending, limbo], dest: shipped}\n"
        "  - {trigger: ship, source: limbo, dest: {ok: shipped, no: nowhere}}\n"
    )
    diagram = read_diagram(workflow_diagram(tree, labels="en") or "")
    unknown = {sid: diagram.states[sid].label for sid, css in diagram.classes.items() if css == "unknown"}
    assert sorted(unknown.values()) == [
        word("diagram.unknown_state").en.format(name=n) for n in ("limbo", "nowhere", "pendng", "shiped")
    ]
    by_name = {label.split(" ")[0]: sid for sid, label in unknown.items()}
    assert diagram.initial[None] == by_name["pendng"]
    assert diagram.texts("s_pending", by_name["shiped"]) == ["ship"]
    assert diagram.texts(by_name["limbo"], "s_shipped") == ["ship", "ship (ok)"]
    assert diagram.texts(by_name["limbo"], by_name["nowhere"]) == ["ship (no)"]
    zh = read_diagram(workflow_diagram(tree, labels="zh") or "")
    assert "shiped（未定义的状态）" in {st.label for st in zh.states.values()}


@pytest.mark.parametrize(
    ("yaml", "edges"),
    [
        # a transition still being typed: nothing to draw from it yet
        ("transitions:\n  - {trigger: go, source: a}\n", 0),
        ("transitions:\n  - {trigger: go, dest: a}\n", 0),
        ("transitions:\n  - trigger: go\n", 0),
        ("transitions:\n  - {trigger: go, source: a, dest: 3}\n", 0),
        ("transitions:\n  - {trigger: go, source: {a: b}, dest: a}\n", 0),
        ("transitions:\n  - {trigger: go, source: a, dest: {x: 1, y: [b]}}\n", 0),
        ("transitions:\n  - 'go: a -> b'\n  - null\n  - [a, b]\n", 0),
        ("transitions: {go: {source: a, dest: b}}\n", 0),
        # the parts that can be read still draw
        ("transitions:\n  - {source: a, dest: a}\n", 1),  # no trigger: '?'
        ("transitions:\n  - {trigger: [go], source: [a, 3, null, b], dest: {x: a, y: 2}}\n", 2),  # ? (x)
        ("transitions:\n  - {trigger: go, source: a, dest: b, when: 3, auto: yes}\n", 1),
        ("transitions:\n  - {trigger: go, source: '*', dest: a}\n", 0),  # no state to expand to
    ],
)
def test_a_partial_transition_draws_what_it_can(yaml: str, edges: int) -> None:
    diagram = read_diagram(workflow_diagram(tree_of(yaml)) or "")
    assert len(diagram.edges) == edges
    for _, _, text, _ in diagram.edges:
        assert text in {"go", "?", "? (x)"}  # no guard, not automatic


@pytest.mark.parametrize(
    "yaml",
    [
        "states: [a, b]\n",
        "states: {a: null, b: 3, c: [final], d: {final: yes, label: Paid}}\n",
        "states: {a: {label: {zh: 3, en: [x]}, timers: {after: 30m}}}\n",
        "states: {a: {timers: [null, {after: 30m}, {trigger: x}, {after: true, trigger: y}]}}\n",
        "states: {p: {parallel: [a, b]}}\n",
        "states: {p: {parallel: {r: null, s: {states: []}, t: {initial: x, states: {}}}}}\n",
        "states: {p: {parallel: {r: {states: {a: null}, initial: [a]}}}}\n",
        "states: {p: {parallel: {r: {states: {a: {}}}}}}\ninitial: {p: 1}\n",
    ],
)
def test_a_partial_state_draws_what_it_can(yaml: str) -> None:
    tree = tree_of(yaml)
    for lang in (None, "zh", "en"):
        diagram = read_diagram(workflow_diagram(tree, {"a": 1, "p": 2}, lang) or "")
        assert diagram.edges == [] and diagram.classes == {}
        names = tree["states"] if isinstance(tree["states"], dict) else {}
        assert len([st for st in diagram.states.values() if st.parent is None]) == len(names)


def test_a_region_without_its_initial_state_draws_its_states() -> None:
    tree = tree_of(
        "states:\n  p:\n    parallel:\n      r: {initial: nope, states: {a: {final: true}, b: {}}}\n"
        "      s: {states: {c: {}}}\n"
    )
    diagram = read_diagram(workflow_diagram(tree) or "")
    assert diagram.initial == {}
    assert diagram.dividers == {"s_p": 1}
    assert diagram.finals == {"s_p_r_a"}


@pytest.mark.parametrize("path", sorted(INVALID.glob("*.yaml")), ids=lambda p: p.name)
def test_every_invalid_fixture_still_draws_or_says_none(path: Path) -> None:
    tree, _, _ = load_yaml(path.read_bytes(), path.name)
    source = workflow_diagram(tree, {"paid": 1}, "zh")
    if isinstance(tree, dict):
        read_diagram(source or "")
    else:
        assert source is None


def test_an_overlay_draws_what_it_adds_and_replaces_beside_the_base_states_it_names() -> None:
    tree = tree_of((VALID / "retail-vip.yaml").read_text(encoding="utf-8"))
    diagram = read_diagram(workflow_diagram(tree, labels="en") or "")
    own = {st.label for sid, st in diagram.states.items() if sid not in diagram.classes}
    replaced_and_added = {
        **tree.get("replace", {}).get("states", {}),
        **tree.get("add", {}).get("states", {}),
    }
    assert own == {body["label"]["en"] for body in replaced_and_added.values()}
    base = {diagram.states[sid].label for sid, css in diagram.classes.items() if css == "base"}
    assert base and all(label.endswith(" (base)") for label in base)
    assert len(diagram.edges) == len(tree.get("replace", {}).get("transitions", [])) + len(
        tree.get("add", {}).get("transitions", [])
    )


@pytest.mark.parametrize(
    ("lang", "routed", "paid"),
    [("zh", "已分仓（基础流程）", "已支付（基础流程）"), ("en", "Routed (base)", "Paid (base)")],
)
def test_an_overlay_draws_the_base_states_it_names_by_their_labels_in_the_base(
    lang: str, routed: str, paid: str
) -> None:
    overlay = tree_of((ROOT / "workflows" / "retail" / "flash-sale.yaml").read_text(encoding="utf-8"))
    base = state_labels(tree_of((ROOT / "workflows" / "retail" / "order.yaml").read_text(encoding="utf-8")))
    diagram = read_diagram(workflow_diagram(overlay, labels=lang, base=base) or "")
    shown = {diagram.states[sid].label for sid, css in diagram.classes.items() if css == "base"}
    assert {routed, paid} <= shown
    assert not any(label.split("（")[0].split(" (")[0] in base for label in shown)  # no state by its code
    # without the base's labels, or drawn by names, the base's states keep their names
    assert "routed (base)" in {
        st.label for st in read_diagram(workflow_diagram(overlay, labels="en") or "").states.values()
    }
    assert "routed (base)" in {
        st.label for st in read_diagram(workflow_diagram(overlay, base=base) or "").states.values()
    }


def test_state_labels_reads_states_regions_and_what_an_overlay_replaces_and_adds() -> None:
    tree = {
        "states": {
            "a": {"label": {"zh": "甲", "en": "A"}},
            "p": {"parallel": {"r": {"states": {"x": {"label": {"zh": "叉", "en": "X"}}}}}},
        },
        "replace": {"states": {"a": {"label": {"zh": "甲二", "en": "A2"}}}},
        "add": {"states": {"b": {"label": {"en": "B"}}, "c": "not a mapping"}},
    }
    assert state_labels(tree) == {
        "a": {"zh": "甲二", "en": "A2"},
        "p": {},
        "p.r.x": {"zh": "叉", "en": "X"},
        "b": {"en": "B"},
        "c": {},
    }
    assert state_labels("not a tree") == {}


# --- names and labels that try to be syntax ---------------------------------------------------------------

HOSTILE = [
    "a --> b",
    "x : y",
    'say "hi"',
    "it's",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "%%{init: {'theme': 'forest', 'securityLevel': 'loose'}}%%",
    "%% a comment",
    "line\nbreak",
    "carriage\r\nreturn\tand tab",
    "para\u2028graph",
    "semi;colon",
    "#35; and #hash;",
    "direction TB",
    "change DIRECTION\t lr",
    "state x {",
    "}",
    "--",
    "[*]",
    "<<fork>>",
    "[[choice]]",
    "note left of s_a : x",
    "click s_a href 'javascript:alert(1)'",
    "classDef x fill:#f00;",
    "style s_a fill:#f00",
    "::: cls",
    "`**bold**` _em_",
    "back\\slash",
    "&lt;b&gt; &amp;",
    "\u202eright-to-left",
    "ﬂ°°60¶ß",
    "已支付：（全角）",
    "default",
    "end note",
    "hide empty description",
    "accTitle: t",
    "",
    "   ",
]


def _shown(text: str, limit: int = MAX_LABEL) -> str:
    """What the drawing shows of a text: whitespace and control characters as one space, trimmed, cut
    to ``limit``, and Mermaid's stand-ins for its entity codes taken apart."""
    plain = " ".join("".join(" " if unicodedata.category(c)[0] in "ZC" else c for c in text).split())
    if len(plain) > limit:
        plain = plain[: limit - 1].rstrip() + "…"
    return plain.replace("\ufb02", "fl").replace("\u00b6\u00df", "\u00b6 \u00df") or '""'


def test_names_and_labels_that_look_like_syntax_are_shown_as_written() -> None:
    states = {
        name: {"label": {"zh": name, "en": name}, "timers": [{"after": name, "trigger": name}]}
        for name in HOSTILE
    }
    transitions = [
        {"trigger": name, "source": name, "dest": {name: HOSTILE[(n + 1) % len(HOSTILE)]}, "when": name}
        for n, name in enumerate(HOSTILE)
    ]
    tree = {"initial": HOSTILE[0], "states": states, "transitions": transitions}
    for lang in (None, "zh", "en"):
        diagram = read_diagram(workflow_diagram(tree, dict.fromkeys(HOSTILE, 1), lang) or "")
        assert [st.label for st in diagram.states.values()] == [_shown(name) for name in HOSTILE]
        assert diagram.classes == {}  # every name found its own state
        ids = list(diagram.states)
        for n, name in enumerate(HOSTILE):
            shown = _shown(name)
            after = _shown(word("diagram.after").get(lang or "en").format(after=name), MAX_WORDS)
            guard = f" [{_shown(name, MAX_SAID if lang else MAX_GUARD)}]" if name.strip() else ""
            assert diagram.texts(ids[n], ids[(n + 1) % len(ids)]) == [f"{shown} ({shown}){guard} · {after}"]
            assert diagram.states[ids[n]].notes == [word("diagram.orders").get(lang or "en").format(n=1)]


def test_a_long_label_or_guard_is_cut() -> None:
    tree = {
        "states": {"a": {"label": {"en": "x" * 500}}, "b": {}},
        "transitions": [{"trigger": "go", "source": "a", "dest": "b", "when": "order.total > " + "9" * 500}],
    }
    diagram = read_diagram(workflow_diagram(tree, labels="en") or "")
    assert diagram.states["s_a"].label == "x" * (MAX_LABEL - 1) + "…"
    (text,) = diagram.texts("s_a", "s_b")
    assert text == "go [" + ("order.total > " + "9" * 500)[: MAX_SAID - 1] + "…]"
    (plain,) = read_diagram(workflow_diagram(tree) or "").texts("s_a", "s_b")
    assert plain == "go [" + ("order.total > " + "9" * 500)[: MAX_GUARD - 1] + "…]"


def test_escaped_keeps_words_and_escapes_everything_else() -> None:
    assert escaped("Pending payment (2/3), ok? yes! a=b+c-d.") == "Pending payment (2/3), ok? yes! a=b+c-d."
    assert escaped("待支付，已收款（全角）") == "待支付，已收款（全角）"
    assert escaped('a "b" : c ; #1 %% <x>') == "a #34;b#34; #58; c #59; #35;1 #37;#37; #60;x#62;"
    assert escaped("pending_payment *x*") == "pending#95;payment #42;x#42;"
    assert escaped("direction  LR") == "direction#32;LR"
    assert escaped(" \n\t ") == "#34;#34;"
    assert escaped("abcdef", limit=4) == "abc…"


# --- ids ----------------------------------------------------------------------------------------------


def test_state_ids_are_safe_and_one_per_state_path() -> None:
    names = ["a.b", "a-b", "a b", "a_b", "A_B", "已支付", "已取消", "", "s_a_b_2", "state", "end", "1st"]
    tree: dict[str, Any] = {
        "states": {
            **{name: {} for name in names},
            "a": {"parallel": {"b": {"initial": "c", "states": {"c": {}, "d": {}}}}},
        },
        "transitions": [
            {"trigger": "t", "source": "a.b.c", "dest": "a.b.d"},
            {"trigger": "u", "source": "a.b", "dest": "a.b.c"},  # the state named "a.b", not the region
        ],
    }
    diagram = read_diagram(workflow_diagram(tree) or "")
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", sid) for sid in diagram.states)
    labels = [st.label for st in diagram.states.values()]
    assert labels == [*[_shown(name) for name in names], "a", "b", "c", "d"]
    c, d = diagram.by_label("c"), diagram.by_label("d")
    assert diagram.texts(c, d) == ["t"]
    assert diagram.texts(diagram.by_label("a.b"), c) == ["u"]
    assert len(set(diagram.states)) == len(diagram.states)
    # the same tree draws the same ids every time
    assert workflow_diagram(tree) == workflow_diagram(dict(tree))


@pytest.mark.parametrize(
    "source",
    [
        'stateDiagram-v2\n  state "a"b" as s_a\n',  # a quote closes the label
        'stateDiagram-v2\n  state "a" as s_a\n  s_a : x : y\n',  # a colon in a text
        'stateDiagram-v2\n  state "a;b" as s_a\n',
        'stateDiagram-v2\n  state "%%{init: {}}%%" as s_a\n',  # a directive
        'stateDiagram-v2\n  state "#x" as s_a\n',  # a comment, or an entity that is not a code
        'stateDiagram-v2\n  state "a" as s_a\n  s_a : go direction TB\n',  # a direction statement
        'stateDiagram-v2\n  state "**a**" as s_a\n',  # Markdown
        'stateDiagram-v2\n  state "<b>" as s_a\n',
        'stateDiagram-v2\n  state "a" as note\n',  # a keyword for an id
        'stateDiagram-v2\n  state "a" as s-a\n',
        'stateDiagram-v2\n  state "" as s_a\n',  # Mermaid refuses an empty label
        'stateDiagram-v2\n  state "a" as s_a\n  state "b" as s_a\n',  # one id twice
        'stateDiagram-v2\n  state "a" as s_a\n  s_a --> s_b : go\n',  # an id never declared
        'stateDiagram-v2\n  state "a" as s_a {\n',  # a composite never closed
        "stateDiagram-v2\n  --\n",
        'stateDiagram-v2\n  state "a" as s_a\n  s_a : x\u2028y\n',  # a line break JavaScript sees
        "stateDiagram-v2\n  note left of s_a : x\n",
        "stateDiagram-v2",  # no end of line
    ],
)
def test_the_reader_refuses_what_mermaid_would_read_otherwise(source: str) -> None:
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        read_diagram(source)


GUARDED = """
initial: waiting
states:
  waiting: {label: {zh: 待支付, en: Waiting}}
  paid: {label: {zh: 已支付, en: Paid}}
  free: {label: {zh: 免单, en: Free}}
  cancelled: {final: true}
transitions:
  - trigger: pay
    source: waiting
    dest: paid
    when: ["data.amount >= order.total", "order.method != 'cod' or 'director' in actor.roles"]
  - trigger: waive
    source: waiting
    dest: free
    when: order.total == 0 and not order.lines
    when_label: {zh: 免费订单, en: A free order}
  - {trigger: cancel, source: waiting, dest: cancelled, when: "order.total > 5000 and (("}
"""


def test_a_guard_is_shown_by_its_label_else_in_words_for_a_person() -> None:
    tree = tree_of(GUARDED)
    zh = read_diagram(workflow_diagram(tree, labels="zh") or "")
    assert zh.texts("s_waiting", "s_free") == ["waive [免费订单]"]
    assert zh.texts("s_waiting", "s_paid") == [
        "pay [data.amount ≥ order.total 且 (order.method ≠ 'cod' 或 'director' 属于 actor.roles)]"
    ]
    # a condition that does not parse is kept as written
    assert zh.texts("s_waiting", "s_cancelled") == ["cancel [order.total > 5000 and ((]"]
    en = read_diagram(workflow_diagram(tree, labels="en") or "")
    assert en.texts("s_waiting", "s_free") == ["waive [A free order]"]
    assert en.texts("s_waiting", "s_paid") == [
        "pay [data.amount ≥ order.total and (order.method ≠ 'cod' or 'director' in actor.roles)]"
    ]
    # without a language the guard is the definition's, as written
    plain = read_diagram(workflow_diagram(tree) or "")
    assert plain.texts("s_waiting", "s_free") == ["waive [order.total == 0 and not order.lines]"]


@pytest.mark.parametrize("path", ["workflows/retail/order.yaml", "workflows/wholesale/order.yaml"])
def test_the_shipped_guards_read_in_words(path: str) -> None:
    tree = tree_of((ROOT / path).read_text(encoding="utf-8"))
    for lang in ("zh", "en"):
        diagram = read_diagram(workflow_diagram(tree, labels=lang) or "")
        guards = [text for _, _, text, _ in diagram.edges if "[" in text]
        assert guards, path
        for text in guards:
            assert not re.search(r">=|<=|!=|==|#\d+;", text), text


def test_a_step_back_where_the_order_came_from_draws_an_arrow_to_each_state_it_may_have_come_from() -> None:
    path = VALID / "hold-order.yaml"
    source = workflow_diagram(tree_of(path.read_text(encoding="utf-8")))
    assert source is not None
    arrows = re.findall(r"^\s*(\w+) --> (\w+) : release$", source, flags=re.MULTILINE)
    assert sorted(arrows) == [("s_on_hold", "s_checked"), ("s_on_hold", "s_draft")]
    assert "@previous" not in source and "u_" not in source  # no unknown state drawn for it


def test_a_timer_at_a_moment_shows_its_moment_on_its_arrow_or_under_its_state() -> None:
    tree = tree_of(
        "initial: a\nstates:\n  a:\n    timers:\n      - {at: order.return_by, trigger: done}\n"
        "      - {at: order.due, trigger: nope}\n  c: {final: true}\ntransitions:\n"
        "  - {trigger: done, source: a, dest: c, label: {zh: 完成, en: Done}}\n"
    )
    zh, en = (read_diagram(workflow_diagram(tree, labels=lang) or "") for lang in ("zh", "en"))
    assert zh.texts("s_a", "s_c") == [f"完成 · {word('diagram.at').zh.format(at='order.return_by')}"]
    assert en.texts("s_a", "s_c") == ["Done · at order.return_by"]
    assert en.states["s_a"].notes == [
        word("diagram.timer_at_alone").en.format(at="order.due", trigger="nope")
    ]
