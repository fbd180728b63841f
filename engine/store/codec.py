"""The JSON codec of every stored document (order data, audit events, outbox payloads, bundles…)."""

from __future__ import annotations

import json
from typing import Any

import orjson

_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: Any) -> str:
    """Compact JSON text, non-ASCII kept as is, anything else JSON lacks (dates, decimals) as ``str``.

    orjson writes it about ten times faster than the standard library, which writes what orjson
    refuses (keys that are not strings, integers beyond 64 bits). NaN and infinities, which JSON
    does not have, are written as ``null``.
    """
    try:
        return orjson.dumps(value, default=str, option=_ORJSON_OPTIONS).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def loads(text: str | bytes) -> Any:
    """JSON text read back; the standard library reads what orjson refuses (``NaN`` of older rows)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


__all__ = ["dumps", "loads"]
