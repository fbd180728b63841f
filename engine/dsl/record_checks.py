"""Static checks of ``records:``, the kinds of child records a workflow's orders hold.

Each kind is a small state machine of its own: its initial state, its transitions' sources and
destinations are its own states; its roles are the workflow's; its forms, actions and conditions are
checked as an order transition's are. An order condition that reads ``records.<kind>`` must name a
declared kind. Every problem names its place (line:col) and, for a near miss, the name meant.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Mapping
from typing import Any, Protocol

from engine.common.json_path import child_path
from engine.common.suggest import near_miss
from engine.common.text import Text
from engine.rules.expr import ExpressionError, parse

RECORDS_ROOT = "records"  # the name an order's conditions read its records by
RECORD_ROOT = "record"  # the record a record transition's conditions read


class Checking(Protocol):
    """What the workflow checker offers these checks."""

    action_names: Collection[str] | None

    def problem(
        self,
        words: Text,
        path: str,
        code: str,
        hint: Text | None = None,
        *,
        key: bool = False,
        suggestion: str | None = None,
    ) -> None: ...

    def check_form(self, relative: str, path: str) -> None: ...

    def check_condition(self, text: str, path: str) -> None: ...


def record_kinds(tree: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The well-formed kinds of ``records:`` (a kind whose shape is wrong is the schema's to tell)."""
    records = tree.get("records")
    if not isinstance(records, Mapping):
        return {}
    return {
        name: kind
        for name, kind in records.items()
        if isinstance(name, str) and isinstance(kind, Mapping) and isinstance(kind.get("states"), Mapping)
    }


def check_records(
    checker: Checking, tree: Mapping[str, Any], roles: Collection[str], order_states: Collection[str]
) -> None:
    """Check every record kind of ``tree`` (the resolved workflow); ``order_states``: the order's state
    paths (top-level names and the leaves of parallel states) its ``order_states:`` may name."""
    for name, kind in record_kinds(tree).items():
        path = child_path("$.records", name)
        states = {s: body for s, body in kind["states"].items() if isinstance(s, str)}
        initial = kind.get("initial")
        if isinstance(initial, str) and initial not in states:
            checker.problem(
                Text(
                    f"记录类型 {name!r} 中有未知的初始状态 {initial!r}",
                    f"unknown initial state {initial!r} in record kind {name!r}",
                ),
                child_path(path, "initial"),
                "unknown-state",
                suggestion=near_miss(initial, list(states)),
            )
        if isinstance(kind.get("form"), str):
            checker.check_form(kind["form"], child_path(path, "form"))
        transitions = kind.get("transitions")
        for index, transition in enumerate(transitions if isinstance(transitions, list) else []):
            if isinstance(transition, Mapping):
                _check_transition(
                    checker,
                    name,
                    states,
                    transition,
                    child_path(child_path(path, "transitions"), index),
                    roles,
                    order_states,
                )


def _check_transition(
    checker: Checking,
    kind: str,
    states: Mapping[str, Any],
    transition: Mapping[str, Any],
    path: str,
    roles: Collection[str],
    order_states: Collection[str],
) -> None:
    trigger = transition.get("trigger")
    source = transition.get("source")
    written = [source] if isinstance(source, str) else list(source) if isinstance(source, list) else []
    for position, state in enumerate(written):
        where = child_path(path, "source")
        if not isinstance(source, str):
            where = child_path(where, position)
        if not isinstance(state, str):
            continue
        if state not in states:
            _unknown_state(checker, kind, state, list(states), where, "source")
        elif isinstance(states[state], Mapping) and states[state].get("final"):
            checker.problem(
                Text(
                    f"记录类型 {kind!r} 的流转 {trigger!r} 从终止状态 {state!r} 出发",
                    f"transition {trigger!r} of record kind {kind!r} leaves final state {state!r}",
                ),
                where,
                "from-final",
                Text(
                    "终止状态意味着记录已结束；请删除 final: true，或删除这个来源状态",
                    "a final state ends the record; remove final: true or this source",
                ),
            )
    dest = transition.get("dest")
    if isinstance(dest, str) and dest not in states:
        _unknown_state(checker, kind, dest, list(states), child_path(path, "dest"), "dest")
    named = transition.get("order_states")
    for position, state in enumerate(named if isinstance(named, list) else []):
        if isinstance(state, str) and state not in order_states:
            checker.problem(
                Text(
                    f"记录类型 {kind!r} 的流转 {trigger!r} 的 order_states 中有未知的订单状态 {state!r}",
                    f"unknown order state {state!r} in order_states of transition {trigger!r} of record "
                    f"kind {kind!r}",
                ),
                child_path(child_path(path, "order_states"), position),
                "unknown-state",
                Text(
                    "请写订单的状态名，或并行状态的叶子状态（如 fulfilling.shipping.in_progress）",
                    "name a state of the order, or a leaf of a parallel state "
                    "(e.g. fulfilling.shipping.in_progress)",
                ),
                suggestion=near_miss(state, list(order_states)),
            )
    known_roles = set(roles) | {"system"}
    for position, role in enumerate(transition.get("roles") or []):
        if isinstance(role, str) and role not in known_roles:
            unknown_role(checker, role, known_roles, child_path(child_path(path, "roles"), position))
    if isinstance(transition.get("form"), str):
        checker.check_form(transition["form"], child_path(path, "form"))
    if checker.action_names is not None:
        for position, action in enumerate(transition.get("actions") or []):
            if isinstance(action, str) and action not in checker.action_names:
                unknown_action(checker, action, child_path(child_path(path, "actions"), position))
    when = transition.get("when")
    conditions = [(when, child_path(path, "when"))] if isinstance(when, str) else []
    if isinstance(when, list):
        conditions = [
            (t, child_path(child_path(path, "when"), i)) for i, t in enumerate(when) if isinstance(t, str)
        ]
    for text, where in conditions:
        checker.check_condition(text, where)


def unknown_role(checker: Checking, role: str, roles: Collection[str], path: str) -> None:
    """A transition (an order's or a record's) names a role the workflow does not list."""
    checker.problem(
        Text(f"未知的角色 {role!r}", f"unknown role {role!r}"),
        path,
        "unknown-role",
        Text("请把它加入工作流的 roles: 列表", "add it to the workflow's roles: list"),
        suggestion=near_miss(role, roles),
    )


def unknown_action(checker: Checking, action: str, path: str) -> None:
    """A transition (an order's or a record's) names an action no plugin registers."""
    checker.problem(
        Text(f"未知的动作 {action!r}", f"unknown action {action!r}"),
        path,
        "unknown-action",
        Text(
            "动作是已注册的插件名称（orderloom.actions）",
            "actions are the registered plugin names (orderloom.actions)",
        ),
        suggestion=near_miss(action, checker.action_names or ()),
    )


def _unknown_state(checker: Checking, kind: str, name: str, states: list[str], path: str, where: str) -> None:
    checker.problem(
        Text(
            f"记录类型 {kind!r} 的 {where} 中有未知的状态 {name!r}",
            f"unknown state {name!r} in {where} of record kind {kind!r}",
        ),
        path,
        "unknown-state",
        suggestion=near_miss(name, states),
    )


def check_record_reads(checker: Checking, tree: Mapping[str, Any]) -> None:
    """An order or record condition reading ``records.<kind>`` names a declared kind."""
    kinds = list(record_kinds(tree))
    places: list[tuple[Any, str]] = []
    transitions = tree.get("transitions")
    for index, transition in enumerate(transitions if isinstance(transitions, list) else []):
        if isinstance(transition, Mapping):
            places.append((transition.get("when"), child_path(child_path("$.transitions", index), "when")))
    for name, kind in record_kinds(tree).items():
        path = child_path(child_path("$.records", name), "transitions")
        transitions = kind.get("transitions")
        for index, transition in enumerate(transitions if isinstance(transitions, list) else []):
            if isinstance(transition, Mapping):
                places.append((transition.get("when"), child_path(child_path(path, index), "when")))
    for when, path in places:
        texts = [(when, path)] if isinstance(when, str) else []
        if isinstance(when, list):
            texts = [(t, child_path(path, i)) for i, t in enumerate(when) if isinstance(t, str)]
        for text, where in texts:
            for read in kinds_read(text):
                if read not in kinds:
                    checker.problem(
                        Text(
                            f"条件读取了未声明的记录类型 {RECORDS_ROOT}.{read}；"
                            f"已声明：{'、'.join(kinds) or '无'}",
                            f"the condition reads {RECORDS_ROOT}.{read}, a record kind not declared; "
                            f"declared: {', '.join(kinds) or 'none'}",
                        ),
                        where,
                        "unknown-record-kind",
                        Text("请在工作流的 records: 下声明它", "declare it under the workflow's records:"),
                        suggestion=near_miss(read, kinds),
                    )


def kinds_read(text: str) -> list[str]:
    """The kinds ``text`` reads as ``records.<kind>`` (nothing when it does not parse: said elsewhere)."""
    try:
        tree = parse(text)
    except (ExpressionError, SyntaxError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == RECORDS_ROOT
        ):
            found.append(node.attr)
    return sorted(set(found))
