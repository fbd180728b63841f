"""The catalogue of form error messages, in zh and en, and the words that fill them.

Every error of a submitted form is reported for its field, in words a clerk reads, built from the
field's label (the UI schema's ``label``, else the data schema's ``title`` / ``x-title-zh``); never the
validation library's text. A UI schema may replace a field's message for one keyword (``messages``);
the replacement may use ``{label}``, ``{limit}``, ``{expected}`` and ``{options}``.

Labels are composed in messages the way people say them: a field inside an object is named with its
object (``customer.mobile``: 客户手机号 / "the customer's mobile number"), a field of an order line with
its line (``lines[1].qty``: 商品明细第2行数量 / "the quantity in line 2 of the order lines"), unless the
UI schema gives the field a label of its own, which is used as it is.

The web catalogue (``web/i18n.py``) holds the page words; the engine may not import it, so the form
messages live here, in one table, keyed like it (``form.required`` ...).
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.forms.fields import Text

__all__ = [
    "CATALOGUE",
    "FORMAT_WORDS",
    "THE_FORM",
    "TYPE_WORDS",
    "Label",
    "message",
    "noun",
    "options_text",
    "render",
    "value_text",
]

# keyword -> {zh, en}; {label} is the field (zh as it is, en without its article), {limit} the schema's
# bound, {expected} what the format wants, {options} the allowed values.
CATALOGUE: Mapping[str, Mapping[str, str]] = {
    "form.required": {"zh": "请填写{label}", "en": "Enter the {label}"},
    "form.computed": {
        "zh": "{label}由{options}计算得出：请先填写这些字段",
        "en": "The {label} is computed from the {options}: fill those in first",
    },
    "form.format": {
        "zh": "{label}格式不正确：应为{expected}",
        "en": "The {label} is not valid: expected {expected}",
    },
    "form.money_range": {
        "zh": "{label}超出范围：金额须小于 10,000,000,000,000 元（十万亿元）",
        "en": "The {label} is out of range: an amount must be below 10,000,000,000,000 (ten trillion) CNY",
    },
    "form.pattern": {"zh": "{label}格式不正确", "en": "The {label} is not in the expected format"},
    "form.type": {"zh": "{label}应为{expected}", "en": "The {label} must be {expected}"},
    "form.minimum": {"zh": "{label}不能小于{limit}", "en": "The {label} must be at least {limit}"},
    "form.maximum": {"zh": "{label}不能大于{limit}", "en": "The {label} must be at most {limit}"},
    "form.exclusiveMinimum": {"zh": "{label}必须大于{limit}", "en": "The {label} must be more than {limit}"},
    "form.exclusiveMaximum": {"zh": "{label}必须小于{limit}", "en": "The {label} must be less than {limit}"},
    "form.multipleOf": {
        "zh": "{label}必须是{limit}的整数倍",
        "en": "The {label} must be a multiple of {limit}",
    },
    "form.minLength": {
        "zh": "{label}至少需要{limit}个字符",
        "en": "The {label} must have at least {limit} characters",
    },
    "form.maxLength": {
        "zh": "{label}最多{limit}个字符",
        "en": "The {label} must have at most {limit} characters",
    },
    "form.minItems": {
        "zh": "{label}至少需要{limit}项",
        "en": "The {label} must have at least {limit} entries",
    },
    "form.minItems1": {"zh": "请至少填写一项{label}", "en": "Add at least one entry to the {label}"},
    "form.maxItems": {"zh": "{label}最多{limit}项", "en": "The {label} may have at most {limit} entries"},
    "form.uniqueItems": {"zh": "{label}有重复项", "en": "The {label} list the same entry twice"},
    "form.enum": {"zh": "{label}只能选择：{options}", "en": "The {label} must be one of: {options}"},
    "form.const": {"zh": "{label}只能是{options}", "en": "The {label} must be {options}"},
    "form.const_true": {"zh": "请勾选{label}", "en": "Tick the {label}"},
    "form.const_false": {"zh": "请不要勾选{label}", "en": "Leave the {label} unticked"},
    "form.additionalProperties": {
        "zh": "{label}包含不接受的字段：{options}",
        "en": "The {label} has fields it does not take: {options}",
    },
    "form.minProperties": {"zh": "{label}不能为空", "en": "The {label} must not be empty"},
    "form.absent": {"zh": "此处不应填写{label}", "en": "Leave the {label} empty here"},
    "form.invalid": {"zh": "{label}填写不正确", "en": "The {label} is not valid"},
}

# format -> what it wants, in words
FORMAT_WORDS: Mapping[str, Text] = {
    "mobile-cn": Text("11位手机号", "an 11-digit mobile number starting with 1"),
    "resident-id-cn": Text("18位身份证号（出生日期与校验位正确）", "an 18-character resident ID number"),
    "postcode-cn": Text("6位邮政编码", "a 6-digit postcode"),
    "email": Text("电子邮箱地址，如 name@example.com", "an email address like name@example.com"),
    "money": Text("金额，最多两位小数", "an amount with at most two decimals"),
    "date": Text("日期，如 2026-01-31", "a date like 2026-01-31"),
    "date-time": Text(
        "日期和时间，如 2026-01-31T09:30:00+08:00", "a date and time like 2026-01-31T09:30:00+08:00"
    ),
    "time": Text("时间，如 09:30:00+08:00", "a time like 09:30:00+08:00"),
    "uri": Text("网址", "a web address"),
}
TYPE_WORDS: Mapping[str, Text] = {
    "string": Text("文本", "text"),
    "number": Text("数字", "a number"),
    "integer": Text("整数", "a whole number"),
    "boolean": Text("是或否", "yes or no"),
    "array": Text("列表", "a list"),
    "object": Text("一组字段", "a group of fields"),
    "null": Text("空", "empty"),
}
THE_FORM = Text("表单", "form")
YES = Text("是", "yes")
NO = Text("否", "no")


def noun(title: str) -> str:
    """An English label as it reads inside a sentence: the first letter lower-cased unless the first word
    is an abbreviation (``SKU``)."""
    word = title.split(" ", 1)[0]
    if len(word) > 1 and (word[1].isupper() or word[1].isdigit()):
        return title
    return title[:1].lower() + title[1:]


@dataclass(frozen=True)
class Label:
    """A field as messages name it: ``zh`` as shown, ``en`` a noun phrase without its article."""

    zh: str
    en: str


def render(key: str, label: Label, **words: Text | str) -> Text:
    """The catalogue's ``key`` filled with ``label`` and ``words`` (each a Text or the same in both)."""
    templates = CATALOGUE[key]
    return Text(
        _fill(templates["zh"], label.zh, "zh", words),
        _sentence(_fill(templates["en"], label.en, "en", words)),
    )


def _fill(template: str, label: str, lang: str, words: Mapping[str, Text | str]) -> str:
    values = {name: (value.get(lang) if isinstance(value, Text) else value) for name, value in words.items()}
    values["label"] = label
    return string.Formatter().vformat(template, (), _Blank(values))


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def _sentence(text: str) -> str:
    """ "The SKU …" stays; "The {label}" with a label that brings its own article is not doubled."""
    return text.replace("the the ", "the ").replace("The the ", "The ")


def override(template: Text, label: Label, **words: Text | str) -> Text:
    """A UI schema's own message for a keyword, with the same placeholders as the catalogue's."""
    return Text(_fill(template.zh, label.zh, "zh", words), _fill(template.en, label.en, "en", words))


def value_text(value: Any, titles: Mapping[str, Any] | None) -> Text:
    """One allowed value as people read it: its ``x-enum-titles`` entry, looked up by the value as JSON
    writes it (``"gold"``, ``"2"``, ``"true"``); else yes or no for a boolean, else the value itself."""
    key = _json_text(value)
    title = (titles or {}).get(key) if isinstance(titles, Mapping) else None
    if isinstance(title, Mapping) and isinstance(title.get("zh"), str) and isinstance(title.get("en"), str):
        return Text(title["zh"], title["en"])
    if isinstance(value, bool):
        return YES if value else NO
    return Text(key, key)


def _json_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def options_text(values: Sequence[Any], titles: Mapping[str, Any] | None) -> Text:
    """Allowed values as people read them: the x-enum-titles of each (see :func:`value_text`)."""
    texts = [value_text(value, titles) for value in values]
    return Text("、".join(t.zh for t in texts), ", ".join(t.en for t in texts))


def message(
    keyword: str,
    label: Label,
    *,
    limit: Any = None,
    expected: Text | None = None,
    options: Text | None = None,
    custom: Text | None = None,
) -> Text:
    """The message of one failed keyword for the field ``label``; ``custom`` (the UI schema's) wins."""
    words: dict[str, Text | str] = {}
    if limit is not None:
        words["limit"] = _number(limit)
    if expected is not None:
        words["expected"] = expected
    if options is not None:
        words["options"] = options
    if custom is not None:
        return override(custom, label, **words)
    key = f"form.{keyword}"
    return render(key if key in CATALOGUE else "form.invalid", label, **words)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
