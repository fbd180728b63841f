"""PyYAML's syntax errors in words people read (engine/dsl/yaml_words.py): every token name PyYAML can
put in a message (``<scalar>``, ``<block end>``, ``<block mapping start>``, …) and every phrase our
loader can meet, in Chinese and English, through the loader itself."""

from __future__ import annotations

import inspect
import re

import pytest
import yaml.tokens

from engine.dsl.loader import load_yaml
from engine.dsl.yaml_words import TOKEN_KEYS, phrase_words, syntax_error_words, token_words

CJK = re.compile(r"[\u4e00-\u9fff]")
JARGON = re.compile(r"<[a-z ]+>|scalar|token|node|block end|mapping|stream|simple key|flow|collection", re.I)


def token_ids() -> list[str]:
    """Every Token.id of PyYAML (yaml/tokens.py)."""
    return sorted(
        {
            cls.id
            for _, cls in inspect.getmembers(yaml.tokens, inspect.isclass)
            if issubclass(cls, yaml.tokens.Token) and isinstance(getattr(cls, "id", None), str)
        }
    )


def test_every_token_name_of_pyyaml_has_words() -> None:
    names = [name for name in token_ids() if name.startswith("<")]
    assert "<scalar>" in names and "<block mapping start>" in names  # the list is PyYAML's, read above
    assert sorted(TOKEN_KEYS) == names
    for name in names:
        for shown in (name, f"'{name}'"):  # "expected <block end>", "but found '<scalar>'"
            words = token_words(shown)
            assert CJK.search(words.zh), shown
            assert not JARGON.search(words.zh) and not JARGON.search(words.en), words


def test_a_token_of_one_character_is_what_was_typed() -> None:
    for name in (n for n in token_ids() if not n.startswith("<")):
        assert token_words(f"'{name}'").en == f"'{name}'"


# (YAML text, where, Chinese, English): each phrase shape PyYAML's reader, scanner, parser and composer
# can give our loader, with the token names among them.
CASES = [
    (
        "a: 1\n- b\n",
        (2, 1),
        "应为缩进块的结尾，却遇到了 '-'（读取缩进的键值块时）",
        "expected the end of the indented block, but found '-' (while reading an indented block of keys)",
    ),
    (
        "a:\n  - 1\n - 2\n",
        (3, 2),
        "应为缩进块的结尾，却遇到了列表项（- ...）（读取缩进的键值块时）",
        "expected the end of the indented block, but found a list item (- ...)"
        " (while reading an indented block of keys)",
    ),
    (
        "- a\nb: 1\n",
        (2, 1),
        "应为缩进块的结尾，却遇到了 '?'（读取缩进的列表或键值块时）",
        "expected the end of the indented block, but found '?'"
        " (while reading an indented list or block of keys)",
    ),
    (
        "a: 1\n...\nb: 2\n",
        (3, 1),
        "应为文档开头（---），却遇到了键（键: 值）",
        "expected the start of a document (---), but found a key (key: value)",
    ),
    (
        "%YAML 1.1\na: 1\n",
        (2, 1),
        "应为文档开头（---），却遇到了一个值",
        "expected the start of a document (---), but found a value",
    ),
    (
        "a: 1\n%YAML 1.2\n",
        (3, 1),
        "应为文档开头（---），却遇到了文件结尾",
        "expected the start of a document (---), but found the end of the file",
    ),
    (
        "a: [1, 2\n",
        (2, 1),
        "应为 ',' 或 ']'，却遇到了文件结尾（读取方括号 [...] 中的列表时）",
        "expected ',' or ']', but found the end of the file (while reading the list in brackets [...])",
    ),
    (
        "a: {b: 1]\n",
        (1, 9),
        "应为 ',' 或 '}'，却遇到了 ']'（读取花括号 {...} 中的键值时）",
        "expected ',' or '}', but found ']' (while reading the keys in braces {...})",
    ),
    ("a: ]\n", (1, 4), "应为一个值，却遇到了 ']'", "expected a value, but found ']'"),
    ("a: [,]\n", (1, 5), "应为一个值，却遇到了 ','", "expected a value, but found ','"),
    (
        "a: 1\n  b: 2\n",
        (2, 4),
        "此处不能再写“键: 值”（检查冒号和缩进）",
        "a value (key: value) is not allowed here; check the colons and indentation",
    ),
    (
        "a: 1\nb\nc: 2\n",
        (3, 1),
        "找不到键后面应有的 ':'（读取键时）",
        "the ':' after the key is missing (while reading a key)",
    ),
    (
        'a: "x\n',
        (2, 1),
        "文件意外结束（读取带引号的文本时）",
        "the file ends before it is closed (while reading a quoted text)",
    ),
    (
        "a:\n\t- 1\n",
        (2, 1),
        "这里不能出现制表符（YAML 的缩进只能用空格）",
        "a tab cannot stand here (YAML indents with spaces, never tabs)",
    ),
    ("a: `x`\n", (1, 4), "字符 '`' 不能出现在这里", "the character '`' cannot stand here"),
    (
        'a: "\\q"\n',
        (1, 6),
        "未知的转义字符 'q'（读取双引号文本时）",
        "unknown escape character 'q' (while reading a double-quoted text)",
    ),
    (
        "a: |0\n  x\n",
        (1, 5),
        "应为 1 到 9 的缩进数字，却遇到了 0（读取多行文本（| 或 >）时）",
        "expected an indentation number from 1 to 9, but found 0 (while reading a multi-line text (| or >))",
    ),
    (
        "a: &\n",
        (1, 5),
        "应为字母或数字，却遇到了换行（读取锚点（&name）时）",
        "expected a letter or a digit, but found a line break (while reading an anchor (&name))",
    ),
    (
        "a: 1\n---\nb: 2\n",
        (2, 1),
        "文件中只能有一个文档（这里又开始了另一个文档）",
        "the file may hold one document only (another document starts here)",
    ),
    ("%YAML 1.1\n%YAML 1.1\n---\na: 1\n", (2, 1), "%YAML 指令重复", "the %YAML directive appears twice"),
    (
        "a: !x!y 1\n",
        (1, 4),
        "标签前缀 '!x!' 未定义或重复",
        "the tag prefix '!x!' is undefined or defined twice",
    ),
]


@pytest.mark.parametrize(("text", "where", "zh", "en"), CASES, ids=[c[3][:40] for c in CASES])
def test_each_syntax_error_is_worded_for_a_person(
    text: str, where: tuple[int, int], zh: str, en: str
) -> None:
    [problem] = load_yaml(text, "f.yaml")[2]
    assert (problem.code, (problem.line, problem.column)) == ("yaml-syntax", where)
    assert problem.message_in("zh") == f"YAML 语法错误：{zh}"
    assert problem.message_in("en") == f"YAML syntax error: {en}"
    assert not JARGON.search(problem.words.zh) and not JARGON.search(problem.words.en), problem.words


def test_a_phrase_of_no_known_shape_still_has_no_token_names() -> None:
    words = phrase_words("found '<block mapping start>' after '<scalar>' here")
    assert words.zh == "found 键（键: 值） after 一个值 here"
    assert words.en == "found a key (key: value) after a value here"
    assert syntax_error_words(None, None).en == "YAML syntax error"
