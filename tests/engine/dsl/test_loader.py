"""engine/dsl/loader.py: plain data with marks; every malformed input is a Problem, never a traceback."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.dsl import loader
from engine.dsl.loader import Marks, load_file, load_json, load_yaml, read_definition
from engine.errors import Problem

TEXT = """\
workflow: retail-order
states:
  paid: {label: {zh: 已支付, en: Paid}}
transitions:
  - trigger: pay
    dest: "paid"
"""


def test_tree_is_plain_data_with_marks_of_every_value_and_key() -> None:
    tree, marks, problems = load_yaml(TEXT, "order.yaml")
    assert problems == []
    assert tree == {
        "workflow": "retail-order",
        "states": {"paid": {"label": {"zh": "已支付", "en": "Paid"}}},
        "transitions": [{"trigger": "pay", "dest": "paid"}],
    }
    assert marks.at("$.workflow") == (1, 11)
    assert marks.key_at("$.workflow") == (1, 1)
    assert marks.at("$.states.paid.label.zh") == (3, 22)
    assert marks.at("$.transitions[0]") == (5, 5)
    assert marks.at("$.transitions[0].dest") == (6, 11)
    assert marks.text_at("$.transitions[0].dest") == (6, 12)
    assert marks.text_at("$.workflow") == (1, 11)


def test_the_text_of_a_block_scalar_starts_below_its_indicator() -> None:
    _, marks, _ = load_yaml("a:\n  when: >-\n     order.total >\n     0\n")
    assert marks.at("$.a.when") == (2, 9)
    assert marks.text_at("$.a.when") == (3, 6)


def test_marks_fall_back_to_the_nearest_parent() -> None:
    _, marks, _ = load_yaml(TEXT)
    assert marks.at("$.transitions[0].roles[3]") == (5, 5)
    assert marks.at("$.nothing.here") == (1, 1)
    assert Marks().at("$.x") == (0, 0)


def test_yaml_1_1_surprises_stay_text() -> None:
    tree, _, problems = load_yaml("on: yes\nfinal: no\nday: 2024-01-01\nok: true\nn: 3\nx: 1.5\nz: ~\n")
    assert problems == []
    assert tree == {"on": "yes", "final": "no", "day": "2024-01-01", "ok": True, "n": 3, "x": 1.5, "z": None}


def test_duplicate_key_is_reported_at_the_second_key_and_the_first_is_kept() -> None:
    tree, _, problems = load_yaml("a: 1\nb:\n  c: 2\n  c: 3\n", "f.yaml")
    assert tree == {"a": 1, "b": {"c": 2}}
    assert [(p.line, p.column, p.code, p.json_path) for p in problems] == [(4, 3, "duplicate-key", "$.b.c")]
    assert "first at line 3" in problems[0].message


def test_aliases_are_refused_at_the_alias() -> None:
    tree, _, problems = load_yaml("a: &x [1, 2]\nb: *x\n")
    assert tree is None
    assert [(p.line, p.column, p.code) for p in problems] == [(2, 4, "yaml-alias")]


def test_billion_laughs_never_expands() -> None:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 30):
        refs = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{refs}]")
    _, _, problems = load_yaml("\n".join(lines))
    assert [p.code for p in problems] == ["yaml-alias"]


def test_syntax_error_carries_the_parsers_position() -> None:
    _, _, problems = load_yaml("a: [1, 2\nb: 3\n", "f.yaml")
    assert [(p.file, p.line, p.column, p.code) for p in problems] == [("f.yaml", 2, 2, "yaml-syntax")]
    assert problems[0].message.startswith("YAML syntax error: ")


def test_tabs_and_bad_indentation_are_syntax_errors() -> None:
    assert load_yaml("a:\n\t- 1\n")[2][0].code == "yaml-syntax"
    assert load_yaml("a: 1\n  b: 2\n")[2][0].code == "yaml-syntax"


def test_non_utf8_bytes_are_a_problem_at_their_place() -> None:
    _, _, problems = load_yaml(b"a: 1\nb: caf\xe9\n")
    assert [(p.line, p.column, p.code) for p in problems] == [(2, 7, "encoding")]


def test_a_byte_order_mark_is_accepted() -> None:
    assert load_yaml("\ufeffa: 1".encode())[0] == {"a": 1}


def test_oversize_text_is_refused_before_parsing() -> None:
    _, _, problems = load_yaml("a: [" * 50, max_bytes=100)
    assert [p.code for p in problems] == ["too-large"]


def test_tags_are_refused_and_never_constructed() -> None:
    tree, _, problems = load_yaml("a: !!python/object/apply:os.system ['echo x']\nb: !custom 1\n")
    assert {p.code for p in problems} == {"yaml-tag"}
    assert len(problems) == 2
    assert isinstance(tree, dict)


def test_complex_keys_are_refused() -> None:
    _, _, problems = load_yaml("? [a, b]\n: 1\n")
    assert [p.code for p in problems] == ["yaml-key"]


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    _, _, problems = load_yaml("[" * 5000 + "]" * 5000)
    assert [p.code for p in problems] == ["too-large"]
    _, _, problems = load_yaml("a:\n" + "".join(" " * i + "- \n" for i in range(1, 100)))
    assert problems and problems[0].code in ("too-large", "yaml-syntax")


def test_empty_document_is_none() -> None:
    assert load_yaml("") == (None, Marks(values={}), [])


def test_several_documents_are_a_problem() -> None:
    _, _, problems = load_yaml("a: 1\n---\nb: 2\n")
    assert [p.code for p in problems] == ["yaml-syntax"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.printable + "&*!|>%@`{}[]中文", max_size=200))
def test_any_text_gives_data_or_problems_never_an_exception(text: str) -> None:
    _tree, marks, problems = load_yaml(text)
    assert isinstance(marks, Marks)
    assert all(p.line >= 0 and p.column >= 0 for p in problems)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_give_data_or_problems_never_an_exception(data: bytes) -> None:
    load_yaml(data)
    load_json(data)


# --- JSON ---


def test_json_values_and_positions() -> None:
    tree, marks, problems = load_json('{\n  "a": [1, 2.5, {"b": null}],\n  "c": "中"\n}', "form.json")
    assert problems == []
    assert tree == {"a": [1, 2.5, {"b": None}], "c": "中"}
    assert marks.at("$.a") == (2, 8)
    assert marks.key_at("$.a") == (2, 3)
    assert marks.at("$.a[2].b") == (2, 23)
    assert marks.at("$.c") == (3, 8)


def test_json_syntax_errors_and_duplicates() -> None:
    _, _, problems = load_json('{"a": 1,}', "f.json")
    assert [(p.line, p.column, p.code) for p in problems] == [(1, 9, "json-syntax")]
    tree, marks, problems = load_json('{"a": 1, "a": 2}')
    assert tree == {"a": 1}
    assert marks.at("$.a") == (1, 7)
    assert [(p.column, p.code) for p in problems] == [(10, "duplicate-key")]
    assert load_json("[1] 2")[2][0].message == "JSON syntax error: extra data after the JSON value"
    assert load_json('"\\x"')[2][0].code == "json-syntax"
    assert load_json("NaN")[2][0].code == "json-syntax"
    assert load_json("[" * 1000)[2][0].code in ("json-syntax", "too-large")


# --- values a stored definition cannot hold ---


def test_a_json_number_of_over_4300_digits_is_a_problem_at_its_place() -> None:
    text = '{\n  "maximum": ' + "9" * 5000 + "\n}"
    tree, _, problems = load_json(text, "forms/retail/payment.json")
    assert tree is None
    assert [p.format() for p in problems] == [
        "forms/retail/payment.json:2:14: error: the number 99999999999999999999... (5000 characters) is out "
        "of range: numbers stay within ±1.8e308 [at $.maximum]"
    ]


def test_json_numbers_beyond_a_float_are_refused_and_the_largest_kept() -> None:
    text = '{"a": 1e999, "b": -1e999, "c": ' + "9" * 400 + ', "d": 1.7e308, "e": ' + "9" * 300 + "}"
    tree, _, problems = load_json(text, "f.json")
    assert tree is None
    assert [(p.json_path, p.column, p.message.split(" is ")[0]) for p in problems] == [
        ("$.a", 7, "the number 1e999"),
        ("$.b", 19, "the number -1e999"),
        ("$.c", 32, "the number 99999999999999999999... (400 characters)"),
    ]
    tree, _, problems = load_json('{"d": 1.7e308, "e": ' + "9" * 300 + "}")
    assert problems == [] and tree == {"d": 1.7e308, "e": int("9" * 300)}


def test_a_lone_surrogate_in_json_text_or_key_is_refused() -> None:
    tree, _, problems = load_json('{"title": "\\ud800x",\n "\\udfff": 1, "ok": "\\ud83d\\ude00"}', "f.json")
    assert tree is None
    assert [(p.line, p.column, p.json_path) for p in problems] == [(1, 11, "$.title"), (2, 2, "$")]
    assert "the text holds \\ud800, half of a UTF-16 surrogate pair" in problems[0].message
    assert load_json('"\\ud83d\\ude00"')[0] == "😀"  # both halves: one character


def test_yaml_infinity_nan_huge_numbers_and_lone_surrogates_are_refused() -> None:
    text = 'a: .inf\nb: .NaN\nc: "\\ud800x"\nd: ' + "9" * 5000 + "\ne: " + "9" * 400 + "\nok: 1.5\n"
    tree, _, problems = load_yaml(text, "rules/x.yaml")
    assert [(p.line, p.json_path) for p in problems] == [
        (1, "$.a"),
        (2, "$.b"),
        (3, "$.c"),
        (4, "$.d"),
        (5, "$.e"),
    ]
    assert problems[0].message.startswith("infinity is not a number a definition may hold")
    assert problems[1].message.startswith("NaN is not a number a definition may hold")
    assert "\\ud800, half of a UTF-16 surrogate pair" in problems[2].message
    assert all(len(p.format()) < 200 for p in problems)
    assert tree is not None and tree["ok"] == 1.5


# --- every problem in Chinese and English ---

CJK = re.compile("[\u4e00-\u9fff]")


def test_the_loaders_problems_read_in_chinese() -> None:
    [dup] = load_yaml("a: 1\nb:\n  c: 2\n  c: 3\n", "f.yaml")[2]
    assert (dup.message_in("zh"), dup.hint_in("zh")) == (
        "重复的键 'c'（第一次出现在第 3 行）",
        "同一个映射中每个键只能出现一次；请删除其中一个，或给它改名",
    )
    [alias] = load_yaml("a: &x [1, 2]\nb: *x\n")[2]
    assert alias.message_in("zh") == "不允许使用别名（*name）"
    assert alias.hint_in("zh") == "请直接写出值，或用覆盖定义（extends:）共用整个工作流"
    [syntax] = load_yaml("a: [1, 2\nb: 3\n")[2]
    assert (
        syntax.message_in("zh")
        == "YAML 语法错误：应为 ',' 或 ']'，却遇到了 ':'（读取方括号 [...] 中的列表时）"
    )
    assert (
        syntax.message
        == "YAML syntax error: expected ',' or ']', but found ':' (while reading the list in brackets [...])"
    )
    [tab] = load_yaml("a:\n\t- 1\n")[2]
    assert tab.message_in("zh") == "YAML 语法错误：这里不能出现制表符（YAML 的缩进只能用空格）"
    [tag] = load_yaml("a: !custom 1\n")[2]
    assert (tag.message_in("zh"), tag.hint_in("zh")) == (
        "不允许使用标签 '!custom'",
        "定义是纯数据：请删除以 '!' 开头的标签",
    )
    [json_syntax] = load_json('{"a": 1,}')[2]
    assert json_syntax.message_in("zh") == "JSON 语法错误：应为用双引号括起的键"
    [huge] = load_json('{"a": ' + "9" * 400 + "}")[2]
    assert (
        huge.message_in("zh")
        == "数字 99999999999999999999...（共 400 个字符）超出范围：数字须在 ±1.8e308 之内"
    )
    [nan] = load_yaml("a: .nan\n")[2]
    assert nan.message_in("zh") == "NaN 不是定义中可以使用的数字（定义以 JSON 保存，JSON 中没有这样的数）"
    [large] = load_yaml("a: [" * 50, max_bytes=100)[2]
    assert (large.message_in("zh"), large.hint_in("zh")) == (
        "文件大小为 200 字节，超出上限 100 字节",
        "请拆分成较小的文件（覆盖定义可以扩展共用的工作流）",
    )
    [encoding] = load_yaml(b"a: caf\xe9\n")[2]
    assert (encoding.message_in("zh"), encoding.hint_in("zh")) == (
        "文件不是 UTF-8 编码（字节 0xe9）",
        "请将文件保存为 UTF-8 编码",
    )


BAD_YAML = [
    "a: 1\na: 2\n",
    "a: &x 1\nb: *x\n",
    "a: !!python/object/apply:os.system ['x']\n",
    "? [a, b]\n: 1\n",
    "a: [1, 2\n",
    "a:\n\t- 1\n",
    "a: 1\n  b: 2\n",
    "a: 1\n---\nb: 2\n",
    'a: "\\q"\n',
    "a: {b\n",
    "- a\nb: 1\n",
    "a: .inf\n",
    'a: "\\ud800"\n',
    "a: " + "9" * 5000 + "\n",
    "\x07",
    "[" * 5000 + "]" * 5000,
    "a: 1\n" * 2 + "\n".join(f"k{i}: {i}" for i in range(3)),
]
BAD_JSON = [
    '{"a": 1,}',
    '{"a" 1}',
    "{a: 1}",
    "[1 2]",
    "[1,]",
    '{"a": 1} x',
    '{"a": 1, "a": 2}',
    '"abc',
    '"a\x01"',
    '"\\q"',
    '"\\u12"',
    '{"a": 1e999}',
    '{"\\udfff": 1}',
    "[" * 1000,
]


@pytest.mark.parametrize("text", BAD_YAML)
def test_every_yaml_problem_has_its_chinese(text: str) -> None:
    problems = load_yaml(text, "f.yaml")[2]
    assert problems
    for problem in problems:
        assert CJK.search(problem.words.zh) and problem.words.zh != problem.words.en, problem.words
        if problem.hint_words is not None:
            assert CJK.search(problem.hint_words.zh) and problem.hint_words.zh != problem.hint_words.en


@pytest.mark.parametrize("text", BAD_JSON)
def test_every_json_problem_has_its_chinese(text: str) -> None:
    problems = load_json(text, "f.json")[2]
    assert problems
    for problem in problems:
        assert CJK.search(problem.words.zh) and problem.words.zh != problem.words.en, problem.words


def test_a_file_that_cannot_be_read_or_is_too_large_says_so_in_both_languages(tmp_path: Path) -> None:
    [missing] = load_file(tmp_path / "nothing.yaml", "nothing.yaml", "yaml")[2]
    assert (missing.code, missing.message_in("zh")) == ("io", "无法读取文件：文件不存在")
    assert missing.message == "cannot read the file: No such file or directory"
    big = tmp_path / "big.yaml"
    big.write_text("a: 1\n" * 300_000, "utf-8")
    [large] = load_file(big, "big.yaml", "yaml")[2]
    assert (large.code, large.message_in("zh")) == (
        "too-large",
        "文件大小为 1500000 字节，超出上限 1000000 字节",
    )
    assert large.message == "the file is 1500000 bytes; the limit is 1000000"
    with pytest.raises(ValueError, match="the file is 1500000 bytes; the limit is 1000000"):
        read_definition(big)


# --- libyaml's parser and the pure-Python one read alike -------------------------------------------

REPO = Path(__file__).resolve().parents[3]
YAML_FILES = sorted(
    path
    for folder in ("workflows", "rules", "tests/fixtures")
    for path in (REPO / folder).rglob("*.y*ml")
    if path.suffix in (".yaml", ".yml")
)


@contextmanager
def _pure_python() -> Iterator[None]:
    kept = loader._FAST_LOADER
    loader._FAST_LOADER = None
    try:
        yield
    finally:
        loader._FAST_LOADER = kept


def _read_with(fast: bool, text: str) -> tuple[Any, Marks, list[Problem]]:
    if fast:
        return load_yaml(text, "f.yaml")
    with _pure_python():
        return load_yaml(text, "f.yaml")


def test_libyaml_is_what_reads_here() -> None:
    """The speed of checking as one types rests on it: PyYAML's wheels carry libyaml."""
    assert loader._FAST_LOADER is not None


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_both_parsers_give_the_same_tree_marks_and_problems(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    fast, slow = _read_with(True, text), _read_with(False, text)
    assert fast[0] == slow[0]
    marks = [(found.values, found.keys, found.text_starts) for found in (fast[1], slow[1])]
    assert marks[0] == marks[1]
    assert fast[2] == slow[2]


_UNSPACED_HEADER_COMMENT = re.compile(r"[|>][-+1-9]*#")
# Inside a flow collection the pure-Python scanner ends a plain scalar at "?" ("[0?]"); libyaml reads on.
_QUESTION_IN_PLAIN = re.compile(r"[^\s\[\]{},:?#]\?")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=string.printable + "：中文", max_size=200))
@example("|#")
@example("[0?]")
def test_both_parsers_agree_on_any_text(text: str) -> None:
    """What the pure-Python parser reads, libyaml's reads alike: the same tree and problems.
    What libyaml refuses is read again by the pure-Python parser, so its problems are worded and placed
    alike. (libyaml reads a little more YAML than the pure-Python parser: a tab after a value, a comment
    right after a block scalar's indicator, ``|#``, which the pure-Python one wants spaced, and a "?"
    inside a plain scalar in a flow collection, ``[0?]``, where the pure-Python one ends the scalar.)"""
    fast, slow = _read_with(True, text), _read_with(False, text)
    syntax = [p for p in slow[2] if p.code == "yaml-syntax"]
    if syntax and not any(p.code == "yaml-syntax" for p in fast[2]):
        libyaml_alone = (
            "\t" in text
            or _UNSPACED_HEADER_COMMENT.search(text)
            or (_QUESTION_IN_PLAIN.search(text) and ("[" in text or "{" in text))
        )
        assert libyaml_alone  # what libyaml alone reads
        return
    assert (fast[0], fast[2]) == (slow[0], slow[2])  # (an empty node's mark may differ: "?" alone)
