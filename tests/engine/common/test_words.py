"""The one catalogue of words: every entry in both languages, with the same placeholders in each; every
word a page asks for is in it; and no other module of the engine, the web app or the CLI keeps a table of
words of its own."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from engine.common.text import Text
from engine.common.words import WORDS, term, translate, word, words_of

ROOT = Path(__file__).resolve().parents[3]
# where words shown to people are written: the engine, the web app, the CLI and whatever leaves web/ for a
# folder of its own (the CLI, the demo, the workers, the composition root)
CODE = [
    ROOT / name for name in ("engine", "web", "cli", "demo", "workers", "wiring") if (ROOT / name).is_dir()
]
CATALOGUE = ROOT / "engine" / "common" / "words.py"


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@pytest.mark.parametrize("key", sorted(WORDS))
def test_every_entry_is_in_both_languages_with_the_same_placeholders(key: str) -> None:
    text = WORDS[key]
    assert isinstance(text, Text)
    assert text.zh.strip() and text.en.strip(), key
    assert _placeholders(text.zh) == _placeholders(text.en), key


def test_keys_say_who_reads_them() -> None:
    assert all(re.fullmatch(r"[a-z][a-z_]*(\.[A-Za-z0-9_-]+)+", key) for key in WORDS)
    assert words_of("format")["money"] == word("format.money") == WORDS["format.money"]
    assert set(words_of("term.channel")) == {"web", "app", "phone", "email"}


def test_a_page_reads_its_words_and_the_codes_names_in_either_language() -> None:
    assert translate("orders.new", "zh") == "新建订单"
    assert translate("orders.new", "en") == "New order"
    assert translate("orders.same_again.minutes", "zh").format(n=3) == "3 分钟前"
    assert translate("no.such.key", "en") == "no.such.key"  # shown as is, never an error on a page
    assert term("channel", "phone", "zh") == "电话"
    assert term("reason", "unpaid_timeout", "en") == "cancelled: unpaid in time"
    assert term("channel", "fax", "en") == "fax"  # a code without a name is shown as is
    with pytest.raises(KeyError):
        word("no.such.key")  # the engine asking for a word the catalogue lacks is a bug


def _asked_for() -> set[str]:
    """Every key a page asks for by name: ``t('key')`` in a template, ``translate("key", …)`` in Python,
    ``term('kind', …)`` as ``term.kind``."""
    asked: set[str] = set()
    for template in (ROOT / "web" / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        asked.update(re.findall(r"""\bt\(\s*['"]([a-z_.0-9]+)['"]\s*\)""", text))
        asked.update(f"term.{kind}" for kind in re.findall(r"""\bterm\(\s*['"]([a-z_]+)['"]""", text))
    for root in CODE:
        for module in root.rglob("*.py"):
            text = module.read_text(encoding="utf-8")
            asked.update(re.findall(r"""\btranslate\(\s*['"]([a-z_.0-9]+)['"]""", text))
    return asked


def test_every_word_a_page_asks_for_by_name_is_in_the_catalogue() -> None:
    asked = _asked_for()
    assert len(asked) > 50  # the pages' words are found, not an empty reading
    kinds = {key.rsplit(".", 1)[0] for key in WORDS if key.startswith("term.")}
    missing = sorted(key for key in asked if key not in WORDS and key not in kinds)
    assert missing == []


def _bilingual(node: ast.expr) -> bool:
    """``{"zh": …, "en": …}`` or ``Text("…", "…")`` written out."""
    if isinstance(node, ast.Dict):
        return {"zh", "en"} <= {k.value for k in node.keys if isinstance(k, ast.Constant)}
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Text"
        and len(node.args) == 2
        and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
    )


def _word_tables(source: str) -> list[tuple[int, str]]:
    """The module-level tables of words in ``source``: a mapping written out whose entries are words in
    both languages (or whose entries hold such words), or a mapping of text named like a table of words."""
    found: list[tuple[int, str]] = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if isinstance(value, ast.Call) and len(value.args) == 1:  # MappingProxyType({...})
            value = value.args[0]
        if not isinstance(value, ast.Dict) or not value.values:
            continue
        words = [v for v in value.values if _bilingual(v)]
        nested = [v for v in value.values if isinstance(v, ast.Dict) and any(_bilingual(x) for x in v.values)]
        texts = all(isinstance(v, ast.Constant) and isinstance(v.value, str) for v in value.values)
        named = any(re.search(r"(WORDS|NOUNS|KEYWORDS|TERMS|CATALOGUE)$", name) for name in names)
        if len(words) >= 2 or nested or (named and (texts or words)):
            found.append((node.lineno, ", ".join(names)))
    return found


def test_the_check_finds_a_table_of_words() -> None:
    assert _word_tables('CATALOGUE = {"a.b": {"zh": "甲", "en": "a"}}\n') == [(1, "CATALOGUE")]
    assert _word_tables('WORDS = MappingProxyType({"x": Text("甲", "a"), "y": Text("乙", "b")})\n') == [
        (1, "WORDS")
    ]
    assert _word_tables('_TYPE_WORDS = {"string": "text", "number": "a number"}\n') == [(1, "_TYPE_WORDS")]
    assert _word_tables('TERMS = {"channel": {"web": {"zh": "网站", "en": "Web"}}}\n') == [(1, "TERMS")]
    assert _word_tables('_WIDGET_FORMATS = {"date": "date"}\nPRODUCTS = {"sku": 1}\n') == []
    assert _word_tables('_TYPE_WORDS = {n: t.en for n, t in words_of("type").items()}\n') == []


def test_no_other_module_keeps_a_table_of_words() -> None:
    found = [
        f"{module.relative_to(ROOT)}:{line}: {names}"
        for root in CODE
        for module in sorted(root.rglob("*.py"))
        if module != CATALOGUE
        for line, names in _word_tables(module.read_text(encoding="utf-8"))
    ]
    assert found == []
