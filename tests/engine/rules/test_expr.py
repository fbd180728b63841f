"""The condition language: whitelist, columns of refusals, runtime semantics, and properties."""

from __future__ import annotations

import builtins
import contextlib
import operator
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import EngineError
from engine.rules.expr import (
    ALLOWED_ROOTS,
    ENV_FUNCTIONS,
    FUNCTIONS,
    MAX_DEPTH,
    CompiledExpression,
    ExpressionError,
    ExpressionEvaluationError,
    check,
    compile_expression,
    parse,
)

ORDER = {
    "total": 6200,
    "channel": "web",
    "name": "Alice",
    "created_at": "2024-05-01T08:00:00+08:00",
    "lines": [{"sku": "A-1", "qty": 2, "price": 10.5}, {"sku": "B-2", "qty": 1, "price": 4}],
    "tags": ["vip", "gift"],
    "address": {"city": "上海", "zip": "200000"},
    "empty": None,
}
ENV = {
    "order": ORDER,
    "customer": {"vip": True, "level": 3},
    "actor": {"name": "clerk", "roles": ["clerk"]},
    "now": datetime(2024, 5, 3, 8, 0, tzinfo=UTC),
    "children": [{"state": "shipped", "paid": 10}, {"state": "packing", "paid": 5}],
}


def run(text: str, env: dict[str, Any] | None = None) -> Any:
    return compile_expression(text)(ENV if env is None else env)


def only_error(text: str) -> ExpressionError:
    errors = check(text)
    assert len(errors) == 1, errors
    return errors[0]


# ---------------------------------------------------------------------------------------------------
# Every whitelisted construct
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("order.total > 5000", True),
        ("order.total >= 6200", True),
        ("order.total < 6200", False),
        ("order.total <= 6200", True),
        ("order.total == 6200", True),
        ("order.total != 6200", False),
        ("order.channel in ['web', 'app']", True),
        ("order.channel not in ('web', 'app')", False),
        ("'vip' in order.tags", True),
        ("'ali' in lower(order.name)", True),
        ("order.empty is None", True),
        ("order.total is not None", True),
        ("order.total > 5000 and customer.vip", True),
        ("order.total > 9000 or customer.vip", True),
        ("not customer.vip", False),
        ("-order.total", -6200),
        ("+order.total", 6200),
        ("order.total + 1", 6201),
        ("order.total - 200", 6000),
        ("order.total * 2", 12400),
        ("order.total / 4", 1550.0),
        ("order.total // 1000", 6),
        ("order.total % 1000", 200),
        ("'a' + 'b'", "ab"),
        ("[1] + [2]", [1, 2]),
        ("order.address.city == '上海'", True),
        ("order.lines[0].sku", "A-1"),
        ("order.lines[-1]['sku']", "B-2"),
        ("order.address['zip']", "200000"),
        ("order.lines[5]", None),
        ("1 < 2 < 3", True),
        ("3 > 2 > 2", False),
        ("None", None),
        ("True", True),
        ("1.5", 1.5),
        ("[1, order.total]", [1, 6200]),
        ("(1, 2)", [1, 2]),
        ("len(order.lines)", 2),
        ("  order.total\n  > 5000", True),
    ],
)
def test_whitelisted_constructs_evaluate(text: str, expected: Any) -> None:
    assert check(text) == []
    assert run(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("len(order.tags)", 2),
        ("len(order.empty)", 0),
        ("sum(pluck(order.lines, 'qty'))", 3),
        ("sum(pluck(children, 'paid')) >= 15", True),
        ("min(pluck(order.lines, 'price'))", 4),
        ("max(pluck(order.lines, 'price'))", 10.5),
        ("max(1, 7, 3)", 7),
        ("min([])", None),
        ("abs(-3)", 3),
        ("round(10.456, 1)", 10.5),
        ("round(2.6)", 3),
        ("lower(order.name)", "alice"),
        ("upper(order.channel)", "WEB"),
        ("lower(order.empty)", None),
        ("startswith(order.name, 'Al')", True),
        ("endswith(order.name, 'ce')", True),
        ("startswith(order.empty, 'Al')", False),
        ("contains(order.tags, 'gift')", True),
        ("contains(order.empty, 'gift')", False),
        ("pluck(children, 'state')", ["shipped", "packing"]),
        ("count(pluck(children, 'state'), 'shipped')", 1),
        ("count([1, 0, None, 'x'])", 2),
        ("any(pluck(children, 'paid'))", True),
        ("all([])", True),
        ("all(pluck(children, 'missing'))", False),
        ("days_since(order.created_at)", 2 + 8 / 24),
        ("hours_since('2024-05-03T06:00:00Z')", 2.0),
        ("minutes_since('2024-05-03T07:30:00+00:00') >= 30", True),
        ("days_since(order.empty)", None),
        ("date('2024-05-01') < now", True),
        ("date('2024-05-01T08:00:00+08:00') == date('2024-05-01T00:00:00Z')", True),
    ],
)
def test_functions(text: str, expected: Any) -> None:
    assert check(text) == []
    assert run(text) == pytest.approx(expected) if isinstance(expected, float) else run(text) == expected


def test_function_table_is_complete() -> None:
    expected = {
        "len", "sum", "min", "max", "abs", "round", "lower", "upper", "startswith", "endswith", "contains",
        "pluck", "count", "any", "all", "days_since", "hours_since", "minutes_since", "date", "now", "days",
        "hours", "minutes", "code", "distinct",
        "in_list", "open_orders", "open_amount", "owed", "orders_in_days", "returns_in_days",
    }  # fmt: skip
    assert set(FUNCTIONS) == expected
    assert expected.issuperset(ENV_FUNCTIONS)
    assert set(ALLOWED_ROOTS) == {
        "order",
        "data",
        "actor",
        "now",
        "event",
        "customer",
        "item",
        "children",
        "records",
        "record",
    }


def test_time_functions_read_now_from_the_environment_never_the_clock() -> None:
    condition = compile_expression("minutes_since(order.created_at) >= 30")
    created = "2024-05-03T08:00:00+00:00"
    assert condition({"order": {"created_at": created}, "now": "2024-05-03T08:29:59Z"}) is False
    assert condition({"order": {"created_at": created}, "now": "2024-05-03T08:30:00Z"}) is True
    naive_now = datetime(2024, 5, 3, 9, 0)  # naive values are read as UTC
    assert FUNCTIONS["hours_since"]({"now": naive_now}, created) == 1.0
    with pytest.raises(ExpressionEvaluationError, match="'now'"):
        condition({"order": {"created_at": created}})


def test_date_with_an_offset_compares_as_the_same_moment() -> None:
    shanghai = timezone(timedelta(hours=8))
    env = {"now": datetime(2024, 5, 1, 8, 0, tzinfo=shanghai)}
    assert compile_expression("now == date('2024-05-01T00:00:00Z')")(env) is True
    assert compile_expression("date('2024-04-30T23:59:59Z') < now")(env) is True


def test_custom_names_replace_the_allowed_roots() -> None:
    assert check("total > 1", names={"total"}) == []
    assert check("order.total > 1", names={"total"})[0].message.startswith("unknown name 'order'")
    assert compile_expression("total > 1", names=["total"])({"total": 2}) is True


def test_parse_returns_the_checked_tree_and_raises_the_first_problem() -> None:
    tree = parse("order.total > 1")
    assert tree.body is not None
    with pytest.raises(ExpressionError) as caught:
        parse("foo and bar")
    assert caught.value.column == 1
    assert caught.value.expression == "foo and bar"
    assert isinstance(caught.value, EngineError)


def test_compiled_expressions_are_cached_and_frozen() -> None:
    first = compile_expression("order.total > 17")
    assert compile_expression("order.total > 17") is first
    assert isinstance(first, CompiledExpression)
    assert first.source == "order.total > 17"
    with pytest.raises(AttributeError):
        first.source = "other"  # type: ignore[misc]


def test_evaluation_never_reaches_eval_exec_or_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    condition = compile_expression("order.total > 5000 and len(order.lines) == 2 and order.name + '!' != ''")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the condition language must not run Python code")

    for name in ("eval", "exec", "compile", "__import__"):
        monkeypatch.setattr(builtins, name, refuse)
    assert condition(ENV) is True
    assert condition.explain(ENV)[0] is True


# ---------------------------------------------------------------------------------------------------
# Every refused construct, with its column
# ---------------------------------------------------------------------------------------------------


REFUSED = [
    ("order.total > 0 and __import__('os')", 21, "'__import__' is not allowed"),
    ("__builtins__", 1, "'__builtins__' is not allowed"),
    ("order.__class__", 7, "field '__class__' is not allowed"),
    ("order.lines[0].__class__.__mro__", 16, "field '__class__'"),
    ("order.name.lower()", 12, "methods cannot be called"),
    ("''.join(order.tags)", 4, "methods cannot be called"),
    ("(lambda: 1)()", 1, "only named functions can be called"),
    ("order.total > 0 and (lambda x: x)", 22, "lambda is not allowed"),
    ("[x for x in order.lines for y in x]", 25, "a comprehension takes one 'for'"),
    ("any(order > 1 for order in order.tags)", 19, "'for' cannot bind 'order'"),
    ("{x: 1 for x in order.tags}", 1, "comprehensions are not allowed"),
    ("{x for x in order.tags}", 1, "comprehensions are not allowed"),
    ("order.total > 0 and f'{order}' == ''", 21, "f-strings are not allowed"),
    ("(y := order.total) > 1", 2, "assignment (:=) is not allowed"),
    ("len(order.tags, strict=True)", 17, "keyword argument 'strict='"),
    ("len(**order)", 5, "keyword argument '**'"),
    ("len(*order.tags)", 5, "* unpacking is not allowed"),
    ("[*order.tags]", 2, "* unpacking is not allowed"),
    ("order.total if order else 0", 1, "'x if c else y' is not allowed"),
    ("{'a': 1}", 1, "record literals"),
    ("{1, 2}", 1, "set literals"),
    ("order.total ** 2", 13, "operator '**' is not allowed"),
    ("order.a | order.b", 9, "operator '|'"),
    ("order.a & order.b", 9, "operator '&'"),
    ("order.a ^ order.b", 9, "operator '^'"),
    ("order.a << 2", 9, "operator '<<'"),
    ("order.a @ order.b", 9, "operator '@'"),
    ("~order.a", 1, "'~' is not allowed"),
    ("order.a is 1", 9, "'is' may only be followed by None"),
    ("order.a is not order.b", 9, "'is not' may only be followed by None"),
    ("order.lines[order.i]", 13, "an index must be a constant"),
    ("order.lines[1:2]", 13, "an index must be a constant"),
    ("order.lines[1.5]", 13, "an index must be a constant"),
    ("b'x' == order.name", 1, "bytes literals"),
    ("order.total == 1j", 16, "complex literals"),
    ("...", 1, "ellipsis literals"),
    ("ordr.total > 1", 1, "unknown name 'ordr'; did you mean 'order'?"),
    ("os.system", 1, "unknown name 'os'"),
    ("lenn(order.lines) > 0", 1, "unknown function 'lenn'; did you mean 'len'?"),
    ("order.total > 0 and eval('1')", 21, "unknown function 'eval'"),
    ("getattr(order, 'x')", 1, "unknown function 'getattr'"),
    ("len", 1, "'len' is a function"),
    ("len(order.a, order.b)", 1, "len() takes 1 argument(s), 2 given"),
    ("min()", 1, "min() takes 1 or more argument(s), 0 given"),
    ("round(1, 2, 3)", 1, "round() takes 1 to 2 argument(s), 3 given"),
    ("'门店' == order.channel and foo", 27, "unknown name 'foo'"),
    ("order.total >", 14, "invalid syntax (the expression ends too early)"),
    ("order.total > > 1", 15, "invalid syntax"),
    ("  order.x = 1", 11, ""),
    ("", 1, "expression is empty"),
    ("   ", 1, "expression is empty"),
]


@pytest.mark.parametrize(("text", "column", "fragment"), REFUSED)
def test_refused_constructs_name_their_column(text: str, column: int, fragment: str) -> None:
    error = check(text)[0]
    assert fragment in error.message
    assert error.column == column
    assert error.expression == text
    assert f"column {column}" in str(error)
    with pytest.raises(ExpressionError):
        compile_expression(text)


def test_check_reports_every_problem_in_column_order() -> None:
    errors = check("foo > 1 and order.__dict__ and bar(1) and order.x ** 2")
    assert [(e.column, e.message.split(" ")[0]) for e in errors] == [
        (1, "unknown"),
        (19, "field"),
        (32, "unknown"),
        (51, "operator"),
    ]


def test_hints_help_to_fix() -> None:
    assert only_error("order.name.lower()").hint == "write lower(x) instead of x.lower()"
    assert "order" in (only_error("x > 1").hint or "")
    assert "sum(l.qty for l in order.lines)" in (only_error("{x for x in order.lines}").hint or "")


def test_problem_points_into_the_file() -> None:
    error = only_error("order.total > 0 and __import__('os')")
    problem = error.to_problem("rules/a.yaml", "$.rules[0].when", line=7, column=11)
    assert (problem.line, problem.column, problem.code) == (7, 31, "expression")
    assert problem.format().startswith("rules/a.yaml:7:31: error: in condition")
    assert error.to_problem("r.yaml", "$.when").column == 0


def test_overlong_expression_is_refused() -> None:
    text = " or ".join(["order.total > 1"] * 200)
    error = only_error(text)
    assert "limit is 2000" in error.message
    assert error.column == 2001


@pytest.mark.parametrize(
    "text",
    [
        "not " * 60 + "order.total",
        "[" * 60 + "]" * 60,
        "-" * 1990 + "1",
        "(" * 300 + "1" + ")" * 300,
        "len(" * 60 + "order" + ")" * 60,
        " + ".join(["order.a"] * 60),
    ],
)
def test_deep_expressions_are_refused_without_recursion_error(text: str) -> None:
    error = only_error(text)
    assert f"nested too deeply; the limit is {MAX_DEPTH} levels" in error.message
    assert error.hint == "split it into several conditions"


def test_parentheses_alone_do_not_count_as_depth() -> None:
    assert run("(" * 100 + "order.total" + ")" * 100) == 6200


@pytest.mark.parametrize("text", ["a\x00b", "order.total > 1 \x00"])
def test_nul_character_is_refused(text: str) -> None:
    assert "NUL" in only_error(text).message


# ---------------------------------------------------------------------------------------------------
# Runtime semantics: None, types, errors
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("order.missing", None),
        ("order.missing.deeper.still", None),
        ("data.anything", None),
        ("order.lines[0].missing", None),
        ("order.empty[0]", None),
        ("order.missing > 1", False),
        ("order.missing < 1", False),
        ("order.missing >= 1", False),
        ("order.missing <= 1", False),
        ("1 < order.missing", False),
        ("order.missing == None", True),
        ("order.missing == 0", False),
        ("order.missing != 0", True),
        ("'x' in order.missing", False),
        ("'x' not in order.missing", True),
        ("not order.missing", True),
        ("order.missing and 1/0", False),
        ("order.total or 1/0", True),
        ("order.total and 'yes'", True),
        ("order.channel == 5", False),
        ("order.channel != 5", True),
        ("'abc' < 'abd'", True),
        ("order.total == 6200.0", True),
        ("[1, 2] in [[1, 2]]", True),
        ("order.lines in ['x']", False),
        ("'city' in order.address", True),
    ],
)
def test_none_and_mixed_value_semantics(text: str, expected: Any) -> None:
    assert run(text) == expected


UNEVALUABLE = [
    ("order.missing + 1", "the left side of '+' is missing (None)"),
    ("1 - order.missing", "the right side of '-' is missing (None)"),
    ("order.total / 0", "division by zero"),
    ("order.total // 0", "division by zero"),
    ("order.total % 0", "division by zero"),
    ("order.total / 0.0", "division by zero"),
    ("order.channel * 3", "cannot compute text ('web') * a number (3)"),
    ("order.channel + 1", "cannot compute text"),
    ("order.channel % 'x'", "cannot compute"),
    ("True + 1", "cannot compute true/false"),
    ("-order.channel", "not a number"),
    ("-order.missing", "is missing (None)"),
    ("order.channel > 1", "cannot compare text ('web') > a number (1)"),
    ("order.total <= 'x'", "cannot compare"),
    ("[1] < [2]", "cannot compare"),
    ("True > False", "cannot compare"),
    ("1 in order.channel", "inside text"),
    ("'x' in order.total", "cannot look inside"),
    ("len(order.total)", "len() needs text or a list"),
    ("sum(order.tags)", "sum() needs numbers"),
    ("abs(order.missing)", "abs() needs a number"),
    ("lower(order.total)", "lower() needs text"),
    ("pluck(order.lines, 1)", "field name as text"),
    ("max(1, 'a')", "values of one kind"),
    ("date('next tuesday')", "ISO-8601"),
    ("date(5)", "needs a date"),
    ("round(1.5, 'x')", "whole number of digits"),
    ("any(order.total)", "any() needs a list"),
]


@pytest.mark.parametrize(("text", "fragment"), UNEVALUABLE)
def test_evaluation_errors_name_the_expression(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionEvaluationError) as caught:
        run(text)
    assert fragment in caught.value.detail
    assert caught.value.expression == text
    assert repr(text) in str(caught.value)
    assert isinstance(caught.value, EngineError)


def test_evaluation_error_names_the_failing_part() -> None:
    with pytest.raises(ExpressionEvaluationError) as caught:
        run("order.total > 1 and order.missing * 2 > 1")
    assert caught.value.part == "order.missing * 2"
    assert "in 'order.missing * 2'" in str(caught.value)


def test_decimal_and_float_mixing_is_an_evaluation_error_not_a_crash() -> None:
    env = {"order": {"a": Decimal("1.5"), "b": 2.0}}
    assert compile_expression("order.a * 2")(env) == Decimal("3.0")
    assert compile_expression("order.a > 1")(env) is True
    with pytest.raises(ExpressionEvaluationError):
        compile_expression("order.a + order.b")(env)


def test_objects_expose_public_non_callable_attributes_only() -> None:
    class Holder:
        def __init__(self) -> None:
            self.public = 1
            self._private = 2

        def method(self) -> int:
            return 3

    env = {"item": Holder()}
    assert compile_expression("item.public")(env) == 1
    assert compile_expression("item._private")(env) is None
    assert compile_expression("item.method")(env) is None
    assert compile_expression("now.year")({"now": datetime(2024, 1, 1)}) == 2024


def test_and_or_return_bool() -> None:
    assert run("order.total and order.channel") is True
    assert run("order.missing or ''") is False
    assert run("order.total and order.channel and order.name") is True
    assert run("order.missing or 0 or ''") is False


def test_explain_records_every_comparison_made() -> None:
    condition = compile_expression("order.total > 5000 and order.channel in ['web', 'app'] and 0 < 1 < 2")
    value, comparisons = condition.explain(ENV)
    assert value is True
    assert comparisons == [
        {"expr": "order.total > 5000", "left": 6200, "right": 5000, "result": True},
        {"expr": "order.channel in ['web', 'app']", "left": "web", "right": ["web", "app"], "result": True},
        {"expr": "0 < 1", "left": 0, "right": 1, "result": True},
        {"expr": "1 < 2", "left": 1, "right": 2, "result": True},
    ]
    value, comparisons = condition.explain({"order": {"total": 10}})
    assert value is False
    assert comparisons == [{"expr": "order.total > 5000", "left": 10, "right": 5000, "result": False}]


def test_explain_leaves_the_environment_alone() -> None:
    env = {"order": {"total": 1}}
    compile_expression("order.total > 0").explain(env)
    assert env == {"order": {"total": 1}}


def test_explain_raises_the_same_evaluation_errors() -> None:
    with pytest.raises(ExpressionEvaluationError):
        compile_expression("order.channel > 1").explain(ENV)


# ---------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------

VARIABLES = ("a", "b", "c")


class RefError(Exception):
    """The reference evaluator's evaluation error."""


def int_trees() -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.tuples(st.just("num"), st.integers(-20, 20)),
        st.tuples(st.just("var"), st.sampled_from(VARIABLES)),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(st.just("bin"), st.sampled_from(["+", "-", "*", "/", "//", "%"]), inner, inner),
            st.tuples(st.just("neg"), inner),
        ),
        max_leaves=12,
    )


def bool_trees() -> st.SearchStrategy[Any]:
    comparisons = st.tuples(
        st.just("cmp"), st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), int_trees(), int_trees()
    )
    leaves = st.one_of(comparisons, st.tuples(st.just("bool"), st.booleans()))
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(st.just("and"), inner, inner),
            st.tuples(st.just("or"), inner, inner),
            st.tuples(st.just("not"), inner),
        ),
        max_leaves=6,
    )


def render(tree: Any) -> str:
    kind = tree[0]
    if kind == "num":
        return f"({tree[1]})"
    if kind == "var":
        return f"order.{tree[1]}"
    if kind == "bool":
        return "True" if tree[1] else "False"
    if kind == "neg":
        return f"(-{render(tree[1])})"
    if kind == "not":
        return f"(not {render(tree[1])})"
    if kind in ("and", "or"):
        return f"({render(tree[1])} {kind} {render(tree[2])})"
    return f"({render(tree[2])} {tree[1]} {render(tree[3])})"


def reference(tree: Any, values: dict[str, int]) -> Any:
    """What the tree means, computed directly from the tree (no parsing, no Python eval)."""
    kind = tree[0]
    if kind in ("num", "bool"):
        return tree[1]
    if kind == "var":
        return values[tree[1]]
    if kind == "neg":
        return -reference(tree[1], values)
    if kind == "not":
        return not reference(tree[1], values)
    if kind == "and":
        return bool(reference(tree[1], values)) and bool(reference(tree[2], values))
    if kind == "or":
        return bool(reference(tree[1], values)) or bool(reference(tree[2], values))
    left = reference(tree[2], values)
    right = reference(tree[3], values)
    op = tree[1]
    if kind == "cmp":
        table = {
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
            "==": left == right,
            "!=": left != right,
        }
        return table[op]
    if op in ("/", "//", "%") and right == 0:
        raise RefError("division by zero")
    try:
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op == "/":
            return left / right
        if op == "//":
            return left // right
        return left % right
    except OverflowError as error:
        raise RefError(str(error)) from None


@settings(max_examples=200, deadline=None)
@given(
    tree=st.one_of(int_trees(), bool_trees()),
    values=st.fixed_dictionaries({name: st.integers(-1000, 1000) for name in VARIABLES}),
)
def test_expression_trees_evaluate_like_the_reference(tree: Any, values: dict[str, int]) -> None:
    text = render(tree)
    assert check(text) == [], text
    condition = compile_expression(text)
    env = {"order": values}
    try:
        expected = reference(tree, values)
    except RefError:
        with pytest.raises(ExpressionEvaluationError):
            condition(env)
        return
    assert condition(env) == expected
    assert condition.explain(env)[0] == expected


TOKENS = st.sampled_from(
    [
        "order", ".", "total", "__class__", "(", ")", "[", "]", "{", "}", ",", ":", "'", '"', "lambda",
        "for", "in", "not", "and", "or", "is", "None", "1", "0.5", "-", "+", "*", "**", "/", "//", "%",
        "<", ">", "==", "=", ":=", "len", "lower", "f'", "\\", "\n", " ", "门店", "#", "@", "if", "else",
        "*", "**kw", "x", "1e309", "0x", "\t", "yield", "await", "__import__", "now()", "days(", "l",
        "code(", "distinct(", "sum(", "l.qty",
    ]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.text(max_size=80), st.lists(TOKENS, max_size=30).map("".join)))
def test_check_never_fails_on_any_text(text: str) -> None:
    errors = check(text)
    assert isinstance(errors, list)
    assert all(isinstance(error, ExpressionError) for error in errors)
    assert all(1 <= error.column <= max(len(text), 1) + 1 for error in errors)
    if errors:
        with pytest.raises(ExpressionError):
            compile_expression(text)
        return
    condition = compile_expression(text)
    with contextlib.suppress(ExpressionEvaluationError):  # a valid condition may still not fit the data
        condition({"order": {"total": 5}})


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from(["", "x"]),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=200, deadline=None)
@given(a=VALUES, b=VALUES, c=VALUES)
def test_boolean_laws(a: Any, b: Any, c: Any) -> None:
    env = {"data": {"a": a, "b": b, "c": c}}

    def value(text: str) -> Any:
        return compile_expression(text, names={"data"})(env)

    assert value("not (data.a and data.b)") == value("not data.a or not data.b")
    assert value("not (data.a or data.b)") == value("not data.a and not data.b")
    assert value("not not data.a") == bool(a)
    assert value("data.a and data.b") == value("data.b and data.a")
    assert value("data.a or data.b") == value("data.b or data.a")
    assert value("data.a and (data.b or data.c)") == value("(data.a and data.b) or (data.a and data.c)")
    assert value("data.a or (data.a and data.b)") == bool(a)
    assert value("(data.a and data.b) and data.c") == value("data.a and (data.b and data.c)")
    assert value("data.a and data.b and data.c") == (bool(a) and bool(b) and bool(c))
    assert value("data.a or data.b or data.c") == (bool(a) or bool(b) or bool(c))
    assert value("data.a or not data.a") is True


RFC3339 = [
    "2024-05-01T08:00:00Z",
    "2024-05-01t08:00:00z",
    "2024-05-01t08:00:00Z",
    "2024-05-01T08:00:00z",
    "2024-05-01T08:00:00+08:00",
    "2024-05-01t08:00:00-05:30",
    "2024-05-01T08:00:00-00:00",
    "2024-05-01T08:00:00.5Z",
    "2024-05-01T08:00:00.123456z",
    "2024-05-01T08:00:00.123456789+08:00",
]


@pytest.mark.parametrize("moment", RFC3339)
def test_every_rfc3339_date_time_a_form_accepts_is_a_date(moment: str) -> None:
    from jsonschema import FormatChecker

    assert FormatChecker().conforms(moment, "date-time")
    parsed = datetime.fromisoformat(moment.upper()[:19]).replace(tzinfo=UTC)
    days = run("days_since(order.at)", {**ENV, "order": {"at": moment}})
    assert abs(days - (ENV["now"] - parsed).total_seconds() / 86400) < 1  # offsets move it by hours
    assert run("date(order.at) < now", {**ENV, "order": {"at": moment}}) is True


@pytest.mark.parametrize("moment", ["last tuesday", "2024-13-01T00:00:00Z", "2024-05-01X08:00:00Z?", ""])
def test_a_text_that_is_no_date_is_still_an_evaluation_error(moment: str) -> None:
    with pytest.raises(ExpressionEvaluationError, match="needs an ISO-8601 date"):
        run("days_since(order.at) > 1", {**ENV, "order": {"at": moment}})


# Specialised closures (aggregates of one field, len, arithmetic with a number written in the text)
# against the language's definitions, written out plainly here.


class Record:
    """A record that is not a mapping: its fields are attributes."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


class SpecError(Exception):
    def __init__(self, stage: str) -> None:
        self.stage = stage  # the function whose call fails


def spec_field(record: Any, name: str) -> Any:
    if record is None:
        return None
    if isinstance(record, dict | MappingProxyType):
        return record.get(name)
    return getattr(record, name, None)


def spec_aggregate(function: str, lines: Any) -> Any:
    if lines is None:
        lines = []
    if type(lines) not in (list, tuple):
        raise SpecError("pluck")
    present = [value for value in (spec_field(line, "qty") for line in lines) if value is not None]
    numbers = all(type(value) in (int, float, Decimal) for value in present)
    if function == "sum":
        try:
            if not numbers:
                raise TypeError("sum() needs numbers")
            return sum(present)
        except TypeError:  # not numbers, or Decimal with float
            raise SpecError("sum") from None
    if not present:
        return None
    if not numbers and {type(value) for value in present} != {str}:
        raise SpecError(function)
    return min(present) if function == "min" else max(present)


QTY = st.one_of(st.none(), st.integers(-5, 5), st.sampled_from([0.5, 2.0, Decimal("1.5"), True, "a", "b"]))
LINE = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={"qty": QTY}),
    st.builds(lambda qty: MappingProxyType({"qty": qty}), QTY),
    st.builds(Record, qty=QTY),
)
LINES = st.one_of(
    st.none(), st.sampled_from(["text", 5]), st.lists(LINE, max_size=4), st.lists(LINE).map(tuple)
)


def outcome(expression: CompiledExpression, env: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "value", expression(env)
    except ExpressionEvaluationError as error:
        return "error", error.part.split("(")[0]


@settings(max_examples=300, deadline=None)
@given(function=st.sampled_from(["min", "max", "sum"]), lines=LINES)
def test_min_max_sum_of_a_field_follow_the_language(function: str, lines: Any) -> None:
    env = {"order": {"lines": lines}}
    try:
        expected: tuple[str, Any] = "value", spec_aggregate(function, lines)
    except SpecError as error:
        expected = "error", error.stage
    one_closure = compile_expression(f'{function}(pluck(order.lines, "qty"))')
    two_calls = compile_expression(f'{function}(pluck(order.lines, "q" + "ty"))')  # field not written out
    assert outcome(one_closure, env) == expected
    assert outcome(two_calls, env) == expected


def spec_arithmetic(op: str, left: Any, right: Any) -> Any:
    numbers = (int, float, Decimal)
    if type(left) in numbers and type(right) in numbers:
        if op in ("/", "//", "%") and right == 0:
            raise SpecError("division")
        try:
            result = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}.get(
                op, operator.floordiv if op == "//" else operator.mod
            )(left, right)
        except (TypeError, OverflowError):  # Decimal with float; a whole number too large for a float
            raise SpecError("kinds") from None
        except InvalidOperation:  # a whole quotient longer than a Decimal's precision (10**300 // 2)
            raise SpecError("range") from None
        if not -(2**1024) < result < 2**1024:  # no number beyond a float's range, infinity neither
            raise SpecError("range")
        return result
    if op == "+" and type(left) is str and type(right) is str:
        if len(left) + len(right) > 100_000:
            raise SpecError("size")
        return left + right
    raise SpecError("kinds")


HUGE = [10**300, -(10**300), 2**1023, 1e300, -1e300, 1e-300, "a" * 60_000]
OPERAND = st.one_of(
    st.none(), st.integers(-3, 3), st.sampled_from([0.0, 0.5, -2.5, Decimal("2"), True, "a", *HUGE])
)


@settings(max_examples=400, deadline=None)
@given(op=st.sampled_from(["+", "-", "*", "/", "//", "%"]), left=OPERAND, right=OPERAND)
def test_arithmetic_with_ints_floats_and_numbers_written_out_follows_the_language(
    op: str, left: Any, right: Any
) -> None:
    forms = [(f"order.a {op} order.b", {"a": left, "b": right})]
    for constant in (0, 2, 0.5, 0.0):
        forms.append((f"order.a {op} {constant}", {"a": left, "b": constant}))
        forms.append((f"{constant} {op} order.b", {"a": constant, "b": right}))
    for text, order in forms:
        try:
            expected: tuple[str, Any] = "value", spec_arithmetic(op, order["a"], order["b"])
        except SpecError:
            expected = "error", None
        got = outcome(compile_expression(text), {"order": order})
        assert (got[0], got[1] if got[0] == "value" else None) == expected, text
        if got[0] == "value":
            assert type(got[1]) is type(expected[1]), text


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 0), ("上海", 2), ([1, 2, 3], 3), ((1,), 1), ({"a": 1}, 1), (MappingProxyType({}), 0)],
)
def test_len_of_text_lists_and_records(value: Any, expected: int) -> None:
    assert compile_expression("len(order.x)")({"order": {"x": value}}) == expected


@pytest.mark.parametrize("value", [5, 2.5, True, Record(n=1)])
def test_len_of_anything_else_is_an_error_naming_the_call(value: Any) -> None:
    with pytest.raises(ExpressionEvaluationError) as caught:
        compile_expression("len(order.x) > 1")({"order": {"x": value}})
    assert caught.value.part == "len(order.x)"


# ---------------------------------------------------------------------------------------------------
# Nothing explodes: every function and operator is bounded, when validated and when evaluated
# ---------------------------------------------------------------------------------------------------


def test_round_with_a_hundred_million_digits_is_refused_when_validated() -> None:
    error = only_error("round(order.total, -100000000)")
    assert error.column == len("round(order.total, ") + 1
    assert "round() takes from -308 to 308 digits, not -100000000" in error.message
    assert compile_expression("round(order.total, -308) == 0")({"order": {"total": 5}})


def test_round_with_a_hundred_million_digits_is_refused_when_evaluated() -> None:
    expression = compile_expression("round(order.total, order.digits) > 0")
    with pytest.raises(ExpressionEvaluationError) as caught:
        expression({"order": {"total": 239, "digits": -100000000}})
    assert caught.value.part == "round(order.total, order.digits)"
    assert "from -308 to 308 digits, not -100000000" in str(caught.value)
    assert expression({"order": {"total": 239, "digits": 308}})


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("order.total < 1e999", "the number 1e999 is too large"),
        ("order.total < -1e999", "the number 1e999 is too large"),
        ("order.total < " + "9" * 400, "the number 99999999999999999999... (400 characters) is too large"),
        ("'ab' * order.n == ''", "text cannot be repeated with '*'"),
        ("order.n * 'ab' == ''", "text cannot be repeated with '*'"),
    ],
)
def test_numbers_and_repetitions_that_explode_are_refused_when_validated(text: str, fragment: str) -> None:
    assert fragment in only_error(text).message


HUNDRED_DIGITS = 10**300


@pytest.mark.parametrize(
    ("text", "order", "fragment"),
    [
        ("order.x * order.x > 0", {"x": HUNDRED_DIGITS}, "the result of '*' is too large"),
        ("order.x * order.x * order.x * order.x > 0", {"x": 10**200}, "the result of '*' is too large"),
        ("order.x * 1e300 > 0", {"x": 1e300}, "the result of '*' is too large (inf)"),
        ("order.x / 1e-300 > 0", {"x": 1e300}, "the result of '/' is too large (inf)"),
        ("order.x + order.x > 0", {"x": 2**1023}, "the result of '+' is too large"),
        ("order.x - order.y > 0", {"x": 2**1023, "y": -(2**1023)}, "the result of '-' is too large"),
        ("sum(order.xs) > 0", {"xs": [2**1023, 2**1023]}, "the result of sum() is too large"),
        (
            "sum(pluck(order.lines, 'a')) > 0",
            {"lines": [{"a": 2**1023}] * 2},
            "the result of sum() is too large",
        ),
        ("round(order.x, 2) > 0", {"x": Decimal("1e30")}, "round() cannot give 1E+30 with 2 digits"),
        ("order.s + order.s == ''", {"s": "订" * 60_000}, "'+' would build 120000 characters"),
        ("order.l + order.l == []", {"l": [0] * 60_000}, "'+' would build 120000 elements"),
        ("order.s * order.n == ''", {"s": "ab", "n": 10**9}, "cannot compute text"),
        ("order.l * order.n == []", {"l": [1], "n": 10**9}, "cannot compute a list"),
        ("len(order.x) > 0", {"x": 10**5000}, "not a number (a whole number of about 5001 digits)"),
    ],
)
def test_values_that_explode_are_refused_when_evaluated(
    text: str, order: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ExpressionEvaluationError) as caught:
        compile_expression(text)({"order": order})
    assert fragment in str(caught.value)


def test_the_largest_numbers_still_compute() -> None:
    run_with = compile_expression("order.x * 2 > order.x and order.y + order.y > 0")
    assert run_with({"order": {"x": 2**1022, "y": 8e307}})
    assert compile_expression("order.x - 1 < order.x")({"order": {"x": 2**1024 - 1}})


def test_a_problem_never_echoes_a_long_expression_whole() -> None:
    text = "order.total > 5 and " * 45_000 + "True"
    (error,) = check(text)
    problem = error.to_problem("rules/x.yaml", "$.rules[0].when")
    assert "expression is 900004 characters long; the limit is 2000" in problem.message
    assert "(900004 characters)" in problem.message
    assert len(problem.format()) < 400


@pytest.mark.parametrize("op", ["//", "%"])
def test_a_whole_quotient_longer_than_a_decimal_holds_is_an_error_saying_so(op: str) -> None:
    """10**300 // Decimal('2') needs 301 digits; a Decimal holds 28: an error naming it, not the
    library's ``[<class 'decimal.DivisionImpossible'>]``."""
    expression = compile_expression(f"order.a {op} order.b > 0")
    with pytest.raises(ExpressionEvaluationError) as caught:
        expression({"order": {"a": 10**300, "b": Decimal("2")}})
    assert f"'{op}' of a number" in str(caught.value)
    assert "has more digits than a decimal number holds (28)" in str(caught.value)
    assert "DivisionImpossible" not in str(caught.value)


# ---------------------------------------------------------------------------------------------------
# Every problem and evaluation error in Chinese as well as English
# ---------------------------------------------------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_chinese(zh: str | None, en: str | None) -> None:
    """``zh`` is written in Chinese, not the English passed through."""
    assert zh is not None and CJK.search(zh), (zh, en)
    assert zh != en


def test_a_problem_of_an_expression_reads_in_chinese() -> None:
    error = only_error("ordr.total > 1")
    assert error.message_in("zh") == "未知的名称 'ordr'；您是否想输入 'order'？"
    assert (
        error.hint_in("zh")
        == "表达式须以其中之一开头：actor、children、customer、data、event、item、now、order、record、records"
    )
    assert error.message == "unknown name 'ordr'; did you mean 'order'?"
    problem = error.to_problem("rules/a.yaml", "$.rules[0].when", line=7, column=11)
    assert (
        problem.message_in("zh") == "条件 'ordr.total > 1' 第 1 列：未知的名称 'ordr'；您是否想输入 'order'？"
    )
    assert problem.hint_in("zh") == error.hint_in("zh")
    assert problem.format("zh").startswith("rules/a.yaml:7:11: 错误: 条件 'ordr.total > 1' 第 1 列：")
    assert error.zh == (
        "第 1 列：未知的名称 'ordr'；您是否想输入 'order'？"
        "（提示：表达式须以其中之一开头：actor、children、customer、data、event、item、now、order、record、records）"
    )


@pytest.mark.parametrize(
    ("text", "zh", "hint"),
    [
        ("min()", "min() 需要至少 1 个参数，实际给了 0 个", None),
        ("len(order.a, order.b)", "len() 需要 1 个参数，实际给了 2 个", None),
        ("order.name.lower()", "不能调用方法（'.lower(...)'）", "请写 lower(x)，而不是 x.lower()"),
        ("(order.total > 1", "'(' 没有闭合", None),
        ("order.total > 1，", "无效字符 '，'（U+FF0C）", None),
        ("order.total >", "语法错误（表达式没写完）", None),
        ("order.a is 1", "'is' 后面只能是 None", "比较两个值请写 '==' 或 '!='"),
        ("", "表达式为空", "请写一个条件，如 order.total > 0"),
        ("order.total < 1e999", "数字过大：1e999", "条件中的数字须在 ±1.8e308 以内"),
    ],
)
def test_refusals_read_in_chinese(text: str, zh: str, hint: str | None) -> None:
    error = only_error(text)
    assert error.message_in("zh") == zh
    assert error.hint_in("zh") == hint


@pytest.mark.parametrize(("text", "column", "fragment"), REFUSED)
def test_every_refusal_is_worded_in_chinese_and_english(text: str, column: int, fragment: str) -> None:
    for error in check(text):
        assert_chinese(error.words.zh, error.words.en)
        if error.hint_words is not None:
            assert_chinese(error.hint_words.zh, error.hint_words.en)
        problem = error.to_problem("rules/a.yaml", "$.when")
        assert_chinese(problem.message_in("zh"), problem.message_in("en"))
        assert problem.message_in("en") == f"in condition {text!r}, column {error.column}: {error.message}"


@pytest.mark.parametrize(
    "text",
    [
        "not " * 60 + "order.total",
        " or ".join(["order.total > 1"] * 200),
        "a\x00b",
        "order.total < " + "9" * 400,
        "'ab' * order.n == ''",
        "round(order.total, -100000000)",
        "order.total => 5",
        "order.x\u200b",
        "[order.a)",
        "'abc == order.x",
        "01 > order.x",
        "order.x\\ y",
        "f(a=1, 2)",
        "print 'x'",
    ],
)
def test_bounds_and_syntax_errors_are_worded_in_chinese_too(text: str) -> None:
    (error,) = check(text)
    assert_chinese(error.words.zh, error.words.en)
    if error.hint_words is not None:
        assert_chinese(error.hint_words.zh, error.hint_words.en)


def test_an_evaluation_error_reads_in_chinese() -> None:
    with pytest.raises(ExpressionEvaluationError) as caught:
        run("order.total / 0 > 1")
    assert (
        caught.value.message("zh")
        == "无法求值 'order.total / 0 > 1'，出错部分 'order.total / 0'：'/' 的除数为零"
    )
    assert caught.value.message("en") == str(caught.value)
    with pytest.raises(ExpressionEvaluationError) as caught:
        run("order.channel > 1")
    assert caught.value.message("zh") == "无法求值 'order.channel > 1'：无法比较 文本（'web'） > 数字（1）"
    with pytest.raises(ExpressionEvaluationError) as caught:
        run("len(order.total) > 1")
    assert caught.value.detail_words.zh == "len() 需要文本或列表，而不是数字（6200）"


@pytest.mark.parametrize(("text", "fragment"), UNEVALUABLE)
def test_every_evaluation_error_is_worded_in_chinese_and_english(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionEvaluationError) as caught:
        run(text)
    assert_chinese(caught.value.detail_words.zh, caught.value.detail)
    assert_chinese(caught.value.message("zh"), str(caught.value))
    assert caught.value.detail_words.en == caught.value.detail


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("order.x * order.x > 0", {"x": HUNDRED_DIGITS}),
        ("round(order.x, 2) > 0", {"x": Decimal("1e30")}),
        ("round(order.total, order.digits) > 0", {"total": 1, "digits": -100000000}),
        ("order.s + order.s == ''", {"s": "订" * 60_000}),
        ("len(order.x) > 0", {"x": 10**5000}),
        ("order.a // order.b > 0", {"a": 10**300, "b": Decimal("2")}),
        ("days_since(order.x) > 0", {"x": "2024-01-01"}),
    ],
)
def test_values_that_explode_are_refused_in_chinese_too(text: str, order: dict[str, Any]) -> None:
    expression = compile_expression(text)
    for evaluate in (expression, lambda env: expression.explain(env)):
        with pytest.raises(ExpressionEvaluationError) as caught:
            evaluate({"order": order})
        assert_chinese(caught.value.message("zh"), str(caught.value))
        assert_chinese(caught.value.detail_words.zh, caught.value.detail)


def test_a_long_expression_is_quoted_by_its_start_in_chinese_too() -> None:
    text = "order.total > 5 and " * 10 + "True"
    problem = check(text + " and ordr")[0].to_problem("rules/x.yaml", "$.rules[0].when")
    assert problem.message_in("zh").startswith(f"条件 {text[:60]!r}...（共 {len(text) + 9} 个字符）第 ")
    assert problem.message_in("en").startswith(
        f"in condition {text[:60]!r}... ({len(text) + 9} characters), column "
    )
