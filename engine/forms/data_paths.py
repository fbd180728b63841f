"""The fields of a data schema by their dotted paths, as the workflow language names them.

``customer.mobile`` is a field of an object; ``shipments[].waybill`` a field of every item of a list.
Local references (``#/$defs/...``) are followed; a schema that refers to itself is walked once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ITEMS = "[]"
MAX_DEPTH = 12  # deeper than any order's data: a recursive schema stops here


def _resolved(schema: Mapping[str, Any], node: Any) -> Any:
    seen = 0
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and seen < MAX_DEPTH:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return node
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, Mapping) else None
        node = target
        seen += 1
    return node


def data_paths(schema: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Every field of the schema by its dotted path (``[]`` after a list), with its schema."""
    found: dict[str, Mapping[str, Any]] = {}

    def walk(node: Any, prefix: str, depth: int) -> None:
        node = _resolved(schema, node)
        if not isinstance(node, Mapping) or depth > MAX_DEPTH:
            return
        properties = node.get("properties")
        if isinstance(properties, Mapping):
            for name, inner in properties.items():
                path = f"{prefix}.{name}" if prefix else str(name)
                resolved = _resolved(schema, inner)
                if isinstance(resolved, Mapping):
                    found[path] = resolved
                    walk(resolved, path, depth + 1)
        items = node.get("items")
        if prefix and isinstance(items, Mapping):
            walk(items, prefix + ITEMS, depth + 1)

    walk(schema, "", 0)
    return found


__all__ = ["ITEMS", "data_paths"]
