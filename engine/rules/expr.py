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
import warnings
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import date as date_type
from decimal import Decimal, InvalidOperation, getcontext
from types import MappingProxyType
from typing import Any

from engine.common.suggest import near_miss, suggestion_text
from engine.errors import EngineError, Problem, brief

__all__ = [
    "ALLOWED_ROOTS",
    "ENV_FUNCTIONS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NUMBER",
    "MAX_ROUND_DIGITS",
    "MAX_SIZE",
    "CompiledExpression",
    "ExpressionError",
    "ExpressionEvaluationError",
    "check",
    "compile_expression",
    "parse",
]

ALLOWED_ROOTS = frozenset({"order", "data", "actor", "now", "event", "customer", "item", "children"})
MAX_LENGTH = 2000
MAX_DEPTH = 50
# Numbers stay inside a decimal number's (a float's) range: every whole number below it is exact, and
# no product of a short condition can take seconds to compute, print or compare.
MAX_NUMBER = 2**1024  # about 1.8e308
MAX_ROUND_DIGITS = 308  # round(x, n): beyond 308 digits either way every number rounds to 0 or to itself
MAX_SIZE = 100_000  # characters of text, or elements of a list, that '+' may build
_NUMBER_RANGE = "±1.8e308"

Env = Mapping[str, Any]
Evaluator = Callable[[Env], Any]


class ExpressionError(EngineError):
    """An expression that may not be used: bad syntax or a construct outside the whitelist.

    Its ``message`` is the problem's text (an attribute, as callers and ``to_problem`` read it), so it
    hides ``EngineError.message(lang)``: these errors are for definition authors and become problems.
    ``message`` ends with "did you mean" for a near miss; ``text`` and ``suggestion`` hold the two apart.
    """

    message: str  # type: ignore[assignment]  # the problem's text; see the class docstring

    def __init__(
        self,
        message: str,
        column: int,
        hint: str | None = None,
        expression: str = "",
        suggestion: str | None = None,
    ) -> None:
        self.text = message  # what is wrong, without the suggestion
        self.suggestion = suggestion  # the name most likely meant, for a near miss
        self.message = message + suggestion_text(suggestion)
        self.column = column  # 1-based offset within ``expression``
        self.hint = hint
        self.expression = expression
        text = f"column {column}: {self.message}"
        if hint:
            text += f" (hint: {hint})"
        super().__init__(text)

    def to_problem(
        self, file: str = "<string>", json_path: str = "$", line: int = 0, column: int = 0
    ) -> Problem:
        """This error as a definition :class:`Problem`.

        ``line`` and ``column`` are where the expression text starts in its file (0 when unknown); the
        problem then points at the offending character itself.
        """
        return Problem(
            words=f"in condition {brief(self.expression, 80)}, column {self.column}: {self.text}",
            file=file,
            line=line,
            column=column + self.column - 1 if line and column else 0,
            json_path=json_path,
            hint_words=self.hint,
            code="expression",
            suggestion=self.suggestion,
        )


class ExpressionEvaluationError(EngineError):
    """An expression that was valid but could not be evaluated over the given values."""

    def __init__(self, expression: str, part: str, detail: str) -> None:
        self.expression = expression
        self.part = part  # the sub-expression that failed
        self.detail = detail
        where = f" in {part!r}" if part and part != expression else ""
        super().__init__(f"cannot evaluate {expression!r}{where}: {detail}")


class _FunctionArgumentError(ValueError):
    """Raised by a function of the language when its arguments do not fit; turned into an evaluation error."""


# --------------------------------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is float or kind is Decimal


_KIND_NAMES: Mapping[type, str] = {
    str: "text",
    int: "a number",
    float: "a number",
    Decimal: "a number",
    bool: "true/false",
    list: "a list",
    tuple: "a list",
    dict: "a record",
}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (None)"
    name = _KIND_NAMES.get(type(value), type(value).__name__)
    return f"{name} ({_short(value)})"


def _short(value: Any) -> str:
    if type(value) is int and value.bit_length() > 1000:  # repr() refuses past 4,300 digits
        return f"a whole number of about {int(math.log10(abs(value))) + 1} digits"
    if type(value) is str and len(value) > 1000:
        return f"text of {len(value)} characters"
    if (type(value) is list or type(value) is tuple) and len(value) > 1000:
        return f"a list of {len(value)} elements"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _as_list(value: Any, function: str) -> list[Any] | tuple[Any, ...]:
    if value is None:
        return []
    if type(value) is list or type(value) is tuple:
        return value
    raise _FunctionArgumentError(f"{function}() needs a list, not {_describe(value)}")


def _fn_len(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    raise _FunctionArgumentError(f"len() needs text or a list, not {_describe(value)}")


def _numbers(values: Sequence[Any], function: str) -> list[Any]:
    found = []
    for value in values:
        if value is None:
            continue
        if not _is_number(value):
            raise _FunctionArgumentError(f"{function}() needs numbers, not {_describe(value)}")
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
    return _FunctionArgumentError(
        f"the result of {what} is too large ({_short(value)}); "
        f"numbers in a condition stay within {_NUMBER_RANGE}"
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
    if len(kinds) > 1 or kinds - {"number", "str", "datetime"}:
        raise _FunctionArgumentError(f"{function}() needs values of one kind (numbers, text or dates)")
    return pick(present)


def _fn_min(*args: Any) -> Any:
    return _extreme("min", min, args)


def _fn_max(*args: Any) -> Any:
    return _extreme("max", max, args)


def _fn_abs(value: Any) -> Any:
    if not _is_number(value):
        raise _FunctionArgumentError(f"abs() needs a number, not {_describe(value)}")
    return abs(value)


def _fn_round(value: Any, digits: Any = None) -> Any:
    if not _is_number(value):
        raise _FunctionArgumentError(f"round() needs a number, not {_describe(value)}")
    if digits is None:
        return _in_range(round(value), "round()")
    if type(digits) is not int:
        raise _FunctionArgumentError(f"round() needs a whole number of digits, not {_describe(digits)}")
    if not -MAX_ROUND_DIGITS <= digits <= MAX_ROUND_DIGITS:
        raise _FunctionArgumentError(_round_digits_message(digits))
    try:
        return _in_range(round(value, digits), "round()")
    except InvalidOperation:  # a Decimal asked for more digits than its precision holds
        raise _FunctionArgumentError(f"round() cannot give {value} with {digits} digits") from None


def _round_digits_message(digits: int) -> str:
    return f"round() takes from {-MAX_ROUND_DIGITS} to {MAX_ROUND_DIGITS} digits, not {_short(digits)}"


def _text_or_none(value: Any, function: str) -> str | None:
    if value is None or type(value) is str:
        return value
    raise _FunctionArgumentError(f"{function}() needs text, not {_describe(value)}")


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
        raise _FunctionArgumentError(f"pluck() needs a field name as text, not {_describe(name)}")
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
                f"{function}() needs an ISO-8601 date such as '2024-05-01T08:00:00+08:00', not {value!r}"
            ) from None
    else:
        raise _FunctionArgumentError(f"{function}() needs a date or an ISO-8601 text, not {_describe(value)}")
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
            raise _FunctionArgumentError(f"{function}() needs 'now', which is not set")
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
    }
)
# Functions whose callable takes the evaluation environment first (they read ``now`` from it, never
# from the system clock).
ENV_FUNCTIONS = frozenset({"days_since", "hours_since", "minutes_since"})
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
            raise _FunctionArgumentError(f"cannot look for {_describe(item)} inside text")
        return item in container
    if kind is list or kind is tuple or kind is set or kind is frozenset or isinstance(container, Mapping):
        try:
            return item in container
        except TypeError:  # an unhashable item is never a key of a mapping or a member of a set
            return False
    raise _FunctionArgumentError(f"cannot look inside {_describe(container)}; 'in' needs a list or text")


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
    raise _FunctionArgumentError(f"cannot compare {_describe(left)} {symbol} {_describe(right)}")


def _arith_error(left: Any, right: Any, symbol: str) -> _FunctionArgumentError:
    if left is None or right is None:
        side = "left" if left is None else "right"
        return _FunctionArgumentError(f"the {side} side of '{symbol}' is missing (None)")
    return _FunctionArgumentError(f"cannot compute {_describe(left)} {symbol} {_describe(right)}")


def _arith(left: Any, right: Any, compute: Callable[[Any, Any], Any], symbol: str) -> Any:
    """The slow path of arithmetic: numbers (and + on text or lists), never None or true/false; no
    result beyond ``MAX_NUMBER`` or ``MAX_SIZE``."""
    if _is_number(left) and _is_number(right):
        if symbol in ("/", "//", "%") and right == 0:
            raise _FunctionArgumentError(f"division by zero in '{symbol}'")
        try:
            result = compute(left, right)
        except InvalidOperation:  # a whole quotient of a Decimal longer than its precision (10**300 // 2.5)
            raise _FunctionArgumentError(
                f"'{symbol}' of {_describe(left)} and {_describe(right)} has more digits than a decimal "
                f"number holds ({getcontext().prec})"
            ) from None
        return _in_range(result, f"'{symbol}'")
    if symbol == "+":
        if type(left) is str and type(right) is str:
            _joined_size(len(left) + len(right), "characters")
            return left + right
        if type(left) in (list, tuple) and type(right) in (list, tuple):
            _joined_size(len(left) + len(right), "elements")
            return [*left, *right]
    raise _arith_error(left, right, symbol)


def _joined_size(size: int, unit: str) -> None:
    if size > MAX_SIZE:
        raise _FunctionArgumentError(
            f"'+' would build {size} {unit}; text or a list built in a condition holds at most "
            f"{MAX_SIZE:,} {unit}"
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
_REFUSED_BINARY = {
    ast.Pow: ("**", "powers are not part of the language; multiply instead"),
    ast.MatMult: ("@", None),
    ast.LShift: ("<<", None),
    ast.RShift: (">>", None),
    ast.BitOr: ("|", "write 'or' for either condition"),
    ast.BitAnd: ("&", "write 'and' for both conditions"),
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
_REFUSED_NODES: Mapping[type[ast.AST], tuple[str, str | None]] = {
    ast.Lambda: ("lambda is not allowed", "conditions cannot define functions"),
    ast.ListComp: (
        "comprehensions are not allowed",
        "use pluck(list, 'field'), any(...), all(...), count(...)",
    ),
    ast.SetComp: (
        "comprehensions are not allowed",
        "use pluck(list, 'field'), any(...), all(...), count(...)",
    ),
    ast.DictComp: (
        "comprehensions are not allowed",
        "use pluck(list, 'field'), any(...), all(...), count(...)",
    ),
    ast.GeneratorExp: (
        "comprehensions are not allowed",
        "use pluck(list, 'field'), any(...), all(...), count(...)",
    ),
    ast.NamedExpr: ("assignment (:=) is not allowed", "conditions only read values"),
    ast.JoinedStr: ("f-strings are not allowed", "compare plain text, or join with +"),
    ast.FormattedValue: ("f-strings are not allowed", "compare plain text, or join with +"),
    ast.Starred: ("* unpacking is not allowed", None),
    ast.IfExp: ("'x if c else y' is not allowed", "split the condition with 'and' / 'or'"),
    ast.Dict: ("record literals {...} are not allowed", "use a list [...] of values"),
    ast.Set: ("set literals {...} are not allowed", "use a list [...] of values"),
    ast.Await: ("await is not allowed", None),
    ast.Yield: ("yield is not allowed", None),
    ast.YieldFrom: ("yield is not allowed", None),
    ast.Slice: ("slices are not allowed", "use a single constant index such as [0]"),
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


def _prepare(text: str) -> tuple[_Source | None, list[ExpressionError]]:
    """Refuse what must not reach the parser; give the text as parsed and its leading offset."""
    if not isinstance(text, str):
        return None, [ExpressionError("an expression must be text", 1, None, repr(text))]
    if len(text) > MAX_LENGTH:
        return None, [
            ExpressionError(
                f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}",
                MAX_LENGTH + 1,
                "split it into several rules or conditions",
                text,
            )
        ]
    flat = text.replace("\r", " ").replace("\n", " ")
    body = flat.lstrip(" \t\f")
    if not body.strip():
        return None, [
            ExpressionError("expression is empty", 1, "write a condition such as order.total > 0", text)
        ]
    if "\x00" in body:
        column = text.index("\x00") + 1
        return None, [ExpressionError("expression contains a NUL character", column, None, text)]
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
            message = f"expression is nested too deeply; the limit is {MAX_DEPTH} levels"
            hint = "split it into several conditions"
        elif message.startswith("invalid syntax"):
            message = "invalid syntax"
        if offset > len(source.text):
            message += " (the expression ends too early)"
        return None, source, [ExpressionError(message, source.lead + offset, hint, text)]
    except (RecursionError, MemoryError):
        return (
            None,
            source,
            [
                ExpressionError(
                    f"expression is nested too deeply; the limit is {MAX_DEPTH} levels",
                    1,
                    "split it into several conditions",
                    text,
                )
            ],
        )
    except ValueError as error:  # e.g. text the tokenizer refuses outright
        return None, source, [ExpressionError(str(error), 1, None, text)]
    deepest = _deepest(tree)
    if deepest is not None:
        return (
            None,
            source,
            [
                ExpressionError(
                    f"expression is nested too deeply; the limit is {MAX_DEPTH} levels",
                    source.column(deepest),
                    "split it into several conditions",
                    text,
                )
            ],
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


def _is_dunder(name: str) -> bool:
    return name.startswith("__") or name.endswith("__")


class _Checker:
    """Walks a parsed tree and collects every construct outside the whitelist."""

    def __init__(self, source: _Source, expression: str, names: frozenset[str]) -> None:
        self.source = source
        self.expression = expression
        self.names = names
        self.errors: list[ExpressionError] = []

    def error(
        self, message: str, column: int, hint: str | None = None, suggestion: str | None = None
    ) -> None:
        self.errors.append(ExpressionError(message, column, hint, self.expression, suggestion))

    def check(self, node: ast.AST) -> None:
        at = self.source.column(node)
        if isinstance(node, ast.Expression):
            self.check(node.body)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                self.check(value)
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Invert):
                self.error("'~' is not allowed", at, "write 'not' to negate a condition")
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
                self.error(
                    f"{type(node.value).__name__} literals are not allowed",
                    at,
                    "use text, numbers, true/false or None",
                )
            elif isinstance(node.value, int | float) and not -MAX_NUMBER < node.value < MAX_NUMBER:
                self.error(
                    f"the number {_literal(self.source.segment(node))} is too large",
                    at,
                    f"numbers in a condition stay within {_NUMBER_RANGE}",
                )
        elif isinstance(node, ast.List | ast.Tuple):
            for element in node.elts:
                self.check(element)
        elif isinstance(node, ast.Call):
            self.check_call(node, at)
        elif type(node) in _REFUSED_NODES:
            message, hint = _REFUSED_NODES[type(node)]
            self.error(message, at, hint)
        else:
            self.error(f"{type(node).__name__} is not part of the condition language", at)

    def check_binop(self, node: ast.BinOp) -> None:
        if type(node.op) in _BINARY_OPS:
            if isinstance(node.op, ast.Mult) and any(
                isinstance(side, ast.Constant) and type(side.value) is str for side in (node.left, node.right)
            ):
                self.error(
                    "text cannot be repeated with '*'",
                    self.source.find("*", node.left, node.right),
                    "'*' multiplies numbers; compare or join text with '+'",
                )
            self.check(node.left)
            self.check(node.right)
            return
        symbol, hint = _REFUSED_BINARY.get(type(node.op), (type(node.op).__name__, None))
        self.error(
            f"operator '{symbol}' is not allowed", self.source.find(symbol, node.left, node.right), hint
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
                    f"'{symbol}' may only be followed by None",
                    self.source.find("is", left, right),
                    "write '==' or '!=' to compare values",
                )
            self.check(right)
            left = right

    def check_name(self, node: ast.Name, at: int) -> None:
        name = node.id
        if _is_dunder(name):
            self.error(f"name {name!r} is not allowed", at, "names with '__' never resolve")
        elif name in self.names:
            return
        elif name in FUNCTIONS:
            self.error(f"{name!r} is a function; call it, as in {name}(...)", at)
        else:
            self.error(
                f"unknown name {name!r}",
                at,
                "an expression starts from one of: " + ", ".join(sorted(self.names)),
                suggestion=near_miss(name, self.names),
            )

    def check_attribute(self, node: ast.Attribute) -> None:
        at = self.source.end_column(node) - len(node.attr)
        if _is_dunder(node.attr):
            self.error(f"field {node.attr!r} is not allowed", at, "names with '__' never resolve")
        self.check(node.value)

    def check_subscript(self, node: ast.Subscript) -> None:
        self.check(node.value)
        key = node.slice
        if _constant_key(key) is _NO_VALUE:
            self.error(
                "an index must be a constant whole number or text, such as [0] or ['sku']",
                self.source.column(key),
                "pluck(list, 'field') reads one field of every element",
            )

    def check_call(self, node: ast.Call, at: int) -> None:
        func = node.func
        if not isinstance(func, ast.Name):
            if isinstance(func, ast.Attribute):
                column = self.source.end_column(func) - len(func.attr)
                hint = f"write {func.attr}(x) instead of x.{func.attr}()" if func.attr in FUNCTIONS else None
                self.error(f"methods cannot be called ('.{func.attr}(...)')", column, hint)
            else:
                self.error("only named functions can be called", at)
            return
        name = func.id
        if _is_dunder(name):
            self.error(f"name {name!r} is not allowed", at, "names with '__' never resolve")
            return
        if name not in FUNCTIONS:
            self.error(
                f"unknown function {name!r}",
                at,
                "functions: " + ", ".join(sorted(FUNCTIONS)),
                suggestion=near_miss(name, FUNCTIONS),
            )
            return
        for keyword in node.keywords:
            label = f"'{keyword.arg}='" if keyword.arg else "'**'"
            self.error(
                f"keyword argument {label} is not allowed",
                self.source.column(keyword),
                "pass arguments by position",
            )
        plain = [arg for arg in node.args if not isinstance(arg, ast.Starred)]
        for arg in node.args:
            self.check(arg)
        if node.keywords or len(plain) != len(node.args):
            return
        fewest, most = _ARITY[name]
        if len(plain) < fewest or (most is not None and len(plain) > most):
            wanted = (
                str(fewest)
                if fewest == most
                else (f"{fewest} or more" if most is None else f"{fewest} to {most}")
            )
            self.error(f"{name}() takes {wanted} argument(s), {len(plain)} given", at)
        elif name == "round" and len(plain) == 2:
            digits = _constant_key(plain[1])
            if type(digits) is int and not -MAX_ROUND_DIGITS <= digits <= MAX_ROUND_DIGITS:
                self.error(
                    _round_digits_message(digits),
                    self.source.column(plain[1]),
                    "round(x, 2) gives cents; round(x, -2) hundreds",
                )


def _literal(text: str) -> str:
    """A number as written, shortened when long: ``1234567890...`` (400 characters)."""
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"


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
        return ExpressionEvaluationError(self.expression, self.source.segment(node), str(error))

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
        raise AssertionError(f"unchecked node {type(node).__name__}")  # the checker refuses it first

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
            if _is_number(value):
                return -value if negate else +value
            problem = "is missing (None)" if value is None else f"is {_describe(value)}, not a number"
            raise fail(node, ValueError(f"the operand of unary '{symbol}' {problem}"))

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
            raise ExpressionEvaluationError(self.source, self.source, str(error)) from None

    def explain(self, env: Env) -> tuple[Any, list[dict[str, Any]]]:
        """The value and every comparison made on the way: ``{"expr", "left", "right", "result"}``."""
        tracing = _TracingEnv(env)
        try:
            value = self._explain(tracing)
        except ExpressionEvaluationError:
            raise
        except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError) as error:
            raise ExpressionEvaluationError(self.source, self.source, str(error)) from None
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
