"""One exception family for everything the engine refuses.

Callers catch the child they can act on: a definition that does not compile, a transition the
order may not take, a concurrent change, a plugin that failed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from engine.common.suggest import suggestion_text
from engine.common.text import Text
from engine.common.words import words_of


def brief(value: Any, limit: int = 60, lang: str = "en") -> str:
    """``repr(value)`` as a message quotes a value: whole when short, else its start and its size, so
    an error never echoes a whole over-long text (or a number ``repr`` refuses to write) back. The words
    around a shortened value are in ``lang`` (``zh…`` for Chinese, else English)."""
    zh = lang.startswith("zh")
    if type(value) is int and value.bit_length() > 4 * limit:  # repr() refuses past 4,300 digits
        digits = int(math.log10(abs(value))) + 1
        return f"约 {digits} 位的整数" if zh else f"a whole number of about {digits} digits"
    if type(value) is str and len(value) > limit:
        start = f"{value[: max(limit - 20, 10)]!r}..."
        return f"{start}（共 {len(value)} 个字符）" if zh else f"{start} ({len(value)} characters)"
    try:
        text = repr(value)
    except ValueError:  # a container holding such a number
        kind = type(value).__name__
        return f"过大而无法显示的 {kind}" if zh else f"a {kind} too large to show"
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def schema_message(error: Any) -> Text:
    """A jsonschema ``ValidationError``'s message in Chinese and English, without echoing a long value
    whole (jsonschema quotes the value it refuses: 900 KB of text would come back 900 KB long).

    The English is jsonschema's own message (the value in it shortened); the Chinese says the same by
    the kind of check that failed (``required``, ``type``, ``enum`` ...), with the same values."""
    instance = error.instance
    if error.validator == "maxLength" and isinstance(instance, str):
        return Text(
            f"文本有 {len(instance)} 个字符，太长；上限为 {error.validator_value}",
            f"text of {len(instance)} characters is too long; the limit is {error.validator_value}",
        )
    en = str(error.message)
    huge_number = isinstance(instance, int) and not isinstance(instance, bool) and instance.bit_length() > 200
    if (isinstance(instance, str | list | dict) and len(instance) > 60) or huge_number:
        en = en.replace(repr(instance), brief(instance))
    return Text(_schema_message_zh(error, en), en)


def _schema_message_zh(error: Any, en: str) -> str:
    """The Chinese of a jsonschema error, by its validator; ``en`` is the English (for a check jsonschema
    has that is not worded here, whose message the Chinese then quotes)."""
    keyword = error.validator
    instance = error.instance
    value = error.validator_value
    shown = _listed_zh(instance) if isinstance(instance, list) else brief(instance, lang="zh")
    message = str(error.message)
    if keyword == "required":
        names = [n for n in value if isinstance(instance, dict) and n not in instance]
        name = next((n for n in names if message == f"{n!r} is a required property"), None)
        return f"缺少必需的键 {name!r}" if name is not None else f"缺少必需的键（应有：{_quoted(value)}）"
    if keyword == "type":
        wanted = value if isinstance(value, list) else [value]
        words = "或".join(_TYPE_WORDS_ZH.get(str(t), str(t)) for t in wanted)
        return f"{shown} 的类型不对：应为{words}"
    if keyword == "enum":
        choices = _quoted_zh(value) if isinstance(value, list) else brief(value, lang="zh")
        return f"{shown} 不在可选的值 {choices} 之中"
    if keyword == "const":
        return f"此处的值应为 {_listed_zh(value) if isinstance(value, list) else brief(value, lang='zh')}"
    if keyword in _COUNTED_ZH:
        bound, at_bound, otherwise = _COUNTED_ZH[keyword]
        return (at_bound if value == bound else otherwise).format(shown=shown, value=value)
    if keyword in _CHECKED_ZH:
        return _CHECKED_ZH[keyword].format(shown=shown, value=value)
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        declared = schema.get("properties") or {}
        patterns = [str(p) for p in schema.get("patternProperties") or {}]
        extra = sorted(
            (
                str(k)
                for k in instance
                if k not in declared and not any(re.search(p, str(k)) for p in patterns)
            ),
        )
        if patterns and keyword == "additionalProperties":
            return f"键 {_quoted(extra)} 不符合以下任何一个正则表达式：{_quoted(sorted(patterns))}"
        return f"不允许的键：{_quoted(extra)}"
    if keyword == "dependentRequired" and isinstance(instance, dict) and isinstance(value, dict):
        for key, needed in value.items():
            for each in needed if key in instance else ():
                if message == f"{each!r} is a dependency of {key!r}":
                    return f"有键 {key!r} 时也必须有键 {each!r}"
    if keyword in ("anyOf", "oneOf") and message.endswith("is not valid under any of the given schemas"):
        return f"{shown} 不符合任何一种允许的写法"
    if keyword == "oneOf":
        return f"{shown} 同时符合多种写法，只能符合其中一种"
    if keyword is None:  # the schema ``false``: nothing may be written here
        return f"此处不允许有值（{shown}）"
    return f"不符合 JSON Schema 的 {keyword!r} 规则：{en}"


# The Chinese of the checks whose message needs only the value refused (``shown``) and the schema's
# value (``value``), by JSON Schema keyword.
_CHECKED_ZH = {
    "minimum": "{shown} 小于最小值 {value!r}",
    "maximum": "{shown} 大于最大值 {value!r}",
    "exclusiveMinimum": "{shown} 必须大于 {value!r}",
    "exclusiveMaximum": "{shown} 必须小于 {value!r}",
    "multipleOf": "{shown} 不是 {value} 的整数倍",
    "uniqueItems": "{shown} 中有重复的项",
    "pattern": "{shown} 不符合格式 {value!r}",
    "format": "{shown} 不是有效的 {value!r}",
    "contains": "{shown} 中没有符合要求的项",
    "minContains": "{shown} 中符合要求的项太少：至少要有 {value} 项",
    "maxContains": "{shown} 中符合要求的项太多：最多 {value} 项",
    "not": "{shown} 不能是这样的值",
}

# The Chinese of the checks that count (characters, items, keys): keyword -> (the bound said in other
# words, the words at that bound, the words otherwise): a minimum of one character is "not empty".
_COUNTED_ZH = {
    "minLength": (1, "{shown} 不能是空文本", "{shown} 太短：至少要有 {value} 个字符"),
    "maxLength": (0, "{shown} 应为空文本", "{shown} 太长：最多 {value} 个字符"),
    "minItems": (1, "{shown} 不能为空", "{shown} 的项太少：至少要有 {value} 项"),
    "maxItems": (0, "{shown} 应为空", "{shown} 的项太多：最多 {value} 项"),
    "minProperties": (1, "{shown} 不能为空", "{shown} 的键太少：至少要有 {value} 个"),
    "maxProperties": (0, "{shown} 应为空", "{shown} 的键太多：最多 {value} 个"),
}


def _quoted(names: Iterable[Any]) -> str:
    return "、".join(repr(name) for name in names)


# How many items of a list a Chinese message names before it says how many more there are.
_LISTED_ZH = 8


def _quoted_zh(values: list[Any]) -> str:
    """Values as a Chinese reader reads a list: ``'a'、'b'、'c'``, each shortened, the first eight then
    how many in all."""
    named = "、".join(brief(v, lang="zh") for v in values[:_LISTED_ZH])
    return named if len(values) <= _LISTED_ZH else f"{named} 等 {len(values)} 项"


def _listed_zh(values: list[Any]) -> str:
    """A list value in a Chinese message: ``列表（1、1）``, ``空列表``."""
    return f"列表（{_quoted_zh(values)}）" if values else "空列表"


# The words of the JSON types as the definition checks name them, in Chinese.
_TYPE_WORDS_ZH = {name: text.zh for name, text in words_of("definition.type").items()}


class ProblemKind(StrEnum):
    """What sort of problem a definition file has, as an editor's problems panel groups them.

    The kinds follow the order a file is read in: the file itself, its syntax, its shape, the names it
    uses, its conditions, and last what it means as a whole. ``Problem.code`` says exactly which one.
    """

    FILE = "file"  # the file cannot be read at all: missing, unreadable, too large, empty, the wrong kind
    SYNTAX = "syntax"  # not valid YAML or JSON, or written with what the loader refuses (aliases, tags)
    SCHEMA = "schema"  # the shape: a key missing or unknown, a value of the wrong type or out of range
    REFERENCE = "reference"  # a name that names nothing declared, or one name given to two things
    EXPRESSION = "expression"  # a condition or computed value that does not parse or mixes types
    LOGIC = "logic"  # well formed, but cannot work as written: a dead end, an unreachable state ...


class Severity(StrEnum):
    """An error stops a file from being published; a warning is shown and the file still runs."""

    ERROR = "error"
    WARNING = "warning"


# Every problem code the engine gives, under its kind. A code not listed is ``LOGIC``
# (tests/engine/test_errors.py checks that every code written in engine/ is listed).
_CODES: Mapping[ProblemKind, tuple[str, ...]] = {
    ProblemKind.FILE: ("io", "too-large", "empty-file", "not-a-workflow", "bad-form", "ui-without-form"),
    ProblemKind.SYNTAX: (
        *("yaml-syntax", "yaml-alias", "yaml-tag", "yaml-key", "yaml-value", "json-syntax", "json-value"),
        *("duplicate-key", "encoding"),
    ),
    ProblemKind.SCHEMA: (
        *("schema", "missing-key", "unknown-key", "wrong-type", "bad-value", "empty", "schema-name"),
        *("form", "form-schema", "ui-schema", "rules", "correlation", "cases", "unsupported-kind"),
        *("unsupported-rules-kind", "foreign-key", "not-a-number", "bad-cell", "bad-outcome"),
        *("widget-type", "unknown-format", "bad-format", "enum-title", "unknown-keyword", "error"),
        *("unknown-message-keyword", "unknown-type", "pattern-hint"),
        *("bad-time", "bad-duration", "bad-path", "bad-record"),
    ),
    ProblemKind.REFERENCE: (
        *("unknown-state", "unknown-role", "unknown-outcome", "unknown-output", "unknown-action"),
        *("unknown-workflow", "unknown-source", "unknown-rule", "unknown-input"),
        *("unknown-field", "missing-file", "bad-base", "overlay-unknown-state", "wrong-ruleset"),
        *("overlay-unknown-transition", "duplicate-rule", "duplicate-pattern", "duplicate-item"),
        *("duplicate-input", "duplicate-group", "duplicate-case", "duplicate-candidate"),
        *("duplicate-workflow", "overlay-duplicate-state", "field-twice", "reserved-trigger"),
        *("order-field", "owned-field", "required-undeclared", "unknown-queue"),
        *("set-unknown-field", "set-order-field", "set-twice", "shows-unknown-field"),
        *("undeclared-list", "list-kind", "unknown-record-kind"),
        *("unknown-trigger", "unknown-user", "unknown-channel", "unknown-order", "duplicate"),
    ),
    ProblemKind.EXPRESSION: (
        *("expression", "bad-condition", "bad-computed", "type-mismatch", "never-value"),
        *("computed-cycle", "condition-in-rows", "bad-prefill", "prefill-in-rows", "prefill-computed"),
        *("timer-at",),
    ),
    ProblemKind.LOGIC: (
        *("unreachable", "dead-end", "after-join", "timer-trigger", "timer-join", "join-never"),
        *("region-no-final", "region-scope", "from-final", "final-timers", "final-parallel"),
        *("interrupts-nothing", "trigger-forms", "extends-cycle", "overlay-state-in-use"),
        *("ambiguous-trigger", "dest-without-rules", "bad-rules", "refusal-without-when"),
        *("unmapped-outcome", "missing-hold", "missing-outcome", "missing-output"),
        *("missing-outcome-output", "outcome-in-default-outputs", "unranked-outcome"),
        *("overlapping-rows", "unreachable-row", "mixed-priorities", "missing-priority"),
        *("priority-without-priority", "priorities-without-priority", "aggregated-outcome"),
        *("aggregation-without-collect", "no-weight", "unserved-distance"),
        *("approval-state", "approval-sign", "approval-trigger", "approval-return", "approval-timeout"),
        *("previous-state", "search-without-data", "approval-auto", "approval-approver"),
        *("set-without-data-form", "shows-without-data-form", "shows-on-auto", "timer-when"),
    ),
}
PROBLEM_KINDS: Mapping[str, ProblemKind] = {code: kind for kind, codes in _CODES.items() for code in codes}


def problem_kind(code: str) -> ProblemKind:
    """The kind of the problem ``code`` names (``LOGIC`` for a code not listed)."""
    return PROBLEM_KINDS.get(code, ProblemKind.LOGIC)


class Worded:
    """What is wrong, said in Chinese and English (``words``), how to put it right (``hint_words``) and
    the name most likely meant (``suggestion``), read in either language: a :class:`Problem` and what
    the checks find before it is one."""

    words: Text
    hint_words: Text | None
    suggestion: str | None

    @property
    def text(self) -> str:
        """What is wrong, in English (without the suggestion)."""
        return self.words.en

    @property
    def hint(self) -> str | None:
        """How to put it right, in English."""
        return None if self.hint_words is None else self.hint_words.en

    @property
    def message(self) -> str:
        """The English text with its suggestion, as ``orderloom validate`` prints it."""
        return self.message_in("en")

    def message_in(self, lang: str) -> str:
        """The text with its suggestion in ``lang`` (``zh…`` for Chinese, else English)."""
        return self.words.get(lang) + suggestion_text(self.suggestion, lang)

    def hint_in(self, lang: str) -> str | None:
        """The hint in ``lang``, or ``None`` without one."""
        return None if self.hint_words is None else self.hint_words.get(lang)


@dataclass(frozen=True)
class Problem(Worded):
    """One problem found in a definition file, reported as data (never raised one at a time).

    ``words`` says what is wrong in Chinese and English, and ``hint_words`` how to put it right;
    :attr:`text` and :attr:`hint` are their English, as ``orderloom validate`` prints them, and
    :meth:`message_in` / :meth:`hint_in` read them in a page's language. ``code`` names the problem for
    a program (``"unknown-state"``) and ``kind`` the sort of problem it is (:class:`ProblemKind`, from
    the code); ``suggestion`` is the name the writer most likely meant (a near miss of a state, key,
    outcome ...), kept as data for a reader that offers it (the studio), and rendered when the problem
    is shown: ``...; did you mean 'shipped'?``. :meth:`to_dict` is the form the CLI's ``--format json``
    prints and an API returns.
    """

    words: Text
    file: str = "<string>"
    line: int = 0  # 1-based; 0 when unknown
    column: int = 0  # 1-based; 0 when unknown
    json_path: str = "$"
    hint_words: Text | None = None
    code: str = "error"  # a short machine-readable code such as "unknown-state"
    severity: Severity = Severity.ERROR
    suggestion: str | None = None  # what was most likely meant, when the problem is a near miss

    @property
    def kind(self) -> ProblemKind:
        """The sort of problem the code names."""
        return problem_kind(self.code)

    def format(self, lang: str = "en") -> str:
        """``path:line:col: error: message [at $.json.path] (hint)`` as editors and CI read it."""
        zh = lang.startswith("zh")
        severity = _SEVERITY_ZH[self.severity] if zh else str(self.severity)
        text = f"{self.file}:{self.line}:{self.column}: {severity}: {self.message_in(lang)}"
        if self.json_path and self.json_path != "$":
            text += f" [{'位于' if zh else 'at'} {self.json_path}]"
        hint = self.hint_in(lang)
        if hint:
            text += f"（提示：{hint}）" if zh else f" (hint: {hint})"
        return text

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The problem as JSON-ready data: every field, the kind, and ``message`` as :meth:`message_in`
        renders it (``text`` stays without the suggestion, for a reader that offers it itself); the
        words in ``lang``."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "json_path": self.json_path,
            "severity": str(self.severity),
            "kind": str(self.kind),
            "code": str(self.code),
            "text": self.words.get(lang),
            "suggestion": self.suggestion,
            "hint": self.hint_in(lang),
            "message": self.message_in(lang),
        }


_SEVERITY_ZH = {Severity.ERROR: "错误", Severity.WARNING: "警告"}


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems once each, in the order of their files and positions."""
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.file, p.line, p.column))


class EngineError(Exception):
    """Base of every error the engine raises on purpose.

    Clerks and admins read errors in Chinese or English: ``zh`` is the Chinese text of the English
    message, and ``message(lang)`` picks the one to show.
    """

    def __init__(self, *args: object, zh: str | None = None) -> None:
        super().__init__(*args)
        self.zh = zh

    def message(self, lang: str = "en") -> str:
        """The Chinese text when ``lang`` starts with ``zh`` and there is one, else the English."""
        if lang.startswith("zh") and self.zh:
            return self.zh
        return str(self)


class DefinitionError(EngineError):
    """A workflow, form or rule file that cannot be used; carries every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        first = self.problems[0] if self.problems else None
        extra = len(self.problems) - 1
        en = first.format() if first else "invalid definition"
        zh = first.format("zh") if first else "定义无效"
        if extra > 0:
            en, zh = f"{en} (and {extra} more)", f"{zh}（另有 {extra} 个问题）"
        super().__init__(en, zh=zh)


class RefusalCode(StrEnum):
    """What refused a step, for a program to act on (the page marks the field of a ``FORM`` refusal,
    a client retries an ``IDEMPOTENCY`` one with a new key)."""

    UNKNOWN_TRIGGER = "unknown-trigger"  # the workflow has no such step
    STATE = "state"  # the step cannot be taken in the order's state
    JOIN = "join"  # the step leaves a parallel state whose regions are not all done
    CHANNEL = "channel"  # the workflow does not take orders from this channel
    DEPARTMENT = "department"  # the actor does not work in the department
    ROLE = "role"  # the actor lacks the role the step asks for
    GUARD = "guard"  # the step's condition does not hold
    FORM = "form"  # the data sent does not fit the step's form
    OWNED = "owned"  # the data sent writes a field the workflow records
    ON_SUBMIT = "on-submit"  # decided when the form is submitted (the order page says so beforehand)
    RULES = "rules"  # the rules decided an outcome the step does not lead anywhere from
    SET = "set"  # a field the step sets (set:) could not be computed, or leaves the order's data invalid
    ACTION = "action"  # an action failed (a plugin's own refusal carries the plugin's code instead)
    IDEMPOTENCY = "idempotency"  # the idempotency key was already used for another request
    CONFLICT = "conflict"  # the order changed since the page was drawn (a batch's order, refused)
    NOT_FOUND = "not-found"  # no such order in the actor's departments (a batch's order, refused)
    APPROVAL = "approval"  # an approval step decides it, or an approver's action is not theirs to take now


@dataclass
class Refusal:
    """Why a transition was refused, in both languages, with the place that refused it.

    ``code`` is a :class:`RefusalCode`, or the code a plugin gave its own refusal (``"stock"``);
    :meth:`to_dict` is the form an API returns."""

    code: RefusalCode | str
    zh: str
    en: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The refusal as JSON-ready data: the code as its string, both texts, the details."""
        return {"code": str(self.code), "zh": self.zh, "en": self.en, "details": self.details}


class TransitionRejected(EngineError):
    """The order may not take this transition now; ``refusals`` say which role, guard or field."""

    def __init__(self, refusals: Sequence[Refusal]) -> None:
        self.refusals = list(refusals)
        super().__init__("; ".join(r.en for r in self.refusals) or "transition rejected")

    def message(self, lang: str = "en") -> str:
        return "；".join(r.zh for r in self.refusals) if lang.startswith("zh") else str(self)


class ConflictError(EngineError):
    """Another change to the same order committed first; nothing of this one was written."""


# What each SQLSTATE a ContentionError carries means, in en and zh.
_CONTENTION_REASONS: Mapping[str, tuple[str, str]] = {
    "40P01": ("deadlock detected", "检测到死锁"),
    "40001": ("serialization failure", "串行化冲突"),
}


class ContentionError(ConflictError):
    """Concurrent changes kept colliding with this one: the database rolled its transaction back (a
    deadlock, SQLSTATE 40P01, or a serialization failure, 40001) on each of ``attempts`` tries.
    Nothing of it was written; trying again later may succeed. ``relation`` is the table the database
    named, when it named one."""

    def __init__(self, sqlstate: str, attempts: int, relation: str | None = None) -> None:
        self.sqlstate = sqlstate
        self.attempts = attempts
        self.relation = relation
        en, zh = _CONTENTION_REASONS.get(sqlstate, (f"SQLSTATE {sqlstate}", f"SQLSTATE {sqlstate}"))
        on_en = f" on {relation}" if relation else ""
        on_zh = f"，表 {relation}" if relation else ""
        super().__init__(
            f"concurrent changes to the same rows kept colliding with this one ({en}{on_en}; tried "
            f"{attempts} time{'s' if attempts != 1 else ''}); nothing was written, try again",
            zh=f"与同时进行的其他修改反复冲突（{zh}{on_zh}；已尝试 {attempts} 次），"
            "本次操作未写入任何内容，请重试",
        )


class NotFound(EngineError):
    """An order, workflow or version that does not exist (or is outside the actor's departments)."""


class Forbidden(EngineError):
    """The actor may not do this at all (not a department's admin, for the outbox's messages)."""


class StoredDocumentError(EngineError):
    """A stored JSON document this code cannot read: a ``schema_version`` newer than it knows (written by
    a newer OrderLoom), one no OrderLoom writes, or a shape its version does not describe. It names the
    row (``kind``, ``version``, ``where``); nothing is changed (``engine.store.documents``)."""

    def __init__(self, message: str, *, zh: str, kind: str, version: Any, where: str) -> None:
        super().__init__(message, zh=zh)
        self.kind = kind
        self.version = version
        self.where = where


class PluginError(EngineError):
    """A plugin action failed or is not registered; the transaction was rolled back.

    A plugin that refuses for a reason a clerk can act on gives ``code``, ``zh`` and ``en`` (and any
    ``details``); the engine turns a failing action into a ``TransitionRejected`` carrying that
    refusal. Without them (``PluginError("message")``) the refusal has code ``"action"`` and names
    the action in both languages.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        zh: str | None = None,
        en: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.code = code
        self.en = en
        self.details: dict[str, Any] = dict(details or {})
        super().__init__(message if message is not None else (en or "plugin failed"), zh=zh)
