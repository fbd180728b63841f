"""payments.capture, payments.refund, payments.authorize_refund and payments.record_failure: what they record
on the order and queue."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine

from engine.common.text import Text
from engine.errors import PluginError
from engine.plugins import ClaimOn
from plugins import payments

from .conftest import NOW, ContextMaker


def test_capture_records_the_payment_and_queues_one_message(db: Engine, make_ctx: ContextMaker) -> None:
    with db.connect() as connection:
        ctx = make_ctx(
            connection, {"total": 717, "method": "wechat_pay", "amount": 717, "transaction_ref": "4200001"}
        )
        changes = payments.capture(ctx)
    assert changes == {
        "paid_amount": 717,
        "paid_at": NOW.isoformat(),
        "payment_method": "wechat_pay",
        "transaction_ref": "4200001",
    }
    assert [topic for topic, _ in ctx.outbox] == ["payments.captured"]
    assert ctx.outbox[0][1]["amount"] == "717.00"
    assert ctx.outbox[0][1]["order_id"] == 42


def test_capture_adds_to_what_was_paid_before(db: Engine, make_ctx: ContextMaker) -> None:
    with db.connect() as connection:
        data = {"paid_amount": 100.5, "method": "bank_transfer", "amount": "49.75", "transaction_ref": "B1"}
        changes = payments.capture(make_ctx(connection, data))
    assert changes is not None
    assert changes["paid_amount"] == 150.25


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"method": "bitcoin", "amount": 10}, "unknown payment method 'bitcoin'"),
        ({"method": "card"}, "'amount' is missing"),
        ({"method": "card", "amount": 0}, "must be positive"),
        ({"method": "card", "amount": True}, "'amount' is missing or not a number"),
        ({"method": "card", "amount": "ten"}, "not a number: 'ten'"),
    ],
)
def test_capture_refuses_bad_payment_data(
    db: Engine, make_ctx: ContextMaker, data: dict[str, object], message: str
) -> None:
    with db.connect() as connection, pytest.raises(PluginError, match=message):
        payments.capture(make_ctx(connection, data))


def test_refund_pays_back_what_is_paid_and_not_yet_refunded(db: Engine, make_ctx: ContextMaker) -> None:
    with db.connect() as connection:
        data = {
            "paid_amount": 717,
            "refunded_amount": 17,
            "payment_method": "alipay",
            "transaction_ref": "T9",
        }
        ctx = make_ctx(connection, data, trigger="cancel", dest="cancelled")
        changes = payments.refund(ctx)
    assert changes == {"refunded_amount": 717, "refunded_at": NOW.isoformat()}
    assert ctx.outbox == [
        (
            "payments.refunded",
            {
                "order_id": 42,
                "department": "retail",
                "workflow": "retail-order",
                "method": "alipay",
                "amount": "700.00",
                "original_transaction_ref": "T9",
                "at": NOW.isoformat(),
            },
        )
    ]


def test_refund_of_a_named_amount_and_its_ceiling(db: Engine, make_ctx: ContextMaker) -> None:
    with db.connect() as connection:
        changes = payments.refund(make_ctx(connection, {"paid_amount": 717, "refund_amount": 239}))
        assert changes is not None
        assert changes["refunded_amount"] == 239
        with pytest.raises(PluginError, match=r"exceeds the 717\.00 CNY"):
            payments.refund(make_ctx(connection, {"paid_amount": 717, "refund_amount": 800}))


def test_refund_of_an_unpaid_or_free_order_does_nothing(db: Engine, make_ctx: ContextMaker) -> None:
    with db.connect() as connection:
        unpaid = make_ctx(connection, {"total": 717})
        free = make_ctx(connection, {"total": 0, "paid_amount": 0})
        assert payments.refund(unpaid) is None
        assert payments.refund(free) is None
    assert unpaid.outbox == free.outbox == []


def test_refund_for_an_after_sales_request_uses_its_amount(db: Engine, make_ctx: ContextMaker) -> None:
    with db.connect() as connection:
        ctx = make_ctx(connection, {"refund_amount": 239.5}, department="after_sales")
        assert payments.refund(ctx) == {"refunded_amount": 239.5, "refunded_at": NOW.isoformat()}
    assert ctx.outbox[0][1]["department"] == "after_sales"


def test_authorize_refund_records_what_a_return_will_pay_back(db: Engine, make_ctx: ContextMaker) -> None:
    with db.connect() as connection:
        ctx = make_ctx(connection, {"paid_amount": 717, "refunded_amount": 17, "refund_amount": 239})
        assert payments.authorize_refund(ctx) == {"refund_due": 239}
        with pytest.raises(PluginError, match=r"exceeds the 700\.00 CNY paid and not yet refunded"):
            payments.authorize_refund(
                make_ctx(connection, {"paid_amount": 717, "refunded_amount": 17, "refund_amount": 701})
            )
        with pytest.raises(PluginError, match="must be positive"):
            payments.authorize_refund(make_ctx(connection, {"paid_amount": 717, "refund_amount": 0}))
        with pytest.raises(PluginError, match="'refund_amount' is missing"):
            payments.authorize_refund(make_ctx(connection, {"paid_amount": 717}))
    assert ctx.outbox == []  # nothing is paid back yet


def test_authorize_refund_on_an_order_never_paid_refuses_any_amount(
    db: Engine, make_ctx: ContextMaker
) -> None:
    """A free order (total 0, no payment taken) returned with ``refund_amount: 5000`` had 5000 recorded
    as due and paid back: nothing paid is nothing to refund."""
    with db.connect() as connection:
        for data in ({"total": 0}, {"total": 717}):
            with pytest.raises(PluginError, match=r"exceeds the 0\.00 CNY paid and not yet refunded"):
                payments.authorize_refund(make_ctx(connection, {**data, "refund_amount": 5000}))


def test_refund_pays_the_authorized_amount_and_settles_it(db: Engine, make_ctx: ContextMaker) -> None:
    """A return authorized 239 of 717: the refund pays 239 and clears ``refund_due``, so a later refund
    without an amount pays what is left."""
    with db.connect() as connection:
        ctx = make_ctx(connection, {"paid_amount": 717, "refund_due": 239})
        assert payments.refund(ctx) == {
            "refunded_amount": 239,
            "refunded_at": NOW.isoformat(),
            "refund_due": None,
        }
        rest = payments.refund(
            make_ctx(connection, {"paid_amount": 717, "refunded_amount": 239, "refund_due": None})
        )
    assert ctx.outbox[0][1]["amount"] == "239.00"
    assert rest is not None and rest["refunded_amount"] == 717


# -- record_failure ------------------------------------------------------------------------------------

FAILURE = {"method": "alipay", "failure_code": "INSUFFICIENT_FUNDS", "failure_message": "余额不足"}
ORDER = {"customer": {"name": "张伟", "mobile": "13812345678"}, "total": 478}


def test_record_failure_counts_the_attempt_and_queues_payment_failed(
    db: Engine, make_ctx: ContextMaker
) -> None:
    with db.connect() as connection:
        ctx = make_ctx(connection, {**ORDER, **FAILURE}, trigger="payment_failed", dest="pending_payment")
        changes = payments.record_failure(ctx)
    assert changes == {"payment_failures": 1}
    assert ctx.outbox == [
        (
            "payment_failed",
            {
                "order_id": 42,
                "department": "retail",
                "workflow": "retail-order",
                "customer_mobile": "13812345678",
                "method": "alipay",
                "code": "INSUFFICIENT_FUNDS",
                "message": "余额不足",
                "amount": "478.00",
                "attempt": 1,
                "at": NOW.isoformat(),
            },
        )
    ]


def test_record_failure_counts_on_from_the_failures_before(db: Engine, make_ctx: ContextMaker) -> None:
    with db.connect() as connection:
        ctx = make_ctx(connection, {**ORDER, **FAILURE, "payment_failures": 2})
        assert payments.record_failure(ctx) == {"payment_failures": 3}
    assert ctx.outbox[0][1]["attempt"] == 3


def test_record_failure_finds_the_mobile_where_the_department_keeps_it(
    db: Engine, make_ctx: ContextMaker
) -> None:
    with db.connect() as connection:
        ctx = make_ctx(connection, {"contact": {"mobile": "13900000002"}, "total": 10, **FAILURE})
        payments.record_failure(ctx)
    assert ctx.outbox[0][1]["customer_mobile"] == "13900000002"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**ORDER, **FAILURE, "method": "bitcoin"}, "unknown payment method 'bitcoin'"),
        ({**ORDER, **FAILURE, "failure_code": ""}, "needs its failure code"),
        ({"customer": ORDER["customer"], **FAILURE}, "'total' is missing"),
    ],
)
def test_record_failure_refuses_bad_failure_data(
    db: Engine, make_ctx: ContextMaker, data: dict[str, object], message: str
) -> None:
    with db.connect() as connection, pytest.raises(PluginError, match=message):
        payments.record_failure(make_ctx(connection, data))


@pytest.mark.parametrize(
    ("data", "due"),
    [
        ({"total": 239, "amount": 10**20}, "239.00"),
        ({"total": 239, "amount": 239.01}, "239.00"),
        ({"total": 717, "paid_amount": 700, "amount": 18}, "17.00"),
        ({"total": 100, "paid_amount": 100, "amount": 1}, "0.00"),
    ],
)
def test_capture_refuses_more_than_is_due_naming_it(
    db: Engine, make_ctx: ContextMaker, data: dict[str, object], due: str
) -> None:
    with db.connect() as connection, pytest.raises(PluginError) as caught:
        ctx = make_ctx(connection, {"method": "card", "transaction_ref": "T1", **data})
        payments.capture(ctx)
    assert (caught.value.code, caught.value.details["due"]) == ("overpayment", due)
    assert f"the {due} CNY due" in str(caught.value) and f"应付金额 {due} 元" in str(caught.value.zh)
    assert ctx.outbox == []


def test_capture_takes_exactly_what_is_due_and_the_rest_of_a_part_payment(
    db: Engine, make_ctx: ContextMaker
) -> None:
    with db.connect() as connection:
        whole = payments.capture(make_ctx(connection, {"total": 239, "method": "card", "amount": 239}))
        rest = payments.capture(
            make_ctx(connection, {"total": 717, "paid_amount": 700, "method": "card", "amount": 17})
        )
    assert whole is not None and whole["paid_amount"] == 239
    assert rest is not None and rest["paid_amount"] == 717


GOODS = [{"sku": "XM-BAND7", "qty": 1, "amount": 199}, {"sku": "SP-TRIAL", "qty": 2, "amount": 51}]


def test_refund_goods_pays_what_is_asked_else_the_lines_value_never_more(
    db: Engine, make_ctx: ContextMaker
) -> None:
    with db.connect() as connection:
        whole = make_ctx(connection, {"lines": GOODS}, department="after_sales")
        assert payments.refund_goods(whole) == {"refunded_amount": 250, "refunded_at": NOW.isoformat()}
        asked = make_ctx(connection, {"lines": GOODS, "refund_amount": 199}, department="after_sales")
        assert payments.refund_goods(asked) == {"refunded_amount": 199, "refunded_at": NOW.isoformat()}
        rest = make_ctx(connection, {"lines": GOODS, "refunded_amount": 199}, department="after_sales")
        assert payments.refund_goods(rest) == {"refunded_amount": 250, "refunded_at": NOW.isoformat()}
        with pytest.raises(PluginError, match=r"exceeds the 250\.00 CNY the goods are worth \(0\.00 CNY"):
            payments.refund_goods(make_ctx(connection, {"lines": GOODS, "refund_amount": 500}))
        with pytest.raises(PluginError, match=r"exceeds the 250\.00 CNY the goods are worth \(199\.00"):
            payments.refund_goods(
                make_ctx(connection, {"lines": GOODS, "refunded_amount": 199, "refund_amount": 52})
            )
        done = make_ctx(connection, {"lines": GOODS, "refunded_amount": 250})
        assert payments.refund_goods(done) is None and done.outbox == []
    assert whole.outbox[0][0] == "payments.refunded" and whole.outbox[0][1]["amount"] == "250.00"


def test_an_orders_own_refund_leaves_what_the_requests_about_it_claim(
    db: Engine, make_ctx: ContextMaker
) -> None:
    """717 paid, a request about the order claims 200: the order's refund of all pays back 517 (the
    payment message says what was kept); 600 asked by a person is refused naming the request, the
    same asked by an automatic step paid as far as it may (517)."""
    claims = [ClaimOn(7, Text("售后申请", "After-sales request"), Decimal("200.00"))]
    paid = {"paid_amount": 717, "refunded_amount": 0, "transaction_ref": "4200001"}
    with db.connect() as connection:
        everything = make_ctx(connection, paid, claims=lambda: claims)
        assert payments.refund(everything) == {"refunded_amount": 517, "refunded_at": NOW.isoformat()}
        assert everything.outbox[0][1]["claimed_kept"] == "200.00"
        asked = {**paid, "refund_amount": 600}
        with pytest.raises(PluginError, match=r"exceeds the 517\.00 CNY left to refund") as caught:
            payments.refund(make_ctx(connection, asked, claims=lambda: claims))
        assert "售后申请 7 已占 200.00 元" in str(caught.value.zh)
        automatic = make_ctx(connection, asked, claims=lambda: claims, automatic=True)
        assert payments.refund(automatic) == {"refunded_amount": 517, "refunded_at": NOW.isoformat()}
        alone = make_ctx(connection, asked, claims=list)  # no request claims any: all 600 asked
        assert payments.refund(alone) == {"refunded_amount": 600, "refunded_at": NOW.isoformat()}
