"""The fields of a record step's form that must differ per record (``x-per-record: true``: a parcel's
waybill number, which the carrier issues per parcel when left blank): a batch that takes the step on many
orders' records with one form leaves them out of that form and refuses one posted (docs/forms.md)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from engine.forms.ui import FormLayout

PER_RECORD = "x-per-record"


def per_record_fields(schema: Mapping[str, Any]) -> tuple[str, ...]:
    """The top-level fields of ``schema`` marked ``x-per-record: true``, in document order."""
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return ()
    return tuple(
        name
        for name, prop in properties.items()
        if isinstance(prop, Mapping) and prop.get(PER_RECORD) is True
    )


def asks_per_record(schema: Mapping[str, Any]) -> bool:
    """Whether the form requires a field that differs per record or order (``x-per-record``: each
    refund's own amount paid back, the lines a return names): one form for many cannot give it, so a
    batch does not offer the step."""
    required = schema.get("required")
    return isinstance(required, list) and any(name in required for name in per_record_fields(schema))


def without_fields(
    schema: Mapping[str, Any], layout: FormLayout, names: Collection[str]
) -> tuple[dict[str, Any], FormLayout]:
    """``schema`` and ``layout`` with the top-level fields ``names`` (and what they hold) left out: the
    form a batch shows once for many records."""

    def gone(path: str) -> bool:
        return any(path == name or path.startswith((name + ".", name + "[]")) for name in names)

    kept = dict(schema)
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        kept["properties"] = {key: value for key, value in properties.items() if key not in names}
    required = schema.get("required")
    if isinstance(required, list):
        kept["required"] = [key for key in required if key not in names]
    shown = replace(
        layout,
        groups=tuple(replace(g, fields=tuple(f for f in g.fields if not gone(f))) for g in layout.groups),
        fields={path: spec for path, spec in layout.fields.items() if not gone(path)},
        computed_order=tuple(path for path in layout.computed_order if not gone(path)),
        fixed=tuple(path for path in layout.fixed if not gone(path)),
        prefill={path: found for path, found in layout.prefill.items() if not gone(path)},
    )
    return kept, shown
