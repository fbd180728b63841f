"""The condition language (条件表达式) of ``when:`` guards, timer conditions and rule conditions.

An expression is parsed with :mod:`ast` (``mode="eval"``) and every node is checked against a whitelist:
comparisons, ``and``/``or``/``not``, ``in``, arithmetic, dotted field access, constant subscripts,
literals and a few named functions. The checked tree is then compiled into nested Python closures; the
text a user wrote is never passed to ``eval``, ``exec`` or the bytecode compiler, and a name or
attribute spelled with ``__`` never resolves.

Runtime semantics (docs/expressions.md is the reference):

* ``order.total`` on a mapping reads the key; a missing key, or a field of ``None``, is ``None``.
* ``<``, ``<=``, ``>``, ``>=`` with ``None`` on either side are ``False``; text compared with a number
  is an :class:`ExpressionEvaluationError`, while ``==`` / ``!=`` between them are simply False / True.
* ``x in None`` is ``False`` and ``x not in None`` is ``True`` (a missing list is an empty one).
* Arithmetic with ``None`` or with the wrong types, and division by zero, raise
  :class:`ExpressionEvaluationError` naming the expression.
* ``and`` / ``or`` / ``not`` short-circuit and always give a ``bool``.
* Nothing a condition computes can grow without bound: a number stays within ``±MAX_NUMBER`` (a decimal
  number's range), text and lists joined with ``+`` hold at most ``MAX_SIZE`` characters or elements,
  and ``round`` takes at most ``MAX_ROUND_DIGITS`` digits either way. Each bound is checked when the
  definition is validated where the text shows it (a literal, a constant number of digits) and when
  the condition is evaluated otherwise.
"""

from __future__ import annotations

import ast
import functools
import math
import operator
import re
import secrets
import warnings
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import date as date_type
from decimal import Decimal, InvalidOperation, getcontext
from types import MappingProxyType
from typing import Any

from engine.common.list_keys import CUSTOMER_FACTS, LIST_NAME, LOOKUPS, Lookups
from engine.common.suggest import near_miss
from engine.common.text import Text
from engine.common.words import word, words_of
from engine.errors import EngineError, Problem, Worded

__all__ = [
    "ALLOWED_ROOTS",
    "CODE_ALPHABET",
    "ENV_FUNCTIONS",
    "FUNCTIONS",
    "MAX_BINDING_DEPTH",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NUMBER",
    "MAX_ROUND_DIGITS",
    "MAX_SIZE",
    "RANDOMNESS",
    "CompiledExpression",
    "ExpressionError",
    "ExpressionEvaluationError",
    "check",
    "compile_expression",
    "parse",
]

# ``records``: an order's child records by kind; ``record``: the one a record transition moves
ALLOWED_ROOTS = frozenset(
    {"order", "data", "actor", "now", "event", "customer", "item", "children", "records", "record"}
)
MAX_LENGTH = 2000
MAX_DEPTH = 50
# Numbers stay inside a decimal number's (a float's) range: every whole number below it is exact, and
# no product of a short condition can take seconds to compute, print or compare.
MAX_NUMBER = 2**1024  # about 1.8e308
MAX_ROUND_DIGITS = 308  # round(x, n): beyond 308 digits either way every number rounds to 0 or to itself
MAX_SIZE = 100_000  # characters of text, or elements of a list, that '+' may build
_NUMBER_RANGE = "±1.8e308"
MAX_BINDING_DEPTH = 2  # comprehensions inside comprehensions: at most this many ``for`` deep
# code(n): issued codes (RMA numbers, pickup codes) read aloud and typed in again, so no 0/O, 1/I/L
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
MIN_CODE, MAX_CODE = 4, 64  # characters code(n) draws
# The key of the evaluation environment under which a caller passes the source of randomness code()
# draws from (engine.randomness.Randomness). A name with '__' never resolves in an expression, so no
# condition can read it; without it code() draws from the operating system (``secrets``).
RANDOMNESS = "__randomness__"

Env = Mapping[str, Any]
Evaluator = Callable[[Env], Any]


class ExpressionError(Worded, EngineError):  # type: ignore[misc]  # ``message``: see the docstring
    """An expression that may not be used: bad syntax or a construct outside the whitelist.

    It is worded as a :class:`~engine.errors.Problem` is (:class:`~engine.errors.Worded`): ``words``
    says what is wrong in Chinese and English, ``hint_words`` how to put it right and ``suggestion`` the
    name most likely meant; ``text``, ``hint`` and ``message`` are the English, ``message_in(lang)`` and
    ``hint_in(lang)`` read a language. Its ``message`` is therefore the English problem text (with "did
    you mean" for a near miss), not ``EngineError.message(lang)``: these errors are for definition authors
    and become problems (:meth:`to_problem`). ``column`` is 1-based within ``expression``.
    """

    def __init__(
        self,
        words: Text,
        column: int,
        hint_words: Text | None = None,
        expression: str = "",
        suggestion: str | None = None,
    ) -> None:
        self.words = words
        self.hint_words = hint_words
        self.suggestion = suggestion
        self.column = column
        self.expression = expression
        text = f"column {column}: {self.message}"
        zh = f"第 {column} 列：{self.message_in('zh')}"
        if hint_words is not None and hint_words.en:
            text += f" (hint: {hint_words.en})"
            zh += f"（提示：{hint_words.zh}）"
        super().__init__(text, zh=zh)

    def to_problem(
        self, file: str = "<string>", json_path: str = "$", line: int = 0, column: int = 0
    ) -> Problem:
        """This error as a definition :class:`Problem`.

        ``line`` and ``column`` are where the expression text starts in its file (0 when unknown); the
        problem then points at the offending character itself.
        """
        shown = _quoted(self.expression)
        gap = " " if shown.zh[-1:].isascii() else ""  # 条件 'x' 第 3 列, 条件 'x'...（共 90 个字符）第 3 列
        return Problem(
            words=Text(
                f"条件 {shown.zh}{gap}第 {self.column} 列：{self.words.zh}",
                f"in condition {shown.en}, column {self.column}: {self.text}",
            ),
            file=file,
            line=line,
            column=column + self.column - 1 if line and column else 0,
            json_path=json_path,
            hint_words=self.hint_words,
            code="expression",
            suggestion=self.suggestion,
        )


def _quoted(expression: str, limit: int = 80) -> Text:
    """The expression quoted as a problem shows it: whole when short, else its start and its length (as
    ``engine.errors.brief`` quotes a value), so a problem never echoes an over-long text whole."""
    if len(expression) > limit:
        head = repr(expression[: limit - 20])
        return Text(f"{head}...（共 {len(expression)} 个字符）", f"{head}... ({len(expression)} characters)")
    text = repr(expression)
    text = text if len(text) <= limit else f"{text[: limit - 3]}..."
    return Text(text, text)


class ExpressionEvaluationError(EngineError):
    """An expression that was valid but could not be evaluated over the given values.

    ``detail_words`` says why in Chinese and English (``detail`` is its English); ``message("zh")``
    reads the whole error in Chinese."""

    def __init__(self, expression: str, part: str, detail: Text) -> None:
        self.expression = expression
        self.part = part  # the sub-expression that failed
        self.detail_words = detail
        self.detail = detail.en
        failing = bool(part) and part != expression
        where = f" in {part!r}" if failing else ""
        where_zh = f"，出错部分 {part!r}" if failing else ""
        super().__init__(
            f"cannot evaluate {expression!r}{where}: {detail.en}",
            zh=f"无法求值 {expression!r}{where_zh}：{detail.zh}",
        )


class _FunctionArgumentError(ValueError):
    """Raised by a function of the language when its arguments do not fit; turned into an evaluation error.

    ``words`` says why in Chinese and English; ``str(error)`` is the English."""

    def __init__(self, words: Text) -> None:
        super().__init__(words.en)
        self.words = words


def _why(error: Exception) -> Text:
    """Why evaluating failed, in both languages: a function's own words, or the text of an error the
    language does not word itself (Python's, the same in both)."""
    if isinstance(error, _FunctionArgumentError):
        return error.words
    if isinstance(error, ZeroDivisionError):
        return Text("除数为零", str(error))
    if isinstance(error, OverflowError):
        return Text("数值超出可计算的范围", str(error))
    return Text(str(error), str(error))


# --------------------------------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is float or kind is Decimal


_KINDS = words_of("rules.kind")  # the kinds of values, in zh and en, as the rule-file checks name them
_KIND_NAMES: Mapping[type, Text] = {
    str: _KINDS["string"],
    int: _KINDS["number"],
    float: _KINDS["number"],
    Decimal: _KINDS["number"],
    bool: _KINDS["boolean"],
    list: _KINDS["array"],
    tuple: _KINDS["array"],
    dict: _KINDS["object"],
    datetime: word("expr.kind.datetime"),
    timedelta: word("expr.kind.duration"),
}


def _describe(value: Any) -> Text:
    if value is None:
        return Text("空值（None）", "nothing (None)")
    name = _KIND_NAMES.get(type(value))
    short = _short(value)
    if name is None:
        return Text(f"{type(value).__name__}（{short.zh}）", f"{type(value).__name__} ({short.en})")
    return Text(f"{name.zh}（{short.zh}）", f"{name.en} ({short.en})")


def _short(value: Any) -> Text:
    if type(value) is int and value.bit_length() > 1000:  # repr() refuses past 4,300 digits
        digits = int(math.log10(abs(value))) + 1
        return Text(f"约 {digits} 位的整数", f"a whole number of about {digits} digits")
    if type(value) is str and len(value) > 1000:
        return Text(f"{len(value)} 个字符的文本", f"text of {len(value)} characters")
    if (type(value) is list or type(value) is tuple) and len(value) > 1000:
        return Text(f"{len(value)} 个元素的列表", f"a list of {len(value)} elements")
    if type(value) is datetime:
        return Text(value.isoformat(), value.isoformat())
    if type(value) is timedelta:
        return _duration_text(value)
    text = repr(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    return Text(text, text)


def _duration_text(value: timedelta) -> Text:
    """``3 days 04:00:00`` / ``3 天 04:00:00``; a negative duration with a leading minus."""
    sign = "-" if value < timedelta(0) else ""
    seconds = abs(value).total_seconds()
    days, rest = divmod(int(seconds), 86400)
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return Text(f"{sign}{days} 天 {clock}", f"{sign}{days} days {clock}")


def _needs(function: str, zh: str, en: str, value: Any) -> _FunctionArgumentError:
    """``f() needs <en>, not <value>``: a function given a value it does not take."""
    got = _describe(value)
    return _FunctionArgumentError(
        Text(f"{function}() 需要{zh}，而不是{got.zh}", f"{function}() needs {en}, not {got.en}")
    )


def _as_list(value: Any, function: str) -> list[Any] | tuple[Any, ...]:
    if value is None:
        return []
    if type(value) is list or type(value) is tuple:
        return value
    raise _needs(function, "列表", "a list", value)


def _fn_len(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    raise _needs("len", "文本或列表", "text or a list", value)


def _numbers(values: Sequence[Any], function: str) -> list[Any]:
    found = []
    for value in values:
        if value is None:
            continue
        if not _is_number(value):
            raise _needs(function, "数字", "numbers", value)
        found.append(value)
    return found


# Exact types of the values that sum(), min() and max() take without looking at each one in Python.
_NUMBER_TYPES = frozenset({int, float, Decimal})
_INT_FLOAT = (int, float)  # what arithmetic computes at once (not Decimal: float with Decimal fails)
_TEXT_TYPE = frozenset({str})


def _fn_sum(values: Any) -> Any:
    items = _as_list(values, "sum")
    if _NUMBER_TYPES.issuperset(map(type, items)):  # the usual list of numbers, no None among them
        return _in_range(sum(items), "sum()")
    return _in_range(sum(_numbers(items, "sum")), "sum()")


def _too_large(value: Any, what: str) -> _FunctionArgumentError:
    short = _short(value)
    return _FunctionArgumentError(
        Text(
            f"{what} 的结果过大（{short.zh}）；条件中的数字须在 {_NUMBER_RANGE} 以内",
            f"the result of {what} is too large ({short.en}); "
            f"numbers in a condition stay within {_NUMBER_RANGE}",
        )
    )


def _in_range(value: Any, what: str) -> Any:
    """``value`` when it is a number inside ``±MAX_NUMBER`` (or not a number); an error otherwise.

    One chained comparison serves whole numbers, decimals and ``Decimal``: infinity and NaN fail it.
    """
    if -MAX_NUMBER < value < MAX_NUMBER:
        return value
    raise _too_large(value, what)


def _extreme(function: str, pick: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    values = _as_list(args[0], function) if len(args) == 1 else args
    types = frozenset(map(type, values))
    if types and (types <= _NUMBER_TYPES or types == _TEXT_TYPE):  # all of one kind, none missing
        return pick(values)
    present = [v for v in values if v is not None]
    if not present:
        return None
    kinds = {"number" if _is_number(v) else type(v).__name__ for v in present}
    if len(kinds) > 1 or kinds - {"number", "str", "datetime", "timedelta"}:
        raise _FunctionArgumentError(
            Text(
                f"{function}() 需要同一类的值（都是数字、都是文本或都是日期）",
                f"{function}() needs values of one kind (numbers, text or dates)",
            )
        )
    return pick(present)


def _fn_min(*args: Any) -> Any:
    return _extreme("min", min, args)


def _fn_max(*args: Any) -> Any:
    return _extreme("max", max, args)


def _fn_abs(value: Any) -> Any:
    if not _is_number(value):
        raise _needs("abs", "数字", "a number", value)
    return abs(value)


def _fn_round(value: Any, digits: Any = None) -> Any:
    if not _is_number(value):
        raise _needs("round", "数字", "a number", value)
    if digits is None:
        return _in_range(round(value), "round()")
    if type(digits) is not int:
        raise _needs("round", "整数位数", "a whole number of digits", digits)
    if not -MAX_ROUND_DIGITS <= digits <= MAX_ROUND_DIGITS:
        raise _FunctionArgumentError(_round_digits_message(digits))
    try:
        return _in_range(round(value, digits), "round()")
    except InvalidOperation:  # a Decimal asked for more digits than its precision holds
        raise _FunctionArgumentError(
            Text(
                f"round() 无法把 {value} 保留到 {digits} 位",
                f"round() cannot give {value} with {digits} digits",
            )
        ) from None


def _round_digits_message(digits: int) -> Text:
    short = _short(digits)
    return Text(
        f"round() 的位数须在 {-MAX_ROUND_DIGITS} 到 {MAX_ROUND_DIGITS} 之间，而不是 {short.zh}",
        f"round() takes from {-MAX_ROUND_DIGITS} to {MAX_ROUND_DIGITS} digits, not {short.en}",
    )


def _text_or_none(value: Any, function: str) -> str | None:
    if value is None or type(value) is str:
        return value
    raise _needs(function, "文本", "text", value)


def _fn_lower(value: Any) -> str | None:
    text = _text_or_none(value, "lower")
    return None if text is None else text.lower()


def _fn_upper(value: Any) -> str | None:
    text = _text_or_none(value, "upper")
    return None if text is None else text.upper()


def _fn_startswith(value: Any, prefix: Any) -> bool:
    text = _text_or_none(value, "startswith")
    start = _text_or_none(prefix, "startswith")
    return text is not None and start is not None and text.startswith(start)


def _fn_endswith(value: Any, suffix: Any) -> bool:
    text = _text_or_none(value, "endswith")
    end = _text_or_none(suffix, "endswith")
    return text is not None and end is not None and text.endswith(end)


def _fn_contains(container: Any, item: Any) -> bool:
    return _member(item, container)


def _fn_pluck(values: Any, name: Any) -> list[Any]:
    if type(name) is not str:
        raise _needs("pluck", "以文本写出的字段名", "a field name as text", name)
    return [_field(element, name) for element in _as_list(values, "pluck")]


_NO_VALUE = object()


def _fn_count(values: Any, wanted: Any = _NO_VALUE) -> int:
    items = _as_list(values, "count")
    if wanted is _NO_VALUE:
        return sum(1 for item in items if item)
    return sum(1 for item in items if item == wanted)


def _fn_any(values: Any) -> bool:
    return any(_as_list(values, "any"))


def _fn_all(values: Any) -> bool:
    return all(_as_list(values, "all"))


def _to_datetime(value: Any, function: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date_type):
        moment = datetime(value.year, value.month, value.day)
    elif type(value) is str:
        try:
            # Upper case: RFC 3339 (and so a form's date-time) allows 't' and 'z'; fromisoformat does not.
            moment = datetime.fromisoformat(value.strip().upper())
        except ValueError:
            raise _FunctionArgumentError(
                Text(
                    f"{function}() 需要 ISO-8601 格式的日期，如 '2024-05-01T08:00:00+08:00'，"
                    f"而不是 {value!r}",
                    f"{function}() needs an ISO-8601 date such as '2024-05-01T08:00:00+08:00', not {value!r}",
                )
            ) from None
    else:
        raise _needs(function, "日期或 ISO-8601 格式的文本", "a date or an ISO-8601 text", value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _fn_date(value: Any) -> datetime | None:
    return _to_datetime(value, "date")


def _elapsed_seconds(env: Env, value: Any, function: str) -> float | None:
    moment = _to_datetime(value, function)
    if moment is None:
        return None
    now = env.get("now")
    if type(now) is not datetime or now.tzinfo is None:  # the engine's clock gives an aware datetime
        now = _to_datetime(now, function)
        if now is None:
            raise _FunctionArgumentError(
                Text(f"{function}() 需要 'now'，但它没有设置", f"{function}() needs 'now', which is not set")
            )
    return (now - moment).total_seconds()


def _fn_days_since(env: Env, value: Any) -> float | None:
    seconds = _elapsed_seconds(env, value, "days_since")
    return None if seconds is None else seconds / 86400


def _fn_hours_since(env: Env, value: Any) -> float | None:
    seconds = _elapsed_seconds(env, value, "hours_since")
    return None if seconds is None else seconds / 3600


def _fn_minutes_since(env: Env, value: Any) -> float | None:
    seconds = _elapsed_seconds(env, value, "minutes_since")
    return None if seconds is None else seconds / 60


def _fn_now(env: Env) -> datetime:
    now = env.get("now")
    if type(now) is datetime and now.tzinfo is not None:  # the engine's clock gives an aware datetime
        return now
    moment = _to_datetime(now, "now")
    if moment is None:
        raise _FunctionArgumentError(
            Text("now() 需要 'now'，但它没有设置", "now() needs 'now', which is not set")
        )
    return moment


def _duration(function: str, unit: str, value: Any) -> timedelta | None:
    if value is None:
        return None
    if not _is_number(value):
        raise _needs(function, "数字", "a number", value)
    try:
        return timedelta(**{unit: float(value)})
    except OverflowError:
        raise _FunctionArgumentError(
            Text(
                f"{function}({_short(value).zh}) 超出时长的范围（最多约 999999999 天）",
                f"{function}({_short(value).en}) is beyond the range of a duration (about 999999999 days)",
            )
        ) from None


def _fn_days(value: Any) -> timedelta | None:
    return _duration("days", "days", value)


def _fn_hours(value: Any) -> timedelta | None:
    return _duration("hours", "hours", value)


def _fn_minutes(value: Any) -> timedelta | None:
    return _duration("minutes", "minutes", value)


def _fn_code(env: Env, length: Any, prefix: Any = "") -> str:
    """``length`` characters drawn from ``CODE_ALPHABET`` after ``prefix``: from the environment's
    ``RANDOMNESS`` when the caller passed one (a seeded run repeats its codes), else from ``secrets``."""
    if type(length) is not int:
        raise _needs("code", "整数位数", "a whole number of characters", length)
    if not MIN_CODE <= length <= MAX_CODE:
        raise _FunctionArgumentError(_code_length_message(length))
    if type(prefix) is not str:
        raise _needs("code", "文本前缀", "a text prefix", prefix)
    source = env.get(RANDOMNESS)
    drawn = source.token(CODE_ALPHABET, length) if source is not None else _secret_token(length)
    return prefix + drawn


def _secret_token(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def _code_length_message(length: int) -> Text:
    short = _short(length)
    return Text(
        f"code() 取 {MIN_CODE} 到 {MAX_CODE} 个字符，而不是 {short.zh}",
        f"code() draws from {MIN_CODE} to {MAX_CODE} characters, not {short.en}",
    )


def _fn_distinct(values: Any) -> list[Any]:
    """The elements of a list without repeats, in the order they first appear (``==`` decides)."""
    seen: set[Any] = set()
    unhashable: list[Any] = []
    kept: list[Any] = []
    for value in _as_list(values, "distinct"):
        try:
            key = (type(value) is bool, value)  # True is not 1 here: a list of both keeps both
            if key in seen:
                continue
            seen.add(key)
        except TypeError:  # a record or a list: compared one by one
            if any(type(value) is type(other) and value == other for other in unhashable):
                continue
            unhashable.append(value)
        kept.append(value)
    return kept


def _lookups(env: Env, function: str) -> Lookups:
    found = env.get(LOOKUPS)
    if found is None:
        raise _FunctionArgumentError(
            Text(
                f"{function}() 读取数据库，只能在订单的步骤中求值"
                "（规则测试用例请在 input 中给出 lists / facts）",
                f"{function}() reads the database and is evaluated in an order's step only (a rule case "
                "gives it lists / facts in its input)",
            )
        )
    return found  # type: ignore[no-any-return]  # the runtime's StepLookups, or a case's


def _fn_in_list(env: Env, name: Any, value: Any) -> bool:
    if type(name) is not str:
        raise _needs("in_list", "名单名称（文本）", "a list name (text)", name)
    return bool(_lookups(env, "in_list").in_list(name, value))


def _fact(fact: str) -> Callable[..., Any]:
    def read(env: Env) -> Any:
        return _lookups(env, fact).customer_fact(fact, None)

    return read


def _fact_in_days(fact: str) -> Callable[..., Any]:
    def read(env: Env, days: Any) -> Any:
        if not _is_number(days) or not 0 < days <= 3650:
            raise _needs(fact, "1 到 3650 之间的天数", "a number of days from 1 to 3650", days)
        return _lookups(env, fact).customer_fact(fact, float(days))

    return read


FUNCTIONS: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {
        "len": _fn_len,
        "sum": _fn_sum,
        "min": _fn_min,
        "max": _fn_max,
        "abs": _fn_abs,
        "round": _fn_round,
        "lower": _fn_lower,
        "upper": _fn_upper,
        "startswith": _fn_startswith,
        "endswith": _fn_endswith,
        "contains": _fn_contains,
        "pluck": _fn_pluck,
        "count": _fn_count,
        "any": _fn_any,
        "all": _fn_all,
        "days_since": _fn_days_since,
        "hours_since": _fn_hours_since,
        "minutes_since": _fn_minutes_since,
        "date": _fn_date,
        "now": _fn_now,
        "days": _fn_days,
        "hours": _fn_hours,
        "minutes": _fn_minutes,
        "code": _fn_code,
        "distinct": _fn_distinct,
        # managed lists and facts across the customer's orders: read in the step's transaction
        # (engine.common.list_keys.Lookups, which the runtime puts in the environment)
        "in_list": _fn_in_list,
        **{fact: (_fact_in_days if days else _fact)(fact) for fact, days in CUSTOMER_FACTS.items()},
    }
)
# Functions whose callable takes the evaluation environment first (they read ``now`` from it, never
# from the system clock, or the step's lookups).
ENV_FUNCTIONS = frozenset(
    {"days_since", "hours_since", "minutes_since", "now", "code", "in_list", *CUSTOMER_FACTS}
)
# (fewest, most) arguments of each function; ``None`` is "any number".
_ARITY: Mapping[str, tuple[int, int | None]] = MappingProxyType(
    {
        "len": (1, 1),
        "sum": (1, 1),
        "min": (1, None),
        "max": (1, None),
        "abs": (1, 1),
        "round": (1, 2),
        "lower": (1, 1),
        "upper": (1, 1),
        "startswith": (2, 2),
        "endswith": (2, 2),
        "contains": (2, 2),
        "pluck": (2, 2),
        "count": (1, 2),
        "any": (1, 1),
        "all": (1, 1),
        "days_since": (1, 1),
        "hours_since": (1, 1),
        "minutes_since": (1, 1),
        "date": (1, 1),
        "now": (0, 0),
        "days": (1, 1),
        "hours": (1, 1),
        "minutes": (1, 1),
        "code": (1, 2),
        "distinct": (1, 1),
        "in_list": (2, 2),
        **{fact: (1, 1) if days else (0, 0) for fact, days in CUSTOMER_FACTS.items()},
    }
)

# --------------------------------------------------------------------------------------------------
# Runtime helpers shared by the closures
# --------------------------------------------------------------------------------------------------


def _field(value: Any, name: str) -> Any:
    """``value.name``: the key of a mapping; a public, non-callable attribute of another object; or None."""
    if type(value) is dict:
        return value.get(name)
    if value is None:
        return None
    if isinstance(value, Mapping):
        return value.get(name)
    if name.startswith("_"):
        return None
    found = getattr(value, name, None)
    return None if callable(found) else found


def _item(value: Any, key: Any) -> Any:
    """``value[key]`` for a constant key: a list element or mapping entry, or None when absent."""
    if type(key) is int:
        if type(value) is list or type(value) is tuple or type(value) is str:
            return value[key] if -len(value) <= key < len(value) else None
        if isinstance(value, Mapping):
            return value.get(key)
        return None
    if isinstance(value, Mapping):
        return value.get(key)
    return None


def _member(item: Any, container: Any) -> bool:
    """``item in container``; a missing container (None) holds nothing."""
    if container is None:
        return False
    kind = type(container)
    if kind is str:
        if type(item) is not str:
            got = _describe(item)
            raise _FunctionArgumentError(
                Text(f"不能在文本中查找{got.zh}", f"cannot look for {got.en} inside text")
            )
        return item in container
    if kind is list or kind is tuple or kind is set or kind is frozenset or isinstance(container, Mapping):
        try:
            return item in container
        except TypeError:  # an unhashable item is never a key of a mapping or a member of a set
            return False
    got = _describe(container)
    raise _FunctionArgumentError(
        Text(
            f"不能在{got.zh}中查找；'in' 需要列表或文本",
            f"cannot look inside {got.en}; 'in' needs a list or text",
        )
    )


def _normalize_moment(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _ordered(left: Any, right: Any, compare: Callable[[Any, Any], bool], symbol: str) -> bool:
    """The slow path of ``<``-style comparisons: None gives False, mixed kinds are an error."""
    if left is None or right is None:
        return False
    if _is_number(left) and _is_number(right):
        return compare(left, right)
    if type(left) is str and type(right) is str:
        return compare(left, right)
    if isinstance(left, datetime) and isinstance(right, datetime):
        return compare(_normalize_moment(left), _normalize_moment(right))
    if type(left) is timedelta and type(right) is timedelta:
        return compare(left, right)
    a, b = _describe(left), _describe(right)
    hint = _mixed_time_hint(left, right)
    raise _FunctionArgumentError(
        Text(f"无法比较 {a.zh} {symbol} {b.zh}{hint.zh}", f"cannot compare {a.en} {symbol} {b.en}{hint.en}")
    )


def _mixed_time_hint(left: Any, right: Any) -> Text:
    """What to write instead when a moment or a duration meets a value of another kind."""
    kinds = {type(left), type(right)}
    if timedelta in kinds and (int in kinds or float in kinds or Decimal in kinds):
        return Text(
            "；时长请用 days(n)、hours(n) 或 minutes(n) 写出",
            "; write a duration as days(n), hours(n) or minutes(n)",
        )
    if datetime in kinds and str in kinds:
        return Text("；用 date(x) 把文本读作日期", "; read text as a date with date(x)")
    return Text("", "")


def _moment(value: Any) -> datetime | None:
    """A moment of date arithmetic: a date, or text written as an ISO-8601 date; None for anything else."""
    if isinstance(value, datetime):
        return _normalize_moment(value)
    if isinstance(value, date_type):
        return _to_datetime(value, "date")
    if type(value) is str:
        try:
            return _to_datetime(value, "date")
        except _FunctionArgumentError:
            short = _short(value)
            raise _FunctionArgumentError(
                Text(
                    f"与时长或日期一起计算的文本须是 ISO-8601 日期，如 '2024-05-01T08:00:00+08:00'，"
                    f"而不是 {short.zh}",
                    f"text in date arithmetic must be an ISO-8601 date such as '2024-05-01T08:00:00+08:00', "
                    f"not {short.en}",
                )
            ) from None
    return None


def _time_arith(left: Any, right: Any, symbol: str) -> Any:
    """Arithmetic of moments and durations, or ``_NO_VALUE`` when neither side is one of them.

    moment ± duration is a moment, moment − moment a duration; durations add and subtract, scale by a
    number, and a duration divided by a duration is a number (``(a - b) / days(1)``: decimal days).
    Text beside a duration or a moment is read as an ISO-8601 date (an order's dates are stored so).
    """
    left_kind, right_kind = type(left), type(right)
    if right_kind is timedelta and left_kind is timedelta:
        if symbol in ("+", "-"):
            return left + right if symbol == "+" else left - right
        if symbol == "/":
            if not right:
                raise _FunctionArgumentError(Text("'/' 的除数为零", "division by zero in '/'"))
            return left / right
        return _NO_VALUE
    if right_kind is timedelta and symbol in ("+", "-") and left is not None and not _is_number(left):
        moment = _moment(left)
        if moment is not None:
            return moment + right if symbol == "+" else moment - right
        return _NO_VALUE
    if left_kind is timedelta and symbol == "+" and right is not None and not _is_number(right):
        moment = _moment(right)
        return _NO_VALUE if moment is None else moment + left
    if symbol == "*" and (left_kind is timedelta) != (right_kind is timedelta):
        duration, factor = (left, right) if left_kind is timedelta else (right, left)
        if _is_number(factor) and type(factor) is not bool:
            return duration * float(factor)
        return _NO_VALUE
    if symbol == "/" and left_kind is timedelta and _is_number(right):
        if not right:
            raise _FunctionArgumentError(Text("'/' 的除数为零", "division by zero in '/'"))
        return left / float(right)
    if symbol == "-" and (isinstance(left, date_type) or isinstance(right, date_type)):
        if left is None or right is None or _is_number(left) or _is_number(right):
            return _NO_VALUE
        start, end = _moment(right), _moment(left)
        return _NO_VALUE if start is None or end is None else end - start
    return _NO_VALUE


def _arith_error(left: Any, right: Any, symbol: str) -> _FunctionArgumentError:
    if left is None or right is None:
        side, side_zh = ("left", "左") if left is None else ("right", "右")
        return _FunctionArgumentError(
            Text(
                f"'{symbol}' {side_zh}边的值缺失（None）",
                f"the {side} side of '{symbol}' is missing (None)",
            )
        )
    a, b = _describe(left), _describe(right)
    hint = _mixed_time_hint(left, right)
    return _FunctionArgumentError(
        Text(f"无法计算 {a.zh} {symbol} {b.zh}{hint.zh}", f"cannot compute {a.en} {symbol} {b.en}{hint.en}")
    )


def _arith(left: Any, right: Any, compute: Callable[[Any, Any], Any], symbol: str) -> Any:
    """The slow path of arithmetic: numbers (and + on text or lists), never None or true/false; no
    result beyond ``MAX_NUMBER`` or ``MAX_SIZE``."""
    if _is_number(left) and _is_number(right):
        if symbol in ("/", "//", "%") and right == 0:
            raise _FunctionArgumentError(Text(f"'{symbol}' 的除数为零", f"division by zero in '{symbol}'"))
        try:
            result = compute(left, right)
        except InvalidOperation:  # a whole quotient of a Decimal longer than its precision (10**300 // 2.5)
            a, b = _describe(left), _describe(right)
            precision = getcontext().prec
            raise _FunctionArgumentError(
                Text(
                    f"{a.zh} 与 {b.zh} 的 '{symbol}' 结果位数超过十进制小数能保存的位数（{precision}）",
                    f"'{symbol}' of {a.en} and {b.en} has more digits than a decimal "
                    f"number holds ({precision})",
                )
            ) from None
        return _in_range(result, f"'{symbol}'")
    if symbol == "+":
        if type(left) is str and type(right) is str:
            _joined_size(len(left) + len(right), Text("个字符", "characters"))
            return left + right
        if type(left) in (list, tuple) and type(right) in (list, tuple):
            _joined_size(len(left) + len(right), Text("个元素", "elements"))
            return [*left, *right]
    timed = _time_arith(left, right, symbol)
    if timed is not _NO_VALUE:
        return timed
    raise _arith_error(left, right, symbol)


def _joined_size(size: int, unit: Text) -> None:
    if size > MAX_SIZE:
        raise _FunctionArgumentError(
            Text(
                f"'+' 将得到 {size} {unit.zh}；条件中拼接出的文本或列表最多 {MAX_SIZE:,} {unit.zh}",
                f"'+' would build {size} {unit.en}; text or a list built in a condition holds at most "
                f"{MAX_SIZE:,} {unit.en}",
            )
        )


# --------------------------------------------------------------------------------------------------
# Parsing and the whitelist
# --------------------------------------------------------------------------------------------------

_BINARY_OPS: Mapping[type[ast.operator], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
    ast.Mod: ("%", operator.mod),
    ast.FloorDiv: ("//", operator.floordiv),
}
_REFUSED_BINARY: Mapping[type[ast.operator], tuple[str, Text | None]] = {
    ast.Pow: (
        "**",
        Text("条件语言没有乘方；请改用乘法", "powers are not part of the language; multiply instead"),
    ),
    ast.MatMult: ("@", None),
    ast.LShift: ("<<", None),
    ast.RShift: (">>", None),
    ast.BitOr: ("|", Text("两个条件满足其一请写 'or'", "write 'or' for either condition")),
    ast.BitAnd: ("&", Text("两个条件同时满足请写 'and'", "write 'and' for both conditions")),
    ast.BitXor: ("^", None),
}
_ORDERED_OPS: Mapping[type[ast.cmpop], tuple[str, Callable[[Any, Any], bool]]] = {
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
}
_COMPARE_SYMBOLS: Mapping[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}
_COMPREHENSION = (
    Text("不允许使用集合或记录推导式", "set and record comprehensions are not allowed"),
    Text(
        "请写列表推导式 [l.qty for l in order.lines]，或 sum(l.qty for l in order.lines)",
        "write a list comprehension [l.qty for l in order.lines], or sum(l.qty for l in order.lines)",
    ),
)
_F_STRING = (
    Text("不允许使用 f-string", "f-strings are not allowed"),
    Text("请比较普通文本，或用 + 拼接", "compare plain text, or join with +"),
)
_YIELD = (Text("不允许使用 yield", "yield is not allowed"), None)
_A_LIST = Text("请改用值的列表 [...]", "use a list [...] of values")
_REFUSED_NODES: Mapping[type[ast.AST], tuple[Text, Text | None]] = {
    ast.Lambda: (
        Text("不允许使用 lambda", "lambda is not allowed"),
        Text("条件中不能定义函数", "conditions cannot define functions"),
    ),
    ast.SetComp: _COMPREHENSION,
    ast.DictComp: _COMPREHENSION,
    ast.NamedExpr: (
        Text("不允许赋值（:=）", "assignment (:=) is not allowed"),
        Text("条件只读取值", "conditions only read values"),
    ),
    ast.JoinedStr: _F_STRING,
    ast.FormattedValue: _F_STRING,
    ast.Starred: (Text("不允许使用 * 展开", "* unpacking is not allowed"), None),
    ast.IfExp: (
        Text("不允许使用 'x if c else y'", "'x if c else y' is not allowed"),
        Text("请用 'and' / 'or' 拆分条件", "split the condition with 'and' / 'or'"),
    ),
    ast.Dict: (Text("不允许使用记录字面量 {...}", "record literals {...} are not allowed"), _A_LIST),
    ast.Set: (Text("不允许使用集合字面量 {...}", "set literals {...} are not allowed"), _A_LIST),
    ast.Await: (Text("不允许使用 await", "await is not allowed"), None),
    ast.Yield: _YIELD,
    ast.YieldFrom: _YIELD,
    ast.Slice: (
        Text("不允许使用切片", "slices are not allowed"),
        Text("请使用单个常量下标，如 [0]", "use a single constant index such as [0]"),
    ),
}


class _Source:
    """The expression text and conversion of ast positions (UTF-8 byte columns) into 1-based columns."""

    def __init__(self, text: str, lead: int) -> None:
        self.text = text  # what was parsed (leading blanks removed, line breaks as spaces)
        self.lead = lead  # characters removed before ``text``
        self.encoded = text.encode("utf-8")

    def char_index(self, byte_offset: int) -> int:
        return len(self.encoded[:byte_offset].decode("utf-8", errors="ignore"))

    def column(self, node: ast.AST) -> int:
        return self.lead + self.char_index(getattr(node, "col_offset", 0)) + 1

    def end_column(self, node: ast.AST) -> int:
        end = getattr(node, "end_col_offset", None)
        return self.lead + self.char_index(end if end is not None else 0) + 1

    def segment(self, node: ast.AST) -> str:
        start = getattr(node, "col_offset", 0)
        end = getattr(node, "end_col_offset", None) or start
        return self.encoded[start:end].decode("utf-8", errors="replace")

    def span(self, start: ast.AST, end: ast.AST) -> str:
        first = getattr(start, "col_offset", 0)
        last = getattr(end, "end_col_offset", None) or first
        return self.encoded[first:last].decode("utf-8", errors="replace")

    def find(self, token: str, after: ast.AST, before: ast.AST) -> int:
        """1-based column of ``token`` between two nodes (an operator between its operands)."""
        start = getattr(after, "end_col_offset", 0) or 0
        stop = getattr(before, "col_offset", len(self.encoded))
        found = self.encoded.find(token.encode(), start, stop)
        return self.lead + self.char_index(found if found >= 0 else start) + 1


_TOO_DEEP = Text(
    f"表达式嵌套过深；最多 {MAX_DEPTH} 层",
    f"expression is nested too deeply; the limit is {MAX_DEPTH} levels",
)
_SPLIT = Text("请拆成几个条件", "split it into several conditions")

# What Python's parser says of text that is not an expression, in Chinese: (pattern, its words with the
# pattern's groups). A message not listed keeps the parser's English after "语法错误：".
_PARSER_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), zh)
    for pattern, zh in (
        (r"invalid syntax", "语法错误"),
        (r"'(.)' was never closed", "'{0}' 没有闭合"),
        (r"unmatched '(.)'", "多出的 '{0}'：前面没有与它配对的括号"),
        (
            r"closing parenthesis '(.)' does not match opening parenthesis '(.)'.*",
            "右括号 '{0}' 与左括号 '{1}' 不配对",
        ),
        (r"unterminated string literal.*", "文本缺少结尾的引号"),
        (r"unterminated triple-quoted string literal.*", "文本缺少结尾的三引号"),
        (r"invalid character '(.+)' \((U\+[0-9A-F]+)\)", "无效字符 '{0}'（{1}）"),
        (r"invalid non-printable character (U\+[0-9A-F]+)", "无效的不可见字符 {0}"),
        (r"invalid (decimal|hexadecimal|octal|binary) literal", "无效的数字写法"),
        (r"leading zeros in decimal integer literals are not permitted.*", "整数不能以 0 开头"),
        (r"positional argument follows keyword argument.*", "按位置给出的参数不能写在关键字参数之后"),
        (r"[Gg]enerator expression must be parenthesized", "生成器表达式必须加括号"),
        (r"unexpected character after line continuation character", "续行符 '\\' 后面出现了多余的字符"),
        (r"Missing parentheses in call to '(\w+)'.*", "调用 '{0}' 缺少括号，应写作 {0}(...)"),
    )
)


def _parser_words(message: str) -> Text:
    """The parser's ``message`` (already shortened to "invalid syntax" where it starts so) in both
    languages."""
    for pattern, zh in _PARSER_WORDS:
        found = pattern.fullmatch(message)
        if found is not None:
            return Text(zh.format(*found.groups()), message)
    return Text(f"语法错误：{message}", message)


def _prepare(text: str) -> tuple[_Source | None, list[ExpressionError]]:
    """Refuse what must not reach the parser; give the text as parsed and its leading offset."""
    if not isinstance(text, str):
        return None, [
            ExpressionError(Text("表达式必须是文本", "an expression must be text"), 1, None, repr(text))
        ]
    if len(text) > MAX_LENGTH:
        return None, [
            ExpressionError(
                Text(
                    f"表达式长 {len(text)} 个字符；最多 {MAX_LENGTH} 个",
                    f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}",
                ),
                MAX_LENGTH + 1,
                Text("请拆成几条规则或几个条件", "split it into several rules or conditions"),
                text,
            )
        ]
    flat = text.replace("\r", " ").replace("\n", " ")
    body = flat.lstrip(" \t\f")
    if not body.strip():
        return None, [
            ExpressionError(
                Text("表达式为空", "expression is empty"),
                1,
                Text("请写一个条件，如 order.total > 0", "write a condition such as order.total > 0"),
                text,
            )
        ]
    if "\x00" in body:
        column = text.index("\x00") + 1
        return None, [
            ExpressionError(
                Text("表达式含有 NUL 字符", "expression contains a NUL character"), column, None, text
            )
        ]
    return _Source(body, len(flat) - len(body)), []


def _parse_tree(text: str) -> tuple[ast.Expression | None, _Source | None, list[ExpressionError]]:
    source, errors = _prepare(text)
    if source is None:
        return None, None, errors
    try:
        with warnings.catch_warnings():
            # The parser's advice on odd Python ("invalid decimal literal" in ``1and``) is for
            # programmers; the whitelist and the error messages here speak to the user instead.
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            tree = ast.parse(source.text, mode="eval")
    except SyntaxError as error:
        offset = error.offset or 0  # 0 or None: the parser ran out of text
        if offset < 1 or offset > len(source.text) + 1:
            offset = len(source.text) + 1
        message = error.msg or "invalid syntax"
        hint = None
        if "too many nested" in message:
            words = _TOO_DEEP
            hint = _SPLIT
        else:
            words = _parser_words("invalid syntax" if message.startswith("invalid syntax") else message)
        if offset > len(source.text):
            words = Text(f"{words.zh}（表达式没写完）", f"{words.en} (the expression ends too early)")
        return None, source, [ExpressionError(words, source.lead + offset, hint, text)]
    except (RecursionError, MemoryError):
        return (
            None,
            source,
            [ExpressionError(_TOO_DEEP, 1, _SPLIT, text)],
        )
    except ValueError as error:  # e.g. text the tokenizer refuses outright
        return None, source, [ExpressionError(_parser_words(str(error)), 1, None, text)]
    deepest = _deepest(tree)
    if deepest is not None:
        return (
            None,
            source,
            [ExpressionError(_TOO_DEEP, source.column(deepest), _SPLIT, text)],
        )
    return tree, source, []


def _deepest(tree: ast.AST) -> ast.AST | None:
    """The first node deeper than MAX_DEPTH (walked without recursion), or None."""
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.expr_context):
                stack.append((child, depth + 1))
    return None


_DUNDER = Text("含 '__' 的名称永远取不到任何值", "names with '__' never resolve")


def _is_dunder(name: str) -> bool:
    return name.startswith("__") or name.endswith("__")


class _Checker:
    """Walks a parsed tree and collects every construct outside the whitelist."""

    def __init__(self, source: _Source, expression: str, names: frozenset[str]) -> None:
        self.source = source
        self.expression = expression
        self.names = names
        self.bound: list[str] = []  # the names comprehensions around the node being checked bind
        self.errors: list[ExpressionError] = []

    def error(
        self, words: Text, column: int, hint: Text | None = None, suggestion: str | None = None
    ) -> None:
        self.errors.append(ExpressionError(words, column, hint, self.expression, suggestion))

    def check(self, node: ast.AST) -> None:
        at = self.source.column(node)
        if isinstance(node, ast.Expression):
            self.check(node.body)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                self.check(value)
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Invert):
                self.error(
                    Text("不允许使用 '~'", "'~' is not allowed"),
                    at,
                    Text("否定一个条件请写 'not'", "write 'not' to negate a condition"),
                )
            else:
                self.check(node.operand)
        elif isinstance(node, ast.BinOp):
            self.check_binop(node)
        elif isinstance(node, ast.Compare):
            self.check_compare(node)
        elif isinstance(node, ast.Name):
            self.check_name(node, at)
        elif isinstance(node, ast.Attribute):
            self.check_attribute(node)
        elif isinstance(node, ast.Subscript):
            self.check_subscript(node)
        elif isinstance(node, ast.Constant):
            if node.value is not None and type(node.value) not in (str, int, float, bool):
                kind = type(node.value).__name__
                self.error(
                    Text(f"不允许使用 {kind} 字面量", f"{kind} literals are not allowed"),
                    at,
                    Text("请使用文本、数字、true/false 或 None", "use text, numbers, true/false or None"),
                )
            elif isinstance(node.value, int | float) and not -MAX_NUMBER < node.value < MAX_NUMBER:
                number = _literal(self.source.segment(node))
                self.error(
                    Text(f"数字过大：{number.zh}", f"the number {number.en} is too large"),
                    at,
                    Text(
                        f"条件中的数字须在 {_NUMBER_RANGE} 以内",
                        f"numbers in a condition stay within {_NUMBER_RANGE}",
                    ),
                )
        elif isinstance(node, ast.List | ast.Tuple):
            for element in node.elts:
                self.check(element)
        elif isinstance(node, ast.Call):
            self.check_call(node, at)
        elif isinstance(node, ast.ListComp | ast.GeneratorExp):
            self.check_comprehension(node)
        elif type(node) in _REFUSED_NODES:
            message, hint = _REFUSED_NODES[type(node)]
            self.error(message, at, hint)
        else:
            kind = type(node).__name__
            self.error(Text(f"条件语言中没有 {kind}", f"{kind} is not part of the condition language"), at)

    def check_binop(self, node: ast.BinOp) -> None:
        if type(node.op) in _BINARY_OPS:
            if isinstance(node.op, ast.Mult) and any(
                isinstance(side, ast.Constant) and type(side.value) is str for side in (node.left, node.right)
            ):
                self.error(
                    Text("文本不能用 '*' 重复", "text cannot be repeated with '*'"),
                    self.source.find("*", node.left, node.right),
                    Text(
                        "'*' 只用于数字相乘；文本请直接比较，或用 '+' 拼接",
                        "'*' multiplies numbers; compare or join text with '+'",
                    ),
                )
            self.check(node.left)
            self.check(node.right)
            return
        symbol, hint = _REFUSED_BINARY.get(type(node.op), (type(node.op).__name__, None))
        self.error(
            Text(f"不允许使用运算符 '{symbol}'", f"operator '{symbol}' is not allowed"),
            self.source.find(symbol, node.left, node.right),
            hint,
        )
        self.check(node.left)
        self.check(node.right)

    def check_compare(self, node: ast.Compare) -> None:
        self.check(node.left)
        left: ast.AST = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.Is | ast.IsNot) and not (
                isinstance(right, ast.Constant) and right.value is None
            ):
                symbol = _COMPARE_SYMBOLS[type(op)]
                self.error(
                    Text(f"'{symbol}' 后面只能是 None", f"'{symbol}' may only be followed by None"),
                    self.source.find("is", left, right),
                    Text("比较两个值请写 '==' 或 '!='", "write '==' or '!=' to compare values"),
                )
            self.check(right)
            left = right

    def check_name(self, node: ast.Name, at: int) -> None:
        name = node.id
        if _is_dunder(name):
            self.error(Text(f"不允许使用名称 {name!r}", f"name {name!r} is not allowed"), at, _DUNDER)
        elif name in self.names or name in self.bound:
            return
        elif name in FUNCTIONS:
            self.error(
                Text(
                    f"{name!r} 是函数，请调用它，如 {name}(...)",
                    f"{name!r} is a function; call it, as in {name}(...)",
                ),
                at,
            )
        else:
            roots = sorted(self.names)
            self.error(
                Text(f"未知的名称 {name!r}", f"unknown name {name!r}"),
                at,
                Text(
                    f"表达式须以其中之一开头：{'、'.join(roots)}",
                    f"an expression starts from one of: {', '.join(roots)}",
                ),
                suggestion=near_miss(name, self.names),
            )

    def check_comprehension(self, node: ast.ListComp | ast.GeneratorExp) -> None:
        """``[l.qty for l in order.lines if l.gift]``, ``sum(l.qty for l in order.lines)``: one ``for``
        binding one plain name, any number of ``if``; the name is known inside it only."""
        first, *more = node.generators
        for extra in more:
            self.error(
                Text("推导式只能有一个 'for'", "a comprehension takes one 'for'"),
                self.source.column(extra.target) - len("for "),
                Text(
                    "请分开计算，或在元素里再写一个推导式",
                    "compute it in steps, or put a comprehension inside the element",
                ),
            )
        if first.is_async:
            self.error(Text("不允许使用 async for", "'async for' is not allowed"), self.source.column(node))
        self.check(first.iter)  # the list is read where the comprehension stands, not inside it
        target = first.target
        name = target.id if isinstance(target, ast.Name) else None
        column = self.source.column(target)
        if name is None:
            self.error(
                Text("'for' 后面只能是一个名称", "'for' binds one plain name"),
                column,
                Text(
                    "如 'for l in order.lines'，再读 l.qty", "as in 'for l in order.lines', then read l.qty"
                ),
            )
        elif _is_dunder(name):
            self.error(Text(f"不允许使用名称 {name!r}", f"name {name!r} is not allowed"), column, _DUNDER)
            name = None
        elif name in self.names or name in FUNCTIONS or name in self.bound:
            what = (
                Text("函数", "a function")
                if name in FUNCTIONS and name not in self.names
                else Text("已有的名称", "a name already in use")
            )
            self.error(
                Text(
                    f"'for' 不能使用 {name!r}：它是{what.zh}", f"'for' cannot bind {name!r}: it is {what.en}"
                ),
                column,
                Text("请另取一个名称，如 'line' 或 'l'", "choose another name, such as 'line' or 'l'"),
            )
            name = None
        if len(self.bound) >= MAX_BINDING_DEPTH:
            self.error(
                Text(
                    f"推导式嵌套过深；最多 {MAX_BINDING_DEPTH} 层",
                    f"comprehensions are nested too deeply; the limit is {MAX_BINDING_DEPTH}",
                ),
                self.source.column(node),
                _SPLIT,
            )
        if name is not None:
            self.bound.append(name)
        try:
            for condition in first.ifs:
                self.check(condition)
            self.check(node.elt)
            for extra in more:  # their parts are reported too, once the 'for' itself was
                self.check(extra.iter)
        finally:
            if name is not None:
                self.bound.pop()

    def check_attribute(self, node: ast.Attribute) -> None:
        at = self.source.end_column(node) - len(node.attr)
        if _is_dunder(node.attr):
            self.error(
                Text(f"不允许使用字段 {node.attr!r}", f"field {node.attr!r} is not allowed"), at, _DUNDER
            )
        self.check(node.value)

    def check_subscript(self, node: ast.Subscript) -> None:
        self.check(node.value)
        key = node.slice
        if _constant_key(key) is _NO_VALUE:
            self.error(
                Text(
                    "下标必须是常量整数或文本，如 [0] 或 ['sku']",
                    "an index must be a constant whole number or text, such as [0] or ['sku']",
                ),
                self.source.column(key),
                Text(
                    "pluck(list, 'field') 读取每个元素的同一字段",
                    "pluck(list, 'field') reads one field of every element",
                ),
            )

    def check_call(self, node: ast.Call, at: int) -> None:
        func = node.func
        if not isinstance(func, ast.Name):
            if isinstance(func, ast.Attribute):
                column = self.source.end_column(func) - len(func.attr)
                attr = func.attr
                hint = (
                    Text(f"请写 {attr}(x)，而不是 x.{attr}()", f"write {attr}(x) instead of x.{attr}()")
                    if attr in FUNCTIONS
                    else None
                )
                self.error(
                    Text(f"不能调用方法（'.{attr}(...)'）", f"methods cannot be called ('.{attr}(...)')"),
                    column,
                    hint,
                )
            else:
                self.error(Text("只能调用有名称的函数", "only named functions can be called"), at)
            return
        name = func.id
        if _is_dunder(name):
            self.error(Text(f"不允许使用名称 {name!r}", f"name {name!r} is not allowed"), at, _DUNDER)
            return
        if name not in FUNCTIONS:
            functions = sorted(FUNCTIONS)
            self.error(
                Text(f"未知的函数 {name!r}", f"unknown function {name!r}"),
                at,
                Text(f"可用的函数：{'、'.join(functions)}", f"functions: {', '.join(functions)}"),
                suggestion=near_miss(name, FUNCTIONS),
            )
            return
        for keyword in node.keywords:
            label = f"'{keyword.arg}='" if keyword.arg else "'**'"
            self.error(
                Text(f"不允许使用关键字参数 {label}", f"keyword argument {label} is not allowed"),
                self.source.column(keyword),
                Text("请按位置给出参数", "pass arguments by position"),
            )
        plain = [arg for arg in node.args if not isinstance(arg, ast.Starred)]
        for arg in node.args:
            self.check(arg)
        if node.keywords or len(plain) != len(node.args):
            return
        fewest, most = _ARITY[name]
        if len(plain) < fewest or (most is not None and len(plain) > most):
            if fewest == most:
                wanted = Text(f" {fewest} 个", str(fewest))
            elif most is None:
                wanted = Text(f"至少 {fewest} 个", f"{fewest} or more")
            else:
                wanted = Text(f" {fewest} 到 {most} 个", f"{fewest} to {most}")
            given = len(plain)
            self.error(
                Text(
                    f"{name}() 需要{wanted.zh}参数，实际给了 {given} 个",
                    f"{name}() takes {wanted.en} argument(s), {given} given",
                ),
                at,
            )
        elif name == "code":
            length = _constant_key(plain[0])
            if length is not _NO_VALUE and (type(length) is not int or not MIN_CODE <= length <= MAX_CODE):
                self.error(
                    _code_length_message(length)
                    if type(length) is int
                    else _needs("code", "整数位数", "a whole number of characters", length).words,
                    self.source.column(plain[0]),
                    Text("如 code(8) 或 code(8, 'RMA-')", "such as code(8) or code(8, 'RMA-')"),
                )
        elif name == "in_list" and not (
            isinstance(plain[0], ast.Constant)
            and type(plain[0].value) is str
            and LIST_NAME.fullmatch(plain[0].value)
        ):
            self.error(
                Text(
                    "in_list() 的第一个参数须是名单名称的文本（小写字母、数字、'-'、'_'）",
                    "in_list()'s first argument must be a list's name written as text (lower-case letters, "
                    "digits, '-', '_')",
                ),
                self.source.column(plain[0]),
                Text(
                    "例如：in_list('blocked-mobiles', order.customer.mobile)",
                    "in_list('blocked-mobiles', order.customer.mobile)",
                ),
            )
        elif name == "round" and len(plain) == 2:
            digits = _constant_key(plain[1])
            if type(digits) is int and not -MAX_ROUND_DIGITS <= digits <= MAX_ROUND_DIGITS:
                self.error(
                    _round_digits_message(digits),
                    self.source.column(plain[1]),
                    Text(
                        "round(x, 2) 保留到分；round(x, -2) 取整到百位",
                        "round(x, 2) gives cents; round(x, -2) hundreds",
                    ),
                )


def _literal(text: str) -> Text:
    """A number as written, shortened when long: ``1234567890...`` (400 characters)."""
    if len(text) <= 40:
        return Text(text, text)
    return Text(f"{text[:20]}...（共 {len(text)} 个字符）", f"{text[:20]}... ({len(text)} characters)")


def _constant_key(node: ast.AST) -> Any:
    """The constant an index node stands for (int or str, negatives allowed), or _NO_VALUE."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, str):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) is int
    ):
        return -node.operand.value
    return _NO_VALUE


def _names(names: Collection[str] | None) -> frozenset[str]:
    return ALLOWED_ROOTS if names is None else frozenset(names)


def _analyse(
    text: str, names: frozenset[str]
) -> tuple[ast.Expression | None, _Source | None, list[ExpressionError]]:
    tree, source, errors = _parse_tree(text)
    if tree is None or source is None:
        return None, source, errors
    checker = _Checker(source, text, names)
    checker.check(tree)
    checker.errors.sort(key=lambda e: e.column)
    return tree, source, checker.errors


def check(text: str, names: Collection[str] | None = None) -> list[ExpressionError]:
    """Every problem of an expression (an empty list when it may be used). Never raises."""
    return _analyse(text, _names(names))[2]


def parse(text: str, names: Collection[str] | None = None) -> ast.Expression:
    """The checked syntax tree of an expression; raises the first :class:`ExpressionError`."""
    tree, _source, errors = _analyse(text, _names(names))
    if errors or tree is None:
        raise errors[0]
    return tree


# --------------------------------------------------------------------------------------------------
# Compilation into closures
# --------------------------------------------------------------------------------------------------


class _TracingEnv(dict[str, Any]):
    """The environment during ``explain``: a copy of it plus the list of comparisons made."""

    def __init__(self, env: Env) -> None:
        super().__init__(env)
        self.trace: list[dict[str, Any]] = []


class _Compiler:
    def __init__(self, source: _Source, expression: str, explain: bool) -> None:
        self.source = source
        self.expression = expression
        self.explain = explain

    def fail(self, node: ast.AST, error: Exception) -> ExpressionEvaluationError:
        return ExpressionEvaluationError(self.expression, self.source.segment(node), _why(error))

    def compile(self, node: ast.AST) -> Evaluator:
        if isinstance(node, ast.Expression):
            return self.compile(node.body)
        if isinstance(node, ast.Constant):
            return _constant(node.value)
        if isinstance(node, ast.Name | ast.Attribute):
            return self.compile_path(node)
        if isinstance(node, ast.BoolOp):
            return self.compile_boolop(node)
        if isinstance(node, ast.UnaryOp):
            return self.compile_unary(node)
        if isinstance(node, ast.BinOp):
            return self.compile_binop(node)
        if isinstance(node, ast.Compare):
            return self.compile_compare(node)
        if isinstance(node, ast.Subscript):
            return self.compile_subscript(node)
        if isinstance(node, ast.List | ast.Tuple):
            return self.compile_sequence(node)
        if isinstance(node, ast.Call):
            return self.compile_call(node)
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return self.compile_comprehension(node)
        raise AssertionError(f"unchecked node {type(node).__name__}")  # the checker refuses it first

    def compile_comprehension(self, node: ast.ListComp | ast.GeneratorExp) -> Evaluator:
        """The list of the element for each value of the list that every ``if`` holds for.

        The values are bound in a copy of the environment; all comprehensions of one evaluation share
        one budget of ``MAX_SIZE`` values looked at (nested ones multiply)."""
        (generator,) = node.generators  # the checker refuses a second 'for'
        assert isinstance(generator.target, ast.Name)
        name = generator.target.id
        values = self.compile(generator.iter)
        conditions = tuple(self.compile(condition) for condition in generator.ifs)
        element = self.compile(node.elt)
        fail = self.fail

        def comprehension(env: Env) -> list[Any]:
            found = values(env)
            if found is None:
                return []
            if type(found) is not list and type(found) is not tuple:
                got = _describe(found)
                raise fail(
                    generator.iter,
                    _FunctionArgumentError(
                        Text(f"'for' 需要列表，而不是{got.zh}", f"'for' needs a list, not {got.en}")
                    ),
                )
            scope = dict(env)
            budget = scope.get(_BUDGET)
            if budget is None:
                budget = scope[_BUDGET] = [MAX_SIZE]
            budget[0] -= len(found)
            if budget[0] < 0:
                raise fail(node, _FunctionArgumentError(_OVER_BUDGET))
            kept = []
            for value in found:
                scope[name] = value
                for condition in conditions:
                    if not condition(scope):
                        break
                else:
                    kept.append(element(scope))
            return kept

        return comprehension

    def compile_path(self, node: ast.Name | ast.Attribute) -> Evaluator:
        keys: list[str] = []
        current: ast.AST = node
        while isinstance(current, ast.Attribute):
            keys.append(current.attr)
            current = current.value
        keys.reverse()
        if isinstance(current, ast.Name):
            return _path(current.id, tuple(keys))
        base = self.compile(current)
        fields = tuple(keys)

        def field_of(env: Env) -> Any:
            value = base(env)
            for key in fields:
                value = _field(value, key)
            return value

        return field_of

    def compile_boolop(self, node: ast.BoolOp) -> Evaluator:
        parts = tuple(self.compile(value) for value in node.values)
        if len(parts) == 2:
            first, second = parts
            if isinstance(node.op, ast.And):
                return lambda env: bool(first(env) and second(env))
            return lambda env: bool(first(env) or second(env))
        if isinstance(node.op, ast.And):

            def all_of(env: Env) -> bool:
                for part in parts:  # noqa: SIM110 - a generator costs a frame on the hot path
                    if not part(env):
                        return False
                return True

            return all_of

        def any_of(env: Env) -> bool:
            for part in parts:  # noqa: SIM110 - a generator costs a frame on the hot path
                if part(env):
                    return True
            return False

        return any_of

    def compile_unary(self, node: ast.UnaryOp) -> Evaluator:
        if isinstance(node.op, ast.Not):
            operand = self.compile(node.operand)
            return lambda env: not operand(env)
        negate = isinstance(node.op, ast.USub)
        if isinstance(node.operand, ast.Constant) and _is_number(node.operand.value):
            number: Any = node.operand.value
            return _constant(-number if negate else number)
        operand = self.compile(node.operand)
        fail = self.fail
        symbol = "-" if negate else "+"

        def sign(env: Env) -> Any:
            value = operand(env)
            if _is_number(value) or type(value) is timedelta:
                return -value if negate else +value
            if value is None:
                words = Text(
                    f"一元 '{symbol}' 的操作数缺失（None）",
                    f"the operand of unary '{symbol}' is missing (None)",
                )
            else:
                got = _describe(value)
                words = Text(
                    f"一元 '{symbol}' 的操作数是{got.zh}，不是数字",
                    f"the operand of unary '{symbol}' is {got.en}, not a number",
                )
            raise fail(node, _FunctionArgumentError(words))

        return sign

    def compile_binop(self, node: ast.BinOp) -> Evaluator:
        symbol, compute = _BINARY_OPS[type(node.op)]
        left = self.compile(node.left)
        right = self.compile(node.right)
        fail = self.fail
        checked = symbol in ("/", "//", "%")
        for constant_node, on_right in ((node.right, True), (node.left, False)):
            if isinstance(constant_node, ast.Constant) and type(constant_node.value) in (int, float):
                return self.arithmetic_with_constant(
                    node, left if on_right else right, constant_node.value, on_right
                )

        def arithmetic(env: Env) -> Any:
            a = left(env)
            b = right(env)
            if type(a) in _INT_FLOAT and type(b) in _INT_FLOAT and not (checked and not b):
                result = compute(a, b)
                if -MAX_NUMBER < result < MAX_NUMBER:
                    return result
            try:
                return _arith(a, b, compute, symbol)
            except (_FunctionArgumentError, TypeError, ArithmeticError) as error:
                raise fail(node, error) from None

        return arithmetic

    def arithmetic_with_constant(
        self, node: ast.BinOp, other: Evaluator, constant: Any, on_right: bool
    ) -> Evaluator:
        """``x + 0.01``, ``0.5 * x``: the number written in the text is not looked up per evaluation."""
        symbol, compute = _BINARY_OPS[type(node.op)]
        fail = self.fail
        checked = symbol in ("/", "//", "%")
        if on_right:
            fast = not (checked and not constant)

            def constant_right(env: Env) -> Any:
                a = other(env)
                if type(a) in _INT_FLOAT and fast:
                    result = compute(a, constant)
                    if -MAX_NUMBER < result < MAX_NUMBER:
                        return result
                try:
                    return _arith(a, constant, compute, symbol)
                except (_FunctionArgumentError, TypeError, ArithmeticError) as error:
                    raise fail(node, error) from None

            return constant_right

        def constant_left(env: Env) -> Any:
            b = other(env)
            if type(b) in _INT_FLOAT and not (checked and not b):
                result = compute(constant, b)
                if -MAX_NUMBER < result < MAX_NUMBER:
                    return result
            try:
                return _arith(constant, b, compute, symbol)
            except (_FunctionArgumentError, TypeError, ArithmeticError) as error:
                raise fail(node, error) from None

        return constant_left

    def compile_compare(self, node: ast.Compare) -> Evaluator:
        pairs: list[Callable[[Any, Any], bool]] = []
        texts: list[str] = []
        left_node: ast.AST = node.left
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            pairs.append(self.comparison(op, node))
            texts.append(self.source.span(left_node, right_node))
            left_node = right_node
        operands = (self.compile(node.left), *(self.compile(c) for c in node.comparators))
        if self.explain:
            return _traced_chain(operands, tuple(pairs), tuple(texts))
        if len(pairs) == 1:
            compare = pairs[0]
            left, right = operands
            if isinstance(node.comparators[0], ast.Constant):
                constant = node.comparators[0].value
                return self.compare_with_constant(node.ops[0], left, constant, compare)
            return lambda env: compare(left(env), right(env))
        return _chain(operands, tuple(pairs))

    def compare_with_constant(
        self, op: ast.cmpop, left: Evaluator, constant: Any, compare: Callable[[Any, Any], bool]
    ) -> Evaluator:
        """Tight closures for the most common guard shape, ``field <op> constant``."""
        if isinstance(op, ast.Is):
            return lambda env: left(env) is None
        if isinstance(op, ast.IsNot):
            return lambda env: left(env) is not None
        if isinstance(op, ast.Eq):
            return lambda env: left(env) == constant
        if isinstance(op, ast.NotEq):
            return lambda env: left(env) != constant
        if type(op) in _ORDERED_OPS and type(constant) in (int, float, str):
            fast = _ORDERED_OPS[type(op)][1]
            kind = type(constant)

            def ordered(env: Env) -> bool:
                value = left(env)
                if type(value) is kind:
                    return fast(value, constant)
                return compare(value, constant)

            return ordered
        return lambda env: compare(left(env), constant)

    def comparison(self, op: ast.cmpop, node: ast.Compare) -> Callable[[Any, Any], bool]:
        fail = self.fail
        if isinstance(op, ast.Eq):
            return operator.eq
        if isinstance(op, ast.NotEq):
            return operator.ne
        if isinstance(op, ast.Is):
            return lambda a, _b: a is None
        if isinstance(op, ast.IsNot):
            return lambda a, _b: a is not None
        if isinstance(op, ast.In | ast.NotIn):
            negate = isinstance(op, ast.NotIn)

            def membership(a: Any, b: Any) -> bool:
                try:
                    found = _member(a, b)
                except _FunctionArgumentError as error:
                    raise fail(node, error) from None
                return not found if negate else found

            return membership
        symbol, compute = _ORDERED_OPS[type(op)]

        def ordered(a: Any, b: Any) -> bool:
            kind = type(a)
            if kind is type(b) and (kind is int or kind is float or kind is str):
                return compute(a, b)
            try:
                return _ordered(a, b, compute, symbol)
            except (_FunctionArgumentError, TypeError) as error:
                raise fail(node, error) from None

        return ordered

    def compile_subscript(self, node: ast.Subscript) -> Evaluator:
        value = self.compile(node.value)
        key = _constant_key(node.slice)
        return lambda env: _item(value(env), key)

    def compile_sequence(self, node: ast.List | ast.Tuple) -> Evaluator:
        elements = tuple(self.compile(e) for e in node.elts)
        if all(isinstance(e, ast.Constant) for e in node.elts):
            constant = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            return lambda env: list(constant)
        return lambda env: [element(env) for element in elements]

    def compile_call(self, node: ast.Call) -> Evaluator:
        assert isinstance(node.func, ast.Name)  # the checker refuses every other callee
        name = node.func.id
        function = FUNCTIONS[name]
        args = tuple(self.compile(arg) for arg in node.args)
        fail = self.fail
        needs_env = name in ENV_FUNCTIONS
        if len(args) == 1 and not needs_env:
            (only,) = args
            argument = node.args[0]
            if name in _AGGREGATES and isinstance(argument, ast.Call) and _constant_pluck(argument):
                return self.compile_aggregate(node, argument)
            if name == "len":

                def length(env: Env) -> Any:
                    try:
                        value = only(env)
                        if type(value) is list or type(value) is str:
                            return len(value)
                        return _fn_len(value)
                    except (_FunctionArgumentError, TypeError, ValueError, ArithmeticError) as error:
                        raise fail(node, error) from None

                return length

            def call_one(env: Env) -> Any:
                try:
                    return function(only(env))
                except (_FunctionArgumentError, TypeError, ValueError, ArithmeticError) as error:
                    raise fail(node, error) from None

            return call_one
        if len(args) == 1:  # days_since(x) and the like: the function reads 'now' from env
            (only,) = args

            def call_env(env: Env) -> Any:
                value = only(env)  # outside the try, as in call(): an argument's error is its own
                try:
                    return function(env, value)
                except (_FunctionArgumentError, TypeError, ValueError, ArithmeticError) as error:
                    raise fail(node, error) from None

            return call_env
        if _constant_pluck(node):
            return self.compile_pluck(node, args[0], str(getattr(node.args[1], "value", "")))
        if len(args) == 2 and not needs_env:
            first, second = args

            def call_two(env: Env) -> Any:
                a, b = first(env), second(env)
                try:
                    return function(a, b)
                except (_FunctionArgumentError, TypeError, ValueError, ArithmeticError) as error:
                    raise fail(node, error) from None

            return call_two

        def call(env: Env) -> Any:
            values = [arg(env) for arg in args]
            try:
                if needs_env:
                    return function(env, *values)
                return function(*values)
            except (_FunctionArgumentError, TypeError, ValueError, ArithmeticError) as error:
                raise fail(node, error) from None

        return call

    def compile_pluck(self, node: ast.Call, values: Evaluator, name: str) -> Evaluator:
        """``pluck(list, "field")`` with the field named in the text: records' keys read inline."""
        fail = self.fail

        def pluck(env: Env) -> Any:
            found = values(env)
            try:
                return _pluck_field(found, name)
            except (_FunctionArgumentError, TypeError, ValueError, ArithmeticError) as error:
                raise fail(node, error) from None

        return pluck

    def compile_aggregate(self, node: ast.Call, plucked: ast.Call) -> Evaluator:
        """``min(pluck(list, "field"))``, ``max(...)``, ``sum(...)``: one closure for both calls.

        It raises what the two closures would: an error of the list's own expression or of the
        outer function names the outer call, one of picking the fields names the pluck.
        """
        assert isinstance(node.func, ast.Name) and isinstance(plucked.args[1], ast.Constant)
        function = FUNCTIONS[node.func.id]
        quick: Callable[[list[Any]], Any] = _QUICK_AGGREGATES[node.func.id]
        empty_is_none = node.func.id != "sum"  # min() and max() of nothing are None
        values = self.compile(plucked.args[0])
        name = str(plucked.args[1].value)  # text: see _constant_pluck
        fail = self.fail

        def aggregate(env: Env) -> Any:
            try:
                found = values(env)
                try:
                    if type(found) is list:
                        items = [e.get(name) if type(e) is dict else _field(e, name) for e in found]
                    else:
                        items = _pluck_field(found, name)
                except (_FunctionArgumentError, TypeError, ValueError, ArithmeticError) as error:
                    raise fail(plucked, error) from None
                if (items or not empty_is_none) and _NUMBER_TYPES.issuperset(map(type, items)):
                    return quick(items)
                return function(items)
            except (_FunctionArgumentError, TypeError, ValueError, ArithmeticError) as error:
                raise fail(node, error) from None

        return aggregate


_BUDGET = "__budget__"  # the environment's key of the values comprehensions may still look at
_OVER_BUDGET = Text(
    f"推导式要查看的值超过 {MAX_SIZE:,} 个",
    f"comprehensions would look at more than {MAX_SIZE:,} values",
)


def _constant(value: Any) -> Evaluator:
    return lambda env: value


# min(), max() and sum() of numbers only (no None, no other kind): what the language's functions give
_QUICK_AGGREGATES: Mapping[str, Callable[[list[Any]], Any]] = {
    "min": min,
    "max": max,
    "sum": lambda items: _in_range(sum(items), "sum()"),
}
_AGGREGATES = frozenset(_QUICK_AGGREGATES)


def _constant_pluck(node: ast.Call) -> bool:
    """``pluck(x, "field")``: the field named in the text."""
    return (
        isinstance(node.func, ast.Name)
        and node.func.id == "pluck"
        and len(node.args) == 2
        and isinstance(node.args[1], ast.Constant)
        and type(node.args[1].value) is str
    )


def _pluck_field(found: Any, name: str) -> list[Any]:
    """``pluck(found, name)``, records' keys read inline."""
    if type(found) is list or type(found) is tuple:
        return [e.get(name) if type(e) is dict else _field(e, name) for e in found]
    return _fn_pluck(found, name)  # None is an empty list; anything else an error


def _path(root: str, keys: tuple[str, ...]) -> Evaluator:
    """``root.k1.k2...``: dict lookups inline for the usual one and two levels."""
    if not keys:
        return lambda env: env.get(root)
    if len(keys) == 1:
        (first,) = keys

        def one(env: Env) -> Any:
            value = env.get(root)
            if type(value) is dict:
                return value.get(first)
            return _field(value, first)

        return one
    if len(keys) == 2:
        first, second = keys

        def two(env: Env) -> Any:
            value = env.get(root)
            value = value.get(first) if type(value) is dict else _field(value, first)
            return value.get(second) if type(value) is dict else _field(value, second)

        return two

    def many(env: Env) -> Any:
        value = env.get(root)
        for key in keys:
            value = value.get(key) if type(value) is dict else _field(value, key)
        return value

    return many


def _chain(operands: Sequence[Evaluator], pairs: Sequence[Callable[[Any, Any], bool]]) -> Evaluator:
    """``a < b < c``: each operand evaluated once, stopping at the first false comparison."""
    rest = tuple(zip(pairs, operands[1:], strict=True))
    first = operands[0]

    def chain(env: Env) -> bool:
        left = first(env)
        for compare, operand in rest:
            right = operand(env)
            if not compare(left, right):
                return False
            left = right
        return True

    return chain


def _traced_chain(
    operands: Sequence[Evaluator], pairs: Sequence[Callable[[Any, Any], bool]], texts: Sequence[str]
) -> Evaluator:
    rest = tuple(zip(pairs, operands[1:], texts, strict=True))
    first = operands[0]

    def traced(env: Env) -> bool:
        left = first(env)
        for compare, operand, text in rest:
            right = operand(env)
            result = bool(compare(left, right))
            if isinstance(env, _TracingEnv):
                env.trace.append({"expr": text, "left": left, "right": right, "result": result})
            if not result:
                return False
            left = right
        return True

    return traced


@dataclass(frozen=True, slots=True)
class CompiledExpression:
    """An expression compiled once into closures; call it with the environment of names."""

    source: str
    names: frozenset[str]
    _evaluate: Evaluator = field(repr=False, compare=False)
    _explain: Evaluator = field(repr=False, compare=False)

    def __call__(self, env: Env) -> Any:
        try:
            return self._evaluate(env)
        except ExpressionEvaluationError:
            raise
        except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError) as error:
            raise ExpressionEvaluationError(self.source, self.source, _why(error)) from None

    def explain(self, env: Env) -> tuple[Any, list[dict[str, Any]]]:
        """The value and every comparison made on the way: ``{"expr", "left", "right", "result"}``."""
        tracing = _TracingEnv(env)
        try:
            value = self._explain(tracing)
        except ExpressionEvaluationError:
            raise
        except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError) as error:
            raise ExpressionEvaluationError(self.source, self.source, _why(error)) from None
        return value, tracing.trace


@functools.lru_cache(maxsize=4096)
def _compile_cached(text: str, names: frozenset[str]) -> CompiledExpression:
    tree, source, errors = _analyse(text, names)
    if errors or tree is None or source is None:
        raise errors[0]
    return CompiledExpression(
        source=text,
        names=names,
        _evaluate=_Compiler(source, text, explain=False).compile(tree),
        _explain=_Compiler(source, text, explain=True).compile(tree),
    )


def compile_expression(text: str, names: Collection[str] | None = None) -> CompiledExpression:
    """Check and compile an expression (cached by its text); raises the first :class:`ExpressionError`."""
    return _compile_cached(text, _names(names))


def moment_value(expression: str, value: Any) -> datetime | None:
    """``value``, what ``expression`` gave, as a moment (a timer's ``at``): a date, or text written as an
    ISO-8601 date, read as UTC when it names no zone; None for None. Anything else raises
    :class:`ExpressionEvaluationError` naming the expression."""
    if value is None:
        return None
    if isinstance(value, datetime | date_type):
        return _to_datetime(value, "at")
    if type(value) is str:
        try:
            return _to_datetime(value, "at")
        except _FunctionArgumentError as error:
            raise ExpressionEvaluationError(expression, expression, error.words) from None
    got = _describe(value)
    raise ExpressionEvaluationError(
        expression,
        expression,
        Text(f"at: 需要一个时刻，而不是{got.zh}", f"at: needs a moment, not {got.en}"),
    )
