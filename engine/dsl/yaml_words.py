"""PyYAML's syntax errors in words a business admin reads, in Chinese and English.

PyYAML says what it could not parse in its own terms: ``expected <block end>, but found '<scalar>'
(while parsing a block mapping)``. Its problem and context phrases are formed from a few shapes
("expected X, but found Y", "while scanning X", "found character X that cannot start any token", …)
and its token names (``yaml/tokens.py``: ``Token.id``, such as ``<scalar>`` or ``<block mapping
start>``). Each is given words here, from the catalogue (``definition.yaml.*`` in
``engine/common/words.py``): "expected the end of the indented block, but found a value (while reading
an indented block of keys)". A phrase of no known shape keeps PyYAML's wording, with every token name in
it still put in words, so none reaches a person as ``<…>``.

Only the pure-Python parser's phrases reach people: a text libyaml refuses is read again by it
(``engine.dsl.loader.load_yaml``), so that every syntax error is worded and placed the same.
"""

from __future__ import annotations

import re

from engine.common.text import Text
from engine.common.words import word

__all__ = ["TOKEN_KEYS", "phrase_words", "syntax_error_words", "token_words"]

# Each token name of PyYAML (yaml/tokens.py, Token.id, as "but found '<scalar>'" shows it) -> its words,
# ``definition.yaml.token.<key>``. The one-character ones (',', ':', '-', '?', '[', ']', '{', '}') are
# what the person typed and stay as they are, quoted.
TOKEN_KEYS = {
    "<stream start>": "stream_start",
    "<stream end>": "stream_end",
    "<document start>": "document_start",
    "<document end>": "document_end",
    "<directive>": "directive",
    "<block sequence start>": "block_sequence_start",
    "<block mapping start>": "block_mapping_start",
    "<block end>": "block_end",
    "<alias>": "alias",
    "<anchor>": "anchor",
    "<tag>": "tag",
    "<scalar>": "scalar",
}
_TOKEN = re.compile(r"'?(<[a-z ]+>)'?")

# What PyYAML says it expected or found besides a token -> ``definition.yaml.part.<key>``.
_PART_KEYS = {
    "the node content": "value",
    "a comment or a line break": "comment_or_line_break",
    "alphabetic or numeric character": "letter_or_digit",
    "indentation indicator in the range 1-9": "indentation",
    "chomping or indentation indicators": "chomping",
    "a digit": "digit",
    "a digit or '.'": "digit_or_dot",
    "a digit or ' '": "digit_or_space",
    "' '": "space",
    "URI": "uri",
    "'\\n'": "line_break",
    "'\\t'": "tab",
    "'\\x00'": "end_of_file",  # what the reader gives past the last character
}

# What PyYAML was reading ("while scanning a simple key") -> ``definition.yaml.thing.<key>``; None: the
# context says nothing the problem does not ("expected a value, but found ']'" while reading a value).
_THING_KEYS: dict[str, str | None] = {
    "a block mapping": "block_mapping",
    "a flow mapping": "flow_mapping",
    "a flow sequence": "flow_sequence",
    "a block collection": "block_collection",
    "a simple key": "simple_key",
    "a quoted scalar": "quoted",
    "a double-quoted scalar": "double_quoted",
    "a single-quoted scalar": "single_quoted",
    "a plain scalar": "plain",
    "a block scalar": "block_scalar",
    "a mapping": "mapping",
    "a directive": "directive",
    "a tag": "tag",
    "an anchor": "anchor",
    "an alias": "alias",
    "a node": None,
    "a block node": None,
    "a flow node": None,
    "for the next token": None,
}

# Whole phrases -> ``definition.yaml.<key>``.
_PHRASE_KEYS = {
    "mapping values are not allowed here": "mapping_values",
    "mapping keys are not allowed here": "mapping_keys",
    "sequence entries are not allowed here": "sequence_entries",
    "could not find expected ':'": "no_colon",
    "found unexpected end of stream": "end_of_stream",
    "found unexpected document separator": "document_separator",
    "found duplicate YAML directive": "duplicate_directive",
    "found incompatible YAML document (version 1.* is required)": "incompatible",
    "found duplicate key": "duplicate_key",
    "expected a single document in the stream": "single_document",
    "but found another document": "another_document",
}
_EXPECTED = re.compile(r"expected (.+), but (?:found|got) (.+)")
_WHILE = re.compile(r"while (?:scanning|parsing|composing|constructing) (.+)")
_CHARACTER = re.compile(r"found character (.+) that cannot start any token")
_ESCAPE = re.compile(r"found unknown escape character (.+)")
_TAG_HANDLE = re.compile(r"found undefined tag handle (.+)|duplicate tag handle (.+)")
_NOTHING = Text("", "")


def _said(key: str, zh: dict[str, str] | None = None, en: dict[str, str] | None = None) -> Text:
    """The catalogue's ``definition.yaml.<key>``, its placeholders filled in each language."""
    text = word(f"definition.yaml.{key}")
    return Text(text.zh.format(**(zh or {})), text.en.format(**(en or {})))


def token_words(name: str) -> Text:
    """A token name of PyYAML (``<scalar>``, quoted or not), or another part of what it expected or
    found, in words; any other text as it is."""
    found = _TOKEN.fullmatch(name)
    if found and found.group(1) in TOKEN_KEYS:
        return _said(f"token.{TOKEN_KEYS[found.group(1)]}")
    if name in _PART_KEYS:
        return _said(f"part.{_PART_KEYS[name]}")
    return Text(name.replace(" or ", " 或 "), name)


def phrase_words(phrase: str) -> Text:
    """One of PyYAML's phrases (a problem or its context) in words; an empty Text when it says nothing
    the other does not."""
    if phrase in _PHRASE_KEYS:
        return _said(_PHRASE_KEYS[phrase])
    if found := _EXPECTED.fullmatch(phrase):
        wanted, got = (token_words(part) for part in found.groups())
        return _said(
            "expected",
            {"wanted": _spaced(wanted.zh), "got": _spaced(got.zh)},
            {"wanted": wanted.en, "got": got.en},
        )
    if found := _WHILE.fullmatch(phrase):
        if found.group(1) in _THING_KEYS:
            key = _THING_KEYS[found.group(1)]
            if key is None:
                return _NOTHING
            thing = _said(f"thing.{key}")
        else:
            thing = token_words(found.group(1))
        return _said("while", {"thing": _spaced(thing.zh)}, {"thing": thing.en})
    if found := _CHARACTER.fullmatch(phrase):
        if found.group(1) == "'\\t'":
            return _said("tab")
        return _said("character", {"character": found.group(1)}, {"character": found.group(1)})
    if found := _ESCAPE.fullmatch(phrase):
        return _said("escape", {"character": found.group(1)}, {"character": found.group(1)})
    if found := _TAG_HANDLE.fullmatch(phrase):
        handle = found.group(1) or found.group(2)
        return _said("tag_handle", {"handle": handle}, {"handle": handle})
    return Text(
        _TOKEN.sub(lambda m: token_words(m.group(0)).zh, phrase),
        _TOKEN.sub(lambda m: token_words(m.group(0)).en, phrase),
    )


def syntax_error_words(problem: str | None, context: str | None) -> Text:
    """A YAML syntax error in both languages, from PyYAML's problem and context phrases."""
    if context == "expected a single document in the stream":  # PyYAML gives these two the other way round
        problem, context = context, problem
    said = [words for words in (phrase_words(p) for p in (problem, context) if p) if words.en]
    if not said:
        return _said("syntax")
    if len(said) == 1:
        return _said("syntax_one", {"problem": said[0].zh}, {"problem": said[0].en})
    first, then = said
    return _said(
        "syntax_two", {"problem": first.zh, "context": then.zh}, {"problem": first.en, "context": then.en}
    )


def _spaced(text: str) -> str:
    """``text`` after a Chinese word: a space before it unless it starts with a Chinese character."""
    return text if "\u4e00" <= text[:1] <= "\u9fff" else f" {text}"
