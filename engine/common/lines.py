"""Lines of goods, ``{sku, qty, …}`` each (an order's lines, what a return names, what a request asks
back): read one by one, summed per SKU, cut to what is left of each SKU."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["less_named", "line_qty", "lines_within", "per_sku"]

CENT = Decimal("0.01")


def line_qty(line: Any) -> tuple[str, int] | None:
    """The SKU and quantity of ``line``: None when it names no SKU (as text) or its quantity is no whole
    number of 0 or more (a number, or digits as text)."""
    if not isinstance(line, Mapping):
        return None
    sku, qty = line.get("sku"), _number(line.get("qty"))
    if not isinstance(sku, str) or not sku or qty is None or qty < 0 or qty != qty.to_integral_value():
        return None
    return sku, int(qty)


def per_sku(lines: Any, bad: Callable[[Any], object] | None = None) -> dict[str, int]:
    """The quantities of ``lines`` summed per SKU, in the order each SKU is first named. A line
    ``line_qty`` cannot read is left out, once ``bad`` (when given) was told of it: a caller that
    refuses such a line raises there."""
    totals: dict[str, int] = {}
    for line in lines if isinstance(lines, list | tuple) else []:
        found = line_qty(line)
        if found is None:
            if bad is not None:
                bad(line)
            continue
        totals[found[0]] = totals.get(found[0], 0) + found[1]
    return totals


def less_named(lines: Any, named: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Per SKU of ``lines`` (``per_sku``), what is left once each of ``named`` (SKU -> quantity: what
    the orders about it name back) took its own, never below 0: what a return may still take back, and
    what its form offers."""
    left = per_sku(lines)
    for items in named:
        for sku, qty in items.items():
            if sku in left:
                left[sku] = max(left[sku] - qty, 0)
    return left


def lines_within(lines: Sequence[Any], room: Mapping[str, int]) -> list[dict[str, Any]]:
    """``lines`` cut to ``room`` (how many of each SKU may still be named), in their order: a line's
    quantity lowered to what is left of its SKU once the lines before it took theirs, a line with none
    left (or none readable) left out; a line's ``amount`` kept its ``unit_price`` times its quantity."""
    kept = []
    rest = dict(room)
    for line in lines:
        found = line_qty(line)
        if found is None:
            continue
        sku, had = found
        qty = min(had, rest.get(sku, 0))
        if qty <= 0:
            continue
        rest[sku] -= qty
        cut = dict(line)
        if qty != had:
            cut["qty"] = qty
            price = _number(cut.get("unit_price"))
            if "amount" in cut and price is not None:  # a form computes it again; kept right meanwhile
                amount = (price * qty).quantize(CENT)
                cut["amount"] = int(amount) if amount == amount.to_integral_value() else float(amount)
        kept.append(cut)
    return kept


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        found = Decimal(str(value))
    except InvalidOperation:
        return None
    return found if found.is_finite() else None
