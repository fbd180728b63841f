"""Overlays: a department tailors a shared workflow with ``extends`` + ``add`` / ``replace`` / ``remove``.

The result is a plain workflow tree, checked like any file. ``Located`` remembers where every state,
transition and top-level key of the result was written (the base file or the overlay), so a problem
found in the result names the line that caused it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.common.json_path import child_path
from engine.common.suggest import near_miss
from engine.common.text import Text
from engine.dsl.loader import Marks
from engine.errors import Problem

Origin = tuple[str, Marks, str]  # file, its marks, the JSON path inside that file

# Keys of an overlay that set the result's top-level key outright.
OVERRIDABLE = (
    "workflow",
    "department",
    "title",
    "description",
    "channels",
    "data",
    "intake",
    "create_roles",
    "search",
    "reveal",
    "catalogue",
)


def _is_prefix(prefix: str, path: str) -> bool:
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


@dataclass
class Located:
    """A definition tree together with where each part of it was written."""

    tree: Any
    origins: dict[str, Origin] = field(default_factory=dict)

    @classmethod
    def single(cls, tree: Any, file: str, marks: Marks) -> Located:
        return cls(tree, {"$": (file, marks, "$")})

    @property
    def file(self) -> str:
        return self.origins["$"][0]

    def origin(self, path: str) -> Origin:
        """Where ``path`` of this tree was written: (file, marks, path inside that file)."""
        best = "$"
        for prefix in self.origins:
            if len(prefix) > len(best) and _is_prefix(prefix, path):
                best = prefix
        file, marks, base = self.origins[best]
        return file, marks, base + path[len(best) :]

    def position(self, path: str, *, key: bool = False) -> tuple[str, int, int, str]:
        file, marks, original = self.origin(path)
        line, column = marks.key_at(original) if key else marks.at(original)
        return file, line, column, original

    def problem(
        self,
        message: Text,
        path: str,
        code: str,
        hint: Text | None = None,
        *,
        key: bool = False,
        suggestion: str | None = None,
    ) -> Problem:
        file, line, column, original = self.position(path, key=key)
        return Problem(message, file, line, column, original, hint, code, suggestion=suggestion)


def _sources(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return ()


def transition_key(transition: Any) -> tuple[str, frozenset[str]]:
    """How overlays name a transition: its trigger and its source as written."""
    if not isinstance(transition, dict):
        return ("", frozenset())
    return (str(transition.get("trigger", "")), frozenset(_sources(transition.get("source"))))


def _describe(key: tuple[str, frozenset[str]]) -> Text:
    trigger, sources = key
    names = ", ".join(sorted(sources)) or "?"
    return Text(f"触发为 {trigger!r}、来源为 {names} ", f"trigger {trigger!r} from {names}")


# How an overlay names a transition it replaces or removes, said when it names none.
_NAMED_AS_IN_BASE = Text(
    "流转由它的触发和来源状态确定，须与基础工作流中的写法完全一致",
    "a transition is named by its trigger and its source exactly as written in the base",
)


def _uses(transition: dict[str, Any], state: str) -> bool:
    names: set[Any] = set(_sources(transition.get("source")))
    dest = transition.get("dest")
    names.update(dest.values() if isinstance(dest, dict) else [dest])
    return any(name == state or (isinstance(name, str) and name.startswith(state + ".")) for name in names)


def apply_overlay(base: Located, overlay: Located) -> tuple[Located, list[Problem]]:
    """Apply one overlay (already schema-checked) to a resolved base workflow (already schema-checked)."""
    problems: list[Problem] = []
    doc: dict[str, Any] = overlay.tree
    tree: dict[str, Any] = copy.deepcopy(base.tree)
    origins: dict[str, Origin] = {"$": overlay.origin("$")}

    # Top-level keys: the overlay's own, or the base's.
    for key in list(tree) + [k for k in OVERRIDABLE if k in doc and k not in tree]:
        path = child_path("$", key)
        if key in OVERRIDABLE and key in doc:
            tree[key] = copy.deepcopy(doc[key])
            origins[path] = overlay.origin(path)
        elif key not in ("states", "transitions"):
            origins[path] = base.origin(path)
    origins["$.states"] = base.origin("$.states")
    origins["$.transitions"] = base.origin("$.transitions")
    add: dict[str, Any] = doc.get("add") or {}
    replace: dict[str, Any] = doc.get("replace") or {}
    remove: dict[str, Any] = doc.get("remove") or {}

    if add.get("roles"):
        roles = list(tree.get("roles") or [])
        roles += [role for role in add["roles"] if role not in roles]
        tree["roles"] = roles

    # States: each one whole, from the base or from the overlay.
    states: dict[str, tuple[Any, Origin]] = {
        name: (value, base.origin(child_path("$.states", name))) for name, value in tree["states"].items()
    }
    transitions: list[tuple[Any, Origin]] = [
        (value, base.origin(child_path("$.transitions", i))) for i, value in enumerate(tree["transitions"])
    ]

    for name, value in (replace.get("states") or {}).items():
        path = child_path("$.replace.states", name)
        if name not in states:
            problems.append(
                overlay.problem(
                    Text(
                        f"无法替换状态 {name!r}：基础工作流中没有这个状态",
                        f"cannot replace state {name!r}: the base workflow has no such state",
                    ),
                    path,
                    "overlay-unknown-state",
                    Text("要新增状态，请写在 add: 下", "use add: to add a new state"),
                    key=True,
                    suggestion=near_miss(name, states),
                )
            )
            continue
        states[name] = (copy.deepcopy(value), overlay.origin(path))
    for name, value in (add.get("states") or {}).items():
        path = child_path("$.add.states", name)
        if name in states:
            problems.append(
                overlay.problem(
                    Text(
                        f"无法新增状态 {name!r}：基础工作流中已有这个状态",
                        f"cannot add state {name!r}: the base workflow already has it",
                    ),
                    path,
                    "overlay-duplicate-state",
                    Text("要修改已有的状态，请写在 replace: 下", "use replace: to change an existing state"),
                    key=True,
                )
            )
            continue
        states[name] = (copy.deepcopy(value), overlay.origin(path))

    for i, value in enumerate(replace.get("transitions") or []):
        path = child_path("$.replace.transitions", i)
        wanted = transition_key(value)
        matches = [n for n, (existing, _) in enumerate(transitions) if transition_key(existing) == wanted]
        if not matches:
            named = _describe(wanted)
            problems.append(
                overlay.problem(
                    Text(
                        f"无法替换{named.zh}的流转：基础工作流中没有这个流转",
                        f"cannot replace the transition on {named.en}: the base workflow has none",
                    ),
                    path,
                    "overlay-unknown-transition",
                    _NAMED_AS_IN_BASE,
                )
            )
            continue
        for n in matches:
            transitions[n] = (copy.deepcopy(value), overlay.origin(path))

    for i, value in enumerate(remove.get("transitions") or []):
        path = child_path("$.remove.transitions", i)
        wanted = transition_key(value)
        kept = [item for item in transitions if transition_key(item[0]) != wanted]
        if len(kept) == len(transitions):
            triggers = {transition_key(t)[0] for t, _ in transitions}
            named = _describe(wanted)
            problems.append(
                overlay.problem(
                    Text(
                        f"无法移除{named.zh}的流转：基础工作流中没有这个流转",
                        f"cannot remove the transition on {named.en}: the base workflow has none",
                    ),
                    path,
                    "overlay-unknown-transition",
                    _NAMED_AS_IN_BASE,
                    suggestion=near_miss(wanted[0], triggers),
                )
            )
        transitions = kept

    for i, value in enumerate(add.get("transitions") or []):
        transitions.append((copy.deepcopy(value), overlay.origin(child_path("$.add.transitions", i))))

    for i, name in enumerate(remove.get("states") or []):
        path = child_path("$.remove.states", i)
        if name not in states:
            problems.append(
                overlay.problem(
                    Text(
                        f"无法移除状态 {name!r}：基础工作流中没有这个状态",
                        f"cannot remove state {name!r}: the base workflow has no such state",
                    ),
                    path,
                    "overlay-unknown-state",
                    suggestion=near_miss(name, states),
                )
            )
            continue
        users = [t for t, _ in transitions if isinstance(t, dict) and _uses(t, name)]
        if users or tree.get("initial") == name:
            what = (
                Text("它是初始状态", "it is the initial state")
                if tree.get("initial") == name
                else Text(
                    f"{_describe(transition_key(users[0])).zh}的流转仍在使用它",
                    f"the transition on {_describe(transition_key(users[0])).en} still uses it",
                )
            )
            problems.append(
                overlay.problem(
                    Text(f"无法移除状态 {name!r}：{what.zh}", f"cannot remove state {name!r}: {what.en}"),
                    path,
                    "overlay-state-in-use",
                    Text("请同时移除或替换使用它的流转", "remove or replace the transitions that use it too"),
                )
            )
            continue  # kept, so the result does not report the same thing again elsewhere
        del states[name]

    tree["states"] = {name: value for name, (value, _) in states.items()}
    tree["transitions"] = [value for value, _ in transitions]
    for name, (_, origin) in states.items():
        origins[child_path("$.states", name)] = origin
    for i, (_, origin) in enumerate(transitions):
        origins[child_path("$.transitions", i)] = origin
    tree.pop("extends", None)
    return Located(tree, origins), problems


def iter_files(located: Located) -> Iterator[str]:
    """Every file that contributed to a resolved tree."""
    seen: set[str] = set()
    for file, _, _ in located.origins.values():
        if file not in seen:
            seen.add(file)
            yield file
