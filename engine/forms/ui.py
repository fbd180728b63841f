"""The UI schema of a form: layout, widgets, labels, conditions, options and computed fields.

A form is two files side by side in ``forms/<department>/``: ``<name>.json``, the data as pure JSON
Schema 2020-12, and an optional ``<name>.ui.json``, how clerks see it (``engine/schema/ui.schema.json``
publishes its shape; ``docs/forms.md`` describes every key). This module reads a UI file together with
its data schema into frozen dataclasses, once per published version (:func:`load_layout`), or makes the
default layout of a form without one (:func:`default_layout`); it renders nothing (the web package does).

A new page starts from :meth:`FormLayout.blank`: every field whose data schema gives it a ``default``
holds it (the clerk may change it), and every field whose schema fixes it with ``const`` holds that value,
read-only.

On the server, a submitted form goes through its layout before it is validated:

1. :meth:`FormLayout.strip_hidden` drops the fields of the groups whose ``when`` does not hold, so what
   the page hides is never stored (the page shows a group under the same conditions);
2. a field fixed by ``const`` that was not sent is given its value;
3. :meth:`FormLayout.compute` fills the computed fields (line amounts, totals) from the expression of
   each, in the order they read each other, whatever the browser sent for them;
4. the data schema then validates the result (``FormValidator.messages(data, layout)``).

Computed fields are expressions of the condition language (``engine.rules.expr``: checked against a
whitelist of ``ast`` nodes and compiled to closures; nothing is passed to ``eval``) over two roots:
``form``, the whole form's data, and ``line``, the array item the field belongs to (``lines[].amount``:
``line.qty * line.unit_price``; ``total``: ``sum(pluck(form.lines, 'amount')) + form.shipping_fee``).
"""

from __future__ import annotations

import ast
import functools
import json
import math
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from engine.common.json_path import child_path
from engine.common.suggest import near_miss
from engine.common.words import words_of
from engine.errors import DefinitionError, Problem, Severity, brief, schema_message
from engine.forms import fields as paths
from engine.forms import messages
from engine.forms.fields import ITEMS, SEPARATORS, Text
from engine.forms.validation import FormValidator
from engine.rules.expr import (
    CompiledExpression,
    ExpressionEvaluationError,
    compile_expression,
)
from engine.rules.expr import check as check_expression
from engine.rules.expr import parse as parse_expression

__all__ = [
    "COMPUTED_ROOTS",
    "MASKED_FORMATS",
    "PREFILL_ROOTS",
    "SCHEMA_VERSION",
    "UI_SCHEMA_FILE",
    "WIDGETS",
    "Computed",
    "Condition",
    "FieldLayout",
    "FormLayout",
    "GroupLayout",
    "Initial",
    "Option",
    "OptionsSource",
    "Prefill",
    "UiFinding",
    "check_ui",
    "default_layout",
    "load_layout",
    "ui_path_for",
    "ui_schema",
]

SCHEMA_VERSION = 1
UI_SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "ui.schema.json"
UI_SUFFIX = ".ui.json"
FORM_ROOT = "form"  # the whole form's data, in a computed expression
LINE_ROOT = "line"  # the array item a computed field belongs to
COMPUTED_ROOTS = frozenset({FORM_ROOT, LINE_ROOT})
ORDER_ROOT = "order"  # the order's data, in a prefill expression
PREFILL_ROOTS = frozenset({ORDER_ROOT})
# the formats of values some roles are shown masked (a mobile number): a form is never filled from them
MASKED_FORMATS = frozenset({"mobile-cn", "id-card-cn"})
WIDGETS = (
    "text",
    "number",
    "money",
    "date",
    "datetime",
    "time",
    "select",
    "radio",
    "checkbox",
    "textarea",
    "object",
    "rows",
    "hidden",
)
# widget -> the JSON types it can show (None: any)
_WIDGET_TYPES: Mapping[str, frozenset[str] | None] = {
    "text": frozenset({"string"}),
    "textarea": frozenset({"string"}),
    "number": frozenset({"number"}),
    "money": frozenset({"number"}),
    "date": frozenset({"string"}),
    "datetime": frozenset({"string"}),
    "time": frozenset({"string"}),
    "select": None,
    "radio": None,
    "checkbox": frozenset({"boolean", "array"}),
    "object": frozenset({"object"}),
    "rows": frozenset({"array"}),
    "hidden": None,
}
_WIDGET_FORMATS: Mapping[str, str] = {"date": "date", "datetime": "date-time", "time": "time"}
_TYPE_WORDS = words_of("ui.type")  # the data types a widget takes, as problems name them
DEFAULT_GROUP = "main"
MORE_GROUP = "more"
_CENT = Decimal("0.01")


@functools.cache
def ui_schema() -> dict[str, Any]:
    """The published JSON Schema of UI files."""
    loaded: dict[str, Any] = json.loads(UI_SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


def ui_path_for(form: Path) -> Path:
    """``forms/retail/intake-web.json`` -> ``forms/retail/intake-web.ui.json``."""
    return form.with_name(form.name[: -len(".json")] + UI_SUFFIX)


# --------------------------------------------------------------------------------------------------
# The model


@dataclass(frozen=True)
class Option:
    """One choice of a select or radio: the stored value and its label, and what choosing it fills in
    beside it (``fills``: (field, value) pairs, a field of the same row or object, or from the form's root
    for a name with a dot; a value is a :class:`Text` when it reads differently in zh and en), as a
    catalogue's product fills its line's name and unit price, and an account the contact it holds;
    ``note``: what the page says beside the choice once it is chosen (an account with no contact on file
    says so, rather than filling nothing without a word)."""

    value: Any
    label: Text
    fills: tuple[tuple[str, Any], ...] = ()
    note: Text | None = None


@dataclass(frozen=True)
class OptionsSource:
    """Choices from a registered option source (``engine.plugins.OptionSource``) with its params."""

    source: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Computed:
    """A field's expression, compiled once; ``reads`` are the field paths it reads."""

    expression: str
    reads: frozenset[str]
    compiled: CompiledExpression = field(repr=False, compare=False)


@dataclass(frozen=True)
class Condition:
    """The value of the field at ``path`` (``null`` when absent) must match ``schema``."""

    path: str
    schema: Mapping[str, Any]
    validator: FormValidator = field(repr=False, compare=False)

    def holds(self, data: Any) -> bool:
        return self.validator.is_valid(_value_at(data, self.path))


@dataclass(frozen=True)
class Initial:
    """The value a field starts with on a new page: its data schema's ``default``, which the clerk may
    change, or its ``const`` (``fixed``): shown read-only, and given by the server when it was not sent."""

    value: Any
    fixed: bool


@dataclass(frozen=True)
class FieldLayout:
    """One field as clerks see it: everything resolved from the UI file and the data schema."""

    path: str  # "lines[].sku"
    widget: str
    format: str | None  # the data schema's format (through $ref): "money", "mobile-cn", ...
    label: Text  # the UI file's label, else the schema's title, else the field's name
    custom_label: Text | None  # the UI file's label alone (messages use it as it is)
    help: Text | None
    placeholder: Text | None
    readonly: bool
    hidden: bool
    order: int | None
    required: bool
    options: tuple[Option, ...]  # from the schema's enum and x-enum-titles
    source: OptionsSource | None
    computed: Computed | None
    messages: Mapping[str, Text]
    schema: Mapping[str, Any] = field(repr=False, compare=False)
    initial: Initial | None = None  # the schema's ``default`` or ``const``
    min_items: int = 0  # an array's ``minItems``: the rows a new page shows
    separators: str = ""  # the schema's ``x-separators``: what people type between groups, dropped
    # read-only on the page but filled by the engine for each row (a line's name and price, from the
    # catalogue by its SKU): a row may still be added
    filled: bool = False


@dataclass(frozen=True)
class GroupLayout:
    name: str
    label: Text
    columns: int
    fields: tuple[str, ...]
    when: tuple[Condition, ...] = ()

    def shown(self, data: Any) -> bool:
        """Whether the group is shown for ``data``: every condition holds."""
        return all(condition.holds(data) for condition in self.when)


@dataclass(frozen=True)
class Prefill:
    """What a field of a step's form starts with: an expression of the condition language over the
    order (``order.total - sum([order.paid_amount])``), and the order's fields it reads (``paid_amount``,
    ``customer.mobile``)."""

    text: str
    reads: frozenset[str]
    compiled: Any  # engine.rules.expr.CompiledExpression
    copies: str | None = None  # the order's field the expression is, and nothing else (``order.lines``)


@dataclass(frozen=True)
class FormLayout:
    """A form's layout, compiled once per published version."""

    title: Text
    groups: tuple[GroupLayout, ...]
    fields: Mapping[str, FieldLayout]
    computed_order: tuple[str, ...]  # computed fields in the order they are computed
    fixed: tuple[str, ...] = ()  # the fields a ``const`` fixes, in document order
    prefill: Mapping[str, Prefill] = field(default_factory=dict)  # field -> what it starts with
    separated: tuple[str, ...] = ()  # the fields with ``x-separators``, in document order

    def prefilled(
        self, order: Mapping[str, Any], masked: Collection[str] = (), now: datetime | None = None
    ) -> dict[str, Any]:
        """What the order knows of this form's fields (its ``prefill``), evaluated over the order's
        data: the amount due, the carrier routing chose, and ``now()`` the time the form is drawn (a
        delivery's time: RFC 3339 to the minute, as a picker takes it). A field is left empty when its
        expression reads nothing there (no value, or one it cannot compute with; ``now()`` without
        ``now``), when it reads an order field in ``masked`` (a value some roles see masked: never
        copied into a form), or when the field itself holds such a value."""
        found: dict[str, Any] = {}
        env: dict[str, Any] = {ORDER_ROOT: order} if now is None else {ORDER_ROOT: order, "now": now}
        for name, prefill in self.prefill.items():
            spec = self.fields.get(name)
            if spec is None or spec.format in MASKED_FORMATS:
                continue
            if any(_overlaps(read, hidden) for read in prefill.reads for hidden in masked):
                continue
            try:
                value = prefill.compiled(env)
            except ExpressionEvaluationError:
                continue
            if isinstance(value, datetime):
                value = value.replace(second=0, microsecond=0).isoformat()
            tokens = paths.split_path(name)
            if value is not None and tokens:
                _set_absent(found, tokens, value)
        return found

    def corrected(self) -> frozenset[str]:
        """The top-level fields by which the form corrects what the order holds: each one it starts
        from the order's field of the same name (its prefill is that field alone, ``order.lines``: the
        person changes what the order holds), and each it computes from those alone (the total of the
        corrected lines, freight and discount). Any other field is the step's own input (a refund's
        amount this time, the lines of a return): what was sent with the step, not a change of the
        order's data, even when an earlier step wrote the same field."""
        found = {
            name
            for name, prefill in self.prefill.items()
            if prefill.copies == name and name in self.fields and "." not in name
        }
        for name in self.computed_order:
            computed = self.fields[name].computed
            tokens = paths.split_path(name)
            if computed is None or tokens is None or len(tokens) != 1 or not computed.reads:
                continue
            if all((paths.split_path(read) or [""])[0] in found for read in computed.reads):
                found.add(name)
        return frozenset(found)

    def children(self, path: str) -> tuple[str, ...]:
        """The fields directly inside the object or rows field ``path``, in their order."""
        prefix = path + ITEMS if self.fields[path].widget == "rows" else path
        found = [
            name
            for name in self.fields
            if name.startswith(prefix + ".")
            and "." not in name[len(prefix) + 1 :].replace(ITEMS, "")
            and ITEMS not in name[len(prefix) + 1 :]
        ]
        return _ordered(found, self.fields)

    def blank(
        self, groups: Collection[str] | None = None, data: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """What a new page shows: a copy of ``data`` (nothing by default) in which every field outside
        the arrays that has a ``default`` or a ``const`` and no value holds it, and an array without a
        value whose rows have such fields holds its ``minItems`` rows of them (:meth:`blank_item`, as
        a row added on the page). ``groups``: only the fields of those groups (a group that has just
        appeared on the page)."""
        out = _copied(data or {})
        listed = None if groups is None else [n for g in self.groups if g.name in groups for n in g.fields]
        for name, spec in self.fields.items():
            if ITEMS in name or (listed is not None and not any(_within(name, n) for n in listed)):
                continue
            value: Any = spec.initial.value if spec.initial is not None else None
            if spec.initial is None and spec.widget == "rows" and spec.min_items:
                item = self.blank_item(name)
                value = [item for _ in range(spec.min_items)] if item else None
            tokens = paths.split_path(name)
            if tokens is not None and value is not None:
                _set_absent(out, tokens, value)
        return out

    def adds_rows(self, rows: str) -> bool:
        """Whether the clerk may add a row to the rows field ``rows``: not when a field every row must
        hold is read-only with nothing to fill it (no ``default``, ``const``, computation nor the engine's
        ``filled``: a return's SKU, which only the order's own lines give), as a row added could never be
        sent."""
        return not any(
            spec.required
            and spec.readonly
            and spec.computed is None
            and spec.initial is None
            and not spec.filled
            for spec in (self.fields[name] for name in self.children(rows))
        )

    def blank_item(self, rows: str) -> dict[str, Any]:
        """A new row of the rows field ``rows`` (``lines``): its fields' ``default`` and ``const`` values."""
        out: dict[str, Any] = {}
        prefix = rows + ITEMS + "."
        for name, spec in self.fields.items():
            inner = name[len(prefix) :] if name.startswith(prefix) else None
            if spec.initial is None or not inner or ITEMS in inner:
                continue
            tokens = paths.split_path(inner)
            if tokens is not None:
                _set_absent(out, tokens, spec.initial.value)
        return out

    def sample(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """Data to show the form with before anyone fills it in (the studio's preview), from the data
        schema ``schema`` of this layout: its first ``examples`` entry when that is an object; then each
        field outside the arrays that has no value takes its own first example; a rows field without a
        value takes its first example (a list), else, when a column has an example, its ``minItems``
        rows (one at least) of :meth:`blank_item` with the columns' examples; last, :meth:`blank` gives
        the defaults and fixed values where nothing else did. Without examples it is :meth:`blank`."""
        given = _first_example(schema, schema)
        out = _copied(given) if isinstance(given, Mapping) else {}
        for name, spec in self.fields.items():
            tokens = paths.split_path(name)
            if ITEMS in name or tokens is None:
                continue
            example = _first_example(schema, spec.schema)
            if spec.widget == "rows" and not isinstance(example, list):
                example = self._sample_rows(schema, name, spec.min_items)
            if example is not None:
                _set_absent(out, tokens, example)
        return self.blank(data=out)

    def _sample_rows(self, schema: Mapping[str, Any], rows: str, min_items: int) -> list[Any] | None:
        """Rows of the rows field ``rows`` filled with its columns' examples; None when no column has
        one (the field then starts as :meth:`blank` starts it)."""
        prefix = rows + ITEMS + "."
        item = self.blank_item(rows)
        found = False
        for name, spec in self.fields.items():
            inner = name[len(prefix) :] if name.startswith(prefix) else None
            tokens = paths.split_path(inner) if inner and ITEMS not in inner else None
            example = _first_example(schema, spec.schema) if tokens is not None else None
            if tokens is not None and example is not None:
                _set_absent(item, tokens, example)
                found = True
        return [_copy_value(item) for _ in range(max(min_items, 1))] if found else None

    def _fix(self, out: dict[str, Any]) -> None:
        """Give every field a ``const`` fixes its value where it was not sent (in each row of an array,
        inside an object that was sent)."""
        for name in self.fixed:
            spec = self.fields[name]
            tokens = paths.split_path(name)
            if spec.initial is None or tokens is None:
                continue
            for holder, _ in _holders(out, tokens[:-1], None):
                if tokens[-1] not in holder:
                    holder[tokens[-1]] = _copy_value(spec.initial.value)

    def _join(self, out: dict[str, Any]) -> None:
        """Drop from each text of a field with ``x-separators`` the separators it names, in place."""
        for name in self.separated:
            separators = self.fields[name].separators
            tokens = paths.split_path(name)
            if tokens is None:
                continue
            for holder, _ in _holders(out, tokens[:-1], None):
                value = holder.get(tokens[-1])
                if isinstance(value, str):
                    holder[tokens[-1]] = value.translate({ord(c): None for c in separators})

    def shown_groups(self, data: Any) -> tuple[str, ...]:
        """The names of the groups shown for ``data``."""
        return tuple(group.name for group in self.groups if group.shown(data))

    def strip_hidden(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``data`` without the fields of the groups hidden for it (a field that a shown
        group also lists stays)."""
        out: dict[str, Any] = _copied(data)
        self._strip(out, self._hidden(data))
        return out

    def _hidden(self, data: Any) -> tuple[GroupLayout, ...]:
        """The groups hidden for ``data`` (a group without conditions is always shown)."""
        return tuple(group for group in self.groups if group.when and not group.shown(data))

    def _strip(self, out: dict[str, Any], hidden: Sequence[GroupLayout]) -> bool:
        """Remove from ``out`` the fields of ``hidden`` that no shown group lists; whether any was there."""
        if not hidden:
            return False
        kept = {name for group in self.groups if all(group is not h for h in hidden) for name in group.fields}
        removed = False
        for group in hidden:
            for name in group.fields:
                if name not in kept:
                    tokens = paths.split_path(name)
                    if tokens is not None:
                        removed = _remove(out, tokens) or removed
        return removed

    def compute(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``data`` with every computed field filled (money rounded to cents, half up). A field
        whose expression cannot be evaluated over ``data`` (a quantity missing, a number too large) is
        removed, whatever was sent for it: validation then reports it missing where the form requires
        it, and no value the server did not compute is kept."""
        out: dict[str, Any] = _copied(data)
        self._fill(out)
        return out

    def _fill(self, out: dict[str, Any]) -> None:
        """Fill the computed fields of ``out`` in place."""
        for name in self.computed_order:
            spec = self.fields[name]
            tokens = paths.split_path(name)
            if spec.computed is None or tokens is None:
                continue
            money = spec.widget == "money" or spec.format == "money"
            for holder, line in _holders(out, tokens[:-1], None):
                try:
                    value = spec.computed.compiled({FORM_ROOT: out, LINE_ROOT: line})
                except (ExpressionEvaluationError, ArithmeticError, ValueError):
                    holder.pop(tokens[-1], None)
                    continue
                if isinstance(value, float) and not math.isfinite(value):
                    holder.pop(tokens[-1], None)  # JSON has no infinity: as if it could not be computed
                    continue
                holder[tokens[-1]] = _cents(value) if money else value

    @property
    def prepares(self) -> bool:
        """Whether :meth:`prepare` can change anything: a group is conditional, a field computed, fixed or
        written with separators."""
        return (
            bool(self.computed_order)
            or bool(self.fixed)
            or bool(self.separated)
            or any(group.when for group in self.groups)
        )

    def prepare(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """What the server validates: hidden groups' fields dropped, fixed fields given their ``const``
        where they were not sent, computed fields filled, the separators of a text with ``x-separators``
        dropped (a bank account typed ``6222 0202 0000 1234`` is ``6222020200001234``).

        Groups are judged on the data as the page shows it, computed: the computed fields are filled,
        the groups hidden for that are found, and the submission is stripped of them and computed again,
        until the hidden groups stay the same (a condition may read a computed field, or a field of
        another conditional group). At most once per group more; the last round is what is taken."""
        out = _copied(data)
        self._join(out)
        self._fix(out)
        self._fill(out)
        hidden = self._hidden(out)
        for _ in range(len(self.groups)):
            if not hidden:
                break
            stripped = _copied(data)
            self._join(stripped)
            self._fix(stripped)
            if not self._strip(stripped, hidden):
                break  # nothing of the hidden groups was sent: computing again would give ``out``
            self._fill(stripped)
            out = stripped
            again = self._hidden(out)
            if again == hidden:
                break
            hidden = again
        return out


def _copied(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of submitted data whose records and lists are new (what prepare changes), the values in
    them shared: numbers, text and the like are never changed in place. A tenth of ``copy.deepcopy``."""
    return {key: _copy_value(value) for key, value in data.items()}


def _copy_value(value: Any) -> Any:
    # The shapes JSON data has first, by exact type: the abstract ``Mapping`` check costs several
    # times more and runs for every value of every submission.
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is dict:
        return {key: _copy_value(item) for key, item in value.items()}
    if kind is list:
        return [_copy_value(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _copy_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_value(item) for item in value]
    return value


def _overlaps(read: str, masked: str) -> bool:
    """Whether reading ``read`` reads ``masked`` (or the record holding it, or a part of it)."""
    return read == masked or masked.startswith(read + ".") or read.startswith(masked + ".")


def _within(name: str, listed: str) -> bool:
    """Whether the field ``name`` is the field ``listed`` or inside it."""
    return name == listed or name.startswith(listed + ".") or name.startswith(listed + ITEMS)


def _first_example(root: Mapping[str, Any], node: Any) -> Any:
    """The first of a schema's ``examples`` (through ``$ref`` and ``allOf``), or None."""
    examples = paths.first(root, node, "examples")
    return examples[0] if isinstance(examples, list) and examples else None


def _set_absent(out: dict[str, Any], tokens: Sequence[str], value: Any) -> None:
    """Put ``value`` at ``tokens`` in ``out`` (making the objects on the way) unless something is there."""
    holder: Any = out
    for token in tokens[:-1]:
        if not isinstance(holder, dict):
            return
        holder = holder.setdefault(token, {})
    if isinstance(holder, dict) and tokens[-1] not in holder:
        holder[tokens[-1]] = _copy_value(value)


def _required_when_shown(schema: Mapping[str, Any], groups: Sequence[Mapping[str, Any]]) -> set[str]:
    """The top-level fields the data schema requires under exactly the condition that shows their group:
    an ``if`` (at the root, or in a root ``allOf`` branch) whose ``properties`` are the group's ``when``
    and which requires each of them, with a ``then`` that requires the field. The page marks them
    required while the group is shown (the retail invoice's ``needs_invoice``, a return's refund)."""
    found: set[str] = set()
    branches = [schema, *(b for b in schema.get("allOf") or () if isinstance(b, Mapping))]
    for group in groups:
        when = group.get("when")
        if not isinstance(when, Mapping) or not when:
            continue
        for branch in branches:
            condition, then = branch.get("if"), branch.get("then")
            if not isinstance(condition, Mapping) or not isinstance(then, Mapping):
                continue
            if condition.get("properties") != when or not set(when) <= set(condition.get("required") or ()):
                continue
            wanted = set(then.get("required") or ())
            found.update(name for name in group.get("fields") or () if name in wanted)
    return found


def _condition(path: str, schema: Mapping[str, Any] | bool) -> Condition:
    """A group's condition on one field; ``true`` and ``false`` are the schemas everything and nothing
    match."""
    document: Mapping[str, Any] = schema if isinstance(schema, Mapping) else ({} if schema else {"not": {}})
    return Condition(path, MappingProxyType(dict(document)), FormValidator(document))


def _ordered(names: Sequence[str], specs: Mapping[str, FieldLayout]) -> tuple[str, ...]:
    """``names`` sorted by each field's ``order``; a field without one keeps its place (its index)."""
    keyed = [
        (specs[n].order if n in specs and specs[n].order is not None else i, i, n)
        for i, n in enumerate(names)
    ]
    return tuple(n for _, _, n in sorted(keyed, key=lambda k: (k[0], k[1])))


def _cents(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, int):
        return value
    try:
        rounded = Decimal(repr(value) if isinstance(value, float) else value).quantize(_CENT, ROUND_HALF_UP)
    except InvalidOperation:
        return value
    return float(rounded)


def _value_at(data: Any, path: str) -> Any:
    node = data
    for token in paths.split_path(path) or ():
        if not isinstance(node, Mapping):
            return None
        node = node.get(token)
    return node


def _holders(node: Any, tokens: Sequence[str], line: Any) -> Iterator[tuple[dict[str, Any], Any]]:
    """Every object that holds the field whose parent tokens are ``tokens``, with its array item."""
    if not tokens:
        if isinstance(node, dict):
            yield node, line
        return
    head, rest = tokens[0], tokens[1:]
    if head == ITEMS:
        if isinstance(node, list):
            for item in node:
                yield from _holders(item, rest, item)
        return
    if isinstance(node, dict) and head in node:
        yield from _holders(node[head], rest, line)


def _remove(node: Any, tokens: Sequence[str]) -> bool:
    """Remove the field at ``tokens`` from ``node`` (in every item of an array); whether there was one."""
    head, rest = tokens[0], tokens[1:]
    if head == ITEMS:
        removed = False
        for item in node if isinstance(node, list) else ():
            removed = _remove(item, rest) or removed
        return removed
    if not isinstance(node, dict) or head not in node:
        return False
    if not rest:
        del node[head]
        return True
    removed = _remove(node[head], rest)
    if node[head] == {}:  # an object whose every field was hidden goes too
        del node[head]
    return removed


# --------------------------------------------------------------------------------------------------
# Checking a UI file against its data schema


@dataclass(frozen=True)
class UiFinding:
    """One problem of a UI file: at ``json_path`` (its key when ``key``), ``column`` within an expression."""

    message: Text
    json_path: str
    code: str
    hint: Text | None = None
    key: bool = False
    column: int = 0  # 1-based within the expression text of a computed field; 0 otherwise
    suggestion: str | None = None  # the name most likely meant, for a near miss
    severity: Severity = Severity.ERROR


# The keywords a field's ``messages`` may give its own message for (docs/forms.md, "Messages"): those a
# failed check is looked up under. A message under any other key is never shown.
MESSAGE_KEYWORDS = (
    *("required", "format", "pattern", "type", "enum", "const", "additionalProperties", "multipleOf"),
    *("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength"),
    *("minItems", "maxItems", "uniqueItems", "minProperties"),
)


def _fit(widget: str, schema: Any, root: Mapping[str, Any], has_source: bool) -> Text | None:
    """Why ``widget`` cannot show a field of ``schema``, or None when it fits."""
    types = paths.kinds(root, schema)
    allowed = _WIDGET_TYPES.get(widget)
    if allowed is not None and types and not (types & allowed):
        shows = [_TYPE_WORDS.get(t, Text(t, t)) for t in sorted(allowed)]
        kinds = sorted(types - {"integer"})
        is_zh = "、".join(_TYPE_WORDS.get(t, Text(t, t)).zh for t in kinds)
        return Text(
            f"控件 {widget!r} 显示的是{'或'.join(w.zh for w in shows)}，但该字段是{is_zh}",
            f"widget {widget!r} shows {' or '.join(w.en for w in shows)}, "
            f"but the field is {', '.join(kinds)}",
        )
    fmt = paths.first(root, schema, "format")
    wanted = _WIDGET_FORMATS.get(widget)
    if wanted and isinstance(fmt, str) and fmt != wanted:
        return Text(
            f"控件 {widget!r} 需要格式 {wanted!r}，但该字段的格式是 {fmt!r}",
            f"widget {widget!r} needs format {wanted!r}, but the field has format {fmt!r}",
        )
    if (
        widget == "checkbox"
        and "boolean" not in types
        and types
        and not has_source
        and _choices(root, schema) is None
    ):
        return Text(
            "列表上的控件 'checkbox' 需要可选项：带 enum 的 items，或 options.source",
            "widget 'checkbox' on a list needs choices: items with an enum, or options.source",
        )
    if widget in ("select", "radio") and not has_source and _choices(root, schema) is None:
        return Text(
            f"控件 {widget!r} 需要可选项：数据结构中的 enum，或 options.source",
            f"widget {widget!r} needs choices: an enum in the data schema, or options.source",
        )
    return None


def _choices(root: Mapping[str, Any], schema: Any) -> list[Any] | None:
    enum = paths.first(root, schema, "enum")
    if isinstance(enum, list):
        return enum
    if "const" in (schema if isinstance(schema, Mapping) else {}):
        return [schema["const"]]
    items = paths.first(root, schema, "items")
    if isinstance(items, Mapping):
        inner = paths.first(root, items, "enum")
        if isinstance(inner, list):
            return inner
    return None


def default_widget(root: Mapping[str, Any], schema: Any) -> str:
    """The widget a field gets when its UI file names none: from its type, format, enum and const."""
    types = paths.kinds(root, schema)
    fmt = paths.first(root, schema, "format")
    if isinstance(paths.first(root, schema, "enum"), list):
        return "select"
    if "boolean" in types:
        return "checkbox"
    fixed, value = paths.always(root, schema, "const")
    if fixed and not isinstance(value, dict | list):
        return "select"  # its one choice, by its title
    if "number" in types:
        return "money" if fmt == "money" else "number"
    if "array" in types:
        items = paths.first(root, schema, "items")
        if isinstance(items, Mapping) and isinstance(paths.first(root, items, "enum"), list):
            return "checkbox"
        return "rows"
    if "object" in types:
        return "object"
    for widget, wanted in _WIDGET_FORMATS.items():
        if fmt == wanted:
            return widget
    max_length = paths.first(root, schema, "maxLength")
    if isinstance(max_length, int) and max_length > 200:
        return "textarea"
    return "text"


class _Reads:
    """The fields a computed expression reads: ``form.<path>``, ``line.<path>`` and ``pluck(x, 'name')``,
    each as field-path tokens with the column it starts at (1-based)."""

    def __init__(self, line_prefix: list[str] | None) -> None:
        self.line_prefix = line_prefix
        self.found: list[tuple[list[str] | None, str, int]] = []  # (tokens, as written, column)

    def chain(self, node: ast.AST) -> tuple[list[str], str] | None:
        parts: list[str] = []
        while True:
            if isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            elif isinstance(node, ast.Subscript):
                key = node.slice
                if (
                    isinstance(key, ast.Constant)
                    and isinstance(key.value, int)
                    and not isinstance(key.value, bool)
                ):
                    parts.append(ITEMS)
                elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                    parts.append(key.value)
                else:
                    return None
                node = node.value
            elif isinstance(node, ast.Name):
                parts.append(node.id)
                break
            else:
                return None
        parts.reverse()
        return parts[1:], parts[0]

    def visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.Attribute | ast.Subscript | ast.Name):
            found = self.chain(node)
            if found is not None:
                tokens, root = found
                self.add(root, tokens, node)
                return
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "pluck"
            and len(node.args) == 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            found = self.chain(node.args[0])
            if found is not None:
                tokens, root = found
                self.add(root, [*tokens, ITEMS, node.args[1].value], node.args[0])
                return
        for child in ast.iter_child_nodes(node):
            self.visit(child)

    def add(self, root: str, tokens: list[str], node: ast.AST) -> None:
        column = getattr(node, "col_offset", 0) + 1
        shown = ".".join([root, *tokens]).replace("." + ITEMS, ITEMS)
        if root == LINE_ROOT:
            absolute = None if self.line_prefix is None else [*self.line_prefix, *tokens]
            self.found.append((absolute, shown, column))
        elif root == FORM_ROOT:
            self.found.append((tokens, shown, column))


def _join(tokens: Sequence[str]) -> str:
    return ".".join(tokens).replace("." + ITEMS, ITEMS)


def _line_prefix(tokens: Sequence[str]) -> list[str] | None:
    """The tokens of the innermost array item holding a field (``lines[].amount`` -> ``lines, []``)."""
    for index in range(len(tokens) - 1, -1, -1):
        if tokens[index] == ITEMS:
            return list(tokens[: index + 1])
    return None


def _computed_findings(
    name: str, text: str, where: str, root: Mapping[str, Any], known: Collection[str]
) -> tuple[list[UiFinding], frozenset[str]]:
    tokens = paths.split_path(name) or []
    prefix = _line_prefix(tokens)
    findings: list[UiFinding] = []
    errors = check_expression(text, COMPUTED_ROOTS)
    for error in errors:
        findings.append(
            UiFinding(
                Text(
                    f"计算式 {brief(text, 80, 'zh')} 第 {error.column} 列：{error.words.zh}",
                    f"in computed {brief(text, 80)}, column {error.column}: {error.words.en}",
                ),
                where,
                "bad-computed",
                error.hint_words,
                column=error.column,
                suggestion=error.suggestion,
            )
        )
    if errors:
        return findings, frozenset()
    lead = len(text) - len(text.lstrip(" \t"))
    reads = _Reads(prefix)
    reads.visit(parse_expression(text, COMPUTED_ROOTS))
    found: set[str] = set()
    for absolute, shown, column in reads.found:
        if absolute is None:
            findings.append(
                UiFinding(
                    Text(
                        f"计算字段 {name!r} 读取了 {shown!r}，但它不在数组中，没有所在的行（line）",
                        f"computed field {name!r} reads {shown!r}, "
                        "but it is not in an array, so it has no line",
                    ),
                    where,
                    "bad-computed",
                    Text("请用 form.<字段> 读取表单的字段", "read the form's fields as form.<field>"),
                    column=column + lead,
                )
            )
            continue
        path = _join(absolute)
        if not absolute or paths.resolve(root, absolute) is None:
            findings.append(
                UiFinding(
                    Text(
                        f"计算字段 {name!r} 读取的 {shown!r} 不是表单的字段",
                        f"computed field {name!r} reads {shown!r}, which is not a field of the form",
                    ),
                    where,
                    "unknown-field",
                    column=column + lead,
                    suggestion=_near_miss(path, known),
                )
            )
            continue
        found.add(path)
    return findings, frozenset(found)


def _near_miss(word: str, choices: Collection[str]) -> str | None:
    return near_miss(word, choices, cutoff=0.6)


def _text(value: Any) -> Text | None:
    if isinstance(value, Mapping) and isinstance(value.get("zh"), str) and isinstance(value.get("en"), str):
        return Text(value["zh"], value["en"])
    return None


def check_ui(
    ui: Mapping[str, Any], schema: Mapping[str, Any], sources: Collection[str] | None = None
) -> list[UiFinding]:
    """What is wrong with a UI file whose shape ``ui.schema.json`` accepts, judged against its data
    schema: unknown fields (in groups, ``fields``, ``when`` and computed expressions), conditions that
    are no JSON Schema or read inside an array, unregistered option sources (``sources``; None: not
    judged), computed expressions the language refuses or that read each other in a cycle, and widgets
    that do not fit their field. Every problem, in document order."""
    known = [name for name, _ in paths.fields_of(schema)]
    findings: list[UiFinding] = []
    placed: dict[str, str] = {}
    names: set[str] = set()
    for index, group in enumerate(ui.get("groups") or []):
        where = child_path("$.groups", index)
        name = group.get("name")
        if name in names:
            findings.append(
                UiFinding(
                    Text(f"有两个分组都叫 {name!r}", f"two groups are named {name!r}"),
                    child_path(where, "name"),
                    "duplicate-group",
                )
            )
        names.add(name)
        for position, field_name in enumerate(group.get("fields") or []):
            at = child_path(child_path(where, "fields"), position)
            if paths.resolve(schema, field_name) is None:
                findings.append(
                    UiFinding(
                        Text(
                            f"分组 {name!r} 列出的 {field_name!r} 不是表单的字段",
                            f"group {name!r} lists {field_name!r}, which is not a field of the form",
                        ),
                        at,
                        "unknown-field",
                        suggestion=_near_miss(field_name, known),
                    )
                )
            elif field_name in placed:
                findings.append(
                    UiFinding(
                        Text(
                            f"字段 {field_name!r} 已在分组 {placed[field_name]!r} 中",
                            f"field {field_name!r} is already in group {placed[field_name]!r}",
                        ),
                        at,
                        "field-twice",
                        Text("每个字段只能列在一个分组中", "list each field in one group"),
                    )
                )
            else:
                placed[field_name] = name
        for field_name, condition in (group.get("when") or {}).items():
            at = child_path(child_path(where, "when"), field_name)
            if paths.resolve(schema, field_name) is None:
                findings.append(
                    UiFinding(
                        Text(
                            f"分组 {name!r} 的条件读取的 {field_name!r} 不是表单的字段",
                            f"condition of group {name!r} reads {field_name!r}, "
                            "which is not a field of the form",
                        ),
                        at,
                        "unknown-field",
                        key=True,
                        suggestion=_near_miss(field_name, known),
                    )
                )
            elif ITEMS in field_name:
                findings.append(
                    UiFinding(
                        Text(
                            f"分组 {name!r} 的条件读取了 {field_name!r}，它是数组中每一项的字段",
                            f"condition of group {name!r} reads {field_name!r}, a field of each array item",
                        ),
                        at,
                        "condition-in-rows",
                        Text(
                            "分组的条件只能读取数组以外的字段",
                            "a group's condition reads fields outside arrays",
                        ),
                        key=True,
                    )
                )
            try:
                Draft202012Validator.check_schema(condition)
            except SchemaError as error:
                if list(error.path)[-1:] == ["type"] and isinstance(error.instance, str):
                    types = ["string", "number", "integer", "boolean", "array", "object", "null"]
                    message = Text(
                        f"{field_name!r} 上的条件：{error.instance!r} 不是 JSON 类型",
                        f"condition on {field_name!r}: {error.instance!r} is not a JSON type",
                    )
                    findings.append(
                        UiFinding(message, at, "bad-condition", suggestion=_near_miss(error.instance, types))
                    )
                    continue
                findings.append(
                    UiFinding(
                        Text(
                            f"{field_name!r} 上的条件不是有效的 JSON Schema：{schema_message(error).zh}",
                            f"condition on {field_name!r} is not a valid JSON Schema: {error.message}",
                        ),
                        at,
                        "bad-condition",
                    )
                )
    computed: dict[str, frozenset[str]] = {}
    for field_name, spec in (ui.get("fields") or {}).items():
        where = child_path("$.fields", field_name)
        field_schema = paths.resolve(schema, field_name)
        if field_schema is None:
            findings.append(
                UiFinding(
                    Text(f"{field_name!r} 不是表单的字段", f"{field_name!r} is not a field of the form"),
                    where,
                    "unknown-field",
                    key=True,
                    suggestion=_near_miss(field_name, known),
                )
            )
            continue
        for keyword in spec.get("messages") or {}:
            if keyword not in MESSAGE_KEYWORDS:
                findings.append(
                    UiFinding(
                        Text(
                            f"{field_name!r} 的提示信息所用的键 {keyword!r} 不是校验关键字，"
                            "这条提示永远不会显示",
                            f"{field_name!r} has a message for {keyword!r}, which is no keyword a check "
                            "fails on: it is never shown",
                        ),
                        child_path(child_path(where, "messages"), keyword),
                        "unknown-message-keyword",
                        Text(
                            "可用的键：" + "、".join(MESSAGE_KEYWORDS),
                            "the keys it may use: " + ", ".join(MESSAGE_KEYWORDS),
                        ),
                        key=True,
                        suggestion=_near_miss(keyword, MESSAGE_KEYWORDS),
                        severity=Severity.WARNING,
                    )
                )
        options = spec.get("options")
        source = options.get("source") if isinstance(options, Mapping) else None
        if sources is not None and isinstance(source, str) and source not in sources:
            findings.append(
                UiFinding(
                    Text(f"未知的选项来源 {source!r}", f"unknown option source {source!r}"),
                    child_path(child_path(where, "options"), "source"),
                    "unknown-source",
                    Text(
                        f"已注册的来源：{', '.join(sorted(sources)) or '无'}",
                        f"registered sources: {', '.join(sorted(sources)) or 'none'}",
                    ),
                    suggestion=_near_miss(source, sources),
                )
            )
        widget = spec.get("widget")
        if isinstance(widget, str):
            why = _fit(widget, field_schema, schema, source is not None)
            if why:
                findings.append(UiFinding(why, child_path(where, "widget"), "widget-type"))
        text = spec.get("computed")
        if isinstance(text, str):
            found, reads = _computed_findings(field_name, text, child_path(where, "computed"), schema, known)
            findings.extend(found)
            if not found:
                computed[field_name] = reads
    findings.extend(_prefill_findings(ui, schema, known))
    _, cycle = _computed_order(computed)
    if cycle:
        findings.append(
            UiFinding(
                Text(
                    "计算字段相互读取，形成循环：" + " -> ".join(cycle),
                    "computed fields read each other in a cycle: " + " -> ".join(cycle),
                ),
                child_path(child_path("$.fields", cycle[0]), "computed"),
                "computed-cycle",
            )
        )
    return findings


def _prefill_findings(
    ui: Mapping[str, Any], schema: Mapping[str, Any], known: Sequence[str]
) -> list[UiFinding]:
    """What is wrong with the UI file's ``prefill``: a field the form has not, one inside an array (a
    row the page adds has no value of the order's) or one that is computed, and an expression the
    condition language refuses (it reads ``order`` alone)."""
    findings: list[UiFinding] = []
    given: Mapping[str, Any] = ui.get("fields") or {}
    for name, text in (ui.get("prefill") or {}).items():
        where = child_path("$.prefill", name)
        if paths.resolve(schema, name) is None:
            findings.append(
                UiFinding(
                    Text(
                        f"预填的 {name!r} 不是表单的字段",
                        f"prefill names {name!r}, which is not a field of the form",
                    ),
                    where,
                    "unknown-field",
                    key=True,
                    suggestion=_near_miss(name, known),
                )
            )
            continue
        if ITEMS in name:
            findings.append(
                UiFinding(
                    Text(
                        f"预填的 {name!r} 是数组中每一项的字段",
                        f"prefill names {name!r}, a field of each array item",
                    ),
                    where,
                    "prefill-in-rows",
                    Text("只能预填数组以外的字段", "only fields outside arrays are prefilled"),
                    key=True,
                )
            )
            continue
        spec = given.get(name)
        if isinstance(spec, Mapping) and isinstance(spec.get("computed"), str):
            findings.append(
                UiFinding(
                    Text(
                        f"字段 {name!r} 是计算字段，其值由计算式得出，不能预填",
                        f"field {name!r} is computed: its value comes from its expression, not a prefill",
                    ),
                    where,
                    "prefill-computed",
                    Text(
                        "请删除此预填，或删除该字段的 computed", "remove the prefill, or the field's computed"
                    ),
                    key=True,
                )
            )
            continue
        for error in check_expression(text, PREFILL_ROOTS):
            findings.append(
                UiFinding(
                    Text(
                        f"字段 {name!r} 的预填式 {brief(text, 80, 'zh')} "
                        f"第 {error.column} 列：{error.words.zh}",
                        f"in the prefill of {name!r}, {brief(text, 80)}, "
                        f"column {error.column}: {error.words.en}",
                    ),
                    where,
                    "bad-prefill",
                    error.hint_words,
                    column=error.column,
                    suggestion=error.suggestion,
                )
            )
    return findings


class _OrderReads(ast.NodeVisitor):
    """The order's fields an expression reads: ``order.customer.mobile`` is ``customer.mobile``."""

    def __init__(self) -> None:
        self.found: set[str] = set()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        names: list[str] = []
        current: ast.expr = node
        while isinstance(current, ast.Attribute):
            names.append(current.attr)
            current = current.value
        if isinstance(current, ast.Name) and current.id == ORDER_ROOT:
            self.found.add(".".join(reversed(names)))
            return
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id == ORDER_ROOT:
            self.found.add("")  # the whole order


def _order_field(node: ast.expr) -> str | None:
    """The order's field an expression is when it is nothing but that field (``order.customer.name``
    is ``customer.name``), else None."""
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if names and isinstance(node, ast.Name) and node.id == ORDER_ROOT:
        return ".".join(reversed(names))
    return None


def _prefill(text: str) -> Prefill:
    reads = _OrderReads()
    tree = parse_expression(text, PREFILL_ROOTS)
    reads.visit(tree)
    compiled = compile_expression(text, PREFILL_ROOTS)
    return Prefill(text, frozenset(reads.found), compiled, _order_field(tree.body))


def _depends(reads: Collection[str], other: str) -> bool:
    return any(other == r or other.startswith(r + ".") or other.startswith(r + ITEMS) for r in reads)


def _computed_order(computed: Mapping[str, frozenset[str]]) -> tuple[tuple[str, ...], list[str]]:
    """The computed fields in an order where each comes after those it reads; a cycle when there is one."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1: visiting, 2: done
    stack: list[str] = []

    def visit(name: str) -> list[str]:
        if state.get(name) == 2:
            return []
        if state.get(name) == 1:
            return [*stack[stack.index(name) :], name]
        state[name] = 1
        stack.append(name)
        for other in computed:
            if other != name and _depends(computed[name], other):
                cycle = visit(other)
                if cycle:
                    return cycle
        stack.pop()
        state[name] = 2
        order.append(name)
        return []

    for name in computed:
        cycle = visit(name)
        if cycle:
            return tuple(order), cycle
    return tuple(order), []


# --------------------------------------------------------------------------------------------------
# Loading


def default_layout(schema: Mapping[str, Any]) -> FormLayout:
    """The layout of a form without a UI file: one group, the top-level fields in schema order, widgets
    from their types, formats and enums."""
    return load_layout(schema, None)


def load_layout(
    schema: Mapping[str, Any],
    ui: Mapping[str, Any] | None = None,
    *,
    sources: Collection[str] | None = None,
    file: str = "<ui>",
    checked: bool = False,
) -> FormLayout:
    """The layout of a form from its data schema and UI file (None: the default layout); raises a
    ``DefinitionError`` with every problem when the UI file does not fit the schema. ``checked``: the
    UI file was checked when it was published (a stored version): it is not checked again against
    today's rules, so a version published under older ones still loads."""
    if ui is not None and not checked:
        problems = [
            Problem(Text(schema_message(e).zh, e.message), file, 0, 0, e.json_path, None, "ui-schema")
            for e in Draft202012Validator(ui_schema()).iter_errors(ui)
        ]
        if not problems:
            problems = [
                Problem(f.message, file, 0, 0, f.json_path, f.hint, f.code, suggestion=f.suggestion)
                for f in check_ui(ui, schema, sources)
            ]
        if problems:
            raise DefinitionError(problems)
    ui = ui or {}
    given: Mapping[str, Any] = ui.get("fields") or {}
    specs: dict[str, FieldLayout] = {}
    computed: dict[str, frozenset[str]] = {}
    for name, field_schema in paths.fields_of(schema):
        spec = given.get(name) or {}
        tokens = paths.split_path(name) or [name]
        parent = paths.resolve(schema, tokens[:-1]) if len(tokens) > 1 else schema
        required = isinstance(parent, Mapping) and tokens[-1] in (
            paths.first(schema, parent, "required") or []
        )
        custom_label = _text(spec.get("label"))
        source = spec.get("options")
        reads: frozenset[str] = frozenset()
        compiled = None
        if isinstance(spec.get("computed"), str):
            _, reads = _computed_findings(name, spec["computed"], "$", schema, ())
            computed[name] = reads
            compiled = Computed(spec["computed"], reads, compile_expression(spec["computed"], COMPUTED_ROOTS))
        choices = _choices(schema, field_schema) or []
        titles = paths.first(schema, field_schema, "x-enum-titles") or {}
        fixed, fixed_value = paths.always(schema, field_schema, "const")
        has_default, default = paths.always(schema, field_schema, "default")
        initial = Initial(fixed_value, True) if fixed else Initial(default, False) if has_default else None
        specs[name] = FieldLayout(
            path=name,
            widget=spec.get("widget") or default_widget(schema, field_schema),
            format=fmt if isinstance(fmt := paths.first(schema, field_schema, "format"), str) else None,
            label=custom_label or paths.title(schema, field_schema) or Text(tokens[-1], tokens[-1]),
            custom_label=custom_label,
            help=_text(spec.get("help")) or paths.description(schema, field_schema),
            placeholder=_text(spec.get("placeholder")),
            readonly=bool(spec.get("readonly", False)) or compiled is not None or fixed,
            hidden=bool(spec.get("hidden", False)) or spec.get("widget") == "hidden",
            order=spec.get("order"),
            required=bool(required),
            options=tuple(Option(value, messages.value_text(value, titles)) for value in choices),
            source=OptionsSource(source["source"], MappingProxyType(dict(source.get("params") or {})))
            if isinstance(source, Mapping)
            else None,
            computed=compiled,
            messages=MappingProxyType(
                {k: t for k, v in (spec.get("messages") or {}).items() if (t := _text(v)) is not None}
            ),
            schema=field_schema if isinstance(field_schema, Mapping) else {},
            initial=initial,
            min_items=low if isinstance(low := paths.first(schema, field_schema, "minItems"), int) else 0,
            separators=gaps if isinstance(gaps := paths.first(schema, field_schema, SEPARATORS), str) else "",
        )
    order, _ = _computed_order(computed)
    title = paths.title(schema, schema) or Text("表单", "Form")
    groups: list[GroupLayout] = []
    for group in ui.get("groups") or []:
        groups.append(
            GroupLayout(
                name=group["name"],
                label=_text(group.get("label")) or Text(group["name"], group["name"]),
                columns=int(group.get("columns", 1)),
                fields=_ordered(list(group["fields"]), specs),
                when=tuple(_condition(name, cond) for name, cond in (group.get("when") or {}).items()),
            )
        )
    for name in _required_when_shown(schema, ui.get("groups") or []):
        if name in specs:
            specs[name] = replace(specs[name], required=True)
    placed = {name for group in groups for name in group.fields}
    top = [name for name in specs if "." not in name and ITEMS not in name]
    loose = [
        name
        for name in top
        if name not in placed
        and not any(p.startswith(name + ".") or p.startswith(name + ITEMS) for p in placed)
        and not specs[name].hidden
    ]
    if loose:
        name, label = (DEFAULT_GROUP, title) if not groups else (MORE_GROUP, Text("其他", "More"))
        groups.append(GroupLayout(name, label, 2 if not groups else 1, _ordered(loose, specs)))
    fixed_fields = tuple(
        name for name, spec in specs.items() if spec.initial is not None and spec.initial.fixed
    )
    prefill = {name: _prefill(text) for name, text in (ui.get("prefill") or {}).items()}
    separated = tuple(name for name, spec in specs.items() if spec.separators)
    return FormLayout(
        title,
        tuple(groups),
        MappingProxyType(specs),
        order,
        fixed_fields,
        MappingProxyType(prefill),
        separated,
    )
