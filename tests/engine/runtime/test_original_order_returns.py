"""A retail order's own return and cancel beside the after-sales requests about it: the return form
offers only the goods the requests leave (``x-unclaimed``), its refund left empty their price; a cancel
or a rejection pays back what is paid less refunded less what the requests claim or paid back, a person's
step refused above that, an automatic one never. On SQLite and on PostgreSQL (the ``store`` fixture runs
on both)."""

from __future__ import annotations

from typing import Any

from engine.clock import FrozenClock
from engine.runtime import Engine
from engine.runtime.named_lists import NamedLists
from engine.store import Store
from tests.engine.runtime import test_original_order
from tests.engine.runtime.test_original_order import request
from tests.test_departments import (
    RETAIL,
    REVIEWER,
    SERVICE,
    delivered_retail_order,
    pay,
    pay_refund,
    retail_data,
    returned_and_inspected,
)

clock, engine = test_original_order.clock, test_original_order.engine  # the fixtures of its tests


def offered(engine: Engine, order_id: int) -> list[tuple[str, int]]:
    """The return lines the retail order's return form starts with: (SKU, quantity) each."""
    page = engine.step_page(order_id, "request_return", RETAIL)
    assert page.info is not None and page.info.allowed
    return [(line["sku"], line["qty"]) for line in page.prefill.get("return_lines", [])]


def test_the_return_form_offers_only_the_goods_the_requests_about_the_order_leave(
    engine: Engine, clock: FrozenClock
) -> None:
    """Two bands delivered, a request about the order names one back: the return form offered both
    (the return was refused on submit, naming the request); now one, priced 239, which a return left
    at the form's lines and no refund takes; a second request naming the other leaves none offered,
    and once it is withdrawn the band is offered again."""
    bought = delivered_retail_order(engine, clock)
    assert offered(engine, int(bought)) == [("XM-BAND8", 2)]
    engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    assert offered(engine, int(bought)) == [("XM-BAND8", 1)]
    page = engine.step_page(int(bought), "request_return", RETAIL)
    [line] = page.prefill["return_lines"]
    assert line["amount"] == 239  # the line's price follows its quantity
    other = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    assert offered(engine, int(bought)) == []
    engine.fire(other.id, "withdraw", SERVICE)
    lines: list[dict[str, Any]] = [{"sku": sku, "qty": qty} for sku, qty in offered(engine, int(bought))]
    assert lines == [{"sku": "XM-BAND8", "qty": 1}]
    taken = engine.fire(
        int(bought), "request_return", RETAIL, {"return_reason": "quality", "return_lines": lines}
    )
    assert taken.to_state == "return_requested"
    assert engine.get_order(int(bought), RETAIL).data["refund_due"] == 239  # the band's price, no more


def payments_of(engine: Engine, order_id: int) -> list[dict[str, Any]]:
    return [dict(r.data, state=r.state) for r in engine.records(order_id, RETAIL) if r.kind == "payment"]


def paid_order(engine: Engine, bands: int, amount: float) -> int:
    """A retail order of ``bands`` bands at 239, ``amount`` of it paid by WeChat Pay."""
    lines = [{"sku": "XM-BAND8", "name": "小米手环8", "qty": bands, "unit_price": 239, "amount": 239 * bands}]
    order = engine.create_order(
        RETAIL, "retail", "retail-order", "web", retail_data(lines=lines, total=239 * bands)
    )
    pay(engine, order.id, amount)
    return int(order.id)


def test_a_cancel_pays_back_what_is_paid_less_what_a_request_about_the_order_claims(
    engine: Engine, store: Store
) -> None:
    """478 paid, not shipped; a request about the order asks 239 back: the clerk's cancel refunded all
    478 (the customer paid back twice once the request paid); now 239, the payment saying why."""
    bought = paid_order(engine, 2, 478)
    taken = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(str(bought)))
    assert engine.fire(bought, "cancel", RETAIL).to_state == "cancelled"
    [payment] = payments_of(engine, bought)
    assert (payment["state"], payment["refunded"]) == ("partly_refunded", 239)
    assert payment["refund_reason"] == (
        f"取消并退款（未退 239.00 元：售后申请 {taken.id} 已占 239.00 元） / Cancel and refund "
        f"(239.00 CNY not refunded: 239.00 CNY claimed by after-sales request {taken.id})"
    )
    with store.read() as tx:
        assert tx.load_order(bought).data["refunded_amount"] == 239


def test_a_rejection_pays_back_less_what_the_requests_paid_back(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """24 bands (5,736) paid and held by the audit; a request about the order was refunded 239 by
    after-sales: the reviewer's rejection pays back the 5,497 left, not all 5,736."""
    bought = paid_order(engine, 24, 5736)
    with store.read() as tx:
        assert tx.load_order(bought).state == "on_hold"
    taken = returned_and_inspected(engine, clock, original_order_no=str(bought))
    assert pay_refund(engine, taken).to_state == "closed"
    rejected = engine.fire(bought, "reject", REVIEWER, {"reject_reason": "收货地址与支付信息不符"})
    assert rejected.to_state == "cancelled"
    [payment] = payments_of(engine, bought)
    assert (payment["state"], payment["refunded"]) == ("partly_refunded", 5497)
    assert f"售后申请 {taken} 已占 239.00 元" in payment["refund_reason"]


def test_an_automatic_cancel_is_never_blocked_by_a_claim_it_pays_back_what_is_left(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """239 of 478 paid, a request about the order asks those 239 back: the timer's cancel of an order
    not paid in full within 7 days still cancels, refunding nothing; and an order the audit rejects once
    paid in full is refunded by its automatic cancel all but what the request claims."""
    unpaid = paid_order(engine, 2, 239)
    engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(str(unpaid)))
    clock.advance(days=7, minutes=1)
    assert engine.fire_due_timers("w1").fired == 1
    with store.read() as tx:
        assert tx.load_order(unpaid).state == "cancelled"
    [payment] = payments_of(engine, unpaid)
    assert (payment["state"], payment["refunded"]) == ("captured", 0)  # all of it claimed by the request
    blocked = paid_order(engine, 2, 239)
    recent = {**request(str(blocked)), "delivered_at": clock.now().isoformat()}  # still within 7 days
    engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", recent)
    NamedLists(store, engine.clock).add("retail", "blocked-mobiles", "13812345678", "admin")
    assert pay(engine, blocked, 239) == "cancelled"  # settled, rejected by the audit, cancelled
    assert sum(p["refunded"] for p in payments_of(engine, blocked)) == 239
