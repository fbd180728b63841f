"""Form validation: JSON Schema 2020-12 with format checks, fast on valid data, detailed on invalid.

A ``FormValidator`` is compiled once per form per published version and holds two validators of the
same schema:

- ``jsonschema_rs`` (Rust) answers ``is_valid``: most submitted data is valid, and this costs a few
  microseconds instead of the ~200 µs jsonschema spends on an order form;
- ``jsonschema`` (Draft 2020-12 with a ``FormatChecker``) runs only when the fast one refuses the
  data, to list every error with its JSON path, its English message and a Chinese one.

The two must give the same verdict, so they share the parts where the libraries differ:

- ``format``: the fast validator checks exactly the formats the detailed one's ``FormatChecker`` knows,
  each with the same check function: jsonschema's own, and the Chinese formats of
  ``engine.forms.formats`` (``mobile-cn``, ``resident-id-cn``, ``postcode-cn``, and ``email``, which
  replaces jsonschema's ``@``-only check); formats neither knows are ignored by both, as the
  specification allows;
- ``money``: a format on numbers, which jsonschema_rs does not pass to format functions; both validators
  read the schema as ``engine.forms.formats.prepare_schema`` rewrites it, where it is the keyword
  ``x-money`` checked by the same function;
- ``pattern``: JSON Schema patterns are ECMA-262 regular expressions (``\\d`` is ``[0-9]``, ``$`` is the
  very end), which Python's ``re`` does not follow, so jsonschema's ``pattern`` keyword is replaced by
  one asking the Rust engine whether the string matches.

``tests/engine/forms/test_validation.py`` checks with Hypothesis that both agree on the shipped forms,
and ``tests/engine/forms/test_formats.py`` on the formats.

``errors(data)`` lists the errors with the library's words (what refusals carried so far);
``messages(data, layout)`` lists them for people: each with its field and a message in zh and en from the
field's label and the catalogue of ``engine.forms.messages`` (a UI schema's ``messages`` win).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from jsonschema.validators import extend

from engine.common.json_path import child_path
from engine.common.words import WORDS, word, words_of
from engine.errors import Refusal, RefusalCode, brief
from engine.forms import messages as catalogue
from engine.forms.fields import (
    ITEMS,
    Text,
    description,
    field_path,
    fields_of,
    first,
    pattern_hint,
    resolve,
    title,
)
from engine.forms.formats import (
    FORMAT_CHECKER,
    MONEY_KEYWORD,
    MONEY_LIMIT,
    TOO_LARGE,
    is_money,
    money_problem,
    prepare_schema,
)

__all__ = ["FieldError", "FieldWords", "FormValidator", "Labels", "without_knock_ons"]


class ComputedReads(Protocol):
    @property
    def reads(self) -> frozenset[str]: ...


class FieldWords(Protocol):
    """What messages read of one field of a form's layout (``engine.forms.ui.FieldLayout`` fits)."""

    @property
    def widget(self) -> str: ...
    @property
    def label(self) -> Text: ...
    @property
    def custom_label(self) -> Text | None: ...
    @property
    def messages(self) -> Mapping[str, Text]: ...
    @property
    def computed(self) -> ComputedReads | None: ...


class Labels(Protocol):
    """The words a form's layout gives its messages (``engine.forms.ui.FormLayout`` fits): validation
    reads the layout, which is built on the validator, so it names what it reads, not the class."""

    @property
    def fields(self) -> Mapping[str, FieldWords]: ...


_FORMATS: FormatChecker = FORMAT_CHECKER
# (format, widget): a field of that format drawn as a picker, whose value the person picks in local time
_PICKERS = frozenset({("date-time", "datetime"), ("time", "time")})
_CHOICE_WIDGETS = frozenset({"select", "radio"})
_DAY_WRITTEN = re.compile(r"(\d{4})-(\d{2})-(\d{2})")  # a day as a date or date-time starts


def _no_such_day(name: str, instance: Any) -> str | None:
    """The day written at the start of a ``date`` or ``date-time`` value that no calendar has
    (``2026-02-30``, ``2026-13-01``), or None: the value is not written as a date, or its day is real."""
    if name not in ("date", "date-time") or not isinstance(instance, str):
        return None
    written = _DAY_WRITTEN.match(instance)
    if written is None or (name == "date" and written.end() != len(instance)):
        return None
    year, month, day = (int(part) for part in written.groups())
    try:
        date(year, month, day)
    except ValueError:
        return written.group(0)
    return None


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


def _money(validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    """``x-money`` (``format: money`` as ``prepare_schema`` rewrites it) for the detailed validator."""
    problem = money_problem(instance) if value is True else None
    if problem == TOO_LARGE:
        yield ValidationError(f"{brief(instance)} is not an amount below {MONEY_LIMIT:,} in size")
    elif problem is not None:
        yield ValidationError(f"{brief(instance)} is not an amount with at most two decimals")


class _MoneyKeyword:
    """``x-money`` for the fast validator: the same function as the detailed one's."""

    def __init__(self, parent_schema: dict[str, Any], value: Any, schema_path: list[str | int]) -> None:
        self.on = value is True

    def validate(self, instance: Any) -> None:
        if self.on and not is_money(instance):
            raise ValueError(f"{instance!r} is not an amount with at most two decimals")


_DetailedValidator = extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {"pattern": _ecma_pattern, MONEY_KEYWORD: _money}
)


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
        self.schema = schema
        document = self.document = prepare_schema(schema)
        self._field_places: dict[str, int] | None = None
        # Both are public so that a test can hold them to the same verdicts.
        self.detailed: Any = _DetailedValidator(document, format_checker=_FORMATS)
        self.fast = jsonschema_rs.Draft202012Validator(
            document,
            validate_formats=True,
            formats={name: _format_check(name) for name in sorted(_formats_in(document))},
            keywords={MONEY_KEYWORD: _MoneyKeyword},
        )

    @classmethod
    def compile(cls, schema: Mapping[str, Any]) -> FormValidator:
        return cls(schema)

    def is_valid(self, data: Any) -> bool:
        try:
            return bool(self.fast.is_valid(data))
        except (ValueError, TypeError, OverflowError):  # not JSON data (a date, a set): ask jsonschema
            return not any(True for _ in self.detailed.iter_errors(data))

    def messages(self, data: Any, layout: Labels | None = None) -> list[FieldError]:
        """Every error of ``data`` for people: its field and a message in zh and en (``[]`` when valid).

        ``layout`` (the form's UI schema) gives labels and custom messages; without it the data schema's
        titles name the fields."""
        if self.is_valid(data):
            return []
        found: dict[tuple[str, str], FieldError] = {}
        for error in self.detailed.iter_errors(data):
            for item in self._explain(error, layout, data):
                found.setdefault((item.path, item.keyword), item)
        errors = list(found.values())
        if layout is not None:
            errors = without_knock_ons(errors, layout)
        return sorted(errors, key=lambda e: self._order(e.path))

    def _order(self, path: str) -> tuple[int, ...]:
        """Where an error's field comes on the page: each step by the field's place in the schema's
        document order, or by its row (``$.lines[2].qty`` after ``$.lines[1].sku``)."""
        places = self._places()
        key: list[int] = []
        field = ""
        for plain, index, quoted in _STEPS.findall(path[1:]):
            if index:
                key.append(int(index))
                field += "[]"
            else:
                name = plain or json.loads(quoted)
                field = f"{field}.{name}" if field else name
                key.append(places.get(field, len(places)))
        return tuple(key)

    def _places(self) -> dict[str, int]:
        """Field path -> its place in the schema's document order (messages come in that order)."""
        if self._field_places is None:
            self._field_places = {name: index for index, (name, _) in enumerate(fields_of(self.schema))}
        return self._field_places

    def _false_schema_paths(
        self, error: ValidationError, parts: list[str | int], data: Any
    ) -> list[list[str | int]]:
        """Where a ``false`` schema refused a value. jsonschema (4.26) leaves the property's name out of
        both paths of ``"properties": {"x": false}``, so it is found again: the declared-false names of
        that ``properties`` which the object holds."""
        where = list(error.absolute_schema_path)
        if not where or where[-1] != "properties":
            return [parts]
        node: Any = self.document
        for key in where:
            node = _step(node, key)
        holder: Any = data
        for part in parts:
            holder = _step(holder, part)
        if not isinstance(node, Mapping) or not isinstance(holder, Mapping):
            return [parts]
        return [[*parts, name] for name, sub in node.items() if sub is False and name in holder] or [parts]

    def _explain(self, error: ValidationError, layout: Labels | None, data: Any) -> list[FieldError]:
        parts: list[str | int] = list(error.absolute_path)
        keyword = str(error.validator)
        value: Any = error.validator_value
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        instance: Any = error.instance
        if error.validator is None:  # a false schema: the field may not be there (an if/else closing it)
            return [self._error(p, "absent", layout) for p in self._false_schema_paths(error, parts, data)]
        if keyword == "required":
            missing = [n for n in value if isinstance(instance, Mapping) and n not in instance]
            return [self._missing([*parts, name], layout) for name in missing]
        if keyword == "minLength" and instance == "" and value == 1:
            return [self._error(parts, "required", layout)]
        if keyword == MONEY_KEYWORD:
            if money_problem(instance) == TOO_LARGE:  # a 400-digit price is not a matter of decimals
                return [self._error(parts, "money_range", layout, custom_key="format")]
            return [self._error(parts, "format", layout, expected=word("format.money"))]
        if keyword == "format" and (gone := _no_such_day(str(value), instance)) is not None:
            # written as a date, but a day the calendar does not have (30 February)
            said = word("date.gone")
            day = Text(said.zh.format(day=gone), said.en.format(day=gone))
            return [self._error(parts, "date_gone", layout, custom_key="format", options=day)]
        if keyword == "format":
            expected = self._format_words(parts, str(value), layout)
            return [self._error(parts, "format", layout, expected=expected)]
        if keyword == "pattern":
            field = resolve(self.schema, field_path(parts))
            hint = pattern_hint(self.schema, schema) or pattern_hint(self.schema, field)
            if hint is not None:  # "2位大写字母加8至16位数字，如 RO2026120100001"
                return [self._error(parts, "format", layout, expected=hint, custom_key="pattern")]
            described = description(self.schema, field)
            if described is not None:  # the schema says what it wants: "中国大陆手机号，11位数字"
                words = Text(described.zh.rstrip("。."), catalogue.noun(described.en.rstrip(".")))
                return [self._error(parts, "format", layout, expected=words, custom_key="pattern")]
            return [self._error(parts, "pattern", layout)]
        if keyword == "type" and schema.get("format") == "money" and isinstance(instance, str):
            return [self._error(parts, "format", layout, expected=word("format.money_typed"))]  # "1e3"
        if keyword == "type":
            kinds = value if isinstance(value, list) else [value]
            named = [words_of("type").get(str(k), Text(str(k), str(k))) for k in kinds]
            expected = Text("或".join(w.zh for w in named), " or ".join(w.en for w in named))
            return [self._error(parts, "type", layout, expected=expected)]
        if keyword == "enum":
            options = catalogue.options_text(value, schema.get("x-enum-titles"))
            return [self._error(parts, "enum", layout, options=options)]
        if keyword == "const" and isinstance(value, bool):  # a box that must be ticked (or left unticked)
            return [self._error(parts, f"const_{str(value).lower()}", layout, custom_key="const")]
        if keyword == "const":
            # the value by its title: beside the const, else the field's (x-enum-titles, as for an enum)
            titles = schema.get("x-enum-titles")
            if not isinstance(titles, Mapping):
                titles = first(self.schema, resolve(self.schema, field_path(parts)), "x-enum-titles")
            return [self._error(parts, "const", layout, options=catalogue.options_text([value], titles))]
        if keyword == "additionalProperties" and isinstance(instance, Mapping):
            declared = schema.get("properties") or {}
            extra = [str(k) for k in instance if k not in declared]
            return [self._error(parts, keyword, layout, options=Text("、".join(extra), ", ".join(extra)))]
        if keyword == "minItems" and value == 1:
            return [self._error(parts, "minItems1", layout, custom_key="minItems")]
        if keyword in _LIMITS:
            return [self._error(parts, keyword, layout, limit=value)]
        return [self._error(parts, keyword if f"form.{keyword}" in WORDS else "invalid", layout)]

    def _format_words(self, parts: list[str | int], name: str, layout: Labels | None) -> Text:
        """What the format ``name`` wants, as the field's input takes it: a date-time or time drawn as a
        picker takes the local time the person picks (2026-01-31 09:30), not the RFC 3339 it is stored
        as (2026-01-31T09:30:00+08:00)."""
        spec = layout.fields.get(field_path(parts)) if layout is not None else None
        if spec is not None and (name, spec.widget) in _PICKERS:
            return word(f"picker.{name}")
        return words_of("format").get(name, Text(name, name))

    def _is_choice(self, parts: list[str | int], layout: Labels | None) -> bool:
        """Whether the field is a choice (chosen, not typed): a select or radio buttons on the page, an
        ``enum`` in the schema when there is no page."""
        spec = layout.fields.get(field_path(parts)) if layout is not None else None
        if spec is not None:
            return spec.widget in _CHOICE_WIDGETS
        return isinstance(first(self.schema, resolve(self.schema, field_path(parts)), "enum"), list)

    def _missing(self, parts: list[str | int], layout: Labels | None) -> FieldError:
        """A required field that is not there; a computed one (read-only on the page) could not be
        computed, so its message names the fields it is computed from instead of asking for it."""
        spec = layout.fields.get(field_path(parts)) if layout is not None else None
        if layout is None or spec is None or spec.computed is None:
            return self._error(parts, "required", layout)
        inputs = _inputs_of(layout, spec.computed.reads)
        labels = [layout.fields[name].label for name in inputs if name in layout.fields]
        named = Text("、".join(t.zh for t in labels), ", ".join(catalogue.noun(t.en) for t in labels))
        return self._error(parts, "computed", layout, options=named, custom_key="required")

    def _error(
        self,
        parts: list[str | int],
        keyword: str,
        layout: Labels | None,
        *,
        custom_key: str | None = None,
        **words: Any,
    ) -> FieldError:
        if keyword == "required" and self._is_choice(parts, layout):
            keyword, custom_key = "required_choice", custom_key or "required"
        field = field_path(parts)
        label = self.label(parts, layout)
        spec = layout.fields.get(field) if layout is not None else None
        custom = spec.messages.get(custom_key or keyword) if spec is not None else None
        text = catalogue.message(keyword, label, custom=custom, **words)
        path = "$"
        for part in parts:
            path = child_path(path, part)
        return FieldError(path, field, custom_key or keyword, text.zh, text.en)

    def label(self, parts: list[str | int], layout: Labels | None = None) -> catalogue.Label:
        """The field at the instance path ``parts`` as messages name it (see ``engine.forms.messages``)."""
        if not parts:
            the_form = word("field.the_form")
            return catalogue.Label(the_form.zh, the_form.en)
        last = parts[-1]
        if isinstance(last, int):  # an array's item itself
            whole = self.label(parts[:-1], layout)
            return catalogue.Label(f"{whole.zh}第{last + 1}项", f"entry {last + 1} of the {whole.en}")
        own, given = self._own(parts, layout)
        if given:
            return catalogue.Label(own.zh, catalogue.noun(own.en))
        parent = parts[:-1]
        if not parent:
            return catalogue.Label(own.zh, catalogue.noun(own.en))
        if isinstance(parent[-1], int):
            row = parent[-1] + 1
            whole = self.label(parent[:-1], layout)
            return catalogue.Label(
                f"{whole.zh}第{row}行{own.zh}", f"{catalogue.noun(own.en)} in line {row} of the {whole.en}"
            )
        outer, _ = self._own(parent, layout)
        if outer.zh in own.zh or outer.en.lower() in own.en.lower():  # "发票类型" already says "发票"
            return catalogue.Label(own.zh, catalogue.noun(own.en))
        return catalogue.Label(
            f"{outer.zh}{own.zh}", f"{catalogue.noun(outer.en)}'s {catalogue.noun(own.en)}"
        )

    def _own(self, parts: list[str | int], layout: Labels | None) -> tuple[Text, bool]:
        """The field's own label and whether the UI schema gave it (then it is used as it is)."""
        field = field_path(parts)
        spec = layout.fields.get(field) if layout is not None else None
        if spec is not None and spec.custom_label is not None:
            return spec.custom_label, True
        found = title(self.schema, resolve(self.schema, field))
        name = str(parts[-1])
        return (found or Text(name, name)), False


# The steps of a JSON path as ``child_path`` writes it: ``.name``, ``["odd name"]`` or ``[index]``.
_STEPS = re.compile(r'\.([^.\[]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def _step(node: Any, key: str | int) -> Any:
    """``node[key]`` for a mapping's key or a list's index, else None."""
    if isinstance(node, Mapping):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and -len(node) <= key < len(node):
        return node[key]
    return None


_LIMITS = frozenset(
    {
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
    }
)


@dataclass(frozen=True)
class FieldError:
    """One error of a submitted form for people: where (JSON path and field path), which keyword failed,
    and the message in both languages."""

    path: str  # "$.lines[1].qty"
    field: str  # "lines[].qty"
    keyword: str  # "required", "format", "minimum", ... ("minItems1": fewer than one entry)
    zh: str
    en: str

    def refusal(self, form: str | None = None) -> Refusal:
        details: dict[str, Any] = {"path": self.path, "field": self.field, "keyword": self.keyword}
        if form is not None:
            details["form"] = form
        return Refusal(RefusalCode.FORM, self.zh, self.en, details)


def without_knock_ons(errors: Sequence[FieldError], layout: Labels) -> list[FieldError]:
    """``errors`` without those of fields ``layout`` computes that are missing because a field they are
    computed from was filled with a value refused on its own, which says what to fix: a 400-digit unit
    price leaves its line amount (and the total) uncomputed, and "fill in the unit price first" would be
    wrong, as it is filled. (An input left empty keeps the message: the computed field names it.)
    ``errors`` may come from several forms of the same data (an intake form and the data form)."""
    return [e for e in errors if not _refused_input(e, errors, layout)]


def _refused_input(error: FieldError, errors: Sequence[FieldError], layout: Labels) -> bool:
    """Whether ``error`` is a computed field reported missing while a field it is computed from holds a
    refused value. An input inside the same list counts in the same line only (``lines[2].unit_price``
    for ``lines[2].amount``)."""
    spec = layout.fields.get(error.field)
    if error.keyword != "required" or spec is None or spec.computed is None:
        return False
    inputs = set(_inputs_of(layout, spec.computed.reads))
    row_field = error.field[: error.field.rfind(ITEMS) + len(ITEMS)] if ITEMS in error.field else ""
    row_path = error.path[: error.path.rfind("]") + 1]
    for other in errors:
        if other is error or other.field not in inputs or other.keyword == "required":
            continue
        if row_field and other.field.startswith(row_field) and not other.path.startswith(row_path + "."):
            continue  # the same list, another line
        return True
    return False


def _inputs_of(layout: Labels, reads: frozenset[str]) -> list[str]:
    """The fields people fill that ``reads`` come from: computed fields replaced by what they read, in
    the layout's order."""
    found: set[str] = set()
    pending, seen = list(reads), set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        spec = layout.fields.get(name)
        if spec is not None and spec.computed is not None:
            pending.extend(spec.computed.reads)
        else:
            found.add(name)
    return [name for name in layout.fields if name in found]
