"""Reading a form's files (engine/forms/checks.py): ``read_form`` reads a form and its layout as
``orderloom validate`` reads them, drafts over the files included, and refuses with every problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.dsl.loader import drafts_over_files
from engine.errors import DefinitionError
from engine.forms.checks import read_form

ROOT = Path(__file__).resolve().parents[3]
ORDER = ROOT / "forms/retail/order.json"  # a form without a UI file on disk
PAYMENT = ROOT / "forms/retail/payment.json"


def test_a_form_is_read_with_its_layout_or_the_default_one() -> None:
    schema, layout = read_form(PAYMENT, "forms/retail/payment.json")
    assert schema["x-title-zh"] == "支付" and layout.fields["method"].widget == "radio"
    assert [g.name for g in layout.groups] == ["payment"]
    _, default = read_form(ORDER, "forms/retail/order.json")
    assert len(default.groups) == 1  # no UI file: the default layout


def test_drafts_are_read_in_place_of_the_files_and_a_draft_layout_where_there_is_no_file() -> None:
    ui = {
        "schema_version": 1,
        "groups": [{"name": "who", "label": {"zh": "客户", "en": "Customer"}, "fields": ["customer"]}],
    }
    with drafts_over_files({ROOT / "forms/retail/order.ui.json": json.dumps(ui)}):
        _, layout = read_form(ORDER, "forms/retail/order.json")
    first = layout.groups[0]  # then "more": the fields no group lists
    assert (first.name, first.label.en) == ("who", "Customer")
    drafted = json.loads(PAYMENT.read_text("utf-8"))
    drafted["properties"]["amount"]["x-title-zh"] = "实付金额"
    with drafts_over_files({PAYMENT: json.dumps(drafted, ensure_ascii=False)}):
        _, layout = read_form(PAYMENT, "forms/retail/payment.json")
    assert layout.fields["amount"].label.zh == "实付金额"


def test_a_layout_that_cannot_be_used_is_refused_naming_its_file() -> None:
    broken = {ROOT / "forms/retail/payment.ui.json": '{"groups": ['}
    with drafts_over_files(broken), pytest.raises(DefinitionError) as refused:
        read_form(PAYMENT, "forms/retail/payment.json")
    (problem,) = refused.value.problems
    assert problem.file == "forms/retail/payment.ui.json" and problem.code == "json-syntax"
    with drafts_over_files({PAYMENT: "[]"}), pytest.raises(DefinitionError) as refused:
        read_form(PAYMENT, "forms/retail/payment.json")
    assert refused.value.problems[0].file == "forms/retail/payment.json"
