"""Form validation: the fast validator and the detailed one agree on every shipped form."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.forms import FormValidator
from engine.forms.ui import load_layout

REPO_ROOT = Path(__file__).resolve().parents[3]
FORM_FILES = sorted(p for p in (REPO_ROOT / "forms").rglob("*.json") if not p.name.endswith(".ui.json"))
FORMS = {str(path.relative_to(REPO_ROOT)): json.loads(path.read_text("utf-8")) for path in FORM_FILES}

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
JSON_VALUES = st.recursive(
    JSON_SCALARS | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
# Look-alikes that regular-expression engines and date parsers treat differently.
TRICKY = st.sampled_from(["", "\n", " ", "٣", "３", "0", "Z", "z", "@", "-", "T", ":", "+08:00", "é"])


def _almost(text: st.SearchStrategy[str], noisy: bool) -> st.SearchStrategy[str]:
    """``text``; when noisy, now and then with a character added, replaced or cut off."""
    if not noisy:
        return text

    def mutate(value: str, tricky: str, where: int, how: int) -> str:
        at = where % (len(value) + 1)
        if how == 0:
            return value[:at] + tricky + value[at:]
        if how == 1:
            return value[:at] + tricky + value[at + 1 :]
        return value[:at]

    mutated = st.builds(mutate, text, TRICKY, st.integers(0, 40), st.integers(0, 2))
    return st.one_of(text, mutated)


def _string(schema: Mapping[str, Any], noisy: bool) -> st.SearchStrategy[str]:
    if "enum" in schema:
        return _almost(st.sampled_from([v for v in schema["enum"] if isinstance(v, str)] or [""]), noisy)
    if "pattern" in schema:
        # Python reads "\\d" as any Unicode digit, ECMA-262 as [0-9]: both kinds when noisy.
        ascii_digits = st.from_regex(schema["pattern"].replace("\\d", "[0-9]"), fullmatch=True)
        if not noisy:
            return ascii_digits
        return _almost(st.from_regex(schema["pattern"], fullmatch=True) | ascii_digits, noisy)
    fmt = schema.get("format")
    if fmt == "date":
        return _almost(st.dates().map(lambda d: d.isoformat()), noisy)
    if fmt == "date-time":
        moments = st.datetimes(
            min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
        )
        return _almost(moments.map(lambda d: d.isoformat()), noisy)
    if fmt == "email":
        return _almost(st.emails(), noisy)
    low, high = schema.get("minLength", 0), schema.get("maxLength", 30)
    slack = 1 if noisy else 0
    return st.text(min_size=max(0, low - slack), max_size=min(high, 30) + slack)


def _number(schema: Mapping[str, Any], noisy: bool) -> st.SearchStrategy[Any]:
    low = schema.get("minimum", schema.get("exclusiveMinimum", -1000))
    high = schema.get("maximum", schema.get("exclusiveMaximum", low + 100000))
    slack = 2 if noisy else 0
    found: st.SearchStrategy[Any] = st.integers(int(low) - slack, int(high) + slack)
    if schema.get("type") != "integer" or noisy:
        found |= st.floats(low - slack, high + slack, allow_nan=False)
    if noisy:
        found |= st.sampled_from([low, high, float(low), True, "1"])
    return found


def document(schema: Mapping[str, Any], noisy: bool) -> st.SearchStrategy[Any]:
    """Data in the shape of ``schema``; when noisy, with near misses and wrong types mixed in."""
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    options: list[st.SearchStrategy[Any]] = []
    for one in kinds:
        if one == "object" or (one is None and "properties" in schema):
            options.append(_object(schema, noisy))
        elif one == "array":
            items = document(schema.get("items", {}), noisy)
            low, high = schema.get("minItems", 0), schema.get("maxItems", 4)
            slack = 1 if noisy else 0
            options.append(st.lists(items, min_size=max(0, low - slack), max_size=min(high, 4) + slack))
        elif one == "string":
            options.append(_string(schema, noisy))
        elif one in ("number", "integer"):
            options.append(_number(schema, noisy))
        elif one == "boolean":
            options.append(st.booleans())
        elif one == "null":
            options.append(st.none())
    if "enum" in schema and not options:
        options.append(st.sampled_from(schema["enum"]))
    if not options:
        options.append(JSON_VALUES)
    chosen = st.one_of(*options)
    return st.one_of(*[chosen] * 15, JSON_VALUES) if noisy else chosen


def _object(schema: Mapping[str, Any], noisy: bool) -> st.SearchStrategy[dict[str, Any]]:
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    fields = {name: document(sub, noisy) for name, sub in properties.items()}

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, strategy in fields.items():
            if name in required or draw(st.booleans()):
                out[name] = draw(strategy)
        if noisy and draw(st.integers(0, 9)) == 0:
            out[draw(st.text(min_size=1, max_size=6))] = draw(JSON_SCALARS)
        return out

    return build()


def _spots(value: Any, schema: Mapping[str, Any], path: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Paths of ``value`` and of everything inside it that its schema describes."""
    found = [path]
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key in value:
                found += _spots(value[key], sub, (*path, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            found += _spots(item, schema["items"], (*path, index))
    return found


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def _schema_at(schema: Mapping[str, Any], path: tuple[Any, ...]) -> Mapping[str, Any]:
    for step in path:
        schema = schema["items"] if isinstance(step, int) else schema["properties"][step]
    return schema


@st.composite
def near_misses(draw: st.DrawFn, schema: Mapping[str, Any]) -> Any:
    """A valid document, or one with a single change: a value replaced, a field removed or added."""
    doc = draw(document(schema, noisy=False))
    # A seeded generator picks evenly: Hypothesis's own choices favour the first option every time.
    rng = draw(st.randoms(use_true_random=True))
    if rng.random() < 0.3:
        return doc
    spots = [path for path in _spots(doc, schema, ()) if path]
    if not spots or rng.random() < 0.05:
        return draw(document(schema, noisy=True))
    # Half the time a pattern or a format: where regular-expression engines and parsers differ.
    textual = [p for p in spots if {"pattern", "format"} & set(_schema_at(schema, p))]
    path = rng.choice(textual if textual and rng.random() < 0.5 else spots)
    replacement = draw(document(_schema_at(schema, path), noisy=True))
    parent = _at(doc, path[:-1])
    how = rng.randrange(6)
    if how == 0:
        del parent[path[-1]]
    elif how == 1 and isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=6))] = replacement
    else:
        parent[path[-1]] = replacement
    return doc


@pytest.mark.parametrize("form", sorted(FORMS))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fast_and_detailed_validators_agree(form: str, data: st.DataObject) -> None:
    schema = FORMS[form]
    validator = _validator(form)
    doc = data.draw(near_misses(schema), label="document")
    fast = validator.fast.is_valid(doc)
    detailed = [e.message for e in validator.detailed.iter_errors(doc)]
    assert fast == (not detailed), f"fast says {fast}, jsonschema says {detailed or 'valid'}"
    assert (validator.messages(doc) == []) == fast


_VALIDATORS: dict[str, FormValidator] = {}


def _validator(form: str) -> FormValidator:
    if form not in _VALIDATORS:
        _VALIDATORS[form] = FormValidator.compile(FORMS[form])
    return _VALIDATORS[form]


ORDER_FORM = "forms/retail/order.json"


def _order() -> dict[str, Any]:
    return {
        "customer": {"name": "张三", "mobile": "13912345678"},
        "address": {"province": "上海市", "city": "上海市", "district": "浦东新区", "detail": "花园路1号"},
        "lines": [{"sku": "SKU-0001", "name": "Band", "qty": 1, "unit_price": 10, "amount": 10}],
        "shipping_fee": 0,
        "discount": 0,
        "total": 10,
    }


def test_valid_order_has_no_errors() -> None:
    assert _validator(ORDER_FORM).messages(_order()) == []


@pytest.mark.parametrize(
    "mobile",
    [
        "1391234567８",  # a full-width digit: not [0-9] in a JSON Schema (ECMA-262) pattern
        "13912345678\n",  # ECMA-262 "$" is the very end, not "before a final newline"
        "1391234567",
    ],
)
def test_patterns_follow_ecma_262(mobile: str) -> None:
    order = _order()
    order["customer"]["mobile"] = mobile
    errors = _validator(ORDER_FORM).messages(order)
    assert [(e.path, e.keyword) for e in errors] == [("$.customer.mobile", "pattern")]
    assert errors[0].zh.startswith("客户手机号格式不正确：应为") and errors[0].en.startswith(
        "Customer's mobile number: enter an 11-digit mobile number"
    )


def test_errors_listed_with_paths_in_both_languages() -> None:
    order = _order()
    del order["customer"]["name"]
    order["lines"][0]["qty"] = 0
    errors = _validator(ORDER_FORM).messages(order)
    assert [e.path for e in errors] == ["$.customer.name", "$.lines[0].qty"]
    assert (errors[0].zh, errors[0].en) == ("请填写客户姓名", "Customer's name: enter a value")
    assert (errors[1].zh, errors[1].en) == (
        "商品明细第1行数量不能小于1",
        "Quantity in line 1 of the order lines: at least 1",
    )


def test_formats_checked_as_jsonschema_checks_them() -> None:
    schema = {
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email"},
            "day": {"type": "string", "format": "date"},
            "at": {"type": "string", "format": "date-time"},
            "mood": {"type": "string", "format": "no-such-format"},
        },
    }
    validator = FormValidator.compile(schema)
    good = {"email": "li.na@example.com.cn", "day": "2026-11-23", "at": "2026-11-23T10:00:00+08:00"}
    assert validator.messages(good) == []
    # engine.forms.formats replaces jsonschema's email, which only asks for an "@"
    assert [e.path for e in validator.messages({"email": "two words@x.cn"})] == ["$.email"]
    assert [e.path for e in validator.messages({"email": "a@b"})] == ["$.email"]
    assert validator.messages({"mood": "anything"}) == []
    bad = validator.messages({"email": "nobody", "day": "2026-2-3", "at": "2026-11-23 10:00"})
    assert sorted(e.path for e in bad) == ["$.at", "$.day", "$.email"]
    assert all(e.keyword == "format" and ": enter a" in e.en for e in bad)


WHOLESALE_PHONE = "forms/wholesale/intake-phone.json"


@pytest.mark.parametrize(
    ("typed", "zh", "en"),
    [
        (
            "2026-02-30",
            "要求到货日期：2026-02-30 不是存在的日期",
            "Requested delivery date: 2026-02-30 is not a real date",
        ),
        (
            "2026-13-01",
            "要求到货日期：2026-13-01 不是存在的日期",
            "Requested delivery date: 2026-13-01 is not a real date",
        ),
        (
            "2026/02/28",
            "要求到货日期格式不正确：应为日期，如 2026-01-31",
            "Requested delivery date: enter a date like 2026-01-31",
        ),
    ],
)
def test_a_date_written_as_one_but_not_in_the_calendar_is_said_not_to_exist(
    typed: str, zh: str, en: str
) -> None:
    """The orders filter says 2026-02-30 does not exist; a form says so too, not that the format is
    wrong (it is the format asked for); a date written otherwise still says what is wanted."""
    layout = load_layout(
        FORMS[WHOLESALE_PHONE],
        json.loads((REPO_ROOT / "forms/wholesale/intake-phone.ui.json").read_text("utf-8")),
    )
    said = [
        e
        for e in _validator(WHOLESALE_PHONE).messages({"delivery_date": typed}, layout)
        if e.field == "delivery_date"
    ]
    assert [(e.keyword, e.zh, e.en) for e in said] == [("format", zh, en)]


def test_a_date_time_whose_day_is_not_in_the_calendar_names_the_day() -> None:
    validator = FormValidator.compile(
        {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}}
    )
    [said] = validator.messages({"at": "2026-02-29T10:00:00+08:00"})  # 2026 is no leap year
    assert said.en == "At: 2026-02-29 is not a real date" and said.zh == "at：2026-02-29 不是存在的日期"
    assert validator.messages({"at": "2028-02-29T10:00:00+08:00"}) == []


def test_data_the_fast_validator_cannot_take_is_judged_by_jsonschema() -> None:
    validator = FormValidator.compile({"type": "object", "properties": {"n": {"type": "integer"}}})
    assert [e.path for e in validator.messages({"n": datetime(2026, 1, 1)})] == ["$.n"]
    assert validator.messages({"n": 2**70}) == []


RETAIL_WEB = "forms/retail/intake-web.json"
RETAIL_LAYOUT = load_layout(
    FORMS[RETAIL_WEB], json.loads((REPO_ROOT / "forms/retail/intake-web.ui.json").read_text("utf-8"))
)


def test_a_field_left_uncomputed_by_a_refused_price_is_not_asked_for_but_one_left_by_a_blank_is() -> None:
    # Line 2's 400-digit price cannot be multiplied: its amount and the total stay uncomputed, and the
    # price's own error says what to fix ("fill in the unit price first" would be wrong: it is filled).
    # Line 3's quantity was left out: its amount still names what it is computed from.
    lines = [
        {"sku": "XM-BAND8", "name": "小米手环8", "qty": 1, "unit_price": 239},
        {"sku": "XM-BAND8", "name": "小米手环8", "qty": 1, "unit_price": 10**400},
        {"sku": "XM-BAND8", "name": "小米手环8", "unit_price": 239},
    ]
    data = RETAIL_LAYOUT.prepare({"lines": lines, "shipping_fee": 0, "discount": 0})
    found = [
        (e.path, e.en)
        for e in FormValidator(FORMS[RETAIL_WEB]).messages(data, RETAIL_LAYOUT)
        if e.path.startswith("$.lines") or e.path == "$.total"
    ]
    assert found == [
        (
            "$.lines[1].unit_price",
            "Unit price (CNY) in line 2 of the order lines: out of range; an amount must be below "
            "10,000,000,000,000 (ten trillion) CNY",
        ),
        ("$.lines[2].qty", "Quantity in line 3 of the order lines: enter a value"),
        (
            "$.lines[2].amount",
            "Line amount (CNY) in line 3 of the order lines: computed from the quantity, unit price "
            "(CNY); fill those in first",
        ),
    ]
