"""Formats for Chinese order forms, shared by both validators of a form (``engine.forms.validation``).

String formats (``"type": "string", "format": ...``), each one function that the detailed validator
(jsonschema's ``FormatChecker``) and the fast one (jsonschema_rs ``formats=``) both call:

- ``mobile-cn``: a mainland mobile number, 11 ASCII digits starting ``1[3-9]``;
- ``resident-id-cn``: an 18-character resident ID number (居民身份证号码, GB 11643): 17 digits and a
  check digit (``0``-``9`` or an upper-case ``X``) computed with ISO 7064 MOD 11-2, the 6-digit area code
  not starting with 0, and a birth date (characters 7-14, ``YYYYMMDD``) that is a real day between
  1900-01-01 and today;
- ``postcode-cn``: 6 ASCII digits;
- ``email``: ``local@domain`` with no blanks, a local part of printable ASCII (at most 64 characters) and
  a domain of at least two dot-separated labels (letters, digits, ``-``; the last not all digits). This
  replaces jsonschema's own ``email``, which only asks for an ``@``.

``money`` is a format on **numbers** (``"type": "number", "format": "money"``): a finite amount with at
most two decimals, and at least 0 unless the schema sets its own ``minimum`` or ``exclusiveMinimum``.
jsonschema_rs calls format functions on strings only, so a form is compiled from a copy of its schema
(:func:`prepare_schema`) in which every ``format: money`` also carries the keyword ``x-money: true`` (and
``minimum: 0`` when no lower bound is given); both validators implement ``x-money`` with :func:`is_money`.
Errors of ``x-money`` are reported as the ``money`` format's.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from engine.common.json_path import child_path
from engine.common.suggest import near_miss
from engine.common.text import Text
from engine.errors import Severity

__all__ = [
    "FORMATS",
    "FORMAT_CHECKER",
    "KEYWORDS",
    "MONEY_KEYWORD",
    "MONEY_TEXT",
    "id_check_digit",
    "is_email",
    "is_mobile_cn",
    "is_money",
    "is_postcode_cn",
    "is_resident_id_cn",
    "money_problem",
    "prepare_schema",
]

MONEY_KEYWORD = "x-money"

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_POSTCODE = re.compile(r"[0-9]{6}")
_RESIDENT_ID = re.compile(r"[1-9][0-9]{16}[0-9X]")
_EMAIL_LOCAL = re.compile(r"[!#-'*+\-./0-9=?A-Z^-~]{1,64}")  # printable ASCII but blanks, "(),:;<>@[\]
_EMAIL_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def is_mobile_cn(value: object) -> bool:
    """A mainland mobile number: 11 ASCII digits starting 13-19 (non-strings pass: not this format's)."""
    return not isinstance(value, str) or _MOBILE.fullmatch(value) is not None


def is_postcode_cn(value: object) -> bool:
    return not isinstance(value, str) or _POSTCODE.fullmatch(value) is not None


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits of a resident ID."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_resident_id_cn(value: object, today: date | None = None) -> bool:
    """An 18-character resident ID number with a right check digit and a real birth date."""
    if not isinstance(value, str):
        return True
    if _RESIDENT_ID.fullmatch(value) is None:
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if not date(1900, 1, 1) <= born <= (today or date.today()):
        return False
    return id_check_digit(value[:17]) == value[17]


def is_email(value: object) -> bool:
    if not isinstance(value, str):
        return True
    local, at, domain = value.rpartition("@")
    if not at or _EMAIL_LOCAL.fullmatch(local) is None or ".." in local or len(domain) > 253:
        return False
    if local.startswith(".") or local.endswith("."):
        return False
    labels = domain.split(".")
    if len(labels) < 2 or not all(_EMAIL_LABEL.fullmatch(label) for label in labels):
        return False
    return not labels[-1].isdigit()


# The largest amount of money a form takes, in yuan: ten trillion, beyond any order and well inside
# what a float holds to the cent (2**53 cents is about 90 trillion yuan).
MONEY_LIMIT = 10**13


# Money as a person types it: digits, at most one decimal point, a sign. Not ``1e3``, ``0x10``, ``1_000``,
# ``Infinity`` or ``NaN``, which Python's number parsers take: an amount is written as it is read.
MONEY_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


# Why a value is not money (``money_problem``): its size, or its decimals.
TOO_LARGE = "too-large"
DECIMALS = "decimals"


def is_money(value: object) -> bool:
    """A finite number with at most two decimals, below ``MONEY_LIMIT`` in size (``True`` and ``False``
    are not numbers here; other types pass, as they are the ``type`` keyword's to refuse)."""
    return money_problem(value) is None


def money_problem(value: object) -> str | None:
    """Why ``value`` is not money: ``TOO_LARGE`` (not below ``MONEY_LIMIT`` in size, or not finite),
    ``DECIMALS`` (more than two); None when it is money, or not a number at all."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if -MONEY_LIMIT < value < MONEY_LIMIT else TOO_LARGE
    if isinstance(value, float | Decimal):
        try:
            exact = Decimal(repr(value)) if isinstance(value, float) else value
        except InvalidOperation:
            return TOO_LARGE
        if not exact.is_finite() or not -MONEY_LIMIT < exact < MONEY_LIMIT:
            return TOO_LARGE
        # repr() of a float is its shortest round-tripping text: 19.9 is "19.9", 0.1 + 0.2 is not.
        exponent = exact.normalize().as_tuple().exponent
        return None if isinstance(exponent, int) and exponent >= -2 else DECIMALS
    return None


FORMATS: Mapping[str, Callable[[object], bool]] = {
    "mobile-cn": is_mobile_cn,
    "resident-id-cn": is_resident_id_cn,
    "postcode-cn": is_postcode_cn,
    "email": is_email,
}

# Draft 2020-12's own checks (a plain FormatChecker() holds every draft's, and its "time" is draft 3's
# HH:MM:SS without the offset RFC 3339 and 2020-12 ask for), then ours.
FORMAT_CHECKER = FormatChecker(())
FORMAT_CHECKER.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)
for _name, _check in FORMATS.items():
    FORMAT_CHECKER.checks(_name)(_check)


def _is_number_type(schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return "number" in kinds or "integer" in kinds or kind is None


def prepare_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` in which every ``format: money`` carries ``x-money: true``, and ``minimum: 0``
    when the schema gives no lower bound of its own. ``schema`` itself is left as it is."""
    document: dict[str, Any] = copy.deepcopy(dict(schema))

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("format") == "money" and _is_number_type(node):
                node[MONEY_KEYWORD] = True
                if "minimum" not in node and "exclusiveMinimum" not in node:
                    node["minimum"] = 0
            for key, value in node.items():
                if key not in ("enum", "const", "default", "examples"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(document)
    return document


def known_formats() -> frozenset[str]:
    """Every format both validators check: jsonschema's, the Chinese ones and ``money``."""
    return frozenset(FORMAT_CHECKER.checkers) | {"money"}


# (json_path, message in zh and en, code, severity, suggestion: the name most likely meant, or None)
SchemaFinding = tuple[str, Text, str, Severity, str | None]


# Every keyword of JSON Schema 2020-12 (core, applicator, unevaluated, validation, meta-data, format
# annotation and content vocabularies). A form's own extensions start with ``x-``.
KEYWORDS = frozenset(
    {
        *("$schema", "$id", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary", "$comment"),
        *("$defs", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas"),
        *("prefixItems", "items", "contains", "properties", "patternProperties", "additionalProperties"),
        *("propertyNames", "unevaluatedItems", "unevaluatedProperties", "type", "enum", "const"),
        *("multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength"),
        *("minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxContains", "minContains"),
        *("maxProperties", "minProperties", "required", "dependentRequired", "title", "description"),
        *("default", "deprecated", "readOnly", "writeOnly", "examples", "format", "contentEncoding"),
        *("contentMediaType", "contentSchema"),
    }
)
EXTENSION_PREFIX = "x-"
# The extensions of ours a form's author writes (docs/forms.md); any other ``x-`` key is the author's own
# and ignored, unless it is a near miss of one of these (``x-tilte-zh``): then its label is off.
EXTENSIONS = frozenset(
    {
        "x-title-zh",
        "x-description-zh",
        "x-enum-titles",
        "x-pattern-hint",
        "x-separators",
        "x-sensitive",
        "x-user",
        "x-kind",
        "x-per-record",
        "x-unclaimed",
    }
)
# The codes a field may say it holds (``"x-kind": "warehouse"``): the order page names them (上海仓,
# not SH-01).
CODE_KINDS = ("warehouse", "carrier")

# Where a schema holds schemas: under a name each, as a list, or as one.
_SCHEMA_MAPS = ("$defs", "properties", "patternProperties", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_ONE = (
    *("items", "contains", "additionalProperties", "propertyNames", "unevaluatedItems"),
    *("unevaluatedProperties", "not", "if", "then", "else", "contentSchema"),
)


def _subschemas(node: Mapping[str, Any], path: str) -> list[tuple[Any, str]]:
    """The schemas ``node`` holds, each with its JSON path."""
    found: list[tuple[Any, str]] = []
    for key in _SCHEMA_MAPS:
        held = node.get(key)
        if isinstance(held, Mapping):
            found.extend(
                (schema, child_path(child_path(path, key), str(name))) for name, schema in held.items()
            )
    for key in _SCHEMA_LISTS:
        held = node.get(key)
        if isinstance(held, list):
            found.extend(
                (schema, child_path(child_path(path, key), index)) for index, schema in enumerate(held)
            )
    found.extend((node[key], child_path(path, key)) for key in _SCHEMA_ONE if key in node)
    return found


def keyword_findings(schema: Any) -> list[SchemaFinding]:
    """Warnings about what a valid JSON Schema accepts but never checks, in every schema it holds: a key
    that is no JSON Schema 2020-12 keyword nor an ``x-`` extension (``"requird"`` is a name the
    validator ignores, so the check it meant is off), with the keyword it is nearest to; and a
    ``required`` name that no ``properties`` declares in an object that allows no other key
    (``additionalProperties: false``), so that no data can ever pass."""
    found: list[SchemaFinding] = []

    def walk(node: Any, path: str) -> None:
        if not isinstance(node, Mapping):
            return
        for key in node:
            name = str(key)
            if name in KEYWORDS or name in EXTENSIONS or name == MONEY_KEYWORD:
                continue
            if name.startswith(EXTENSION_PREFIX):
                meant = near_miss(name, sorted(EXTENSIONS))
                if meant is not None:  # one of ours, misspelt; any other x- key is the author's own
                    message = Text(
                        f"{name!r} 不是表单的扩展关键字，会被忽略（可用 x-title-zh、x-description-zh、"
                        "x-enum-titles、x-pattern-hint）",
                        f"{name!r} is none of the form's extensions and is ignored (they are x-title-zh, "
                        "x-description-zh, x-enum-titles, x-pattern-hint)",
                    )
                    where = child_path(path, name)
                    found.append((where, message, "unknown-keyword", Severity.WARNING, meant))
                continue
            message = Text(
                f"{name!r} 不是 JSON Schema 的关键字，校验时会被忽略（自定义的键请以 x- 开头）",
                f"{name!r} is no JSON Schema keyword and is ignored when checking (an extension starts "
                "with x-)",
            )
            suggestion = near_miss(name, sorted(KEYWORDS))
            found.append((child_path(path, name), message, "unknown-keyword", Severity.WARNING, suggestion))
        required = node.get("required")
        declared = node.get("properties")
        declared = declared if isinstance(declared, Mapping) else {}
        patterns = node.get("patternProperties")
        patterns = [str(p) for p in patterns] if isinstance(patterns, Mapping) else []
        if node.get("additionalProperties") is False and isinstance(required, list):
            for index, wanted in enumerate(required):
                if not isinstance(wanted, str) or wanted in declared:
                    continue
                if any(_matches(pattern, wanted) for pattern in patterns):
                    continue
                message = Text(
                    f"必填的 {wanted!r} 不在 properties 中，而此处不允许其他键：任何数据都无法通过",
                    f"required {wanted!r} is not in properties and no other key is allowed here: no data "
                    "can ever pass",
                )
                suggestion = near_miss(wanted, [str(n) for n in declared])
                where = child_path(child_path(path, "required"), index)
                found.append((where, message, "required-undeclared", Severity.WARNING, suggestion))
        for child, child_where in _subschemas(node, path):
            walk(child, child_where)

    walk(schema, "$")
    return found


def _matches(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:  # the meta-schema checks the pattern is a regex, ECMA 262 not Python's
        return False


def _pattern_hint_findings(node: Mapping[str, Any], path: str) -> list[SchemaFinding]:
    """An ``x-pattern-hint`` that is no ``{zh, en}`` of two texts (an error: the message would lack it),
    or that stands where no ``pattern`` is (a warning: nothing would ever say it)."""
    hint = node["x-pattern-hint"]
    where = child_path(path, "x-pattern-hint")
    if not (
        isinstance(hint, Mapping)
        and set(hint) == {"zh", "en"}
        and all(isinstance(v, str) and v.strip() for v in hint.values())
    ):
        message = Text(
            "x-pattern-hint 应为 {zh, en}：用两种语言说明 pattern 要求填写什么，如 "
            '{"zh": "12至19位数字", "en": "12 to 19 digits"}',
            "x-pattern-hint must be {zh, en}: what the pattern wants, in both languages, as "
            '{"zh": "12至19位数字", "en": "12 to 19 digits"}',
        )
        return [(where, message, "pattern-hint", Severity.ERROR, None)]
    if "pattern" not in node:
        message = Text(
            "x-pattern-hint 旁边没有 pattern：提示不会出现在任何提示信息中",
            "x-pattern-hint has no pattern beside it: no message would ever say it",
        )
        return [(where, message, "pattern-hint", Severity.WARNING, None)]
    return []


def schema_findings(schema: Any) -> list[SchemaFinding]:
    """What a valid JSON Schema of a form still gets wrong, as ``(json_path, message, kind, severity,
    suggestion)``:
    a ``format`` no validator knows (it would be ignored, so a typo silently turns a check off), ``money``
    on something that is not a number, ``x-enum-titles`` naming a value its ``enum`` does not have
    (an error) or leaving one of its values without a title (a warning), and an ``x-pattern-hint`` that
    is no ``{zh, en}`` (an error) or has no ``pattern`` beside it (a warning), an ``x-kind`` naming no
    kind of code (an error); then
    :func:`keyword_findings`."""
    known = known_formats()
    found: list[SchemaFinding] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, child_path(path, index))
            return
        if not isinstance(node, Mapping):
            return
        fmt = node.get("format")
        where = child_path(path, "format")
        if isinstance(fmt, str) and fmt not in known:
            message = Text(
                f"未知的格式 {fmt!r}，不会有校验器检查它",
                f"unknown format {fmt!r}; no validator would check it",
            )
            found.append((where, message, "unknown-format", Severity.ERROR, near_miss(fmt, sorted(known))))
        elif fmt == "money" and "type" in node and not _is_number_type(node):
            message = Text(
                "格式 'money' 只用于数字（type: number）", "format 'money' is for numbers (type: number)"
            )
            found.append((where, message, "bad-format", Severity.ERROR, None))
        titles = node.get("x-enum-titles")
        enum = node.get("enum")
        if isinstance(titles, Mapping) and isinstance(enum, list):
            values = [str(v) for v in enum]
            for name in titles:
                if name not in values:
                    message = Text(
                        f"x-enum-titles 列出了 {name!r}，但它不在 enum 中",
                        f"x-enum-titles names {name!r}, which is not in the enum",
                    )
                    where = child_path(child_path(path, "x-enum-titles"), name)
                    found.append((where, message, "enum-title", Severity.ERROR, near_miss(name, values)))
            missing = [v for v in values if v not in titles]
            if missing:
                names = ", ".join(map(repr, missing))
                message = Text(
                    f"x-enum-titles 没有给 {names} 标题", f"x-enum-titles gives no title to {names}"
                )
                where = child_path(path, "x-enum-titles")
                found.append((where, message, "enum-title", Severity.WARNING, None))
        if "x-pattern-hint" in node:
            found.extend(_pattern_hint_findings(node, path))
        kind = node.get("x-kind")
        if "x-kind" in node and kind not in CODE_KINDS:
            message = Text(
                f"x-kind 只能是 {'、'.join(CODE_KINDS)}，而不是 {kind!r}",
                f"x-kind is one of {', '.join(CODE_KINDS)}, not {kind!r}",
            )
            meant = near_miss(str(kind), list(CODE_KINDS))
            found.append((child_path(path, "x-kind"), message, "bad-value", Severity.ERROR, meant))
        for key, value in node.items():
            if key not in ("enum", "const", "default", "examples", "x-enum-titles", "x-pattern-hint"):
                walk(value, child_path(path, key))

    walk(schema, "$")
    return [*found, *keyword_findings(schema)]
