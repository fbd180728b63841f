"""Form validation: JSON Schema 2020-12 with format checks, fast on valid data, detailed on invalid.

A ``FormValidator`` is compiled once per form per published version and holds two validators of the
same schema:

- ``jsonschema_rs`` (Rust) answers ``is_valid``: most submitted data is valid, and this costs a few
  microseconds instead of the ~200 µs jsonschema spends on an order form;
- ``jsonschema`` (Draft 2020-12 with a ``FormatChecker``) runs only when the fast one refuses the
  data, to list every error with its JSON path, its English message and a Chinese one.

The two must give the same verdict, so they share the parts where the libraries differ:

- ``format``: the fast validator checks exactly the formats jsonschema's ``FormatChecker`` knows, each
  with jsonschema's own check function (jsonschema's ``email`` only asks for an ``@``, for one);
  formats neither knows are ignored by both, as the specification allows;
- ``pattern``: JSON Schema patterns are ECMA-262 regular expressions (``\\d`` is ``[0-9]``, ``$`` is the
  very end), which Python's ``re`` does not follow, so jsonschema's ``pattern`` keyword is replaced by
  one asking the Rust engine whether the string matches.

``tests/engine/forms/test_validation.py`` checks with Hypothesis that both agree on the shipped forms.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from jsonschema.validators import extend

from engine.errors import Refusal

__all__ = ["FormError", "FormValidator"]


@dataclass(frozen=True)
class FormError:
    path: str
    en: str
    zh: str

    def refusal(self, form: str | None = None) -> Refusal:
        """A ``form`` refusal for this field; ``form`` (the form file) is added to the details when given."""
        details: dict[str, Any] = {"path": self.path, "message": self.en}
        if form is not None:
            details["form"] = form
        return Refusal("form", f"{self.path}：{self.zh}", f"{self.path}: {self.en}", details)


_ZH_KEYWORDS: dict[str, Callable[[ValidationError], str]] = {
    "required": lambda e: f"缺少必填字段（{e.message.split(' ')[0]}）",
    "type": lambda e: f"类型应为 {e.validator_value}",
    "minimum": lambda e: f"不能小于 {e.validator_value}",
    "maximum": lambda e: f"不能大于 {e.validator_value}",
    "exclusiveMinimum": lambda e: f"必须大于 {e.validator_value}",
    "exclusiveMaximum": lambda e: f"必须小于 {e.validator_value}",
    "minLength": lambda e: f"长度不能少于 {e.validator_value}",
    "maxLength": lambda e: f"长度不能超过 {e.validator_value}",
    "minItems": lambda e: f"至少需要 {e.validator_value} 项",
    "maxItems": lambda e: f"最多 {e.validator_value} 项",
    "enum": lambda e: f"只能是以下之一：{e.validator_value}",
    "const": lambda e: f"只能是 {e.validator_value!r}",
    "pattern": lambda e: f"格式不符合 {e.validator_value}",
    "format": lambda e: f"不是有效的 {e.validator_value}",
    "additionalProperties": lambda e: "包含不允许的字段",
}

_FORMATS = FormatChecker()


@functools.lru_cache(maxsize=1024)
def _pattern(pattern: str) -> jsonschema_rs.Validator:
    """One compiled ECMA-262 pattern (the forms repeat a handful of them)."""
    return jsonschema_rs.Draft202012Validator({"pattern": pattern})


def _ecma_pattern(
    validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    """jsonschema's ``pattern`` keyword, matched by the same regular-expression engine as the fast path."""
    if validator.is_type(instance, "string") and not _pattern(pattern).is_valid(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_DetailedValidator = extend(Draft202012Validator, {"pattern": _ecma_pattern})  # type: ignore[no-untyped-call]


def _formats_in(schema: Any) -> set[str]:
    """Every ``format`` named anywhere in ``schema``."""
    found: set[str] = set()
    if isinstance(schema, Mapping):
        if isinstance(schema.get("format"), str):
            found.add(schema["format"])
        for value in schema.values():
            found |= _formats_in(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= _formats_in(item)
    return found


def _format_check(name: str) -> Callable[[str], bool]:
    if name not in _FORMATS.checkers:
        return lambda _value: True  # unknown to jsonschema: an annotation only, for both validators

    def conforms(value: str) -> bool:
        return _FORMATS.conforms(value, name)

    return conforms


class FormValidator:
    """A form's JSON Schema compiled once: ``errors(data)`` lists every error, ``[]`` when valid."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        document = dict(schema)
        # Both are public so that a test can hold them to the same verdicts.
        self.detailed: Any = _DetailedValidator(document, format_checker=_FORMATS)
        self.fast = jsonschema_rs.Draft202012Validator(
            document,
            validate_formats=True,
            formats={name: _format_check(name) for name in sorted(_formats_in(document))},
        )

    @classmethod
    def compile(cls, schema: Mapping[str, Any]) -> FormValidator:
        return cls(schema)

    def is_valid(self, data: Any) -> bool:
        try:
            return bool(self.fast.is_valid(data))
        except (ValueError, TypeError, OverflowError):  # not JSON data (a date, a set): ask jsonschema
            return not any(True for _ in self.detailed.iter_errors(data))

    def errors(self, data: Any) -> list[FormError]:
        if self.is_valid(data):
            return []
        found = []
        for error in sorted(self.detailed.iter_errors(data), key=lambda e: list(map(str, e.path))):
            path = error.json_path
            if error.validator == "required" and isinstance(error.instance, dict):
                missing = error.message.split("'")[1] if "'" in error.message else ""
                path = f"{path}.{missing}" if missing else path
            to_zh = _ZH_KEYWORDS.get(str(error.validator))
            zh = to_zh(error) if to_zh else error.message
            found.append(FormError(path, error.message, zh))
        return found
