"""Sample data made from a form's schema (engine/forms/sample.py): over every shipped form, each value
made passes its field's schema and the whole sample passes the form's own validation; values stay within
the limits the schema sets; a pattern this does not follow leaves its field empty, never a wrong value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.forms.checks import read_form
from engine.forms.formats import FORMATS
from engine.forms.sample import BY_FORMAT, fill_samples, sample_value
from engine.forms.validation import FormValidator

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = sorted(
    p.relative_to(ROOT).as_posix() for p in ROOT.glob("forms/*/*.json") if not p.name.endswith(".ui.json")
)


@pytest.mark.parametrize("form", SHIPPED)
def test_the_sample_of_every_shipped_form_is_data_a_clerk_could_send(form: str) -> None:
    schema, layout = read_form(ROOT / form, form)
    sample, made_up = fill_samples(layout.fields, schema, layout.sample(schema), "zh")
    assert made_up  # no shipped form has examples for every field
    errors = FormValidator.compile(schema).messages(layout.prepare(sample))
    made = [e.path for e in errors if any(re.match(rf"\$\.{re.escape(n)}(\b|$)", e.path) for n in made_up)]
    assert made == []  # only a field left empty (a pattern not followed) may be said to be missing


@pytest.mark.parametrize(
    ("node", "made"),
    [
        ({"type": "integer", "exclusiveMinimum": 5, "maximum": 9}, 6),
        ({"type": "number", "minimum": 0.5, "multipleOf": 0.25}, 1),
        ({"type": "number", "maximum": -2.5}, -2.5),
        ({"type": "number", "format": "money", "exclusiveMaximum": 10}, 9.99),
        ({"type": "string", "minLength": 3, "maxLength": 3}, "Sam"),
        ({"type": "string", "pattern": "^(AB|CD)-[0-9]{3}$"}, "AB-000"),
        ({"type": "string", "pattern": "\\S.*\\S", "minLength": 2}, "aa"),  # not spaces alone
        ({"type": "string", "pattern": "^\\D\\W$"}, "a "),
        ({"type": "string", "enum": ["shipped", "paid"]}, "shipped"),
        ({"type": "boolean"}, False),
        ({"type": "array", "items": {"type": "string", "enum": ["x", "y"]}, "minItems": 2}, ["x", "x"]),
        ({"type": "string", "pattern": "^(?!x)y$"}, None),  # a look-ahead: not followed
        ({"type": "string", "pattern": "^[^a]{2}$"}, None),  # a negated set: not followed
        ({"type": "string", "pattern": "^a{3}$", "maxLength": 2}, None),  # limits no string meets
        ({"type": "integer", "minimum": 5, "maximum": 3}, None),
    ],
)
def test_a_value_within_the_fields_limits(node: dict[str, object], made: object) -> None:
    assert sample_value({}, node, "en") == made


def test_each_format_sample_passes_its_format() -> None:
    for name, check in FORMATS.items():
        assert check(BY_FORMAT[name]), name
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", BY_FORMAT["date"])
