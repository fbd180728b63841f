"""Masked numbers (脱敏): mobile and ID numbers shown whole only to the roles a workflow names.

Which fields hold them is read from the version's forms: a field of ``format: mobile-cn`` or
``resident-id-cn``, a field a form marks ``x-sensitive: true``, and the fields the workflow's ``search:``
finds mobiles by. Which roles see them whole is the workflow's ``reveal:``; every other role sees
``138****5678`` and ``110101********123X``. The engine masks the order in what the pages read (the
list, the search's results, the order's page, the step's page): a page never has the whole number
to leak.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.dsl.spec import WorkflowSpec
from engine.forms.data_paths import ITEMS, data_paths

MOBILE = "mobile"
RESIDENT_ID = "resident-id"
OTHER = "other"
_STYLES = {"mobile-cn": MOBILE, "resident-id-cn": RESIDENT_ID}


def masked_fields(spec: WorkflowSpec) -> dict[str, str]:
    """The data fields the version masks, by dotted path (``[]`` into lists), with how each is masked."""
    found: dict[str, str] = {}
    for schema in spec.forms.values():
        for path, node in data_paths(schema).items():
            style = _STYLES.get(str(node.get("format")))
            if style is None and node.get("x-sensitive") is True:
                style = OTHER
            if style is not None:
                found.setdefault(path, style)
    for path in spec.search.get("mobile", ()):
        found[path] = MOBILE
    return found


def mask(value: str, style: str) -> str:
    """``value`` with its middle hidden: a mobile keeps its first 3 and last 4 characters
    (138****5678), an ID number its first 6 and last 4 (110101********123X), anything else its last 4
    (or nothing, when it is that short)."""
    text = str(value)
    keep = {MOBILE: (3, 4), RESIDENT_ID: (6, 4)}.get(style, (0, 4))
    head, tail = keep
    if len(text) <= head + tail:
        return "*" * len(text)
    return text[:head] + "*" * (len(text) - head - tail) + text[len(text) - tail :]


def masked_data(data: Mapping[str, Any], fields: Mapping[str, str]) -> dict[str, Any]:
    """A copy of the order's data with the values at ``fields`` masked (text and numbers alike)."""

    def walk(value: Any, prefix: str) -> Any:
        if isinstance(value, Mapping):
            return {k: walk(v, f"{prefix}.{k}" if prefix else str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(item, prefix + ITEMS) for item in value]
        style = fields.get(prefix)
        if style is not None and isinstance(value, str | int) and not isinstance(value, bool):
            return mask(str(value), style)
        return value

    copied: dict[str, Any] = walk(data, "")
    return copied


def reveals(spec: WorkflowSpec, roles: frozenset[str], is_system: bool = False) -> bool:
    """Whether a person of ``roles`` sees the version's masked fields whole."""
    return is_system or not roles.isdisjoint(spec.reveal)


__all__ = ["mask", "masked_data", "masked_fields", "reveals"]
