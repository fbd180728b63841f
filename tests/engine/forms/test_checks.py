"""Reading a form's files (engine/forms/checks.py): ``read_form`` reads a form and its layout as
``orderloom validate`` reads them, drafts over the files included, and refuses with every problem."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from engine.dsl.loader import drafts_over_files
from engine.errors import DefinitionError
from engine.forms.checks import check_form_file, check_ui_file, read_form

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


# --- the problems of a form's files, in Chinese and English ---

CJK = re.compile("[\u4e00-\u9fff]")


def _form(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_a_form_that_is_no_json_schema_is_refused_in_both_languages(tmp_path: Path) -> None:
    _, [problem] = check_form_file(_form(tmp_path, "f.json", "[]"), "forms/t/f.json")
    assert (problem.message_in("zh"), problem.message) == (
        "表单必须是一个 JSON 对象（JSON Schema）",
        "a form must be a JSON object (a JSON Schema)",
    )
    _, [problem] = check_form_file(_form(tmp_path, "g.json", '{"type": "strng"}'), "forms/t/g.json")
    assert problem.code == "unknown-type" and problem.json_path == "$.type"
    assert problem.message_in("zh") == (
        "不是有效的 JSON Schema：'strng' 不是 JSON 类型（可用：string、number、integer、boolean、object、"
        "array、null）；您是否想输入 'string'？"
    )
    assert problem.message == (
        "not a valid JSON Schema: 'strng' is not a JSON type (string, number, integer, boolean, object, "
        "array, null); did you mean 'string'?"
    )
    _, [problem] = check_form_file(_form(tmp_path, "i.json", '{"type": {}}'), "forms/t/i.json")
    assert problem.code == "form-schema" and problem.json_path == "$.type"
    assert problem.message == "not a valid JSON Schema: {} is not valid under any of the given schemas"
    _, [problem] = check_form_file(_form(tmp_path, "h.json", '{"minLength": -1}'), "forms/t/h.json")
    assert problem.message_in("zh") == "不是有效的 JSON Schema：-1 小于最小值 0"


def test_a_field_named_as_the_orders_own_is_refused_in_both_languages(tmp_path: Path) -> None:
    form = _form(tmp_path, "f.json", '{"properties": {"state": {"type": "string"}}}')
    _, [problem] = check_form_file(form, "forms/t/f.json")
    assert problem.code == "order-field"
    assert problem.message_in("zh") == (
        "字段 'state' 与订单自身的字段同名：在所有条件和规则中，order.state 始终是订单状态，而不是这个字段"
    )
    assert problem.hint_in("zh") == "请给字段改名（表单的字段会并入订单的数据）"
    assert problem.hint == "rename the field (a form's fields are merged into the order's data)"


CLOSED = """{
  "type": "object",
  "additionalProperties": false,
  "x-note": "an extension is no problem",
  "propertise": {},
  "properties": {
    "amount": {"type": "number", "x-money": true},
    "method": {"type": "string", "enum": ["cash", "card"], "titel": "Method"},
    "items": {"type": "array", "items": {"type": "object", "requird": ["sku"]}},
    "extra": {"type": "object", "properties": {}, "required": ["any"]}
  },
  "patternProperties": {"^note_": {"type": "string"}},
  "required": ["amount", "methd", "note_1", "wholly-else"]
}
"""


def test_a_misspelt_keyword_or_a_required_name_a_closed_object_lacks_is_a_warning(tmp_path: Path) -> None:
    schema, problems = check_form_file(_form(tmp_path, "f.json", CLOSED), "forms/t/f.json")
    assert schema is not None  # warnings: the form still works
    lines = CLOSED.split("\n")
    found = [(p.code, p.json_path, p.suggestion, p.severity) for p in problems]
    assert found == [
        ("unknown-keyword", "$.propertise", "properties", "warning"),
        ("unknown-keyword", "$.properties.method.titel", "title", "warning"),
        ("unknown-keyword", "$.properties.items.items.requird", "required", "warning"),
        ("required-undeclared", "$.required[1]", "method", "warning"),
        ("required-undeclared", "$.required[3]", None, "warning"),
    ]
    misspelt = problems[2]  # placed at the key, not at its value
    assert lines[misspelt.line - 1][misspelt.column - 1 :].startswith('"requird"')
    assert misspelt.message_in("en") == (
        "'requird' is no JSON Schema keyword and is ignored when checking (an extension starts with x-);"
        " did you mean 'required'?"
    )
    assert misspelt.message_in("zh").startswith("'requird' 不是 JSON Schema 的关键字，校验时会被忽略")
    named = problems[3]
    assert lines[named.line - 1][named.column - 1 :].startswith('"methd"')
    assert named.message_in("zh").startswith("必填的 'methd' 不在 properties 中，而此处不允许其他键")
    assert "required 'methd' is not in properties" in named.message_in("en")


@pytest.mark.parametrize(
    ("form", "ui"),
    [
        ('{"properties": {"a": {"type": "string"}}}', "[]"),  # a UI file that is no object
        ('{"properties": {"a": {"type": "string"}}}', '{"schema_version": 1, "groups": [{"name": "x"}]}'),
        (
            '{"properties": {"a": {"type": "string"}}}',
            '{"schema_version": 1, "fields": {"a": {"widget": 3}}}',
        ),
        ('{"properties": {"a": {"type": "strng"}}}', '{"schema_version": 1}'),  # its form is invalid
        ("[]", '{"schema_version": 1}'),
        ('{"properties": {"a": {"type": "string"}}}', '{"schema_version": 1, "fields": {"b": {}}}'),
        (
            '{"properties": {"a": {"type": "string"}}}',
            '{"schema_version": 1, "fields": {"a": {"widget": "money"}}}',
        ),
        ('{"properties": {"a": {"type": "string"}}}', '{"schema_version": 1, "extra": 1}'),
        ('{"properties": {"a": {"type": "string"}}}', '{"schema_version": 1,}'),  # not JSON
    ],
)
def test_every_problem_of_a_ui_file_has_its_chinese(tmp_path: Path, form: str, ui: str) -> None:
    _form(tmp_path, "f.json", form)
    problems = check_ui_file(_form(tmp_path, "f.ui.json", ui), "forms/t/f.ui.json", ())
    assert problems
    for problem in problems:
        assert CJK.search(problem.words.zh) and problem.words.zh != problem.words.en, problem.words
        if problem.hint_words is not None:
            assert CJK.search(problem.hint_words.zh) and problem.hint_words.zh != problem.hint_words.en


def test_a_ui_file_beside_an_invalid_form_says_why_in_each_language(tmp_path: Path) -> None:
    _form(tmp_path, "f.json", "[]")
    [problem] = check_ui_file(_form(tmp_path, "f.ui.json", '{"schema_version": 1}'), "forms/t/f.ui.json")
    assert problem.code == "bad-form"
    assert problem.message_in("zh") == (
        "它的数据结构 'forms/t/f.json' 无效：表单必须是一个 JSON 对象（JSON Schema）"
    )
    assert (
        problem.message
        == "its data schema 'forms/t/f.json' is not valid: a form must be a JSON object (a JSON Schema)"
    )
    [problem] = check_ui_file(_form(tmp_path, "g.ui.json", "[]"), "forms/t/g.ui.json")
    assert problem.message_in("zh") == "界面文件必须是一个 JSON 对象"


def test_a_type_naming_no_json_type_suggests_the_nearest(tmp_path: Path) -> None:
    text = '{"type": "object", "properties": {"qty": {"type": ["integer", "nul"]}}}'
    _, [problem] = check_form_file(_form(tmp_path, "f.json", text), "forms/t/f.json")
    assert (problem.code, problem.suggestion) == ("unknown-type", "null")
    assert problem.json_path == "$.properties.qty.type[1]"
    assert problem.message_in("zh").startswith("不是有效的 JSON Schema：'nul' 不是 JSON 类型（可用：string、")
    # the type of a field named "type" is a type keyword too
    text = '{"properties": {"type": {"type": "numbr"}}}'
    _, [problem] = check_form_file(_form(tmp_path, "g.json", text), "forms/t/g.json")
    assert (problem.code, problem.suggestion, problem.json_path) == (
        "unknown-type",
        "number",
        "$.properties.type.type",
    )
    # a field named "type" whose schema is a bare word is no type keyword: said as the meta-schema says it
    text = '{"properties": {"type": "numbr"}}'
    _, [problem] = check_form_file(_form(tmp_path, "h.json", text), "forms/t/h.json")
    assert (problem.code, problem.suggestion) == ("form-schema", None)


def test_a_misspelt_extension_of_ours_is_a_warning_any_other_is_the_authors(tmp_path: Path) -> None:
    text = '{"type": "object", "x-tilte-zh": "订单", "x-note": "ours", '
    text += '"properties": {"a": {"x-enum-title": {}}}}'
    schema, problems = check_form_file(_form(tmp_path, "f.json", text), "forms/t/f.json")
    assert schema is not None  # warnings leave the form usable
    assert [(p.code, p.severity, p.json_path, p.suggestion, p.line, p.column) for p in problems] == [
        ("unknown-keyword", "warning", "$.x-tilte-zh", "x-title-zh", 1, text.index('"x-tilte-zh"') + 1),
        (
            *("unknown-keyword", "warning", "$.properties.a.x-enum-title", "x-enum-titles"),
            *(1, text.index('"x-enum-title"') + 1),
        ),
    ]


def test_a_pattern_hint_is_two_texts_beside_a_pattern(tmp_path: Path) -> None:
    hint = '{"zh": "12至19位数字", "en": "12 to 19 digits"}'
    good = '{"properties": {"acct": {"type": "string", "pattern": "^\\\\d{12,19}$", "x-pattern-hint": ' + hint
    good += "}}}"
    schema, problems = check_form_file(_form(tmp_path, "g.json", good), "forms/t/g.json")
    assert schema is not None and problems == []
    for shape in (
        '"12至19位数字"',
        '{"zh": "12至19位数字"}',
        '{"zh": "12至19位数字", "en": 12}',
        '{"zh": "", "en": "x"}',
    ):
        text = '{"properties": {"acct": {"pattern": "^\\\\d+$", "x-pattern-hint": ' + shape + "}}}"
        schema, [problem] = check_form_file(_form(tmp_path, "b.json", text), "forms/t/b.json")
        assert schema is None, shape  # an error: the message would say nothing of what the pattern wants
        assert (problem.code, problem.severity, problem.json_path) == (
            "pattern-hint",
            "error",
            "$.properties.acct.x-pattern-hint",
        )
        assert "{zh, en}" in problem.message and "{zh, en}" in problem.message_in("zh")
    alone = '{"properties": {"acct": {"type": "string", "x-pattern-hint": ' + hint + "}}}"
    schema, [problem] = check_form_file(_form(tmp_path, "w.json", alone), "forms/t/w.json")
    assert schema is not None and (problem.code, problem.severity) == ("pattern-hint", "warning")
    misspelt = '{"properties": {"acct": {"pattern": "^\\\\d+$", "x-patern-hint": ' + hint + "}}}"
    _, [problem] = check_form_file(_form(tmp_path, "m.json", misspelt), "forms/t/m.json")
    assert (problem.code, problem.suggestion) == ("unknown-keyword", "x-pattern-hint")


def test_a_field_says_it_holds_a_warehouse_or_a_carrier_and_nothing_else(tmp_path: Path) -> None:
    good = '{"properties": {"back_to": {"type": "string", "x-kind": "warehouse"}}}'
    schema, problems = check_form_file(_form(tmp_path, "g.json", good), "forms/t/g.json")
    assert schema is not None and problems == []
    text = '{"properties": {"back_to": {"type": "string", "x-kind": "warehose"}}}'
    schema, [problem] = check_form_file(_form(tmp_path, "b.json", text), "forms/t/b.json")
    assert schema is None  # an error: the page would show the code
    assert (problem.code, problem.json_path, problem.suggestion) == (
        "bad-value",
        "$.properties.back_to.x-kind",
        "warehouse",
    )
    assert "warehouse, carrier" in problem.message and "warehouse、carrier" in problem.message_in("zh")
