"""A record step's form for many records at once (engine/forms/per_record.py): the fields marked
``x-per-record`` are found, and left out of the schema and the layout, what they hold with them."""

from __future__ import annotations

import json
from pathlib import Path

from engine.forms.per_record import asks_per_record, per_record_fields, without_fields
from engine.forms.ui import default_layout

ROOT = Path(__file__).resolve().parents[3]


def test_the_shipments_waybill_is_each_parcels_own_and_left_out_of_one_form_for_many() -> None:
    schema = json.loads((ROOT / "forms" / "retail" / "shipment.json").read_text(encoding="utf-8"))
    assert per_record_fields(schema) == ("waybill",)
    layout = default_layout(schema)
    kept, shown = without_fields(schema, layout, ("waybill",))
    assert list(kept["properties"]) == ["carrier", "packages"] and kept["required"] == ["carrier"]
    assert "waybill" not in shown.fields and all("waybill" not in g.fields for g in shown.groups)
    assert "waybill" in schema["properties"] and "waybill" in layout.fields  # the step's own form keeps it


def test_a_nested_field_goes_with_the_field_that_holds_it() -> None:
    parcel = {"type": "object", "x-per-record": True, "properties": {"seal": {"type": "string"}}}
    note = {"type": "string", "x-per-record": False}
    schema = {
        "type": "object",
        "required": ["parcel", "note"],
        "properties": {"parcel": parcel, "note": note},
    }
    assert per_record_fields(schema) == ("parcel",)
    kept, shown = without_fields(schema, default_layout(schema), ("parcel",))
    assert kept["required"] == ["note"] and list(shown.fields) == ["note"]


def test_a_form_asks_per_record_only_when_it_requires_such_a_field() -> None:
    shipment = json.loads((ROOT / "forms" / "retail" / "shipment.json").read_text(encoding="utf-8"))
    assert not asks_per_record(shipment)  # the waybill may be left blank: the carrier issues one
    required = {**shipment, "required": [*shipment["required"], "waybill"]}
    assert asks_per_record(required)
    assert not asks_per_record({"type": "object", "properties": {}})
