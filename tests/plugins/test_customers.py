"""customers.register against a real customers table (SQLite and PostgreSQL): a new mobile is one row and
one account_created message; a known one is neither, however the orders race. customers.load_account
against a real customer_accounts table: the order's account is the record's, whatever was sent."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from engine.plugins import PluginRegistry
from engine.rules.correlation import address_key
from engine.store.tables import customer_accounts, customers
from plugins import customers as customer_actions
from plugins._common import ActionRefused

from .conftest import NOW, ContextMaker

HOME = {"province": "上海市", "city": "上海市", "district": "浦东新区", "detail": "世纪大道1198号3栋"}
SPACED = {"province": "上海", "city": "上海市", "district": "浦东新区", "detail": "世纪大道 １１９８号　３栋"}
ELSEWHERE = {"province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路90号"}


def order(mobile: str = "13812345678", address: dict[str, str] = HOME, **extra: Any) -> dict[str, Any]:
    return {"customer": {"name": "张伟", "mobile": mobile}, "address": address, "total": 478, **extra}


def rows(db: Engine) -> list[dict[str, Any]]:
    with db.connect() as connection:
        found = connection.execute(select(customers).order_by(customers.c.id)).mappings().all()
    return [dict(row) for row in found]


def at(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_a_new_customer_is_stored_and_announced_once(db: Engine, make_ctx: ContextMaker) -> None:
    with db.begin() as connection:
        ctx = make_ctx(connection, order(), trigger="route", dest="routed")
        assert customer_actions.register(ctx) is None  # nothing written on the order itself
    [row] = rows(db)
    assert (row["department"], row["mobile"], row["name"]) == ("retail", "13812345678", "张伟")
    assert row["address_key"] == address_key(HOME) == "上海|上海市|浦东新区|世纪大道1198号3栋"
    assert at(row["created_at"]) == NOW
    assert ctx.outbox == [
        (
            "account_created",
            {
                "customer_id": row["id"],
                "customer_mobile": "13812345678",
                "address_key": address_key(HOME),
                "department": "retail",
                "order_id": 42,
                "at": NOW.isoformat(),
            },
        )
    ]


def test_a_second_order_from_the_same_mobile_writes_no_account_created(
    db: Engine, make_ctx: ContextMaker
) -> None:
    with db.begin() as connection:
        customer_actions.register(make_ctx(connection, order()))
    with db.begin() as connection:
        later = make_ctx(connection, order(address=ELSEWHERE), order_id=43, now=NOW + timedelta(days=1))
        customer_actions.register(later)
    assert later.outbox == []
    [row] = rows(db)
    assert (row["address_key"], at(row["created_at"])) == (address_key(HOME), NOW)  # the first order's


def test_the_same_mobile_in_another_department_is_another_customer(
    db: Engine, make_ctx: ContextMaker
) -> None:
    with db.begin() as connection:
        retail = make_ctx(connection, order())
        customer_actions.register(retail)
        wholesale = make_ctx(connection, {"contact": {"mobile": "13812345678"}}, department="wholesale")
        customer_actions.register(wholesale)
    assert [len(retail.outbox), len(wholesale.outbox)] == [1, 1]
    assert [(r["department"], r["name"], r["address_key"]) for r in rows(db)] == [
        ("retail", "张伟", address_key(HOME)),
        ("wholesale", None, None),
    ]


def test_an_order_without_a_mobile_registers_nobody(db: Engine, make_ctx: ContextMaker) -> None:
    with db.begin() as connection:
        ctx = make_ctx(connection, {"address": HOME, "total": 10})
        customer_actions.register(ctx)
    assert (rows(db), ctx.outbox) == ([], [])


def test_a_rolled_back_order_leaves_no_customer_behind(db: Engine, make_ctx: ContextMaker) -> None:
    with pytest.raises(RuntimeError), db.begin() as connection:
        customer_actions.register(make_ctx(connection, order()))
        raise RuntimeError("a later action refused the order")
    assert rows(db) == []
    with db.begin() as connection:
        again = make_ctx(connection, order())
        customer_actions.register(again)
    assert len(again.outbox) == 1  # so the customer's next order announces it


def test_orders_of_one_new_customer_racing_announce_it_once(db: Engine, make_ctx: ContextMaker) -> None:
    """Eight orders of one new mobile placed at the same moment: one row, one account_created."""
    shoppers = 8
    barrier = threading.Barrier(shoppers)
    announced: list[int] = []
    lock = threading.Lock()

    def place(order_id: int) -> None:
        barrier.wait()
        with db.begin() as connection:
            ctx = make_ctx(connection, order(mobile="13700000007", address=SPACED), order_id=order_id)
            customer_actions.register(ctx)
        with lock:
            announced.extend(payload["order_id"] for _, payload in ctx.outbox)

    threads = [threading.Thread(target=place, args=(100 + k,)) for k in range(shoppers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(announced) == 1
    [row] = rows(db)
    assert row["mobile"] == "13700000007" and row["address_key"] == address_key(HOME)


def test_register_is_found_by_its_entry_point_and_declares_it_writes_no_order_field() -> None:
    registry = PluginRegistry.from_entry_points()
    assert registry.action("customers.register") is customer_actions.register
    assert registry.action_writes["customers.register"] == frozenset()
    assert registry.action_writes["payments.record_failure"] == frozenset({"payment_failures"})


def test_an_address_too_long_for_an_index_entry_is_stored_as_its_digest(
    db: Engine, make_ctx: ContextMaker
) -> None:
    # 200 characters NFKC makes 3,600: over the column's 1,000 and PostgreSQL's btree entry
    street = {**HOME, "detail": "\ufdfa" * 200}
    with db.begin() as connection:
        ctx = make_ctx(connection, order(address=street))
        customer_actions.register(ctx)
    [row] = rows(db)
    assert row["address_key"] == address_key(street) and row["address_key"].startswith("sha256:")
    assert ctx.outbox[0][1]["address_key"] == row["address_key"]


# -- load_account ----------------------------------------------------------------------------------

ACCOUNT = {
    "department": "wholesale",
    "account_no": "W100231",
    "company": "上海鑫达商贸有限公司",
    "tax_id": "91310000MA1FL0000X",
    "tier": "gold",
    "credit_limit": 500000,
    "outstanding": 80000.5,
    "overdue_days": 12,
    "status": "watch",
    "updated_at": NOW,
}


def wholesale(connection: Any, make_ctx: ContextMaker, account: Any) -> Any:
    ctx = make_ctx(
        connection,
        {"account": account, "total": 15350},
        department="wholesale",
        workflow="wholesale-order",
        trigger="load_account",
        source="received",
        dest="account_loaded",
    )
    return customer_actions.load_account(ctx)


def test_the_account_comes_from_its_record_whatever_the_order_says(
    db: Engine, make_ctx: ContextMaker
) -> None:
    forged = {
        "account_no": "W100231",
        "company": "x",
        "credit_limit": 10**9,
        "outstanding": 0,
        "status": "active",
    }
    with db.begin() as connection:
        connection.execute(insert(customer_accounts).values(ACCOUNT))
        connection.execute(
            insert(customer_accounts).values({**ACCOUNT, "department": "retail", "credit_limit": 1})
        )
        changes = wholesale(connection, make_ctx, forged)
    assert changes == {
        "account": {
            "company": "上海鑫达商贸有限公司",
            "account_no": "W100231",
            "credit_limit": 500000,
            "overdue_days": 12,
            "status": "watch",
            "tax_id": "91310000MA1FL0000X",
            "tier": "gold",
        }
    }


def test_the_account_manager_comes_from_its_record_and_a_forged_one_is_dropped(
    db: Engine, make_ctx: ContextMaker
) -> None:
    forged = {"account_no": "W100458", "manager": "chen.jing"}
    with db.begin() as connection:
        connection.execute(insert(customer_accounts).values({**ACCOUNT, "account_manager": "sun.li"}))
        connection.execute(insert(customer_accounts).values({**ACCOUNT, "account_no": "W100458"}))
        managed = wholesale(connection, make_ctx, {"account_no": "W100231", "manager": "chen.jing"})
        unmanaged = wholesale(connection, make_ctx, forged)
    assert managed["account"]["manager"] == "sun.li"
    assert unmanaged["account"]["account_no"] == "W100458" and "manager" not in unmanaged["account"]


@pytest.mark.parametrize(
    ("account", "code", "zh", "en"),
    [
        (
            {"account_no": "W999999"},
            "unknown-account",
            "客户账户 W999999 不存在",
            "no customer account W999999",
        ),
        ({"company": "上海鑫达商贸有限公司"}, "account", "请选择客户账户", "Choose the customer's account"),
        (None, "account", "请选择客户账户", "Choose the customer's account"),
    ],
)
def test_an_account_the_department_does_not_have_is_refused_beside_its_field(
    db: Engine, make_ctx: ContextMaker, account: Any, code: str, zh: str, en: str
) -> None:
    with db.begin() as connection:
        connection.execute(insert(customer_accounts).values({**ACCOUNT, "department": "retail"}))
        with pytest.raises(ActionRefused) as refused:
            wholesale(connection, make_ctx, account)
    error = refused.value
    assert error.code == code and zh in (error.zh or "") and en in (error.en or "")
    assert (error.details["path"], error.details["field"]) == ("$.account.account_no", "account.account_no")


def test_load_account_is_found_by_its_entry_point_and_declares_it_writes_the_account() -> None:
    registry = PluginRegistry.from_entry_points()
    assert registry.action("customers.load_account") is customer_actions.load_account
    assert registry.action_writes["customers.load_account"] == frozenset({"account"})
