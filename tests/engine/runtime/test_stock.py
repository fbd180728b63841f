"""Stock operations (engine/runtime/stock.py): receive, transfer, stock-take, adjust, safety stock and the
low-stock alert, each one transaction with its ledger entries, on SQLite and on PostgreSQL; every bad
input refused in zh and en with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engine.runtime.stock import (
    CountLine,
    SheetLine,
    StockLevel,
    StockRefused,
    adjust_stock,
    enter_count,
    enter_counts,
    ledger_balance,
    ledger_entries,
    ledger_sums,
    low_stock_alerts,
    open_stock_take,
    post_stock_take,
    receive_stock,
    receive_transfer,
    review_stock_take,
    set_safety_stock,
    stock_levels,
    take_sheet,
    transfer_stock,
    transfers,
)
from engine.store import Store
from engine.store.products import Product, write_products
from engine.store.stock_ledger import LedgerKind, ledger_entry
from engine.store.tables import (
    outbox,
    stock,
    stock_ledger,
    stock_requests,
    stock_take_counts,
    stock_takes,
    stock_transfers,
    users,
)
from tests.engine.runtime.test_races import together

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
THREADS = 4


def levels(store: Store) -> dict[tuple[str, str], tuple[int, int]]:
    with store.read() as tx:
        rows = tx.connection.execute(
            select(stock.c.sku, stock.c.warehouse, stock.c.on_hand, stock.c.reserved)
        )
        return {(s, w): (h, r) for s, w, h, r in rows}


def count_rows(store: Store, table: object) -> int:
    with store.read() as tx:
        return int(tx.connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


@pytest.fixture
def stocked(store: Store) -> Store:
    receive_stock(store, "zhao.lei", "XM-BAND8", "SH-01", 20, NOW, new=True)
    receive_stock(store, "zhao.lei", "XM-BAND8", "GZ-01", 5, NOW, new=True)
    receive_stock(store, "zhao.lei", "AT-C202", "SH-01", 8, NOW, new=True)
    return store


def test_each_operation_moves_the_stock_and_writes_its_ledger_entries(stocked: Store) -> None:
    store = stocked
    sent = transfer_stock(store, "zhao.lei", "XM-BAND8", "SH-01", "GZ-01", 6, NOW, note="补广州")
    assert (sent.state, sent.in_transit) == ("in_transit", 6)
    assert levels(store)[("XM-BAND8", "SH-01")] == (14, 0)  # left at once
    assert levels(store)[("XM-BAND8", "GZ-01")] == (5, 0)  # not there until received
    part = receive_transfer(store, "zhao.lei", sent.id, 4, NOW)
    assert (part.state, part.in_transit, levels(store)[("XM-BAND8", "GZ-01")]) == (
        "partly_received",
        2,
        (9, 0),
    )
    rest = receive_transfer(store, "zhao.lei", sent.id, None, NOW)
    assert (rest.state, rest.in_transit, levels(store)[("XM-BAND8", "GZ-01")]) == ("received", 0, (11, 0))
    adjust_stock(store, "zhao.lei", "AT-C202", "SH-01", -3, "破损报废", NOW)
    take = open_stock_take(store, "zhao.lei", "SH-01", NOW)
    enter_count(store, "zhao.lei", take.id, "XM-BAND8", 15, NOW)
    enter_count(store, "zhao.lei", take.id, "AT-C202", 5, NOW)
    reviewed = review_stock_take(store, take.id)
    assert [(x.sku, x.book, x.counted, x.difference) for x in reviewed.lines] == [
        ("AT-C202", 5, 5, 0),
        ("XM-BAND8", 14, 15, 1),
    ]
    posted = post_stock_take(store, "zhao.lei", take.id, NOW)
    assert posted.state == "posted"
    assert levels(store)[("XM-BAND8", "SH-01")] == (15, 0)
    as_posted = [("AT-C202", 5, 5, 0), ("XM-BAND8", 14, 15, 1)]
    assert [(x.sku, x.book, x.counted, x.difference) for x in posted.lines] == as_posted
    adjust_stock(store, "zhao.lei", "XM-BAND8", "SH-01", -2, "破损", NOW)  # the book moves on after it
    again = review_stock_take(store, take.id)
    assert [(x.sku, x.book, x.counted, x.difference) for x in again.lines] == as_posted  # read as posted
    kinds = [(e.kind, e.sku, e.warehouse, e.change, e.reference) for e in ledger_entries(store, limit=100)]
    assert kinds[:6] == [
        ("adjust", "XM-BAND8", "SH-01", -2, None),
        ("count", "XM-BAND8", "SH-01", 1, f"C{take.id}"),  # an equal count writes nothing
        ("adjust", "AT-C202", "SH-01", -3, None),
        ("transfer_in", "XM-BAND8", "GZ-01", 2, f"T{sent.id}"),
        ("transfer_in", "XM-BAND8", "GZ-01", 4, f"T{sent.id}"),
        ("transfer_out", "XM-BAND8", "SH-01", -6, f"T{sent.id}"),
    ]
    assert ledger_sums(store) == {key: on_hand for key, (on_hand, _) in levels(store).items()}
    # keyset paging: the page after the first two
    first = ledger_entries(store, limit=2)
    assert [e.id for e in ledger_entries(store, before=first[-1].id, limit=2)] == [
        e.id for e in ledger_entries(store, limit=4)
    ][2:]
    assert [t.id for t in transfers(store, state="in_transit")] == []


Refusal = Callable[[Store], object]
REFUSALS: list[tuple[str, Refusal, str, str, str]] = [
    (
        "unknown sku, with a near miss",
        lambda s: receive_stock(s, "zhao.lei", "XM-BAND9", "SH-01", 1, NOW),
        "sku",
        "没有商品「XM-BAND9」；您是否想输入「XM-BAND8」？",
        "No product with the code “XM-BAND9”. Did you mean XM-BAND8?",
    ),
    (
        "unknown warehouse",
        lambda s: adjust_stock(s, "zhao.lei", "XM-BAND8", "SH-1", 2, "找到两件", NOW),
        "warehouse",
        "没有仓库「SH-1」；您是否想输入「SH-01」？",
        "No warehouse with the code “SH-1”. Did you mean SH-01?",
    ),
    (
        "zero quantity",
        lambda s: receive_stock(s, "zhao.lei", "XM-BAND8", "SH-01", 0, NOW),
        "qty",
        "数量必须是",
        "Enter a whole number from 1 to 1,000,000,000 (you wrote 0).",
    ),
    (
        "negative transfer",
        lambda s: transfer_stock(s, "zhao.lei", "XM-BAND8", "SH-01", "GZ-01", -2, NOW),
        "qty",
        "数量必须是",
        "(you wrote -2)",
    ),
    (
        "transfer to the same warehouse",
        lambda s: transfer_stock(s, "zhao.lei", "XM-BAND8", "SH-01", "SH-01", 2, NOW),
        "to",
        "调入仓库不能与调出仓库相同",
        "Choose another warehouse to send to: the units leave SH-01.",
    ),
    (
        "transfer of more than is free",
        lambda s: transfer_stock(s, "zhao.lei", "XM-BAND8", "GZ-01", "SH-01", 6, NOW),
        "qty",
        "可用库存只有 5 件",
        "Only 5 of XM-BAND8 are free in GZ-01; 6 cannot be taken.",
    ),
    (
        "adjust without a reason",
        lambda s: adjust_stock(s, "zhao.lei", "XM-BAND8", "SH-01", 2, " ", NOW),
        "reason",
        "请填写原因",
        "Say why, in at least 2 characters.",
    ),
    (
        "adjust below 0",
        lambda s: adjust_stock(s, "zhao.lei", "XM-BAND8", "GZ-01", -6, "丢失", NOW),
        "change",
        "少于占用数",
        "XM-BAND8 in GZ-01: 5 on hand, 0 of them reserved; a change of -6 would leave fewer",
    ),
]


@pytest.mark.parametrize(("case", "operation", "field", "zh", "en"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_bad_input_is_refused_in_both_languages_and_writes_nothing(
    stocked: Store, case: str, operation: Refusal, field: str, zh: str, en: str
) -> None:
    before = (levels(stocked), count_rows(stocked, stock_ledger))
    with pytest.raises(StockRefused) as refused:
        operation(stocked)
    assert refused.value.field == field
    assert zh in refused.value.message("zh") and en in refused.value.message("en")
    assert (levels(stocked), count_rows(stocked, stock_ledger)) == before


@pytest.mark.parametrize(
    ("operation", "fields"),
    [
        (
            lambda s: receive_stock(s, "zhao.lei", "xm-band9", "SH-1", 0, NOW, note="长" * 501),
            ["qty", "note", "sku", "warehouse"],
        ),
        (
            lambda s: adjust_stock(s, "zhao.lei", "xm-band9", "SH-1", 0, "", NOW),
            ["change", "reason", "sku", "warehouse"],
        ),
        (
            lambda s: transfer_stock(s, "zhao.lei", "xm-band9", "SH-1", "GZ-1", 0, NOW),
            ["qty", "sku", "warehouse", "to"],
        ),
    ],
)
def test_every_problem_of_a_change_is_said_at_once_and_nothing_is_written(
    stocked: Store, operation: Refusal, fields: list[str]
) -> None:
    before = (levels(stocked), count_rows(stocked, stock_ledger))
    with pytest.raises(StockRefused) as refused:
        operation(stocked)
    assert [problem.field for problem in refused.value.problems] == fields
    sku = next(p for p in refused.value.problems if p.field == "sku")
    assert sku.message("zh") == "没有商品「xm-band9」；您是否想输入「XM-BAND8」？"
    assert sku.message("en") == "No product with the code “xm-band9”. Did you mean XM-BAND8?"
    assert (levels(stocked), count_rows(stocked, stock_ledger)) == before


def test_receiving_more_than_was_sent_is_refused_and_nothing_is_received(stocked: Store) -> None:
    sent = transfer_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", "GZ-01", 3, NOW)
    before = levels(stocked)
    with pytest.raises(StockRefused, match="Only 3 of transfer T1 are in transit") as refused:
        receive_transfer(stocked, "zhao.lei", sent.id, 4, NOW)
    assert "在途只有 3 件" in refused.value.message("zh")
    assert levels(stocked) == before
    receive_transfer(stocked, "zhao.lei", sent.id, None, NOW)
    with pytest.raises(StockRefused, match="received in full"):
        receive_transfer(stocked, "zhao.lei", sent.id, 1, NOW)
    with pytest.raises(StockRefused, match="There is no transfer T999"):
        receive_transfer(stocked, "zhao.lei", 999, 1, NOW)


def test_a_count_below_what_is_reserved_is_refused_naming_the_sku(stocked: Store) -> None:
    with stocked.transaction() as tx:  # an order holds 4 bands in SH-01
        tx.connection.execute(
            stock.update().where(stock.c.sku == "XM-BAND8", stock.c.warehouse == "SH-01").values(reserved=4)
        )
    take = open_stock_take(stocked, "zhao.lei", "SH-01", NOW)
    enter_count(stocked, "zhao.lei", take.id, "XM-BAND8", 3, NOW)
    enter_count(stocked, "zhao.lei", take.id, "AT-C202", 2, NOW)
    with pytest.raises(StockRefused) as refused:
        post_stock_take(stocked, "zhao.lei", take.id, NOW)
    assert "cannot be posted: XM-BAND8: 3 counted, fewer than the 4 reserved." in refused.value.message("en")
    assert "商品 XM-BAND8 盘点 3 件，少于已占用的 4 件" in refused.value.message("zh")
    assert levels(stocked)[("AT-C202", "SH-01")] == (8, 0)  # nothing posted, not even the other count
    assert review_stock_take(stocked, take.id).state == "open"
    with pytest.raises(StockRefused, match="open stock-take already"):
        open_stock_take(stocked, "zhao.lei", "SH-01", NOW)
    enter_count(stocked, "zhao.lei", take.id, "XM-BAND8", 4, NOW)  # counted again
    post_stock_take(stocked, "zhao.lei", take.id, NOW)
    assert levels(stocked)[("XM-BAND8", "SH-01")] == (4, 4)
    with pytest.raises(StockRefused, match="has been posted: it can no longer change"):
        enter_count(stocked, "zhao.lei", take.id, "XM-BAND8", 5, NOW)


def test_falling_below_the_safety_stock_mails_the_purchasers_a_reorder_suggestion(stocked: Store) -> None:
    with stocked.transaction() as tx:
        tx.connection.execute(
            users.insert(),
            [
                {
                    "name": n,
                    "display_name": n,
                    "password_hash": "x",
                    "roles": roles,
                    "departments": ["*"],
                    "active": True,
                    "created_at": NOW,
                    "email": f"{n}@example.com",
                }
                for n, roles in (("qian.hui", ["purchaser"]), ("zhao.lei", ["warehouse"]))
            ],
        )
        # 12 bands shipped from SH-01 in the last 30 days, 5 before that (not counted)
        for change, at in (
            (-7, NOW - timedelta(days=3)),
            (-5, NOW - timedelta(days=20)),
            (-5, NOW - timedelta(days=40)),
        ):
            ledger_entry(
                tx.connection,
                sku="XM-BAND8",
                warehouse="SH-01",
                change=change,
                kind=LedgerKind.SHIP,
                actor="x",
                at=at,
            )
    set_safety_stock(stocked, "XM-BAND8", "SH-01", 10)
    assert low_stock_alerts(stocked, NOW) == []
    adjust_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", -8, "盘亏", NOW)  # 20 -> 12: still above
    adjust_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", -5, "盘亏", NOW)  # 12 -> 7: below 10
    adjust_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", -1, "盘亏", NOW)  # still below: no second mail
    with stocked.read() as tx:
        mails = tx.connection.execute(select(outbox.c.topic, outbox.c.payload)).all()
    assert [topic for topic, _ in mails] == ["stock.low"]
    payload = mails[0][1] if isinstance(mails[0][1], dict) else __import__("json").loads(mails[0][1])
    assert payload["emails"] == ["qian.hui@example.com"]
    assert (payload["available"], payload["shipped_30d"], payload["suggested"]) == (7, 12, 15)
    [alert] = low_stock_alerts(stocked, NOW)
    assert (alert.sku, alert.available, alert.shipped_30d, alert.in_transit, alert.suggested) == (
        "XM-BAND8",
        6,
        12,
        0,
        16,
    )
    sent = transfer_stock(stocked, "zhao.lei", "XM-BAND8", "GZ-01", "SH-01", 5, NOW)
    [alert] = low_stock_alerts(stocked, NOW)
    assert (alert.in_transit, alert.suggested) == (5, 11)  # what is on its way counts
    receive_transfer(stocked, "zhao.lei", sent.id, None, NOW)
    assert [a.sku for a in low_stock_alerts(stocked, NOW)] == []  # 11 free: the alert is closed
    assert [row.sku for row in stock_levels(stocked, low=True)] == []


def test_a_product_of_the_catalogue_is_received_before_any_stock_row_names_it(stocked: Store) -> None:
    """A product added to the catalogue is received as any other (no first-delivery switch); a code typed
    in lower case is the product's; a virtual product is refused with why, and nothing is written."""
    with stocked.transaction() as tx:
        write_products(
            tx.connection,
            [
                Product("OOLONG-1", "乌龙茶礼盒", "Oolong tea gift box", Decimal("128")),
                Product("GC-100", "礼品卡100元", "Gift card 100 CNY", Decimal("100"), kind="virtual"),
            ],
            NOW,
            "admin",
        )
    with pytest.raises(StockRefused, match="No product with the code “TEA-9”"):
        receive_stock(stocked, "zhao.lei", "TEA-9", "SH-01", 5, NOW)  # neither stocked nor sold
    before = count_rows(stocked, stock_ledger)
    with pytest.raises(StockRefused) as refused:
        receive_stock(stocked, "zhao.lei", "GC-100", "SH-01", 5, NOW)
    assert "虚拟商品" in refused.value.message("zh") and "is a virtual product" in refused.value.message("en")
    assert count_rows(stocked, stock_ledger) == before
    received = receive_stock(stocked, "zhao.lei", "oolong-1", "SH-01", 50, NOW, reference="PO-NEW")
    assert (received.sku, received.on_hand) == ("OOLONG-1", 50)
    assert levels(stocked)[("OOLONG-1", "SH-01")] == (50, 0)
    assert ledger_sums(stocked)[("OOLONG-1", "SH-01")] == 50


# -- a change sent once: the same key sent again books nothing more ---------------------------------


def _nothing(store: Store) -> int:
    return 0


def _sent(store: Store) -> int:
    return transfer_stock(store, "zhao.lei", "XM-BAND8", "SH-01", "GZ-01", 4, NOW).id


def _opened(store: Store) -> int:
    return open_stock_take(store, "zhao.lei", "SH-01", NOW).id


def _counted(store: Store) -> int:
    take = _opened(store)
    enter_count(store, "zhao.lei", take, "XM-BAND8", 18, NOW)
    return take


# each change: what it needs made first (a transfer, a stock-take), and the change sent with a key
SENT_TWICE: list[tuple[str, Callable[[Store], int], Callable[[Store, str, int], object]]] = [
    ("receive", _nothing, lambda s, k, _: receive_stock(s, "zhao.lei", "XM-BAND8", "SH-01", 5, NOW, key=k)),
    (
        "adjust",
        _nothing,
        lambda s, k, _: adjust_stock(s, "zhao.lei", "XM-BAND8", "SH-01", -2, "破损报废", NOW, key=k),
    ),
    (
        "transfer",
        _nothing,
        lambda s, k, _: transfer_stock(s, "zhao.lei", "XM-BAND8", "SH-01", "GZ-01", 3, NOW, key=k),
    ),
    ("receive a transfer", _sent, lambda s, k, t: receive_transfer(s, "zhao.lei", t, 2, NOW, key=k)),
    ("open a stock-take", _nothing, lambda s, k, _: open_stock_take(s, "zhao.lei", "GZ-01", NOW, key=k)),
    ("count", _opened, lambda s, k, t: enter_count(s, "zhao.lei", t, "XM-BAND8", 17, NOW, key=k)),
    ("post a stock-take", _counted, lambda s, k, t: post_stock_take(s, "zhao.lei", t, NOW, key=k)),
    (
        "safety stock",
        _nothing,
        lambda s, k, _: set_safety_stock(s, "XM-BAND8", "SH-01", 7, actor="qian.hui", at=NOW, key=k),
    ),
]


def written(store: Store) -> tuple[object, ...]:
    """Everything a stock change writes."""
    with store.read() as tx:
        takes = tx.connection.execute(select(stock_takes.c.id, stock_takes.c.state)).all()
        counts = tx.connection.execute(select(stock_take_counts.c.sku, stock_take_counts.c.counted)).all()
        moved = tx.connection.execute(select(stock_transfers.c.id, stock_transfers.c.received)).all()
        safety = tx.connection.execute(select(stock.c.sku, stock.c.warehouse, stock.c.safety_stock)).all()
    return levels(store), count_rows(store, stock_ledger), takes, counts, moved, sorted(safety)


@pytest.mark.parametrize(("case", "needs", "send"), SENT_TWICE, ids=[c for c, _, _ in SENT_TWICE])
def test_a_change_sent_twice_with_its_key_is_made_once_and_answered_alike(
    stocked: Store, case: str, needs: Callable[[Store], int], send: Callable[[Store, str, int], object]
) -> None:
    _ = case
    target = needs(stocked)
    before = written(stocked)
    first = send(stocked, "form-1", target)
    after_first = written(stocked)
    assert after_first != before
    again = send(stocked, "form-1", target)
    assert written(stocked) == after_first  # nothing booked the second time
    assert again == first
    assert count_rows(stocked, stock_requests) == 1


def test_without_a_key_each_call_is_a_change(stocked: Store) -> None:
    receive_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", 5, NOW)
    receive_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", 5, NOW)
    assert levels(stocked)[("XM-BAND8", "SH-01")] == (30, 0)
    assert count_rows(stocked, stock_requests) == 0


def test_a_key_is_the_actors_and_a_refused_change_keeps_none(stocked: Store) -> None:
    with pytest.raises(StockRefused):
        receive_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", 0, NOW, key="form-2")
    with pytest.raises(StockRefused):
        receive_stock(stocked, "zhao.lei", "XM-BAND9", "SH-01", 5, NOW, key="form-2")
    assert count_rows(stocked, stock_requests) == 0
    receive_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", 5, NOW, key="form-2")  # corrected: booked
    receive_stock(stocked, "sun.li", "XM-BAND8", "SH-01", 5, NOW, key="form-2")  # another's key
    assert levels(stocked)[("XM-BAND8", "SH-01")] == (30, 0)


def test_the_same_key_with_another_change_is_refused_and_writes_nothing(stocked: Store) -> None:
    receive_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", 5, NOW, key="form-3")
    before = written(stocked)
    with pytest.raises(StockRefused) as refused:
        receive_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", 6, NOW, key="form-3")
    assert refused.value.field == "key"
    assert "已用于另一次库存变动" in refused.value.message("zh")
    assert "used for another stock change" in refused.value.message("en")
    with pytest.raises(StockRefused, match="another stock change"):
        adjust_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", 5, "多收", NOW, key="form-3")
    assert written(stocked) == before
    with pytest.raises(StockRefused, match="key must be text of 1 to 200"):
        receive_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", 5, NOW, key="k" * 201)


def test_the_same_key_sent_at_the_same_moment_books_once(stocked: Store) -> None:
    """A double click's two posts racing: one receipt, and both answered with its row."""

    def send() -> StockLevel:
        return receive_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", 5, NOW, key="form-4")

    answers = together([send] * THREADS)
    assert levels(stocked)[("XM-BAND8", "SH-01")] == (25, 0)
    assert ledger_sums(stocked)[("XM-BAND8", "SH-01")] == 25
    assert [(a.sku, a.warehouse, a.on_hand) for a in answers] == [("XM-BAND8", "SH-01", 25)] * THREADS


def test_a_stock_take_sheet_lists_the_warehouses_rows_not_counted_and_takes_counts_together(
    stocked: Store,
) -> None:
    take = open_stock_take(stocked, "zhao.lei", "SH-01", NOW)
    assert take_sheet(stocked, take.id) == [SheetLine("AT-C202", 8, 0), SheetLine("XM-BAND8", 20, 0)]
    enter_counts(stocked, "zhao.lei", take.id, {"XM-BAND8": 19}, NOW)
    assert take_sheet(stocked, take.id) == [SheetLine("AT-C202", 8, 0)]  # counted: off the sheet
    with pytest.raises(StockRefused) as refused:  # one bad count: none of them is entered
        enter_counts(stocked, "zhao.lei", take.id, {"AT-C202": 7, "XM-BAND8": -1}, NOW)
    assert refused.value.field == "counted:XM-BAND8"
    assert [(x.sku, x.counted) for x in review_stock_take(stocked, take.id).lines] == [("XM-BAND8", 19)]
    with pytest.raises(StockRefused) as unknown:
        enter_counts(stocked, "zhao.lei", take.id, {"AT-C202": 7, "NOPE-1": 1}, NOW)
    assert unknown.value.field == "sku" and len(review_stock_take(stocked, take.id).lines) == 1
    with pytest.raises(StockRefused) as empty:
        enter_counts(stocked, "zhao.lei", take.id, {}, NOW)
    assert empty.value.field == "counted"
    enter_counts(stocked, "zhao.lei", take.id, {"AT-C202": 7, "XM-BAND8": 18}, NOW)
    assert [(x.sku, x.counted) for x in review_stock_take(stocked, take.id).lines] == [
        ("AT-C202", 7),
        ("XM-BAND8", 18),
    ]
    assert take_sheet(stocked, take.id) == []
    post_stock_take(stocked, "zhao.lei", take.id, NOW)
    assert take_sheet(stocked, take.id) == []  # posted: no sheet
    assert levels(stocked)[("AT-C202", "SH-01")] == (7, 0)


@pytest.mark.parametrize(
    ("book", "counted", "large"),
    [(4047, 7, True), (100, 95, False), (4047, 4000, False), (0, 12, True), (0, 10, False), (50, 61, True)],
)
def test_a_large_difference_is_more_than_ten_units_and_more_than_a_tenth_of_the_book(
    book: int, counted: int, large: bool
) -> None:
    assert CountLine("XM-BAND8", book, 0, counted).large is large


def test_the_ledger_and_the_levels_match_a_sku_whatever_its_case(stocked: Store) -> None:
    assert [e.sku for e in ledger_entries(stocked, sku="xm-band8")] == ["XM-BAND8", "XM-BAND8"]
    assert {r.sku for r in stock_levels(stocked, sku="at-")} == {"AT-C202"}
    assert ledger_entries(stocked, sku="xm-band") == []  # the ledger's sku is whole, not a prefix


def test_a_row_is_told_low_once_until_its_units_free_are_back_above_its_safety_stock(stocked: Store) -> None:
    def told() -> int:
        with stocked.read() as tx:
            return len(
                [t for t in tx.connection.execute(select(outbox.c.topic)).scalars() if t == "stock.low"]
            )

    set_safety_stock(stocked, "XM-BAND8", "SH-01", 10)  # 20 free
    adjust_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", -11, "盘亏", NOW)  # 9: below, told
    assert told() == 1
    adjust_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", 1, "找到", NOW)  # 10: at it, not above
    adjust_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", -1, "盘亏", NOW)  # 9 again: told already
    assert told() == 1
    receive_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", 2, NOW)  # 11: back above
    adjust_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", -2, "盘亏", NOW)  # 9: below again, told
    assert told() == 2
    set_safety_stock(stocked, "XM-BAND8", "SH-01", 12, at=NOW)  # a new threshold, 9 free: told at once
    assert told() == 3
    adjust_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", -1, "盘亏", NOW)
    assert told() == 3  # told already of this threshold


def test_every_bad_count_of_a_sheet_is_said_at_once_naming_its_sku(stocked: Store) -> None:
    take = open_stock_take(stocked, "zhao.lei", "SH-01", NOW)
    with pytest.raises(StockRefused) as refused:
        enter_counts(stocked, "zhao.lei", take.id, {"AT-C202": "abc", "XM-BAND8": -1}, NOW)  # type: ignore[dict-item]
    assert [p.field for p in refused.value.problems] == ["counted:AT-C202", "counted:XM-BAND8"]
    assert [p.message("zh") for p in refused.value.problems] == [
        "商品 AT-C202 的盘点数量必须是 0 到 1,000,000,000 的整数，收到「abc」",
        "商品 XM-BAND8 的盘点数量必须是 0 到 1,000,000,000 的整数，收到 -1",
    ]
    assert refused.value.problems[0].message("en") == (
        "AT-C202: enter the units counted as a whole number from 0 to 1,000,000,000 (you wrote “abc”)."
    )
    assert review_stock_take(stocked, take.id).lines == ()


def test_a_rows_running_balance_is_its_on_hand_after_each_entry_page_by_page(stocked: Store) -> None:
    transfer_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", "GZ-01", 6, NOW)
    adjust_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", -3, "盘亏", NOW)
    receive_stock(stocked, "zhao.lei", "AT-C202", "SH-01", 2, NOW)  # another row's entry between
    receive_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", 4, NOW)
    entries = ledger_entries(stocked, sku="xm-band8", warehouse="SH-01")
    added = {e.id: sum(x.change for x in entries if x.id <= e.id) for e in entries}  # by adding up
    whole = ledger_balance(stocked, "xm-band8", "SH-01", entries)
    assert whole is not None and (whole.sku, whole.on_hand) == ("XM-BAND8", 15)
    assert whole.after == added and list(whole.after.values()) == [15, 11, 14, 20]
    older = ledger_entries(stocked, sku="XM-BAND8", warehouse="SH-01", before=entries[1].id)  # page 2
    paged = ledger_balance(stocked, "XM-BAND8", "SH-01", older)
    assert paged is not None and paged.after == {e.id: added[e.id] for e in older} and paged.on_hand == 15
    assert ledger_balance(stocked, "XM-BAND8", "BJ-01", []) is None  # no such row
    empty = ledger_balance(stocked, "AT-C202", "SH-01", [])
    assert empty is not None and (empty.on_hand, empty.after) == (10, {})


def test_a_safety_stock_set_above_what_is_free_tells_the_purchasers_at_once(stocked: Store) -> None:
    with stocked.transaction() as tx:
        tx.connection.execute(
            users.insert().values(
                name="qian.hui", display_name="钱慧", password_hash="x", roles=["purchaser"],
                departments=["*"], email="qian.hui@example.com", active=True, created_at=NOW,
            )
        )  # fmt: skip
    transfer_stock(stocked, "zhao.lei", "XM-BAND8", "SH-01", "GZ-01", 6, NOW)  # 14 free in SH-01

    def mails() -> list[dict[str, object]]:
        with stocked.read() as tx:
            rows = tx.connection.execute(select(outbox.c.payload).where(outbox.c.topic == "stock.low"))
            return [p if isinstance(p, dict) else __import__("json").loads(p) for p in rows.scalars()]

    set_safety_stock(stocked, "XM-BAND8", "SH-01", 10, at=NOW)  # 14 free: above, nobody told
    assert mails() == []
    set_safety_stock(stocked, "XM-BAND8", "GZ-01", 20, at=NOW)  # 5 free, 6 in transit to it: told
    [told] = mails()
    assert (told["sku"], told["warehouse"], told["available"], told["in_transit"], told["suggested"]) == (
        "XM-BAND8", "GZ-01", 5, 6, 9,
    )  # fmt: skip
    assert told["emails"] == ["qian.hui@example.com"]
    set_safety_stock(stocked, "XM-BAND8", "GZ-01", 20, at=NOW)  # the same again: told once
    set_safety_stock(stocked, "XM-BAND8", "SH-01", None, at=NOW)  # cleared: nothing to tell
    assert len(mails()) == 1
