"""JSON Schema errors in words people read: the workflow schema's, and any definition file's.

``translate`` turns one ``jsonschema`` error into problems placed at its line and column (through
``Located``): an unknown key with "did you mean", a missing key, a wrong type or value named as people
name it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from engine.common.json_path import child_path
from engine.common.suggest import near_miss
from engine.common.words import words_of
from engine.dsl.overlay import Located
from engine.errors import Problem, brief, schema_message

__all__ = ["SCHEMA_FILE", "json_path", "schema_problems", "translate", "workflow_schema"]

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "workflow.schema.json"


@functools.cache
def workflow_schema() -> dict[str, Any]:
    """The published JSON Schema of workflow and overlay files."""
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(workflow_schema())


# the catalogue's words, in English as the definition checks' problems are written
_TYPE_WORDS = {name: text.en for name, text in words_of("definition.type").items()}
_PATTERN_WORDS = {name: text.en for name, text in words_of("definition.pattern").items()}
_NOUNS = {name: text.en for name, text in words_of("definition.noun").items()}
_ANY_OF_WORDS = {name: text.en for name, text in words_of("definition.any_of").items()}


@functools.cache
def _def_names() -> tuple[dict[str, str], dict[str, str]]:
    """(pattern -> $defs name, description -> $defs name) to tell which definition an error is in."""
    patterns: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    for name, definition in workflow_schema()["$defs"].items():
        if "pattern" in definition:
            patterns[definition["pattern"]] = name
        if "description" in definition:
            descriptions[definition["description"]] = name
    return patterns, descriptions


def json_path(parts: Iterable[str | int]) -> str:
    path = "$"
    for part in parts:
        path = child_path(path, part)
    return path


def _field(parts: Sequence[str | int]) -> str:
    names = [p for p in parts if isinstance(p, str)]
    if not parts:
        return "the file"
    if isinstance(parts[-1], int):
        return f"each entry of {names[-1]!r}" if names else "each entry"
    return repr(names[-1])


def schema_problems(tree: Any, located: Located) -> list[Problem]:
    problems: list[Problem] = []
    for error in _validator().iter_errors(tree):
        problems.extend(translate(error, located))
    return problems


def translate(error: ValidationError, located: Located) -> list[Problem]:
    parts = list(error.absolute_path)
    path = json_path(parts)
    what = _field(parts)
    keyword = error.validator
    instance: Any = error.instance
    value: Any = error.validator_value
    schema = error.schema if isinstance(error.schema, dict) else {}
    patterns, descriptions = _def_names()

    if "propertyNames" in error.absolute_schema_path:
        # The instance is the key itself; ``path`` is the mapping that holds it.
        key_path = child_path(path, str(instance))
        suggestion = None
        if keyword == "enum":
            message = f"{brief(instance)} is not a channel; use one of {', '.join(schema['enum'])}"
            suggestion = near_miss(str(instance), schema["enum"])
        else:
            words = _PATTERN_WORDS.get(patterns.get(str(schema.get("pattern")), ""), "a valid name")
            message = f"{brief(instance)} is not a valid name here: use {words}"
        return [located.problem(message, key_path, "schema-name", key=True, suggestion=suggestion)]

    if keyword == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        noun = _NOUNS.get(descriptions.get(str(schema.get("description")), ""), what)
        extra = [key for key in instance if key not in allowed]
        return [
            located.problem(
                f"unknown key {key!r} in {noun}",
                child_path(path, key),
                "unknown-key",
                f"allowed keys: {', '.join(allowed)}",
                key=True,
                suggestion=near_miss(key, allowed),
            )
            for key in extra
        ]
    if keyword == "required":
        noun = _NOUNS.get(descriptions.get(str(schema.get("description")), ""), what)
        names = [n for n in value if isinstance(instance, dict) and n not in instance]
        if len(names) == 1:
            return [located.problem(f"missing key {names[0]!r} in {noun}", path, "missing-key")]
        missing = ", ".join(repr(name) for name in names)
        return [located.problem(f"missing keys {missing} in {noun}", path, "missing-key")]
    if keyword == "type":
        expected = value
        words = (
            " or ".join(_TYPE_WORDS.get(str(t), str(t)) for t in expected)
            if isinstance(expected, list)
            else _TYPE_WORDS.get(str(expected), str(expected))
        )
        return [located.problem(f"{what} must be {words} (got {brief(instance)})", path, "wrong-type")]
    if keyword == "pattern":
        words = _PATTERN_WORDS.get(patterns.get(str(error.validator_value), ""), "")
        if not words and "actions" in parts:
            words = "an action name like payments.capture"
        words = words or f"text matching {error.validator_value}"
        return [located.problem(f"{what} must be {words} (got {brief(instance)})", path, "bad-value")]
    if keyword == "enum":
        options = [str(o) for o in value]
        message = f"{what} must be one of {', '.join(options)} (got {brief(instance)})"
        return [located.problem(message, path, "bad-value", suggestion=near_miss(str(instance), options))]
    if keyword == "const":
        return [located.problem(f"{what} must be {error.validator_value!r}", path, "bad-value")]
    if keyword in ("minimum", "maximum"):  # the UI schema's columns (1-4)
        bound = "at least" if keyword == "minimum" else "at most"
        return [located.problem(f"{what} must be {bound} {value} (got {brief(instance)})", path, "bad-value")]
    if keyword in ("minProperties", "minItems"):
        return [located.problem(f"{what} must not be empty", path, "empty")]
    if keyword == "minLength":
        return [located.problem(f"{what} must not be empty text", path, "empty")]
    if keyword == "uniqueItems":
        return [located.problem(f"{what} lists the same item twice", path, "duplicate-item")]
    if keyword == "anyOf":
        # Explain the branch whose type matched (a string that is not a valid state, ...).
        typed = [e for e in error.context or [] if e.validator not in ("type", "const")]
        if typed:
            best = max(typed, key=lambda e: len(e.absolute_path))
            depth = len(best.absolute_path)
            chosen = [e for e in typed if len(e.absolute_path) == depth]
            result: list[Problem] = []
            for sub in chosen:
                result.extend(translate(sub, located))
            return list(dict.fromkeys(result))
        key = next((p for p in reversed(parts) if isinstance(p, str)), "")
        words = _ANY_OF_WORDS.get(key, "a valid value")
        return [located.problem(f"{what} must be {words} (got {brief(instance)})", path, "wrong-type")]
    return [located.problem(schema_message(error), path, "schema")]
