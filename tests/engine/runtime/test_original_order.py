"""An after-sales request names the retail order the goods were bought on (``original_order:`` of the
shipped after-sales request): an order the retail department does not have is refused at intake, naming
the field, and so is a refund above what that order paid and has not refunded, less what the other
requests about it claim. On SQLite and on PostgreSQL (the ``store`` fixture runs on both)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from engine.clock import FrozenClock
from engine.common.text import Text
from engine.dsl.compiler import load_bundle
from engine.errors import NotFound, Refusal, TransitionRejected
from engine.plugins import PluginRegistry
from engine.runtime import Engine
from engine.store import Store
from engine.store.original_orders import orders_naming
from engine.store.tables import orders, stock
from tests.after_sales import backordered_exchange, exchange_request
from tests.engine.runtime.test_races import together
from tests.test_departments import (
    INSPECTOR,
    RETAIL,
    SERVICE,
    WAREHOUSE,
    deliver_each,
    delivered_retail_order,
    pay,
    retail_data,
    ship_each,
)

REPO = Path(__file__).resolve().parents[3]
REGISTRY = PluginRegistry.from_entry_points()
# the retail order delivered_retail_order makes, both its bands asked back, or one
BOTH_BANDS = {"return_reason": "quality", "return_lines": [{"sku": "XM-BAND8", "qty": 2}]}
ONE_BAND = {"return_reason": "quality", "return_lines": [{"sku": "XM-BAND8", "qty": 1}]}
ONE_BAND = {"return_reason": "quality", "return_lines": [{"sku": "XM-BAND8", "qty": 1}]}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def engine(store: Store, clock: FrozenClock) -> Engine:
    engine = Engine(store, REGISTRY, clock)
    for path in ("retail/order.yaml", "after-sales/request.yaml"):
        engine.publish(load_bundle(REPO / "workflows" / path, REPO, action_names=REGISTRY.action_names))
    with store.transaction() as tx:
        tx.connection.execute(insert(stock).values(sku="XM-BAND8", warehouse="SH-01", on_hand=50, reserved=0))
    return engine


def request(original: str, refund: float | None = 239, qty: int = 1) -> dict[str, Any]:
    data: dict[str, Any] = {
        "original_order_no": original,
        "type": "return",
        "reason_code": "no_reason",
        "customer": {"name": "张伟", "mobile": "13812345678"},
        "lines": [
            {"sku": "XM-BAND8", "name": "小米手环8", "qty": qty, "unit_price": 239, "amount": 239 * qty}
        ],
        "delivered_at": (datetime(2026, 3, 2, 9, 0, tzinfo=UTC) - timedelta(days=1)).isoformat(),
        "item_condition": "unopened",
        "refund_amount": refund,
        "return_warehouse": "SH-01",
    }
    return data


def refused(engine: Engine, data: dict[str, Any]) -> Refusal:
    with pytest.raises(TransitionRejected) as caught:
        engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", data)
    [refusal] = caught.value.refusals
    return refusal


def requests(store: Store) -> int:
    with store.read() as tx:
        taken = select(func.count()).select_from(orders).where(orders.c.department == "after_sales")
        return int(tx.connection.execute(taken).scalar_one())


def test_a_request_about_an_order_the_retail_department_does_not_have_is_refused_naming_the_field(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """A return against an invented original order number ran to a refund: nothing checked it."""
    bought = int(delivered_retail_order(engine, clock))
    unknown = refused(engine, request(str(bought + 1)))
    assert (unknown.code, unknown.details["path"]) == ("form", "$.original_order_no")
    assert (
        unknown.zh == f"原订单号：零售部门没有订单 {bought + 1}；请填写原订单页面上的订单号（数字，如 294）"
    )
    assert unknown.en == (
        f"Original order number: the Retail department has no order {bought + 1}; give the number its "
        "page shows (digits, such as 294)"
    )
    invented = refused(engine, request("RO2026120100001"))  # the old made-up shape: not an order number
    assert invented.details["path"] == "$.original_order_no"
    assert "294" in invented.zh and "294" in invented.en
    assert requests(store) == 0
    taken = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(str(bought)))
    # an order of another department (this request itself) is not a retail order the goods were bought on
    assert refused(engine, request(str(taken.id))).details["path"] == "$.original_order_no"
    assert requests(store) == 1
    assert (taken.state, taken.data["original_order_no"]) == ("awaiting_goods", str(bought))


def test_a_request_about_an_order_not_yet_delivered_is_refused_and_its_fill_says_so(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """A request about a paid order still waiting to ship was taken, its refund claiming money the
    retail order's cancel must then pay back; now it is refused by the number (to be cancelled by retail,
    not returned), the intake fill saying so beside the field, and taken once the goods are delivered."""
    data = retail_data()
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", data)
    pay(engine, order.id, data["total"])
    waiting = refused(engine, request(str(order.id)))
    assert (waiting.details["path"], waiting.details.get("undelivered")) == ("$.original_order_no", True)
    assert waiting.zh == (
        f"原订单号：原订单 #{order.id} 尚未签收，签收后才能申请售后；未发货的订单请由原部门取消"
    )
    assert waiting.en == (
        f"Original order number: original order #{order.id} has not been delivered yet; a request can be "
        "taken once it is (an order not yet shipped is cancelled by its own department)"
    )
    found = engine.intake_original(SERVICE, "after_sales", "after-sales-request", "web", str(order.id))
    assert found.fill is None and [r.details.get("undelivered") for r in found.refusals] == [True]
    assert requests(store) == 0
    ship_each(engine, order.id, {"carrier": "sf"})
    assert refused(engine, request(str(order.id))).details.get("undelivered")  # shipped, not delivered
    deliver_each(engine, order.id, {"delivered_at": clock.now().isoformat()})
    taken = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(str(order.id)))
    assert taken.state == "awaiting_goods" and requests(store) == 1
    cancelled = engine.create_order(RETAIL, "retail", "retail-order", "web", data)
    assert engine.fire(cancelled.id, "cancel", RETAIL).to_state == "cancelled"
    ended = refused(engine, request(str(cancelled.id)))  # not "not yet": it never will be
    assert ended.zh == f"原订单号：原订单 #{cancelled.id} 已结束且未签收（如已取消），不能申请售后"
    assert ended.en == (
        f"Original order number: original order #{cancelled.id} ended without being delivered (cancelled): "
        "no request can be taken about it"
    )


def test_the_refunds_asked_about_one_order_never_pass_what_it_paid_and_has_not_refunded(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """478 paid: a request for 239, then one for 240 is refused (239 left), one for 239 taken; once the
    first is withdrawn it claims nothing and 239 may be asked again."""
    bought = delivered_retail_order(engine, clock)
    first = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    over = refused(engine, request(bought, refund=240))
    assert (over.code, over.details["path"], over.details["refundable"]) == (
        "form",
        "$.refund_amount",
        "239.00",
    )
    assert over.zh == (
        f"退款金额（元）：240.00 元超过原订单 #{bought} 可退的 239.00 元（已付 478.00 元，已退 0.00 元，"
        "其他申请已占 239.00 元）"
    )
    assert "more than the 239.00 CNY original order" in over.en
    second = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    with pytest.raises(TransitionRejected) as caught:  # no band and no money left
        engine.create_order(
            SERVICE, "after_sales", "after-sales-request", "web", request(bought, refund=0.01)
        )
    assert [r.details["path"] for r in caught.value.refusals] == ["$.lines[0].qty", "$.refund_amount"]
    assert requests(store) == 2
    engine.fire(first.id, "withdraw", SERVICE)  # withdrawn: it claims nothing any more
    again = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    assert {second.state, again.state} == {"awaiting_goods"}


def test_a_refund_asked_on_a_step_is_bounded_by_the_same_order(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """An exchange no warehouse can fill, refunded instead: no more than the retail order it names has
    left to refund, its own request not counted against it."""
    bought = delivered_retail_order(engine, clock)
    exchange = exchange_request(request(bought, qty=2))
    with store.transaction() as tx:  # none left on hand: the replacement waits
        tx.connection.execute(update(stock).values(on_hand=0, reserved=0))
    people = {"service": SERVICE, "warehouse": WAREHOUSE, "inspector": INSPECTOR}
    waiting = backordered_exchange(engine, exchange, clock.now(), **people)
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(waiting, "refund_instead", SERVICE, {"refund_amount": 478.01})
    [over] = caught.value.refusals
    assert (over.details["path"], over.details["refundable"]) == ("$.refund_amount", "478.00")
    assert engine.fire(waiting, "refund_instead", SERVICE, {"refund_amount": 478}).to_state == "refunding"


def refused_for_the_claim(rejected: TransitionRejected, request_id: int) -> None:
    """A refund of all 478 paid refused while request ``request_id`` claims 239 of it: both figures
    named, in both languages."""
    [over] = rejected.refusals
    assert (over.code, over.details["refundable"], over.details["claimed"]) == (
        "over-refund",
        "239.00",
        "239.00",
    )
    assert over.details["orders"] == [request_id]
    assert over.zh == (
        "退款金额 478.00 元超过可退金额 239.00 元"
        f"（已付未退 478.00 元，售后申请 {request_id} 已占 239.00 元）"
    )
    assert over.en == (
        "refund of 478.00 CNY exceeds the 239.00 CNY left to refund (478.00 CNY paid and not yet refunded, "
        f"239.00 CNY claimed by after-sales request {request_id})"
    )


def test_a_retail_return_never_pays_back_what_a_request_about_the_order_claims(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """478 paid, a request about it asks 239 back: the retail order's own return may authorize no more
    than the 239 left (the customer was once refunded twice), naming both figures; once the request is
    withdrawn it claims nothing and the whole 478 may be returned."""
    bought = delivered_retail_order(engine, clock)
    taken = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(int(bought), "request_return", RETAIL, {**ONE_BAND, "refund_amount": 478})
    refused_for_the_claim(caught.value, taken.id)
    with store.read() as tx:
        assert tx.load_order(int(bought)).state == "delivered"  # nothing written
    engine.fire(taken.id, "withdraw", SERVICE)
    returning = engine.fire(int(bought), "request_return", RETAIL, {**BOTH_BANDS, "refund_amount": 478})
    assert returning.to_state == "return_requested"


def test_a_request_never_claims_what_the_retail_orders_own_return_authorized(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """The retail order authorized 200 for its own return of one band (not yet paid): a request about
    the other may ask no more than the 278 left, and the refusal names the return's 200; once that
    return is paid back, it counts as refunded instead."""
    bought = delivered_retail_order(engine, clock)
    engine.fire(int(bought), "request_return", RETAIL, {**ONE_BAND, "refund_amount": 200})
    over = refused(engine, request(bought, refund=279))
    assert (over.details["path"], over.details["refundable"], over.details["return_authorized"]) == (
        "$.refund_amount",
        "278.00",
        "200.00",
    )
    assert over.zh == (
        f"退款金额（元）：279.00 元超过原订单 #{bought} 可退的 278.00 元（已付 478.00 元，已退 0.00 元，"
        "原订单退货已核准 200.00 元，其他申请已占 0.00 元）"
    )
    assert "200.00 CNY authorized for the original order's own return" in over.en
    assert requests(store) == 0
    engine.fire(int(bought), "receive_return", WAREHOUSE)  # paid back: 200 refunded, nothing due
    assert refused(engine, request(bought, refund=278.01)).details["refundable"] == "278.00"
    taken = engine.create_order(
        SERVICE, "after_sales", "after-sales-request", "web", request(bought, refund=239)
    )
    assert taken.state == "awaiting_goods"


def test_the_request_page_reads_a_summary_of_the_retail_order_and_the_retail_page_the_requests(
    engine: Engine, clock: FrozenClock
) -> None:
    """The after-sales clerk cannot open the retail order (another department), yet the request's page
    reads what a summary needs of it, the mobile masked; the retail order's page reads the requests
    about it, their type and state in words and their refund."""
    bought = delivered_retail_order(engine, clock)
    first = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    exchange = {**request(bought, refund=None), "type": "exchange"}
    del exchange["refund_amount"]
    second = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", exchange)
    with pytest.raises(NotFound):
        engine.get_order(int(bought), SERVICE)
    page = engine.order_page(first.id, SERVICE)
    summary = page.original
    assert summary is not None
    assert (summary.id, summary.title.zh, summary.state, summary.state_label.en) == (
        int(bought),
        "零售订单",
        "delivered",
        "Delivered",
    )
    assert (summary.customer_name, summary.mobile) == ("张伟", "138****5678")
    assert summary.address == ("上海市", "上海市", "浦东新区", "世纪大道1198号3栋2单元1202室", "200120")
    assert [(line.sku, line.name, line.qty, line.unit_price) for line in summary.lines] == [
        ("XM-BAND8", "小米手环8", 2, Decimal(239))
    ]
    assert (summary.paid, summary.refunded, summary.return_authorized) == (
        Decimal(478),
        Decimal(0),
        Decimal(0),
    )
    assert summary.delivered_at is not None and summary.return_by is not None
    assert summary.return_by > summary.delivered_at
    # the other request about it, not this one
    [other] = summary.others
    assert (other.id, other.kind, other.state_label.zh) == (second.id, Text("换货", "Exchange"), "待寄回")
    assert "13812345678" not in repr(summary)
    retail = engine.order_page(int(bought), RETAIL)
    assert retail.original is None
    assert [
        (a.id, a.department, a.kind and a.kind.en, a.state_label.en, a.claimed) for a in retail.about
    ] == [
        (first.id, "after_sales", "Return", "Awaiting goods", Decimal(239)),
        (second.id, "after_sales", "Exchange", "Awaiting goods", Decimal(0)),
    ]


def test_the_intake_reads_what_the_retail_order_fills_and_says_when_there_is_none(
    engine: Engine, clock: FrozenClock
) -> None:
    """Typing the retail order's number fills the customer, address, lines and delivery time as the
    intake form has room for them, the warehouse it shipped from and the lines' price, never the type;
    a number the retail department has no order of fills nothing; only who may take requests reads it."""
    bought = delivered_retail_order(engine, clock)
    found = engine.intake_original(SERVICE, "after_sales", "after-sales-request", "web", bought)
    assert found.summary is not None and found.summary.id == int(bought)
    assert found.fill is not None
    assert sorted(found.fill) == [
        "address",
        "customer",
        "delivered_at",
        "lines",
        "refund_amount",
        "return_warehouse",
    ]
    # where it shipped from, and the lines' price as the refund (the page keeps it for a return only)
    assert (found.fill["return_warehouse"], found.fill["refund_amount"]) == ("SH-01", 478)
    assert found.fill["customer"] == {"name": "张伟", "mobile": "13812345678"}
    assert found.fill["lines"] == [
        {"sku": "XM-BAND8", "name": "小米手环8", "qty": 2, "unit_price": 239, "amount": 478}
    ]
    missing = engine.intake_original(
        SERVICE, "after_sales", "after-sales-request", "web", str(int(bought) + 99)
    )
    assert (missing.summary, missing.fill) == (None, None)
    with pytest.raises(NotFound):
        engine.intake_original(INSPECTOR, "after_sales", "after-sales-request", "web", bought)
    with pytest.raises(NotFound):
        engine.intake_original(RETAIL, "retail", "retail-order", "web", bought)


def test_a_retail_return_and_a_request_taken_at_once_never_refund_more_than_was_paid(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """478 paid; the retail desk authorizes a return of both bands for 300 while the after-sales desk
    takes a request for one and 239, both at once: one of them is taken and the other refused by what
    the first holds (the original order's row is locked by both, so they are counted one after the
    other)."""
    bought = delivered_retail_order(engine, clock)

    def attempt(call: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            try:
                return call()
            except TransitionRejected as rejected:
                return rejected

        return run

    returned, requested = together(
        [
            attempt(
                lambda: engine.fire(
                    int(bought), "request_return", RETAIL, {**BOTH_BANDS, "refund_amount": 300}
                )
            ),
            attempt(
                lambda: engine.create_order(
                    SERVICE, "after_sales", "after-sales-request", "web", request(bought)
                )
            ),
        ]
    )
    refused_ones = [r for r in (returned, requested) if isinstance(r, TransitionRejected)]
    assert len(refused_ones) == 1
    # what the other left: of the bands when the request came first (it names one of the two), of the
    # bands and the money when the return came first
    why = {
        (r.details.get("path"), r.details.get("refundable", r.details.get("returnable")))
        for r in refused_ones[0].refusals
    }
    assert why in ({(None, 1)}, {("$.lines[0].qty", None), ("$.refund_amount", "178.00")})
    with store.read() as tx:
        held = tx.load_order(int(bought)).data.get("refund_due")
    assert (held == 300) == (requests(store) == 0)


def test_a_clerks_refund_on_a_payment_never_pays_back_what_a_request_about_the_order_claims(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """478 paid on one payment, a request about the order asks 239 back: the clerk's refund on that
    payment (payment.refund) may give no more than the 239 left (the customer was once refunded twice
    that way), naming both figures; once the request is withdrawn the rest may be refunded."""
    bought = int(delivered_retail_order(engine, clock))
    taken = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(str(bought)))
    form = {"refund_amount": 478, "refund_reason": "客户要求退款"}
    with pytest.raises(TransitionRejected) as caught:
        engine.fire_record(bought, "payment", 1, "refund", RETAIL, form)
    refused_for_the_claim(caught.value, taken.id)
    with store.read() as tx:
        assert tx.load_order(bought).data.get("refunded_amount") is None  # nothing written
    part = engine.fire_record(bought, "payment", 1, "refund", RETAIL, {**form, "refund_amount": 239})
    assert part.trigger == "payment.refund"
    with pytest.raises(TransitionRejected) as caught:  # 478 paid, 239 refunded, 239 claimed: none left
        engine.fire_record(bought, "payment", 1, "refund", RETAIL, {**form, "refund_amount": 0.01})
    [none_left] = caught.value.refusals
    assert (none_left.code, none_left.details["refundable"]) == ("over-refund", "0.00")
    assert "已付未退 239.00 元" in none_left.zh and "239.00 CNY paid and not yet refunded" in none_left.en
    engine.fire(taken.id, "withdraw", SERVICE)  # withdrawn: it claims nothing any more
    engine.fire_record(bought, "payment", 1, "refund", RETAIL, {**form, "refund_amount": 239})
    with store.read() as tx:
        assert tx.load_order(bought).data["refunded_amount"] == 478


CORRECT = "forms/after-sales/correct-original.json"


def corrected_request(tmp_path: Path, declared: bool = True) -> Path:
    """The shipped after-sales request, copied with a step that corrects the original order's number
    (the service desk's ``correct_original``, its form holding ``original_order_no``); ``declared``:
    with its ``original_order:`` line, else without it."""
    for folder in ("forms", "rules"):
        shutil.copytree(REPO / folder, tmp_path / folder, dirs_exist_ok=True)
    form = json.loads((REPO / "forms/after-sales/request.json").read_text(encoding="utf-8"))
    number = form["properties"]["original_order_no"]
    (tmp_path / CORRECT).write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "title": "Correct the original order",
                "x-title-zh": "更正原订单",
                "type": "object",
                "required": ["original_order_no"],
                "properties": {"original_order_no": number},
                "additionalProperties": False,
            }
        ),
        encoding="utf-8",
    )
    text = (REPO / "workflows/after-sales/request.yaml").read_text(encoding="utf-8")
    line = (
        "original_order:\n  {field: original_order_no, department: retail, refund: refund_amount, "
        "kind: type, lines: lines,\n   received: received_at, warehouse: return_warehouse, "
        "delivered: delivered_at}\n"
    )
    assert line in text and "\ntransitions:\n" in text
    text = text.replace(
        "\ntransitions:\n",
        "\ntransitions:\n  - trigger: correct_original\n    source: awaiting_goods\n"
        f"    dest: awaiting_goods\n    roles: [service]\n    form: {CORRECT}\n"
        "    label: {zh: 更正原订单, en: Correct the original order}\n\n",
    )
    path = tmp_path / "workflows/after-sales/request.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if declared else text.replace(line, ""), encoding="utf-8")
    return path


def naming(store: Store, number: str) -> list[int]:
    with store.read() as tx:
        found = orders_naming(tx.connection, "after_sales", "after-sales-request", int(number))
        return [order.id for order in found]


def test_the_link_follows_a_number_a_step_changes(
    engine: Engine, store: Store, clock: FrozenClock, tmp_path: Path
) -> None:
    """A request taken about one retail order, its number then corrected by a step to another: the
    orders about the first no longer name it, those about the second do, and the second's money is the
    one it claims (the retail page, the return's bound and the next request read the link)."""
    engine.publish(load_bundle(corrected_request(tmp_path), tmp_path, action_names=REGISTRY.action_names))
    first, second = delivered_retail_order(engine, clock), delivered_retail_order(engine, clock)
    taken = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(first))
    assert (naming(store, first), naming(store, second)) == ([taken.id], [])
    engine.fire(taken.id, "correct_original", SERVICE, {"original_order_no": second})
    assert (naming(store, first), naming(store, second)) == ([], [taken.id])
    with pytest.raises(TransitionRejected) as caught:  # 478 paid on the second, 239 claimed by the request
        engine.fire(int(second), "request_return", RETAIL, {**BOTH_BANDS, "refund_amount": 478})
    assert caught.value.refusals[0].details["orders"] == [taken.id]
    returned = engine.fire(int(first), "request_return", RETAIL, {**BOTH_BANDS, "refund_amount": 478})
    assert returned.to_state == "return_requested"


def test_a_version_that_first_declares_the_original_order_links_the_orders_taken_before(
    engine: Engine, store: Store, clock: FrozenClock, tmp_path: Path
) -> None:
    """Requests taken on a version without ``original_order:`` are linked when a version declaring it is
    published, by the field it names, in the publishing transaction."""
    plain = tmp_path / "plain"
    engine.publish(
        load_bundle(corrected_request(plain, declared=False), plain, action_names=REGISTRY.action_names)
    )
    bought = delivered_retail_order(engine, clock)
    taken = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    assert naming(store, bought) == []
    engine.publish(load_bundle(corrected_request(tmp_path), tmp_path, action_names=REGISTRY.action_names))
    assert naming(store, bought) == [taken.id]


def test_the_lines_asked_about_one_order_never_pass_what_it_delivered_less_what_came_back_or_is_named(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """Two bands delivered, one of them returned through retail: a request for both was taken and the
    inspection restocked two. Now a request may name no more of a SKU than was delivered, less what the
    retail order returns, less what the other open requests name; refused naming the SKU and the
    figures, nothing written; the fill and the summary give only what is left."""
    bought = delivered_retail_order(engine, clock)
    engine.fire(int(bought), "request_return", RETAIL, {**ONE_BAND, "refund_amount": 200})
    with pytest.raises(TransitionRejected) as caught:
        engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought, qty=2))
    [both] = caught.value.refusals
    assert (both.code, both.details["path"], both.details["sku"], both.details["left"]) == (
        "form",
        "$.lines[0].qty",
        "XM-BAND8",
        1,
    )
    assert both.zh == (
        f"商品明细：XM-BAND8 申请 2 件，超过原订单 #{bought} 可退的 1 件（已发 2 件，"
        "原订单已退或退货中 1 件，其他申请已占 0 件）"
    )
    assert both.en == (
        f"Order lines: 2 of XM-BAND8 is more than the 1 original order #{bought} has left (2 delivered, "
        "1 returned or being returned by that order, 0 named by other requests)"
    )
    other = {
        **request(bought),
        "lines": [{"sku": "XM-14PRO", "name": "小米14 Pro", "qty": 1, "unit_price": 1}],
    }
    assert refused(engine, {**other, "refund_amount": 1}).details["left"] == 0  # never delivered
    assert requests(store) == 0
    found = engine.intake_original(SERVICE, "after_sales", "after-sales-request", "web", bought)
    assert found.fill is not None and found.summary is not None
    assert found.fill["lines"] == [
        {"sku": "XM-BAND8", "name": "小米手环8", "qty": 1, "unit_price": 239, "amount": 239}
    ]
    assert [(line.sku, line.qty, line.left) for line in found.summary.lines] == [("XM-BAND8", 2, 1)]
    taken = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    assert (
        refused(engine, {**request(bought), "type": "exchange", "refund_amount": None}).details["left"] == 0
    )
    found = engine.intake_original(SERVICE, "after_sales", "after-sales-request", "web", bought)
    # nothing left: said by the number, nothing filled (it filled no line and said only 已从订单填写)
    [none_left] = found.refusals
    assert found.fill is None and none_left.details["path"] == "$.original_order_no"
    assert none_left.zh == (
        f"原订单号：原订单 #{bought} 已没有可退商品（已发 2 件，原订单已退或退货中 1 件，其他申请已占 1 件）"
    )
    assert none_left.en == (
        f"Original order number: nothing is left to return on original order #{bought} (2 delivered, 1 "
        "returned or being returned by that order, 1 named by other requests)"
    )
    page = engine.order_page(taken.id, SERVICE).original
    # what is left for anyone, its own band counted: the retail order's page and its return say none
    assert page is not None and [line.left for line in page.lines] == [0]
    engine.fire(taken.id, "withdraw", SERVICE)  # closed without the band coming back: it took nothing
    again = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    assert again.state == "awaiting_goods"


def test_a_retail_return_never_takes_back_goods_a_request_about_the_order_names(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """Two bands delivered; an after-sales request names one back: the retail order's own return may ask
    back the other, never both (the customer would be refunded, and the stock booked back, twice),
    refused naming the request; nothing is written."""
    bought = delivered_retail_order(engine, clock)
    taken = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    both = {"return_reason": "quality", "return_lines": [{"sku": "XM-BAND8", "qty": 2}], "refund_amount": 1}
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(int(bought), "request_return", RETAIL, both)
    [over] = caught.value.refusals
    assert (over.code, over.details["returnable"], over.details["orders"]) == ("over-return", 1, [taken.id])
    assert over.zh == f"退货商品：商品 XM-BAND8 退回 2 件，超过可退的 1 件（售后申请 {taken.id} 已申请 1 件）"
    assert over.en == (
        f"Items to return: 2 of XM-BAND8 exceeds the 1 that may still come back (1 named by after-sales "
        f"request {taken.id})"
    )
    with store.read() as tx:
        assert tx.load_order(int(bought)).state == "delivered"
    one = {**both, "return_lines": [{"sku": "XM-BAND8", "qty": 1}], "refund_amount": 239}
    assert engine.fire(int(bought), "request_return", RETAIL, one).to_state == "return_requested"
