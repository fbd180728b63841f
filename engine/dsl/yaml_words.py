"""PyYAML's syntax errors in words a business admin reads, in Chinese and English.

PyYAML says what it could not parse in its own terms: ``expected <block end>, but found '<scalar>'
(while parsing a block mapping)``. Its problem and context phrases are formed from a few shapes
("expected X, but found Y", "while scanning X", "found character X that cannot start any token", …)
and its token names (``yaml/tokens.py``: ``Token.id``, such as ``<scalar>`` or ``<block mapping
start>``). Each is given words here: "expected the end of the indented block, but found a value (while
reading an indented block of keys)". A phrase of no known shape keeps PyYAML's wording, with every token
name in it still put in words, so none reaches a person as ``<…>``.

Only the pure-Python parser's phrases reach people: a text libyaml refuses is read again by it
(``engine.dsl.loader.load_yaml``), so that every syntax error is worded and placed the same.
"""

from __future__ import annotations

import re

from engine.common.text import Text

# Each token name of PyYAML (yaml/tokens.py, Token.id), as "but found '<scalar>'" shows it. The
# one-character ones (',', ':', '-', '?', '[', ']', '{', '}') are what the person typed and stay quoted.
TOKENS: dict[str, Text] = {
    "<stream start>": Text("文件开头", "the start of the file"),
    "<stream end>": Text("文件结尾", "the end of the file"),
    "<document start>": Text("文档开头（---）", "the start of a document (---)"),
    "<document end>": Text("文档结束标记（...）", "the end-of-document marker (...)"),
    "<directive>": Text("指令（%YAML 或 %TAG）", "a directive (%YAML or %TAG)"),
    "<block sequence start>": Text("列表项（- ...）", "a list item (- ...)"),
    "<block mapping start>": Text("键（键: 值）", "a key (key: value)"),
    "<block end>": Text("缩进块的结尾", "the end of the indented block"),
    "<alias>": Text("别名（*name）", "an alias (*name)"),
    "<anchor>": Text("锚点（&name）", "an anchor (&name)"),
    "<tag>": Text("标签（!name）", "a tag (!name)"),
    "<scalar>": Text("一个值", "a value"),
}
_TOKEN = re.compile(r"'?(<[a-z ]+>)'?")

# What PyYAML says it expected or found besides a token ("expected the node content, but found ...").
_PARTS: dict[str, Text] = {
    "the node content": Text("一个值", "a value"),
    "a comment or a line break": Text("注释或换行", "a comment or a line break"),
    "alphabetic or numeric character": Text("字母或数字", "a letter or a digit"),
    "indentation indicator in the range 1-9": Text("1 到 9 的缩进数字", "an indentation number from 1 to 9"),
    "chomping or indentation indicators": Text("'+'、'-' 或缩进数字", "'+', '-' or an indentation number"),
    "a digit": Text("数字", "a digit"),
    "a digit or '.'": Text("数字或 '.'", "a digit or '.'"),
    "a digit or ' '": Text("数字或空格", "a digit or a space"),
    "' '": Text("空格", "a space"),
    "URI": Text("地址（URI）", "an address (URI)"),
    "'\\n'": Text("换行", "a line break"),
    "'\\t'": Text("制表符", "a tab"),
    "'\\x00'": Text("文件结尾", "the end of the file"),  # what the reader gives past the last character
}

# What PyYAML was reading ("while scanning a simple key", "while parsing a block mapping").
_THINGS: dict[str, Text] = {
    "a block mapping": Text("缩进的键值块", "an indented block of keys"),
    "a flow mapping": Text("花括号 {...} 中的键值", "the keys in braces {...}"),
    "a flow sequence": Text("方括号 [...] 中的列表", "the list in brackets [...]"),
    "a block collection": Text("缩进的列表或键值块", "an indented list or block of keys"),
    "a simple key": Text("键", "a key"),
    "a quoted scalar": Text("带引号的文本", "a quoted text"),
    "a double-quoted scalar": Text("双引号文本", "a double-quoted text"),
    "a single-quoted scalar": Text("单引号文本", "a single-quoted text"),
    "a plain scalar": Text("文本", "a text"),
    "a block scalar": Text("多行文本（| 或 >）", "a multi-line text (| or >)"),
    "a node": Text("", ""),  # "expected a value, but found ']'" needs no "(while reading a value)"
    "a block node": Text("", ""),
    "a flow node": Text("", ""),
    "a mapping": Text("键值", "the keys"),
    "a directive": Text("指令（%YAML 或 %TAG）", "a directive (%YAML or %TAG)"),
    "a tag": Text("标签（!name）", "a tag (!name)"),
    "an anchor": Text("锚点（&name）", "an anchor (&name)"),
    "an alias": Text("别名（*name）", "an alias (*name)"),
}

# Whole phrases.
_PHRASES: dict[str, Text] = {
    "mapping values are not allowed here": Text(
        "此处不能再写“键: 值”（检查冒号和缩进）",
        "a value (key: value) is not allowed here; check the colons and indentation",
    ),
    "mapping keys are not allowed here": Text("此处不允许出现键（'?'）", "a key ('?') is not allowed here"),
    "sequence entries are not allowed here": Text(
        "此处不允许出现列表项（'-'）", "a list item ('-') is not allowed here"
    ),
    "could not find expected ':'": Text("找不到键后面应有的 ':'", "the ':' after the key is missing"),
    "found unexpected end of stream": Text("文件意外结束", "the file ends before it is closed"),
    "found unexpected document separator": Text(
        "其中出现了文档分隔符（--- 或 ...）", "a document separator (--- or ...) appears inside it"
    ),
    "found duplicate YAML directive": Text("%YAML 指令重复", "the %YAML directive appears twice"),
    "found incompatible YAML document (version 1.* is required)": Text(
        "YAML 版本不兼容（须为 1.x）", "an incompatible YAML version (1.x is required)"
    ),
    "found duplicate key": Text("出现重复的键", "a key appears twice"),
    "expected a single document in the stream": Text(
        "文件中只能有一个文档", "the file may hold one document only"
    ),
    "but found another document": Text("这里又开始了另一个文档", "another document starts here"),
    "while scanning for the next token": Text("", ""),  # says nothing the problem does not
}
_EXPECTED = re.compile(r"expected (.+), but (?:found|got) (.+)")
_WHILE = re.compile(r"while (?:scanning|parsing|composing|constructing) (.+)")
_CHARACTER = re.compile(r"found character (.+) that cannot start any token")
_ESCAPE = re.compile(r"found unknown escape character (.+)")
_TAG_HANDLE = re.compile(r"found undefined tag handle (.+)|duplicate tag handle (.+)")


def token_words(name: str) -> Text:
    """A token name of PyYAML (``<scalar>``, quoted or not) in words; any other text as it is."""
    found = _TOKEN.fullmatch(name)
    if found and found.group(1) in TOKENS:
        return TOKENS[found.group(1)]
    return _PARTS.get(name, Text(name.replace(" or ", " 或 "), name))


def phrase_words(phrase: str) -> Text:
    """One of PyYAML's phrases (a problem or its context) in words; an empty Text when it says nothing."""
    if phrase in _PHRASES:
        return _PHRASES[phrase]
    if found := _EXPECTED.fullmatch(phrase):
        wanted, got = (token_words(part) for part in found.groups())
        return Text(
            f"应为{_spaced(wanted.zh)}，却遇到了{_spaced(got.zh)}",
            f"expected {wanted.en}, but found {got.en}",
        )
    if found := _WHILE.fullmatch(phrase):
        thing = _THINGS.get(found.group(1)) or token_words(found.group(1))
        return Text(f"读取{_spaced(thing.zh)}时", f"while reading {thing.en}") if thing.en else thing
    if found := _CHARACTER.fullmatch(phrase):
        if found.group(1) == "'\\t'":
            return Text(
                "这里不能出现制表符（YAML 的缩进只能用空格）",
                "a tab cannot stand here (YAML indents with spaces, never tabs)",
            )
        return Text(
            f"字符 {found.group(1)} 不能出现在这里", f"the character {found.group(1)} cannot stand here"
        )
    if found := _ESCAPE.fullmatch(phrase):
        return Text(f"未知的转义字符 {found.group(1)}", f"unknown escape character {found.group(1)}")
    if found := _TAG_HANDLE.fullmatch(phrase):
        handle = found.group(1) or found.group(2)
        return Text(
            f"标签前缀 {handle} 未定义或重复", f"the tag prefix {handle} is undefined or defined twice"
        )
    zh = _TOKEN.sub(lambda m: TOKENS[m.group(1)].zh if m.group(1) in TOKENS else m.group(0), phrase)
    en = _TOKEN.sub(lambda m: TOKENS[m.group(1)].en if m.group(1) in TOKENS else m.group(0), phrase)
    return Text(zh, en)


def syntax_error_words(problem: str | None, context: str | None) -> Text:
    """A YAML syntax error in both languages, from PyYAML's problem and context phrases."""
    if context == "expected a single document in the stream":  # PyYAML gives these two the other way round
        problem, context = context, problem
    said = [phrase_words(p) for p in (problem, context) if p]
    said = [s for s in said if s.zh or s.en]
    if not said:
        return Text("YAML 语法错误", "YAML syntax error")
    if len(said) == 1:
        return Text(f"YAML 语法错误：{said[0].zh}", f"YAML syntax error: {said[0].en}")
    first, then = said
    return Text(f"YAML 语法错误：{first.zh}（{then.zh}）", f"YAML syntax error: {first.en} ({then.en})")


def _spaced(word: str) -> str:
    """``word`` after a Chinese word: a space before it unless it starts with a Chinese character."""
    return word if "\u4e00" <= word[:1] <= "\u9fff" else f" {word}"
