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
from engine.common.text import Text
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


# the catalogue's words of the definition checks, in both languages
_TYPE_WORDS = words_of("definition.type")
_PATTERN_WORDS = words_of("definition.pattern")
_NOUNS = words_of("definition.noun")
_ANY_OF_WORDS = words_of("definition.any_of")


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


def _field(parts: Sequence[str | int]) -> Text:
    names = [p for p in parts if isinstance(p, str)]
    if not parts:
        return Text("文件", "the file")
    if isinstance(parts[-1], int):
        return (
            Text(f"{names[-1]!r} 的每一项", f"each entry of {names[-1]!r}")
            if names
            else Text("每一项", "each entry")
        )
    return Text(repr(names[-1]), repr(names[-1]))


def _among(word: str) -> str:
    """``word`` set among Chinese words: with a space on a side where it has no Chinese character."""
    lead = "" if _chinese(word[:1]) else " "
    tail = "" if _chinese(word[-1:]) else " "
    return f"{lead}{word}{tail}"


def _chinese(character: str) -> bool:
    return "\u4e00" <= character <= "\u9fff" or character in "）："


def _zh(text: str) -> str:
    return text.strip()


def _either(words: Sequence[Text]) -> Text:
    """``a or b`` in both languages."""
    return Text("或".join(w.zh for w in words), " or ".join(w.en for w in words))


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
            channels = ", ".join(schema["enum"])
            message = Text(
                f"{brief(instance, lang='zh')} 不是渠道；请使用以下之一：{channels}",
                f"{brief(instance)} is not a channel; use one of {channels}",
            )
            suggestion = near_miss(str(instance), schema["enum"])
        else:
            named = _PATTERN_WORDS.get(patterns.get(str(schema.get("pattern")), ""))
            words = named or Text("有效的名称", "a valid name")
            message = Text(
                f"{brief(instance, lang='zh')} 不是此处可用的名称：请使用{_among(words.zh).rstrip()}",
                f"{brief(instance)} is not a valid name here: use {words.en}",
            )
        return [located.problem(message, key_path, "schema-name", key=True, suggestion=suggestion)]

    got = Text(brief(instance, lang="zh"), brief(instance))
    if keyword == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        noun = _NOUNS.get(descriptions.get(str(schema.get("description")), ""), what)
        extra = [key for key in instance if key not in allowed]
        # a required key the object lacks is the likelier meaning of a near miss ('dset': 'dest', not 'set')
        lacking = [name for name in schema.get("required", ()) if name not in instance]
        return [
            located.problem(
                Text(_zh(f"{_among(noun.zh)}中有未知的键 {key!r}"), f"unknown key {key!r} in {noun.en}"),
                child_path(path, key),
                "unknown-key",
                Text(f"可用的键：{', '.join(allowed)}", f"allowed keys: {', '.join(allowed)}"),
                key=True,
                suggestion=near_miss(key, lacking) or near_miss(key, allowed),
            )
            for key in extra
        ]
    if keyword == "required":
        noun = _NOUNS.get(descriptions.get(str(schema.get("description")), ""), what)
        names = [n for n in value if isinstance(instance, dict) and n not in instance]
        if len(names) == 1:
            message = Text(
                _zh(f"{_among(noun.zh)}缺少键 {names[0]!r}"), f"missing key {names[0]!r} in {noun.en}"
            )
            return [located.problem(message, path, "missing-key")]
        missing = Text("、".join(repr(name) for name in names), ", ".join(repr(name) for name in names))
        message = Text(
            _zh(f"{_among(noun.zh)}缺少键 {missing.zh}"), f"missing keys {missing.en} in {noun.en}"
        )
        return [located.problem(message, path, "missing-key")]
    if keyword == "type":
        expected = value if isinstance(value, list) else [value]
        words = _either([_TYPE_WORDS.get(str(t), Text(str(t), str(t))) for t in expected])
        return [located.problem(_must_be(what, words, got), path, "wrong-type")]
    if keyword == "pattern":
        named = _PATTERN_WORDS.get(patterns.get(str(error.validator_value), ""))
        if named is None and "actions" in parts:
            named = Text("动作名称，如 payments.capture", "an action name like payments.capture")
        pattern = error.validator_value
        words = named or Text(f"符合 {pattern} 的文本", f"text matching {pattern}")
        return [located.problem(_must_be(what, words, got), path, "bad-value")]
    if keyword == "enum":
        options = [str(o) for o in value]
        message = Text(
            _zh(f"{_among(what.zh)}应为以下之一：{', '.join(options)}，实际为 {got.zh}"),
            f"{what.en} must be one of {', '.join(options)} (got {got.en})",
        )
        return [located.problem(message, path, "bad-value", suggestion=near_miss(str(instance), options))]
    if keyword == "const":
        expected_value = repr(error.validator_value)
        message = Text(_zh(f"{_among(what.zh)}应为 {expected_value}"), f"{what.en} must be {expected_value}")
        return [located.problem(message, path, "bad-value")]
    if keyword in ("minimum", "maximum"):  # the UI schema's columns (1-4)
        bound = Text("不小于", "at least") if keyword == "minimum" else Text("不大于", "at most")
        message = Text(
            _zh(f"{_among(what.zh)}应{bound.zh} {value}，实际为 {got.zh}"),
            f"{what.en} must be {bound.en} {value} (got {got.en})",
        )
        return [located.problem(message, path, "bad-value")]
    if keyword in ("minProperties", "minItems"):
        return [
            located.problem(
                Text(_zh(f"{_among(what.zh)}不能为空"), f"{what.en} must not be empty"), path, "empty"
            )
        ]
    if keyword == "minLength":
        message = Text(_zh(f"{_among(what.zh)}不能是空文本"), f"{what.en} must not be empty text")
        return [located.problem(message, path, "empty")]
    if keyword == "uniqueItems":
        message = Text(_zh(f"{_among(what.zh)}中有重复的项"), f"{what.en} lists the same item twice")
        return [located.problem(message, path, "duplicate-item")]
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
        words = _ANY_OF_WORDS.get(key, Text("有效的值", "a valid value"))
        return [located.problem(_must_be(what, words, got), path, "wrong-type")]
    return [located.problem(schema_message(error), path, "schema")]


def _must_be(what: Text, words: Text, got: Text) -> Text:
    """``<what> must be <words> (got <value>)`` in both languages."""
    return Text(
        _zh(f"{_among(what.zh)}应为{_among(words.zh).rstrip()}，实际为 {got.zh}"),
        f"{what.en} must be {words.en} (got {got.en})",
    )
