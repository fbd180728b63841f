"""One exception family for everything the engine refuses.

Callers catch the child they can act on: a definition that does not compile, a transition the
order may not take, a concurrent change, a plugin that failed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.common.suggest import suggestion_text


def brief(value: Any, limit: int = 60) -> str:
    """``repr(value)`` as a message quotes a value: whole when short, else its start and its size, so
    an error never echoes a whole over-long text (or a number ``repr`` refuses to write) back."""
    if type(value) is int and value.bit_length() > 4 * limit:  # repr() refuses past 4,300 digits
        return f"a whole number of about {int(math.log10(abs(value))) + 1} digits"
    if type(value) is str and len(value) > limit:
        return f"{value[: max(limit - 20, 10)]!r}... ({len(value)} characters)"
    try:
        text = repr(value)
    except ValueError:  # a container holding such a number
        return f"a {type(value).__name__} too large to show"
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def schema_message(error: Any) -> str:
    """A jsonschema ``ValidationError``'s message without echoing a long value whole (jsonschema quotes
    the value it refuses: 900 KB of text would come back 900 KB long)."""
    instance = error.instance
    if error.validator == "maxLength" and isinstance(instance, str):
        return f"text of {len(instance)} characters is too long; the limit is {error.validator_value}"
    if isinstance(instance, str | list | dict) and len(instance) > 60:
        return str(error.message).replace(repr(instance), brief(instance))
    if isinstance(instance, int) and not isinstance(instance, bool) and instance.bit_length() > 200:
        return str(error.message).replace(repr(instance), brief(instance))
    return str(error.message)


@dataclass(frozen=True)
class Problem:
    """One problem found in a definition file, reported as data (never raised one at a time).

    ``text`` says what is wrong; ``suggestion`` is the name the writer most likely meant (a near miss
    of a state, key, outcome ...), kept as data for a reader that offers it (the studio), and rendered
    when the problem is shown (:attr:`message`, :meth:`format`): ``...; did you mean 'shipped'?``.
    """

    text: str
    file: str = "<string>"
    line: int = 0  # 1-based; 0 when unknown
    column: int = 0  # 1-based; 0 when unknown
    json_path: str = "$"
    hint: str | None = None
    kind: str = "error"  # a short machine-readable code such as "unknown-state"
    severity: str = "error"  # "error" or "warning"
    suggestion: str | None = None  # what was most likely meant, when the problem is a near miss

    @property
    def message(self) -> str:
        """The text with its suggestion, as people read it."""
        return self.text + suggestion_text(self.suggestion)

    def format(self) -> str:
        """``path:line:col: error: message [at $.json.path] (hint)`` as editors and CI read it."""
        text = f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"
        if self.json_path and self.json_path != "$":
            text += f" [at {self.json_path}]"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


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
        first = self.problems[0].format() if self.problems else "invalid definition"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)


@dataclass
class Refusal:
    """Why a transition was refused, in both languages, with the place that refused it."""

    code: str  # "role", "department", "guard", "form", "state", "unknown-trigger", "rules"
    zh: str
    en: str
    details: dict[str, Any] = field(default_factory=dict)


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
