"""Numbers JSON does not have: NaN and the infinities.

JSON Schema's ``number`` accepts a Python ``float('nan')`` or ``float('inf')``, so a form alone lets
them into an order, where they stay in its data and its append-only audit trail and break every later
comparison. Submitted data is therefore searched for them before anything is written, and each one is
refused with the JSON path of its field, as form errors are.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from engine.errors import Refusal

__all__ = ["non_finite_paths", "non_finite_refusals"]


def non_finite_paths(value: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """``(json_path, value as text)`` of every NaN or infinity in ``value``, in document order."""
    if isinstance(value, float):
        if not math.isfinite(value):
            yield path, repr(value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from non_finite_paths(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from non_finite_paths(item, f"{path}[{index}]")
    elif isinstance(value, Decimal) and not value.is_finite():
        yield path, str(value)


def _finite(value: Any) -> bool:
    """Whether ``value`` holds no NaN or infinity: the quick walk, without paths, for the common case."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is dict:
        return all(map(_finite, value.values()))
    if kind is list:
        return all(map(_finite, value))
    return not any(non_finite_paths(value))


def non_finite_refusals(data: Any, form: str | None = None) -> list[Refusal]:
    """A ``form`` refusal for each field of ``data`` holding NaN or an infinity (``[]`` when none)."""
    if _finite(data):
        return []
    refusals = []
    for path, shown in non_finite_paths(data):
        en = f"{shown} is not a finite number; JSON has no NaN or Infinity"
        details: dict[str, Any] = {"path": path, "message": en, "value": shown}
        if form is not None:
            details["form"] = form
        refusals.append(
            Refusal("form", f"{path}：{shown} 不是有限数值（不接受 NaN 或无穷大）", f"{path}: {en}", details)
        )
    return refusals
