"""Form field names and values: nested form data to and from the flat pairs an HTML form posts.

A field is named by its concrete path in the data: ``customer.mobile``, ``lines[0].qty``,
``lines[2].sku``; the field path of the layout is the same with each index made ``[]`` (``lines[].qty``).
:func:`parse_form` reads posted pairs back into the nested data, typed by the form's layout and schema:

- integers and numbers become ``int`` / ``float`` (full-width digits and thousands commas accepted); a
  value that is no finite number is kept as the text typed, so validation says what is wrong and the
  re-rendered form shows it again;
- a boolean checkbox posts a hidden ``false`` before its ``true`` box: the last value of a name wins;
- a choice (select, radio) is mapped back to its enum value (``3`` to the integer 3);
- ``date``, ``datetime`` and ``time`` inputs post local values without offset (``2026-11-30T09:30``);
  they are read as China time and written as the schema's formats require (``2026-11-30T09:30:00+08:00``;
  a time with the offset only when the ``time`` format asks for one), and :func:`input_value` turns them
  back for the input; a value that is no moment there is (``2026-02-30T10:00``, ``25:61``) is kept as
  the text typed, as a number is;
- an empty value is no value: the key is left out, so a required field is reported as missing;
- a rows table posts its own name with an empty value, so a table whose every row was removed is ``[]``;
- names that are no field of the layout (a control such as ``_action``, or anything a page did not
  render) are ignored, and so are containers (objects and rows are the fields inside them).

Array items are collected by their index and kept in index order, so a gap left by a removed row closes.
A form is read only when no rows table was sent more rows than its ``maxItems``: :func:`rows_over_limit`
counts them from the posted names alone, before any value is parsed, computed or validated.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.api import CHINA_TIME
from engine.api.forms import FORMAT_CHECKER, MONEY_TEXT, FieldLayout, FormLayout, is_money
from engine.api.forms import fields as paths

__all__ = [
    "CHINA_TIME",
    "MAX_INDEX",
    "TIME_WITH_OFFSET",
    "RowsOverLimit",
    "choice_text",
    "input_value",
    "is_multi",
    "local_input",
    "local_time",
    "parse_form",
    "parse_name",
    "rows_over_limit",
]

# Whether the forms' ``time`` format wants an offset (RFC 3339 full-time, 09:30:00+08:00) or a plain
# 09:30:00: a time input posts what the validators accept.
TIME_WITH_OFFSET = FORMAT_CHECKER.conforms("09:30:00+08:00", "time")
MAX_INDEX = 9_999  # a row index above this is no row of any form: the name is ignored

_PART = re.compile(r"([^.\[\]]+)((?:\[\d{1,6}\])*)")
_INDEX = re.compile(r"\[(\d+)\]")
_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_LOCAL_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?")
_LOCAL_TIME = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?")

Token = str | int
_ROWS = "\0rows"  # marks a dict of array items by index while parsing (no field name holds a NUL)


def parse_name(name: str) -> list[Token] | None:
    """``"lines[2].qty"`` -> ``["lines", 2, "qty"]``; None for a name that is no concrete field path."""
    tokens: list[Token] = []
    for part in name.split("."):
        found = _PART.fullmatch(part)
        if found is None:
            return None
        tokens.append(found.group(1))
        for index in _INDEX.findall(found.group(2)):
            if int(index) > MAX_INDEX:
                return None
            tokens.append(int(index))
    return tokens


def _field_path(tokens: list[Token]) -> str:
    return paths.field_path(tokens)


def is_multi(spec: FieldLayout, root: Mapping[str, Any]) -> bool:
    """A checkbox list: an array of choices, posted as one name with several values."""
    return spec.widget == "checkbox" and "array" in paths.kinds(root, spec.schema)


def _item_kinds(spec: FieldLayout, root: Mapping[str, Any]) -> frozenset[str]:
    items = paths.first(root, spec.schema, "items")
    return paths.kinds(root, items) if isinstance(items, Mapping) else frozenset()


def choice_text(value: Any) -> str:
    """How a choice's value is written in a page: a string as it is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# Longer than this, typed digits are no quantity or amount of any order: they stay text (and the form
# refuses them as such) instead of becoming an integer Python would refuse to print or compute with.
MAX_DIGITS = 30


def _plain(text: str) -> str:
    """Typed digits as they are read: full-width made half-width, blanks around and thousands' commas
    dropped."""
    return unicodedata.normalize("NFKC", text).strip().replace(",", "")


def _is_money_field(spec: FieldLayout) -> bool:
    return spec.format == "money" or spec.widget == "money"


def _number(text: str, integer: bool) -> int | float | None:
    cleaned = _plain(text)
    if len(cleaned) > MAX_DIGITS:
        return None
    if _INTEGER.fullmatch(cleaned):
        return int(cleaned)
    if integer or not _NUMBER.fullmatch(cleaned):
        return None
    try:
        exact = Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
        return None
    if not exact.is_finite():
        return None
    converted = float(exact)
    return converted if converted not in (float("inf"), float("-inf")) else None


def _local_to_rfc3339(text: str, widget: str) -> str:
    """A ``datetime-local`` or ``time`` input's value as RFC 3339 in China time; other text as it is,
    and so is a value of the input's shape that is no moment there is (``2026-02-30T10:00``, ``25:61``,
    ``0001-01-01T00:00``, before the first moment UTC can write): validation then refuses it by the
    field's format, beside the field, and the page shows it again as typed."""
    try:
        if widget == "datetime" and _LOCAL_DATETIME.fullmatch(text):
            moment = datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=CHINA_TIME)
            moment.astimezone(UTC)  # OverflowError past the calendar's ends, as every reader would
            return moment.isoformat()
        if widget == "time" and _LOCAL_TIME.fullmatch(text):
            clock = time.fromisoformat(text)
            return clock.replace(tzinfo=CHINA_TIME if TIME_WITH_OFFSET else None).isoformat()
    except (ValueError, OverflowError):
        return text
    return text


def _coerce(text: str, spec: FieldLayout, kinds: frozenset[str]) -> Any:
    """One posted value typed by its field: a choice's value, a number, a boolean, a time, or the text."""
    for option in spec.options:
        if choice_text(option.value) == text:
            return option.value
    if "boolean" in kinds and text in ("true", "on", "false"):
        return text != "false"
    if kinds & {"integer", "number"} and "string" not in kinds:
        if _is_money_field(spec) and not MONEY_TEXT.fullmatch(_plain(text)):
            return text  # 1e3, 0x10: no way to write an amount; validation says how, beside the field
        number = _number(text, integer="integer" in kinds)
        return text if number is None else number
    if spec.widget in ("datetime", "time"):
        return _local_to_rfc3339(text, spec.widget)
    return text


def parse_form(
    pairs: Iterable[tuple[str, str]], layout: FormLayout, schema: Mapping[str, Any]
) -> dict[str, Any]:
    """The nested data of posted ``(name, value)`` pairs (a ``MultiDict``'s ``items(multi=True)``) for
    the form of ``layout`` and its data ``schema``."""
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    root: dict[str, Any] = {}
    known: dict[str, tuple[FieldLayout, frozenset[str], bool] | None] = {}  # per field path, not per row
    for name, posted in values.items():
        tokens = parse_name(name)
        if tokens is None:
            continue
        path = _field_path(tokens)
        if path not in known:
            found = layout.fields.get(path)
            if found is None:
                known[path] = None
            else:
                multi = is_multi(found, schema)
                kinds = _item_kinds(found, schema) if multi else paths.kinds(schema, found.schema)
                known[path] = (found, kinds, multi)
        entry = known[path]
        if entry is None:
            continue
        spec, kinds, multi = entry
        if spec.widget == "rows" and posted == [""]:
            _place(root, [*tokens, 0], None, rows_only=True)  # the table's marker: a list, maybe empty
            continue
        if spec.widget in ("object", "rows"):
            continue
        if multi:
            _place(root, tokens, [_coerce(v, spec, kinds) for v in posted if v != ""])
            continue
        text = posted[-1]
        _place(root, tokens, None if text == "" else _coerce(text, spec, kinds))
    finished: dict[str, Any] = _finish(root)
    return finished


@dataclass(frozen=True)
class RowsOverLimit:
    """A rows table posted with more rows than its schema's ``maxItems``."""

    tokens: tuple[Token, ...]  # where the table is: ("lines",), or ("parcels", 0, "lines")
    spec: FieldLayout
    rows: int  # how many rows were sent
    limit: int


def rows_over_limit(
    names: Iterable[str], layout: FormLayout, schema: Mapping[str, Any]
) -> RowsOverLimit | None:
    """The rows table posted with the most rows past its ``maxItems`` (None: every table is within its
    limit). Only the names are read: a row is an index some field of the layout was posted under, so
    nothing of the values is parsed, computed or validated before this says no."""
    rows: dict[tuple[Token, ...], set[int]] = {}
    limits: dict[str, int | None] = {}
    for name in names:
        tokens = parse_name(name)
        if tokens is None or _field_path(tokens) not in layout.fields:
            continue  # parse_form ignores it too: it makes no row
        for position, token in enumerate(tokens):
            if not isinstance(token, int):
                continue
            table = tuple(tokens[:position])
            path = _field_path(list(table))
            if path not in limits:
                spec = layout.fields.get(path)
                high = paths.first(schema, spec.schema, "maxItems") if spec is not None else None
                limits[path] = high if isinstance(high, int) and not isinstance(high, bool) else None
            if limits[path] is not None:
                rows.setdefault(table, set()).add(token)
    worst: RowsOverLimit | None = None
    for table, indexes in rows.items():
        path = _field_path(list(table))
        limit = limits[path]
        if limit is not None and len(indexes) > limit and (worst is None or len(indexes) > worst.rows):
            worst = RowsOverLimit(table, layout.fields[path], len(indexes), limit)
    return worst


def _place(root: dict[Any, Any], tokens: list[Token], value: Any, rows_only: bool = False) -> None:
    """Put ``value`` at ``tokens`` (None: only make the containers on the way; ``rows_only``: not the
    last one either). Array items are kept in dicts keyed by index until :func:`_finish`."""
    node: dict[Any, Any] = root
    for token, following in itertools.pairwise(tokens):
        existing = node.get(token)
        if not isinstance(existing, dict):
            existing = node[token] = {}
        if isinstance(following, int):
            existing.setdefault(_ROWS, True)
        node = existing
        if rows_only and isinstance(following, int):
            return
    if value is not None:
        node[tokens[-1]] = value


def _finish(node: Any) -> Any:
    """Index-keyed dicts to lists, in index order."""
    if not isinstance(node, dict):
        return node
    if node.pop(_ROWS, False):
        return [_finish(node[index]) for index in sorted(k for k in node if isinstance(k, int))]
    return {key: _finish(value) for key, value in node.items()}


def input_value(value: Any, spec: FieldLayout) -> str:
    """The text an input shows for ``value`` (``""`` when absent): money with two decimals, RFC 3339 times
    in China time without offset for the browser's date and time inputs, other values as typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        money = spec.widget == "money" or spec.format == "money"
        if money and is_money(value) and not isinstance(value, bool):
            return f"{value:.2f}"
        if isinstance(value, int) and value.bit_length() > 4 * MAX_DIGITS:
            return format(Decimal(value), ".6e")  # str() refuses integers past 4,300 digits
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        if spec.widget in ("datetime", "time"):
            return local_input(value, spec.widget) or value
        return value
    return json.dumps(value, ensure_ascii=False)


def local_time(moment: datetime, *, seconds: bool = False) -> str:
    """``moment`` as people read it on a page: China time, ``2026-12-06 23:37`` (``:05`` more with
    ``seconds``). Written field by field: strftime would write year 1 as "1"."""
    local = moment.astimezone(CHINA_TIME)
    shown = f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"
    return f"{shown}:{local.second:02d}" if seconds else shown


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def local_day(moment: datetime, lang: str, now: datetime) -> str:
    """``moment`` as a day and time in China time: ``12月14日 18:00`` / ``14 Dec 18:00``, with its year
    when it is not ``now``'s (``2027年1月3日 09:00`` / ``3 Jan 2027 09:00``)."""
    local, today = moment.astimezone(CHINA_TIME), now.astimezone(CHINA_TIME)
    clock = f"{local.hour:02d}:{local.minute:02d}"
    same_year = local.year == today.year
    if lang.startswith("zh"):
        return f"{'' if same_year else f'{local.year}年'}{local.month}月{local.day}日 {clock}"
    return f"{local.day} {_MONTHS[local.month - 1]}{'' if same_year else f' {local.year}'} {clock}"


def local_input(value: str, widget: str) -> str | None:
    """An RFC 3339 date-time or time as the value of a ``datetime-local`` or ``time`` input, in China
    time; None when ``value`` is not one (the page then shows it in a text box, as it is)."""
    try:
        if widget == "datetime":
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None or "T" not in value:
                return None
            local = moment.astimezone(CHINA_TIME)
            # to the second: the input takes no more than milliseconds, and a time stored with its
            # microseconds (a delivery filled from another order) would leave it empty
            return local.replace(tzinfo=None, microsecond=0).isoformat()
        if widget == "time":
            clock = time.fromisoformat(value)
            if clock.tzinfo is None:
                return None if TIME_WITH_OFFSET else clock.isoformat()
            shifted = datetime.combine(datetime(2000, 1, 1).date(), clock).astimezone(CHINA_TIME)
            return shifted.time().replace(tzinfo=None).isoformat()
    except (ValueError, OverflowError):  # OverflowError: China time of a moment at the calendar's ends
        return None
    return None
