"""Load YAML and JSON definition files into plain data, keeping the line:column of every node.

The tree is plain ``dict`` / ``list`` / ``str`` / ``int`` / ``float`` / ``bool`` / ``None``; a ``Marks``
side table maps JSON paths (``$.transitions[2].dest``) to 1-based (line, column) positions.

What is refused, each as a ``Problem`` (never a traceback):

* files larger than ``max_bytes`` (checked before parsing);
* bytes that are not UTF-8;
* YAML syntax errors (with the position PyYAML reports);
* duplicate keys (at the second key);
* aliases (``*name``): refused outright, so no alias bomb can expand. Anchors alone are harmless and
  ignored. Reuse in the workflow language goes through overlays (``extends``) instead;
* tags other than the plain YAML ones (``!!python/...`` and any custom tag);
* nesting deeper than ``MAX_DEPTH`` and more than ``MAX_NODES`` nodes;
* numbers a stored definition cannot hold: beyond ``±MAX_NUMBER`` (a JSON number's usual range, which
  is a float's), infinity and NaN (``1e999``, ``.inf``), whole numbers of thousands of digits;
* text holding half of a UTF-16 surrogate pair (``"\\ud800"``), which is no character and cannot be
  written as UTF-8, so it could never be stored.

Scalars follow YAML 1.2's core schema where YAML 1.1 surprises people: only ``true``/``false`` are
booleans (``yes``, ``no``, ``on``, ``off`` stay strings), dates stay strings, and mapping keys are
always the text as written.
"""

from __future__ import annotations

import bisect
import copy
import errno
import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.common.json_path import child_path, parent_path
from engine.common.suggest import near_miss
from engine.common.text import Text
from engine.common.words import word
from engine.dsl.yaml_words import syntax_error_words
from engine.errors import Problem, brief

MAX_DEPTH = 64
MAX_NODES = 200_000
DEFAULT_MAX_BYTES = 1_000_000
# The largest number a definition may hold: a float's range (RFC 8259 §6: what JSON readers agree on).
MAX_NUMBER = 2**1024  # about 1.8e308
_MAX_DIGITS = 309  # 2**1024 has 309 digits: longer whole numbers are refused without reading them
_SURROGATE = re.compile("[\ud800-\udfff]")

Position = tuple[int, int]


def number_problem(value: Any, written: str | None = None) -> Text | None:
    """Why a number read from a definition cannot be kept (None when it can): infinity, NaN, or a
    size beyond ``MAX_NUMBER``; ``written`` is the number as the file writes it."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if -MAX_NUMBER < value < MAX_NUMBER:
        return None
    if isinstance(value, float) and (value != value or not any(c.isdigit() for c in written or "")):
        word = Text("NaN ", "NaN") if value != value else Text("无穷大", "infinity")
        return Text(
            f"{word.zh}不是定义中可以使用的数字（定义以 JSON 保存，JSON 中没有这样的数）",
            f"{word.en} is not a number a definition may hold "
            "(definitions are stored as JSON, which has none)",
        )
    if written is not None:
        return out_of_range(written)
    return Text(out_of_range(brief(value, 40, "zh")).zh, out_of_range(brief(value, 40)).en)


def out_of_range(written: str) -> Text:
    """The number ``written`` (as the file writes it) is beyond what a definition may hold."""
    if len(written) <= 40:
        shown = Text(written, written)
    else:
        start = f"{written[:20]}..."
        shown = Text(f"{start}（共 {len(written)} 个字符）", f"{start} ({len(written)} characters)")
    return Text(
        f"数字 {shown.zh}{'' if shown.zh.endswith('）') else ' '}超出范围：数字须在 ±1.8e308 之内",
        f"the number {shown.en} is out of range: numbers stay within ±1.8e308",
    )


def surrogate_problem(text: str) -> Text | None:
    """Why text read from a definition cannot be kept (None when it can): it holds half of a UTF-16
    surrogate pair (``\\ud800``), which is no character and cannot be stored as UTF-8."""
    if text.isascii():
        return None
    found = _SURROGATE.search(text)
    if found is None:
        return None
    code = f"\\u{ord(found.group()):04x}"
    return Text(
        f"文本中含有 {code}，它是 UTF-16 代理对的一半，不是字符；请直接写出字符本身，或写出代理对的两半",
        f"the text holds {code}, half of a UTF-16 surrogate pair, which is no "
        "character; write the character itself, or both halves of its pair",
    )


@dataclass
class Marks:
    """JSON path -> (line, column) of each value, and of each mapping key, 1-based."""

    values: dict[str, Position] = field(default_factory=dict)
    keys: dict[str, Position] = field(default_factory=dict)
    # Where the text of a scalar starts when that is not where its value starts: after the opening
    # quote of 'x' or "x", on the line after the indicator of a block scalar (| or >).
    text_starts: dict[str, Position] = field(default_factory=dict)

    def at(self, path: str) -> Position:
        """The position of the value at ``path``, or of its nearest marked parent; (0, 0) if none."""
        current: str | None = path
        while current is not None:
            if current in self.values:
                return self.values[current]
            current = parent_path(current)
        return (0, 0)

    def text_at(self, path: str) -> Position:
        """The position of the first character of a scalar's text (inside quotes, below a | or >)."""
        return self.text_starts.get(path) or self.at(path)

    def key_at(self, path: str) -> Position:
        """The position of the key that names ``path`` (falls back to ``at``)."""
        return self.keys.get(path) or self.at(path)

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)


# --- YAML ------------------------------------------------------------------------------------------


class _Alias(Exception):
    def __init__(self, mark: yaml.Mark | None) -> None:
        super().__init__("alias")
        self.mark = mark


class _NoAliasComposer(Composer):
    """Refuse ``*alias`` the moment the parser sees it: nothing is ever expanded."""

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):  # type: ignore[attr-defined]
            event = self.peek_event()  # type: ignore[attr-defined]
            raise _Alias(event.start_mark)
        return super().compose_node(parent, index)


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    _NoAliasComposer,
    yaml.constructor.SafeConstructor,
    yaml.resolver.Resolver,
):
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        _NoAliasComposer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)


_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE  # what the pure-Python reader refuses, and says where
# _Loader over libyaml's scanner and parser, when PyYAML was built with libyaml (else None).
_FAST_LOADER: type[Any] | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(
        _NoAliasComposer,
        yaml._yaml.CParser,
        yaml.constructor.SafeConstructor,
        yaml.resolver.Resolver,
    ):
        """:class:`_Loader` over libyaml's scanner and parser: the events come from C (several times
        faster on a workflow file), composed here as :class:`_Loader` composes them, aliases refused
        the same way."""

        def __init__(self, stream: str) -> None:
            yaml._yaml.CParser.__init__(self, stream)
            _NoAliasComposer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

        def compose_scalar_node(self, anchor: dict[Any, Node]) -> ScalarNode:
            event = self.peek_event()
            if isinstance(event, yaml.ScalarEvent) and event.tag == "!":  # non-specific: plain, as in Python
                event.implicit = (True, False)
            return super().compose_scalar_node(anchor)

    _FAST_LOADER = _FastLoader


# Implicit resolvers: YAML 1.2 core booleans only, no timestamps, no `=` value tag, no merge key.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag.endswith((":int", ":float", ":null"))]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
if _FAST_LOADER is not None:  # the same resolvers, whichever reads
    _FAST_LOADER.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


def _pos(mark: yaml.Mark | None) -> Position:
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


class _Builder:
    """Turns the composed node graph into plain data, marks and problems."""

    def __init__(self, file: str, loader: _Loader, text: str) -> None:
        self.file = file
        self.loader = loader
        self.lines = text.splitlines()
        self.marks = Marks()
        self.problems: list[Problem] = []
        self.count = 0

    def problem(
        self, message: Text, position: Position, path: str, code: str, hint: Text | None = None
    ) -> None:
        self.problems.append(Problem(message, self.file, position[0], position[1], path, hint, code))

    def build(self, node: Node, path: str, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            words = Text(f"文件中的值超过 {MAX_NODES} 个", f"the file has more than {MAX_NODES} values")
            raise _TooBig(words, _pos(node.start_mark), path)
        if depth > MAX_DEPTH:
            words = Text(f"文件的嵌套超过 {MAX_DEPTH} 层", f"the file nests deeper than {MAX_DEPTH} levels")
            raise _TooBig(words, _pos(node.start_mark), path)
        self.marks.values[path] = _pos(node.start_mark)
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ_TAG:
                self.bad_tag(node, path)
            return [self.build(item, child_path(path, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            if node.tag != _MAP_TAG:
                self.bad_tag(node, path)
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    self.problem(
                        Text(
                            "键必须是简单的名称，不能是列表或映射",
                            "a key must be a plain name, not a list or a mapping",
                        ),
                        _pos(key_node.start_mark),
                        path,
                        "yaml-key",
                    )
                    continue
                key = str(key_node.value)
                sub = child_path(path, key)
                unwritable = surrogate_problem(key)
                if unwritable is not None:
                    self.problem(unwritable, _pos(key_node.start_mark), path, "yaml-value")
                    continue
                if key in result:
                    first = self.marks.keys.get(sub, (0, 0))
                    self.problem(
                        Text(
                            f"重复的键 {key!r}（第一次出现在第 {first[0]} 行）",
                            f"duplicate key {key!r} (first at line {first[0]})",
                        ),
                        _pos(key_node.start_mark),
                        sub,
                        "duplicate-key",
                        Text(
                            "同一个映射中每个键只能出现一次；请删除其中一个，或给它改名",
                            "each key may appear once in a mapping; remove or rename one of them",
                        ),
                    )
                    continue
                self.marks.keys[sub] = _pos(key_node.start_mark)
                result[key] = self.build(value_node, sub, depth + 1)
            return result
        return None  # pragma: no cover - PyYAML only composes the three node kinds

    def scalar(self, node: ScalarNode, path: str) -> Any:
        line, column = _pos(node.start_mark)
        if node.style in ("'", '"'):
            self.marks.text_starts[path] = (line, column + 1)
        elif node.style in ("|", ">") and line < len(self.lines):
            below = self.lines[line]  # the line after the indicator (``line`` is 1-based)
            self.marks.text_starts[path] = (line + 1, len(below) - len(below.lstrip(" ")) + 1)
        if node.tag not in _PLAIN_TAGS:
            self.bad_tag(node, path)
            return node.value
        if node.tag == "tag:yaml.org,2002:int" and len(node.value) > _MAX_DIGITS + 2:  # past int()'s limit
            self.problem(out_of_range(node.value), _pos(node.start_mark), path, "yaml-value")
            return None
        try:
            value = self.loader.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError):
            words = Text(
                f"无法读取值 {brief(node.value, 40, 'zh')}", f"cannot read the value {brief(node.value, 40)}"
            )
            self.problem(words, _pos(node.start_mark), path, "yaml-value")
            return node.value
        unwritable = surrogate_problem(value) if isinstance(value, str) else number_problem(value, node.value)
        if unwritable is not None:
            self.problem(unwritable, _pos(node.start_mark), path, "yaml-value")
            return None
        return value

    def bad_tag(self, node: Node, path: str) -> None:
        self.problem(
            Text(f"不允许使用标签 {node.tag!r}", f"the tag {node.tag!r} is not allowed"),
            _pos(node.start_mark),
            path,
            "yaml-tag",
            Text("定义是纯数据：请删除以 '!' 开头的标签", "definitions are plain data: remove the '!' tag"),
        )


class _TooBig(Exception):
    def __init__(self, words: Text, position: Position, path: str) -> None:
        super().__init__(words.en)
        self.words = words
        self.position = position
        self.path = path


def _decode(text: str | bytes, file: str, max_bytes: int) -> tuple[str | None, list[Problem]]:
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        return None, [
            Problem(
                _too_large(size, max_bytes),
                file,
                1,
                1,
                "$",
                Text(
                    "请拆分成较小的文件（覆盖定义可以扩展共用的工作流）",
                    "split it into smaller files (an overlay can extend a shared workflow)",
                ),
                "too-large",
            )
        ]
    if isinstance(text, bytes):
        raw = text
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            before = raw[: error.start]
            line = before.count(b"\n") + 1
            column = len(before) - (before.rfind(b"\n") + 1) + 1
            return None, [
                Problem(
                    Text(
                        f"文件不是 UTF-8 编码（字节 0x{raw[error.start]:02x}）",
                        f"the file is not UTF-8 (byte 0x{raw[error.start]:02x})",
                    ),
                    file,
                    line,
                    column,
                    "$",
                    Text("请将文件保存为 UTF-8 编码", "save the file as UTF-8"),
                    "encoding",
                )
            ]
    return text.removeprefix("\ufeff"), []


def _reader_problem(error: yaml.reader.ReaderError, text: str, file: str) -> Problem:
    """A character YAML does not accept (control characters and the like)."""
    before = text[: error.position]
    line = before.count("\n") + 1
    column = error.position - (before.rfind("\n") + 1) + 1
    character = error.character if isinstance(error.character, str) else chr(error.character)
    return Problem(
        Text(
            f"YAML 中不允许出现字符 U+{ord(character):04X}",
            f"the character U+{ord(character):04X} is not allowed in YAML",
        ),
        file,
        line,
        column,
        "$",
        Text(
            "请删除它；只能使用可打印的字符、制表符和换行",
            "remove it; only printable characters, tabs and line breaks may appear",
        ),
        "yaml-syntax",
    )


_TOO_DEEP = Text("文件的嵌套层次太深", "the file nests too deeply")


def _too_large(size: int, limit: int) -> Text:
    return Text(
        f"文件大小为 {size} 字节，超出上限 {limit} 字节", f"the file is {size} bytes; the limit is {limit}"
    )


def load_yaml(
    text: str | bytes, file: str = "<string>", *, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[Any, Marks, list[Problem]]:
    """Parse one YAML document into ``(tree, marks, problems)``; the tree is None when unreadable.

    Read with libyaml's scanner and parser when PyYAML has them (``_FAST_LOADER``); a text they
    refuse is read again by the pure-Python ones, so that what is wrong is worded and placed the same
    whichever read it first."""
    decoded, problems = _decode(text, file, max_bytes)
    if decoded is None:
        return None, Marks(), problems
    if _FAST_LOADER is not None and not _NON_PRINTABLE.search(decoded):
        found = _compose(_FAST_LOADER, decoded, file)
        if not any(p.code == "yaml-syntax" for p in found[2]):
            return found
    return _compose(_Loader, decoded, file)


def _compose(loader_class: type[Any], decoded: str, file: str) -> tuple[Any, Marks, list[Problem]]:
    try:
        loader = loader_class(decoded)
    except yaml.reader.ReaderError as error:
        return None, Marks(), [_reader_problem(error, decoded, file)]
    builder = _Builder(file, loader, decoded)
    try:
        node = loader.get_single_node()
        tree = builder.build(node, "$", 0) if node is not None else None
    except _Alias as alias:
        line, column = _pos(alias.mark)
        return (
            None,
            builder.marks,
            [
                Problem(
                    Text("不允许使用别名（*name）", "aliases (*name) are not allowed"),
                    file,
                    line,
                    column,
                    "$",
                    Text(
                        "请直接写出值，或用覆盖定义（extends:）共用整个工作流",
                        "write the value out, or share a whole workflow with an overlay (extends:)",
                    ),
                    "yaml-alias",
                )
            ],
        )
    except yaml.reader.ReaderError as error:
        return None, builder.marks, [_reader_problem(error, decoded, file)]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = _pos(mark)
        words = syntax_error_words(error.problem, error.context)
        return (
            None,
            builder.marks,
            [Problem(words, file, line, column, "$", None, "yaml-syntax")],
        )
    except yaml.YAMLError as error:
        words = Text(f"YAML 错误：{error}", f"YAML error: {error}")
        return None, builder.marks, [Problem(words, file, 1, 1, "$", None, "yaml-syntax")]
    except _TooBig as too_big:
        line, column = too_big.position
        return (
            None,
            builder.marks,
            [Problem(too_big.words, file, line, column, too_big.path, None, "too-large")],
        )
    except RecursionError:
        return None, builder.marks, [Problem(_TOO_DEEP, file, 1, 1, "$", None, "too-large")]
    finally:
        loader.dispose()
    return tree, builder.marks, builder.problems


# --- JSON ------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_WHITESPACE = re.compile(r"[ \t\n\r]*")


class _JsonError(Exception):
    def __init__(self, words: Text, index: int) -> None:
        super().__init__(words.en)
        self.words = words
        self.index = index


def _expected(name: str) -> Text:
    """What the JSON reader expected where it stopped (``definition.json.<name>``), in zh and en."""
    said = word(f"definition.json.{name}")
    return Text(said.zh.format(), said.en.format())


# What Python's string reader says of a bad string, in Chinese.
_JSON_STRING_ZH = {
    "Unterminated string starting at": "字符串没有结束",
    "Invalid control character at": "字符串中有不允许的控制字符（如换行或制表符，应写作 \\n、\\t）",
    "Invalid \\escape": "无效的转义序列",
    "Invalid \\uXXXX escape": "无效的 \\uXXXX 转义",
}


class _JsonReader:
    """A small strict JSON reader that records where each value and key starts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.marks = Marks()
        self.duplicates: list[tuple[str, int, str]] = []
        self.unreadable: list[tuple[Text, int, str]] = []  # (message, index, path): values not kept
        self.count = 0

    def position(self, index: int) -> Position:
        line = bisect.bisect_right(self.line_starts, index)
        return (line, index - self.line_starts[line - 1] + 1)

    def skip(self, index: int) -> int:
        match = _WHITESPACE.match(self.text, index)
        return match.end() if match else index

    def value(self, index: int, path: str, depth: int) -> tuple[Any, int]:
        self.count += 1
        if depth > MAX_DEPTH or self.count > MAX_NODES:
            raise _JsonError(
                Text(
                    "文件的嵌套层次太深，或其中的值太多", "the file nests too deeply or has too many values"
                ),
                index,
            )
        index = self.skip(index)
        self.marks.values[path] = self.position(index)
        char = self.text[index : index + 1]
        if char == "{":
            return self.object(index + 1, path, depth)
        if char == "[":
            items: list[Any] = []
            index = self.skip(index + 1)
            if self.text[index : index + 1] == "]":
                return items, index + 1
            while True:
                item, index = self.value(index, child_path(path, len(items)), depth + 1)
                items.append(item)
                index = self.skip(index)
                char = self.text[index : index + 1]
                if char == "]":
                    return items, index + 1
                if char != ",":
                    raise _JsonError(_expected("expected_list_end"), index)
                index += 1
        if char == '"':
            return self.string(index, path)
        for written, literal in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(written, index):
                return literal, index + len(written)
        match = _NUMBER.match(self.text, index)
        if match:
            return self.number(match, path), match.end()
        raise _JsonError(_expected("expected_value"), index)

    def number(self, match: re.Match[str], path: str) -> int | float | None:
        """The number ``match`` wrote, or None with a problem when a definition may not hold it."""
        written = match.group()
        if match.group(1) or match.group(2):
            value: int | float = float(written)
        elif len(written) > _MAX_DIGITS + 1:  # refused unread: int() refuses it past 4,300 digits
            self.unreadable.append((out_of_range(written), match.start(), path))
            return None
        else:
            value = int(written)
        problem = number_problem(value, written)
        if problem is not None:
            self.unreadable.append((problem, match.start(), path))
            return None
        return value

    def string(self, index: int, path: str) -> tuple[str, int]:
        try:
            text, end = json.decoder.scanstring(self.text, index + 1, True)  # type: ignore[attr-defined]
        except json.JSONDecodeError as error:
            raise _JsonError(Text(_JSON_STRING_ZH.get(error.msg, error.msg), error.msg), error.pos) from None
        problem = surrogate_problem(text)
        if problem is not None:
            self.unreadable.append((problem, index, path))
        return str(text), int(end)

    def object(self, index: int, path: str, depth: int) -> tuple[dict[str, Any], int]:
        result: dict[str, Any] = {}
        index = self.skip(index)
        if self.text[index : index + 1] == "}":
            return result, index + 1
        while True:
            if self.text[index : index + 1] != '"':
                raise _JsonError(_expected("expected_key"), index)
            key_index = index
            key, index = self.string(index, path)
            sub = child_path(path, key)
            index = self.skip(index)
            if self.text[index : index + 1] != ":":
                raise _JsonError(_expected("expected_colon"), index)
            first_mark = self.marks.values.get(sub)
            item, index = self.value(index + 1, sub, depth + 1)
            if key in result:
                self.duplicates.append((key, key_index, sub))
                if first_mark is not None:
                    self.marks.values[sub] = first_mark
            else:
                self.marks.keys[sub] = self.position(key_index)
                result[key] = item
            index = self.skip(index)
            char = self.text[index : index + 1]
            if char == "}":
                return result, index + 1
            if char != ",":
                raise _JsonError(_expected("expected_object_end"), index)
            index = self.skip(index + 1)


def _json_syntax(words: Text) -> Text:
    return Text(f"JSON 语法错误：{words.zh}", f"JSON syntax error: {words.en}")


def load_json(
    text: str | bytes, file: str = "<string>", *, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[Any, Marks, list[Problem]]:
    """Parse strict JSON into ``(tree, marks, problems)`` like ``load_yaml``."""
    decoded, problems = _decode(text, file, max_bytes)
    if decoded is None:
        return None, Marks(), problems
    reader = _JsonReader(decoded)
    try:
        tree, end = reader.value(0, "$", 0)
        end = reader.skip(end)
        if end != len(decoded):
            raise _JsonError(Text("JSON 值的后面还有多余的内容", "extra data after the JSON value"), end)
    except _JsonError as error:
        line, column = reader.position(error.index)
        return (
            None,
            reader.marks,
            [Problem(_json_syntax(error.words), file, line, column, "$", None, "json-syntax")],
        )
    except RecursionError:
        return None, reader.marks, [Problem(_TOO_DEEP, file, 1, 1, "$", None, "too-large")]
    for key, index, sub in reader.duplicates:
        line, column = reader.position(index)
        words = Text(f"重复的键 {key!r}", f"duplicate key {key!r}")
        problems.append(Problem(words, file, line, column, sub, None, "duplicate-key"))
    if reader.unreadable:  # a value left out would be read as another problem: none is checked further
        for message, index, where in reader.unreadable:
            line, column = reader.position(index)
            problems.append(Problem(message, file, line, column, where, None, "json-value"))
        return None, reader.marks, sorted(problems, key=lambda p: (p.line, p.column))
    return tree, reader.marks, problems


def shown_path(path: Path, root: Path) -> str:
    """How a file is named in problems: relative to the definitions root when inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


# Texts read in place of files: a draft the studio checks or publishes is seen by every check exactly as
# if it were the file at its path (a workflow naming a form checks the draft of that form), and files
# that are not drafted are read from disk. Keyed by the resolved path; set with :func:`drafts_over_files`.
_DRAFTS: ContextVar[Mapping[Path, bytes]] = ContextVar("definition_drafts", default=MappingProxyType({}))


@contextmanager
def drafts_over_files(drafts: Mapping[Path, str | bytes]) -> Iterator[None]:
    """Within the block, reading a definition file at one of these paths reads the text given instead
    (a path with no file behind it exists as that text); every other file is read from disk."""
    merged = dict(_DRAFTS.get())
    for path, text in drafts.items():
        merged[path.resolve()] = text.encode("utf-8") if isinstance(text, str) else text
    token = _DRAFTS.set(merged)
    try:
        yield
    finally:
        _DRAFTS.reset(token)


def definition_exists(path: Path) -> bool:
    """Whether a definition file is there: a draft over it, or a file on disk."""
    return path.resolve() in _DRAFTS.get() or path.is_file()


def definition_files(folder: Path, suffixes: Collection[str]) -> list[Path]:
    """The definition files under ``folder`` (recursively) with one of ``suffixes``, drafts included,
    sorted."""
    found = (
        {p for p in folder.rglob("*") if p.suffix in suffixes and p.is_file()} if folder.is_dir() else set()
    )
    base = folder.resolve()
    for path in _DRAFTS.get():
        if path.suffix in suffixes and base in path.parents:
            found.add(folder / path.relative_to(base))
    return sorted(found)


class FileTooLarge(ValueError):
    """A definition file larger than a reader takes, refused before it is read (``words``: in zh and en)."""

    def __init__(self, size: int, limit: int) -> None:
        self.words = _too_large(size, limit)
        super().__init__(self.words.en)
        self.size = size
        self.limit = limit


# Why a file could not be read, in Chinese, for the reasons people meet (else the system's words).
_OS_ERRORS_ZH = {
    errno.ENOENT: "文件不存在",
    errno.EACCES: "没有读取权限",
    errno.EPERM: "没有读取权限",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.ENOTDIR: "路径中的某一部分不是文件夹",
}


def read_definition(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a definition file (its draft when one is set); ``OSError`` when it cannot be read,
    ``ValueError`` (with the sizes) when it is larger than ``max_bytes``, refused before reading."""
    drafted = _DRAFTS.get().get(path.resolve())
    size = len(drafted) if drafted is not None else path.stat().st_size
    if size > max_bytes:
        raise FileTooLarge(size, max_bytes)
    return drafted if drafted is not None else path.read_bytes()


def load_file(
    path: Path, shown: str, loader: str, *, read_only: bool = False
) -> tuple[Any, Marks, list[Problem]]:
    """A definition file (or its draft, :func:`drafts_over_files`) read and parsed (``loader``:
    ``"yaml"`` or ``"json"``) with its marks; one that is too large or cannot be read is a problem, not
    an exception. ``read_only``: the caller never changes the tree, which may then be shared with
    other reads of the same content instead of copied."""
    data = read_or_problem(path, shown)
    if isinstance(data, Problem):
        return None, Marks(), [data]
    return _parsed(data, shown, loader, read_only)


def read_or_problem(path: Path, shown: str) -> bytes | Problem:
    """:func:`read_definition`, with a file too large or one that cannot be read as the problem it is
    (shown as ``shown``)."""
    try:
        return read_definition(path)
    except FileTooLarge as error:
        return Problem(error.words, shown, 1, 1, "$", None, "too-large")
    except OSError as error:
        why = _OS_ERRORS_ZH.get(error.errno or 0, error.strerror)
        words = Text(f"无法读取文件：{why}", f"cannot read the file: {error.strerror}")
        return Problem(words, shown, 0, 0, "$", None, "io")


# What the same bytes parse to, kept for the next read: checking a draft as it is typed reads the
# definitions root's other files again at every keystroke, and a parse in pure Python (for the marks)
# is most of a check's time. Keyed by the content's digest, the name it is shown under and the syntax;
# each read gets its own copy of the tree (callers may build on it).
_PARSED: OrderedDict[tuple[str, str, str], tuple[Any, Marks, list[Problem]]] = OrderedDict()
_PARSED_KEPT = 256
_PARSED_LOCK = threading.Lock()


def _parsed(data: bytes, shown: str, loader: str, read_only: bool) -> tuple[Any, Marks, list[Problem]]:
    key = (hashlib.sha256(data).hexdigest(), shown, loader)
    with _PARSED_LOCK:
        found = _PARSED.get(key)
        if found is not None:
            _PARSED.move_to_end(key)
    if found is None:
        found = load_json(data, shown) if loader == "json" else load_yaml(data, shown)
        with _PARSED_LOCK:
            _PARSED[key] = found
            while len(_PARSED) > _PARSED_KEPT:
                _PARSED.popitem(last=False)
    tree, marks, problems = found
    return (tree if read_only else copy.deepcopy(tree)), marks, list(problems)


# --- reading a document by its marks ----------------------------------------------------------------


def spaced(zh: str, following: str) -> str:
    """Chinese words after a name or key written in Latin letters, with a space between."""
    last = zh[-1:]
    return f"{zh} {following}" if last.isascii() and (last.isalnum() or last == "'") else zh + following


class MarkedReader:
    """What the readers of a file's tree share (a rule file's cases, a scenario file): every problem
    kept with the line and column its JSON path has in the file's marks, and unknown keys refused with
    the allowed ones and the near miss."""

    code = "schema"  # the code of a problem that names none

    def __init__(self, file: str, marks: Marks) -> None:
        self.file = file
        self.marks = marks
        self.problems: list[Problem] = []

    def problem(
        self,
        message: Text,
        path: str,
        hint: Text | None = None,
        code: str | None = None,
        key: bool = False,
        suggestion: str | None = None,
    ) -> None:
        """A problem at ``path`` (at its key with ``key``: what is wrong is the key itself)."""
        line, column = self.marks.key_at(path) if key else self.marks.at(path)
        self.problems.append(
            Problem(message, self.file, line, column, path, hint, code or self.code, suggestion=suggestion)
        )

    def unknown_keys(
        self, mapping: Mapping[str, Any], path: str, allowed: Sequence[str], where: Text
    ) -> None:
        """A problem for each key of ``mapping`` not ``allowed``, at the key, with the near miss."""
        for key in mapping:
            if key not in allowed:
                self.problem(
                    Text(f"{spaced(where.zh, '中')}有未知的键 {key!r}", f"unknown key {key!r} in {where.en}"),
                    child_path(path, str(key)),
                    Text("可用的键：" + "、".join(allowed), "allowed keys: " + ", ".join(allowed)),
                    "unknown-key",
                    key=True,
                    suggestion=near_miss(str(key), allowed),
                )
