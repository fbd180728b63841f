"""What a row of my work or of a queue says of an order besides its number, workflow and state, by the
workflow's declaration alone (never by a department's name): who it is for (the fields its ``search:``
finds it by name), its amount (``total``), and, for an order about another (``original_order:``: an
after-sales request about a retail order), the amount asked back (its ``refund`` field), its kind in
words (its ``kind`` field's ``x-enum-titles``) and the other order's number, with whether the reader may
open that order's page (its department is theirs): else the number is said, not linked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.common.text import Text
from engine.dsl.spec import WorkflowSpec
from engine.forms.messages import value_text
from engine.runtime.actor import Actor
from engine.store.original_orders import named_id
from engine.store.search import values_at

__all__ = [
    "NAME_TERM",
    "OriginalNamed",
    "RowSummary",
    "field_title",
    "names_of",
    "row_summary",
    "value_words",
]

NAME_TERM = "name"  # the ``search:`` kind whose fields name who an order is for (customer, company)


@dataclass(frozen=True)
class OriginalNamed:
    """The order an order is about: its number, and whether the reader may open its page."""

    id: int
    opens: bool


@dataclass(frozen=True)
class RowSummary:
    """An order's row beside its number: who it is for, its total, the refund it asks, its kind in words
    and the order it is about."""

    names: tuple[str, ...] = ()
    total: Decimal | None = None
    asked: Decimal | None = None
    kind: Text | None = None
    original: OriginalNamed | None = None


def names_of(spec: WorkflowSpec, data: Mapping[str, Any]) -> tuple[str, ...]:
    """Who the order is for, as a batch's page and my work list it beside the order's number: the values
    of the fields the workflow's ``search:`` finds it by name (a customer's name; a contact and a
    company), in the order named there, each once. Empty when the workflow names none."""
    names: list[str] = []
    for path in spec.search.get(NAME_TERM, ()):
        for value in values_at(data, path):
            if isinstance(value, str) and value.strip() and value.strip() not in names:
                names.append(value.strip())
    return tuple(names)


def row_summary(spec: WorkflowSpec, data: Mapping[str, Any], reader: Actor) -> RowSummary:
    """What the row of an order of ``spec`` holding ``data`` says of it to ``reader``."""
    wanted = spec.original_order
    if wanted is None:
        return RowSummary(names_of(spec, data), _money(data.get("total")))
    number = named_id(data.get(wanted.field))
    kind = None
    if wanted.kind is not None and data.get(wanted.kind) is not None:
        kind = value_words(spec, wanted.kind, data[wanted.kind])
    return RowSummary(
        names=names_of(spec, data),
        total=_money(data.get("total")),
        asked=_money(data.get(wanted.refund)) if wanted.refund is not None else None,
        kind=kind,
        original=None if number is None else OriginalNamed(number, reader.in_department(wanted.department)),
    )


def _data_field(spec: WorkflowSpec, name: str) -> Mapping[str, Any]:
    form = spec.forms.get(spec.data_form or "") or {}
    found = (form.get("properties") or {}).get(name)
    return found if isinstance(found, Mapping) else {}


def value_words(spec: WorkflowSpec, name: str, value: Any) -> Text:
    """A value of the data form's field ``name`` in words: its ``x-enum-titles`` entry, else itself."""
    titles = _data_field(spec, name).get("x-enum-titles")
    return value_text(value, titles if isinstance(titles, Mapping) else None)


def field_title(spec: WorkflowSpec, name: str) -> Text:
    """The data form's field ``name`` by its title, in both languages (its name where it has none)."""
    found = _data_field(spec, name)
    en, zh = found.get("title"), found.get("x-title-zh")
    en = en if isinstance(en, str) else name
    return Text(zh if isinstance(zh, str) else en, en)


def _money(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Decimal(str(value))
