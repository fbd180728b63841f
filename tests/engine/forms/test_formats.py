"""The Chinese formats and money: both validators of a form give the same verdict on each, resident ID
numbers built with their check digit pass and a changed check digit fails."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.forms import FormValidator
from engine.forms.formats import (
    id_check_digit,
    is_email,
    is_mobile_cn,
    is_money,
    is_postcode_cn,
    is_resident_id_cn,
    keyword_findings,
    prepare_schema,
)

FORM = FormValidator(
    {
        "type": "object",
        "properties": {
            "mobile": {"type": "string", "format": "mobile-cn"},
            "id_number": {"type": "string", "format": "resident-id-cn"},
            "postcode": {"type": "string", "format": "postcode-cn"},
            "email": {"type": "string", "format": "email"},
            "amount": {"type": "number", "format": "money"},
            "adjustment": {"type": "number", "format": "money", "minimum": -500},
        },
    }
)

BIRTH_DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))
AREAS = st.integers(100000, 999999).map(str)
SEQUENCES = st.integers(0, 999).map(lambda n: f"{n:03d}")


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    first17 = draw(AREAS) + draw(BIRTH_DATES).strftime("%Y%m%d") + draw(SEQUENCES)
    return first17 + id_check_digit(first17)


def agree(field: str, value: Any) -> bool:
    """Both validators' verdict on ``{field: value}``, after checking they agree."""
    data = {field: value}
    fast = bool(FORM.fast.is_valid(data))
    detailed = not any(True for _ in FORM.detailed.iter_errors(data))
    assert fast == detailed, (field, value)
    return fast


# Look-alikes: full-width and Arabic-Indic digits, blanks, a lower-case x.
NOISE = st.sampled_from(["", " ", "\n", "x", "X", "１", "٣", "0", "@", ".", "-", "é"])


def noisy(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def mutate(value: str, extra: str, at: int, how: int) -> str:
        at %= len(value) + 1
        return [value[:at] + extra + value[at:], value[:at] + extra + value[at + 1 :], value[:at]][how]

    return text | st.builds(mutate, text, NOISE, st.integers(0, 20), st.integers(0, 2))


@settings(max_examples=300)
@given(resident_ids())
def test_a_resident_id_with_its_check_digit_passes_and_any_other_check_digit_fails(number: str) -> None:
    assert is_resident_id_cn(number) and agree("id_number", number)
    for other in "0123456789X":
        if other != number[-1]:
            assert not is_resident_id_cn(number[:-1] + other)
            assert not agree("id_number", number[:-1] + other)


@settings(max_examples=300)
@given(noisy(resident_ids()) | st.text(max_size=20))
def test_both_validators_agree_on_resident_ids(value: str) -> None:
    assert agree("id_number", value) == is_resident_id_cn(value)


@settings(max_examples=300)
@given(noisy(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)) | st.text(max_size=12))
def test_both_validators_agree_on_mobile_numbers(value: str) -> None:
    assert agree("mobile", value) == is_mobile_cn(value)


@settings(max_examples=200)
@given(noisy(st.from_regex(r"[0-9]{6}", fullmatch=True)) | st.text(max_size=7))
def test_both_validators_agree_on_postcodes(value: str) -> None:
    assert agree("postcode", value) == is_postcode_cn(value)


@settings(max_examples=300)
@given(noisy(st.emails()) | st.text(max_size=20))
def test_both_validators_agree_on_email(value: str) -> None:
    assert agree("email", value) == is_email(value)


@settings(max_examples=300)
@given(
    st.integers(-(10**9), 10**9)
    | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9)
    | st.decimals(places=2, min_value=0, max_value=10**6, allow_nan=False).map(float)
    | st.integers(0, 10**8).map(lambda cents: cents / 100)
    | st.booleans()
    | st.text(max_size=4)
)
def test_both_validators_agree_on_money(value: Any) -> None:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    assert agree("amount", value) == (number and is_money(value) and value >= 0)
    assert agree("adjustment", value) == (number and is_money(value) and value >= -500)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("11010519491231002X", True),  # the standard's own example
        ("110105194912310021", False),  # its check digit changed
        ("11010519491231002x", False),  # lower-case x
        ("110105194902300027", False),  # 30 February
        ("010105194912310020", False),  # an area code starting 0
        ("11010519491231002", False),  # 17 characters
        ("１１0105194912310020", False),  # full-width digits
    ],
)
def test_resident_id_examples(value: str, valid: bool) -> None:
    assert is_resident_id_cn(value) is valid
    assert agree("id_number", value) is valid


def test_a_birth_date_after_today_is_refused() -> None:
    first17 = "110105" + "20300101" + "001"
    number = first17 + id_check_digit(first17)
    assert not is_resident_id_cn(number, today=date(2026, 1, 1))
    assert is_resident_id_cn(number, today=date(2031, 1, 1))


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("13812345678", True),
        ("19912345678", True),
        ("12812345678", False),
        ("1381234567", False),
        ("138123456789", False),
        ("1381234567８", False),
        ("+8613812345678", False),
    ],
)
def test_mobile_examples(value: str, valid: bool) -> None:
    assert agree("mobile", value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (0, True),
        (19.9, True),
        (19.99, True),
        (1e6, True),
        (19.999, False),
        (0.1 + 0.2, False),
        (-0.01, False),
        (float("inf"), False),
        (float("nan"), False),
    ],
)
def test_money_examples(value: float, valid: bool) -> None:
    assert FORM.is_valid({"amount": value}) is valid
    assert (not FORM.messages({"amount": value})) is valid


def test_money_allows_a_negative_amount_where_the_schema_sets_its_own_minimum() -> None:
    assert FORM.is_valid({"adjustment": -20.5})
    assert not FORM.is_valid({"adjustment": -20.555})
    assert not FORM.is_valid({"adjustment": -501})


def test_prepare_schema_leaves_the_form_as_it_is() -> None:
    schema = {"type": "number", "format": "money"}
    prepared = prepare_schema(schema)
    assert prepared == {"type": "number", "format": "money", "x-money": True, "minimum": 0}
    assert schema == {"type": "number", "format": "money"}
    assert prepare_schema({"enum": [{"format": "money"}]}) == {"enum": [{"format": "money"}]}


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("li.na@example.com", True),
        ("a+b@mail.example.com.cn", True),
        ("a@b", False),
        ("two words@example.com", False),
        ("@example.com", False),
        ("a@example.123", False),
        ("a..b@example.com", False),
        ("a@-example.com", False),
    ],
)
def test_email_examples(value: str, valid: bool) -> None:
    assert agree("email", value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("09:30:00+08:00", True),
        ("23:59:59Z", True),
        ("09:30:00.5-05:00", True),
        ("09:30:00", False),  # RFC 3339 full-time has an offset; draft 3's time had none
        ("9:30:00+08:00", False),
        ("24:00:00+08:00", False),
    ],
)
def test_time_is_rfc_3339_full_time_for_both_validators(value: str, valid: bool) -> None:
    validator = FormValidator({"type": "string", "format": "time"})
    assert validator.fast.is_valid(value) is valid
    assert (not list(validator.detailed.iter_errors(value))) is valid
    assert (validator.messages(value) == []) is valid


def test_a_near_miss_of_one_of_our_extensions_is_warned_of_with_it() -> None:
    schema = {
        "type": "object",
        "x-tilte-zh": "订单",
        "x-description-zh": "说明",
        "x-money": True,
        "x-audit-note": "the author's own",
        "properties": {"a": {"type": "string", "x-enum-title": {}}},
    }
    found = [
        (where, code, severity, suggestion)
        for where, _, code, severity, suggestion in keyword_findings(schema)
    ]
    assert found == [
        ("$.x-tilte-zh", "unknown-keyword", "warning", "x-title-zh"),
        ("$.properties.a.x-enum-title", "unknown-keyword", "warning", "x-enum-titles"),
    ]
