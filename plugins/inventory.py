"""Stock actions: reserve (占用), release (释放) and deduct (扣减) against the ``stock`` table.

Every change is one conditional ``UPDATE`` whose ``WHERE`` clause carries the check (``on_hand - reserved
>= :n`` to reserve), backed by the table's ``CHECK (... >= 0)`` constraints: however many clerks and
shoppers race for the last unit, at most one gets it, and the others are refused with the sku named.

On PostgreSQL each action first locks the stock rows of every sku of the order, in every warehouse, in
one statement and in the one order used everywhere (``engine.store.lock_stock``: sku, then warehouse).
Rows changed in order-line order instead would let two orders holding the same items in another order
deadlock. Once locked, what the action reads is what it changes: no other transaction moves the
stock between the choice of a warehouse and the reservation there.

A reservation takes stock where the order ships from, which routing decides when the workflow routes
(its ``split``, else its ``warehouse``): a line's own ``warehouse`` counts only for an order that names
no warehouse, so no pick on a line takes stock from a warehouse the routing rule file rules out, nor
refuses the order for a warehouse that holds none when routing found the stock elsewhere.

A line marked ``virtual: true`` (a gift card, an extended warranty: the product catalogue marks the
lines of a workflow that names it, docs/catalogue.md) holds no stock: a reservation leaves it out, and
so a release and a deduct never see it. An order of virtual lines only reserves nothing.

The order remembers what it holds in ``stock_reserved`` (a list of ``{sku, warehouse, qty}``), so a
release gives back exactly this order's reservation, and a deduct takes exactly it, whatever happened to
the order lines since. Partial shipments name their items in ``parcel`` (``[{sku, qty}]``); without a
parcel sent with its own step, a deduct ships everything still reserved (the parcel an earlier step sent
is that step's, and never reaches a later one's actions). ``shipped_qty`` counts the units shipped so
far, which a workflow compares with the ordered quantity
(``order.shipped_qty >= sum(pluck(order.lines, "qty"))``).

Where the workflow keeps shipments as records (``records: shipment``), a reservation adds one per
warehouse with its lines, a deduct on one ships those lines from that warehouse alone, and a release
cancels those not shipped yet (where the kind declares ``cancel``).

A reservation that takes the units free to reserve of a stock row below its ``safety_stock`` (安全库存)
writes one ``stock_changed`` message to the outbox (sku, warehouse, available, safety stock), which the
low-stock patterns of correlation rule sets turn into replenishment suggestions. Only the crossing is
reported, not every reservation below it; shipping reserved units does not change what is free.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import bindparam, func, insert, literal_column, select, update

from engine.errors import RefusalCode, TransitionRejected
from engine.plugins import ActionContext, emits, writes
from engine.store import PreparedStatements, lock_stock
from engine.store.stock_ledger import LOW_STOCK_TOPIC, LedgerKind, ledger_entry, low_stock_payload, rearmed
from engine.store.tables import stock, stock_ledger
from plugins import returns
from plugins._common import ActionRefused, keeps_records

Holding = dict[str, Any]  # {"sku": str, "warehouse": str, "qty": int}
# The outbox topic of a reservation that took a stock row below its safety stock (安全库存).
STOCK_CHANGED = "stock_changed"

_SKU: Any = bindparam("sku")
_WAREHOUSE: Any = bindparam("warehouse")
_QTY: Any = bindparam("qty")
_FREE = stock.c.on_hand - stock.c.reserved
_THIS_ROW = (stock.c.sku == _SKU, stock.c.warehouse == _WAREHOUSE)
_OTHER = stock.alias("best")
_BEST = (
    select(_OTHER.c.warehouse)
    .where(_OTHER.c.sku == _SKU, _OTHER.c.on_hand - _OTHER.c.reserved >= _QTY)
    .order_by((_OTHER.c.on_hand - _OTHER.c.reserved).desc(), _OTHER.c.warehouse)
    .limit(literal_column("1"))  # every parameter a named one
    .offset(literal_column("0"))
)
_FREE_TOTAL = func.coalesce(func.sum(_FREE), literal_column("0"))  # every parameter a named one
# Built once and compiled once per dialect: these run several times in every order's lifecycle.
_SQL = PreparedStatements(
    {
        "candidates": select(stock.c.warehouse)
        .where(stock.c.sku == _SKU, _FREE >= _QTY)
        .order_by(_FREE.desc(), stock.c.warehouse),
        # Both reservations return what is left free and the safety stock, to report a crossing.
        "reserve": update(stock)
        .where(*_THIS_ROW, _FREE >= _QTY)
        .values(reserved=stock.c.reserved + _QTY)
        .returning(stock.c.warehouse, _FREE, stock.c.safety_stock),
        # the warehouse with most stock free, picked and reserved in one statement
        "reserve_best": update(stock)
        .where(stock.c.sku == _SKU, stock.c.warehouse == _BEST.scalar_subquery(), _FREE >= _QTY)
        .values(reserved=stock.c.reserved + _QTY)
        .returning(stock.c.warehouse, _FREE, stock.c.safety_stock),
        "release": update(stock)
        .where(*_THIS_ROW, stock.c.reserved >= _QTY)
        .values(
            reserved=stock.c.reserved - _QTY,
            low_alerted=rearmed(stock.c.on_hand - stock.c.reserved + _QTY),  # back above: told afresh
        ),
        "deduct": update(stock)
        .where(*_THIS_ROW, stock.c.reserved >= _QTY, stock.c.on_hand >= _QTY)
        .values(on_hand=stock.c.on_hand - _QTY, reserved=stock.c.reserved - _QTY),
        "available": select(_FREE_TOTAL).where(stock.c.sku == _SKU),
        "available_in": select(_FREE_TOTAL).where(*_THIS_ROW),
    }
)


@writes("stock_reserved")
@emits(STOCK_CHANGED, deliver=False)  # for the correlation feed, which suggests replenishment
@emits(LOW_STOCK_TOPIC)  # mailed to the purchasing role, with a reorder suggestion
def reserve(ctx: ActionContext) -> Mapping[str, Any] | None:
    """Reserve every order line where the order ships from: routing's split, else the order's
    ``warehouse`` (routing's choice); only an order naming no warehouse reserves a line in the line's
    own ``warehouse``, and a line without one in the warehouse with most stock free."""
    if _holdings(ctx.data):
        raise ActionRefused(
            "already-reserved",
            f"订单 {ctx.order_id} 已占用库存，不能重复占用",
            f"order {ctx.order_id} already holds reserved stock; release it before reserving again",
        )
    wanted = _wanted(ctx.data)
    lock_stock(ctx.connection, _order_skus(ctx.data))
    held: list[Holding] = []
    for sku, warehouse, qty in wanted:
        held.append(_reserve_one(ctx, sku, warehouse, qty))
    _add_shipments(ctx, held)
    return {"stock_reserved": held}


SHIPMENT = "shipment"  # the record kind of a parcel from one warehouse


def _add_shipments(ctx: ActionContext, held: list[Holding]) -> None:
    """When the order keeps its shipments as records (its workflow declares ``records: shipment``): one
    shipment record per warehouse the stock was reserved in, with that warehouse's lines (routing's
    split makes several). A parcel is shipped on one of them, so it never mixes warehouses."""
    if not _has_shipments(ctx):
        return
    assert ctx.records is not None
    parts: dict[str, list[dict[str, Any]]] = {}
    for holding in held:
        parts.setdefault(holding["warehouse"], []).append({"sku": holding["sku"], "qty": holding["qty"]})
    for warehouse, lines in parts.items():
        ctx.records.add(SHIPMENT, {"warehouse": warehouse, "lines": lines})


def _has_shipments(ctx: ActionContext) -> bool:
    """Whether the order keeps its shipments as records (its workflow declares ``records: shipment``)."""
    return keeps_records(ctx, SHIPMENT)


def _cancel_shipments(ctx: ActionContext) -> None:
    """The order's shipment records whose kind takes a ``cancel`` from where they are (pending: not
    shipped) are cancelled with the stock they would have shipped, each a step of the audit trail; a
    kind without ``cancel`` keeps its records as they are."""
    if not _has_shipments(ctx):
        return
    assert ctx.records is not None
    for shipment in ctx.records.of(SHIPMENT):
        try:
            ctx.records.fire(SHIPMENT, int(shipment["number"]), "cancel")
        except TransitionRejected as refused:
            codes = {refusal.code for refusal in refused.refusals}
            if codes == {RefusalCode.UNKNOWN_TRIGGER}:
                return  # the kind declares no cancel
            if codes != {RefusalCode.STATE}:
                raise  # anything but "shipped already" (left as it is) is the step's refusal


@writes("stock_reserved")
def release(ctx: ActionContext) -> Mapping[str, Any] | None:
    """Give back everything this order holds (nothing to do when it holds nothing), and cancel the
    shipment records not shipped yet (``_cancel_shipments``)."""
    _cancel_shipments(ctx)
    holdings = _holdings(ctx.data)
    if not holdings:
        return None
    lock_stock(ctx.connection, _order_skus(ctx.data))
    for held in holdings:
        params = {"sku": held["sku"], "warehouse": held["warehouse"], "qty": held["qty"]}
        result = _SQL.run(ctx.connection, "release", params)
        if result.rowcount != 1:
            raise ActionRefused(
                "stock-mismatch",
                f"无法释放商品 {held['sku']} 在仓库 {held['warehouse']} 的 {held['qty']} 件占用库存",
                f"cannot release {held['qty']} reserved units of sku {held['sku']!r} in warehouse "
                f"{held['warehouse']!r}: the stock row holds fewer",
                sku=held["sku"],
                warehouse=held["warehouse"],
            )
    return {"stock_reserved": []}


@writes("stock_reserved", "shipped_qty")
def deduct(ctx: ActionContext) -> Mapping[str, Any] | None:
    """Take shipped units off the shelf: the ``parcel`` items, or everything still reserved. On a shipment
    record's step: that record's lines, from its warehouse alone (the order's holdings elsewhere stay)."""
    if ctx.record is not None:
        return _deduct_shipment(ctx)
    holdings = [dict(h) for h in _holdings(ctx.data)]
    if not holdings:
        raise ActionRefused(
            "nothing-reserved",
            f"订单 {ctx.order_id} 没有占用库存，无法扣减",
            f"order {ctx.order_id} holds no reserved stock to deduct",
        )
    parcel = ctx.data.get("parcel")
    wanted = _parcel(parcel) if parcel else [(h["sku"], h["qty"]) for h in holdings]
    lock_stock(ctx.connection, _order_skus(ctx.data))
    lines = ctx.data.get("lines")
    ordered = (
        {line.get("sku") for line in lines if isinstance(line, Mapping)} if isinstance(lines, list) else set()
    )
    shipped = 0
    for sku, qty in wanted:
        remaining = qty
        for held in holdings:
            if held["sku"] != sku or held["qty"] == 0 or remaining == 0:
                continue
            take = min(remaining, held["qty"])
            params = {"sku": sku, "warehouse": held["warehouse"], "qty": take}
            result = _SQL.run(ctx.connection, "deduct", params)
            if result.rowcount != 1:
                raise ActionRefused(
                    "stock-mismatch",
                    f"商品 {sku} 在仓库 {held['warehouse']} 的库存不足以扣减 {take} 件",
                    f"cannot deduct {take} units of sku {sku!r} in warehouse {held['warehouse']!r}",
                    sku=sku,
                    warehouse=held["warehouse"],
                )
            ledger_entry(
                ctx.connection,
                sku=sku,
                warehouse=held["warehouse"],
                change=-take,
                kind=LedgerKind.SHIP,
                actor=ctx.actor,
                at=ctx.now,
                reference=str(ctx.order_id),
            )
            held["qty"] -= take
            remaining -= take
        if remaining and sku not in ordered:
            raise ActionRefused(
                "not-on-order",
                f"商品 {sku} 不在此订单中",
                f"sku {sku!r} is not on this order",
                sku=sku,
            )
        if remaining and remaining == qty:
            raise ActionRefused(
                "over-shipment",
                f"商品 {sku} 已全部发出，没有待发的数量",
                f"every unit of sku {sku!r} has shipped already: none is left to ship",
                sku=sku,
            )
        if remaining:
            raise ActionRefused(
                "over-shipment",
                f"商品 {sku} 发货数量超出订单占用的库存（多出 {remaining} 件）",
                f"sku {sku!r}: shipping {qty} units exceeds what the order holds by {remaining}",
                sku=sku,
            )
        shipped += qty
    previous = ctx.data.get("shipped_qty")
    return {
        "stock_reserved": [h for h in holdings if h["qty"] > 0],
        "shipped_qty": (previous if isinstance(previous, int) else 0) + shipped,
    }


# No ``writes``: only a retail return's restock writes on the order (its return lists, which that
# workflow's data form owns, read-only); declared, they would be fields of every workflow restocking.
def restock(ctx: ActionContext) -> Mapping[str, Any] | None:
    """Put the order's returned lines back on hand (入库): a return's as ``restock``, an exchange's
    returned item as ``exchange_return``, each a ledger entry naming the order. The goods go where the
    request says the customer sends them back (``return_warehouse``), else to the line's ``warehouse``,
    else to the order's (routing's choice for an exchange). Once per order: a second restock is refused.

    A return naming its lines (``returning``, plugins/returns.py) puts back exactly those, each into
    the warehouse it shipped from, and may come again for the lines still returnable."""
    if returns.asks_lines(ctx.data):
        return _restock_return(ctx)
    kind = LedgerKind.EXCHANGE_RETURN if ctx.data.get("type") == "exchange" else LedgerKind.RESTOCK
    lines = ctx.data.get("lines")
    if not isinstance(lines, list) or not lines:
        raise ActionRefused(
            "no-lines", "订单没有商品行，无法退回入库", "the order has no lines to put back on hand"
        )
    wanted: dict[tuple[str, str], int] = {}
    for line in lines:
        sku, qty = _sku_qty(line)
        warehouse = ctx.data.get("return_warehouse") or line.get("warehouse") or ctx.data.get("warehouse")
        if not isinstance(warehouse, str) or not warehouse:
            raise ActionRefused(
                "no-warehouse",
                f"商品 {sku} 不知退回哪个仓库：请在售后申请中填写寄回仓库（return_warehouse）",
                f"sku {sku!r}: no warehouse to put it back in; the request names none (return_warehouse)",
                sku=sku,
            )
        wanted[(sku, warehouse)] = wanted.get((sku, warehouse), 0) + qty
    reference = str(ctx.order_id)
    done = ctx.connection.execute(
        select(stock_ledger.c.id)
        .where(
            stock_ledger.c.reference == reference,
            stock_ledger.c.kind.in_([LedgerKind.RESTOCK.value, LedgerKind.EXCHANGE_RETURN.value]),
        )
        .limit(1)
    ).first()
    if done is not None:
        raise ActionRefused(
            "already-restocked",
            f"订单 {ctx.order_id} 的退回商品已经入库",
            f"the returned items of order {ctx.order_id} are back on hand already",
        )
    lock_stock(ctx.connection, {sku for sku, _ in wanted})
    for (sku, warehouse), qty in sorted(wanted.items()):
        _put_back(ctx, sku, warehouse, qty, kind)
    return None


def _restock_return(ctx: ActionContext) -> Mapping[str, Any] | None:
    placed = returns.received(ctx)
    back = sorted((line["sku"], line["warehouse"], line["qty"]) for line in placed if "warehouse" in line)
    lock_stock(ctx.connection, {sku for sku, _, _ in back})
    for sku, warehouse, qty in back:  # the one order of rows used everywhere: sku, then warehouse
        _put_back(ctx, sku, warehouse, qty, LedgerKind.RESTOCK)
    return returns.after_receipt(ctx.data, placed)


def _put_back(ctx: ActionContext, sku: str, warehouse: str, qty: int, kind: LedgerKind) -> None:
    """``qty`` of ``sku`` back on hand in ``warehouse`` (its row made if it has none), with its ledger
    entry naming the order."""
    changed = ctx.connection.execute(
        update(stock)
        .where(stock.c.sku == sku, stock.c.warehouse == warehouse)
        .values(on_hand=stock.c.on_hand + qty, low_alerted=rearmed(stock.c.on_hand + qty - stock.c.reserved))
    )
    if changed.rowcount == 0:
        ctx.connection.execute(insert(stock).values(sku=sku, warehouse=warehouse, on_hand=qty, reserved=0))
    ledger_entry(
        ctx.connection,
        sku=sku,
        warehouse=warehouse,
        change=qty,
        kind=kind,
        actor=ctx.actor,
        at=ctx.now,
        reference=str(ctx.order_id),
    )


def _reserve_one(ctx: ActionContext, sku: str, warehouse: str | None, qty: int) -> Holding:
    if warehouse is not None:
        candidates = [warehouse]
    else:
        best = _SQL.run(ctx.connection, "reserve_best", {"sku": sku, "qty": qty}).fetchall()
        if best:
            return _reserved(ctx, sku, qty, best[0])
        # none (or another transaction took the best one first on PostgreSQL): try each in turn
        rows = _SQL.run(ctx.connection, "candidates", {"sku": sku, "qty": qty}).fetchall()
        candidates = [row[0] for row in rows]
    for candidate in candidates:
        rows = _SQL.run(
            ctx.connection, "reserve", {"sku": sku, "warehouse": candidate, "qty": qty}
        ).fetchall()
        if rows:
            return _reserved(ctx, sku, qty, rows[0])
    available = _available(ctx, sku, warehouse)
    where_zh = f"仓库 {warehouse} " if warehouse else ""
    where_en = f" in warehouse {warehouse!r}" if warehouse else ""
    raise ActionRefused(
        "out-of-stock",
        f"商品 {sku} {where_zh}库存不足：需要 {qty} 件，可用 {available} 件",
        f"not enough stock for sku {sku!r}{where_en}: {qty} wanted, {available} available",
        sku=sku,
        warehouse=warehouse,
        wanted=qty,
        available=available,
    )


def _reserved(ctx: ActionContext, sku: str, qty: int, row: Any) -> Holding:
    """The holding of a reservation that took ``row`` (warehouse, free after, safety stock); a
    reservation that takes the units free below the safety stock reports it once (``stock_changed``)."""
    warehouse, free, safety = row[0], int(row[1]), row[2]
    if safety is not None and free < safety <= free + qty:
        ctx.emit(
            STOCK_CHANGED,
            {
                "sku": sku,
                "warehouse": warehouse,
                "available": free,
                "safety_stock": int(safety),
                "order_id": ctx.order_id,
                "department": ctx.department,
            },
        )
        alert = low_stock_payload(ctx.connection, sku, warehouse, ctx.now)
        if alert is not None:
            ctx.emit(LOW_STOCK_TOPIC, {**alert, "order_id": ctx.order_id, "department": ctx.department})
    return {"sku": sku, "warehouse": warehouse, "qty": qty}


def _available(ctx: ActionContext, sku: str, warehouse: str | None) -> int:
    if warehouse is None:
        row = _SQL.run(ctx.connection, "available", {"sku": sku}).fetchone()
    else:
        row = _SQL.run(ctx.connection, "available_in", {"sku": sku, "warehouse": warehouse}).fetchone()
    return int(row[0])


def _wanted(data: Mapping[str, Any]) -> list[tuple[str, str | None, int]]:
    """Order lines summed per (sku, warehouse), in first-seen order. The order's warehouse wins over a
    line's: where routing ran it is routing's choice, and a line's pick must not take stock from a
    warehouse the routing rule file rules out (a flash-sale order never ships from GZ-01)."""
    lines = data.get("lines")
    if not isinstance(lines, list) or not lines:
        raise ActionRefused(
            "no-lines", "订单没有商品行，无法占用库存", "the order has no lines to reserve stock for"
        )
    totals: dict[tuple[str, str | None], int] = {}
    lines = [line for line in lines if not (isinstance(line, Mapping) and line.get("virtual") is True)]
    split = data.get("split")
    if isinstance(split, list) and split:  # routing split the order across warehouses
        for part in split:
            if not isinstance(part, Mapping) or not isinstance(part.get("lines"), list):
                raise ActionRefused("split", "拆单信息格式无效", "split must be a list of {warehouse, lines}")
            for line in part["lines"]:
                sku, qty = _sku_qty(line)
                key = (sku, part.get("warehouse") or None)
                totals[key] = totals.get(key, 0) + qty
        return [(sku, warehouse, qty) for (sku, warehouse), qty in totals.items()]
    chosen = data.get("warehouse") or None  # routing's choice, when it ran
    for line in lines:
        sku, qty = _sku_qty(line)
        warehouse = chosen or line.get("warehouse") or None
        totals[(sku, warehouse)] = totals.get((sku, warehouse), 0) + qty
    return [(sku, warehouse, qty) for (sku, warehouse), qty in totals.items()]


def _parcel(parcel: Any) -> list[tuple[str, int]]:
    if not isinstance(parcel, list):
        raise ActionRefused("parcel", "发货包裹格式无效", "parcel must be a list of {sku, qty}")
    totals: dict[str, int] = {}
    for item in parcel:
        sku, qty = _sku_qty(item)
        totals[sku] = totals.get(sku, 0) + qty
    return list(totals.items())


def _sku_qty(item: Any) -> tuple[str, int]:
    if not isinstance(item, Mapping):
        raise ActionRefused("line", "商品行格式无效", f"an order line must be an object, got {item!r}")
    sku, qty = item.get("sku"), item.get("qty")
    if not isinstance(sku, str) or not sku:
        raise ActionRefused("line", "商品行缺少 sku", f"an order line has no sku: {dict(item)!r}")
    if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
        raise ActionRefused(
            "line",
            f"商品 {sku} 的数量必须是正整数",
            f"sku {sku!r}: qty must be a positive integer, got {qty!r}",
        )
    return sku, qty


def _order_skus(data: Mapping[str, Any]) -> set[str]:
    """Every sku the order names: its lines (and routing's split of them) and what it holds, so that
    each stock action of the order locks the same rows (anything not a sku is left to the checks)."""
    items: list[Any] = []
    for key in ("lines", "stock_reserved", "parcel"):
        value = data.get(key)
        if isinstance(value, list):
            items.extend(value)
    split = data.get("split")
    if isinstance(split, list):
        items.extend(
            line
            for part in split
            if isinstance(part, Mapping) and isinstance(part.get("lines"), list)
            for line in part["lines"]
        )
    return {item["sku"] for item in items if isinstance(item, Mapping) and isinstance(item.get("sku"), str)}


def _holdings(data: Mapping[str, Any]) -> list[Holding]:
    held = data.get("stock_reserved")
    if not isinstance(held, Iterable) or isinstance(held, str | bytes | Mapping):
        return []
    return [dict(h) for h in held if isinstance(h, Mapping) and h.get("qty")]


def _deduct_shipment(ctx: ActionContext) -> Mapping[str, Any] | None:
    record, order = ctx.record or {}, ctx.order or {}
    warehouse = record.get("warehouse")
    lines = record.get("lines")
    if not isinstance(warehouse, str) or not isinstance(lines, list):
        raise ActionRefused(
            "shipment", "发货记录缺少仓库或商品行", "a shipment record needs its warehouse and its lines"
        )
    holdings = [dict(h) for h in _holdings(order)]
    lock_stock(ctx.connection, sorted({str(h["sku"]) for h in holdings}))
    shipped = 0
    for line in lines:
        sku, qty = _sku_qty(line)
        held = next((h for h in holdings if h["sku"] == sku and h["warehouse"] == warehouse), None)
        if held is None or held["qty"] < qty:
            raise ActionRefused(
                "over-shipment",
                f"商品 {sku} 在仓库 {warehouse} 占用的库存不足 {qty} 件，无法发货",
                f"sku {sku!r}: the order holds fewer than {qty} units in warehouse {warehouse!r} to ship",
                sku=sku,
                warehouse=warehouse,
            )
        if _SQL.run(ctx.connection, "deduct", {"sku": sku, "warehouse": warehouse, "qty": qty}).rowcount != 1:
            raise ActionRefused(
                "stock-mismatch",
                f"商品 {sku} 在仓库 {warehouse} 的库存不足以扣减 {qty} 件",
                f"cannot deduct {qty} units of sku {sku!r} in warehouse {warehouse!r}",
                sku=sku,
                warehouse=warehouse,
            )
        ledger_entry(
            ctx.connection,
            sku=sku,
            warehouse=warehouse,
            change=-qty,
            kind=LedgerKind.SHIP,
            actor=ctx.actor,
            at=ctx.now,
            reference=str(ctx.order_id),
        )
        held["qty"] -= qty
        shipped += qty
    previous = order.get("shipped_qty")
    ctx.set_order(
        {
            "stock_reserved": [h for h in holdings if h["qty"] > 0],
            "shipped_qty": (previous if isinstance(previous, int) else 0) + shipped,
        }
    )
    return {"shipped_at": ctx.now.isoformat()}
