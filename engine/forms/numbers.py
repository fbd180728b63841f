"""Values JSON does not have: NaN and the infinities, and text holding half of a surrogate pair.

JSON Schema's ``number`` accepts a Python ``float('nan')`` or ``float('inf')``, so a form alone lets
them into an order, where they stay in its data and its append-only audit trail and break every later
comparison. Likewise a string such as ``"\\ud800x"`` reads as text holding a lone surrogate, which is
no character: it cannot be written as UTF-8, so the database refuses it in the middle of a step.
Submitted data is therefore searched for both before anything is written (:func:`unstorable_refusals`),
and each one is refused with the JSON path of its field, as form errors are.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from engine.errors import Refusal, RefusalCode

__all__ = ["lone_surrogate_paths", "non_finite_paths", "non_finite_refusals", "unstorable_refusals"]

_SURROGATE = re.compile("[\\ud800-\\udfff]")


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
            Refusal(
                RefusalCode.FORM,
                f"{path}：{shown} 不是有限数值（不接受 NaN 或无穷大）",
                f"{path}: {en}",
                details,
            )
        )
    return refusals


def lone_surrogate_paths(value: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """``(json_path, the surrogate as \\uXXXX)`` of every text (or key) holding half of a surrogate pair."""
    if isinstance(value, str):
        found = None if value.isascii() else _SURROGATE.search(value)
        if found is not None:
            yield path, f"\\u{ord(found.group()):04x}"
    elif isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}.{key}"
            if isinstance(key, str) and not _storable(key):
                where = f"{path}[{json.dumps(key)}]"  # the key escaped: the path itself is printable
                yield from lone_surrogate_paths(key, where)
            yield from lone_surrogate_paths(item, where)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from lone_surrogate_paths(item, f"{path}[{index}]")


def _storable(value: Any) -> bool:
    """Whether ``value`` holds nothing JSON storage refuses: the quick walk, for the common case."""
    kind = type(value)
    if kind is str:
        return value.isascii() or _SURROGATE.search(value) is None
    if kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is dict:
        return all(map(_storable, value)) and all(map(_storable, value.values()))
    if kind is list:
        return all(map(_storable, value))
    return not any(non_finite_paths(value)) and not any(lone_surrogate_paths(value))


def unstorable_refusals(data: Any, form: str | None = None) -> list[Refusal]:
    """A ``form`` refusal for each field of ``data`` holding NaN, an infinity or a lone surrogate."""
    if _storable(data):
        return []
    refusals = non_finite_refusals(data, form)
    for path, shown in lone_surrogate_paths(data):
        en = f"the text holds {shown}, half of a UTF-16 surrogate pair, which is no character"
        details: dict[str, Any] = {"path": path, "message": en, "value": shown}
        if form is not None:
            details["form"] = form
        zh = f"{path}：文本含有 {shown}，这是不成对的 UTF-16 代理项，不是有效字符"
        refusals.append(Refusal(RefusalCode.FORM, zh, f"{path}: {en}", details))
    return refusals
