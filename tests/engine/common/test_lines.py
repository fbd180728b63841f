"""Lines of goods read, summed per SKU and cut to what is left (engine/common/lines.py): what a retail
return and an after-sales request both count with."""

from __future__ import annotations

from typing import Any

import pytest

from engine.common.lines import less_named, line_qty, lines_within, per_sku


@pytest.mark.parametrize(
    ("line", "read"),
    [
        ({"sku": "TEA-01", "qty": 2}, ("TEA-01", 2)),
        ({"sku": "TEA-01", "qty": "3"}, ("TEA-01", 3)),
        ({"sku": "TEA-01", "qty": 2.0}, ("TEA-01", 2)),
        ({"sku": "TEA-01", "qty": 0}, ("TEA-01", 0)),
        ({"sku": "TEA-01", "qty": -1}, None),
        ({"sku": "TEA-01", "qty": 1.5}, None),
        ({"sku": "TEA-01", "qty": True}, None),
        ({"sku": "TEA-01", "qty": "two"}, None),
        ({"sku": "TEA-01"}, None),
        ({"sku": "", "qty": 1}, None),
        ({"qty": 1}, None),
        ("TEA-01", None),
    ],
)
def test_a_line_reads_as_its_sku_and_a_whole_quantity_of_0_or_more(line: Any, read: Any) -> None:
    assert line_qty(line) == read


def test_lines_are_summed_per_sku_in_the_order_first_named_the_unreadable_told_and_left_out() -> None:
    told: list[Any] = []
    lines = [
        {"sku": "CUP-02", "qty": 1},
        {"sku": "TEA-01", "qty": 2},
        {"sku": "x"},
        {"sku": "CUP-02", "qty": 3},
    ]
    found = per_sku(lines, bad=told.append)
    assert list(found.items()) == [("CUP-02", 4), ("TEA-01", 2)]
    assert told == [{"sku": "x"}]
    assert per_sku(None) == {} and per_sku({"sku": "TEA-01", "qty": 1}) == {}


def test_a_caller_that_refuses_a_bad_line_raises_from_bad() -> None:
    def refuse(line: Any) -> None:
        raise ValueError(line)

    with pytest.raises(ValueError, match="qty"):
        per_sku([{"sku": "TEA-01", "qty": 1}, {"sku": "TEA-01", "qty": -2}], bad=refuse)


def test_lines_are_cut_to_what_is_left_of_each_sku_their_amount_kept_right() -> None:
    lines = [
        {"sku": "TEA-01", "name": "龙井茶", "qty": 2, "unit_price": 88, "amount": 176},
        {"sku": "CUP-02", "name": "茶杯", "qty": 1, "unit_price": 30, "amount": 30},
        {"sku": "TEA-01", "qty": 2, "unit_price": 88.5, "amount": 177},
        {"sku": "PEN-03", "qty": 4},
    ]
    cut = lines_within(lines, {"TEA-01": 3, "PEN-03": 1})
    assert cut == [
        {"sku": "TEA-01", "name": "龙井茶", "qty": 2, "unit_price": 88, "amount": 176},
        {"sku": "TEA-01", "qty": 1, "unit_price": 88.5, "amount": 88.5},
        {"sku": "PEN-03", "qty": 1},
    ]
    assert lines == lines_within(lines, {"TEA-01": 4, "CUP-02": 1, "PEN-03": 4})  # nothing cut


def test_what_is_left_once_the_orders_about_it_name_theirs_never_goes_below_nothing() -> None:
    lines = [{"sku": "XM-BAND8", "qty": 2}, {"sku": "YL-MILK24", "qty": 1}, {"sku": "XM-BAND8", "qty": 1}]
    named = [{"XM-BAND8": 1}, {"XM-BAND8": 1, "YL-MILK24": 3}, {"HR-BCD470": 5}]
    assert less_named(lines, named) == {"XM-BAND8": 1, "YL-MILK24": 0}  # a SKU it lacks adds nothing
    assert less_named(lines, []) == {"XM-BAND8": 3, "YL-MILK24": 1}
    assert less_named(None, named) == {}
