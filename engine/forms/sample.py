"""Sample data made from a form's data schema, for the studio's preview of a form whose schema gives no
``examples`` (docs/forms-rendering.md, "The studio's preview").

A field that has no value after the examples, defaults and fixed values (``FormLayout.sample``) gets one
made from its schema: its first ``enum`` value; else, by type and format, a value a clerk could have
typed (a mobile number, a postcode, a resident ID number with its right check digit, an e-mail address,
a date, an amount), a string matching its ``pattern`` when the pattern is a plain one, a text of the
right length; a number within its bounds and a multiple of its ``multipleOf``. Each value is checked
against the field's schema (with the formats forms check) and left out when it does not pass: nothing
shown in a preview is data a clerk could not send. The fields filled so are named, so the page says the
values are sample data. Computed fields are left to their computation, objects to their fields.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, Decimal

# ``re._parser``: the standard library's own parser of regular expressions (Python 3.11+), walked to make
# a string a ``pattern`` matches; every string made is matched against the pattern again before use.
from re import _parser as _regex_parser  # type: ignore[attr-defined]
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing.exceptions import Unresolvable

from engine.common.words import translate
from engine.forms import fields as paths
from engine.forms.fields import ITEMS
from engine.forms.formats import FORMAT_CHECKER, id_check_digit

__all__ = ["fill_samples", "sample_value"]

_ID_BASE = "11010519900307123"
BY_FORMAT: Mapping[str, str] = {
    "mobile-cn": "13800138000",
    "postcode-cn": "100000",
    "resident-id-cn": _ID_BASE + id_check_digit(_ID_BASE),
    "email": "name@example.com",
    "idn-email": "name@example.com",
    "date": "2026-01-15",
    "date-time": "2026-01-15T09:30:00+08:00",
    "time": "09:30:00+08:00",
    "uri": "https://example.com/",
    "iri": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
}
_MAX_PATTERN_REPEAT = 64  # an open repeat (``+``, ``*``, ``{2,}``) is made its least count, this at most
_MAX_DEPTH = 8  # objects and arrays inside each other (a schema referring to itself ends here)


def sample_value(root: Mapping[str, Any], node: Any, lang: str, depth: int = 0) -> Any:
    """A value for the field whose schema is ``node`` inside the form schema ``root`` that passes that
    schema; None when no such value is made (a pattern too involved, bounds that meet none, an object
    missing a field it requires)."""
    value = _made(root, node, lang, depth) if depth <= _MAX_DEPTH else None
    return value if value is not None and _passes(root, node, value) else None


def fill_samples(
    layout_fields: Mapping[str, Any], root: Mapping[str, Any], data: Mapping[str, Any], lang: str
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``data`` with every field of the layout (``FormLayout.fields``) outside the arrays that has no
    value given one (:func:`sample_value`); a rows field without rows gets its ``minItems`` rows, one at
    least, each column filled the same way. Returns the data and the names of the fields filled."""
    out: dict[str, Any] = _copy(data)
    filled: list[str] = []
    for name, spec in layout_fields.items():
        tokens = paths.split_path(name)
        if ITEMS in name or tokens is None or spec.computed is not None or _has(out, tokens):
            continue
        if spec.widget == "rows":
            item = _row(layout_fields, root, name, lang)
            rows = [_copy(item) for _ in range(max(spec.min_items, 1))]
            if item and _passes(root, spec.schema, rows):  # a row missing a column it needs: none
                _put(out, tokens, rows)
                filled.append(name)
            continue
        if "object" in paths.kinds(root, spec.schema):
            continue  # its fields are filled one by one
        value = sample_value(root, spec.schema, lang)
        if value is not None:
            _put(out, tokens, value)
            filled.append(name)
    return out, tuple(filled)


def _row(layout_fields: Mapping[str, Any], root: Mapping[str, Any], rows: str, lang: str) -> dict[str, Any]:
    prefix = rows + ITEMS + "."
    item: dict[str, Any] = {}
    for name, spec in layout_fields.items():
        inner = name[len(prefix) :] if name.startswith(prefix) else None
        tokens = paths.split_path(inner) if inner and ITEMS not in inner else None
        if tokens is None or spec.computed is not None or "object" in paths.kinds(root, spec.schema):
            continue
        value = spec.initial.value if spec.initial is not None else sample_value(root, spec.schema, lang)
        if value is not None:
            _put(item, tokens, value)
    return item


def _made(root: Mapping[str, Any], node: Any, lang: str, depth: int) -> Any:
    for keyword in ("const", "default"):
        found, value = paths.always(root, node, keyword)
        if found and value is not None:
            return value
    enum = paths.first(root, node, "enum")
    if isinstance(enum, list) and enum:
        return next((v for v in enum if v is not None), enum[0])
    kinds = paths.kinds(root, node)
    if "string" in kinds:
        return _string(root, node, lang)
    if "integer" in kinds or "number" in kinds:
        return _number(root, node, "integer" in kinds)
    if "boolean" in kinds:
        return False
    if "array" in kinds:
        items = paths.first(root, node, "items")
        one = sample_value(root, items, lang, depth + 1) if isinstance(items, Mapping) else None
        least = paths.first(root, node, "minItems")
        count = least if isinstance(least, int) and least > 0 else 1
        if one is None:
            return [] if count == 0 else None
        if paths.first(root, node, "uniqueItems") is True:
            return [one] if count <= 1 else None
        return [_copy(one) for _ in range(count)]
    if "object" in kinds:
        made: dict[str, Any] = {}
        for name, inner in paths.properties(root, node).items():
            value = sample_value(root, inner, lang, depth + 1)
            if value is not None:
                made[name] = value
        return made
    return None


def _string(root: Mapping[str, Any], node: Any, lang: str) -> str | None:
    fmt = paths.first(root, node, "format")
    if isinstance(fmt, str) and fmt in BY_FORMAT:
        return BY_FORMAT[fmt]
    least, most = paths.first(root, node, "minLength"), paths.first(root, node, "maxLength")
    low = least if isinstance(least, int) and least > 0 else 0
    high = most if isinstance(most, int) and most >= 0 else None
    pattern = paths.first(root, node, "pattern")
    if isinstance(pattern, str):
        return _matching(pattern, low, high)
    word = translate("forms.sample_text", lang)
    text = word * max(1, math.ceil(low / len(word))) if low > len(word) else word
    return text if high is None else text[:high]


def _number(root: Mapping[str, Any], node: Any, integer: bool) -> int | float | None:
    given = paths.first(root, node, "multipleOf")
    step = Decimal(str(given)) if isinstance(given, int | float) and given > 0 else None
    money = paths.first(root, node, "format") == "money"
    unit = step or (Decimal("0.01") if money and not integer else Decimal(1))
    value = Decimal(100) if money else Decimal(1)
    low, low_open = _bound(root, node, "minimum", "exclusiveMinimum")
    high, high_open = _bound(root, node, "maximum", "exclusiveMaximum")
    if low is not None and (value < low or (low_open and value <= low)):
        value = low + unit if low_open else low
    if high is not None and (value > high or (high_open and value >= high)):
        value = high - unit if high_open else high
    if step is not None:
        value = (value / step).to_integral_value(rounding=ROUND_CEILING) * step
    if integer or value == value.to_integral_value():
        return int(value)
    return float(value)


def _bound(root: Mapping[str, Any], node: Any, closed: str, opened: str) -> tuple[Decimal | None, bool]:
    for keyword, is_open in ((opened, True), (closed, False)):
        value = paths.first(root, node, keyword)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Decimal(str(value)), is_open
    return None, False


def _matching(pattern: str, low: int, high: int | None) -> str | None:
    """The shortest string the regular expression ``pattern`` matches (the first alternative, the least
    count of each repeat); None when it is not ``low`` to ``high`` characters long, or the pattern uses
    what this does not follow (look-arounds, back references, a negated set)."""
    try:
        parsed = _regex_parser.parse(pattern)
        made = _from_regex(list(parsed))
    except (re.error, ValueError, RecursionError):
        return None
    if made is None or re.search(pattern, made) is None:
        return None
    if len(made) < low or (high is not None and len(made) > high):
        return None
    return made


def _from_regex(items: Sequence[Any]) -> str | None:
    out: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            one = _in_set(arg)
            if one is None:
                return None
            out.append(one)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            least, _, inner = arg
            part = _from_regex(list(inner))
            if part is None or least > _MAX_PATTERN_REPEAT:
                return None
            out.append(part * least)
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            part = _from_regex(list(arg[-1]))
            if part is None:
                return None
            out.append(part)
        elif name == "BRANCH":
            part = _from_regex(list(arg[1][0]))
            if part is None:
                return None
            out.append(part)
        elif name == "AT":
            continue
        else:  # look-arounds, back references, conditionals: no sample
            return None
    return "".join(out)


def _in_set(members: Sequence[Any]) -> str | None:
    if members and str(members[0][0]) == "NEGATE":
        return None
    for op, arg in members:
        name = str(op)
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(arg[0])
        if name == "CATEGORY":
            return {
                "CATEGORY_DIGIT": "1",
                "CATEGORY_WORD": "a",
                "CATEGORY_SPACE": " ",
                "CATEGORY_NOT_DIGIT": "a",
                "CATEGORY_NOT_WORD": " ",
                "CATEGORY_NOT_SPACE": "a",
            }.get(str(arg))
    return None


def _passes(root: Mapping[str, Any], node: Any, value: Any) -> bool:
    """Whether ``value`` passes the field's schema ``node``, its references read in the form ``root``."""
    if not isinstance(node, Mapping):
        return False
    try:
        validator = Draft202012Validator(root, format_checker=FORMAT_CHECKER).evolve(schema=node)
        return bool(validator.is_valid(value))
    except (SchemaError, Unresolvable):
        return False


def _has(data: Mapping[str, Any], tokens: Sequence[str]) -> bool:
    holder: Any = data
    for token in tokens:
        if not isinstance(holder, Mapping) or token not in holder:
            return False
        holder = holder[token]
    return holder is not None and holder != ""


def _put(out: dict[str, Any], tokens: Sequence[str], value: Any) -> None:
    holder: Any = out
    for token in tokens[:-1]:
        nxt = holder.get(token)
        if not isinstance(nxt, dict):
            nxt = holder[token] = {}
        holder = nxt
    holder[tokens[-1]] = value


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
