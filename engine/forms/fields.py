"""Field paths of a form's data schema: how the UI schema, conditions and messages name a field.

A field path is dotted from the top of the form: ``customer.mobile``; ``lines`` is an array and
``lines[].sku`` the ``sku`` of each of its items. A path is resolved through ``properties`` and ``items``,
local ``$ref`` (``#/$defs/...``) and the branches of ``allOf``, ``anyOf``, ``oneOf``, ``if``/``then``/``else``
(a property declared only in a ``then`` is still a field of the form).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from engine.common.text import Text  # labels in both languages, one type for workflows and forms

__all__ = [
    "ITEMS",
    "Text",
    "always",
    "description",
    "field_path",
    "fields_of",
    "first",
    "kinds",
    "pattern_hint",
    "properties",
    "resolve",
    "split_path",
    "title",
]

ITEMS = "[]"  # the token of "each item of the array" in a field path
_BRANCHES = ("allOf", "anyOf", "oneOf")
_NAME = re.compile(r"[^.\[\]]+")
_MAX_DEPTH = 32


def split_path(path: str) -> list[str] | None:
    """``"lines[].sku"`` -> ``["lines", "[]", "sku"]``; None when ``path`` is not a field path."""
    tokens: list[str] = []
    for part in path.split("."):
        name, brackets = part, 0
        while name.endswith(ITEMS):
            name, brackets = name[: -len(ITEMS)], brackets + 1
        if not _NAME.fullmatch(name):
            return None
        tokens.append(name)
        tokens.extend([ITEMS] * brackets)
    return tokens if tokens and tokens[-1] != ITEMS else None


def field_path(parts: Sequence[str | int]) -> str:
    """The field path of a JSON instance path (``["lines", 2, "qty"]`` -> ``"lines[].qty"``)."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += ITEMS
        else:
            text += f".{part}" if text else part
    return text


def _deref(root: Mapping[str, Any], node: Any, depth: int = 0) -> Any:
    """``node`` with a local ``$ref`` followed (its other keywords are read by the callers through the
    branches); None for a reference that cannot be followed."""
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and depth < _MAX_DEPTH:
        ref: str = node["$ref"]
        if not ref.startswith("#"):
            return None
        target: Any = root
        for raw in [p for p in ref[1:].split("/") if p]:
            key = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(target, Mapping) and key in target:
                target = target[key]
            else:
                return None
        if len(node) > 1:  # "$ref" beside other keywords: both apply; read the others too
            return {"allOf": [target, {k: v for k, v in node.items() if k != "$ref"}]}
        node, depth = target, depth + 1
    return node


def _alternatives(root: Mapping[str, Any], node: Any, depth: int = 0) -> Iterator[Mapping[str, Any]]:
    """``node`` and every schema that applies beside it (``$ref``, allOf/anyOf/oneOf, then/else)."""
    node = _deref(root, node)
    if not isinstance(node, Mapping) or depth > _MAX_DEPTH:
        return
    yield node
    for keyword in _BRANCHES:
        for branch in node.get(keyword) or ():
            yield from _alternatives(root, branch, depth + 1)
    for keyword in ("then", "else"):
        if keyword in node:
            yield from _alternatives(root, node[keyword], depth + 1)


def properties(root: Mapping[str, Any], node: Any) -> dict[str, Any]:
    """Every property declared for the object ``node`` (first declaration of a name wins its place)."""
    found: dict[str, list[Any]] = {}
    for alternative in _alternatives(root, node):
        declared = alternative.get("properties")
        if isinstance(declared, Mapping):
            for name, schema in declared.items():
                found.setdefault(name, []).append(schema)
    return {
        name: (schemas[0] if len(schemas) == 1 else {"allOf": schemas}) for name, schemas in found.items()
    }


def _items(root: Mapping[str, Any], node: Any) -> Any:
    found = [a["items"] for a in _alternatives(root, node) if isinstance(a.get("items"), Mapping)]
    if not found:
        return None
    return found[0] if len(found) == 1 else {"allOf": found}


def resolve(root: Mapping[str, Any], path: str | Sequence[str]) -> Any:
    """The schema of the field at ``path`` (a field path or its tokens), or None when there is none."""
    tokens = split_path(path) if isinstance(path, str) else list(path)
    if tokens is None:
        return None
    node: Any = root
    for token in tokens:
        node = _items(root, node) if token == ITEMS else properties(root, node).get(token)
        if node is None:
            return None
    return node


def first(root: Mapping[str, Any], node: Any, keyword: str) -> Any:
    """The first value of ``keyword`` in ``node`` or what applies beside it (None when none)."""
    for alternative in _alternatives(root, node):
        if keyword in alternative:
            return alternative[keyword]
    return None


def always(root: Mapping[str, Any], node: Any, keyword: str) -> tuple[bool, Any]:
    """Whether ``node`` says ``keyword`` where it always applies, and its value: in ``node`` itself or
    behind a local ``$ref`` or an ``allOf`` branch, never in ``anyOf``, ``oneOf``, ``then`` or ``else``
    (which hold only sometimes). ``(False, None)`` when it does not; the value may itself be null."""
    pending = [(node, 0)]
    while pending:
        current, depth = pending.pop(0)
        current = _deref(root, current)
        if not isinstance(current, Mapping) or depth > _MAX_DEPTH:
            continue
        if keyword in current:
            return True, current[keyword]
        pending.extend((branch, depth + 1) for branch in current.get("allOf") or ())
    return False, None


def kinds(root: Mapping[str, Any], node: Any) -> frozenset[str]:
    """The JSON types ``node`` declares (``integer`` counts as ``number`` too); empty when it says none."""
    found: set[str] = set()
    for alternative in _alternatives(root, node):
        kind = alternative.get("type")
        for one in kind if isinstance(kind, list) else [kind]:
            if isinstance(one, str):
                found.add(one)
        if "properties" in alternative:
            found.add("object")
        if "items" in alternative:
            found.add("array")
    if "integer" in found:
        found.add("number")
    return frozenset(found)


def title(root: Mapping[str, Any], node: Any) -> Text | None:
    """The field's label from ``title`` and ``x-title-zh`` (either stands for the other when alone)."""
    en, zh = first(root, node, "title"), first(root, node, "x-title-zh")
    if not isinstance(en, str) and not isinstance(zh, str):
        return None
    return Text(zh if isinstance(zh, str) else str(en), en if isinstance(en, str) else str(zh))


def description(root: Mapping[str, Any], node: Any) -> Text | None:
    en, zh = first(root, node, "description"), first(root, node, "x-description-zh")
    if not isinstance(en, str) and not isinstance(zh, str):
        return None
    return Text(zh if isinstance(zh, str) else str(en), en if isinstance(en, str) else str(zh))


PATTERN_HINT = "x-pattern-hint"
# beside a text's ``pattern``: the characters people type between its groups (a bank account's spaces and
# dashes), dropped before the value is checked and stored (``FormLayout.prepare``)
SEPARATORS = "x-separators"


def pattern_hint(root: Mapping[str, Any], node: Any) -> Text | None:
    """What a field's ``pattern`` wants, in words (``x-pattern-hint``: ``{zh, en}``), or None."""
    hint = node.get(PATTERN_HINT) if isinstance(node, Mapping) else None
    if hint is None:
        hint = first(root, node, PATTERN_HINT)
    if isinstance(hint, Mapping) and isinstance(hint.get("zh"), str) and isinstance(hint.get("en"), str):
        return Text(hint["zh"], hint["en"])
    return None


def fields_of(root: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Every field of the form in document order: a field, then the fields inside it."""
    found: list[tuple[str, Any]] = []

    def walk(prefix: str, node: Any, depth: int) -> None:
        if depth > _MAX_DEPTH:
            return
        for name, schema in properties(root, node).items():
            path = f"{prefix}.{name}" if prefix else name
            found.append((path, schema))
            walk(path, schema, depth + 1)
            items, inner = _items(root, schema), path
            while items is not None and depth < _MAX_DEPTH:
                inner += ITEMS
                walk(inner, items, depth + 1)
                items = _items(root, items)

    walk("", root, 0)
    return found
