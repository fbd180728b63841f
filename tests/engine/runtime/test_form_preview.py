"""The studio's form preview (engine/runtime/form_preview.py) on SQLite and PostgreSQL, over the shipped
definitions: the text of a form or of its layout is read with the other file as it is published, into
the layout and sample data a page is drawn from; a text with an error, or a layout the form beside it
refuses, is drawn not at all."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from engine.clock import FrozenClock
from engine.forms.formats import FORMAT_CHECKER
from engine.plugins import PluginRegistry
from engine.runtime import Actor, Engine
from engine.runtime.form_preview import form_of, form_preview
from engine.runtime.studio import Studio
from engine.store import Store
from engine.store.studio import SaveConflict

ROOT = Path(__file__).resolve().parents[3]
MA = Actor("ma.li", frozenset({"admin"}), frozenset({"retail"}))
FORM = "forms/retail/payment.json"
UI = "forms/retail/payment.ui.json"
FORM_TEXT = (ROOT / FORM).read_text(encoding="utf-8")
UI_TEXT = (ROOT / UI).read_text(encoding="utf-8")


@pytest.fixture
def studio(store: Store) -> Studio:
    return Studio(Engine(store, PluginRegistry.from_entry_points(), FrozenClock()), ROOT)


def with_examples() -> str:
    form = json.loads(FORM_TEXT)
    form["properties"]["method"]["default"] = "alipay"
    form["properties"]["amount"]["examples"] = [128.5, 1]
    form["properties"]["note"] = {"title": "Note", "x-title-zh": "备注", "type": "string"}
    form["examples"] = [{"transaction_ref": "4200001234567"}]
    return json.dumps(form, ensure_ascii=False, indent=2)


def test_the_form_of_a_file() -> None:
    assert form_of(FORM) == FORM
    assert form_of(UI) == FORM
    assert form_of("rules/retail/audit.yaml") is None
    assert form_of("forms/retail/../../pyproject.json") is None


def test_a_forms_text_is_read_into_its_layout_and_sample_data(studio: Studio) -> None:
    preview = form_preview(studio, "retail", FORM, with_examples())
    assert preview is not None and preview.layout is not None and preview.problems == ()
    assert (preview.folder, preview.name, preview.path) == ("retail", "payment", FORM)
    labels = {name: field.label for name, field in preview.layout.fields.items()}
    assert labels["amount"].zh == "支付金额（元）" and labels["amount"].en == "Amount paid (CNY)"
    assert labels["note"].zh == "备注"  # only in the draft: the layout beside it is the published one
    assert preview.layout.fields["method"].widget == "radio"  # from the published UI file
    assert preview.sample == {
        "transaction_ref": "4200001234567",
        "method": "alipay",
        "amount": 128.5,
        "authorize_only": False,
        "note": "示例文字",  # no example, no default: made from its schema, and named so
    }
    assert preview.made_up == ("authorize_only", "note")


def test_a_form_without_examples_is_shown_with_sample_data_made_from_its_schema(studio: Studio) -> None:
    """Each value made within the field's limits, and valid for the whole form as a clerk would send it."""
    form = json.loads(FORM_TEXT)
    form["properties"]["mobile"] = {"type": "string", "format": "mobile-cn"}
    form["properties"]["code"] = {"type": "string", "pattern": "^[A-Z]{2}\\d{8,16}$"}
    form["properties"]["count"] = {"type": "integer", "minimum": 3, "maximum": 9, "multipleOf": 2}
    form["properties"]["short"] = {"type": "string", "maxLength": 2}
    form["properties"]["id_number"] = {"type": "string", "format": "resident-id-cn"}
    form["properties"]["look"] = {"type": "string", "pattern": "^(?=x)x$"}  # a look-ahead: left empty
    preview = form_preview(studio, "retail", FORM, json.dumps(form), lang="en")
    assert preview is not None and preview.layout is not None
    sample = preview.sample
    assert sample["method"] == "card"  # the first of its enum
    assert sample["amount"] == 100 and sample["transaction_ref"] == "Sample text"  # minLength 6 reached
    assert sample["mobile"] == "13800138000" and sample["count"] == 4 and sample["short"] == "Sa"
    assert re.fullmatch(r"[A-Z]{2}\d{8,16}", sample["code"])
    assert "look" not in sample and "look" not in preview.made_up
    assert set(preview.made_up) == set(sample)
    errors = list(Draft202012Validator(form, format_checker=FORMAT_CHECKER).iter_errors(sample))
    assert errors == []
    assert form_preview(studio, "retail", FORM, json.dumps(form), lang="zh").sample["transaction_ref"] == (  # type: ignore[union-attr]
        "示例文字示例文字"
    )


def test_a_layouts_text_is_read_with_the_form_as_a_publish_reads_it(studio: Studio) -> None:
    saved = studio.save("retail", FORM, "{", 0, MA)  # the form's draft: published with the layout
    assert not isinstance(saved, SaveConflict)
    relabelled = UI_TEXT.replace(
        '"label": {"zh": "支付信息", "en": "Payment"}', '"label": {"zh": "付款", "en": "Paying"}'
    )
    assert relabelled != UI_TEXT
    broken = form_preview(studio, "retail", UI, relabelled)
    assert broken is not None and broken.layout is None
    assert [p.code for p in broken.problems] == ["bad-form"] and FORM in broken.problems[0].text
    studio.save("retail", FORM, studio.published_text(FORM), 1, MA)  # the draft put right
    preview = form_preview(studio, "retail", UI, relabelled)
    assert preview is not None and preview.layout is not None
    (group,) = preview.layout.groups
    assert (group.label.zh, group.label.en) == ("付款", "Paying")
    # the published form has no examples nor defaults: each field gets a value made from its schema
    assert preview.sample == {
        "method": "card",
        "amount": 100,
        "transaction_ref": "示例文字示例文字",
        "authorize_only": False,
    }


def test_a_text_with_errors_is_not_read(studio: Studio) -> None:
    broken = form_preview(studio, "retail", FORM, '{"type": "object", "properties": {"a": ')
    assert broken is not None and broken.layout is None
    assert [p.code for p in broken.problems] == ["json-syntax"]

    unknown_field = UI_TEXT.replace(
        '"fields": ["method", "amount", "transaction_ref", "authorize_only"]', '"fields": ["method", "amout"]'
    )
    refused = form_preview(studio, "retail", UI, unknown_field)
    assert refused is not None and refused.layout is None
    assert refused.problems and all(p.severity == "error" for p in refused.problems)
    assert any("amout" in p.message for p in refused.problems)


def test_only_a_form_of_the_department_is_previewed(studio: Studio) -> None:
    assert form_preview(studio, "retail", "rules/retail/audit.yaml", "") is None
    assert form_preview(studio, "retail", "forms/wholesale/order.json", "{}") is None
    assert form_preview(studio, "wholesale", FORM, FORM_TEXT) is None
