"""The UI-schema model: layouts from UI files and defaults, conditions, computed fields."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import DefinitionError
from engine.forms import FormValidator
from engine.forms.fields import Text, field_path, fields_of, resolve, split_path, title
from engine.forms.formats import is_money
from engine.forms.ui import check_ui, default_layout, load_layout, ui_path_for

REPO = Path(__file__).resolve().parents[3]
INTAKE = json.loads((REPO / "forms/retail/intake-web.json").read_text("utf-8"))
INTAKE_UI = json.loads((REPO / "forms/retail/intake-web.ui.json").read_text("utf-8"))
LAYOUT = load_layout(INTAKE, INTAKE_UI)
CJK = re.compile("[\u4e00-\u9fff]")
SOURCES = {"products", "warehouses", "carriers", "regions", "customers", "accounts"}


def order(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "customer": {"name": "张伟", "mobile": "13812345678"},
        "address": {
            "province": "上海市",
            "city": "上海市",
            "district": "浦东新区",
            "detail": "世纪大道1198号",
        },
        "lines": [
            {"sku": "XM-BAND8", "name": "小米手环8", "qty": 3, "unit_price": 19.9, "amount": 1},
            {"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 1, "unit_price": 0.1},
        ],
        "shipping_fee": 10,
        "discount": 5,
        "total": 0,
    }
    data.update(changes)
    return data


def test_field_paths() -> None:
    assert split_path("lines[].sku") == ["lines", "[]", "sku"]
    assert split_path("lines[]") is None and split_path("a..b") is None
    assert field_path(["lines", 2, "qty"]) == "lines[].qty"
    assert resolve(INTAKE, "lines[].unit_price")["title"] == "Unit price (CNY)"
    assert resolve(INTAKE, "invoice.tax_id") is not None
    assert resolve(INTAKE, "lines.sku") is None
    names = [name for name, _ in fields_of(INTAKE)]
    assert names.index("customer") < names.index("customer.mobile") < names.index("address")


def test_fields_through_refs_and_conditional_branches() -> None:
    schema = {
        "$defs": {
            "money": {"type": "number", "title": "Amount"},
            "party": {"properties": {"tax": {"$ref": "#/$defs/money"}}},
        },
        "properties": {"seller": {"$ref": "#/$defs/party"}},
        "then": {"properties": {"extra": {"type": "string"}}},
    }
    assert title(schema, resolve(schema, "seller.tax")) == Text("Amount", "Amount")
    assert resolve(schema, "extra") == {"type": "string"}


def test_the_retail_intake_layout() -> None:
    assert [g.name for g in LAYOUT.groups] == [
        "customer",
        "address",
        "lines",
        "totals",
        "invoice_choice",
        "invoice",
        "note",
    ]
    mobile = LAYOUT.fields["customer.mobile"]
    assert mobile.label == Text("收货人手机号", "Recipient's mobile number") and mobile.required
    assert mobile.widget == "text" and mobile.placeholder == Text("11位手机号", "11 digits")
    assert LAYOUT.fields["address.detail"].help == Text(
        "街道、小区、楼栋及门牌号", "Street, building, unit and room."
    )
    level = LAYOUT.fields["customer.member_level"]
    assert level.widget == "radio" and [o.label.zh for o in level.options] == [
        "普通会员",
        "银卡会员",
        "金卡会员",
    ]
    assert (
        LAYOUT.fields["lines[].sku"].source is not None
        and LAYOUT.fields["lines[].sku"].source.source == "products"
    )
    assert dict(LAYOUT.fields["address.province"].source.params) == {"names": "full"}  # type: ignore[union-attr]
    assert LAYOUT.fields["total"].readonly and LAYOUT.fields["total"].widget == "money"
    assert LAYOUT.fields["invoice_title"].hidden
    assert LAYOUT.children("lines")[0] == "lines[].sku"
    assert LAYOUT.computed_order == ("lines[].amount", "total")


def test_computed_fields_are_filled_on_the_server_in_cents() -> None:
    filled = LAYOUT.compute(order())
    assert [line["amount"] for line in filled["lines"]] == [59.7, 0.1]
    assert filled["total"] == 64.8
    assert FormValidator(INTAKE).messages(filled, LAYOUT) == []


def test_a_computed_field_that_cannot_be_evaluated_is_left_for_validation_to_report() -> None:
    data = order(lines=[{"sku": "XM-BAND8", "name": "小米手环8", "unit_price": 2}])
    filled = LAYOUT.compute(data)
    assert "amount" not in filled["lines"][0]
    assert filled["total"] == 5  # sum() passes over the missing amount; validation reports the line
    paths = [e.path for e in FormValidator(INTAKE).messages(filled, LAYOUT)]
    assert "$.lines[0].qty" in paths and "$.lines[0].amount" in paths


def test_the_invoice_group_is_shown_only_when_it_is_wanted_and_its_data_dropped_otherwise() -> None:
    invoice = {"type": "company", "title": "某某科技有限公司", "tax_id": "91310000MA1FL0000X"}
    hidden = order(invoice=invoice)
    assert "invoice" not in LAYOUT.shown_groups(hidden)
    assert "invoice" not in LAYOUT.prepare(hidden)
    assert FormValidator(INTAKE).messages(LAYOUT.prepare(hidden), LAYOUT) == []
    shown = order(needs_invoice=True, invoice=invoice)
    assert "invoice" in LAYOUT.shown_groups(shown)
    assert LAYOUT.prepare(shown)["invoice"] == invoice
    wanted_but_missing = LAYOUT.prepare(order(needs_invoice=True))
    assert [e.path for e in FormValidator(INTAKE).messages(wanted_but_missing, LAYOUT)] == ["$.invoice"]
    assert LAYOUT.prepare(order(needs_invoice=False, invoice=invoice)).get("invoice") is None


def test_the_default_layout_has_one_group_in_schema_order_with_widgets_from_types() -> None:
    schema = json.loads((REPO / "forms/retail/payment.json").read_text("utf-8"))
    layout = default_layout(schema)
    [group] = layout.groups
    assert group.name == "main" and group.fields == tuple(schema["properties"])
    widgets = {name: spec.widget for name, spec in layout.fields.items()}
    assert widgets["method"] == "select"
    assert (
        default_layout(
            {
                "properties": {
                    "on": {"type": "boolean"},
                    "at": {"type": "string", "format": "date-time"},
                    "lines": {"type": "array", "items": {"type": "object"}},
                    "fee": {"type": "number", "format": "money"},
                    "text": {"type": "string", "maxLength": 1000},
                }
            }
        )
        .fields["on"]
        .widget
        == "checkbox"
    )


@pytest.mark.parametrize(
    ("schema", "widget"),
    [
        ({"type": "string", "format": "date-time"}, "datetime"),
        ({"type": "string", "format": "date"}, "date"),
        ({"type": "array", "items": {"type": "object"}}, "rows"),
        ({"type": "number", "format": "money"}, "money"),
        ({"type": "integer"}, "number"),
        ({"type": "string", "maxLength": 1000}, "textarea"),
        ({"type": "object"}, "object"),
        ({"type": "array", "items": {"enum": ["a", "b"]}}, "checkbox"),
    ],
)
def test_default_widgets(schema: dict[str, Any], widget: str) -> None:
    assert default_layout({"properties": {"f": schema}}).fields["f"].widget == widget


def test_load_layout_refuses_a_ui_file_that_does_not_fit_with_every_problem() -> None:
    ui = {
        "schema_version": 1,
        "groups": [{"name": "a", "label": {"zh": "甲", "en": "A"}, "fields": ["totl"]}],
        "fields": {"lines": {"widget": "money"}},
    }
    with pytest.raises(DefinitionError) as caught:
        load_layout(INTAKE, ui, sources=SOURCES)
    assert [p.code for p in caught.value.problems] == ["unknown-field", "widget-type"]
    with pytest.raises(DefinitionError) as caught:
        load_layout(INTAKE, {"schema_version": 2})
    assert caught.value.problems[0].code == "ui-schema"


def test_a_refused_layout_says_each_problem_in_chinese_and_english() -> None:
    ui = {
        "schema_version": 1,
        "groups": [{"name": "a", "label": {"zh": "甲", "en": "A"}, "fields": ["totl"]}],
        "fields": {
            "lines": {"widget": "money"},
            "discount": {"computed": "form.total"},
            "total": {"computed": "form.discount + 1"},
        },
    }
    with pytest.raises(DefinitionError) as caught:
        load_layout(INTAKE, ui, sources=SOURCES)
    assert [(p.message_in("zh"), p.message) for p in caught.value.problems] == [
        (
            "分组 'a' 列出的 'totl' 不是表单的字段；您是否想输入 'total'？",
            "group 'a' lists 'totl', which is not a field of the form; did you mean 'total'?",
        ),
        (
            "控件 'money' 显示的是数字，但该字段是列表",
            "widget 'money' shows a number, but the field is array",
        ),
        (
            "计算字段相互读取，形成循环：discount -> total -> discount",
            "computed fields read each other in a cycle: discount -> total -> discount",
        ),
    ]
    with pytest.raises(DefinitionError) as caught:
        load_layout(INTAKE, {"schema_version": 2, "groups": "x"})
    assert [(p.message_in("zh"), p.message) for p in caught.value.problems] == [
        ("此处的值应为 1", "1 was expected"),
        ("'x' 的类型不对：应为列表", "'x' is not of type 'array'"),
    ]


@pytest.mark.parametrize(
    "ui",
    [
        {"groups": [{"name": "g", "fields": ["lines[].qty"], "when": {"lines[].qty": {"const": 1}}}]},
        {"groups": [{"name": "g", "fields": ["total"]}, {"name": "g", "fields": ["total"]}]},
        {"groups": [{"name": "g", "fields": ["total"], "when": {"total": {"type": "numbr"}}}]},
        {"groups": [{"name": "g", "fields": ["total"], "when": {"total": {"minimum": "x"}}}]},
        {"fields": {"total": {"options": {"source": "nowhere"}}}},
        {"fields": {"total": {"widget": "date"}}},
        {"fields": {"customer.name": {"widget": "select"}}},
        {"fields": {"total": {"computed": "line.qty"}}},
        {"fields": {"total": {"computed": "form.nothing"}}},
        {"fields": {"total": {"computed": "form.total +"}}},
        {"fields": {"total": {"messages": {"minimun": {"zh": "太小", "en": "Too small"}}}}},
        {"prefill": {"totl": "order.total"}},
        {"prefill": {"lines[].qty": "order.qty"}},
        {"prefill": {"total": "order.total +"}},
        {"prefill": {"total": "form.total"}},
        {"fields": {"total": {"computed": "form.discount"}}, "prefill": {"total": "order.total"}},
    ],
)
def test_every_finding_of_a_ui_file_is_worded_in_chinese_too(ui: dict[str, Any]) -> None:
    findings = check_ui(ui, INTAKE, SOURCES)
    assert findings
    for finding in findings:
        assert CJK.search(finding.message.zh) and finding.message.zh != finding.message.en, finding
        if finding.hint is not None and finding.code != "bad-computed":
            assert CJK.search(finding.hint.zh) and finding.hint.zh != finding.hint.en, finding
    assert check_ui({"fields": {"total": {"computed": "line.qty"}}}, INTAKE)[0].hint == Text(
        "请用 form.<字段> 读取表单的字段", "read the form's fields as form.<field>"
    )


def test_every_shipped_ui_file_fits_its_form() -> None:
    ui_files = sorted((REPO / "forms").rglob("*.ui.json"))
    assert {p.parent.name for p in ui_files} == {"retail", "wholesale", "after-sales"}
    for path in ui_files:
        schema_path = path.with_name(path.name.replace(".ui.json", ".json"))
        assert ui_path_for(schema_path) == path
        schema = json.loads(schema_path.read_text("utf-8"))
        ui = json.loads(path.read_text("utf-8"))
        assert check_ui(ui, schema, SOURCES) == []
        load_layout(schema, ui, sources=SOURCES)


FIXTURE_SCHEMA = json.loads((REPO / "tests/fixtures/form-ui/schema.json").read_text("utf-8"))
FIXTURE_UI = json.loads((REPO / "tests/fixtures/form-ui/valid/full.ui.json").read_text("utf-8"))


def test_money_behind_a_ref_is_rounded_to_the_cent() -> None:
    layout = load_layout(FIXTURE_SCHEMA, FIXTURE_UI)
    assert layout.fields["total"].format == "money"
    filled = layout.compute({"lines": [{"qty": 3, "unit_price": 0.1}], "discount": 0.05})
    assert filled == {
        "lines": [{"qty": 3, "unit_price": 0.1, "amount": 0.3}],
        "discount": 0.05,
        "total": 0.25,
    }


def test_true_and_false_conditions() -> None:
    schema = {"properties": {"a": {"type": "boolean"}, "b": {"type": "string"}, "c": {"type": "string"}}}
    label = {"zh": "组", "en": "Group"}
    ui = {
        "schema_version": 1,
        "groups": [
            {"name": "always", "label": label, "fields": ["b"], "when": {"a": True}},
            {"name": "never", "label": label, "fields": ["c"], "when": {"a": False}},
        ],
    }
    layout = load_layout(schema, ui)
    assert layout.shown_groups({"b": "x", "c": "y"}) == ("always", "more")
    assert layout.prepare({"b": "x", "c": "y"}) == {"b": "x"}


PRICES = st.integers(0, 10**7).map(lambda cents: cents / 100)
LINES = st.lists(
    st.fixed_dictionaries({"qty": st.integers(1, 9999), "unit_price": PRICES}), min_size=1, max_size=8
)


@settings(max_examples=200)
@given(LINES, PRICES, PRICES)
def test_computed_amounts_and_totals_are_always_valid_money(lines: list[Any], fee: float, off: float) -> None:
    data = order(
        lines=[{"sku": "XM-BAND8", "name": "小米手环8", **line} for line in lines],
        shipping_fee=fee,
        discount=off,
    )
    filled = LAYOUT.compute(data)
    assert all(is_money(line["amount"]) for line in filled["lines"]) and is_money(filled["total"])
    cents = (
        sum(round(line["qty"] * line["unit_price"] * 100) for line in lines)
        + round(fee * 100)
        - round(off * 100)
    )
    assert round(filled["total"] * 100) == cents
    errors = FormValidator(INTAKE).messages(filled, LAYOUT)
    assert [e.path for e in errors] == (["$.total"] if cents < 0 else [])


def test_prepare_leaves_what_was_submitted_as_it_was_and_shares_no_record_or_list() -> None:
    invoice = {"type": "company", "title": "某某科技有限公司", "tax_id": "91310000MA1FL0000X"}
    for submitted in (order(invoice=invoice), order(needs_invoice=True, invoice=invoice)):
        before = json.dumps(submitted, ensure_ascii=False)
        prepared = LAYOUT.prepare(submitted)
        assert json.dumps(submitted, ensure_ascii=False) == before
        assert prepared["total"] != submitted["total"]
        assert prepared["lines"] is not submitted["lines"]
        assert all(a is not b for a, b in zip(prepared["lines"], submitted["lines"], strict=True))
        assert prepared["customer"] is not submitted["customer"]
        if "invoice" in prepared:
            assert prepared["invoice"] is not submitted["invoice"]


def test_a_computed_field_that_cannot_be_computed_is_removed_whatever_was_sent() -> None:
    line = {"sku": "XM-BAND8", "name": "小米手环8", "qty": 1, "unit_price": 2**1024 - 1}
    huge = order(lines=[line], shipping_fee=10.5, total=1)
    prepared = LAYOUT.prepare(huge)
    assert "total" not in prepared  # 2**1024 - 1 + 10.5 is no float: no total rather than the client's
    errors = [(e.path, e.keyword) for e in FormValidator(INTAKE).messages(prepared, LAYOUT)]
    assert ("$.lines[0].unit_price", "format") in errors  # money stops at ten trillion yuan
    # the price says what to fix; the total is not asked for ("fill in the unit price first": it is)
    assert ("$.total", "required") not in errors


def test_a_line_amount_past_the_numbers_of_the_condition_language_is_removed() -> None:
    line = {"sku": "XM-BAND8", "name": "小米手环8", "qty": 10**200, "unit_price": 10**200, "amount": 1}
    prepared = LAYOUT.prepare(order(lines=[line], shipping_fee=10.5))
    assert "amount" not in prepared["lines"][0]  # 10**400 is beyond ±1.8e308: not computed, not kept
    errors = [(e.path, e.keyword) for e in FormValidator(INTAKE).messages(prepared, LAYOUT)]
    assert ("$.lines[0].qty", "maximum") in errors and ("$.lines[0].unit_price", "format") in errors
    assert ("$.lines[0].amount", "required") not in errors  # refused for its quantity and price instead


def conditional_layout(**when: Any) -> Any:
    ui = json.loads(json.dumps(INTAKE_UI))
    for group in ui["groups"]:
        if group["name"] in when:
            group["when"] = when[group["name"]]
    return load_layout(INTAKE, ui)


def test_groups_are_judged_on_the_computed_data_not_on_what_was_sent() -> None:
    layout = conditional_layout(note={"total": {"minimum": 1000}})
    sent = order(note="请周末送货", total=99999)  # the lines come to 59.8: the page hides the note
    prepared = layout.prepare(sent)
    assert "note" not in prepared and prepared["total"] == 64.8
    large = order(note="请周末送货", lines=[{"sku": "A", "name": "冰箱", "qty": 1, "unit_price": 3999}])
    assert layout.prepare(large)["note"] == "请周末送货"


def test_a_condition_on_a_field_of_a_hidden_group_reads_it_as_removed() -> None:
    # the note is shown only with an invoice title, and the invoice only when it is wanted
    layout = conditional_layout(note={"invoice": {"type": "object", "required": ["title"]}})
    invoice = {"type": "company", "title": "某某科技有限公司", "tax_id": "91310000MA1FL0000X"}
    not_wanted = layout.prepare(order(needs_invoice=False, invoice=invoice, note="开票后再发货"))
    assert "invoice" not in not_wanted and "note" not in not_wanted
    wanted = layout.prepare(order(needs_invoice=True, invoice=invoice, note="开票后再发货"))
    assert wanted["invoice"] == invoice and wanted["note"] == "开票后再发货"


# -- defaults and fixed values -------------------------------------------------------------------

QUOTE = {
    "type": "object",
    "properties": {
        "currency": {
            "type": "string",
            "const": "CNY",
            "x-enum-titles": {"CNY": {"zh": "人民币", "en": "Renminbi"}},
        },
        "channel": {"type": "string", "enum": ["phone", "web"], "default": "phone"},
        "urgent": {"type": "boolean", "default": False},
        "terms": {"$ref": "#/$defs/terms"},
        "maybe": {"type": "string", "anyOf": [{"const": "x"}, {"const": "y"}]},
        "lines": {
            "type": "array",
            "minItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "sku": {"type": "string"},
                    "qty": {"type": "integer", "default": 1},
                    "unit": {"type": "string", "const": "pcs"},
                },
            },
        },
        "needs_delivery": {"type": "boolean"},
        "delivery": {
            "type": "object",
            "properties": {"slot": {"type": "string", "default": "pm"}, "fee": {"const": 0}},
        },
    },
    "$defs": {"terms": {"allOf": [{"type": "string"}, {"const": "net-30"}]}},
}
QUOTE_UI = {
    "schema_version": 1,
    "groups": [
        {
            "name": "main",
            "label": {"zh": "报价", "en": "Quote"},
            "fields": ["currency", "channel", "urgent", "terms"],
        },
        {
            "name": "more",
            "label": {"zh": "其他", "en": "More"},
            "fields": ["maybe", "lines", "needs_delivery"],
        },
        {
            "name": "delivery",
            "label": {"zh": "配送", "en": "Delivery"},
            "fields": ["delivery"],
            "when": {"needs_delivery": {"const": True}},
        },
    ],
}


def test_a_new_page_holds_the_defaults_and_fixed_values_and_its_first_rows_theirs() -> None:
    layout = load_layout(QUOTE, QUOTE_UI)
    item = {"qty": 1, "unit": "pcs"}
    assert layout.blank() == {
        "currency": "CNY",
        "channel": "phone",
        "urgent": False,
        "terms": "net-30",  # behind a $ref, in an allOf: it always applies
        "lines": [item, item],  # minItems rows
        "delivery": {"slot": "pm", "fee": 0},
    }
    assert "maybe" not in layout.blank()  # a const in an anyOf holds only sometimes
    assert layout.blank_item("lines") == item
    blank = layout.blank()
    blank["lines"][0]["qty"] = 5
    assert blank["lines"][1]["qty"] == 1  # each row its own
    # a group that appears: only its fields, what is there kept
    assert layout.blank(["delivery"], {"needs_delivery": True, "delivery": {"slot": "am"}}) == {
        "needs_delivery": True,
        "delivery": {"slot": "am", "fee": 0},
    }
    # fixed fields are read-only and shown as their one choice; a default is the clerk's to change
    fields = layout.fields
    assert (fields["currency"].readonly, fields["currency"].widget) == (True, "select")
    assert [o.label for o in fields["currency"].options] == [Text("人民币", "Renminbi")]
    assert (fields["channel"].readonly, fields["lines[].qty"].readonly, fields["lines[].unit"].readonly) == (
        False,
        False,
        True,
    )
    assert [
        o.label for o in default_layout({"properties": {"ok": {"enum": [True, False]}}}).fields["ok"].options
    ] == [
        Text("是", "yes"),
        Text("否", "no"),
    ]


def test_prepare_gives_a_fixed_field_its_value_where_it_was_not_sent_and_never_a_default() -> None:
    layout = load_layout(QUOTE, QUOTE_UI)
    assert layout.prepares
    sent = {"lines": [{"sku": "A"}, {"sku": "B", "unit": "box"}], "channel": "web"}
    assert layout.prepare(sent) == {
        "lines": [{"sku": "A", "unit": "pcs"}, {"sku": "B", "unit": "box"}],  # a wrong one is for validation
        "channel": "web",
        "currency": "CNY",
        "terms": "net-30",
    }
    # inside a hidden group a fixed field stays out; inside a shown one it is given where its object is
    assert "delivery" not in layout.prepare({"needs_delivery": False, "delivery": {"slot": "am"}})
    shown = layout.prepare({"needs_delivery": True, "delivery": {"slot": "am"}})
    assert shown["delivery"] == {"slot": "am", "fee": 0}
    assert "delivery" not in layout.prepare({"needs_delivery": True})


# --------------------------------------------------------------------------------------------------
# Sample data: what the studio's preview shows a form with


SAMPLED: dict[str, Any] = {
    "type": "object",
    "$defs": {"money": {"type": "number", "format": "money", "examples": [99.5]}},
    "properties": {
        "customer": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "examples": ["王芳", "李强"]},
                "mobile": {"type": "string", "default": "13800000000"},
            },
        },
        "channel": {"const": "web"},
        "shipping_fee": {"$ref": "#/$defs/money"},
        "lines": {
            "type": "array",
            "minItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "sku": {"type": "string", "examples": ["XM-BAND8"]},
                    "qty": {"type": "integer", "default": 1},
                },
            },
        },
        "gifts": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}},
        "note": {"type": "string"},
    },
}


def test_a_sample_takes_each_fields_first_example_then_the_defaults() -> None:
    sample = default_layout(SAMPLED).sample(SAMPLED)
    assert sample == {
        "customer": {"name": "王芳", "mobile": "13800000000"},
        "channel": "web",
        "shipping_fee": 99.5,  # through $ref
        "lines": [{"sku": "XM-BAND8", "qty": 1}, {"sku": "XM-BAND8", "qty": 1}],  # minItems rows
    }


def test_a_sample_starts_from_the_forms_own_example_and_keeps_what_it_gives() -> None:
    schema = {
        **SAMPLED,
        "examples": [{"customer": {"name": "赵敏"}, "lines": [{"sku": "HR-BCD470"}], "note": "上午送达"}],
    }
    sample = default_layout(schema).sample(schema)
    assert sample["customer"] == {"name": "赵敏", "mobile": "13800000000"}
    assert sample["lines"] == [{"sku": "HR-BCD470"}] and sample["note"] == "上午送达"
    assert sample["shipping_fee"] == 99.5


def test_without_examples_a_sample_is_a_new_page() -> None:
    assert LAYOUT.sample(INTAKE) == LAYOUT.blank()
    not_a_record = {**SAMPLED, "examples": ["text"]}
    assert default_layout(not_a_record).sample(not_a_record) == default_layout(SAMPLED).sample(SAMPLED)


def test_a_message_under_no_keyword_a_check_fails_on_is_a_warning_at_its_key() -> None:
    text = {"zh": "太小", "en": "Too small"}
    messages = {"minimun": text, "required": text, "frobnicate": text}
    findings = check_ui({"fields": {"total": {"messages": messages}}}, INTAKE, SOURCES)
    assert [(f.json_path, f.code, f.key, f.severity, f.suggestion) for f in findings] == [
        ("$.fields.total.messages.minimun", "unknown-message-keyword", True, "warning", "minimum"),
        ("$.fields.total.messages.frobnicate", "unknown-message-keyword", True, "warning", None),
    ]
    assert findings[0].message.en == (
        "'total' has a message for 'minimun', which is no keyword a check fails on: it is never shown"
    )


PAYMENT = json.loads((REPO / "forms/retail/payment.json").read_text("utf-8"))


def test_a_prefill_names_a_field_of_the_form_outside_arrays_and_reads_the_order_alone() -> None:
    """Each problem of a ``prefill`` at its place (``$.prefill.<field>``), in both languages."""
    ui = {
        "schema_version": 1,
        "fields": {"total": {"computed": "form.shipping_fee"}},
        "prefill": {
            "totl": "order.total",
            "lines[].qty": "1",
            "total": "order.total",
            "discount": "order.discount +",
            "shipping_fee": "data.fee",
        },
    }
    findings = check_ui(ui, INTAKE, SOURCES)
    assert [(f.code, f.json_path) for f in findings] == [
        ("unknown-field", "$.prefill.totl"),
        ("prefill-in-rows", '$.prefill["lines[].qty"]'),
        ("prefill-computed", "$.prefill.total"),
        ("bad-prefill", "$.prefill.discount"),
        ("bad-prefill", "$.prefill.shipping_fee"),
    ]
    assert findings[0].message == Text(
        "预填的 'totl' 不是表单的字段", "prefill names 'totl', which is not a field of the form"
    )
    assert findings[0].suggestion == "total"
    assert findings[3].message == Text(
        "字段 'discount' 的预填式 'order.discount +' 第 17 列：语法错误（表达式没写完）",
        "in the prefill of 'discount', 'order.discount +', column 17: "
        "invalid syntax (the expression ends too early)",
    )
    assert "'data'" in findings[4].message.en and CJK.search(findings[4].message.zh)
    with pytest.raises(DefinitionError) as caught:
        load_layout(INTAKE, ui, sources=SOURCES)
    assert [p.code for p in caught.value.problems][:1] == ["unknown-field"]


def test_a_form_is_filled_with_what_the_order_knows_and_never_with_a_masked_value() -> None:
    ui = json.loads((REPO / "forms/retail/payment.ui.json").read_text("utf-8"))
    layout = load_layout(PAYMENT, ui)
    assert layout.prefilled({"total": 5128.0}) == {"amount": 5128.0}  # nothing paid yet
    assert layout.prefilled({"total": 5128.0, "paid_amount": 1000}) == {"amount": 4128.0}
    assert layout.prefilled({"total": "much"}) == {}  # cannot compute: left empty, never an error
    assert layout.prefilled({}) == {}
    # an order field some roles see masked is never copied into a form
    ui = {"schema_version": 1, "prefill": {"transaction_ref": "order.customer.mobile"}}
    layout = load_layout(PAYMENT, ui)
    order = {"customer": {"mobile": "13812345678"}}
    assert layout.prefilled(order) == {"transaction_ref": "13812345678"}
    assert layout.prefilled(order, masked=["customer.mobile"]) == {}
    assert layout.prefilled(order, masked=["customer"]) == {}
    ui = {"schema_version": 1, "prefill": {"customer.mobile": "order.customer.mobile"}}
    assert load_layout(INTAKE, ui).prefilled(order) == {}  # the field itself holds a mobile number
    # a field inside an object is filled at its place
    ui = {"schema_version": 1, "prefill": {"customer.name": "order.customer.name"}}
    assert load_layout(INTAKE, ui).prefilled({"customer": {"name": "王芳"}}) == {"customer": {"name": "王芳"}}


def test_a_form_corrects_the_fields_it_starts_from_the_orders_own_and_what_it_computes_of_them() -> None:
    """The wholesale correction starts from the order's lines, freight and discount (``order.lines``…):
    those, and the total computed from them alone, are what it corrects; a field filled from something
    else (the amount still due, the lines that may come back, ``now()``) is the step's own input."""
    correction = json.loads((REPO / "forms/wholesale/correction.json").read_text("utf-8"))
    ui = json.loads((REPO / "forms/wholesale/correction.ui.json").read_text("utf-8"))
    assert load_layout(correction, ui).corrected() == {
        "lines",
        "payment_method",
        "shipping_fee",
        "discount",
        "total",  # sum(pluck(form.lines, 'amount')) + form.shipping_fee - form.discount
        "delivery_date",
        "purchase_order_no",
        "note",
    }
    # the total reads the freight, which the form no longer starts from the order's: not corrected
    ui = {**ui, "prefill": {k: v for k, v in ui["prefill"].items() if k != "shipping_fee"}}
    assert "total" not in load_layout(correction, ui).corrected()
    payment = json.loads((REPO / "forms/retail/payment.ui.json").read_text("utf-8"))
    assert load_layout(PAYMENT, payment).corrected() == frozenset()  # the amount due: not the order's
    returned = json.loads((REPO / "forms/retail/return-request.json").read_text("utf-8"))
    ui = json.loads((REPO / "forms/retail/return-request.ui.json").read_text("utf-8"))
    assert load_layout(returned, ui).corrected() == frozenset()  # order.returnable: another field
    # the field of the same name alone: an expression over it, or a field inside another, is not
    for prefill in ("order.amount + 0", "order.payment.amount", "order", "sum([order.amount])"):
        layout = load_layout(PAYMENT, {"schema_version": 1, "prefill": {"amount": prefill}})
        assert layout.corrected() == frozenset(), prefill
    assert load_layout(PAYMENT, {"schema_version": 1, "prefill": {"amount": "order.amount"}}).corrected() == {
        "amount"
    }


def test_a_prefill_of_now_is_the_moment_given_to_the_minute_and_nothing_without_one() -> None:
    delivery = json.loads((REPO / "forms/retail/delivery.json").read_text("utf-8"))
    layout = load_layout(delivery, {"schema_version": 1, "prefill": {"delivered_at": "now()"}})
    moment = datetime(2026, 3, 2, 9, 41, 27, 5, tzinfo=UTC)
    filled = layout.prefilled({}, now=moment)
    assert filled == {"delivered_at": moment.replace(second=0, microsecond=0).isoformat()}
    assert FormValidator(delivery).messages(filled, layout) == []  # RFC 3339, as the form takes it
    assert layout.prefilled({}) == {}  # no moment given: left empty, never an error
