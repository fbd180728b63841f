"""JSON paths as problems and marks write them: ``$.states.paid``, ``$.lines[2]``, ``$["a b"]``."""

from __future__ import annotations

import json
import re

__all__ = ["child_path", "parent_path"]

_SIMPLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def child_path(path: str, key: str | int) -> str:
    """The JSON path of a child: ``$.states`` + ``paid`` -> ``$.states.paid``; ints index lists."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _SIMPLE_KEY.match(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def parent_path(path: str) -> str | None:
    """``$.a.b[2]`` -> ``$.a.b``; ``$`` -> None."""
    if path == "$":
        return None
    if path.endswith("]"):
        depth = 0
        in_string = False
        for index in range(len(path) - 1, -1, -1):
            char = path[index]
            if char == '"' and (index == 0 or path[index - 1] != "\\"):
                in_string = not in_string
            elif not in_string and char == "]":
                depth += 1
            elif not in_string and char == "[":
                depth -= 1
                if depth == 0:
                    return path[:index]
        return "$"
    cut = path.rfind(".")
    return path[:cut] if cut > 0 else "$"
