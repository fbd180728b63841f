"""The catalogue of form error messages, in zh and en, and the words that fill them.

Every error of a submitted form is reported for its field, in words a clerk reads, built from the
field's label (the UI schema's ``label``, else the data schema's ``title`` / ``x-title-zh``); never the
validation library's text. A UI schema may replace a field's message for one keyword (``messages``);
the replacement may use ``{label}``, ``{limit}``, ``{expected}`` and ``{options}``.

Labels are composed in messages the way people say them: a field inside an object is named with its
object (``customer.mobile``: 客户手机号 / "the customer's mobile number"), a field of an order line with
its line (``lines[1].qty``: 商品明细第2行数量 / "the quantity in line 2 of the order lines"), unless the
UI schema gives the field a label of its own, which is used as it is.

The messages' templates are the ``form.*`` entries of the one catalogue of words
(``engine.common.words``), filled here: ``{label}`` is the field (zh as it is, en without its article),
``{limit}`` the schema's bound, ``{expected}`` what the format wants (``format.*``, ``picker.*``,
``type.*``, a pattern's ``x-pattern-hint``), ``{options}`` the allowed values. The English ones start
with the label and say after a colon what is wrong or wanted ("Signed by: at most 50 characters"), so
they read the same whatever the label is; a choice left empty is asked for as one
(``form.required_choice``: 请选择付款方式 / "Payment method: choose one").
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.common.words import WORDS, word
from engine.forms.fields import Text

__all__ = [
    "Label",
    "message",
    "noun",
    "options_text",
    "render",
    "value_text",
]


def noun(title: str) -> str:
    """An English label as it reads inside a sentence: the first letter lower-cased unless the first word
    is an abbreviation (``SKU``)."""
    first = title.split(" ", 1)[0]
    if len(first) > 1 and (first[1].isupper() or first[1].isdigit()):
        return title
    return title[:1].lower() + title[1:]


@dataclass(frozen=True)
class Label:
    """A field as messages name it: ``zh`` as shown, ``en`` a noun phrase without its article."""

    zh: str
    en: str


def render(key: str, label: Label, **words: Text | str) -> Text:
    """The catalogue's ``key`` filled with ``label`` and ``words`` (each a Text or the same in both)."""
    template = WORDS[key]
    return Text(
        _fill(template.zh, label.zh, "zh", words),
        _sentence(_fill(template.en, label.en, "en", words)),
    )


def _fill(template: str, label: str, lang: str, words: Mapping[str, Text | str]) -> str:
    values = {name: (value.get(lang) if isinstance(value, Text) else value) for name, value in words.items()}
    values["label"] = label
    return string.Formatter().vformat(template, (), _Blank(values))


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def _sentence(text: str) -> str:
    """A message as a sentence: its first letter capital (the catalogue's English starts with the label,
    "signed by: …" reads "Signed by: …"; "SKU …" stays), "the {options}" with words that bring their own
    article not doubled."""
    text = text.replace("the the ", "the ").replace("The the ", "The ")
    return text[:1].upper() + text[1:]


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
        return word("value.yes" if value else "value.no")
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
    return render(key if key in WORDS else "form.invalid", label, **words)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
