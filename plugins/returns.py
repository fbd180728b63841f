"""A return of chosen lines of a delivered order (退货): what a request may name, what those lines are
worth, and where each line received goes back on hand. Helpers of ``payments.authorize_refund`` and
``inventory.restock``; no action of its own.

The order keeps three lists of ``{sku, name, qty}`` (forms/retail/order.json): ``returnable``, the lines
delivered less those that came back (set when the order is delivered); ``returning``, the lines the
open return request names, until the warehouse receives them; ``returned``, each line received, with
the warehouse it went back into (``warehouse``: none for a virtual item, which holds no stock).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NoReturn

from engine.common.lines import less_named, line_qty, per_sku
from engine.plugins import ActionContext
from plugins._common import ActionRefused, keeps_records, money

RETURNING = "returning"  # the lines of the return asked for and not yet received
SHIPMENT = "shipment"  # the record kind of a shipment, which says where each line left from


def asks_lines(data: Mapping[str, Any]) -> bool:
    """Whether the order has a return naming its lines under way (its ``returning`` lines)."""
    return isinstance(data.get(RETURNING), list)


def coming_back(data: Mapping[str, Any]) -> list[tuple[str, int]]:
    """The lines of the return asked for, per SKU in the order named, lines of 0 left out: each one a
    line the order delivered, and no more of it than was delivered less what came back already."""
    left = _per_sku(data.get("returnable"))
    wanted: dict[str, int] = {}
    for item in data.get(RETURNING) or []:
        sku, qty = _sku_qty(item)
        if qty:
            wanted[sku] = wanted.get(sku, 0) + qty
    if not wanted:
        raise ActionRefused(
            "no-return-lines",
            "退货商品：请至少填写一件退回商品的数量",
            "Items to return: give the quantity of at least one item coming back",
        )
    for sku, qty in wanted.items():
        if sku not in left:
            raise ActionRefused(
                "not-returnable",
                f"退货商品：商品 {sku} 不在此订单已签收的商品中",
                f"Items to return: {sku} is not among the items this order delivered",
                sku=sku,
            )
        if qty > left[sku]:
            raise _over_return(sku, qty, left[sku], "已签收减去已退回", "delivered less returned")
    return list(wanted.items())


def check_unclaimed_items(ctx: ActionContext) -> None:
    """A return never takes back goods the orders about this one (after-sales requests) already name:
    per SKU, no more than delivered less returned less what they name, refused naming each request
    (the customer would be refunded, and the stock booked back, twice)."""
    if not asks_lines(ctx.data) or ctx.claims is None:
        return
    claims = [claim for claim in ctx.claims() if claim.items]
    if not claims:
        return
    left = less_named(ctx.data.get("returnable"), [claim.items for claim in claims])
    for sku, qty in coming_back(ctx.data):
        free = left.get(sku, 0)
        if qty <= free:
            continue
        naming = [claim for claim in claims if claim.items.get(sku)]
        zh = "，".join(f"{c.workflow_title.zh} {c.order_id} 已申请 {c.items[sku]} 件" for c in naming)
        en = ", ".join(f"{c.items[sku]} named by {c.workflow_title.en.lower()} {c.order_id}" for c in naming)
        raise _over_return(sku, qty, free, zh, en, orders=[claim.order_id for claim in naming])


def _over_return(sku: str, qty: int, free: int, why_zh: str, why_en: str, **details: Any) -> ActionRefused:
    """The refusal of ``qty`` of ``sku`` coming back when only ``free`` may, saying why in brackets."""
    return ActionRefused(
        "over-return",
        f"退货商品：商品 {sku} 退回 {qty} 件，超过可退的 {free} 件（{why_zh}）",
        f"Items to return: {qty} of {sku} exceeds the {free} that may still come back ({why_en})",
        sku=sku,
        qty=qty,
        returnable=free,
        **details,
    )


def worth(data: Mapping[str, Any]) -> Decimal | None:
    """What the lines of the return asked for cost: each one's quantity at its order line's unit price
    (None: the order has no such return under way)."""
    if not asks_lines(data):
        return None
    prices: dict[str, Decimal] = {}
    for line in data.get("lines") or []:
        if isinstance(line, Mapping) and isinstance(line.get("sku"), str):
            prices.setdefault(line["sku"], money(line.get("unit_price"), "lines[].unit_price"))
    return sum((prices.get(sku, Decimal("0.00")) * qty for sku, qty in coming_back(data)), Decimal("0.00"))


def check_refund(amount: Decimal, worth: Decimal | None) -> None:
    """Refuse a refund above the price of the lines returned (``worth``; None: no lines named)."""
    if worth is not None and amount > worth:
        zh = f"退款金额 {amount} 元超过所退商品的价格 {worth} 元"
        en = f"refund of {amount} CNY exceeds the {worth} CNY the items returned cost"
        raise ActionRefused("over-refund", zh, en, amount=str(amount), value=str(worth))


def received(ctx: ActionContext) -> list[dict[str, Any]]:
    """The lines of the return received, each with the warehouse it goes back into: where it shipped
    from (the order's shipment records, else its lines' or its own warehouse), less what went back
    there already; a virtual item has none. Refused, naming the SKU, when a line holding stock has no
    warehouse it left from."""
    data = ctx.data
    names = {
        line["sku"]: line.get("name")
        for line in reversed(data.get("lines") or [])
        if isinstance(line, Mapping) and isinstance(line.get("sku"), str)
    }
    virtual = {
        line["sku"]
        for line in data.get("lines") or []
        if isinstance(line, Mapping) and line.get("virtual") is True
    }
    room = _shipped_from(ctx)
    for item in data.get("returned") or []:
        if isinstance(item, Mapping) and item.get("warehouse"):
            key = (str(item["sku"]), str(item["warehouse"]))
            room[key] = room.get(key, 0) - int(item.get("qty") or 0)
    placed: list[dict[str, Any]] = []
    for sku, qty in coming_back(data):
        remaining = qty
        for (shipped_sku, warehouse), free in room.items():
            take = min(remaining, free) if shipped_sku == sku else 0
            if take > 0:
                placed.append(_line(sku, names.get(sku), take, warehouse))
                room[(shipped_sku, warehouse)] -= take
                remaining -= take
        if remaining and sku not in virtual:
            raise ActionRefused(
                "no-warehouse",
                f"商品 {sku} 有 {remaining} 件找不到发出的仓库，无法退回入库",
                f"{remaining} of {sku} left from no warehouse this order knows: they cannot go back on hand",
                sku=sku,
            )
        if remaining:
            placed.append(_line(sku, names.get(sku), remaining, None))
    return placed


def after_receipt(data: Mapping[str, Any], placed: list[dict[str, Any]]) -> dict[str, Any]:
    """The order's lists once ``placed`` came back: ``returnable`` lowered, ``returned`` grown by them,
    ``returning`` cleared."""
    back: dict[str, int] = {}
    for line in placed:
        back[line["sku"]] = back.get(line["sku"], 0) + line["qty"]
    returnable = []
    for item in data.get("returnable") or []:
        if isinstance(item, Mapping):
            sku, had = _sku_qty(item)
            took = min(had, back.get(sku, 0))
            back[sku] = back.get(sku, 0) - took
            qty = had - took
            if qty > 0:
                returnable.append({"sku": item["sku"], "name": item.get("name"), "qty": qty})
    returned = [dict(item) for item in data.get("returned") or [] if isinstance(item, Mapping)]
    return {"returnable": returnable, "returned": returned + placed, RETURNING: None}


def _shipped_from(ctx: ActionContext) -> dict[tuple[str, str], int]:
    """How many of each SKU left each warehouse: the order's shipments that left, else its lines."""
    shipped: dict[tuple[str, str], int] = {}
    if keeps_records(ctx, SHIPMENT):
        assert ctx.records is not None
        for shipment in ctx.records.of(SHIPMENT):
            if shipment.get("state") in ("shipped", "delivered"):
                for line in shipment.get("lines") or []:
                    sku, qty = _sku_qty(line)
                    key = (sku, str(shipment.get("warehouse")))
                    shipped[key] = shipped.get(key, 0) + qty
        return shipped
    for line in ctx.data.get("lines") or []:
        warehouse = ctx.data.get("warehouse") or (
            line.get("warehouse") if isinstance(line, Mapping) else None
        )
        sku, qty = _sku_qty(line)
        if isinstance(warehouse, str) and warehouse:
            shipped[(sku, warehouse)] = shipped.get((sku, warehouse), 0) + qty
    return shipped


def _line(sku: str, name: Any, qty: int, warehouse: str | None) -> dict[str, Any]:
    line: dict[str, Any] = {"sku": sku, "name": name} if isinstance(name, str) else {"sku": sku}
    line["qty"] = qty
    if warehouse is not None:
        line["warehouse"] = warehouse
    return line


def _sku_qty(item: Any) -> tuple[str, int]:
    found = line_qty(item)
    if found is None:
        _bad_line(item)
    return found


def _per_sku(items: Any) -> dict[str, int]:
    return per_sku(items, bad=_bad_line)


def _bad_line(item: Any) -> NoReturn:
    raise ActionRefused(
        "line",
        f"退货商品行无效：{item!r}",
        f"a return line needs its sku and a quantity of 0 or more, got {item!r}",
    )
