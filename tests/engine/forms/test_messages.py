"""Form errors for people: each on its field, in zh and en from the field's label, never library text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.common.words import WORDS
from engine.forms import FormValidator
from engine.forms.ui import FormLayout, load_layout

REPO = Path(__file__).resolve().parents[3]
INTAKE = json.loads((REPO / "forms/retail/intake-web.json").read_text("utf-8"))
INTAKE_UI = json.loads((REPO / "forms/retail/intake-web.ui.json").read_text("utf-8"))
VALIDATOR = FormValidator(INTAKE)
LAYOUT = load_layout(INTAKE, INTAKE_UI)

RECIPIENT = {
    "type": "object",
    "required": ["recipient", "lines"],
    "properties": {
        "recipient": {
            "title": "Recipient",
            "x-title-zh": "收货人",
            "type": "object",
            "required": ["name", "mobile"],
            "properties": {
                "name": {"title": "Name", "x-title-zh": "姓名", "type": "string", "minLength": 1},
                "mobile": {
                    "title": "Mobile number",
                    "x-title-zh": "手机号",
                    "type": "string",
                    "format": "mobile-cn",
                },
                "id_number": {
                    "title": "Resident ID number",
                    "x-title-zh": "身份证号",
                    "type": "string",
                    "format": "resident-id-cn",
                },
            },
        },
        "lines": {
            "title": "Order lines",
            "x-title-zh": "商品明细",
            "type": "array",
            "minItems": 1,
            "maxItems": 2,
            "items": {
                "type": "object",
                "required": ["qty"],
                "properties": {
                    "qty": {"title": "Quantity", "x-title-zh": "数量", "type": "integer", "minimum": 1}
                },
            },
        },
        "channel": {
            "title": "Channel",
            "x-title-zh": "渠道",
            "enum": ["web", "app"],
            "x-enum-titles": {"web": {"zh": "网站", "en": "Website"}, "app": {"zh": "移动应用", "en": "App"}},
        },
        "fee": {"title": "Fee (CNY)", "x-title-zh": "费用（元）", "type": "number", "format": "money"},
        "postcode": {
            "title": "Postcode",
            "x-title-zh": "邮政编码",
            "type": "string",
            "format": "postcode-cn",
        },
        "note": {"title": "Note", "x-title-zh": "备注", "type": "string", "maxLength": 5},
    },
}


def said(data: Any, schema: Any = RECIPIENT, layout: FormLayout | None = None) -> list[tuple[str, str, str]]:
    return [(e.path, e.zh, e.en) for e in FormValidator(schema).messages(data, layout)]


def test_a_missing_required_field_asks_for_it_by_its_label() -> None:
    assert said({"recipient": {"name": "张伟"}, "lines": [{"qty": 1}]}) == [
        ("$.recipient.mobile", "请填写收货人手机号", "Recipient's mobile number: enter a value"),
    ]


def test_a_bad_format_says_what_it_wants() -> None:
    data = {
        "recipient": {"name": "张伟", "mobile": "12345", "id_number": "110105194912310021"},
        "lines": [{"qty": 1}],
        "postcode": "2001",
        "fee": 1.005,
    }
    assert said(data) == [
        (
            "$.recipient.mobile",
            "收货人手机号格式不正确：应为11位手机号",
            "Recipient's mobile number: enter an 11-digit mobile number starting with 1",
        ),
        (
            "$.recipient.id_number",
            "收货人身份证号格式不正确：应为18位身份证号（出生日期与校验位正确）",
            "Recipient's resident ID number: enter an 18-character resident ID number",
        ),
        (
            "$.fee",
            "费用（元）格式不正确：应为金额，最多两位小数",
            "Fee (CNY): enter an amount with at most two decimals",
        ),
        (
            "$.postcode",
            "邮政编码格式不正确：应为6位邮政编码",
            "Postcode: enter a 6-digit postcode",
        ),
    ]


@pytest.mark.parametrize("fee", [int("9" * 400), -int("9" * 400), 10**13, 1e20, 1e300])
def test_an_amount_too_large_is_out_of_range_not_a_matter_of_decimals(fee: Any) -> None:
    data = {"recipient": {"name": "张伟", "mobile": "13812345678"}, "lines": [{"qty": 1}], "fee": fee}
    assert ("$.fee", "format") in [(e.path, e.keyword) for e in FormValidator(RECIPIENT).messages(data)]
    assert (
        "$.fee",
        "费用（元）超出范围：金额须小于 10,000,000,000,000 元（十万亿元）",
        "Fee (CNY): out of range; an amount must be below 10,000,000,000,000 (ten trillion) CNY",
    ) in said(data)
    assert all("two decimals" not in en and "两位小数" not in zh for _path, zh, en in said(data))
    fee = [e for e in FormValidator(RECIPIENT).messages(data) if e.path == "$.fee"]
    assert all(len(e.en) < 120 for e in fee)  # the form's words, without a 400-digit echo


def test_order_lines_name_their_line_and_count() -> None:
    assert said({"recipient": {"name": "张伟", "mobile": "13812345678"}, "lines": []}) == [
        ("$.lines", "请至少填写一项商品明细", "Order lines: add at least one entry"),
    ]
    many = {"recipient": {"name": "张伟", "mobile": "13812345678"}, "lines": [{"qty": 1}, {"qty": 0}, {}]}
    assert said(many) == [
        ("$.lines", "商品明细最多2项", "Order lines: at most 2 entries"),
        (
            "$.lines[1].qty",
            "商品明细第2行数量不能小于1",
            "Quantity in line 2 of the order lines: at least 1",
        ),
        ("$.lines[2].qty", "请填写商品明细第3行数量", "Quantity in line 3 of the order lines: enter a value"),
    ]


def test_enum_type_length_and_unknown_fields() -> None:
    data = {
        "recipient": {"name": "", "mobile": 13812345678},
        "lines": [{"qty": 1}],
        "channel": "fax",
        "note": "a long note",
    }
    assert said(data) == [
        ("$.recipient.name", "请填写收货人姓名", "Recipient's name: enter a value"),
        ("$.recipient.mobile", "收货人手机号应为文本", "Recipient's mobile number: must be text"),
        ("$.channel", "渠道只能选择：网站、移动应用", "Channel: choose one of Website, App"),
        ("$.note", "备注最多5个字符", "Note: at most 5 characters"),
    ]
    closed = {**RECIPIENT, "additionalProperties": False}
    assert said(
        {"recipient": {"name": "a", "mobile": "13812345678"}, "lines": [{"qty": 1}], "coupon": 1}, closed
    ) == [("$", "表单包含不接受的字段：coupon", "Form: fields it does not take: coupon")]


def test_a_const_refusal_names_the_value_by_its_title() -> None:
    fixed = {
        "type": "object",
        "properties": {
            "currency": {
                "title": "Currency",
                "x-title-zh": "币种",
                "const": "CNY",
                "x-enum-titles": {"CNY": {"zh": "人民币", "en": "Renminbi"}},
            },
            # the title beside the field, the const in a branch that always applies
            "method": {
                "title": "Payment method",
                "x-title-zh": "付款方式",
                "x-enum-titles": {"cod": {"zh": "货到付款", "en": "Cash on delivery"}},
                "allOf": [{"const": "cod"}],
            },
            "agreed": {"title": "Terms agreed", "x-title-zh": "同意条款", "const": True},
            "spam": {"title": "Advertising", "x-title-zh": "接收广告", "const": False},
            "code": {"title": "Code", "x-title-zh": "代码", "const": 7},
        },
    }
    assert said({"currency": "USD", "method": "card", "agreed": False, "spam": True, "code": 8}, fixed) == [
        ("$.currency", "币种只能是人民币", "Currency: must be Renminbi"),
        ("$.method", "付款方式只能是货到付款", "Payment method: must be Cash on delivery"),
        ("$.agreed", "请勾选同意条款", "Terms agreed: tick this box"),
        ("$.spam", "请不要勾选接收广告", "Advertising: leave this box unticked"),
        ("$.code", "代码只能是7", "Code: must be 7"),
    ]


def test_the_ui_schema_label_and_messages_win() -> None:
    layout = load_layout(
        RECIPIENT,
        {
            "schema_version": 1,
            "fields": {
                "recipient.mobile": {
                    "label": {"zh": "联系电话", "en": "Contact phone"},
                    "messages": {"required": {"zh": "{label}必须填写", "en": "We need a {label}"}},
                },
                "lines": {"messages": {"minItems": {"zh": "请添加商品", "en": "Add a product"}}},
            },
        },
    )
    assert said({"recipient": {"name": "张伟"}, "lines": []}, layout=layout) == [
        ("$.recipient.mobile", "联系电话必须填写", "We need a contact phone"),
        ("$.lines", "请添加商品", "Add a product"),
    ]
    assert said({"recipient": {"name": "张伟", "mobile": "1"}, "lines": [{"qty": 1}]}, layout=layout) == [
        (
            "$.recipient.mobile",
            "联系电话格式不正确：应为11位手机号",
            "Contact phone: enter an 11-digit mobile number starting with 1",
        ),
    ]


def test_the_retail_intake_form_speaks_of_the_recipient_and_the_invoice() -> None:
    data = {"customer": {"name": "张伟", "mobile": "1381234567"}, "needs_invoice": True}
    by_path = {e.path: (e.zh, e.en) for e in VALIDATOR.messages(data, LAYOUT)}
    assert by_path["$.customer.mobile"] == (
        "收货人手机号格式不正确：应为11位手机号",
        "Recipient's mobile number: enter 11 digits starting with 1",
    )
    assert by_path["$.invoice"] == ("请填写发票", "Invoice: enter a value")
    assert by_path["$.lines"] == ("请填写商品明细", "Order lines: enter a value")
    data = {
        **data,
        "customer": {"name": "张伟"},
        "lines": [],
        "invoice": {"type": "company", "title": "某公司"},
    }
    by_path = {e.path: (e.zh, e.en) for e in VALIDATOR.messages(data, LAYOUT)}
    assert by_path["$.customer.mobile"] == ("请填写收货人手机号", "Recipient's mobile number: enter a value")
    assert by_path["$.lines"] == ("请至少添加一件商品", "Add at least one product")
    assert by_path["$.invoice.tax_id"] == ("请填写发票纳税人识别号", "Invoice's tax ID: enter a value")


def test_an_invoice_without_needs_invoice_is_refused_on_its_field() -> None:
    data = {"invoice": {"type": "personal", "title": "张伟"}}
    by_path = {e.path: (e.keyword, e.zh, e.en) for e in VALIDATOR.messages(data, LAYOUT)}
    assert by_path["$.invoice"] == ("absent", "此处不应填写发票", "Invoice: leave it empty here")


@pytest.mark.parametrize("keyword", ["required", "format", "minimum", "maxItems", "enum", "type", "pattern"])
def test_every_keyword_has_both_languages_in_the_catalogue(keyword: str) -> None:
    entry = WORDS[f"form.{keyword}"]
    assert entry.zh and entry.en and "{label}" in entry.zh and "{label}" in entry.en


def test_no_message_is_library_text() -> None:
    data = {
        "recipient": {"mobile": "x", "id_number": 5},
        "lines": [{"qty": "1"}] * 3,
        "channel": 1,
        "fee": -1,
        "note": 7,
    }
    for error in FormValidator(RECIPIENT).messages(data):
        for text in (error.zh, error.en):
            assert "is not" not in text or "is not valid" in text
            assert "'" not in text.replace("'s ", "")
            assert "required property" not in text and "does not match" not in text


def test_refusal_carries_field_and_keyword() -> None:
    [error] = FormValidator(RECIPIENT).messages({"recipient": {"name": "a"}, "lines": [{"qty": 1}]})
    refusal = error.refusal("forms/x.json")
    assert (refusal.code, refusal.zh, refusal.en) == (
        "form",
        "请填写收货人手机号",
        "Recipient's mobile number: enter a value",
    )
    assert refusal.details == {
        "path": "$.recipient.mobile",
        "field": "recipient.mobile",
        "keyword": "required",
        "form": "forms/x.json",
    }


def test_a_400_digit_price_on_the_retail_intake_form_is_out_of_range() -> None:
    price = int("9" * 400)
    line = {"sku": "XM-BAND8", "name": "小米手环8", "qty": 1, "unit_price": price, "amount": 239}
    errors = {e.path: e for e in VALIDATOR.messages({"lines": [line]}, LAYOUT)}
    refused = errors["$.lines[0].unit_price"]
    assert "out of range; an amount must be below 10,000,000,000,000 (ten trillion) CNY" in refused.en
    assert "超出范围：金额须小于 10,000,000,000,000 元" in refused.zh
    assert "decimals" not in refused.en


def _shipped(name: str) -> tuple[FormValidator, FormLayout]:
    schema = json.loads((REPO / "forms" / f"{name}.json").read_text("utf-8"))
    ui_file = REPO / "forms" / f"{name}.ui.json"
    ui = json.loads(ui_file.read_text("utf-8")) if ui_file.exists() else None
    return FormValidator(schema), load_layout(schema, ui)


def _by_path(name: str, data: Any, with_layout: bool = True) -> dict[str, tuple[str, str]]:
    validator, layout = _shipped(name)
    return {e.path: (e.zh, e.en) for e in validator.messages(data, layout if with_layout else None)}


def test_english_messages_read_the_same_whatever_the_label() -> None:
    """It said "Enter the delivered at" and "The signed by must have at most 50 characters": a label
    pasted into a sentence made for a noun."""
    assert _by_path("retail/delivery", {"signed_by": "签" * 51}) == {
        "$.delivered_at": ("请填写签收时间", "Delivered at: enter a value"),
        "$.signed_by": ("签收人最多50个字符", "Signed by: at most 50 characters"),
    }
    assert _by_path("retail/delivery", {"delivered_at": "x", "signed_by": ""})["$.signed_by"] == (
        "请填写签收人",
        "Signed by: enter a value",
    )


def test_a_choice_left_empty_is_asked_to_be_chosen() -> None:
    said = _by_path("retail/payment", {"amount": 10, "transaction_ref": "4200000001"})
    assert said == {"$.method": ("请选择支付方式", "Payment method: choose one")}
    without_page = _by_path("retail/payment", {"amount": 10, "transaction_ref": "4200000001"}, False)
    assert without_page == said  # an enum is a choice whether or not a page draws it
    validator, layout = _shipped("retail/payment")
    assert [e.keyword for e in validator.messages({"amount": 10}, layout)] == ["required", "required"]


@pytest.mark.parametrize("key", sorted(k for k in WORDS if k.startswith("form.")))
def test_every_form_message_starts_with_the_label_as_a_sentence_does(key: str) -> None:
    from engine.forms.messages import Label, message

    keyword = key.removeprefix("form.")
    text = message(keyword, Label("签收人", "signed by"), limit=5, expected=WORDS["type.string"])
    if keyword in ("required", "required_choice", "minItems1", "const_true", "const_false", "absent"):
        assert "签收人" in text.zh
    else:
        assert text.zh.startswith("签收人"), text.zh
    assert text.en.startswith("Signed by: "), text.en
    assert "the signed by" not in text.en.lower()


def test_a_picked_date_time_is_asked_for_as_it_is_picked() -> None:
    """The refusal asked for "2026-01-31T09:30:00+08:00" of a field the page draws as a picker, where
    the person picks or types 2026-01-31 09:30 (China time)."""
    data = {"delivered_at": "2026-01-30T25:61", "signed_by": "黄芳"}
    assert _by_path("retail/delivery", data)["$.delivered_at"] == (
        "签收时间格式不正确：应为日期和时间，如 2026-01-31 09:30",
        "Delivered at: enter a date and time like 2026-01-31 09:30",
    )
    stored = _by_path("retail/delivery", data, with_layout=False)["$.delivered_at"]
    assert "2026-01-31T09:30:00+08:00" in stored[0] and "2026-01-31T09:30:00+08:00" in stored[1]
    schema = {
        "type": "object",
        "properties": {
            "slot": {"title": "Time slot", "x-title-zh": "时段", "type": "string", "format": "time"},
            "typed": {"title": "Typed time", "x-title-zh": "时间", "type": "string", "format": "time"},
        },
    }
    layout = load_layout(schema, {"schema_version": 1, "fields": {"typed": {"widget": "text"}}})
    errors = {
        e.path: (e.zh, e.en) for e in FormValidator(schema).messages({"slot": "x", "typed": "y"}, layout)
    }
    assert errors["$.slot"] == ("时段格式不正确：应为时间，如 09:30", "Time slot: enter a time like 09:30")
    assert errors["$.typed"][1] == "Typed time: enter a time like 09:30:00+08:00"  # typed as stored


@pytest.mark.parametrize(
    ("form", "data", "path", "zh", "en"),
    [
        (
            "after-sales/intake-web",
            {"original_order_no": "ro123"},
            "$.original_order_no",
            "原订单号格式不正确：应为原订单页面上的订单号，为数字，如 294",
            "Original order number: enter the number the original order's page shows, in digits, like 294",
        ),
        (
            "wholesale/bank-transfer",
            {"payer_account": "6222-0200"},
            "$.payer_account",
            "付款账号格式不正确：应为12至19位数字",
            "Payer's bank account: enter 12 to 19 digits",
        ),
        (
            "retail/intake-web",
            {"lines": [{"sku": "-tea"}]},
            "$.lines[0].sku",
            "商品明细第1行商品编码格式不正确：应为2至40位大写字母、数字或连字符，不以连字符开头，如 TEA-01",
            "SKU in line 1 of the order lines: enter 2 to 40 capital letters, digits or hyphens, not "
            "starting with a hyphen, like TEA-01",
        ),
    ],
)
def test_a_pattern_refusal_says_what_is_expected(form: str, data: Any, path: str, zh: str, en: str) -> None:
    assert _by_path(form, data)[path] == (zh, en)


def test_every_pattern_of_the_shipped_forms_says_what_it_wants() -> None:
    def patterns(node: Any, where: str) -> list[str]:
        found: list[str] = []
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str) and "x-pattern-hint" not in node:
                found.append(where)
            for key, value in node.items():
                found.extend(patterns(value, f"{where}.{key}"))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                found.extend(patterns(item, f"{where}[{index}]"))
        return found

    forms = sorted((REPO / "forms").rglob("*.json"))
    assert len(forms) > 20
    unhinted = [
        f"{path.relative_to(REPO)}: {where}"
        for path in forms
        if not path.name.endswith(".ui.json")
        for where in patterns(json.loads(path.read_text("utf-8")), "$")
    ]
    assert unhinted == []
