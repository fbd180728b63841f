"""The managed lists a rule file's conditions name (``in_list('blocked-mobiles', …)``), checked against the
lists the file declares (``lists:``).

A list is declared by the rule file that names it: its kind (how values are normalised) and its label.
Publishing creates the declared lists a department does not have yet (``engine.runtime.publishing``),
so a published condition never names a list that is not there; what the lists hold is data, kept by the
department's admins. A condition naming a list the file does not declare is an error here, at the
condition, with the nearest declared name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from engine.common.json_path import child_path
from engine.common.suggest import near_miss
from engine.common.text import Text
from engine.errors import Problem
from engine.rules.expr import ExpressionError, parse

__all__ = ["UNDECLARED_LIST", "declared_lists", "list_problems", "named_lists_in", "rules_naming_lists"]

UNDECLARED_LIST = "undeclared-list"


def declared_lists(doc: Mapping[str, Any]) -> dict[str, tuple[str, Text]]:
    """The lists a (schema-valid) rule file declares: name -> (kind, label)."""
    found: dict[str, tuple[str, Text]] = {}
    lists = doc.get("lists")
    if isinstance(lists, Mapping):
        for name, raw in lists.items():
            if isinstance(raw, Mapping) and isinstance(raw.get("label"), Mapping):
                label = raw["label"]
                found[str(name)] = (str(raw.get("kind")), Text(str(label.get("zh")), str(label.get("en"))))
    return found


def named_lists_in(text: str) -> list[str]:
    """The list names ``in_list(...)`` calls of one condition give as text (none when it does not parse:
    its own check reports that)."""
    if "in_list" not in text:
        return []
    try:
        tree = parse(text)
    except ExpressionError:
        return []
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "in_list"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ]


def _strings(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            if key != "lists":
                yield from _strings(value, child_path(path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}[{index}]")


def rules_naming_lists(doc: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The lists a rule file's conditions name, each with the names of the rules that name it, in the
    file's order (a condition outside ``rules:`` is named by its JSON path)."""
    found: dict[str, dict[str, None]] = {}
    rules = doc.get("rules")
    for path, text in _strings(doc, "$"):
        named = named_lists_in(text)
        if not named:
            continue
        rule = path
        if isinstance(rules, list) and path.startswith("$.rules["):
            entry = rules[int(path[len("$.rules[") :].split("]", 1)[0])]
            if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
                rule = entry["name"]
        for name in named:
            found.setdefault(name, {})[rule] = None
    return {name: tuple(rules_of) for name, rules_of in found.items()}


def list_problems(doc: Mapping[str, Any], file: str) -> list[Problem]:
    """An error for each condition naming a list the file does not declare under ``lists:``."""
    declared = sorted(declared_lists(doc))
    problems = []
    for path, text in _strings(doc, "$"):
        for name in named_lists_in(text):
            if name in declared:
                continue
            problems.append(
                Problem(
                    Text(
                        f"条件引用的名单 {name!r} 未在本文件的 lists: 中声明",
                        f"the condition names the list {name!r}, which this file's lists: does not declare",
                    ),
                    file,
                    json_path=path,
                    hint_words=Text(
                        f"在文件顶层声明：lists: {{{name}: {{kind: mobile, label: {{zh: ..., en: ...}}}}}}",
                        f"declare it at the top of the file: lists: {{{name}: {{kind: mobile, label: "
                        "{zh: ..., en: ...}}}",
                    ),
                    code=UNDECLARED_LIST,
                    suggestion=near_miss(name, declared),
                )
            )
    return problems
