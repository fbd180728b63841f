"""Stock, managed (库存管理): the operations a warehouse performs on its stock, each one transaction that
changes the stock rows and appends its ledger entries together, and what the stock pages read.

* **receive** (入库): goods received into a warehouse (ledger ``receive``).
* **transfer** (库存调拨): units leave one warehouse at once (``transfer_out``) and are in transit (a
  ``stock_transfers`` row) until received at the other, partly or wholly (``transfer_in``).
* **stock-take** (库存盘点): open a count for a warehouse, enter counts, review the differences against
  the book, post them (``count``); a count below what is reserved there is refused, naming the sku.
* **adjust** (库存调整): a change with its reason (``adjust``).
* **safety stock** (安全库存): set a row's, below which the purchasing role is told.

Every bad input (an unknown sku or warehouse, with "did you mean"; a quantity not a whole number above 0;
a transfer to the warehouse it leaves; receiving more than was sent) raises :class:`StockRefused`, in zh
and en, naming the field, and nothing is written. A change that takes a row's units free below its
safety stock writes one ``stock.low`` message (``engine.store.stock_ledger``) in the same transaction.

Every change takes an optional ``key`` (a stock page's form draws one): the change is kept under the
actor's key in its own transaction (``engine.store.stock_requests``), and the same key sent again (a
double click, a page sent twice) is answered with what the first made, read as it is now, instead of a
second change; the same key sent with another change is refused (field ``key``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, and_, case, false, func, insert, literal, or_, select, update

from engine.common.suggest import near_miss
from engine.common.text import Text
from engine.common.words import word, words_of
from engine.errors import EngineError
from engine.runtime.actor import SYSTEM
from engine.runtime.commands import request_hash
from engine.runtime.engine import Engine
from engine.runtime.order_why import version_labels
from engine.store import INTEGRITY_ERRORS, Store, Tx, lock_stock
from engine.store.products import find_products
from engine.store.stock_ledger import (
    IN_TRANSIT,
    LOW_STOCK_TOPIC,
    PURCHASER_ROLE,
    SALES_WINDOW,
    LedgerKind,
    ReorderSuggestion,
    TransferState,
    in_transit_to,
    ledger_entry,
    low_stock_payload,
    rearmed,
    shipped_since,
    utc,
)
from engine.store.stock_requests import MAX_KEY, keep_request, stored_request
from engine.store.tables import (
    products,
    stock,
    stock_ledger,
    stock_take_counts,
    stock_takes,
    stock_transfers,
)
from engine.store.users import display_names

__all__ = [
    "LARGE_SHARE",
    "LARGE_UNITS",
    "LEDGER_KINDS",
    "CountLine",
    "LedgerBalance",
    "LedgerEntry",
    "SheetLine",
    "StockLevel",
    "StockRefused",
    "StockTake",
    "Transfer",
    "adjust_stock",
    "buys_stock",
    "cancel_stock_take",
    "check_transfer_receipt",
    "enter_count",
    "enter_counts",
    "known_names",
    "ledger_balance",
    "ledger_entries",
    "ledger_sums",
    "low_stock_alerts",
    "may_change_stock",
    "may_read_stock",
    "may_set_safety_stock",
    "open_stock_take",
    "people_names",
    "post_stock_take",
    "product_names",
    "receive_stock",
    "receive_transfer",
    "reference_words",
    "review_stock_take",
    "set_safety_stock",
    "stock_levels",
    "stock_take",
    "stock_takes_of",
    "take_sheet",
    "transfer_of",
    "transfer_stock",
    "transfers",
    "warehouse_names",
]

LEDGER_KINDS: tuple[str, ...] = tuple(kind.value for kind in LedgerKind)
# Who works the stock pages: the warehouse changes stock, the purchasers read it (their alerts above all)
# and set the safety stock (a purchasing decision: below it, they are told to reorder), an admin does all.
STOCK_CHANGERS = frozenset({"warehouse", "admin"})
SAFETY_SETTERS = frozenset({PURCHASER_ROLE, "admin"})
STOCK_READERS = STOCK_CHANGERS | SAFETY_SETTERS


def may_read_stock(roles: Collection[str]) -> bool:
    return bool(STOCK_READERS & set(roles))


def may_change_stock(roles: Collection[str]) -> bool:
    """Receive, transfer, count and adjust: the warehouse's work."""
    return bool(STOCK_CHANGERS & set(roles))


def may_set_safety_stock(roles: Collection[str]) -> bool:
    return bool(SAFETY_SETTERS & set(roles))


def buys_stock(roles: Collection[str]) -> bool:
    """A purchaser: whose work (on My work) is the open low-stock alerts and their reorders."""
    return PURCHASER_ROLE in roles


MAX_UNITS = 1_000_000_000  # an INTEGER column holds it with room to add
MAX_NOTE = 500
OPEN, POSTED, CANCELLED = "open", "posted", "cancelled"


class StockRefused(EngineError):
    """A stock operation that could not be done: nothing was written. ``field`` names the input at fault
    (``sku``, ``warehouse``, ``qty``, ``to``, ``transfer``, ``take``, ``reason``…). ``problems``: every
    problem found in what was sent, this one first (a form's page says each beside its field).
    ``reference``: the document the refusal names, as the ledger writes it (``C2``: the open stock-take
    in the way), for a page to link."""

    def __init__(
        self, field: str, text: Text, others: Sequence[StockRefused] = (), reference: str | None = None
    ) -> None:
        super().__init__(text.en, zh=text.zh)
        self.field = field
        self.text = text
        self.reference = reference
        self.problems: tuple[StockRefused, ...] = (self, *others)


_Checked = TypeVar("_Checked")


class _Problems:
    """The problems of one change's values, gathered so that all are said at once, not the first alone."""

    def __init__(self, found: Sequence[StockRefused] = ()) -> None:
        self.found = list(found)

    def check(self, check: Callable[[], _Checked], otherwise: _Checked) -> _Checked:
        """What ``check`` answers; ``otherwise`` when it refuses, its problems kept."""
        try:
            return check()
        except StockRefused as problem:
            self.found.extend(problem.problems)
            return otherwise

    def raise_any(self) -> None:
        if self.found:
            first, *others = self.found
            raise StockRefused(first.field, first.text, others)


# -- what the pages read ------------------------------------------------------------------------


@dataclass(frozen=True)
class StockLevel:
    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    safety_stock: int | None

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def low(self) -> bool:
        return self.safety_stock is not None and self.available < self.safety_stock


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    sku: str
    warehouse: str
    change: int
    kind: str
    reference: str | None
    actor: str
    note: str | None
    at: datetime


@dataclass(frozen=True)
class Transfer:
    id: int
    sku: str
    from_warehouse: str
    to_warehouse: str
    qty: int
    received: int
    state: str
    sent_by: str
    sent_at: datetime
    note: str | None

    @property
    def in_transit(self) -> int:
        return self.qty - self.received


# A count's difference is large (the review calls it out before posting) when it is more than
# LARGE_UNITS units and more than LARGE_SHARE of the book: 7 counted against a book of 4047 is; 95
# against 100 (5 units) or 4000 against 4047 (about 1%) is not; 12 against an empty book is.
LARGE_UNITS = 10
LARGE_SHARE = 0.10


@dataclass(frozen=True)
class CountLine:
    """A counted sku of a stock-take against the book: ``difference`` is what posting writes."""

    sku: str
    book: int
    reserved: int
    counted: int

    @property
    def difference(self) -> int:
        return self.counted - self.book

    @property
    def large(self) -> bool:
        """More than :data:`LARGE_UNITS` units and more than :data:`LARGE_SHARE` of the book apart."""
        apart = abs(self.difference)
        return apart > LARGE_UNITS and apart > LARGE_SHARE * self.book


@dataclass(frozen=True)
class SheetLine:
    """A stock row of a stock-take's warehouse not counted yet: what the book holds, to count against."""

    sku: str
    book: int
    reserved: int


@dataclass(frozen=True)
class StockTake:
    id: int
    warehouse: str
    state: str
    opened_by: str
    opened_at: datetime
    posted_by: str | None
    posted_at: datetime | None
    lines: tuple[CountLine, ...]


# -- the checks ------------------------------------------------------------------------------------


def _units(value: object, field: str = "qty") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or value > MAX_UNITS:
        raise StockRefused(
            field,
            Text(
                f"数量必须是 1 到 {MAX_UNITS:,} 之间的整数，收到{_wrote_zh(value)}",
                f"Enter a whole number from 1 to {MAX_UNITS:,} (you wrote {_wrote(value)}).",
            ),
        )
    return value


def _wrote(value: object) -> str:
    """What was typed, as an English message quotes it: “abc”, a number grouped (1,000)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return f"“{value}”"


def _wrote_zh(value: object) -> str:
    """What was typed, as a Chinese message quotes it: 「abc」, a number grouped (1,000) after a space."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f" {value:,}"
    return f"「{value}」"


def _note(value: str | None, field: str = "note", required: bool = False) -> str | None:
    text = (value or "").strip()
    if required and len(text) < 2:
        raise StockRefused(field, Text("请填写原因（至少2个字）", "Say why, in at least 2 characters."))
    if len(text) > MAX_NOTE:
        name = word(f"stock.{field}")  # the field's label on the form: 单据 / Reference (note, reason)
        raise StockRefused(
            field,
            Text(
                f"{name.zh}不能超过 {MAX_NOTE} 个字（收到 {len(text):,} 个字）",
                f"Write the {name.en.lower()} in at most {MAX_NOTE} characters (you wrote {len(text):,}).",
            ),
        )
    return text or None


def _known(connection: Connection, column: Any) -> list[str]:
    """The names the stock rows hold in ``column``; for skus, with every shipped product of the catalogue
    besides (one added there is received into stock before any row names it)."""
    found = {str(v) for v in connection.execute(select(column).distinct()).scalars()}
    if column is stock.c.sku:
        shipped = select(products.c.sku).where(products.c.kind == "shipped")
        found.update(str(v) for v in connection.execute(shipped).scalars())
    return sorted(found)


def _check_known(connection: Connection, field: str, value: str) -> str:
    column = stock.c.sku if field == "sku" else stock.c.warehouse
    value = (value or "").strip()
    choices = _known(connection, column)
    if value in choices:
        return value
    if value.upper() in choices:  # codes are written in capitals: xm-band8 is XM-BAND8
        return value.upper()
    if field == "sku" and _is_virtual(connection, value):
        raise StockRefused(
            field,
            Text(
                f"商品 {value} 是虚拟商品，没有库存，无需入库或调拨",
                f"{value} is a virtual product: it has no stock to receive, move or count.",
            ),
        )
    guess = near_miss(value, choices) or near_miss(value.upper(), choices)  # xm-band9: XM-BAND8?
    zh_name, en_name = ("商品", "product") if field == "sku" else ("仓库", "warehouse")
    better = f" Did you mean {guess}?" if guess else ""
    maybe = f"；您是否想输入「{guess}」？" if guess else ""
    raise StockRefused(
        field,
        Text(f"没有{zh_name}「{value}」{maybe}", f"No {en_name} with the code {_wrote(value)}.{better}"),
    )


def _is_virtual(connection: Connection, sku: str) -> bool:
    kind = select(products.c.kind).where(products.c.sku.in_((sku, sku.upper())))
    return "virtual" in connection.execute(kind).scalars().all()


def _row(connection: Connection, sku: str, warehouse: str) -> StockLevel | None:
    found = connection.execute(
        select(stock.c.sku, stock.c.warehouse, stock.c.on_hand, stock.c.reserved, stock.c.safety_stock).where(
            stock.c.sku == sku, stock.c.warehouse == warehouse
        )
    ).first()
    return None if found is None else StockLevel(*found)


def _change(
    tx: Tx,
    *,
    sku: str,
    warehouse: str,
    change: int,
    kind: LedgerKind,
    actor: str,
    at: datetime,
    reference: str | None = None,
    note: str | None = None,
) -> StockLevel:
    """Change ``on_hand`` of a row (created when missing) by ``change`` and append the ledger entry; a
    row taken below its safety stock writes the ``stock.low`` message. The caller checked the change."""
    connection = tx.connection
    before = _row(connection, sku, warehouse)
    if before is None:
        connection.execute(insert(stock).values(sku=sku, warehouse=warehouse, on_hand=change, reserved=0))
    else:
        connection.execute(
            update(stock)
            .where(stock.c.sku == sku, stock.c.warehouse == warehouse)
            .values(
                on_hand=stock.c.on_hand + change,
                low_alerted=rearmed(stock.c.on_hand + change - stock.c.reserved),
            )
        )
    ledger_entry(
        connection,
        sku=sku,
        warehouse=warehouse,
        change=change,
        kind=kind,
        actor=actor,
        at=at,
        reference=reference,
        note=note,
    )
    after = _row(connection, sku, warehouse)
    assert after is not None
    if before is not None and not before.low and after.low:
        _tell_low(tx, sku, warehouse, at)
    return after


def _tell_low(tx: Tx, sku: str, warehouse: str, at: datetime) -> None:
    """The ``stock.low`` message of a row below its safety stock, unless its purchasers were told."""
    payload = low_stock_payload(tx.connection, sku, warehouse, at)
    if payload is not None:
        tx.insert_outbox(LOW_STOCK_TOPIC, payload, at)


def _out_of(connection: Connection, sku: str, warehouse: str, qty: int) -> StockLevel:
    row = _row(connection, sku, warehouse)
    free = 0 if row is None else row.available
    if qty > free:
        raise StockRefused(
            "qty",
            Text(
                f"商品 {sku} 在仓库 {warehouse} 可用库存只有 {free:,} 件，不能移出 {qty:,} 件",
                f"Only {free:,} of {sku} are free in {warehouse}; {qty:,} cannot be taken.",
            ),
        )
    assert row is not None
    return row


# -- sent once ------------------------------------------------------------------------------------

_Made = TypeVar("_Made", StockLevel, Transfer, StockTake)


def _once(
    store: Store,
    actor: str,
    key: str | None,
    at: datetime | None,
    operation: str,
    arguments: dict[str, Any],
    made: type[_Made],
    work: Callable[[Tx], _Made],
) -> _Made:
    """``work`` in one transaction; with a ``key``, kept under it there, or what the key made before."""
    if key is None or at is None:
        with store.transaction() as tx:
            return work(tx)
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY:
        raise StockRefused(
            "key",
            Text(
                f"提交键必须是 1 到 {MAX_KEY} 个字符的文字",
                f"The form's key must be text of 1 to {MAX_KEY} characters.",
            ),
        )
    request = request_hash(operation, **arguments)
    try:
        with store.transaction() as tx:
            before = _made_before(tx.connection, actor, key, request, made)
            if before is not None:
                return before
            result = work(tx)
            keep_request(tx.connection, actor, key, operation, request, _kept(result), at)
            return result
    except INTEGRITY_ERRORS:
        # On PostgreSQL the same key sent at the same moment made its change first, and this transaction
        # rolled back whole when it came to keep the key: answer with what the first made.
        with store.read() as tx:
            before = _made_before(tx.connection, actor, key, request, made)
        if before is None:
            raise
        return before


def _made_before(
    connection: Connection, actor: str, key: str, request: str, made: type[_Made]
) -> _Made | None:
    stored = stored_request(connection, actor, key)
    if stored is None:
        return None
    if stored.request_hash != request:
        raise StockRefused(
            "key",
            Text(
                f"提交键 {key} 已用于另一次库存变动；新的变动请使用新的键",
                "This key was used for another stock change already; a new change takes a new key.",
            ),
        )
    kept = stored.result
    found: StockLevel | Transfer | StockTake
    if "transfer" in kept:
        found = _transfer(connection, int(kept["transfer"]))
    elif "take" in kept:
        found = _take(connection, int(kept["take"]))
    else:
        row = _row(connection, str(kept["sku"]), str(kept["warehouse"]))
        assert row is not None  # a stock row is never deleted
        found = row
    assert isinstance(found, made)
    return found


def _kept(result: StockLevel | Transfer | StockTake) -> dict[str, Any]:
    """What a change made, as kept under its key: the row, the transfer or the stock-take it names."""
    if isinstance(result, Transfer):
        return {"transfer": result.id}
    if isinstance(result, StockTake):
        return {"take": result.id}
    return {"sku": result.sku, "warehouse": result.warehouse}


# -- the operations --------------------------------------------------------------------------------


def receive_stock(
    store: Store,
    actor: str,
    sku: str,
    warehouse: str,
    qty: int,
    at: datetime,
    *,
    note: str | None = None,
    reference: str | None = None,
    new: bool = False,
    key: str | None = None,
) -> StockLevel:
    """Receive ``qty`` units of ``sku`` into ``warehouse`` (入库). ``new``: the sku or the warehouse may
    be one no stock row names yet (a first delivery); otherwise both must be known. Every problem of the
    values is said at once (``StockRefused.problems``)."""
    problems = _Problems()
    qty = problems.check(lambda: _units(qty), qty)
    note = problems.check(lambda: _note(note), None)
    reference = problems.check(lambda: _note(reference, "reference"), None)

    def work(tx: Tx) -> StockLevel:
        nonlocal sku, warehouse
        found = _Problems(problems.found)
        if not new:
            sku = found.check(lambda: _check_known(tx.connection, "sku", sku), sku)
            warehouse = found.check(lambda: _check_known(tx.connection, "warehouse", warehouse), warehouse)
        elif not sku.strip() or not warehouse.strip():
            found.found.append(
                StockRefused(
                    "sku", Text("商品编码和仓库都不能为空", "Give both the product code and the warehouse.")
                )
            )
        found.raise_any()
        lock_stock(tx.connection, [sku])
        return _change(
            tx,
            sku=sku,
            warehouse=warehouse,
            change=qty,
            kind=LedgerKind.RECEIVE,
            actor=actor,
            at=at,
            reference=reference,
            note=note,
        )

    return _once(
        store,
        actor,
        key,
        at,
        "receive",
        {"sku": sku, "warehouse": warehouse, "qty": qty, "note": note, "reference": reference, "new": new},
        StockLevel,
        work,
    )


def adjust_stock(
    store: Store,
    actor: str,
    sku: str,
    warehouse: str,
    change: int,
    reason: str,
    at: datetime,
    *,
    key: str | None = None,
) -> StockLevel:
    """Add (``change`` > 0) or take away units on hand, with the reason (库存调整). Never below what is
    reserved there, nor below 0. Every problem of the values is said at once."""
    problems = _Problems()
    if isinstance(change, bool) or not isinstance(change, int) or change == 0 or abs(change) > MAX_UNITS:
        problems.found.append(
            StockRefused(
                "change",
                Text(
                    f"调整数量必须是非零整数（正数增加、负数减少），收到{_wrote_zh(change)}",
                    "Enter a whole number other than 0: more units, or fewer with a minus "
                    f"(you wrote {_wrote(change)}).",
                ),
            )
        )
    why = problems.check(lambda: _note(reason, "reason", required=True), None)

    def work(tx: Tx) -> StockLevel:
        nonlocal sku, warehouse
        found = _Problems(problems.found)
        sku = found.check(lambda: _check_known(tx.connection, "sku", sku), sku)
        warehouse = found.check(lambda: _check_known(tx.connection, "warehouse", warehouse), warehouse)
        found.raise_any()
        lock_stock(tx.connection, [sku])
        row = _row(tx.connection, sku, warehouse)
        on_hand, reserved = (0, 0) if row is None else (row.on_hand, row.reserved)
        if on_hand + change < reserved:
            raise StockRefused(
                "change",
                Text(
                    f"商品 {sku} 在仓库 {warehouse} 现有 {on_hand:,} 件，其中 {reserved:,} 件已被占用，"
                    f"调整 {change:+,d} 件后将少于占用数",
                    f"{sku} in {warehouse}: {on_hand:,} on hand, {reserved:,} of them reserved; a change "
                    f"of {change:+,d} would leave fewer than are reserved.",
                ),
            )
        return _change(
            tx,
            sku=sku,
            warehouse=warehouse,
            change=change,
            kind=LedgerKind.ADJUST,
            actor=actor,
            at=at,
            note=why,
        )

    return _once(
        store,
        actor,
        key,
        at,
        "adjust",
        {"sku": sku, "warehouse": warehouse, "change": change, "reason": reason},
        StockLevel,
        work,
    )


def set_safety_stock(
    store: Store,
    sku: str,
    warehouse: str,
    units: int | None,
    *,
    actor: str = "",
    at: datetime | None = None,
    key: str | None = None,
) -> StockLevel:
    """Set (or clear, ``None``) the safety stock of a row (安全库存); ``key`` (with the ``actor`` who
    sends it and when) makes a second call with it answer with the first's row. A change made ``at`` a
    moment is judged then, as a change of the units is: a threshold set above what is free writes the
    ``stock.low`` message to the purchasers in the same transaction (without ``at``, a data load, the
    row is judged at its next change)."""
    if units is not None and (
        isinstance(units, bool) or not isinstance(units, int) or not 0 <= units <= MAX_UNITS
    ):
        raise StockRefused(
            "safety_stock",
            Text(
                f"安全库存必须是 0 到 {MAX_UNITS:,} 的整数，收到{_wrote_zh(units)}",
                f"Enter the safety stock as a whole number from 0 to {MAX_UNITS:,} "
                f"(you wrote {_wrote(units)}).",
            ),
        )

    def work(tx: Tx) -> StockLevel:
        nonlocal sku, warehouse
        sku = _check_known(tx.connection, "sku", sku)
        warehouse = _check_known(tx.connection, "warehouse", warehouse)
        changed = tx.connection.execute(
            update(stock)
            .where(stock.c.sku == sku, stock.c.warehouse == warehouse)
            .values(  # a new threshold: told afresh below it; the same one again: as it was
                safety_stock=units,
                low_alerted=case((stock.c.safety_stock == units, stock.c.low_alerted), else_=false())
                if units is not None
                else false(),
            )
        )
        if changed.rowcount == 0:
            raise StockRefused(
                "warehouse",
                Text(
                    f"仓库 {warehouse} 没有商品 {sku} 的库存记录",
                    f"{warehouse} holds no stock of {sku} yet: receive some first.",
                ),
            )
        row = _row(tx.connection, sku, warehouse)
        assert row is not None
        if at is not None and row.low:
            _tell_low(tx, sku, warehouse, at)
        return row

    if key is not None and (not actor or at is None):
        raise ValueError("a key is sent with the actor who sends it and when")
    return _once(
        store,
        actor,
        key,
        at,
        "safety_stock",
        {"sku": sku, "warehouse": warehouse, "units": units},
        StockLevel,
        work,
    )


def transfer_stock(
    store: Store,
    actor: str,
    sku: str,
    source: str,
    dest: str,
    qty: int,
    at: datetime,
    note: str | None = None,
    *,
    key: str | None = None,
) -> Transfer:
    """Send ``qty`` units of ``sku`` from ``source`` to ``dest`` (库存调拨): they leave ``source`` at once
    and are in transit until :func:`receive_transfer`. Only units free (not reserved) can leave. Every
    problem of the values is said at once."""
    problems = _Problems()
    qty = problems.check(lambda: _units(qty), qty)
    note = problems.check(lambda: _note(note), None)

    def work(tx: Tx) -> Transfer:
        nonlocal sku, source, dest
        found = _Problems(problems.found)
        sku = found.check(lambda: _check_known(tx.connection, "sku", sku), sku)
        source = found.check(lambda: _check_known(tx.connection, "warehouse", source), source)
        dest = found.check(lambda: _check_warehouse(tx.connection, "to", dest), dest)
        found.raise_any()
        if source == dest:
            raise StockRefused(
                "to",
                Text(
                    f"调入仓库不能与调出仓库相同（{source}）",
                    f"Choose another warehouse to send to: the units leave {source}.",
                ),
            )
        lock_stock(tx.connection, [sku])
        _out_of(tx.connection, sku, source, qty)
        created = tx.connection.execute(
            insert(stock_transfers)
            .values(
                sku=sku,
                from_warehouse=source,
                to_warehouse=dest,
                qty=qty,
                received=0,
                state=TransferState.IN_TRANSIT.value,
                sent_by=actor,
                sent_at=utc(at),
                note=note,
            )
            .returning(stock_transfers.c.id)
        ).scalar_one()
        _change(
            tx,
            sku=sku,
            warehouse=source,
            change=-qty,
            kind=LedgerKind.TRANSFER_OUT,
            actor=actor,
            at=at,
            reference=f"T{created}",
            note=note,
        )
        return _transfer(tx.connection, int(created))

    return _once(
        store,
        actor,
        key,
        at,
        "transfer",
        {"sku": sku, "source": source, "dest": dest, "qty": qty, "note": note},
        Transfer,
        work,
    )


def _check_warehouse(connection: Connection, field: str, value: str) -> str:
    try:
        return _check_known(connection, "warehouse", value)
    except StockRefused as refused:
        raise StockRefused(field, refused.text) from None


def receive_transfer(
    store: Store,
    actor: str,
    transfer_id: int,
    qty: int | None,
    at: datetime,
    *,
    key: str | None = None,
) -> Transfer:
    """Receive units of a transfer at its destination (``qty`` None: all still in transit)."""

    def work(tx: Tx) -> Transfer:
        found = _transfer_or_refuse(tx.connection, transfer_id, lock=not store.is_sqlite)
        units = _receivable(found, qty)
        lock_stock(tx.connection, [found.sku])
        received = found.received + units
        state = TransferState.RECEIVED if received == found.qty else TransferState.PARTLY_RECEIVED
        tx.connection.execute(
            update(stock_transfers)
            .where(stock_transfers.c.id == found.id)
            .values(received=received, state=state.value)
        )
        _change(
            tx,
            sku=found.sku,
            warehouse=found.to_warehouse,
            change=units,
            kind=LedgerKind.TRANSFER_IN,
            actor=actor,
            at=at,
            reference=f"T{found.id}",
        )
        return _transfer(tx.connection, found.id)

    return _once(
        store, actor, key, at, "receive_transfer", {"transfer": transfer_id, "qty": qty}, Transfer, work
    )


def _receivable(found: Transfer, qty: int | None) -> int:
    """The units a receipt of ``qty`` (None: all in transit) takes in of ``found``, or the refusal."""
    if found.state not in IN_TRANSIT:
        raise StockRefused(
            "transfer",
            Text(
                f"调拨单 T{found.id} 已全部收货",
                f"Transfer T{found.id} has been received in full already.",
            ),
        )
    units = found.in_transit if qty is None else _units(qty)
    if units > found.in_transit:
        raise StockRefused(
            "qty",
            Text(
                f"调拨单 T{found.id} 在途只有 {found.in_transit:,} 件（共发出 {found.qty:,} 件），"
                f"不能收货 {units:,} 件",
                f"Only {found.in_transit:,} of transfer T{found.id} are in transit ({found.qty:,} were "
                f"sent); {units:,} cannot be received.",
            ),
        )
    return units


def check_transfer_receipt(store: Store, transfer_id: int, qty: int | None) -> int:
    """What :func:`receive_transfer` would say of receiving ``qty`` of a transfer as it stands now,
    writing nothing: the units it would take in, or its refusal (a page shows a refused receipt again
    from an address that can be reloaded)."""
    with store.read() as tx:
        return _receivable(_transfer(tx.connection, transfer_id), qty)


def _transfer_row(found: Any) -> Transfer:
    m = found._mapping
    return Transfer(
        id=int(m["id"]),
        sku=str(m["sku"]),
        from_warehouse=str(m["from_warehouse"]),
        to_warehouse=str(m["to_warehouse"]),
        qty=int(m["qty"]),
        received=int(m["received"]),
        state=str(m["state"]),
        sent_by=str(m["sent_by"]),
        sent_at=_time(m["sent_at"]),
        note=m["note"],
    )


def _transfer(connection: Connection, transfer_id: int) -> Transfer:
    return _transfer_or_refuse(connection, transfer_id)


def _transfer_or_refuse(connection: Connection, transfer_id: int, lock: bool = False) -> Transfer:
    query = select(stock_transfers).where(stock_transfers.c.id == transfer_id)
    found = connection.execute(query.with_for_update() if lock else query).first()
    if found is None:
        raise StockRefused(
            "transfer", Text(f"没有调拨单 T{transfer_id}", f"There is no transfer T{transfer_id}.")
        )
    return _transfer_row(found)


def _time(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# -- stock-takes ---------------------------------------------------------------------------------


def open_stock_take(
    store: Store, actor: str, warehouse: str, at: datetime, *, key: str | None = None
) -> StockTake:
    """Open a count for ``warehouse`` (one open count per warehouse at a time)."""

    def work(tx: Tx) -> StockTake:
        nonlocal warehouse
        warehouse = _check_known(tx.connection, "warehouse", warehouse)
        already = tx.connection.execute(
            select(stock_takes.c.id).where(stock_takes.c.warehouse == warehouse, stock_takes.c.state == OPEN)
        ).first()
        if already is not None:
            raise StockRefused(
                "warehouse",
                Text(
                    f"仓库 {warehouse} 已有未过账的盘点单 C{already[0]}",
                    f"{warehouse} has an open stock-take already: C{already[0]}. Post or cancel it first.",
                ),
                reference=f"C{already[0]}",
            )
        created = tx.connection.execute(
            insert(stock_takes)
            .values(warehouse=warehouse, state=OPEN, opened_by=actor, opened_at=utc(at))
            .returning(stock_takes.c.id)
        ).scalar_one()
        return _take(tx.connection, int(created))

    return _once(store, actor, key, at, "open_take", {"warehouse": warehouse}, StockTake, work)


def _counted(sku: str, counted: object) -> int:
    """A count, or the refusal: of a count sheet's row (``sku`` given) naming the SKU, on its field
    ``counted:<sku>``."""
    if isinstance(counted, bool) or not isinstance(counted, int) or not 0 <= counted <= MAX_UNITS:
        of_zh, of_en = (f"商品 {sku} 的", f"{sku}: e") if sku else ("", "E")
        raise StockRefused(
            f"counted:{sku}" if sku else "counted",
            Text(
                f"{of_zh}盘点数量必须是 0 到 {MAX_UNITS:,} 的整数，收到{_wrote_zh(counted)}",
                f"{of_en}nter the units counted as a whole number from 0 to {MAX_UNITS:,} "
                f"(you wrote {_wrote(counted)}).",
            ),
        )
    return counted


def enter_count(
    store: Store,
    actor: str,
    take_id: int,
    sku: str,
    counted: int,
    at: datetime,
    *,
    key: str | None = None,
) -> StockTake:
    """Enter (or correct) the count of ``sku`` in an open stock-take."""
    _counted("", counted)

    def work(tx: Tx) -> StockTake:
        take = _open_take(tx.connection, take_id)
        _put_count(tx.connection, take.id, actor, sku, counted, at)
        return _take(tx.connection, take.id)

    return _once(
        store, actor, key, at, "count", {"take": take_id, "sku": sku, "counted": counted}, StockTake, work
    )


def enter_counts(
    store: Store,
    actor: str,
    take_id: int,
    counts: Mapping[str, int],
    at: datetime,
    *,
    key: str | None = None,
) -> StockTake:
    """Enter (or correct) the counts of several skus of an open stock-take at once (its count sheet), in
    one transaction: each bad one is refused naming its sku (field ``counted:<sku>``), all at once
    (``StockRefused.problems``), and none is entered."""
    problems = _Problems()
    for sku, counted in counts.items():
        problems.check(lambda: _counted(sku, counted), counted)  # noqa: B023 (called at once)
    problems.raise_any()
    if not counts:
        raise StockRefused("counted", Text("请至少填写一个盘点数", "Fill in at least one count."))

    def work(tx: Tx) -> StockTake:
        take = _open_take(tx.connection, take_id)
        for sku, counted in counts.items():
            _put_count(tx.connection, take.id, actor, sku, counted, at)
        return _take(tx.connection, take.id)

    return _once(store, actor, key, at, "counts", {"take": take_id, "counts": dict(counts)}, StockTake, work)


def _put_count(
    connection: Connection, take_id: int, actor: str, sku: str, counted: int, at: datetime
) -> None:
    sku = _check_known(connection, "sku", sku)
    values = {"counted": counted, "counted_by": actor, "counted_at": utc(at)}
    changed = connection.execute(
        update(stock_take_counts)
        .where(stock_take_counts.c.take_id == take_id, stock_take_counts.c.sku == sku)
        .values(**values)
    )
    if changed.rowcount == 0:
        connection.execute(insert(stock_take_counts).values(take_id=take_id, sku=sku, **values))


def take_sheet(store: Store, take_id: int) -> list[SheetLine]:
    """An open stock-take's count sheet: the stock rows of its warehouse not counted in it yet, by sku,
    with their book and reserved units (empty for a take posted or cancelled)."""
    with store.read() as tx:
        take = _take(tx.connection, take_id)
        if take.state != OPEN:
            return []
        counted = select(stock_take_counts.c.sku).where(stock_take_counts.c.take_id == take.id)
        rows = tx.connection.execute(
            select(stock.c.sku, stock.c.on_hand, stock.c.reserved)
            .where(stock.c.warehouse == take.warehouse, stock.c.sku.not_in(counted))
            .order_by(stock.c.sku)
        )
        return [SheetLine(str(sku), int(book), int(reserved)) for sku, book, reserved in rows]


def review_stock_take(store: Store, take_id: int) -> StockTake:
    """The stock-take with each count against the book as it stands now (a posted one: as it stood
    when it was posted)."""
    with store.read() as tx:
        return _take(tx.connection, take_id)


def stock_take(store: Store, take_id: int) -> StockTake:
    return review_stock_take(store, take_id)


def post_stock_take(
    store: Store, actor: str, take_id: int, at: datetime, *, key: str | None = None
) -> StockTake:
    """Post an open stock-take: each count's difference against the book goes to the ledger (``count``);
    the warehouse's rows not counted keep their book as it is (a later count takes them). A count below
    what is reserved in the warehouse is refused, naming the sku; nothing is posted then."""

    def work(tx: Tx) -> StockTake:
        take = _open_take(tx.connection, take_id, lock=not store.is_sqlite)
        lock_stock(tx.connection, [line.sku for line in take.lines])
        take = _take(tx.connection, take.id)  # the book as it stands once the rows are locked
        if not take.lines:
            raise StockRefused(
                "take",
                Text(
                    f"盘点单 C{take.id} 还没有录入任何数量",
                    f"Stock-take C{take.id} has no counts yet: enter one before posting.",
                ),
            )
        short = [line for line in take.lines if line.counted < line.reserved]
        if short:
            listed_zh = "；".join(
                f"商品 {x.sku} 盘点 {x.counted} 件，少于已占用的 {x.reserved} 件" for x in short
            )
            listed_en = "; ".join(
                f"{x.sku}: {x.counted:,} counted, fewer than the {x.reserved:,} reserved" for x in short
            )
            raise StockRefused(
                "counted",
                Text(
                    f"盘点单 C{take.id} 不能过账：{listed_zh}。请先释放或发出这些占用，或重新盘点",
                    f"Stock-take C{take.id} cannot be posted: {listed_en}. Release or ship those "
                    "reservations first, or count again.",
                ),
            )
        for line in take.lines:
            if line.difference:
                _change(
                    tx,
                    sku=line.sku,
                    warehouse=take.warehouse,
                    change=line.difference,
                    kind=LedgerKind.COUNT,
                    actor=actor,
                    at=at,
                    reference=f"C{take.id}",
                )
        for line in take.lines:  # the figures posted, kept: the take reads so from now on
            tx.connection.execute(
                update(stock_take_counts)
                .where(stock_take_counts.c.take_id == take.id, stock_take_counts.c.sku == line.sku)
                .values(posted_book=line.book, posted_reserved=line.reserved)
            )
        tx.connection.execute(
            update(stock_takes)
            .where(stock_takes.c.id == take.id)
            .values(state=POSTED, posted_by=actor, posted_at=utc(at))
        )
        return _take(tx.connection, take.id)

    return _once(store, actor, key, at, "post_take", {"take": take_id}, StockTake, work)


def cancel_stock_take(
    store: Store, actor: str, take_id: int, at: datetime, *, key: str | None = None
) -> StockTake:
    """Cancel an open stock-take: nothing goes to the ledger."""

    def work(tx: Tx) -> StockTake:
        take = _open_take(tx.connection, take_id)
        tx.connection.execute(
            update(stock_takes)
            .where(stock_takes.c.id == take.id)
            .values(state=CANCELLED, posted_by=actor, posted_at=utc(at))
        )
        return _take(tx.connection, take.id)

    return _once(store, actor, key, at, "cancel_take", {"take": take_id}, StockTake, work)


def _open_take(connection: Connection, take_id: int, lock: bool = False) -> StockTake:
    take = _take(connection, take_id, lock=lock)
    if take.state != OPEN:
        raise StockRefused(
            "take",
            Text(
                f"盘点单 C{take.id} 已{'过账' if take.state == POSTED else '取消'}，不能再修改",
                f"Stock-take C{take.id} has been {take.state}: it can no longer change.",
            ),
        )
    return take


def _take(connection: Connection, take_id: int, lock: bool = False) -> StockTake:
    query = select(stock_takes).where(stock_takes.c.id == take_id)
    found = connection.execute(query.with_for_update() if lock else query).first()
    if found is None:
        raise StockRefused("take", Text(f"没有盘点单 C{take_id}", f"There is no stock-take C{take_id}."))
    m = found._mapping
    book = stock.alias("book")
    rows = connection.execute(
        select(
            stock_take_counts.c.sku,
            func.coalesce(stock_take_counts.c.posted_book, book.c.on_hand, 0),
            func.coalesce(stock_take_counts.c.posted_reserved, book.c.reserved, 0),
            stock_take_counts.c.counted,
        )
        .select_from(
            stock_take_counts.outerjoin(
                book, and_(book.c.sku == stock_take_counts.c.sku, book.c.warehouse == m["warehouse"])
            )
        )
        .where(stock_take_counts.c.take_id == take_id)
        .order_by(stock_take_counts.c.sku)
    )
    return StockTake(
        id=int(m["id"]),
        warehouse=str(m["warehouse"]),
        state=str(m["state"]),
        opened_by=str(m["opened_by"]),
        opened_at=_time(m["opened_at"]),
        posted_by=m["posted_by"],
        posted_at=None if m["posted_at"] is None else _time(m["posted_at"]),
        lines=tuple(CountLine(str(s), int(b), int(r), int(c)) for s, b, r, c in rows),
    )


def stock_takes_of(store: Store, state: str | None = None, limit: int = 50) -> list[StockTake]:
    with store.read() as tx:
        query = select(stock_takes.c.id).order_by(stock_takes.c.id.desc()).limit(limit)
        if state:
            query = query.where(stock_takes.c.state == state)
        return [_take(tx.connection, int(i)) for i in tx.connection.execute(query).scalars()]


# -- what the pages read ------------------------------------------------------------------------


def stock_levels(
    store: Store,
    *,
    sku: str | None = None,
    warehouse: str | None = None,
    low: bool = False,
    after: tuple[str, str] | None = None,
    limit: int = 50,
) -> list[StockLevel]:
    """Stock rows by sku then warehouse, ``limit`` of them after the row ``after`` (keyset paging):
    ``sku`` a prefix whatever its case, ``warehouse`` exact, ``low`` only the rows below their safety
    stock."""
    query = select(stock.c.sku, stock.c.warehouse, stock.c.on_hand, stock.c.reserved, stock.c.safety_stock)
    if sku:
        query = query.where(func.upper(stock.c.sku).startswith(sku.strip().upper(), autoescape=True))
    if warehouse:
        query = query.where(stock.c.warehouse == warehouse)
    if low:
        query = query.where(
            stock.c.safety_stock.is_not(None), stock.c.on_hand - stock.c.reserved < stock.c.safety_stock
        )
    if after is not None:
        query = query.where(
            or_(stock.c.sku > after[0], and_(stock.c.sku == after[0], stock.c.warehouse > after[1]))
        )
    query = query.order_by(stock.c.sku, stock.c.warehouse).limit(limit)
    with store.read() as tx:
        return [StockLevel(*row) for row in tx.connection.execute(query)]


def ledger_entries(
    store: Store,
    *,
    sku: str | None = None,
    warehouse: str | None = None,
    kind: str | None = None,
    reference: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[LedgerEntry]:
    """Ledger entries newest first, ``limit`` of them before the entry ``before`` (keyset paging); the
    sku is matched whatever its case (``tst-100`` finds TST-100's entries)."""
    query = select(stock_ledger)
    if sku:
        query = query.where(func.upper(stock_ledger.c.sku) == sku.strip().upper())
    for column, value in (
        (stock_ledger.c.warehouse, warehouse),
        (stock_ledger.c.kind, kind),
        (stock_ledger.c.reference, reference),
    ):
        if value:
            query = query.where(column == value)
    if before is not None:
        query = query.where(stock_ledger.c.id < before)
    query = query.order_by(stock_ledger.c.id.desc()).limit(limit)
    with store.read() as tx:
        return [
            LedgerEntry(
                id=int(r.id),
                sku=r.sku,
                warehouse=r.warehouse,
                change=int(r.change),
                kind=r.kind,
                reference=r.reference,
                actor=r.actor,
                note=r.note,
                at=_time(r.at),
            )
            for r in tx.connection.execute(query)
        ]


@dataclass(frozen=True)
class LedgerBalance:
    """One stock row's ledger read by eye: ``on_hand`` now, and what was on hand after each entry of a
    page of its entries (``after``: entry id -> units)."""

    sku: str
    warehouse: str
    on_hand: int
    after: dict[int, int]


def ledger_balance(
    store: Store, sku: str, warehouse: str, entries: Sequence[LedgerEntry]
) -> LedgerBalance | None:
    """The running balance of a page of one row's entries (newest first, consecutive: the ledger filtered
    to one sku and warehouse alone) and its on-hand figure; None when no stock row is ``sku`` (whatever
    its case) in ``warehouse``. One statement: the row's on hand less the indexed sum of its entries
    newer than the page's newest gives the balance after that entry; each older one's is the newer's less
    its change."""
    newest = entries[0].id if entries else None
    later = (
        select(func.coalesce(func.sum(stock_ledger.c.change), 0))
        .where(
            stock_ledger.c.sku == stock.c.sku,
            stock_ledger.c.warehouse == stock.c.warehouse,
            stock_ledger.c.id > (newest if newest is not None else 0),
        )
        .scalar_subquery()
    )
    query = select(stock.c.sku, stock.c.on_hand, later if newest is not None else literal(0)).where(
        func.upper(stock.c.sku) == sku.strip().upper(), stock.c.warehouse == warehouse
    )
    with store.read() as tx:
        found = tx.connection.execute(query).first()
    if found is None:
        return None
    row_sku, on_hand, newer = str(found[0]), int(found[1]), int(found[2])
    after: dict[int, int] = {}
    balance = on_hand - newer
    for entry in entries:
        after[entry.id] = balance
        balance -= entry.change
    return LedgerBalance(row_sku, warehouse, on_hand, after)


def ledger_sums(store: Store) -> dict[tuple[str, str], int]:
    """The ledger added up per (sku, warehouse): what each stock row's ``on_hand`` must be."""
    query = select(stock_ledger.c.sku, stock_ledger.c.warehouse, func.sum(stock_ledger.c.change)).group_by(
        stock_ledger.c.sku, stock_ledger.c.warehouse
    )
    with store.read() as tx:
        return {(s, w): int(total) for s, w, total in tx.connection.execute(query)}


def transfers(store: Store, *, state: str | None = None, limit: int = 50) -> list[Transfer]:
    """Transfers newest first; ``state`` ``in_transit`` lists those not received in full."""
    query = select(stock_transfers).order_by(stock_transfers.c.id.desc()).limit(limit)
    if state == TransferState.IN_TRANSIT:
        query = query.where(stock_transfers.c.state.in_([s.value for s in IN_TRANSIT]))
    elif state:
        query = query.where(stock_transfers.c.state == state)
    with store.read() as tx:
        return [_transfer_row(row) for row in tx.connection.execute(query)]


def low_stock_alerts(store: Store, now: datetime) -> list[ReorderSuggestion]:
    """The open low-stock alerts: every row whose units free are below its safety stock, with its reorder
    suggestion and the figures it came from (the last 30 days' shipments, what is in transit to it)."""
    rows = stock_levels(store, low=True, limit=10_000)
    keys = [(row.sku, row.warehouse) for row in rows]
    with store.read() as tx:
        shipped = shipped_since(tx.connection, keys, now - SALES_WINDOW)
        coming = in_transit_to(tx.connection, keys)
    return [
        ReorderSuggestion(
            sku=row.sku,
            warehouse=row.warehouse,
            on_hand=row.on_hand,
            reserved=row.reserved,
            safety_stock=int(row.safety_stock or 0),
            shipped_30d=shipped.get((row.sku, row.warehouse), 0),
            in_transit=coming.get((row.sku, row.warehouse), 0),
        )
        for row in rows
    ]


def transfer_of(store: Store, transfer_id: int) -> Transfer:
    """One transfer (``StockRefused`` on field ``transfer`` when there is none)."""
    with store.read() as tx:
        return _transfer(tx.connection, transfer_id)


def warehouse_names(engine: Engine) -> dict[str, Text]:
    """Each warehouse's name by its code (``BJ-01``: 北京仓, Beijing warehouse), as the routing files of
    the newest published version of each workflow label it (the first to name a code); a code no routing
    file names is not here, and is shown as it is."""
    found: dict[str, Text] = {}
    with engine.store.read() as tx:
        for workflow in tx.workflow_names():
            compiled = engine.parts.compiled(tx, workflow, None)
            for labels in version_labels(compiled).values():
                for code, label in labels.warehouses.items():
                    found.setdefault(code, label)
    return found


def product_names(store: Store, skus: Collection[str]) -> dict[str, Text]:
    """The catalogue's name of each of ``skus`` it holds (the stock pages show "SKU · name" in the
    reader's language); a SKU the catalogue lacks is not here, and is shown bare."""
    with store.read() as tx:
        found = find_products(tx, skus)
    return {sku: Text(p.name_zh, p.name_en) for sku, p in found.items()}


def people_names(store: Store, lang: str) -> dict[str, str]:
    """Each user's login -> display name, and the engine's own (``system``: 系统 / System) in ``lang``:
    the stock pages name who received, sent, counted by it."""
    with store.read() as tx:
        return {**display_names(tx), SYSTEM.name: word("actor.system").get(lang)}


def reference_words() -> dict[str, Text]:
    """The ledger's references that are words rather than a document's number, by what the ledger holds
    (``demo``: 演示数据 / Demo data, the demo's opening receipts)."""
    return dict(words_of("stock.reference"))


def known_names(store: Store) -> tuple[list[str], list[str]]:
    """The skus and the warehouses the stock rows name (for the pages' choices)."""
    with store.read() as tx:
        return _known(tx.connection, stock.c.sku), _known(tx.connection, stock.c.warehouse)
