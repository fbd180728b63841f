"""What changed between two versions of a definition, for people: the studio's diff of published versions.

:func:`text_diff` is the unified diff of two texts (``difflib``); :func:`compare_texts` marks each line
of two texts that the other lacks, for showing them side by side (the studio's save conflict).
:func:`bundle_changes` reads two published bundles (a :class:`~engine.dsl.compiler.Bundle`, or its
``content()``) and says what changed in their meaning, each change with what it was and what it is now
in short:

* the workflow's own settings (``initial``, ``title``, ``channels``, ``roles`` …), by key;
* states, by path (``fulfilling.payment.paid``): label, ``final``, ``queue``, timers, a parallel state's
  regions; the states of a region are states of their own;
* transitions, each known by its trigger and its source as written (``cancel from paid,
  pending_shipment``, the sources sorted, as overlays name them; the second of two on one trigger and
  source is ``#2``): its destination, guard, roles, form, actions, rule file, ``auto``, the timers that
  fire it from its sources, and the rest of its keys;
* rule files, by path: a file added or removed, and in a file kept its entries by ``name`` in each of
  the lists its kind names (``RuleKind.named``: an audit's ``rules``, a decision table's ``inputs`` and
  ``rules``, routing's ``warehouses`` and ``carriers``, correlation's ``patterns``), then its other keys
  as settings;
* forms, by path: a form added or removed, and in a form kept its fields by field path
  (``lines[].sku``) with whether each is required, its other keywords as settings; a form's UI file
  (layout) as one change;
* record kinds (``records:``), by name: a kind added or removed, a kept kind's own keys (label, form,
  initial …), and its states and transitions as the order's are compared, each named by its kind
  (``shipment.shipped``, ``shipment.deliver from shipped``) and worded with the kind's labels
  ("发货单：签收：从 已发货").

Each part is sorted (by file, then what, then name) and every text is cut short, so the same two
versions always give the same small list. A change of a state or a transition is also worded for a person
(:class:`Worded`, zh and en): named by the labels of its states and trigger ("取消：从 待支付"), its aspects
by their names in the catalogue (``diff.aspect.*``), durations, reasons, roles and outcomes in words.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from engine.common.text import Text
from engine.common.words import term, translate, words_of
from engine.dsl.compiler import Bundle, canonical_json
from engine.dsl.spec import ANY_SOURCE, SEPARATOR
from engine.forms.fields import fields_of, first, resolve, split_path
from engine.rules.kinds import rule_kind

__all__ = [
    "Change",
    "ChangeKind",
    "Changes",
    "MarkedLine",
    "TextComparison",
    "Worded",
    "bundle_changes",
    "compare_texts",
    "text_diff",
]

MAX_TEXT = 160  # characters of a change's before or after
MAX_VALUE = 80  # characters of one value inside it
_ABSENT = "—"

# The keys shown first, in this order; the others follow in alphabetical order.
_STATE_KEYS = ("label", "final", "queue", "timers", "regions", "description")
_TRANSITION_KEYS = (
    "dest",
    "when",
    "rules",
    "roles",
    "form",
    "actions",
    "set",
    "auto",
    "interrupts",
    "timers",
    "refusal",
    "shows",
    "label",
    "description",
)
_ITEM_KEYS = ("when", "cells", "then", "outcome", "expr", "queue", "reason", "label")


def text_diff(old: str, new: str, old_name: str, new_name: str) -> list[str]:
    """The unified diff of two texts, one line per item without its line break; empty when the texts
    have the same lines (a different line ending or final newline is no change)."""
    return list(difflib.unified_diff(old.splitlines(), new.splitlines(), old_name, new_name, lineterm=""))


@dataclass(frozen=True)
class MarkedLine:
    """A line of a text set against another: its number (from 1), its text, and whether the other
    text lacks it (removed from the old text, or added in the new one)."""

    number: int
    text: str
    changed: bool


@dataclass(frozen=True)
class TextComparison:
    """Two texts marked against each other, line by line, with their unified diff (empty when they
    have the same lines)."""

    old: tuple[MarkedLine, ...]
    new: tuple[MarkedLine, ...]
    diff: tuple[str, ...]

    @property
    def same(self) -> bool:
        return not self.diff

    @property
    def removed(self) -> int:
        """Lines of the old text the new one lacks."""
        return sum(1 for line in self.old if line.changed)

    @property
    def added(self) -> int:
        """Lines of the new text the old one lacks."""
        return sum(1 for line in self.new if line.changed)


def compare_texts(old: str, new: str, old_name: str, new_name: str) -> TextComparison:
    """``old`` and ``new`` marked against each other: each line of either that the other lacks, as the
    unified diff (:func:`text_diff`) sees them, and that diff."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    old_changed, new_changed = [False] * len(old_lines), [False] * len(new_lines)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            old_changed[i1:i2] = [True] * (i2 - i1)
        if tag in ("replace", "insert"):
            new_changed[j1:j2] = [True] * (j2 - j1)
    return TextComparison(
        tuple(MarkedLine(n, line, old_changed[n - 1]) for n, line in enumerate(old_lines, start=1)),
        tuple(MarkedLine(n, line, new_changed[n - 1]) for n, line in enumerate(new_lines, start=1)),
        tuple(text_diff(old, new, old_name, new_name)),
    )


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class Worded:
    """A change of a state or a transition worded for a person, in both languages: its name with the
    labels of its states and trigger ("取消：从 待支付" / "Cancel: from Pending payment"), and what it was
    and is (``"计时器：30 分钟后 取消"``) — None where the change has no such side."""

    name: Text
    before: Text | None
    after: Text | None


@dataclass(frozen=True)
class Change:
    """One thing added, removed or changed. ``what`` says what it is: ``setting``, ``state``,
    ``transition``, ``rule_file``, a rule file's list (``rules``, ``inputs``, ``warehouses``,
    ``carriers``, ``patterns``), ``form``, ``field``, ``layout``, ``record_kind``, ``record_state`` or
    ``record_transition``; ``name`` is its name there, ``file``
    the rule file or form it is in. ``before`` is what it was (None when added), ``after`` what it is now
    (None when removed): for a change, only the parts that differ."""

    kind: ChangeKind
    what: str
    name: str
    before: str | None
    after: str | None
    file: str | None = None
    worded: Worded | None = None  # states and transitions: the same change for a person, zh and en

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "what": self.what,
            "name": self.name,
            "file": self.file,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True)
class Changes:
    """What changed between two versions, part by part, each part sorted."""

    workflow: tuple[Change, ...] = ()
    states: tuple[Change, ...] = ()
    transitions: tuple[Change, ...] = ()
    rules: tuple[Change, ...] = ()
    forms: tuple[Change, ...] = ()
    records: tuple[Change, ...] = ()

    def __bool__(self) -> bool:
        return any((self.workflow, self.states, self.transitions, self.rules, self.forms, self.records))

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "workflow": [c.to_dict() for c in self.workflow],
            "states": [c.to_dict() for c in self.states],
            "transitions": [c.to_dict() for c in self.transitions],
            "rules": [c.to_dict() for c in self.rules],
            "forms": [c.to_dict() for c in self.forms],
            "records": [c.to_dict() for c in self.records],
        }


# --- short texts ------------------------------------------------------------------------------------


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _short(value: Any) -> str:
    """A value in a few words: text as it is, a list as ``a, b``, a mapping as ``k: v, …``."""
    if value is None:
        return _ABSENT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value
    elif isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        text = ", ".join(_short(v) for v in value) or "[]"
    elif isinstance(value, Mapping) and all(isinstance(v, str | int | float | bool) for v in value.values()):
        text = ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) or "{}"
    else:
        text = canonical_json(value)
    return _cut(text, MAX_VALUE)


def _same(a: Any, b: Any) -> bool:
    return canonical_json(a) == canonical_json(b)


def _ordered(keys: Iterable[str], first_keys: Sequence[str]) -> list[str]:
    present = set(keys)
    return [k for k in first_keys if k in present] + sorted(present - set(first_keys))


def _summary(aspects: Mapping[str, Any], order: Sequence[str]) -> str:
    return _cut("; ".join(f"{k}: {_short(aspects[k])}" for k in _ordered(aspects, order)), MAX_TEXT)


def _compared(
    what: str,
    name: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    order: Sequence[str],
    file: str | None = None,
    words: _Wording | None = None,
) -> Change | None:
    """The change between two sets of aspects (None for one that is absent): added, removed, changed
    with the aspects that differ, or None when they are the same; worded for a person by ``words``
    (states and transitions)."""
    if old is None and new is None:
        return None
    if old is None:
        shown_new = new or {}
        worded = words.worded(what, name, None, _ordered(shown_new, order), shown_new) if words else None
        return Change(ChangeKind.ADDED, what, name, None, _summary(shown_new, order), file, worded)
    if new is None:
        worded = words.worded(what, name, old, _ordered(old, order), None) if words else None
        return Change(ChangeKind.REMOVED, what, name, _summary(old, order), None, file, worded)
    differ = [k for k in _ordered({*old, *new}, order) if not _same(old.get(k), new.get(k))]
    if not differ:
        return None
    before = {k: old.get(k) for k in differ}
    after = {k: new.get(k) for k in differ}
    worded = words.worded(what, name, before, differ, after) if words else None
    return Change(
        ChangeKind.CHANGED, what, name, _summary(before, differ), _summary(after, differ), file, worded
    )


def _changes(
    what: str,
    old: Mapping[str, Mapping[str, Any]],
    new: Mapping[str, Mapping[str, Any]],
    order: Sequence[str],
    file: str | None = None,
    words: _Wording | None = None,
) -> Iterator[Change]:
    for name in sorted({*old, *new}):
        change = _compared(what, name, old.get(name), new.get(name), order, file, words)
        if change is not None:
            yield change


def _sorted(changes: Iterable[Change]) -> tuple[Change, ...]:
    return tuple(
        sorted(changes, key=lambda c: (c.file or "", c.what, c.name, list(ChangeKind).index(c.kind)))
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# --- the workflow -----------------------------------------------------------------------------------


class _TimerText(str):
    """A timer in the definition's words (``after 30m: cancel (unpaid_timeout) when …``, ``at
    order.return_by: complete``), compared and
    cut short as that text, keeping the timer and, for a transition's, the state it waits in: what
    :class:`_Wording` words it from."""

    timer: Mapping[str, Any]
    state: str | None

    def __new__(cls, timer: Any, state: str | None = None) -> _TimerText:
        timer = _mapping(timer)
        where = f" in {state}" if state is not None else f": {timer.get('trigger')}"
        text = f"at {timer.get('at')}{where}" if "at" in timer else f"after {timer.get('after')}{where}"
        if timer.get("reason"):
            text += f" ({timer['reason']})"
        if timer.get("when"):
            text += f" when {timer['when']}"
        made = super().__new__(cls, text)
        made.timer, made.state = timer, state
        return made


def _state_aspects(body: Mapping[str, Any]) -> dict[str, Any]:
    aspects = {k: v for k, v in body.items() if k != "parallel"}
    if "timers" in aspects:
        aspects["timers"] = [_TimerText(t) for t in _list(body["timers"])]
    return aspects


def _states(workflow: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state by path, with the aspects compared: its keys, and a parallel state's regions (each
    region's initial state) instead of the states inside them, which are states of their own."""
    found: dict[str, dict[str, Any]] = {}
    for name, body in _mapping(workflow.get("states")).items():
        body = _mapping(body)
        aspects = _state_aspects(body)
        regions = _mapping(body.get("parallel"))
        if regions:
            aspects["regions"] = {
                region: f"initial {_mapping(inner).get('initial')}" for region, inner in regions.items()
            }
        found[name] = aspects
        for region, inner in regions.items():
            for child, child_body in _mapping(_mapping(inner).get("states")).items():
                found[SEPARATOR.join((name, region, child))] = _state_aspects(_mapping(child_body))
    return found


def _timers_of(workflow: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The timers of every state, by state path."""
    found: dict[str, list[Any]] = {}
    for name, body in _mapping(workflow.get("states")).items():
        found[name] = _list(_mapping(body).get("timers"))
        for region, inner in _mapping(_mapping(body).get("parallel")).items():
            for child, child_body in _mapping(_mapping(inner).get("states")).items():
                found[SEPARATOR.join((name, region, child))] = _list(_mapping(child_body).get("timers"))
    return found


def _sources(source: Any) -> list[str]:
    if isinstance(source, str):
        return [source]
    return sorted(str(s) for s in _list(source))


def _transitions(workflow: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every transition by its name (trigger and sources), with the aspects compared: its keys but
    those that name it, and the timers that fire it from its sources."""
    timers_of = _timers_of(workflow)
    everyone = [
        name for name, body in _mapping(workflow.get("states")).items() if not _mapping(body).get("final")
    ]
    found: dict[str, dict[str, Any]] = {}
    listed = [_mapping(t) for t in _list(workflow.get("transitions"))]
    names = [f"{t.get('trigger')} from {', '.join(_sources(t.get('source')))}" for t in listed]
    # twins (one trigger from the same sources) told apart by their labels when each has its own (取消订单,
    # 取消并退款: worded by the order), so their order in the file is no change; else by their place
    labels = {name: [_label_en(t) for t, n in zip(listed, names, strict=True) if n == name] for name in names}
    for transition, name in zip(listed, names, strict=True):
        trigger, sources = str(transition.get("trigger")), _sources(transition.get("source"))
        twins = labels[name]
        if len(twins) > 1 and all(twins) and len(set(twins)) == len(twins):
            name = f"{name} ({_label_en(transition)})"
        n = 1
        while (f"{name} #{n}" if n > 1 else name) in found:
            n += 1
        aspects = {k: v for k, v in transition.items() if k not in ("trigger", "source")}
        expanded = everyone if sources == [ANY_SOURCE] else sources
        timers = [
            _TimerText(timer, state)
            for state in expanded
            for timer in timers_of.get(state, [])
            if _mapping(timer).get("trigger") == trigger
        ]
        if timers:
            aspects["timers"] = timers
        found[f"{name} #{n}" if n > 1 else name] = aspects
    return found


_UNITS = {"s", "m", "h", "d"}


def _label_en(transition: Mapping[str, Any]) -> str:
    """A transition's English label, or nothing."""
    label = _label_of(transition.get("label"))
    return label.en if label is not None else ""


def _label_of(value: Any) -> Text | None:
    """A ``{zh, en}`` label as written; None for anything else."""
    value = _mapping(value)
    zh, en = value.get("zh"), value.get("en")
    return Text(zh, en) if isinstance(zh, str) and isinstance(en, str) else None


def _labels(workflows: Iterable[Mapping[str, Any]], part: str, key: str) -> dict[str, Text]:
    """The labels of the states (``part`` "states", by path) or of the triggers (``part``
    "transitions", the first labelled transition of each) of the workflows, the later winning."""
    found: dict[str, Text] = {}
    for workflow in workflows:
        if part == "states":
            for name, aspects in _states(workflow).items():
                label = _label_of(aspects.get("label"))
                if label is not None:
                    found[name] = label
            continue
        seen: set[str] = set()
        for transition in _list(workflow.get(part)):
            transition = _mapping(transition)
            label = _label_of(transition.get("label"))
            name = str(transition.get(key))
            if label is not None and name not in seen:
                found[name] = label
                seen.add(name)
    return found


@dataclass(frozen=True)
class _Wording:
    """Words a change of a state or a transition for a person, with the labels of the states and
    triggers of the two versions (the newer's where both have one)."""

    states: Mapping[str, Text]
    triggers: Mapping[str, Text]

    def worded(
        self,
        what: str,
        name: str,
        before: Mapping[str, Any] | None,
        keys: Sequence[str],
        after: Mapping[str, Any] | None,
    ) -> Worded:
        def side(aspects: Mapping[str, Any] | None) -> Text | None:
            if aspects is None:
                return None
            return self._both(lambda lang: self._aspects(aspects, keys, lang))

        return Worded(self._both(lambda lang: self._name(what, name, lang)), side(before), side(after))

    @staticmethod
    def _both(say: Callable[[str], str]) -> Text:
        return Text(_cut(say("zh"), MAX_TEXT), _cut(say("en"), MAX_TEXT))

    def state(self, name: str, lang: str) -> str:
        if name == ANY_SOURCE:
            return translate("diff.say.any_state", lang)
        label = self.states.get(name)
        return label.get(lang) if label is not None else name

    def trigger(self, name: str, lang: str) -> str:
        label = self.triggers.get(name)
        return label.get(lang) if label is not None else name

    def _name(self, what: str, name: str, lang: str) -> str:
        if what == "state":
            return self.state(name, lang)
        trigger, _, rest = name.partition(" from ")
        sources, _, n = rest.partition(" #")
        text = translate("diff.say.transition", lang).format(
            trigger=self.trigger(trigger, lang),
            sources=self._list([self.state(s, lang) for s in sources.split(", ") if s], lang),
        )
        return f"{text} #{n}" if n else text

    @staticmethod
    def _list(items: Sequence[str], lang: str) -> str:
        return ("、" if lang == "zh" else ", ").join(items)

    def _aspects(self, aspects: Mapping[str, Any], keys: Sequence[str], lang: str) -> str:
        said = [
            translate("diff.say.aspect", lang).format(
                key=named.get(lang) if (named := words_of("diff.aspect").get(key)) else key,
                value=self._value(key, aspects.get(key), lang),
            )
            for key in keys
            if key in aspects
        ]
        return ("；" if lang == "zh" else "; ").join(said)

    @staticmethod
    def duration(written: Any, lang: str) -> str:
        """``30m`` -> "30 分钟" / "30 minutes"; what is not a duration as written."""
        text = str(written)
        if len(text) < 2 or text[-1] not in _UNITS or not text[:-1].isdigit():
            return text
        n = int(text[:-1])
        return translate(f"diff.unit.{text[-1]}{'.one' if n == 1 else ''}", lang).format(n=n)

    def _timer(self, timer: Any, lang: str) -> str:
        if not isinstance(timer, _TimerText):
            return _short(timer)
        found = timer.timer
        at = "at" in found  # a moment the order holds, not a delay: its expression as written
        key = "diff.say.timer_at" if at else "diff.say.timer"
        when = " ".join(str(found["at"]).split()) if at else self.duration(found.get("after"), lang)
        if timer.state is not None:
            text = translate(f"{key}_in", lang).format(after=when, state=self.state(timer.state, lang))
        else:
            text = translate(key, lang).format(
                after=when, trigger=self.trigger(str(found.get("trigger")), lang)
            )
        if found.get("reason"):
            text += translate("diff.say.reason", lang).format(
                reason=term("reason", str(found["reason"]), lang)
            )
        if found.get("when"):
            text += translate("diff.say.when", lang).format(condition=" ".join(str(found["when"]).split()))
        return text

    def _value(self, key: str, value: Any, lang: str) -> str:
        if value is None:
            return _ABSENT
        if isinstance(value, bool):
            return translate("diff.say.yes" if value else "diff.say.no", lang)
        label = _label_of(value) if key == "label" else None
        if label is not None:
            return label.get(lang)
        if key == "timers":
            return self._list([self._timer(t, lang) for t in _list(value)], lang) or _ABSENT
        if key == "dest":
            if isinstance(value, str):
                return self.state(value, lang)
            return self._list(
                [
                    translate("diff.say.outcome", lang).format(
                        outcome=term("outcome", str(o), lang), state=self.state(str(d), lang)
                    )
                    for o, d in _mapping(value).items()
                ],
                lang,
            )
        if key == "roles" and isinstance(value, list):
            return self._list([term("role", str(r), lang) for r in value], lang)
        if key == "regions" and isinstance(value, Mapping):
            return self._list(
                [
                    translate("diff.say.region", lang).format(
                        region=region, state=self.state(str(start).removeprefix("initial "), lang)
                    )
                    for region, start in value.items()
                ],
                lang,
            )
        return _short(value)


_RECORD_KIND_KEYS = ("label", "form", "initial", "description")
_RECORD_PARTS = ("states", "transitions")


def _kind_named(change: Change, what: str, kind: str, label: Text | None) -> Change:
    """A change of a record kind's state or transition, named by its kind (``shipment.shipped``) and
    worded with the kind's label first ("发货单：已发货")."""
    worded = change.worded
    if worded is not None:
        shown = label or Text(kind, kind)
        name = Text(f"{shown.zh}：{worded.name.zh}", f"{shown.en}: {worded.name.en}")
        worded = Worded(name, worded.before, worded.after)
    return Change(change.kind, what, f"{kind}.{change.name}", change.before, change.after, None, worded)


def _record_changes(old_workflow: Mapping[str, Any], new_workflow: Mapping[str, Any]) -> Iterator[Change]:
    """The record kinds (``records:``): each added or removed with its own keys, and in a kind kept its
    own keys changed, its states and its transitions, as the order's are compared."""
    old, new = _mapping(old_workflow.get("records")), _mapping(new_workflow.get("records"))
    yield from _changes(
        "record_kind",
        {str(kind): _settings_of(_mapping(body)) for kind, body in old.items()},
        {str(kind): _settings_of(_mapping(body)) for kind, body in new.items()},
        _RECORD_KIND_KEYS,
    )
    for kind in sorted(set(old) & set(new)):
        before, after = _mapping(old[kind]), _mapping(new[kind])
        words = _Wording(
            _labels((before, after), "states", "label"), _labels((before, after), "transitions", "trigger")
        )
        label = _label_of(after.get("label")) or _label_of(before.get("label"))
        for what, found, order in (
            ("record_state", _states, _STATE_KEYS),
            ("record_transition", _transitions, _TRANSITION_KEYS),
        ):
            for change in _changes(
                what.removeprefix("record_"), found(before), found(after), order, None, words
            ):
                yield _kind_named(change, what, str(kind), label)


def _settings_of(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in _RECORD_PARTS}


def _settings(doc: Mapping[str, Any], leave_out: Iterable[str]) -> dict[str, dict[str, Any]]:
    """A document's other top-level keys, each a setting of its own (shown as ``key: value``)."""
    skipped = set(leave_out)
    return {str(key): {str(key): value} for key, value in doc.items() if key not in skipped}


# --- rule files ---------------------------------------------------------------------------------------


def _entries(items: Any) -> dict[str, dict[str, Any]]:
    """A list of named entries by name (an entry without one by its place, ``#3``)."""
    found: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(_list(items), start=1):
        item = _mapping(item)
        name = str(item["name"]) if isinstance(item.get("name"), str) else f"#{index}"
        key, n = name, 1
        while key in found:
            n += 1
            key = f"{name} #{n}"
        found[key] = {k: v for k, v in item.items() if k != "name"}
    return found


def _named(doc: Mapping[str, Any]) -> tuple[str, ...]:
    kind = rule_kind(doc.get("kind"))
    return kind.named if kind is not None else ()


def _rule_file_summary(doc: Mapping[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"ruleset": doc.get("ruleset"), "kind": doc.get("kind")}
    for key in _named(doc):
        summary[key] = len(_list(doc.get(key)))
    return summary


def _rule_changes(path: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    lists = dict.fromkeys([*_named(old), *_named(new)])
    for key in lists:
        yield from _changes(key, _entries(old.get(key)), _entries(new.get(key)), _ITEM_KEYS, path)
    yield from _changes("setting", _settings(old, lists), _settings(new, lists), (), path)


# --- forms ----------------------------------------------------------------------------------------------

_CHILDREN = ("properties", "required", "$defs")


def _own(schema: Any) -> Any:
    """A field's schema without what its own fields say (they are fields of their own)."""
    if not isinstance(schema, Mapping):
        return schema
    own = {k: v for k, v in schema.items() if k not in _CHILDREN}
    if "items" in own:
        own["items"] = _own(own["items"])
    return own


def _fields(form: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every field of a form by field path: its keywords (but its own fields'), and whether it is
    required where it is."""
    found: dict[str, dict[str, Any]] = {}
    for path, schema in fields_of(form):
        if path in found:
            continue
        tokens = split_path(path) or [path]
        # the object it is a property of: the form, another field, or each item of a list ("lines[]")
        parent = resolve(form, tokens[:-1]) if len(tokens) > 1 else form
        required = first(form, parent, "required") if parent is not None else None
        aspects = dict(_mapping(_own(schema)))
        aspects["required"] = isinstance(required, list) and tokens[-1] in required
        found[path] = aspects
    return found


def _form_changes(path: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    yield from _changes(
        "field", _fields(old), _fields(new), ("type", "title", "x-title-zh", "required"), path
    )
    yield from _changes("setting", _settings(old, _CHILDREN), _settings(new, _CHILDREN), (), path)


def _form_summary(form: Mapping[str, Any]) -> dict[str, Any]:
    return {"title": form.get("title"), "fields": len(_fields(form))}


# --- the two versions -------------------------------------------------------------------------------------


def _content(version: Bundle | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(version, Bundle):
        return version.content()
    if isinstance(version, Mapping):
        return version
    raise TypeError(
        f"bundle_changes compares two bundles or their content() mappings, not {type(version).__name__}"
    )


def _files(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    what: str,
    summary: Callable[[Mapping[str, Any]], Mapping[str, Any]],
    inside: Callable[[str, Mapping[str, Any], Mapping[str, Any]], Iterator[Change]],
) -> Iterator[Change]:
    """Files by path: one added or removed as a whole, with its ``summary``; one kept, what changed
    ``inside`` it."""
    for path in sorted({*old, *new}):
        before, after = old.get(path), new.get(path)
        if isinstance(before, Mapping) and isinstance(after, Mapping):
            yield from inside(path, before, after)
        elif isinstance(after, Mapping):
            yield Change(
                ChangeKind.ADDED, what, path, None, _summary(shown := summary(after), list(shown)), path
            )
        elif isinstance(before, Mapping):
            yield Change(
                ChangeKind.REMOVED, what, path, _summary(shown := summary(before), list(shown)), None, path
            )


def bundle_changes(old: Bundle | Mapping[str, Any], new: Bundle | Mapping[str, Any]) -> Changes:
    """What changed from the version ``old`` to the version ``new`` (the module's doc says how each
    part is compared). A part missing from either, or not of its shape, counts as empty."""
    before, after = _content(old), _content(new)
    old_workflow, new_workflow = _mapping(before.get("workflow")), _mapping(after.get("workflow"))
    words = _Wording(
        _labels((old_workflow, new_workflow), "states", "label"),
        _labels((old_workflow, new_workflow), "transitions", "trigger"),
    )
    layouts = [
        Change(change.kind, change.what, change.name, change.before, change.after, change.name)
        for change in _changes(
            "layout",
            {str(path): dict(_mapping(doc)) for path, doc in _mapping(before.get("layouts")).items()},
            {str(path): dict(_mapping(doc)) for path, doc in _mapping(after.get("layouts")).items()},
            (),
        )
    ]
    return Changes(
        workflow=_sorted(
            _changes(
                "setting",
                _settings(old_workflow, ("states", "transitions", "records")),
                _settings(new_workflow, ("states", "transitions", "records")),
                (),
            )
        ),
        states=_sorted(
            _changes("state", _states(old_workflow), _states(new_workflow), _STATE_KEYS, words=words)
        ),
        transitions=_sorted(
            _changes(
                "transition",
                _transitions(old_workflow),
                _transitions(new_workflow),
                _TRANSITION_KEYS,
                words=words,
            )
        ),
        rules=_sorted(
            _files(
                _mapping(before.get("rulesets")),
                _mapping(after.get("rulesets")),
                "rule_file",
                _rule_file_summary,
                _rule_changes,
            )
        ),
        forms=_sorted(
            [
                *_files(
                    _mapping(before.get("forms")),
                    _mapping(after.get("forms")),
                    "form",
                    _form_summary,
                    _form_changes,
                ),
                *layouts,
            ]
        ),
        records=_sorted(_record_changes(old_workflow, new_workflow)),
    )
